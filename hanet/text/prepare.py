"""`hanet parse`: prepared captions -> text/ (parses, vocabulary, concepts, labels).

Writes (docs/interfaces.md): ``vocab.json`` (train captions), ``parses.json`` (one parse
per unique caption), ``concepts.json`` (top-K verb / noun words of TRAIN captions only, by
``--concept-rule``), ``labels.json`` (concept indices per caption) and ``tagger_report.json``.

Concept rules: ``project`` counts each lemma once per caption and breaks ties alphabetically;
``public`` follows the public HANet's ``data/concept_frequency.py``: every occurrence counts,
a VB / NN word is kept as written and other verb / noun forms are lemmatised, and ties go by
(count, word) descending.

Taggers: ``synthetic`` trains NLTK's perceptron on ``--treebank`` (gold train captions)
and lemmatizes from the treebank's lemma table; ``pretrained`` uses NLTK's tagger and
WordNet from ``--nltk-data`` (falling back to suffix rules when WordNet is absent).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from hanet.data.checks import check_prepared
from hanet.errors import HanetError
from hanet.io import read_json, read_lines, write_json
from hanet.text.graph import role_graph
from hanet.text.lemmatize import make_lemmatizer
from hanet.text.stopwords import stop_words
from hanet.text.tagger import accuracy, pretrained_tagger, tag, train_tagger
from hanet.text.tokenize import tokenize

CONCEPT_RULES = ("project", "public")
PUNCTUATION = frozenset(",.:;?()[]&!*@#$%")  # the public concept_frequency.py's list


class CaptionParser:
    """tokens -> tags -> lemmas -> role graph, plus concept candidates."""

    def __init__(self, tagger, lemmatizer, stops: frozenset[str], max_verbs: int = 4, max_nouns: int = 6,
                 concept_rule: str = "project") -> None:
        if concept_rule not in CONCEPT_RULES:
            raise HanetError(f"parse: unknown concept rule {concept_rule!r} (one of {', '.join(CONCEPT_RULES)})")
        self.tagger, self.lemmatizer, self.stops = tagger, lemmatizer, stops
        self.max_verbs, self.max_nouns, self.concept_rule = max_verbs, max_nouns, concept_rule

    def __call__(self, caption: str) -> dict:
        tokens = tokenize(caption)
        pos = tag(self.tagger, tokens)
        lemmas = [self.lemmatizer(w, t) for w, t in zip(tokens, pos)]
        nodes, edges = role_graph(tokens, pos, lemmas, self.max_verbs, self.max_nouns)

        def candidates(prefix: str) -> list[str]:
            if self.concept_rule == "public":  # every occurrence; VB / NN as written, other forms lemmatised
                return [w if t == prefix else lem for w, t, lem in zip(tokens, pos, lemmas)
                        if t.startswith(prefix) and w not in self.stops and w not in PUNCTUATION]
            seen = [lem for lem, t in zip(lemmas, pos) if t.startswith(prefix) and lem not in self.stops and lem.isalpha()]
            return list(dict.fromkeys(seen))

        return {"tokens": tokens, "pos": pos, "lemmas": lemmas, "nodes": nodes, "edges": edges,
                "verb_lemmas": candidates("VB"), "noun_lemmas": candidates("NN")}


def build_vocab(train_captions: list[str], parses: dict[str, dict], min_count: int = 1) -> list[str]:
    """["<pad>", "<unk>", words of train captions by frequency desc, then alphabetically]."""
    counts = Counter(t for c in train_captions for t in parses[c]["tokens"])
    words = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
    return ["<pad>", "<unk>"] + words


def build_concepts(train_captions: list[str], parses: dict[str, dict], num_verbs: int, num_nouns: int,
                   rule: str = "project") -> dict:
    """Top-K verb and noun words over TRAIN captions (one entry per caption occurrence).
    project: each caption counts a lemma once, ties alphabetical; public: every occurrence
    counts, ties by (count, word) descending."""
    out = {}
    for key, field, k in (("verbs", "verb_lemmas", num_verbs), ("nouns", "noun_lemmas", num_nouns)):
        if rule == "public":
            counts = Counter(w for c in train_captions for w in parses[c][field])
            out[key] = sorted(counts, key=lambda w: (counts[w], w), reverse=True)[:k]
        else:
            counts = Counter(lem for c in train_captions for lem in set(parses[c][field]))
            out[key] = sorted(counts, key=lambda w: (-counts[w], w))[:k]
    return out


def build_labels(captions: dict[str, list[str]], parses: dict[str, dict], concepts: dict) -> dict:
    index = {key: {w: i for i, w in enumerate(concepts[key])} for key in ("verbs", "nouns")}
    return {vid: [{"verbs": sorted({index["verbs"][w] for w in parses[c]["verb_lemmas"] if w in index["verbs"]}),
                   "nouns": sorted({index["nouns"][w] for w in parses[c]["noun_lemmas"] if w in index["nouns"]})}
                  for c in caps] for vid, caps in captions.items()}


def parse_dataset(prepared: str | Path, out: str | Path, tagger: str = "synthetic", treebank: str | None = None,
                  nltk_data: str | None = None, num_verbs: int = 512, num_nouns: int = 1024, max_verbs: int = 4,
                  max_nouns: int = 6, progress: bool = True, min_count: int = 1, concept_rule: str = "project") -> dict:
    """Parse every unique caption of ``prepared/`` and write ``out/``; return the tagger report."""
    prepared, out = Path(prepared), Path(out)
    captions: dict[str, list[str]] = read_json(prepared / "captions.json")
    splits = {s: read_lines(prepared / "splits" / f"{s}.txt") for s in ("train", "val", "test")}
    check_prepared(captions, splits, prepared)  # duplicate / shared ids, missing or empty captions
    report: dict = {"tagger": tagger, "concept_rule": concept_rule}
    if tagger == "synthetic":
        if not treebank:
            raise HanetError("parse: --tagger synthetic needs --treebank (from `hanet treebank`)")
        sentences = read_json(treebank).get("sentences", [])
        pos_tagger = train_tagger(sentences)
        lemmatizer = make_lemmatizer("table", sentences)
        report["treebank_sentences"] = len(sentences)
    elif tagger == "pretrained":
        pos_tagger = pretrained_tagger(nltk_data)
        lemmatizer = make_lemmatizer("auto", nltk_data=nltk_data)
    else:
        raise HanetError(f"parse: unknown tagger {tagger!r} (synthetic or pretrained)")
    report["lemmatizer"] = lemmatizer.name
    parser = CaptionParser(pos_tagger, lemmatizer, stop_words(nltk_data), max_verbs, max_nouns, concept_rule)
    unique = list(dict.fromkeys(c for caps in captions.values() for c in caps))
    parses = {c: parser(c) for c in tqdm(unique, desc="parse", disable=not progress)}

    train_caps = [c for v in splits["train"] for c in captions[v]]
    concepts = build_concepts(train_caps, parses, num_verbs, num_nouns, concept_rule)
    if tagger == "synthetic":  # held-out accuracy against the generator's gold tags
        from hanet.data.synth_language import gold_tags

        val = []
        for c in dict.fromkeys(c for v in splits["val"] for c in captions[v]):
            toks = tokenize(c)
            try:
                val.append({"tokens": toks, "tags": gold_tags(toks)[0]})
            except KeyError:
                continue
        report["heldout_val"] = accuracy(pos_tagger, val)
    write_json(out / "parses.json", parses, indent=None)
    write_json(out / "vocab.json", {"words": build_vocab(train_caps, parses, min_count)})
    write_json(out / "concepts.json", concepts)
    write_json(out / "labels.json", build_labels(captions, parses, concepts), indent=None)
    report.update(unique_captions=len(unique), num_verb_concepts=len(concepts["verbs"]),
                  num_noun_concepts=len(concepts["nouns"]))
    write_json(out / "tagger_report.json", report)
    return report


def cli(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="hanet parse", description=__doc__.split("\n\n")[0])
    p.add_argument("--prepared", required=True)
    p.add_argument("--out", required=True, help="text/ folder")
    p.add_argument("--tagger", choices=("synthetic", "pretrained"), default="synthetic")
    p.add_argument("--treebank", help="gold treebank JSON (synthetic tagger)")
    p.add_argument("--nltk-data", help="NLTK data folder (pretrained tagger, WordNet, stop words)")
    p.add_argument("--num-verbs", type=int, default=512)
    p.add_argument("--num-nouns", type=int, default=1024)
    p.add_argument("--max-verb-nodes", type=int, default=4)
    p.add_argument("--max-noun-nodes", type=int, default=6)
    p.add_argument("--min-count", type=int, default=1,
                   help="keep words seen at least this often in train captions (others map to <unk>)")
    p.add_argument("--concept-rule", choices=CONCEPT_RULES, default="project",
                   help="how concept words are counted: project (once per caption) or public (HANet's own rule)")
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    report = parse_dataset(a.prepared, a.out, a.tagger, a.treebank, a.nltk_data, a.num_verbs, a.num_nouns,
                           a.max_verb_nodes, a.max_noun_nodes, progress=not a.no_progress, min_count=a.min_count,
                           concept_rule=a.concept_rule)
    if "heldout_val" in report:
        r = report["heldout_val"]
        print(f"tagger accuracy on held-out val captions: {r['accuracy']:.4f} ({r['tokens']} tokens)")
        if r.get("ambiguous_tokens"):
            print(f"  on ambiguous word forms ({r['ambiguous_forms']} forms): {r['ambiguous_accuracy']:.4f} "
                  f"({r['ambiguous_tokens']} tokens; majority-tag baseline {r['ambiguous_majority_baseline']:.4f})")
    print(f"{report['unique_captions']} unique captions parsed -> {a.out}")
