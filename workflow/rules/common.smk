# Validation and helpers shared by every rule file. All logic lives in hanet/; this file
# only checks the config, discovers ablations and maps wildcards to paths.

import json
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from hanet.config import resolve as resolve_config, validate_ablation
from hanet.errors import HanetError

validate(config, "../schemas/config.schema.yaml")

for _name in config["datasets"]:
    if _name not in config["data"]:
        raise WorkflowError(f"config: dataset '{_name}' has no section under 'data' (known: {', '.join(config['data'])})")
    try:  # the typed configs reject unknown keys and wrong types in the dataset's overrides
        resolve_config(None, {k: config["data"][_name].get(k, {}) for k in ("model", "train")})
    except HanetError as err:
        raise WorkflowError(f"config/config.yaml: data.{_name}: {err}")


def discover_ablations():
    """Every ablations/*.yaml (or those listed in config 'ablations'), each validated strictly."""
    found = {p.stem: p for p in sorted(Path("ablations").glob("*.yaml"))}
    wanted = config.get("ablations") or list(found)
    missing = [a for a in wanted if a not in found]
    if missing:
        raise WorkflowError(f"config 'ablations' names {missing}, not found as ablations/<name>.yaml")
    for name in wanted:
        try:
            validate_ablation(found[name])
        except HanetError as err:
            raise WorkflowError(f"invalid ablation file: {err}")
    return wanted


VARIANTS = discover_ablations()
SEEDS = [int(s) for s in config["seeds"]]


def datasets_of_kind(kind):
    """Regex matching the dataset names of one kind (for wildcard_constraints)."""
    names = [name for name, sect in config["data"].items() if sect["kind"] == kind]
    return "|".join(re.escape(n) for n in names) if names else "(?!)"


wildcard_constraints:
    dataset="[A-Za-z0-9_]+",
    variant="[A-Za-z0-9_\-]+",
    seed="[0-9]+",


def dataset_cfg(wildcards):
    return config["data"][wildcards.dataset]


def cli_flags(section):
    """{'num_videos': 40, 'split': [0.7, 0.3]} -> '--num-videos 40 --split 0.7,0.3' for a hanet stage."""
    parts = []
    for key, value in (section or {}).items():
        if isinstance(value, bool):
            parts.append(f"--{key.replace('_', '-')}" if value else "")
            continue
        if isinstance(value, list):
            value = ",".join(map(str, value))
        parts.append(f"--{key.replace('_', '-')} {value}")
    return " ".join(p for p in parts if p)


def features_file(dataset):
    return f"resources/{dataset}/features/{config['data'][dataset]['features']['extractor']}.h5"


def get_features(wildcards):
    return features_file(wildcards.dataset)


TEXT_FILES = ["vocab.json", "parses.json", "concepts.json", "labels.json"]


def get_text(wildcards):
    return [f"resources/{wildcards.dataset}/text/{name}" for name in TEXT_FILES]


def get_overrides(wildcards):
    """The dataset's model/train overrides as JSON for `hanet train --overrides`."""
    sect = dataset_cfg(wildcards)
    return json.dumps({"model": sect.get("model", {}), "train": sect.get("train", {})}, sort_keys=True)


def run_dir(dataset, variant, seed):
    return f"results/{dataset}/{variant}/seed{seed}"


def get_run_metrics(wildcards):
    return [f"{run_dir(wildcards.dataset, v, s)}/metrics.json" for v in VARIANTS for s in SEEDS]


def get_final_outputs():
    out = []
    for dataset in config["datasets"]:
        out += [f"{run_dir(dataset, v, s)}/metrics.json" for v in VARIANTS for s in SEEDS]
        out += [f"results/{dataset}/ablation.md", f"results/{dataset}/plots/recall.png"]
        if config["data"][dataset]["kind"] not in ("vatex", "folder"):  # features only, no videos to draw
            out.append(f"results/{dataset}/frames.png")
        if config["data"][dataset]["kind"] in ("msrvtt", "vatex"):  # this run next to the published numbers
            out.append(f"results/{dataset}/reference.md")
    return out


def comparison_flags(with_compare=True):
    """--baseline/--compare for the variants that are part of this run (a restricted set may lack them)."""
    flags = f"--baseline {config['baseline']}" if config["baseline"] in VARIANTS else f"--baseline {VARIANTS[0]}"
    if with_compare and config["compare"] in VARIANTS:
        flags += f" --compare {config['compare']}"
    return flags


def get_plot_inputs(wildcards):
    runs = get_run_metrics(wildcards)
    inputs = {
        "metrics": runs,
        "logs": [m.replace("metrics.json", "train_log.csv") for m in runs],
        "examples": [m.replace("metrics.json", "examples.json") for m in runs],
        "features": get_features(wildcards),
        "captions": f"resources/{wildcards.dataset}/prepared/captions.json",
    }
    return inputs


PLOTS = ["recall", "val_curve", "rank_dist", "retrieval_examples", "concepts"]


def get_parse_inputs(wildcards):
    sect = dataset_cfg(wildcards)
    inputs = {
        "captions": f"resources/{wildcards.dataset}/prepared/captions.json",
        "splits": expand(f"resources/{wildcards.dataset}/prepared/splits/{{s}}.txt", s=["train", "val", "test"]),
    }
    if treebank_of(wildcards):
        inputs["treebank"] = treebank_of(wildcards)
    else:
        inputs["nltk_data"] = NLTK_MARKER
    return inputs


def treebank_of(wildcards):
    """Gold treebank the caption tagger is trained on (synthetic data, or a folder dataset's `treebank`), else None."""
    sect = dataset_cfg(wildcards)
    if sect["kind"] == "synthetic":
        return f"resources/{wildcards.dataset}/raw/treebank.json"
    return sect.get("treebank")


def get_parse_flags(wildcards):
    sect = dataset_cfg(wildcards)
    if treebank_of(wildcards):
        source = f"--tagger synthetic --treebank {treebank_of(wildcards)}"
    else:
        source = "--tagger pretrained --nltk-data resources/nltk_data"
    return f"{source} {cli_flags(sect['text'])}"
