# Acquire and prepare datasets into resources/{dataset}/prepared/ (splits, captions.json,
# videos.json). The synthetic dataset is generated offline; real datasets are downloaded.


rule synthesize:
    output:
        annotation="resources/{dataset}/raw/annotation.json",
        treebank="resources/{dataset}/raw/treebank.json",
        videos=directory("resources/{dataset}/raw/videos"),
    log:
        "logs/{dataset}/synthesize.log",
    params:
        out=lambda w, output: Path(output.annotation).parent,
        flags=lambda w: cli_flags(dataset_cfg(w)["synth"]),
    wildcard_constraints:
        dataset=datasets_of_kind("synthetic"),
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet synth --out {params.out} --treebank {output.treebank} {params.flags} "
        "> {log} 2>&1"


rule prepare_msrvtt_format:
    input:
        annotation="resources/{dataset}/raw/annotation.json",
        videos="resources/{dataset}/raw/videos",
    output:
        captions="resources/{dataset}/prepared/captions.json",
        manifest="resources/{dataset}/prepared/videos.json",
        splits=expand("resources/{{dataset}}/prepared/splits/{split}.txt", split=["train", "val", "test"]),
    log:
        "logs/{dataset}/prepare.log",
    params:
        out=lambda w, output: Path(output.captions).parent,
    wildcard_constraints:
        dataset=datasets_of_kind("synthetic"),
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet prepare --annotation {input.annotation} --videos-dir {input.videos} --out {params.out} > {log} 2>&1"


rule synth_phenomena:
    input:
        annotation="resources/{dataset}/raw/annotation.json",
    output:
        "resources/{dataset}/prepared/phenomena.json",
    log:
        "logs/{dataset}/phenomena.log",
    wildcard_constraints:
        dataset=datasets_of_kind("synthetic"),
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet phenomena --annotation {input.annotation} --out {output} > {log} 2>&1"


# Your own data (kind `folder`): features.h5 + captions.json + splits/ from config `folder` (README,
# "Your own data"); the captions are parsed by parse_captions like any other dataset's.
def folder_inputs(wildcards):
    src = dataset_cfg(wildcards)["folder"]
    return {"features": f"{src}/features.h5", "captions": f"{src}/captions.json",
            "splits": expand(f"{src}/splits/{{s}}.txt", s=["train", "val", "test"])}


rule prepare_folder:
    input:
        unpack(folder_inputs),
    output:
        captions="resources/{dataset}/prepared/captions.json",
        splits=expand("resources/{{dataset}}/prepared/splits/{split}.txt", split=["train", "val", "test"]),
    log:
        "logs/{dataset}/prepare_folder.log",
    params:
        src=lambda w: dataset_cfg(w)["folder"],
        out="resources/{dataset}",
        extractor=lambda w: dataset_cfg(w)["features"]["extractor"],
    wildcard_constraints:
        dataset=datasets_of_kind("folder"),
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet folder --src {params.src} --out {params.out} --extractor {params.extractor} --only prepared > {log} 2>&1"


rule folder_features:
    input:
        unpack(folder_inputs),
    output:
        "resources/{dataset}/features/{extractor}.h5",
    log:
        "logs/{dataset}/folder_{extractor}.log",
    params:
        src=lambda w: dataset_cfg(w)["folder"],
        out="resources/{dataset}",
    wildcard_constraints:
        dataset=datasets_of_kind("folder"),
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet folder --src {params.src} --out {params.out} --extractor {wildcards.extractor} --only features > {log} 2>&1"
