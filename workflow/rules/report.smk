# Aggregate run folders into tables and plots; captions for `snakemake --report` are in
# workflow/report/. Tables and plots are regenerated whenever any run's metrics change.


rule aggregate:
    input:
        metrics=get_run_metrics,
        ranks=lambda w: [m.replace("metrics.json", "ranks.npz") for m in get_run_metrics(w)],
    output:
        runs=report("results/{dataset}/runs.csv", caption="../report/runs.rst", category="{dataset}", subcategory="tables"),
        csv=report("results/{dataset}/ablation.csv", caption="../report/ablation.rst", category="{dataset}", subcategory="tables"),
        md=report("results/{dataset}/ablation.md", caption="../report/ablation_md.rst", category="{dataset}", subcategory="tables"),
        tex="results/{dataset}/ablation.tex",
        pairs=report("results/{dataset}/ablation_pairs.csv", caption="../report/ablation_pairs.rst", category="{dataset}",
                     subcategory="tables"),
    log:
        "logs/{dataset}/aggregate.log",
    params:
        runs=lambda w, output: Path(output.runs).parent,
        variants=",".join(VARIANTS),
        seeds=",".join(map(str, SEEDS)),
        baseline=comparison_flags(with_compare=False),
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet aggregate --runs {params.runs} --out {params.runs} --variants {params.variants} "
        "--seeds {params.seeds} {params.baseline} > {log} 2>&1"


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
        runs=lambda w, output: Path(output.recall).parent.parent,
        out=lambda w, output: Path(output.recall).parent,
        prepared=lambda w, input: Path(input.captions).parent,
        variants=",".join(VARIANTS),
        pair=comparison_flags(),
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet plots --runs {params.runs} --out {params.out} --variants {params.variants} {params.pair} "
        "--prepared {params.prepared} --features {input.features} > {log} 2>&1"


rule slices:
    input:
        metrics=get_run_metrics,
        ranks=lambda w: [m.replace("metrics.json", "ranks.npz") for m in get_run_metrics(w)],
        phenomena="resources/{dataset}/prepared/phenomena.json",
    output:
        md=report("results/{dataset}/slices.md", caption="../report/slices_md.rst", category="{dataset}",
                  subcategory="tables"),
        csv="results/{dataset}/slices.csv",
        twins="results/{dataset}/twins.csv",
        png=report("results/{dataset}/plots/slices.png", caption="../report/slices.rst", category="{dataset}",
                   subcategory="figures"),
    log:
        "logs/{dataset}/slices.log",
    params:
        runs=lambda w, output: Path(output.md).parent,
        variants=",".join(VARIANTS),
        seeds=",".join(map(str, SEEDS)),
        baseline=comparison_flags(with_compare=False),
    wildcard_constraints:
        dataset=datasets_of_kind("synthetic"),
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet slices --runs {params.runs} --phenomena {input.phenomena} --out {params.runs} "
        "--variants {params.variants} --seeds {params.seeds} {params.baseline} > {log} 2>&1"


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
        prepared=lambda w, input: Path(input.manifest).parent,
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet frames --prepared {params.prepared} --out {output} --num-videos 4 > {log} 2>&1"
