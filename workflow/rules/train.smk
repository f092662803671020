# Train one variant (ablation file) with one seed. The ablation file is an input, so editing it
# re-runs only that variant; the dataset's overrides are a param, so editing them re-runs the dataset.


rule train:
    input:
        features=get_features,
        text=get_text,
        splits=expand("resources/{{dataset}}/prepared/splits/{split}.txt", split=["train", "val"]),
        ablation="ablations/{variant}.yaml",
        init_from=lambda w: dataset_cfg(w).get("train", {}).get("init_from") or [],  # e.g. the authors' GloVe
    output:
        checkpoint="results/{dataset}/{variant}/seed{seed}/best.pt",
        log_csv="results/{dataset}/{variant}/seed{seed}/train_log.csv",
        config="results/{dataset}/{variant}/seed{seed}/config.yaml",
    log:
        "logs/{dataset}/{variant}/seed{seed}/train.log",
    params:
        data=lambda w, input: Path(input.splits[0]).parents[2],
        overrides=get_overrides,
        out=lambda w, output: Path(output.checkpoint).parent,
        device=config["device"],
    conda:
        "../envs/hanet.yaml"
    threads: lambda w: config["train_threads"]
    resources:
        gpu=gpu_jobs(),
    shell:
        "hanet gpu-run --count {resources.gpu} --device {params.device} -- "
        "hanet train --data {params.data} --features {input.features} --ablation {input.ablation} "
        "--overrides {params.overrides:q} --seed {wildcards.seed} --out-dir {params.out} "
        "--device {params.device} --threads {threads} > {log} 2>&1"


# Not part of `all`: the study that chose a dataset's train.epochs from the baseline variant's
# validation curves alone (hanet/results/budget.py; README "Training budget"):
#   snakemake --cores all results/synth/budget/budget.md
rule training_budget:
    input:
        features=get_features,
        text=get_text,
        splits=expand("resources/{{dataset}}/prepared/splits/{split}.txt", split=["train", "val"]),
        ablation=f"ablations/{config['baseline']}.yaml",
    output:
        md="results/{dataset}/budget/budget.md",
        csv="results/{dataset}/budget/budget.csv",
        png="results/{dataset}/budget/budget.png",
    log:
        "logs/{dataset}/budget.log",
    params:
        data=lambda w, input: Path(input.splits[0]).parents[2],
        overrides=get_overrides,
        seeds=",".join(map(str, SEEDS)),
        out=lambda w, output: Path(output.md).parent,
    threads: workflow.cores
    shell:
        "hanet budget --data {params.data} --features {input.features} --ablation {input.ablation} "
        "--overrides {params.overrides:q} --seeds {params.seeds} --jobs {threads} --out {params.out} > {log} 2>&1"
