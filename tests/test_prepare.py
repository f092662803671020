import json

import pytest

from hanet.data.prepare import cli, prepare_annotation, splits_and_captions
from hanet.errors import HanetError
from hanet.io import read_json, read_lines


def _ann():
    vids = [("v1", "train"), ("v2", "train"), ("v3", "validate"), ("v4", "test")]
    return {"videos": [{"video_id": v, "split": s} for v, s in vids],
            "sentences": [{"video_id": v, "caption": f"caption {i} of {v}", "sen_id": i}
                          for i, (v, _) in enumerate(vids * 2)]}


def test_prepare_writes_contract(tmp_path):
    (tmp_path / "videos").mkdir()
    for v in ("v1", "v2", "v3", "v4"):
        (tmp_path / "videos" / f"{v}.mp4").write_bytes(b"x")
    prepare_annotation(_ann(), tmp_path / "prepared", tmp_path / "videos", expect_counts=(2, 1, 1))
    out = tmp_path / "prepared"
    assert read_lines(out / "splits" / "train.txt") == ["v1", "v2"]
    assert read_lines(out / "splits" / "val.txt") == ["v3"]
    caps = read_json(out / "captions.json")
    assert caps["v1"] == ["caption 0 of v1", "caption 4 of v1"]  # order kept
    manifest = read_json(out / "videos.json")
    assert manifest["v3"] == "../videos/v3.mp4"
    assert (out / manifest["v3"]).is_file()


def test_empty_caption_names_video():
    ann = _ann()
    ann["sentences"][2]["caption"] = "   "
    with pytest.raises(HanetError, match=r"ann.json: video v3: empty caption"):
        splits_and_captions(ann, "ann.json")


def test_overlapping_and_empty_splits():
    ann = _ann()
    ann["videos"].append({"video_id": "v1", "split": "test"})
    with pytest.raises(HanetError, match="v1 listed twice"):
        splits_and_captions(ann)
    ann = _ann()
    ann["videos"] = [v for v in ann["videos"] if v["split"] != "test"]
    ann["sentences"] = [s for s in ann["sentences"] if s["video_id"] != "v4"]
    with pytest.raises(HanetError, match="split test is empty"):
        splits_and_captions(ann)


def test_wrong_counts_and_missing_video(tmp_path):
    with pytest.raises(HanetError, match=r"expected \(6513, 497, 2990\)"):
        prepare_annotation(_ann(), tmp_path / "p", expect_counts=(6513, 497, 2990))
    with pytest.raises(HanetError, match="video file for v1 not found"):
        prepare_annotation(_ann(), tmp_path / "p", tmp_path)
    assert not (tmp_path / "p" / "captions.json").exists()


def test_cli_and_malformed_file(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(_ann()))
    cli(["--annotation", str(tmp_path / "a.json"), "--out", str(tmp_path / "p")])
    assert read_lines(tmp_path / "p" / "splits" / "test.txt") == ["v4"]
    (tmp_path / "bad.json").write_text('{"videos": 3}')
    with pytest.raises(HanetError, match="bad.json"):
        cli(["--annotation", str(tmp_path / "bad.json"), "--out", str(tmp_path / "q")])
