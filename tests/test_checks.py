"""Prepared-dataset checks (hanet.data.checks) and `hanet parse` refusing what would skew results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hanet.cli import main
from hanet.data.checks import check_captions, check_splits
from hanet.errors import HanetError

SPLITS = {"train": ["a", "b", "c"], "val": ["d"], "test": ["e", "f"]}
CAPTIONS = {v: [f"a ball {v} rolls", "a cube spins"] for v in "abcdef"}


def test_clean_splits_and_captions_pass():
    check_splits(SPLITS, "splits")
    check_captions(CAPTIONS, SPLITS, "captions.json")


def test_duplicate_id_within_a_split_is_refused():
    with pytest.raises(HanetError, match=r"splits/test.txt: 1 video id\(s\) listed more than once: 'e'"):
        check_splits({**SPLITS, "test": ["e", "f", "e"]}, Path("splits"))


def test_video_in_two_splits_is_refused():
    with pytest.raises(HanetError, match=r"in both train.txt and test.txt: 'a'.*leaks"):
        check_splits({**SPLITS, "test": ["e", "a"]}, Path("splits"))


def test_empty_split_is_refused():
    with pytest.raises(HanetError, match="val split lists no videos"):
        check_splits({**SPLITS, "val": []}, Path("splits"))


@pytest.mark.parametrize("caption", ["", "   ", "\t"])
def test_empty_caption_is_refused_with_video_and_index(caption):
    caps = {**CAPTIONS, "e": ["fine", caption]}
    with pytest.raises(HanetError, match=r"captions.json: 1 empty caption\(s\) \(video\[index\]\): 'e\[1\]'"):
        check_captions(caps, SPLITS, "captions.json")


def test_missing_or_malformed_captions_are_refused():
    with pytest.raises(HanetError, match=r"no captions for 1 test video\(s\): 'f'"):
        check_captions({k: v for k, v in CAPTIONS.items() if k != "f"}, SPLITS, "captions.json")
    with pytest.raises(HanetError, match="expected a non-empty list"):
        check_captions({**CAPTIONS, "d": []}, SPLITS, "captions.json")
    with pytest.raises(HanetError, match="expected a string"):
        check_captions({**CAPTIONS, "d": [3]}, SPLITS, "captions.json")


def _copy_prepared(src: Path, dest: Path) -> tuple[dict, dict]:
    (dest / "splits").mkdir(parents=True)
    splits = {s: (src / "splits" / f"{s}.txt").read_text().split() for s in ("train", "val", "test")}
    return json.loads((src / "captions.json").read_text()), splits


def _write(dest: Path, captions: dict, splits: dict) -> None:
    for s, ids in splits.items():
        (dest / "splits" / f"{s}.txt").write_text("\n".join(ids) + "\n")
    (dest / "captions.json").write_text(json.dumps(captions))


@pytest.mark.parametrize("attack, message", [
    ("duplicate_test_id", "test.txt: 1 video id(s) listed more than once"),
    ("test_video_in_train", "in both train.txt and test.txt"),
    ("empty_caption", "1 empty caption(s)"),
])
def test_hanet_parse_refuses_bad_prepared_data(tiny_prepared, tmp_path, capsys, attack, message):
    prepared = tmp_path / "prepared"
    captions, splits = _copy_prepared(tiny_prepared, prepared)
    test0 = splits["test"][0]
    if attack == "duplicate_test_id":
        splits["test"].append(test0)
    elif attack == "test_video_in_train":
        splits["train"].append(test0)
    else:
        captions[test0][1] = " "
    _write(prepared, captions, splits)
    rc = main(["parse", "--prepared", str(prepared), "--out", str(tmp_path / "text"), "--tagger", "synthetic",
               "--treebank", str(tiny_prepared.parent / "treebank.json"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1 and message in err and str(prepared) in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "text").exists()  # nothing written


def test_hanet_parse_min_count_drops_rare_words(tiny_prepared, tmp_path):
    """`text.min_count` in the schema reaches a stage that accepts it."""
    common = ["--prepared", str(tiny_prepared), "--tagger", "synthetic",
              "--treebank", str(tiny_prepared.parent / "treebank.json"), "--no-progress"]
    assert main(["parse", *common, "--out", str(tmp_path / "t1")]) == 0
    assert main(["parse", *common, "--out", str(tmp_path / "t5"), "--min-count", "5"]) == 0
    v1 = json.loads((tmp_path / "t1" / "vocab.json").read_text())["words"]
    v5 = json.loads((tmp_path / "t5" / "vocab.json").read_text())["words"]
    assert v5[:2] == ["<pad>", "<unk>"] and set(v5) < set(v1)
