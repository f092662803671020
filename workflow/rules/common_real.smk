# Helpers of the real-data rules (real_data.smk, features.smk): config lookups that map
# datasets and download entries to paths and hanet CLI flags. No rules here.

import shlex

CHECKSUM_LOCK = "resources/checksums.lock.json"
NLTK_DATA = "resources/nltk_data"
NLTK_MARKER = f"{NLTK_DATA}/hanet_nltk_data.json"  # written last by `hanet nltk-data`


def real_datasets():
    return [name for name, sect in config["data"].items() if sect["kind"] != "synthetic"]


def real_dataset_regex():
    return "|".join(datasets_of_kind(kind) for kind in ("msrvtt", "vatex", "release"))


def published_name(wildcards):
    """The `dataset` column of config/reference-results.csv that a dataset's runs sit next to."""
    sect = dataset_cfg(wildcards)
    return sect["release"]["dataset"] if sect["kind"] == "release" else sect["kind"]


def recipe_of(wildcards):
    """Our rows' recipe in the reference table: whose inputs, and where the checkpoints' weights started."""
    sect = dataset_cfg(wildcards)
    if sect["kind"] == "release":
        inputs = "recipe: authors' release (their SRL role graphs, concept labels, features)"
    else:
        inputs = "recipe: rebuild (NLTK chunker role graphs, own concept labels" + (
            ", ResNet-152 re-extracted)" if sect["kind"] == "msrvtt" else ", official I3D features)")
    init = sect.get("train", {}).get("init_from")
    return f"{inputs}; checkpoints trained here from " + (f"{Path(init).name} word embeddings" if init
                                                           else "random init")


def _file_regex(entries):
    names = sorted({entry["file"] for entry in entries})
    return "|".join(re.escape(n) for n in names) if names else "(?!)"


def _dataset_downloads():
    return [entry for name in real_datasets()
            for key, entry in config["data"][name].get("download", {}).items() if key != "weights"]


def _weights_downloads():
    return [sect["download"]["weights"] for sect in config["data"].values()
            if "weights" in sect.get("download", {})]


def download_entry(wildcards):
    """The config entry of the file being downloaded (dataset downloads, or shared weights)."""
    if "dataset" in wildcards.keys():
        entries = dataset_cfg(wildcards).get("download", {}).values()
    else:
        entries = _weights_downloads()
    for entry in entries:
        if entry["file"] == wildcards.file:
            return entry
    raise WorkflowError(f"config/config.yaml: no download entry with file '{wildcards.file}'")


def downloaded(dataset, key):
    """Local path of one download of a dataset."""
    entry = config["data"][dataset]["download"][key]
    if key == "weights":
        return f"resources/weights/{entry['file']}"
    return f"resources/{dataset}/downloads/{entry['file']}"


def weights_file(dataset):
    """Extractor weights a dataset needs (MSR-VTT kind: ResNet-152), else None."""
    sect = config["data"][dataset]
    if sect["kind"] == "msrvtt" and "weights" in sect.get("download", {}):
        return downloaded(dataset, "weights")
    return None


def extract_inputs(wildcards):
    """features.smk: videos.json, the extractor weights for MSR-VTT-kind datasets, the train split
    when the features are standardised."""
    inputs = {"manifest": f"resources/{wildcards.dataset}/prepared/videos.json"}
    if dataset_cfg(wildcards)["features"].get("standardize"):  # statistics of the train split's frames
        inputs["train_split"] = f"resources/{wildcards.dataset}/prepared/splits/train.txt"
    weights = weights_file(wildcards.dataset)
    if weights:
        inputs["weights"] = weights
    return inputs


def extract_flags(wildcards):
    """features.smk: --max-frames/--stride/--allow-failures from config `features`; each extractor
    setting (batch_size, extractor_arg entries, the weights file) as its own --extractor-arg key=value."""
    sect = dataset_cfg(wildcards)["features"]
    special = ("extractor", "extractor_arg", "batch_size")
    args = list(sect.get("extractor_arg", []))
    if "batch_size" in sect:
        args.append(f"batch_size={sect['batch_size']}")
    weights = weights_file(wildcards.dataset)
    if weights:
        args.append(f"weights={weights}")
    flags = [cli_flags({k: v for k, v in sect.items() if k not in special})]
    flags += [f"--extractor-arg {shlex.quote(arg)}" for arg in args]
    return " ".join(f for f in flags if f)


def download_flags(wildcards):
    entry = download_entry(wildcards)
    flags = [f"--url {shlex.quote(entry['url'])}"]
    flags += [f"--fallback {shlex.quote(url)}" for url in entry.get("fallback", [])]
    if entry.get("sha256"):
        flags.append(f"--sha256 {entry['sha256']}")
    if entry.get("sha256_prefix"):
        flags.append(f"--sha256-prefix {entry['sha256_prefix']}")
    return " ".join(flags)


def prepare_flags(wildcards):
    sect = dataset_cfg(wildcards).get("prepare", {})
    flags = []
    if sect.get("split"):
        flags.append(f"--split {sect['split']}")
    counts = sect.get("expect_counts")
    if counts and not (counts == "published" and dataset_cfg(wildcards)["kind"] == "vatex"):
        flags.append(f"--expect-counts {counts}")
    if sect.get("allow_missing"):
        flags.append("--allow-missing")
    return " ".join(flags)
