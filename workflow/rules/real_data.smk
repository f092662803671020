# Real datasets (MSR-VTT, VATEX): verified downloads, unpack/prepare, NLTK data, and the table next
# to the published numbers. Everything after prepared/ + features/ (parse, train, evaluate, aggregate,
# plots) is the generic pipeline. URLs, fallbacks and digests are config values (config/config.yaml).
#
#   downloads  resources/{dataset}/downloads/{file}, resources/weights/{file}
#              (hanet download: resumable, retried, fallbacks in order, SHA-256 pinned by the config or
#               by resources/checksums.lock.json on first download)
#   msrvtt     hanet msrvtt  -> resources/{dataset}/raw/videos/, prepared/; then hanet extract (features.smk)
#   vatex      hanet vatex   -> prepared/ and features/i3d.h5 straight from the official I3D zip
#   nltk       hanet nltk-data -> resources/nltk_data/ (its manifest is written last)

import shlex

CHECKSUM_LOCK = "resources/checksums.lock.json"
NLTK_DATA = "resources/nltk_data"
NLTK_MARKER = f"{NLTK_DATA}/hanet_nltk_data.json"  # written last by `hanet nltk-data`


def real_datasets():
    return [name for name, sect in config["data"].items() if sect["kind"] != "synthetic"]


def real_dataset_regex():
    return "|".join(datasets_of_kind(kind) for kind in ("msrvtt", "vatex"))


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
    """features.smk: videos.json, plus the extractor weights for MSR-VTT-kind datasets."""
    inputs = {"manifest": f"resources/{wildcards.dataset}/prepared/videos.json"}
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
    return " ".join(flags)


def prefix_check(wildcards, output):
    """Shell snippet that checks the leading SHA-256 digits, when the config names them."""
    prefix = download_entry(wildcards).get("sha256_prefix")
    if not prefix:
        return "true"
    code = ("import sys; from hanet.data.download import sha256_file; d = sha256_file(sys.argv[1]); "
            "sys.exit(0 if d.startswith(sys.argv[2]) else "
            "'{}: SHA-256 {} does not start with {} (sha256_prefix in config/config.yaml)'.format(sys.argv[1], d, sys.argv[2]))")
    return f"python -c {shlex.quote(code)} {shlex.quote(str(output))} {prefix}"


rule download_dataset_file:
    output:
        "resources/{dataset}/downloads/{file}",
    log:
        "logs/{dataset}/download/{file}.log",
    params:
        flags=download_flags,
        lock=CHECKSUM_LOCK,
    wildcard_constraints:
        dataset=real_dataset_regex(),
        file=_file_regex(_dataset_downloads()),
    threads: 1
    retries: 2
    shell:
        "hanet download {params.flags} --out {output} --lock {params.lock} --no-progress > {log} 2>&1"


rule download_weights:
    output:
        "resources/weights/{file}",
    log:
        "logs/weights/download_{file}.log",
    params:
        flags=download_flags,
        lock=CHECKSUM_LOCK,
        check=lambda w, output: prefix_check(w, output[0]),
    wildcard_constraints:
        file=_file_regex(_weights_downloads()),
    threads: 1
    retries: 2
    shell:
        "(hanet download {params.flags} --out {output} --lock {params.lock} --no-progress && {params.check}) "
        "> {log} 2>&1"


rule nltk_data:
    output:
        NLTK_MARKER,
    log:
        "logs/nltk_data.log",
    params:
        out=lambda w, output: str(Path(output[0]).parent),
        lock=CHECKSUM_LOCK,
    threads: 1
    retries: 2
    shell:
        "hanet nltk-data --out {params.out} --lock {params.lock} --no-progress > {log} 2>&1"


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


rule prepare_msrvtt:
    input:
        videos=lambda w: downloaded(w.dataset, "videos"),
        captions=lambda w: downloaded(w.dataset, "captions"),
    output:
        videos=directory("resources/{dataset}/raw/videos"),
        captions="resources/{dataset}/prepared/captions.json",
        manifest="resources/{dataset}/prepared/videos.json",
        splits=expand("resources/{{dataset}}/prepared/splits/{split}.txt", split=["train", "val", "test"]),
    log:
        "logs/{dataset}/prepare.log",
    params:
        out="resources/{dataset}/prepared",
        flags=prepare_flags,
    wildcard_constraints:
        dataset=datasets_of_kind("msrvtt"),
    threads: 1
    shell:
        "hanet msrvtt --videos-zip {input.videos} --captions-zip {input.captions} --videos-dir {output.videos} "
        "--out {params.out} {params.flags} > {log} 2>&1"


rule prepare_vatex:
    input:
        train_json=lambda w: downloaded(w.dataset, "train_captions"),
        val_json=lambda w: downloaded(w.dataset, "val_captions"),
        lists=lambda w: [downloaded(w.dataset, f"{s}_list") for s in ("train", "val", "test")],
        features_zip=lambda w: downloaded(w.dataset, "features"),
    output:
        captions="resources/{dataset}/prepared/captions.json",
        missing="resources/{dataset}/prepared/missing.txt",
        splits=expand("resources/{{dataset}}/prepared/splits/{split}.txt", split=["train", "val", "test"]),
        features="resources/{dataset}/features/i3d.h5",
    log:
        "logs/{dataset}/prepare.log",
    params:
        out="resources/{dataset}",
        split_lists=lambda w, input: str(Path(input.lists[0]).parent),
        max_frames=lambda w: dataset_cfg(w)["features"].get("max_frames", 30),
        flags=prepare_flags,
    wildcard_constraints:
        dataset=datasets_of_kind("vatex"),
    threads: 1
    shell:
        "hanet vatex --train-json {input.train_json} --val-json {input.val_json} "
        "--split-lists {params.split_lists} --features-zip {input.features_zip} --out {params.out} "
        "--max-frames {params.max_frames} {params.flags} --no-progress > {log} 2>&1"


# Our numbers next to the published ones (config/reference-results.csv, rows whose `dataset` column
# equals the dataset's kind). `hanet aggregate --reference` writes reference.{md,csv} beside the
# ablation tables; it runs here in a scratch folder (with a token bootstrap: the reference table only
# uses the per-variant means), so that these two files are declared outputs of exactly one rule.
rule reference_table:
    input:
        metrics=get_run_metrics,
        ranks=lambda w: [m.replace("metrics.json", "ranks.npz") for m in get_run_metrics(w)],
        ablation="results/{dataset}/ablation.csv",
        reference="config/reference-results.csv",
    output:
        md="results/{dataset}/reference.md",
        csv="results/{dataset}/reference.csv",
    log:
        "logs/{dataset}/reference_table.log",
    params:
        runs=lambda w, input: str(Path(input.ablation).parent),
        scratch=lambda w, output: str(Path(output.md).with_name(".reference_tmp")),
        variants=",".join(VARIANTS),
        seeds=",".join(map(str, SEEDS)),
        baseline=lambda w: comparison_flags(with_compare=False),  # defined in report.smk
        name=lambda w: dataset_cfg(w)["kind"],
    wildcard_constraints:
        dataset=real_dataset_regex(),
    threads: 1
    shell:
        "(rm -rf {params.scratch} && hanet aggregate --runs {params.runs} --out {params.scratch} "
        "--variants {params.variants} --seeds {params.seeds} {params.baseline} --bootstrap 1 "
        "--reference {input.reference} --dataset-name {params.name} "
        "&& mv {params.scratch}/reference.md {output.md} && mv {params.scratch}/reference.csv {output.csv} "
        "&& rm -rf {params.scratch}) > {log} 2>&1"
