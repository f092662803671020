# Caption parsing: tokens, POS tags, lemmas, role graphs, vocabulary and concepts.


rule parse_captions:
    input:
        unpack(get_parse_inputs),
    output:
        expand("resources/{{dataset}}/text/{name}", name=TEXT_FILES),
    log:
        "logs/{dataset}/parse.log",
    params:
        prepared="resources/{dataset}/prepared",
        out="resources/{dataset}/text",
        flags=get_parse_flags,
    wildcard_constraints:
        dataset="|".join(datasets_of_kind(k) for k in ("synthetic", "msrvtt", "vatex", "folder")),  # release: text/ shipped
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet parse --prepared {params.prepared} --out {params.out} {params.flags} > {log} 2>&1"
