# Per-frame features from raw videos into resources/{dataset}/features/{extractor}.h5.
# Input and flag functions (weights and --extractor-arg for MSR-VTT) live in common_real.smk.


rule extract_features:
    input:
        unpack(extract_inputs),
    output:
        "resources/{dataset}/features/{extractor}.h5",
    log:
        "logs/{dataset}/extract_{extractor}.log",
    params:
        prepared=lambda w, input: Path(input.manifest).parent,
        flags=extract_flags,
    wildcard_constraints:
        dataset=f"{datasets_of_kind('synthetic')}|{datasets_of_kind('msrvtt')}",
    conda:
        "../envs/hanet.yaml"
    threads: 1
    resources:
        gpu=lambda w: gpu_jobs(extraction_uses_gpu(w)),
    shell:
        "hanet gpu-run --count {resources.gpu} -- "
        "hanet extract --extractor {wildcards.extractor} --prepared {params.prepared} --out {output} "
        "{params.flags} > {log} 2>&1"
