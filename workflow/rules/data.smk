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
