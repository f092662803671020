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


def glove_datasets():
    """Rebuilt real datasets that initialise word embeddings from a downloaded GloVe file."""
    return [name for name in config["datasets"] if config["data"][name]["kind"] in ("msrvtt", "vatex")
            and "glove" in config["data"][name].get("download", {})]


rule glove_init:
    input:
        glove=lambda w: downloaded(w.dataset, "glove"),
        vocab="resources/{dataset}/text/vocab.json",
    output:
        "resources/{dataset}/text/glove_init.th",
    log:
        "logs/{dataset}/glove.log",
    wildcard_constraints:
        dataset="|".join(glove_datasets()) or "(?!)",
    conda:
        "../envs/hanet.yaml"
    threads: 1
    shell:
        "hanet glove --glove {input.glove} --vocab {input.vocab} --out {output} > {log} 2>&1"
