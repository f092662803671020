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


# Jobs that need the network run where Snakemake runs, never on cluster nodes (often offline):
# `localrules: download_dataset_file, download_weights, nltk_data` (NETWORK_RULES, common_gpu.smk).
workflow.localrules(*NETWORK_RULES)


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
    conda:
        "../envs/hanet.yaml"
    threads: 1
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
    wildcard_constraints:
        file=_file_regex(_weights_downloads()),
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet download {params.flags} --out {output} --lock {params.lock} --no-progress > {log} 2>&1"


rule nltk_data:
    output:
        NLTK_MARKER,
    log:
        "logs/nltk_data.log",
    params:
        out=lambda w, output: str(Path(output[0]).parent),
        lock=CHECKSUM_LOCK,
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet nltk-data --out {params.out} --lock {params.lock} --no-progress > {log} 2>&1"


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
    conda:
        "../envs/hanet.yaml"
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
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet vatex --train-json {input.train_json} --val-json {input.val_json} "
        "--split-lists {params.split_lists} --features-zip {input.features_zip} --out {params.out} "
        "--max-frames {params.max_frames} {params.flags} > {log} 2>&1"


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
        md=report("results/{dataset}/reference.md", caption="../report/reference.rst", category="{dataset}",
                  subcategory="tables"),
        csv="results/{dataset}/reference.csv",
    log:
        "logs/{dataset}/reference_table.log",
    params:
        runs=lambda w, input: str(Path(input.ablation).parent),
        scratch=lambda w, output: str(Path(output.md).with_name(".reference_tmp")),
        variants=",".join(VARIANTS),
        seeds=",".join(map(str, SEEDS)),
        baseline=lambda w: comparison_flags(with_compare=False),  # defined in report.smk
        name=published_name,
        recipe=lambda w: shlex.quote(recipe_of(w)),
    wildcard_constraints:
        dataset=real_dataset_regex(),
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "(rm -rf {params.scratch} && hanet aggregate --runs {params.runs} --out {params.scratch} "
        "--variants {params.variants} --seeds {params.seeds} {params.baseline} --bootstrap 1 "
        "--reference {input.reference} --dataset-name {params.name} --recipe {params.recipe} "
        "&& mv {params.scratch}/reference.md {output.md} && mv {params.scratch}/reference.csv {output.csv} "
        "&& rm -rf {params.scratch}) > {log} 2>&1"
