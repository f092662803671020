"""The synthetic world: scenes, objects (shape x colour x size) and timed actions.

A video is a :class:`Clip`: one scene and one to three objects, each object doing up to
two actions in consecutive time segments (or one action confined to part of the clip),
plus optional idle distractor objects that captions never mention. Sampling is a pure
function of a ``numpy.random.Generator`` so the whole dataset is fixed by one seed.

Fine-grained phenomena (each controlled by a probability in :class:`WorldConfig`):
two-segment actions (temporal order, "then"), actions confined to part of the clip,
unmentioned distractors, and binding twins: a clip that copies the previous clip's scene
and objects but swaps the actions between two objects (or replaces one action), so that
a global "bag of shapes, colours and motions" cannot tell the two apart.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

SHAPES = ("circle", "square", "triangle", "diamond")
COLOURS = {  # name -> RGB
    "red": (220, 30, 30),
    "green": (40, 200, 60),
    "blue": (40, 70, 230),
    "yellow": (240, 220, 40),
    "purple": (150, 50, 200),
    "white": (245, 245, 245),
}
SIZES = {"small": 6.0, "big": 10.0}  # name -> radius in pixels at 64x64
SCENES = ("grass", "sky", "night", "desert", "room", "ocean")
ACTIONS = ("left", "right", "up", "down", "jump", "spin", "grow", "shrink", "blink")
IDLE = "idle"
TRAVEL = 18.0  # pixels travelled by left/right/up/down over a segment (at 64 px)
JUMP = 12.0  # jump height in pixels (at 64 px)


@dataclass(frozen=True)
class Segment:
    action: str
    start: float  # fraction of the clip in [0, 1]
    end: float


@dataclass(frozen=True)
class Obj:
    shape: str
    colour: str
    size: str
    x: float  # initial centre, fraction of the frame width
    y: float
    segments: tuple[Segment, ...]  # empty for an idle distractor

    @property
    def distractor(self) -> bool:
        return not self.segments


@dataclass(frozen=True)
class Clip:
    scene: str
    objects: tuple[Obj, ...]
    twin_of: int | None = None  # index of the clip this one is a binding twin of


@dataclass(frozen=True)
class WorldConfig:
    max_objects: int = 3  # mentioned (acting) objects per clip, 1..max
    p_two_segments: float = 0.35  # an object does two actions in order ("then")
    p_partial: float = 0.3  # a single action is confined to the first or second half
    p_distractor: float = 0.3  # add one idle object never mentioned in captions
    p_twin: float = 0.3  # clip is a binding twin of the previous clip

    def __post_init__(self) -> None:
        if not 1 <= self.max_objects <= 3:
            raise ValueError("max_objects must be 1..3")
        for f in dataclasses.fields(self):
            if f.name.startswith("p_") and not 0.0 <= getattr(self, f.name) <= 1.0:
                raise ValueError(f"{f.name} must be a probability in [0, 1]")


def _segments(rng: np.random.Generator, cfg: WorldConfig) -> tuple[Segment, ...]:
    a, b = rng.choice(len(ACTIONS), size=2, replace=False)
    if rng.random() < cfg.p_two_segments:
        cut = float(rng.choice([0.4, 0.5, 0.6]))
        return (Segment(ACTIONS[a], 0.0, cut), Segment(ACTIONS[b], cut, 1.0))
    if rng.random() < cfg.p_partial:
        return (Segment(ACTIONS[a], 0.0, 0.5),) if rng.random() < 0.5 else (Segment(ACTIONS[a], 0.5, 1.0),)
    return (Segment(ACTIONS[a], 0.0, 1.0),)


def _place(rng: np.random.Generator, size: str, segments: tuple[Segment, ...], slot: int, n: int) -> tuple[float, float]:
    """Initial centre keeping the whole trajectory inside the frame; objects in separate columns."""
    r = SIZES[size] * 1.8 / 64.0  # margin for growth / rotation
    dx = sum(TRAVEL / 64 * ((s.action == "right") - (s.action == "left")) for s in segments)
    dy = sum(TRAVEL / 64 * ((s.action == "down") - (s.action == "up")) for s in segments)
    jump = JUMP / 64 if any(s.action == "jump" for s in segments) else 0.0
    col_lo, col_hi = slot / n, (slot + 1) / n
    lo_x, hi_x = max(r, r - dx, col_lo), min(1 - r, 1 - r - dx, col_hi)
    lo_y, hi_y = max(r, r - dy) + jump, min(1 - r, 1 - r - dy)
    x = rng.uniform(lo_x, hi_x) if lo_x < hi_x else (lo_x + hi_x) / 2
    y = rng.uniform(lo_y, hi_y) if lo_y < hi_y else (lo_y + hi_y) / 2
    return float(x), float(y)


def sample_clip(rng: np.random.Generator, cfg: WorldConfig) -> Clip:
    n_act = int(rng.integers(1, cfg.max_objects + 1))
    n = n_act + int(rng.random() < cfg.p_distractor and n_act < 3)
    # distinct (shape, colour) pairs, with shared shapes or colours being common
    pairs: list[tuple[str, str]] = []
    while len(pairs) < n:
        shape = str(rng.choice(SHAPES)) if not pairs or rng.random() < 0.5 else pairs[0][0]
        colour = str(rng.choice(list(COLOURS)))
        if (shape, colour) not in pairs:
            pairs.append((shape, colour))
    objects = []
    for i, (shape, colour) in enumerate(pairs):
        size = str(rng.choice(list(SIZES)))
        segs = _segments(rng, cfg) if i < n_act else ()
        x, y = _place(rng, size, segs, i, n)
        objects.append(Obj(shape, colour, size, x, y, segs))
    order = rng.permutation(n)  # distractor not always last on screen order
    return Clip(str(rng.choice(SCENES)), tuple(objects[i] for i in order))


def binding_twin(rng: np.random.Generator, clip: Clip, index: int) -> Clip:
    """Same scene and objects; swap the action sequences of two acting objects (or change one)."""
    acting = [i for i, o in enumerate(clip.objects) if not o.distractor]
    objs = list(clip.objects)
    if len(acting) >= 2:
        i, j = (int(k) for k in rng.choice(acting, size=2, replace=False))
        si, sj = objs[i].segments, objs[j].segments
        objs[i] = dataclasses.replace(objs[i], segments=sj)
        objs[j] = dataclasses.replace(objs[j], segments=si)
        for k in (i, j):  # re-place so the new trajectory stays inside the frame
            x, y = _place(rng, objs[k].size, objs[k].segments, k, len(objs))
            objs[k] = dataclasses.replace(objs[k], x=x, y=y)
    else:
        i = acting[0]
        segs = list(objs[i].segments)
        k = int(rng.integers(len(segs)))
        used = {s.action for s in segs}
        new = str(rng.choice([a for a in ACTIONS if a not in used]))
        segs[k] = dataclasses.replace(segs[k], action=new)
        if len(segs) == 2 and rng.random() < 0.5:  # or reverse the temporal order
            segs = [Segment(segs[1].action, segs[0].start, segs[0].end), Segment(segs[0].action, segs[1].start, segs[1].end)]
        x, y = _place(rng, objs[i].size, tuple(segs), i, len(objs))
        objs[i] = dataclasses.replace(objs[i], segments=tuple(segs), x=x, y=y)
    return Clip(clip.scene, tuple(objs), twin_of=index)


def sample_world(rng: np.random.Generator, num: int, cfg: WorldConfig) -> list[Clip]:
    clips: list[Clip] = []
    for i in range(num):
        if clips and clips[-1].twin_of is None and rng.random() < cfg.p_twin:
            clips.append(binding_twin(rng, clips[-1], i - 1))
        else:
            clips.append(sample_clip(rng, cfg))
    return clips
