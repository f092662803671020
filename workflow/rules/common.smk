# Validation and helpers shared by every rule file. All logic lives in hanet/; this file
# only checks the config, discovers ablations and maps wildcards to paths.

import json
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError
from hanet.errors import HanetError
from hanet.workflow_config import check_workflow

# Every parse-time check (schema, duplicate keys/seeds/ids, ablation files and names, baseline/compare)
# lives in hanet/workflow_config.py; a refusal is one line naming the file or key, before any job.
try:
    PLAN = check_workflow(config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml", "ablations",
                          config_files=workflow.overwrite_configfiles or [])
except HanetError as err:
    raise WorkflowError(str(err)) from None
VARIANTS, SEEDS = PLAN.variants, PLAN.seeds


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
        if config["data"][dataset]["kind"] not in ("vatex", "folder", "release"):  # features only, no videos
            out.append(f"results/{dataset}/frames.png")
        if config["data"][dataset]["kind"] in ("msrvtt", "vatex", "release"):  # next to the published numbers
            out.append(f"results/{dataset}/reference.md")
        if config["data"][dataset]["kind"] == "synthetic":  # phenomenon slices (ground truth of the world)
            out.append(f"results/{dataset}/slices.md")
    return out


def get_phenomena(wildcards):
    """prepared/phenomena.json of a synthetic dataset (caption tags for slices and twin examples); [] otherwise."""
    if dataset_cfg(wildcards)["kind"] != "synthetic":
        return []
    return [f"resources/{wildcards.dataset}/prepared/phenomena.json"]


def comparison_flags(with_compare=True):
    """--baseline/--compare (checked by check_workflow: the baseline is a variant of this run)."""
    flags = f"--baseline {PLAN.baseline}"
    if with_compare and PLAN.compare:
        flags += f" --compare {PLAN.compare}"
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
