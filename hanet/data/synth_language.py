"""The synthetic captions: a small English grammar with synonyms and varied structure.

Every word of the language has exactly one Penn Treebank tag and one lemma
(:data:`LEXICON`), so the gold tags and lemmas of any caption follow from its tokens
(:func:`gold_tags`). A caption describes a subset of a clip: one or two of its acting
objects, one or both of an object's actions (``"... and then ..."``), temporal modifiers
for actions confined to part of the clip, and sometimes the scene. Distractor objects
are never mentioned.
"""

from __future__ import annotations

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
})


def gold_tags(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Penn tags and lemmas of a tokenized synthetic caption; KeyError names an unknown word."""
    pairs = [LEXICON[t] for t in tokens]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def noun_phrase(rng: np.random.Generator, obj: Obj) -> list[str]:
    words = [_pick(rng, ("a", "the"))]
    if rng.random() < 0.35:
        words.append(_pick(rng, SIZE_WORDS[obj.size]))
    if rng.random() < 0.92:
        words.append(obj.colour)
    return words + [_pick(rng, NOUNS[obj.shape])]


def verb_phrase(rng: np.random.Generator, seg: Segment, form: int) -> list[str]:
    """form: 0 VBZ ("jumps"), 1 VBG ("jumping"), 2 VBP ("jump")."""
    lemma, comp = _pick(rng, ACTION_PHRASES[seg.action])
    return [VERB_FORMS[lemma][form]] + comp.split()


def time_phrase(rng: np.random.Generator, seg: Segment, p: float = 0.6) -> list[str]:
    if seg.end - seg.start >= 0.99 or rng.random() >= p:
        return []
    return _pick(rng, EARLY if seg.start < 0.01 else LATE).split()


def _one_object(rng: np.random.Generator, obj: Obj) -> list[str]:
    segs = obj.segments
    if len(segs) == 2 and rng.random() < 0.7:  # temporal order
        a, b = verb_phrase(rng, segs[0], 0), verb_phrase(rng, segs[1], 0)
        kind = int(rng.integers(3))
        if kind == 0:
            return noun_phrase(rng, obj) + a + ["and", "then"] + b
        if kind == 1:
            return noun_phrase(rng, obj) + a + [",", "then", "it"] + b
        return ["first"] + noun_phrase(rng, obj) + a + [",", "then", "it"] + b
    seg = _pick(rng, segs)
    kind = int(rng.integers(3))
    if kind == 0:
        return noun_phrase(rng, obj) + verb_phrase(rng, seg, 0) + time_phrase(rng, seg)
    if kind == 1:
        return noun_phrase(rng, obj) + ["is"] + verb_phrase(rng, seg, 1) + time_phrase(rng, seg)
    head = [_pick(rng, ("a", "the")), _pick(rng, ("video", "clip")), "of"]
    return head + noun_phrase(rng, obj) + verb_phrase(rng, seg, 1) + time_phrase(rng, seg)


def _two_objects(rng: np.random.Generator, o1: Obj, o2: Obj) -> list[str]:
    s1, s2 = _pick(rng, o1.segments), _pick(rng, o2.segments)
    if s2.end <= s1.start + 1e-6:
        (o1, s1), (o2, s2) = (o2, s2), (o1, s1)
    first = noun_phrase(rng, o1) + verb_phrase(rng, s1, 0)
    second = noun_phrase(rng, o2) + verb_phrase(rng, s2, 0)
    if s1.end <= s2.start + 1e-6:  # strictly ordered in time
        return first + _pick(rng, ([",", "then"], ["and", "then"], ["before"])) + second
    return first + _pick(rng, (["while"], ["and"])) + second


def caption_tokens(rng: np.random.Generator, clip: Clip) -> list[str]:
    acting = [o for o in clip.objects if not o.distractor]
    if len(acting) >= 2 and rng.random() < 0.5:
        i, j = sorted(int(k) for k in rng.choice(len(acting), size=2, replace=False))
        words = _two_objects(rng, acting[i], acting[j])
    else:
        words = _one_object(rng, _pick(rng, acting))
    if rng.random() < 0.35:
        scene = _pick(rng, SCENE_PHRASES[clip.scene]).split()
        words = scene + [","] + words if rng.random() < 0.3 and words[0] not in ("first",) else words + scene
    return words


def detokenize(tokens: list[str]) -> str:
    return " ".join(tokens).replace(" ,", ",")


def captions_for(rng: np.random.Generator, clip: Clip, num: int) -> list[str]:
    """``num`` captions, distinct when the grammar allows it within a few tries."""
    out: list[str] = []
    for _ in range(num):
        for _try in range(8):
            cap = detokenize(caption_tokens(rng, clip))
            if cap not in out:
                break
        out.append(cap)
    return out
