"""Kind `folder` (your own data): a generated mini dataset with 7-d features of an unknown extractor,
through `hanet folder` and then the whole workflow (parse, train, evaluate, tables)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from workflow_copy import copy_workflow

from hanet.data.folder import prepare_folder
from hanet.errors import HanetError

DIM = 7


def make_folder(dest: Path, prepared: Path, treebank: Path) -> Path:
    """A user's dataset folder: captions and splits from the tiny synthetic set, random 7-d features."""
    dest.mkdir(parents=True)
    shutil.copytree(prepared / "splits", dest / "splits")
    shutil.copy(prepared / "captions.json", dest / "captions.json")
    shutil.copy(treebank, dest / "treebank.json")
    rng = np.random.default_rng(0)
    ids = [v for s in ("train", "val", "test") for v in (dest / "splits" / f"{s}.txt").read_text().split()]
    with h5py.File(dest / "features.h5", "w") as h5:
        for i, vid in enumerate(ids):
            h5[vid] = rng.standard_normal((3 + i % 5, DIM)).astype(np.float16)  # any length, any dtype
    return dest


@pytest.fixture(scope="module")
def folder(tiny_prepared, tiny_root, tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("own") / "my_data", tiny_prepared, tiny_root / "treebank.json")


def test_prepare_writes_the_contract_files(folder, tmp_path):
    summary = prepare_folder(folder, tmp_path / "res", "clip")
    assert summary["dim"] == DIM
    with h5py.File(tmp_path / "res/features/clip.h5") as h5:
        assert h5.attrs["dim"] == DIM and h5.attrs["extractor"] == "clip"
        assert all(h5[v].dtype == np.float32 and h5[v].shape[1] == DIM for v in h5)
    for split in ("train", "val", "test"):
        assert (tmp_path / f"res/prepared/splits/{split}.txt").read_text() == (folder / f"splits/{split}.txt").read_text()
    assert json.loads((tmp_path / "res/prepared/captions.json").read_text()).keys() <= \
        json.loads((folder / "captions.json").read_text()).keys()


@pytest.mark.parametrize("damage, message", [
    ("nan", "has NaN or inf features"),
    ("dim", "has dim 3, the others 7"),
    ("caption", "has an empty or non-text caption"),
    ("no_features", "no features for video"),
    ("two_splits", "is in both train.txt and test.txt"),
])
def test_bad_folder_is_one_clear_error(folder, tmp_path, damage, message):
    bad = tmp_path / "bad"
    shutil.copytree(folder, bad)
    test_ids = (bad / "splits/test.txt").read_text().split()
    vid = test_ids[0]
    if damage in ("nan", "dim", "no_features"):
        with h5py.File(bad / "features.h5", "a") as h5:
            del h5[vid]
            if damage == "nan":
                h5[vid] = np.full((2, DIM), np.nan, dtype=np.float32)
            elif damage == "dim":
                h5[vid] = np.zeros((2, 3), dtype=np.float32)
    elif damage == "caption":
        caps = json.loads((bad / "captions.json").read_text())
        caps[vid] = ["  "]
        (bad / "captions.json").write_text(json.dumps(caps))
    else:
        train = (bad / "splits/train.txt").read_text()
        (bad / "splits/train.txt").write_text(train + vid + "\n")
    with pytest.raises(HanetError, match=message):
        prepare_folder(bad, tmp_path / "out", "clip")
    assert not (tmp_path / "out/prepared/captions.json").exists()


@pytest.mark.workflow
def test_folder_dataset_end_to_end(folder, tmp_path):
    (tmp_path / "wf").mkdir()
    work = copy_workflow(tmp_path / "wf")
    extra = tmp_path / "mine.yaml"
    extra.write_text(f"""data:
  mine:
    kind: folder
    folder: {folder}
    treebank: {folder}/treebank.json
    features: {{extractor: clip}}
    text: {{num_verbs: 16, num_nouns: 24}}
    model: {{dim: 32, word_dim: 16, max_frames: 8, max_words: 24, top_actions: 2, top_entities: 3,
            entity_frames: 2, action_window: 1, se_reduction: 4}}
    train: {{lr: 0.001, batch_size: 16, epochs: 2, patience: 2}}
""")
    exe = Path(sys.executable).with_name("snakemake")
    proc = subprocess.run([str(exe), "--cores", "2", "--configfile", "config/config.yaml", str(extra),
                           "--config", "datasets=[mine]", "seeds=[0]", "ablations=[full,global_only]"],
                          cwd=work, capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": "0", "CUDA_VISIBLE_DEVICES": ""})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    for variant in ("full", "global_only"):
        metrics = json.loads((work / f"results/mine/{variant}/seed0/metrics.json").read_text())
        assert metrics["provenance"]["config"]["model"]["ft_dim"] == DIM
    assert "global_only" in (work / "results/mine/ablation.md").read_text()
    assert (work / "resources/mine/text/parses.json").is_file()  # the captions were parsed by the suite
    assert "mine: 2 variants x 1 seed(s)" in proc.stdout + proc.stderr  # the end-of-run summary
