# Evaluate the best-on-validation checkpoint on the test split.


rule evaluate:
    input:
        checkpoint="results/{dataset}/{variant}/seed{seed}/best.pt",
        features=get_features,
        text=get_text,
        split="resources/{dataset}/prepared/splits/test.txt",
        phenomena=get_phenomena,
    output:
        metrics="results/{dataset}/{variant}/seed{seed}/metrics.json",
        ranks="results/{dataset}/{variant}/seed{seed}/ranks.npz",
        examples="results/{dataset}/{variant}/seed{seed}/examples.json",
    log:
        "logs/{dataset}/{variant}/seed{seed}/evaluate.log",
    params:
        data=lambda w, input: Path(input.split).parents[2],
        out=lambda w, output: Path(output.metrics).parent,
        device=config["device"],
        phenomena=lambda w, input: f"--phenomena {input.phenomena}" if input.phenomena else "",
    conda:
        "../envs/hanet.yaml"
    threads: lambda w: config["train_threads"]
    resources:
        gpu=gpu_jobs(),
    shell:
        "hanet gpu-run --count {resources.gpu} --device {params.device} -- "
        "hanet evaluate --checkpoint {input.checkpoint} --data {params.data} --features {input.features} "
        "--split test --out-dir {params.out} --device {params.device} --threads {threads} {params.phenomena} > {log} 2>&1"
