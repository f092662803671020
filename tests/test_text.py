import json

import pytest

from hanet.data.synth_language import gold_tags
from hanet.errors import HanetError
from hanet.text.graph import chunk, role_graph
from hanet.text.lemmatize import rule_lemma
from hanet.text.prepare import build_concepts, parse_dataset
from hanet.text.roles import ROLES
from hanet.text.tagger import accuracy, train_tagger
from hanet.text.tokenize import tokenize


def _graph(caption):
    toks = tokenize(caption)
    tags, lemmas = gold_tags(toks)
    nodes, edges = role_graph(toks, tags, lemmas)
    return toks, nodes, edges


def test_roles_list():
    assert len(ROLES) == 16 and ROLES[0] == "V" and ROLES[-1] == "NOUN" and "ARGM-TMP" in ROLES


def test_role_graph_two_objects_with_location():
    toks, nodes, edges = _graph("The red ball jumps while a blue box moves to the left in the desert.")
    assert toks[:4] == ["the", "red", "ball", "jumps"] and toks[-1] == "."
    summary = [(n["kind"], n.get("role"), n.get("lemma"), n.get("positions")) for n in nodes]
    assert summary == [
        ("root", None, None, None),
        ("verb", "V", "jump", [3]),
        ("verb", "V", "move", [8]),
        ("noun", "ARG0", "ball", [0, 1, 2]),
        ("noun", "ARG0", "box", [5, 6, 7]),
        ("noun", "ARGM-DIR", "left", [10, 11]),
        ("noun", "ARGM-LOC", "desert", [13, 14]),
    ]
    assert edges == [[0, 1], [0, 2], [1, 3], [3, 1], [2, 4], [4, 2], [2, 5], [5, 2], [2, 6], [6, 2]]


def test_role_graph_progressive_time_and_unattached_noun():
    _, nodes, edges = _graph("a video of the green cube is spinning at the end")
    assert [(n.get("role"), n.get("lemma")) for n in nodes] == [
        (None, None), ("V", "spin"), ("NOUN", "video"), ("ARG0", "cube"), ("ARGM-TMP", "end")]
    assert nodes[1]["positions"] == [6, 7]  # "is spinning"
    assert [0, 2] in edges and [2, 1] not in edges and [1, 4] in edges


def test_role_graph_ambiguous_words():
    _, nodes, _ = _graph("the round ball moves left , then it starts to turn round")
    assert [(n.get("role"), n.get("lemma")) for n in nodes] == [
        (None, None), ("V", "move"), ("V", "turn"), ("ARG0", "ball"), ("ARG0", "it")]
    assert nodes[2]["positions"] == [8, 9, 10, 11]  # "starts to turn round": one verb group
    _, nodes, _ = _graph("a cube makes a quick jump at the end")
    assert [(n.get("role"), n.get("lemma")) for n in nodes] == [
        (None, None), ("V", "make"), ("ARG0", "cube"), ("ARG1", "jump"), ("ARGM-TMP", "end")]
    assert [c.kind for c in chunk(["VBZ", "TO", "DT", "NN"])] == ["VP", "NP"]  # "moves to the left"


def test_role_graph_limits_and_object():
    toks = "a man throws a ball then kicks a can then eats a cake then drinks tea then runs".split()
    pos = ["DT", "NN", "VBZ", "DT", "NN", "RB", "VBZ", "DT", "NN", "RB", "VBZ", "DT", "NN", "RB", "VBZ", "NN", "RB", "VBZ"]
    nodes, edges = role_graph(toks, pos, toks, max_verbs=4, max_nouns=3)
    assert [n["kind"] for n in nodes] == ["root"] + ["verb"] * 4 + ["noun"] * 3
    assert [n["role"] for n in nodes[5:]] == ["ARG0", "ARG1", "ARG1"]
    assert [1, 6] in edges and [2, 7] in edges and all(max(e) < len(nodes) for e in edges)
    assert [c.kind for c in chunk(["DT", "JJ", "NN", "VBZ", "RP"])] == ["NP", "VP"]


def test_rule_lemmas():
    assert rule_lemma("hopping", "VBG") == "hop"
    assert rule_lemma("bouncing", "VBG") == "bounce"
    assert rule_lemma("flashes", "VBZ") == "flash"
    assert rule_lemma("bigger", "JJR") == "big"
    assert rule_lemma("boxes", "NNS") == "box"


def test_tagger_heldout_accuracy_and_determinism(tiny_raw, tiny_root):
    from hanet.data.synthetic import build_treebank

    ann = json.loads((tiny_raw / "annotation.json").read_text())
    train = build_treebank(ann, "train")["sentences"]
    val = build_treebank(ann, "validate")["sentences"]
    tagger = train_tagger(train)
    acc = accuracy(tagger, val)
    assert acc["tokens"] > 100 and acc["accuracy"] > 0.97
    assert acc["ambiguous_forms"] >= 3 and acc["ambiguous_tokens"] >= 5
    assert acc["ambiguous_accuracy"] >= acc["ambiguous_majority_baseline"]
    assert {"left", "right"} <= tagger.ambiguous_forms and "ball" not in tagger.ambiguous_forms
    tiny = [{"tokens": ["to", "the", "left"], "tags": ["TO", "DT", "NN"]},
            {"tokens": ["moves", "left"], "tags": ["VBZ", "RB"]}]
    assert accuracy(tagger, tiny, ambiguous=frozenset({"left"}))["ambiguous_tokens"] == 2
    again = train_tagger(train)
    assert again.tag(val[0]["tokens"]) == tagger.tag(val[0]["tokens"])
    with pytest.raises(HanetError):
        train_tagger([])


def test_concepts_from_train_captions_only():
    parses = {"a": {"verb_lemmas": ["jump"], "noun_lemmas": ["ball"]},
              "b": {"verb_lemmas": ["jump", "spin"], "noun_lemmas": ["ball", "box"]},
              "v": {"verb_lemmas": ["zoom"], "noun_lemmas": ["valonly"]}}
    c = build_concepts(["a", "b", "b"], parses, num_verbs=5, num_nouns=1)
    assert c == {"verbs": ["jump", "spin"], "nouns": ["ball"]}


def test_parse_outputs(tiny_pipeline):
    text = tiny_pipeline["text"]
    caps = json.loads((tiny_pipeline["prepared"] / "captions.json").read_text())
    parses = json.loads((text / "parses.json").read_text())
    concepts = json.loads((text / "concepts.json").read_text())
    labels = json.loads((text / "labels.json").read_text())
    vocab = json.loads((text / "vocab.json").read_text())["words"]
    report = json.loads((text / "tagger_report.json").read_text())
    assert set(parses) == {c for cs in caps.values() for c in cs}
    assert vocab[:2] == ["<pad>", "<unk>"] and len(vocab) == len(set(vocab))
    assert len(concepts["verbs"]) <= 16 and len(concepts["nouns"]) <= 24
    assert all(len(labels[v]) == len(caps[v]) for v in caps)
    assert report["heldout_val"]["accuracy"] > 0.97
    for p in parses.values():
        assert p["nodes"][0] == {"kind": "root"}
        assert all(n["role"] in ROLES for n in p["nodes"][1:])
        kinds = [n["kind"] for n in p["nodes"][1:]]
        assert kinds == sorted(kinds, key=lambda k: k != "verb")  # verbs first, then nouns
        assert len(p["tokens"]) == len(p["pos"]) == len(p["lemmas"])


def test_val_only_word_never_becomes_concept(tiny_prepared, tmp_path):
    caps = json.loads((tiny_prepared / "captions.json").read_text())
    val = (tiny_prepared / "splits" / "val.txt").read_text().split()
    caps[val[0]][0] = "a purple ball wobbles"  # "wobble" appears in val only
    prepared = tmp_path / "prepared"
    (prepared / "splits").mkdir(parents=True)
    for s in ("train", "val", "test"):
        (prepared / "splits" / f"{s}.txt").write_text((tiny_prepared / "splits" / f"{s}.txt").read_text())
    (prepared / "captions.json").write_text(json.dumps(caps))
    treebank = tiny_prepared.parent / "treebank.json"
    parse_dataset(prepared, tmp_path / "text", "synthetic", str(treebank), num_verbs=1000, num_nouns=1000, progress=False)
    concepts = json.loads((tmp_path / "text" / "concepts.json").read_text())
    parses = json.loads((tmp_path / "text" / "parses.json").read_text())
    assert "wobble" in parses["a purple ball wobbles"]["verb_lemmas"]  # rule lemma of an unseen VBZ
    assert "wobble" not in concepts["verbs"] and len(concepts["verbs"]) > 5
    with pytest.raises(HanetError, match="--treebank"):
        parse_dataset(prepared, tmp_path / "t2", "synthetic", None, progress=False)


def test_public_concept_rule_counts_every_occurrence_and_breaks_ties_in_reverse():
    """The public concept_frequency.py: VB / NN words as written, other forms lemmatised,
    every occurrence counted, ties by (count, word) descending."""
    from hanet.text.prepare import CaptionParser

    tags = {"a": "DT", "man": "NN", "men": "NNS", "runs": "VBZ", "run": "VB", "dogs": "NNS", "and": "CC", ".": "."}
    lemma = {("men", "NNS"): "man", ("runs", "VBZ"): "run", ("dogs", "NNS"): "dog"}

    class Tagger:
        def tag(self, tokens):
            return [(t, tags[t]) for t in tokens]

    parser = CaptionParser(Tagger(), lambda w, t: lemma.get((w, t), w), frozenset({"a", "and"}), concept_rule="public")
    parse = parser("a man and men run dogs .")
    assert parse["noun_lemmas"] == ["man", "man", "dog"] and parse["verb_lemmas"] == ["run"]
    parses = {"c1": {"verb_lemmas": ["run", "jump"], "noun_lemmas": ["man", "man", "dog"]},
              "c2": {"verb_lemmas": ["jump"], "noun_lemmas": ["cat", "dog"]}}
    public = build_concepts(["c1", "c2"], parses, 5, 5, rule="public")
    assert public == {"verbs": ["jump", "run"], "nouns": ["man", "dog", "cat"]}  # man 2 = dog 2: 'man' > 'dog'
    project = build_concepts(["c1", "c2"], {k: {f: list(dict.fromkeys(v)) for f, v in p.items()}
                                            for k, p in parses.items()}, 5, 5)
    assert project == {"verbs": ["jump", "run"], "nouns": ["dog", "cat", "man"]}  # dog in 2 captions, man in 1
