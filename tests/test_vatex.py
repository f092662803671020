"""hanet vatex: downloaded fixtures (local server) -> prepared/ + features/i3d.h5."""

from __future__ import annotations

import io
import json

import h5py
import numpy as np
import pytest
from fixtures_real import FakeHost, i3d_npy, json_bytes, sha256, vatex_captions, zip_bytes

from hanet.cli import main
from hanet.data.download import download
from hanet.data.vatex import prepare_vatex
from hanet.errors import HanetError

TRAIN = [f"tr{i}_000010_000020" for i in range(5)]
VAL = ["va0_000001_000011", "va1_000002_000012"]
TEST = ["te0_000003_000013", "te1_000004_000014"]
LENGTHS = {vid: 20 + 7 * i for i, vid in enumerate(TRAIN + VAL + TEST)}  # some over 30 rows


@pytest.fixture()
def raw(tmp_path):
    """Serve VATEX-format fixtures and download them as a workflow would."""
    files = {
        "/vatex_training_v1.0.json": json_bytes(vatex_captions(TRAIN)),
        "/vatex_validation_v1.0.json": json_bytes(vatex_captions(VAL + TEST)),
        "/trainval.zip": zip_bytes({f"val/{v}.npy": i3d_npy(n, i) for i, (v, n) in enumerate(LENGTHS.items())}),
    }
    for split, ids in (("train", TRAIN), ("val", VAL), ("test", TEST)):
        files[f"/{split}_list.txt"] = "".join(v + "\n" for v in ids).encode()
    raw = tmp_path / "raw"
    with FakeHost() as host:
        host.files.update(files)
        host.cut_after, host.cuts = 50_000, 1  # the big zip arrives in two pieces
        for path, data in files.items():
            target = raw / ("splits" if path.endswith("_list.txt") else "") / path.lstrip("/")
            download(host.url(path), target, sha256=sha256(data), backoff=0, progress=False)
    digests = {s: sha256(files[f"/{s}_list.txt"]) for s in ("train", "val", "test")}
    return raw, digests


def test_prepare_vatex_writes_contract_files(raw, tmp_path):
    raw, digests = raw
    sizes = prepare_vatex([raw / "vatex_training_v1.0.json", raw / "vatex_validation_v1.0.json"],
                          raw / "splits", raw / "trainval.zip", tmp_path / "vatex", digests=digests,
                          expect_counts=(5, 2, 2), progress=False)
    assert sizes == {"train": 5, "val": 2, "test": 2}
    prepared = tmp_path / "vatex" / "prepared"
    assert (prepared / "splits" / "val.txt").read_text().split() == VAL
    captions = json.loads((prepared / "captions.json").read_text())
    assert set(captions) == set(TRAIN + VAL + TEST) and all(len(c) == 10 for c in captions.values())
    assert captions[TEST[1]][3] == "someone does act 3 in clip 3"  # English only, order kept
    with h5py.File(tmp_path / "vatex" / "features" / "i3d.h5") as h5:
        assert h5.attrs["extractor"] == "i3d" and h5.attrs["dim"] == 1024
        assert "sampling" in json.loads(h5.attrs["settings"])
        assert set(h5) == set(LENGTHS)
        for i, (vid, n) in enumerate(LENGTHS.items()):
            ds = h5[vid]
            assert ds.dtype == np.float32 and ds.shape == (min(n, 30), 1024)
            assert ds.attrs["num_native_frames"] == n
            full = np.load(io.BytesIO(i3d_npy(n, i)))[0]  # (n, 1024)
            rows = ds.attrs["frame_indices"]
            assert rows[0] == 0 and rows[-1] == n - 1 and (np.diff(rows) > 0).all()
            np.testing.assert_array_equal(ds[()], full[rows])
    assert (prepared / "missing.txt").read_text() == ""


def test_split_list_digest_and_counts_checked(raw, tmp_path):
    raw, digests = raw
    caps = [raw / "vatex_training_v1.0.json", raw / "vatex_validation_v1.0.json"]
    with pytest.raises(HanetError, match="train_list.txt: SHA-256 mismatch: expected 4434a686"):  # pinned real digests
        prepare_vatex(caps, raw / "splits", None, tmp_path / "a", expect_counts=None, progress=False)
    with pytest.raises(HanetError, match=r"\(5, 2, 2\), expected \(25991, 1500, 1500\)"):
        prepare_vatex(caps, raw / "splits", None, tmp_path / "b", digests=digests, progress=False)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_missing_features_refused_or_listed(raw, tmp_path):
    raw, digests = raw
    extra = raw / "splits" / "train_list.txt"
    extra.write_text(extra.read_text() + "ghost_000000_000010\n")
    digests["train"] = None
    caps = [raw / "vatex_training_v1.0.json", raw / "vatex_validation_v1.0.json"]
    with pytest.raises(HanetError, match="ghost_000000_000010 no captions and no features"):
        prepare_vatex(caps, raw / "splits", raw / "trainval.zip", tmp_path / "v", digests=digests,
                      expect_counts=None, progress=False)
    assert not (tmp_path / "v").exists()
    rc = main(["vatex", "--train-json", str(caps[0]), "--val-json", str(caps[1]),
               "--split-lists", str(raw / "splits"), "--features-zip", str(raw / "trainval.zip"),
               "--out", str(tmp_path / "v"), "--split-sha256", "train=none",
               *[f"--split-sha256={s}={digests[s]}" for s in ("val", "test")],
               "--expect-counts", "6,2,2", "--allow-missing", "--no-progress"])
    assert rc == 0
    assert (tmp_path / "v" / "prepared" / "missing.txt").read_text() == \
        "train\tghost_000000_000010\tno captions and no features\n"
    assert len((tmp_path / "v" / "prepared" / "splits" / "train.txt").read_text().split()) == 5
    with h5py.File(tmp_path / "v" / "features" / "i3d.h5") as h5:
        assert "ghost_000000_000010" not in h5 and len(h5) == 9
