# The authors' release (kind `release`): their annotations, role graphs, concept labels, split and frame
# features, read by `hanet release` into prepared/, features/release.h5 and text/ at once (no parsing, no
# extraction). The folder is checked when the workflow is parsed: a missing or incomplete release stops
# Snakemake before any job, listing the missing files and where the authors publish them.

from hanet.data.release import missing_files, missing_message, release_paths


def release_datasets():
    return [name for name in config["datasets"] if config["data"][name]["kind"] == "release"]


for _name in release_datasets():
    _rel = config["data"][_name]["release"]
    _missing = missing_files(_rel["dataset"], _rel["folder"], _rel.get("paths"))
    if _missing:
        raise WorkflowError(missing_message(_name, _rel["dataset"], _rel["folder"], _missing))


def release_inputs(wildcards):
    """The release files that exist (int2word.npy is optional), plus train.init_from to check it."""
    rel = dataset_cfg(wildcards)["release"]
    inputs = {key: str(p) for key, p in release_paths(rel["dataset"], rel["folder"], rel.get("paths")).items()
              if p.is_file()}
    init = dataset_cfg(wildcards).get("train", {}).get("init_from")
    if init:
        inputs["glove"] = init
    return inputs


def release_flags(wildcards):
    sect = dataset_cfg(wildcards)
    rel = sect["release"]
    flags = [f"--dataset {rel['dataset']}", f"--folder {shlex.quote(rel['folder'])}",
             f"--max-frames {sect['features'].get('max_frames', 20)}", cli_flags(
                 {k: v for k, v in sect["text"].items() if k in ("num_verbs", "num_nouns")}),
             f"--lock {shlex.quote(rel.get('lock', 'config/release.lock.json'))}", f"--name {wildcards.dataset}"]
    flags += [f"--path {shlex.quote(f'{k}={v}')}" for k, v in (rel.get("paths") or {}).items()]
    if sect.get("train", {}).get("init_from"):
        flags.append(f"--glove {shlex.quote(sect['train']['init_from'])}")
        if rel.get("glove_git_blob"):
            flags.append(f"--glove-git-blob {rel['glove_git_blob']}")
    return " ".join(flags)


rule release:
    input:
        unpack(release_inputs),
    output:
        captions="resources/{dataset}/prepared/captions.json",
        splits=expand("resources/{{dataset}}/prepared/splits/{split}.txt", split=["train", "val", "test"]),
        features="resources/{dataset}/features/release.h5",
        text=expand("resources/{{dataset}}/text/{name}", name=TEXT_FILES + ["video_concepts.json"]),
    log:
        "logs/{dataset}/release.log",
    params:
        out="resources/{dataset}",
        flags=release_flags,
    wildcard_constraints:
        dataset=datasets_of_kind("release"),
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet release {params.flags} --out {params.out} --extractor release > {log} 2>&1"
