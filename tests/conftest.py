"""Shared fixtures: a tiny synthetic dataset (40 videos, 4 captions each) built once per session.

``tiny_raw``      -> raw/ folder (videos/, annotation.json, world.json) + treebank.json beside it
``tiny_prepared`` -> prepared/ (splits/, captions.json, videos.json)
``tiny_pipeline`` -> dict of paths after synth -> prepare -> extract (descriptor) -> parse
"""

from __future__ import annotations

from pathlib import Path

import pytest

TINY = {"seed": 0, "num_videos": 40, "captions_per_video": 4, "num_frames": 16}


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tiny_synth")


@pytest.fixture(scope="session")
def tiny_raw(tiny_root) -> Path:
    from hanet.data.synthetic import build_treebank, generate
    from hanet.io import write_json

    ann = generate(tiny_root / "raw", progress=False, **TINY)
    write_json(tiny_root / "treebank.json", build_treebank(ann))
    return tiny_root / "raw"


@pytest.fixture(scope="session")
def tiny_prepared(tiny_raw, tiny_root) -> Path:
    from hanet.data.prepare import prepare_annotation
    from hanet.io import read_json

    prepare_annotation(read_json(tiny_raw / "annotation.json"), tiny_root / "prepared", tiny_raw / "videos")
    return tiny_root / "prepared"


@pytest.fixture(scope="session")
def tiny_pipeline(tiny_prepared, tiny_root) -> dict[str, Path]:
    from hanet.features.extract import extract_videos, get_extractor
    from hanet.io import read_json
    from hanet.text.prepare import parse_dataset

    manifest = read_json(tiny_prepared / "videos.json")
    features = tiny_root / "features" / "descriptor.h5"
    extract_videos(manifest, tiny_prepared, features, get_extractor("descriptor"), max_frames=8, progress=False)
    parse_dataset(tiny_prepared, tiny_root / "text", "synthetic", str(tiny_root / "treebank.json"),
                  num_verbs=16, num_nouns=24, progress=False)
    return {"raw": tiny_root / "raw", "prepared": tiny_prepared, "features": features,
            "text": tiny_root / "text", "treebank": tiny_root / "treebank.json"}
