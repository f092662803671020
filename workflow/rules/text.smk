# Caption parsing: tokens, POS tags, lemmas, role graphs, vocabulary and concepts.


def get_parse_inputs(wildcards):
    sect = dataset_cfg(wildcards)
    inputs = {
        "captions": f"resources/{wildcards.dataset}/prepared/captions.json",
        "splits": expand(f"resources/{wildcards.dataset}/prepared/splits/{{s}}.txt", s=["train", "val", "test"]),
    }
    if sect["kind"] == "synthetic":
        inputs["treebank"] = f"resources/{wildcards.dataset}/raw/treebank.json"
    else:
        inputs["nltk_data"] = "resources/nltk_data/hanet_nltk_data.json"  # written last by `hanet nltk-data`
    return inputs


def get_parse_flags(wildcards):
    sect = dataset_cfg(wildcards)
    if sect["kind"] == "synthetic":
        source = f"--tagger synthetic --treebank resources/{wildcards.dataset}/raw/treebank.json"
    else:
        source = "--tagger pretrained --nltk-data resources/nltk_data"
    return f"{source} {cli_flags(sect['text'])}"


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
    threads: 1
    shell:
        "hanet parse --prepared {params.prepared} --out {params.out} {params.flags} > {log} 2>&1"
