"""MSR-VTT from (local) URLs to contract files: download, unpack, split schemes, ResNet features."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import torch
from fixtures_real import FakeHost, json_bytes, msrvtt_annotation, tiny_mp4, zip_bytes

from hanet.cli import main
from hanet.data.download import download
from hanet.data.msrvtt import prepare_msrvtt
from hanet.errors import HanetError

torch.set_num_threads(1)
IDS = {"train": ["video0", "video1"], "validate": ["video6513"], "test": ["video7010"]}  # 4 videos: ResNet is slow on CPU


def _annotation() -> dict:
    ann = msrvtt_annotation(4, captions_per_video=3, splits=(2, 1))
    ids = [v for split in IDS.values() for v in split]
    rename = {f"video{i}": vid for i, vid in enumerate(ids)}
    for v in ann["videos"]:
        v["video_id"] = rename[v["video_id"]]
    for s in ann["sentences"]:
        s["video_id"] = rename[s["video_id"]]
    return ann


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    """Build MSRVTT.zip and msrvtt_data.zip, serve them, download them (one cut connection)."""
    tmp = tmp_path_factory.mktemp("msrvtt")
    videos = {}
    for i, vid in enumerate(v for split in IDS.values() for v in split):
        videos[f"MSRVTT/videos/all/{vid}.mp4"] = tiny_mp4(tmp / f"{vid}.mp4", num_frames=40, seed=i).read_bytes()
    train9k = "video_id\n" + "".join(f"{v}\n" for v in ["video0", "video1", "video6513"])
    jsfusion = "key,vid_key,video_id,sentence\nret0,msr7010,video7010,a man is cooking pasta\n"
    files = {
        "/MSRVTT.zip": zip_bytes(videos),
        "/msrvtt_data.zip": zip_bytes({"msrvtt_data/MSRVTT_data.json": json_bytes(_annotation()),
                                       "msrvtt_data/MSRVTT_train.9k.csv": train9k.encode(),
                                       "msrvtt_data/MSRVTT_JSFUSION_test.csv": jsfusion.encode()}),
    }
    lock = tmp / "checksums.lock.json"
    with FakeHost() as host:
        host.files.update(files)
        host.cut_after, host.cuts = 2_000, 1
        host.fail["/offline/MSRVTT.zip"] = 503  # primary mirror down: the fallback serves it
        for name in files:
            download([host.url("/offline" + name), host.url(name)], tmp / "raw" / name.lstrip("/"),
                     lock=lock, name=name.lstrip("/"), retries=1, backoff=0, progress=False)
    assert set(json.loads(lock.read_text())) == {"MSRVTT.zip", "msrvtt_data.zip"}
    return tmp / "raw"


def test_full_scheme_prepare_and_resnet_features(raw, tmp_path):
    out = tmp_path / "msrvtt" / "prepared"
    rc = main(["msrvtt", "--videos-zip", str(raw / "MSRVTT.zip"), "--captions-zip", str(raw / "msrvtt_data.zip"),
               "--videos-dir", str(tmp_path / "msrvtt" / "raw" / "videos"), "--split", "full",
               "--out", str(out), "--expect-counts", "2,1,1"])
    assert rc == 0
    assert (out / "splits" / "train.txt").read_text().split() == IDS["train"]
    assert (out / "splits" / "val.txt").read_text().split() == IDS["validate"]
    assert (out / "splits" / "test.txt").read_text().split() == IDS["test"]
    captions = json.loads((out / "captions.json").read_text())
    assert len(captions) == 4 and all(len(c) == 3 for c in captions.values())
    manifest = json.loads((out / "videos.json").read_text())
    assert (out / manifest["video7010"]).resolve() == (tmp_path / "msrvtt/raw/videos/video7010.mp4").resolve()

    h5 = tmp_path / "msrvtt" / "features" / "resnet152.h5"
    rc = main(["extract", "--extractor", "resnet152", "--prepared", str(out), "--out", str(h5),
               "--max-frames", "2", "--stride", "16", "--extractor-arg", "device=cpu",
               "--extractor-arg", "batch_size=4", "--no-progress"])
    assert rc == 0
    with h5py.File(h5) as f:
        assert f.attrs["extractor"] == "resnet152" and f.attrs["dim"] == 2048
        settings = json.loads(f.attrs["settings"])
        assert settings["stride"] == 16 and settings["max_frames"] == 2 and settings["weights"] == "random-init"
        assert set(f) == set(manifest)
        for vid in manifest:
            assert f[vid].shape == (2, 2048) and f[vid].dtype == np.float32
            assert list(f[vid].attrs["frame_indices"]) == [0, 32] and f[vid].attrs["num_native_frames"] == 40
        assert not np.allclose(f["video0"][0], f["video1"][0])  # different videos, different features


def test_1ka_scheme(raw, tmp_path):
    out = tmp_path / "prepared"
    splits = prepare_msrvtt(raw / "msrvtt_data.zip", out, "1k-A", expect_counts=(3, 1, 1))
    assert splits["train"] == ["video0", "video1", "video6513"]
    assert (out / "splits" / "test.txt").read_text().split() == ["video7010"]
    assert (out / "splits" / "val.txt").read_text() == (out / "splits" / "test.txt").read_text()
    captions = json.loads((out / "captions.json").read_text())
    assert captions["video7010"] == ["a man is cooking pasta"]  # the single JSFusion query
    assert len(captions["video6513"]) == 3  # a train video keeps all its captions
    assert not (out / "videos.json").exists()


def test_wrong_split_counts_refused(raw, tmp_path):
    with pytest.raises(HanetError, match=r"\(2, 1, 1\), expected \(6513, 497, 2990\)"):
        prepare_msrvtt(raw / "msrvtt_data.zip", tmp_path / "p", "full")
    with pytest.raises(HanetError, match=r"\(3, 1, 1\), expected \(9000, 1000, 1000\)"):
        prepare_msrvtt(raw / "msrvtt_data.zip", tmp_path / "p", "1k-A")
    assert not (tmp_path / "p").exists()


def test_split_field_must_match_full_ranges(tmp_path):
    ann = _annotation()
    ann["videos"][0]["split"] = "test"  # video0 is a train video in the full split
    (tmp_path / "c.zip").write_bytes(zip_bytes({"MSRVTT_data.json": json_bytes(ann)}))
    with pytest.raises(HanetError, match="video0 has split test but lies outside video7010-video9999"):
        prepare_msrvtt(tmp_path / "c.zip", tmp_path / "p", "full", expect_counts=None)
    with pytest.raises(HanetError, match="MSRVTT_train.9k.csv, found 0"):
        prepare_msrvtt(tmp_path / "c.zip", tmp_path / "p", "1k-A", expect_counts=None)
