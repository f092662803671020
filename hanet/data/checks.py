"""Checks of a prepared dataset (``prepared/splits/*.txt`` + ``captions.json``) before it is used.

Every dataset kind passes through ``hanet parse`` before training, which calls
:func:`check_prepared`. Each problem below yields plausible but wrong numbers when left
alone, so each is refused with one message naming the file, the video and the count:

- a video id listed twice in one split (it would be scored twice);
- a video id in two splits (a train/test leak);
- a split video without captions, or with a list that is not a list of strings;
- an empty or whitespace-only caption (it would be trained on as a 0-token caption).
  Refused, not dropped: dropping would silently change the number of test queries.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hanet.errors import HanetError

SPLITS = ("train", "val", "test")


def _first_few(items: list[str], n: int = 3) -> str:
    shown = ", ".join(repr(i) for i in items[:n])
    return shown + (f" and {len(items) - n} more" if len(items) > n else "")


def check_splits(splits: dict[str, list[str]], splits_dir: str | Path) -> None:
    """No id twice within a split, no id in two splits, no empty split."""
    splits_dir = Path(splits_dir)
    for name, ids in splits.items():
        path = splits_dir / f"{name}.txt"
        if not ids:
            raise HanetError(f"{path}: the {name} split lists no videos")
        dups = [v for v, n in Counter(ids).items() if n > 1]
        if dups:
            raise HanetError(f"{path}: {len(dups)} video id(s) listed more than once: {_first_few(dups)}; "
                             f"each video must appear once (a repeated test video is scored twice)")
    names = list(splits)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            both = sorted(set(splits[a]) & set(splits[b]))
            if both:
                raise HanetError(f"{splits_dir}: {len(both)} video id(s) in both {a}.txt and {b}.txt: "
                                 f"{_first_few(both)}; the splits must be disjoint (a shared video leaks "
                                 f"{a} data into {b})")


def check_captions(captions: dict, splits: dict[str, list[str]], captions_path: str | Path) -> None:
    """Every split video has a non-empty list of non-empty caption strings."""
    for name, ids in splits.items():
        missing = [v for v in ids if v not in captions]
        if missing:
            raise HanetError(f"{captions_path}: no captions for {len(missing)} {name} video(s): {_first_few(missing)}")
    empty: list[str] = []
    for vid in dict.fromkeys(v for ids in splits.values() for v in ids):
        caps = captions[vid]
        if not isinstance(caps, list) or not caps:
            raise HanetError(f"{captions_path}: video {vid!r}: expected a non-empty list of captions, got {caps!r}")
        for k, cap in enumerate(caps):
            if not isinstance(cap, str):
                raise HanetError(f"{captions_path}: video {vid!r} caption {k}: expected a string, got {cap!r}")
            if not cap.strip():
                empty.append(f"{vid}[{k}]")
    if empty:
        raise HanetError(f"{captions_path}: {len(empty)} empty caption(s) (video[index]): {_first_few(empty)}; "
                         f"remove or fill them (an empty caption would be trained and scored as a 0-token caption)")


def check_prepared(captions: dict, splits: dict[str, list[str]], prepared: str | Path) -> None:
    """Both checks, with the file names of a ``prepared/`` folder."""
    prepared = Path(prepared)
    check_splits(splits, prepared / "splits")
    check_captions(captions, splits, prepared / "captions.json")
