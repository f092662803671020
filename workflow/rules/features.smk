# Per-frame features from raw videos into resources/{dataset}/features/{extractor}.h5.


rule extract_features:
    input:
        manifest="resources/{dataset}/prepared/videos.json",
    output:
        "resources/{dataset}/features/{extractor}.h5",
    log:
        "logs/{dataset}/extract_{extractor}.log",
    params:
        prepared="resources/{dataset}/prepared",
        flags=lambda w: cli_flags({k: v for k, v in dataset_cfg(w)["features"].items() if k != "extractor"}),
    wildcard_constraints:
        dataset=datasets_of_kind("synthetic") + "|" + datasets_of_kind("msrvtt"),
    threads: 1
    resources:
        gpu=lambda w: 1 if config["data"][w.dataset]["kind"] == "msrvtt" else 0,
    shell:
        "hanet extract --extractor {wildcards.extractor} --prepared {params.prepared} --out {output} "
        "{params.flags} > {log} 2>&1"
