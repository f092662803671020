"""Verb / noun phrase chunks and the role graph of one tagged caption.

HANet (after HGR) builds its caption graph from semantic role labelling. We approximate
SRL with chunking (NLTK ``RegexpParser`` over Penn tags) and positional rules:

* an NP introduced by a preposition takes that preposition's role (``in``/``on``/``at``
  -> ARGM-LOC, ``to``/``into``/``toward`` -> ARGM-DIR, ``with`` -> ARGM-COM, ``for`` ->
  ARGM-PRP, other -> ARGM-ADV; a time noun such as "end" or "night" -> ARGM-TMP) and
  attaches to the nearest verb before it (or, failing that, after it);
* an NP directly after a verb phrase is that verb's ARG1;
* an NP followed by a verb phrase (skipping coordinated NPs and relative pronouns) is
  that verb's ARG0;
* any other NP gets role NOUN and attaches to the root.

A verb group with an infinitive ("starts to spin", "is trying to fix") is one VP chunk
whose head is its last non-auxiliary verb ("spin"); adverbs (RB, "moves left") and
particles (RP, "turns round") are never noun phrases.

Graph (docs/interfaces.md): node 0 root; then at most ``max_verbs`` verb nodes (role V),
then at most ``max_nouns`` noun nodes; edges root->verb, verb->noun and noun->verb for
attached nouns, root->noun otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from nltk.chunk import RegexpParser
from nltk.tree import Tree

GRAMMAR = r"""
NP: {<DT|PRP\$|CD>*<JJ.*|VBN|CD>*<NN.*>+}
    {<PRP|EX>}
VP: {<MD>?<VB.*>+(<TO><VB>)?<RP>?}
"""
_PARSER = RegexpParser(GRAMMAR)
PREP_ROLES = {
    "in": "ARGM-LOC", "on": "ARGM-LOC", "at": "ARGM-LOC", "inside": "ARGM-LOC", "near": "ARGM-LOC",
    "over": "ARGM-LOC", "above": "ARGM-LOC", "under": "ARGM-LOC", "below": "ARGM-LOC", "by": "ARGM-LOC",
    "behind": "ARGM-LOC", "across": "ARGM-LOC", "around": "ARGM-LOC", "outside": "ARGM-LOC",
    "to": "ARGM-DIR", "into": "ARGM-DIR", "toward": "ARGM-DIR", "towards": "ARGM-DIR", "onto": "ARGM-DIR",
    "from": "ARGM-DIR", "through": "ARGM-DIR", "along": "ARGM-DIR",
    "with": "ARGM-COM", "for": "ARGM-PRP", "like": "ARGM-MNR",
}
NON_ROLE_PREPS = {"of", "while", "before", "after", "as", "because", "if", "than", "that", "whether", "until"}
TIME_NOUNS = {"start", "beginning", "end", "night", "morning", "evening", "day", "time", "moment", "while"}
AUXILIARIES = {"be", "have", "do", "get"}


@dataclass(frozen=True)
class Chunk:
    kind: str  # "NP" or "VP"
    start: int  # token span [start, end)
    end: int


def chunk(pos: list[str]) -> list[Chunk]:
    """NP / VP chunks (token spans, in order) of a POS sequence."""
    if not pos:
        return []
    tree = _PARSER.parse([(str(i), t) for i, t in enumerate(pos)])
    out, i = [], 0
    for node in tree:
        if isinstance(node, Tree):
            n = len(node.leaves())
            out.append(Chunk(node.label(), i, i + n))
            i += n
        else:
            i += 1
    return out


def _head_verb(span: range, pos: list[str], lemmas: list[str]) -> int:
    verbs = [i for i in span if pos[i].startswith("VB")]
    main = [i for i in verbs if lemmas[i] not in AUXILIARIES]
    return (main or verbs)[-1]


def _head_noun(span: range, pos: list[str]) -> int:
    nouns = [i for i in span if pos[i].startswith("NN")]
    return nouns[-1] if nouns else span[-1]


def noun_role(np_i: int, chunks: list[Chunk], tokens: list[str], pos: list[str], lemmas: list[str]) -> tuple[str, int | None]:
    """(role, index into chunks of the governing VP or None) of the NP chunk ``chunks[np_i]``."""
    c = chunks[np_i]
    vps = [k for k, ch in enumerate(chunks) if ch.kind == "VP"]
    before = [k for k in vps if chunks[k].end <= c.start]
    after = [k for k in vps if chunks[k].start >= c.end]
    prev = c.start - 1
    if prev >= 0 and pos[prev] in ("IN", "TO") and tokens[prev] not in NON_ROLE_PREPS:
        head = lemmas[_head_noun(range(c.start, c.end), pos)]
        role = "ARGM-TMP" if head in TIME_NOUNS else PREP_ROLES.get(tokens[prev], "ARGM-ADV")
        verb = before[-1] if before else (after[0] if after else None)
        return (role, verb) if verb is not None else ("NOUN", None)
    if before and chunks[before[-1]].end == c.start:
        return "ARG1", before[-1]
    k = np_i + 1  # look right for the verb this NP is the subject of
    while k < len(chunks):
        gap = range(chunks[k - 1].end, chunks[k].start)
        if any(pos[g] not in ("CC", "WDT", "WP", ",") and tokens[g] != "that" for g in gap):
            break
        if chunks[k].kind == "VP":
            return "ARG0", k
        k += 1
    return "NOUN", None


def role_graph(tokens: list[str], pos: list[str], lemmas: list[str], max_verbs: int = 4,
               max_nouns: int = 6) -> tuple[list[dict], list[list[int]]]:
    """Nodes and directed edges of the caption's role graph."""
    chunks = chunk(pos)
    vp_ids = [k for k, c in enumerate(chunks) if c.kind == "VP"][:max_verbs]
    np_ids = [k for k, c in enumerate(chunks) if c.kind == "NP"][:max_nouns]
    nodes: list[dict] = [{"kind": "root"}]
    node_of_vp: dict[int, int] = {}
    for k in vp_ids:
        span = range(chunks[k].start, chunks[k].end)
        node_of_vp[k] = len(nodes)
        nodes.append({"kind": "verb", "role": "V", "positions": list(span), "lemma": lemmas[_head_verb(span, pos, lemmas)]})
    edges = [[0, n] for n in node_of_vp.values()]
    for k in np_ids:
        span = range(chunks[k].start, chunks[k].end)
        role, verb = noun_role(k, chunks, tokens, pos, lemmas)
        if verb not in node_of_vp:
            role, verb = "NOUN", None
        n = len(nodes)
        nodes.append({"kind": "noun", "role": role, "positions": list(span), "lemma": lemmas[_head_noun(span, pos)]})
        edges += [[node_of_vp[verb], n], [n, node_of_vp[verb]]] if verb is not None else [[0, n]]
    return nodes, edges
