def comparison_flags(with_compare=True):
    """--baseline/--compare for the variants that are part of this run (a restricted set may lack them)."""
    flags = f"--baseline {config['baseline']}" if config["baseline"] in VARIANTS else f"--baseline {VARIANTS[0]}"
    if with_compare and config["compare"] in VARIANTS:
        flags += f" --compare {config['compare']}"
    return flags


# Aggregate run folders into tables and plots; captions for `snakemake --report` are in
# workflow/report/. Tables and plots are regenerated whenever any run's metrics change.


rule aggregate:
    input:
        metrics=get_run_metrics,
        ranks=lambda w: [m.replace("metrics.json", "ranks.npz") for m in get_run_metrics(w)],
    output:
        runs=report("results/{dataset}/runs.csv", caption="../report/runs.rst", category="{dataset}", subcategory="tables"),
        csv=report("results/{dataset}/ablation.csv", caption="../report/ablation.rst", category="{dataset}", subcategory="tables"),
        md="results/{dataset}/ablation.md",
        tex="results/{dataset}/ablation.tex",
    log:
        "logs/{dataset}/aggregate.log",
    params:
        runs="results/{dataset}",
        variants=",".join(VARIANTS),
        seeds=",".join(map(str, SEEDS)),
        baseline=comparison_flags(with_compare=False),
        reference=lambda w: "" if dataset_cfg(w)["kind"] == "synthetic" else
            f"--reference config/reference-results.csv --dataset-name {dataset_cfg(w)['kind']}",
    threads: 1
    shell:
        "hanet aggregate --runs {params.runs} --out {params.runs} --variants {params.variants} "
        "--seeds {params.seeds} {params.baseline} {params.reference} > {log} 2>&1"


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


rule plots:
    input:
        unpack(get_plot_inputs),
    output:
        **{
            name: report(f"results/{{dataset}}/plots/{name}.png", caption=f"../report/{name}.rst",
                         category="{dataset}", subcategory="figures")
            for name in PLOTS
        },
    log:
        "logs/{dataset}/plots.log",
    params:
        runs="results/{dataset}",
        out="results/{dataset}/plots",
        prepared="resources/{dataset}/prepared",
        variants=",".join(VARIANTS),
        pair=comparison_flags(),
    threads: 1
    shell:
        "hanet plots --runs {params.runs} --out {params.out} --variants {params.variants} {params.pair} "
        "--prepared {params.prepared} --features {input.features} > {log} 2>&1"


rule frames_figure:
    input:
        manifest="resources/{dataset}/prepared/videos.json",
        captions="resources/{dataset}/prepared/captions.json",
    output:
        report("results/{dataset}/frames.png", caption="../report/frames.rst", category="{dataset}",
               subcategory="dataset"),
    log:
        "logs/{dataset}/frames.log",
    params:
        prepared="resources/{dataset}/prepared",
    threads: 1
    shell:
        "hanet frames --prepared {params.prepared} --out {output} --num-videos 4 > {log} 2>&1"
