"""The synthetic captions: a small English grammar with synonyms and varied structure.

Most words have one Penn Treebank tag and one lemma (:data:`LEXICON`); a few word forms
are lexically ambiguous and take their tag from context (:data:`AMBIGUOUS`): "left" /
"right" are nouns in "to the left" but adverbs in "moves left"; "round" is an adjective in
"a round ball" but a particle in "turns round"; action words are nouns in "makes a quick
jump" / "does a spin", infinitives (VB) in "starts to jump" and VBP elsewhere. The grammar
is small enough that :func:`gold_tags` resolves them by the previous token, so gold tags
and lemmas still follow from a caption's tokens. ``ambiguity`` (default :data:`AMBIGUITY`)
is the probability of each ambiguous construction; 0 gives the unambiguous language with
exactly the same random draws as before it existed. A caption describes a subset of a clip: one or two of its acting
objects, one or both of an object's actions (``"... and then ..."``), temporal modifiers
for actions confined to part of the clip, and sometimes the scene. Distractor objects
are never mentioned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hanet.data.synth_world import Clip, Obj, Segment

NOUNS = {
    "circle": ("ball", "circle", "disc", "sphere"),
    "square": ("square", "box", "block", "cube"),
    "triangle": ("triangle", "pyramid", "wedge"),
    "diamond": ("diamond", "rhombus", "gem"),
}
SIZE_WORDS = {"small": ("small", "little", "tiny"), "big": ("big", "large", "huge")}
SCENE_PHRASES = {
    "grass": ("on the grass", "on a lawn", "in a field"),
    "sky": ("in the sky", "high in the air"),
    "night": ("at night", "in the dark"),
    "desert": ("in the desert", "on the sand"),
    "room": ("in a room", "indoors"),
    "ocean": ("over the sea", "above the water", "by the ocean"),
}
# verb lemma -> (VBZ, VBG, VBP); each action -> list of (lemma, complement words)
VERB_FORMS = {
    "move": ("moves", "moving", "move"), "slide": ("slides", "sliding", "slide"),
    "go": ("goes", "going", "go"), "rise": ("rises", "rising", "rise"), "float": ("floats", "floating", "float"),
    "fall": ("falls", "falling", "fall"), "sink": ("sinks", "sinking", "sink"), "drop": ("drops", "dropping", "drop"),
    "jump": ("jumps", "jumping", "jump"), "bounce": ("bounces", "bouncing", "bounce"), "hop": ("hops", "hopping", "hop"),
    "spin": ("spins", "spinning", "spin"), "rotate": ("rotates", "rotating", "rotate"), "turn": ("turns", "turning", "turn"),
    "grow": ("grows", "growing", "grow"), "expand": ("expands", "expanding", "expand"), "get": ("gets", "getting", "get"),
    "shrink": ("shrinks", "shrinking", "shrink"), "contract": ("contracts", "contracting", "contract"),
    "blink": ("blinks", "blinking", "blink"), "flash": ("flashes", "flashing", "flash"),
    "flicker": ("flickers", "flickering", "flicker"), "show": ("shows", "showing", "show"),
}
ACTION_PHRASES = {
    "left": [("move", "to the left"), ("slide", "to the left"), ("go", "to the left")],
    "right": [("move", "to the right"), ("slide", "to the right"), ("go", "to the right")],
    "up": [("move", "up"), ("rise", ""), ("float", "up"), ("go", "up")],
    "down": [("move", "down"), ("fall", ""), ("sink", ""), ("drop", "")],
    "jump": [("jump", ""), ("bounce", ""), ("hop", "")],
    "spin": [("spin", ""), ("rotate", ""), ("turn", "around")],
    "grow": [("grow", ""), ("expand", ""), ("get", "bigger")],
    "shrink": [("shrink", ""), ("contract", ""), ("get", "smaller")],
    "blink": [("blink", ""), ("flash", ""), ("flicker", "")],
}
# ambiguous constructions: light verb + action noun, aspectual verb + infinitive
NOUN_ACTIONS = {
    "jump": [("makes", "jump"), ("does", "hop"), ("makes", "bounce")],
    "spin": [("does", "spin"), ("makes", "turn")],
    "blink": [("gives", "flash"), ("gives", "blink"), ("gives", "flicker")],
}
ACTION_ADJECTIVES = ("quick", "short", "sudden", "little")
ASPECT_VERBS = ("starts", "begins")
AMBIGUITY = 0.3
EARLY = ("at the start", "at the beginning", "at first")
LATE = ("at the end", "later", "in the end")

LEXICON: dict[str, tuple[str, str]] = {}  # word -> (Penn tag, lemma)
for _words in NOUNS.values():
    LEXICON.update({w: ("NN", w) for w in _words})
for _c in ("red", "green", "blue", "yellow", "purple", "white", "small", "little", "tiny", "big", "large", "huge"):
    LEXICON[_c] = ("JJ", _c)
for _lemma, (_z, _g, _p) in VERB_FORMS.items():
    LEXICON.update({_z: ("VBZ", _lemma), _g: ("VBG", _lemma), _p: ("VBP", _lemma)})
LEXICON.update({
    "a": ("DT", "a"), "the": ("DT", "the"), "to": ("TO", "to"), "of": ("IN", "of"), "on": ("IN", "on"),
    "in": ("IN", "in"), "at": ("IN", "at"), "over": ("IN", "over"), "above": ("IN", "above"), "by": ("IN", "by"),
    "while": ("IN", "while"), "before": ("IN", "before"), "and": ("CC", "and"), "then": ("RB", "then"),
    "later": ("RB", "later"), "first": ("RB", "first"), "indoors": ("RB", "indoors"), "high": ("RB", "high"),
    "up": ("RP", "up"), "down": ("RP", "down"), "around": ("RP", "around"), "it": ("PRP", "it"),
    "is": ("VBZ", "be"), "bigger": ("JJR", "big"), "smaller": ("JJR", "small"), ",": (",", ","), ".": (".", "."),
    "left": ("NN", "left"), "right": ("NN", "right"), "start": ("NN", "start"), "beginning": ("NN", "beginning"),
    "end": ("NN", "end"), "video": ("NN", "video"), "clip": ("NN", "clip"), "grass": ("NN", "grass"),
    "lawn": ("NN", "lawn"), "field": ("NN", "field"), "sky": ("NN", "sky"), "air": ("NN", "air"),
    "night": ("NN", "night"), "dark": ("NN", "dark"), "desert": ("NN", "desert"), "sand": ("NN", "sand"),
    "room": ("NN", "room"), "sea": ("NN", "sea"), "water": ("NN", "water"), "ocean": ("NN", "ocean"),
    "makes": ("VBZ", "make"), "does": ("VBZ", "do"), "gives": ("VBZ", "give"), "starts": ("VBZ", "start"),
    "begins": ("VBZ", "begin"), "quick": ("JJ", "quick"), "short": ("JJ", "short"), "sudden": ("JJ", "sudden"),
    "round": ("JJ", "round"),
})
_BASE_VERBS = {f[2] for f in VERB_FORMS.values()}
# word form -> tags it takes in context (see gold_tags); every other word has its LEXICON tag only
AMBIGUOUS: dict[str, tuple[str, ...]] = {"left": ("NN", "RB"), "right": ("NN", "RB"), "round": ("JJ", "RP")}
AMBIGUOUS.update({w: ("NN", "VB") for _opts in NOUN_ACTIONS.values() for _, w in _opts})


def gold_tags(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Penn tags and lemmas of a tokenized synthetic caption; KeyError names an unknown word.

    Ambiguous forms are resolved by the previous token, which decides them in this grammar:
    "left"/"right" NN after a determiner ("to the left"), else RB ("moves left"); "round" RP
    after a verb ("turns round"), else JJ ("a round ball"); a verb's base form NN after a
    determiner or adjective ("a quick spin"), VB after "to" ("starts to spin"), else VBP.
    """
    tags, lemmas = [], []
    for i, t in enumerate(tokens):
        tag, lemma = LEXICON[t]
        prev_tok, prev_tag = (tokens[i - 1], tags[-1]) if i else ("", "")
        if t in ("left", "right"):
            tag = "NN" if prev_tag == "DT" else "RB"
        elif t == "round":
            tag = "RP" if prev_tag.startswith("VB") else "JJ"
        elif t in _BASE_VERBS:
            tag = "NN" if prev_tag in ("DT", "JJ") else "VB" if prev_tok == "to" else "VBP"
        tags.append(tag)
        lemmas.append(lemma)
    return tags, lemmas


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _amb(rng: np.random.Generator, p: float) -> bool:
    """True with probability ``p``; draws nothing when ``p`` is 0 (the unambiguous language)."""
    return p > 0 and rng.random() < p


def noun_phrase(rng: np.random.Generator, obj: Obj, amb: float = 0.0) -> list[str]:
    words = [_pick(rng, ("a", "the"))]
    if rng.random() < 0.35:
        words.append(_pick(rng, SIZE_WORDS[obj.size]))
    if obj.shape == "circle" and _amb(rng, amb / 2):
        words.append("round")
    if rng.random() < 0.92:
        words.append(obj.colour)
    return words + [_pick(rng, NOUNS[obj.shape])]


def verb_phrase(rng: np.random.Generator, seg: Segment, form: int, amb: float = 0.0) -> list[str]:
    """form: 0 VBZ ("jumps"), 1 VBG ("jumping"), 2 VBP ("jump").

    With probability ``amb`` each, a VBZ phrase becomes "makes a (quick) jump" (for actions
    in NOUN_ACTIONS) or "starts to jump"; "to the left" becomes "left"; "around" "round".
    """
    if form == 0 and seg.action in NOUN_ACTIONS and _amb(rng, amb):
        verb, noun = _pick(rng, NOUN_ACTIONS[seg.action])
        adj = [_pick(rng, ACTION_ADJECTIVES)] if rng.random() < 0.4 else []
        return [verb, "a"] + adj + [noun]
    lemma, comp = _pick(rng, ACTION_PHRASES[seg.action])
    if seg.action in ("left", "right", "spin") and _amb(rng, amb):
        comp = {"left": "left", "right": "right"}.get(seg.action, "round" if lemma in ("spin", "turn") else comp)
    if form == 0 and _amb(rng, amb / 2):
        return [_pick(rng, ASPECT_VERBS), "to", VERB_FORMS[lemma][2]] + comp.split()
    return [VERB_FORMS[lemma][form]] + comp.split()


def time_phrase(rng: np.random.Generator, seg: Segment, p: float = 0.6) -> list[str]:
    if seg.end - seg.start >= 0.99 or rng.random() >= p:
        return []
    return _pick(rng, EARLY if seg.start < 0.01 else LATE).split()


@dataclass(frozen=True)
class Mention:
    """What a caption names of its clip (the ground truth behind the phenomenon slices)."""

    actions: tuple[tuple[int, int], ...]  # (object index in clip.objects, segment index) of each action named
    ordered: bool  # the caption states a temporal order ("then", "before")


def _one_object(rng: np.random.Generator, obj: Obj, amb: float = 0.0) -> tuple[list[str], tuple[Segment, ...], bool]:
    """(words, the segments named, whether an order is stated)."""
    segs = obj.segments
    if len(segs) == 2 and rng.random() < 0.7:  # temporal order
        a, b = verb_phrase(rng, segs[0], 0, amb), verb_phrase(rng, segs[1], 0, amb)
        kind = int(rng.integers(3))
        if kind == 0:
            return noun_phrase(rng, obj, amb) + a + ["and", "then"] + b, segs, True
        if kind == 1:
            return noun_phrase(rng, obj, amb) + a + [",", "then", "it"] + b, segs, True
        return ["first"] + noun_phrase(rng, obj, amb) + a + [",", "then", "it"] + b, segs, True
    seg = _pick(rng, segs)
    kind = int(rng.integers(3))
    if kind == 0:
        return noun_phrase(rng, obj, amb) + verb_phrase(rng, seg, 0, amb) + time_phrase(rng, seg), (seg,), False
    if kind == 1:
        return (noun_phrase(rng, obj, amb) + ["is"] + verb_phrase(rng, seg, 1, amb) + time_phrase(rng, seg),
                (seg,), False)
    head = [_pick(rng, ("a", "the")), _pick(rng, ("video", "clip")), "of"]
    return head + noun_phrase(rng, obj, amb) + verb_phrase(rng, seg, 1, amb) + time_phrase(rng, seg), (seg,), False


def _two_objects(rng: np.random.Generator, o1: Obj, o2: Obj, amb: float = 0.0):
    """(words, ((object, segment) named, twice), whether an order is stated)."""
    s1, s2 = _pick(rng, o1.segments), _pick(rng, o2.segments)
    if s2.end <= s1.start + 1e-6:
        (o1, s1), (o2, s2) = (o2, s2), (o1, s1)
    first = noun_phrase(rng, o1, amb) + verb_phrase(rng, s1, 0, amb)
    second = noun_phrase(rng, o2, amb) + verb_phrase(rng, s2, 0, amb)
    named = ((o1, s1), (o2, s2))
    if s1.end <= s2.start + 1e-6:  # strictly ordered in time
        return first + _pick(rng, ([",", "then"], ["and", "then"], ["before"])) + second, named, True
    return first + _pick(rng, (["while"], ["and"])) + second, named, False


def caption_with_mention(rng: np.random.Generator, clip: Clip,
                         ambiguity: float = AMBIGUITY) -> tuple[list[str], Mention]:
    """Tokens of one caption of ``clip`` and what it names (the same draws as ``caption_tokens``)."""
    amb = ambiguity
    acting = [o for o in clip.objects if not o.distractor]
    if len(acting) >= 2 and rng.random() < 0.5:
        i, j = sorted(int(k) for k in rng.choice(len(acting), size=2, replace=False))
        words, named, ordered = _two_objects(rng, acting[i], acting[j], amb)
    else:
        obj = _pick(rng, acting)
        words, segs, ordered = _one_object(rng, obj, amb)
        named = tuple((obj, s) for s in segs)
    if rng.random() < 0.35:
        scene = _pick(rng, SCENE_PHRASES[clip.scene]).split()
        words = scene + [","] + words if rng.random() < 0.3 and words[0] not in ("first",) else words + scene
    index = {id(o): k for k, o in enumerate(clip.objects)}
    return words, Mention(tuple((index[id(o)], o.segments.index(s)) for o, s in named), ordered)


def caption_tokens(rng: np.random.Generator, clip: Clip, ambiguity: float = AMBIGUITY) -> list[str]:
    return caption_with_mention(rng, clip, ambiguity)[0]


def detokenize(tokens: list[str]) -> str:
    return " ".join(tokens).replace(" ,", ",")


def captions_with_mentions(rng: np.random.Generator, clip: Clip, num: int,
                           ambiguity: float = AMBIGUITY) -> list[tuple[str, Mention]]:
    """``num`` (caption, what it names), captions distinct when the grammar allows it within a few tries."""
    if not 0.0 <= ambiguity <= 1.0:
        raise ValueError(f"ambiguity must be in [0, 1], got {ambiguity}")
    out: list[tuple[str, Mention]] = []
    for _ in range(num):
        for _try in range(8):
            tokens, mention = caption_with_mention(rng, clip, ambiguity)
            cap = detokenize(tokens)
            if cap not in (c for c, _ in out):
                break
        out.append((cap, mention))
    return out


def captions_for(rng: np.random.Generator, clip: Clip, num: int, ambiguity: float = AMBIGUITY) -> list[str]:
    """``num`` captions, distinct when the grammar allows it within a few tries."""
    return [c for c, _ in captions_with_mentions(rng, clip, num, ambiguity)]
