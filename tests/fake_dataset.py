"""A tiny dataset written directly in the stage contracts (no generator, no parser).

Each video has a random "concept": its features carry a signal of that concept, and its
captions name it, so a model can learn something in a few steps. Used by the training,
resume and evaluation tests, which must not depend on the synthetic generator.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

VERBS = ["run", "jump", "spin", "fly"]
NOUNS = ["ball", "cube", "star", "ring", "cone"]


def make_fake_dataset(root: Path, num_videos: int = 24, captions_per_video: int = 3, dim: int = 12,
                      frames: int = 6, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    prepared, text = root / "prepared", root / "text"
    (prepared / "splits").mkdir(parents=True)
    text.mkdir(parents=True)
    ids = [f"video{i}" for i in range(num_videos)]
    n_train, n_val = num_videos // 2, num_videos // 4
    for name, part in (("train", ids[:n_train]), ("val", ids[n_train:n_train + n_val]),
                       ("test", ids[n_train + n_val:])):
        (prepared / "splits" / f"{name}.txt").write_text("\n".join(part) + "\n")

    words = ["<pad>", "<unk>", "a", "the", "is", "ing"] + VERBS + NOUNS
    vocab = {w: i for i, w in enumerate(words)}
    captions, parses, labels = {}, {}, {}
    proto = rng.normal(size=(len(VERBS), len(NOUNS), dim))
    with h5py.File(root / "features.h5", "w") as h5:
        h5.attrs.update(extractor="fake", settings="{}", dim=dim)
        for vid in ids:
            verb, noun = int(rng.integers(len(VERBS))), int(rng.integers(len(NOUNS)))
            n = int(rng.integers(2, frames + 1))
            feats = proto[verb, noun] + 0.3 * rng.normal(size=(n, dim))
            ds = h5.create_dataset(vid, data=feats.astype(np.float32))
            ds.attrs["frame_indices"] = np.arange(n)
            caps = []
            for c in range(captions_per_video):
                cap = f"a {NOUNS[noun]} is {VERBS[verb]}ing" + (" the ball" if c % 2 else "")
                caps.append(cap)
                tokens = cap.split()
                parses[cap] = {
                    "tokens": tokens, "pos": ["DT", "NN", "VBZ", "VBG", "DT", "NN"][: len(tokens)],
                    "lemmas": tokens,
                    "nodes": [{"kind": "root"},
                              {"kind": "verb", "role": "V", "positions": [3], "lemma": VERBS[verb]},
                              {"kind": "noun", "role": "ARG0", "positions": [0, 1], "lemma": NOUNS[noun]}]
                    + ([{"kind": "noun", "role": "ARG1", "positions": [4, 5], "lemma": "ball"}] if c % 2 else []),
                    "edges": [[0, 1], [1, 2], [2, 1]] + ([[1, 3], [3, 1]] if c % 2 else []),
                    "verb_lemmas": [VERBS[verb]], "noun_lemmas": [NOUNS[noun]] + (["ball"] if c % 2 else []),
                }
            captions[vid] = caps
            labels[vid] = [{"verbs": [verb], "nouns": sorted({noun, 0} if c % 2 else {noun})}
                           for c in range(captions_per_video)]
    (prepared / "captions.json").write_text(json.dumps(captions))
    (text / "vocab.json").write_text(json.dumps({"words": words}))
    (text / "parses.json").write_text(json.dumps(parses))
    (text / "concepts.json").write_text(json.dumps({"verbs": VERBS, "nouns": NOUNS}))
    (text / "labels.json").write_text(json.dumps(labels))
    assert vocab["ball"] > 1
    return root


TINY_OVERRIDES = {
    "model": {"dim": 16, "word_dim": 8, "max_frames": 6, "max_words": 8, "top_actions": 2, "top_entities": 2,
              "entity_frames": 2, "action_window": 1, "se_reduction": 4},
    "train": {"lr": 0.003, "batch_size": 8, "epochs": 3, "patience": 5, "eval_batch_size": 5,
              "video_chunk": 4, "text_chunk": 5},
}
