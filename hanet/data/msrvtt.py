"""MSR-VTT for HANet (`hanet msrvtt`): unpack the downloads, apply a split scheme, write prepared/.

Inputs (URLs in docs/real-data.md):
- the videos zip: ``MSRVTT/videos/all/video{N}.mp4`` (frozen-in-time ``MSRVTT.zip``); any zip
  whose ``video{N}.mp4`` members share one folder works (e.g. the Hugging Face mirror);
- CLIP4Clip's ``msrvtt_data.zip``: ``MSRVTT_data.json`` (videodatainfo format: ``videos[{video_id,
  split}]``, ``sentences[{video_id, caption, sen_id}]``) and, for 1k-A, ``MSRVTT_train.9k.csv``
  (column ``video_id``) and ``MSRVTT_JSFUSION_test.csv`` (columns ``key, vid_key, video_id, sentence``).

Split schemes:
- ``full`` (HGR and HANet): train video0-video6512, val video6513-video7009, test video7010-video9999
  = 6,513 / 497 / 2,990 videos with 20 captions each; the annotation's ``split`` field must agree.
- ``1k-A`` (JSFusion, Yu et al. ECCV 2018; the de facto split of later CLIP-era work): 9,000 train
  videos (``MSRVTT_train.9k.csv``, all 20 captions) and 1,000 test videos, each queried with the
  single JSFusion sentence of ``MSRVTT_JSFUSION_test.csv``. The split has no validation set; as in
  CLIP4Clip, ``val.txt`` repeats the test list, so checkpoint selection sees the test videos
  (say so when reporting 1k-A numbers).

Outputs: videos unpacked flat into ``--videos-dir`` (``video{N}.mp4``; files already there with the
right size are kept), and under ``--out`` the prepared/ contract: ``splits/``, ``captions.json``,
``videos.json`` (see hanet.data.prepare, whose validation and writer are reused).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import zipfile
from pathlib import Path, PurePosixPath

from hanet.argtypes import triple
from hanet.data.download import extract_archive
from hanet.data.prepare import SPLITS, check_counts, prepare_annotation, splits_and_captions
from hanet.errors import HanetError
from hanet.io import write_json, write_text

SCHEMES = ("full", "1k-A")
FULL_RANGES = {"train": range(0, 6513), "val": range(6513, 7010), "test": range(7010, 10000)}
EXPECTED_COUNTS = {"full": (6513, 497, 2990), "1k-A": (9000, 1000, 1000)}
ANNOTATION = "MSRVTT_data.json"
TRAIN_9K = "MSRVTT_train.9k.csv"
JSFUSION_TEST = "MSRVTT_JSFUSION_test.csv"
_VIDEO_RE = re.compile(r"^video(\d+)$")


def _open_zip(path: str | Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise HanetError(f"{path}: not a readable zip archive ({err})") from None


def _read_member(zf: zipfile.ZipFile, basename: str) -> bytes:
    """The one member of ``zf`` called ``basename`` (whatever its folder)."""
    hits = [n for n in zf.namelist() if PurePosixPath(n).name == basename and not n.startswith("__MACOSX")]
    if len(hits) != 1:
        raise HanetError(f"{zf.filename}: expected one {basename}, found {len(hits)}")
    return zf.read(hits[0])


def unpack_videos(videos_zip: str | Path, videos_dir: str | Path) -> int:
    """Extract every ``video{N}.mp4`` of the zip flat into ``videos_dir``; return how many."""
    with _open_zip(videos_zip) as zf:
        members = [n for n in zf.namelist() if _VIDEO_RE.match(PurePosixPath(n).stem)
                   and n.endswith(".mp4") and not n.startswith("__MACOSX")]
    if not members:
        raise HanetError(f"{videos_zip}: no video{{N}}.mp4 members (expected MSRVTT/videos/all/video0.mp4 ...)")
    folders = {str(PurePosixPath(n).parent) for n in members}
    if len(folders) != 1:
        raise HanetError(f"{videos_zip}: video files spread over several folders {sorted(folders)[:3]}")
    folder = folders.pop()
    extract_archive(videos_zip, videos_dir, members, strip="" if folder == "." else folder + "/")
    return len(members)


def _video_number(vid: str, source: str) -> int:
    m = _VIDEO_RE.match(vid)
    if not m:
        raise HanetError(f"{source}: unexpected MSR-VTT video id {vid!r} (expected video<N>)")
    return int(m.group(1))


def _read_csv(zf: zipfile.ZipFile, basename: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    text = _read_member(zf, basename).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or any(c not in rows[0] for c in columns):
        raise HanetError(f"{zf.filename}: {basename} must have columns {columns}")
    return rows


def scheme_annotation(captions_zip: str | Path, scheme: str) -> tuple[dict, dict[str, list[str]] | None]:
    """Read the captions zip; return the annotation for ``scheme`` and, for 1k-A, its split lists."""
    if scheme not in SCHEMES:
        raise HanetError(f"unknown MSR-VTT split scheme {scheme!r} (expected one of {SCHEMES})")
    with _open_zip(captions_zip) as zf:
        source = f"{captions_zip}:{ANNOTATION}"
        try:
            annotation = json.loads(_read_member(zf, ANNOTATION))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise HanetError(f"{source}: malformed JSON ({err})") from None
        splits, _ = splits_and_captions(annotation, source)  # validates the format
        if scheme == "full":
            for split, ids in splits.items():
                wrong = [v for v in ids if _video_number(v, source) not in FULL_RANGES[split]]
                if wrong:
                    raise HanetError(f"{source}: video {wrong[0]} has split {split} but lies outside "
                                     f"video{FULL_RANGES[split].start}-video{FULL_RANGES[split].stop - 1}")
            return annotation, None
        train = [r["video_id"].strip() for r in _read_csv(zf, TRAIN_9K, ("video_id",))]
        test_rows = _read_csv(zf, JSFUSION_TEST, ("video_id", "sentence"))
    test = [r["video_id"].strip() for r in test_rows]
    if len(set(train)) != len(train) or len(set(test)) != len(test) or set(train) & set(test):
        raise HanetError(f"{captions_zip}: {TRAIN_9K} and {JSFUSION_TEST} must list distinct, disjoint videos")
    train_set = set(train)
    sentences = [s for s in annotation["sentences"] if s["video_id"] in train_set]
    sentences += [{"video_id": r["video_id"].strip(), "caption": r["sentence"], "sen_id": r.get("key")}
                  for r in test_rows]  # one JSFusion query sentence per test video
    videos = [{"video_id": v, "split": "train"} for v in train] + [{"video_id": v, "split": "test"} for v in test]
    known = {v["video_id"] for v in annotation["videos"]}
    unknown = [v for v in train + test if v not in known]
    if unknown:
        raise HanetError(f"{captions_zip}: 1k-A lists name videos absent from {ANNOTATION}, e.g. {unknown[0]}")
    return {"videos": videos, "sentences": sentences}, {"train": train, "val": test, "test": test}


def prepare_msrvtt(captions_zip: str | Path, out: str | Path, scheme: str = "full",
                   videos_zip: str | Path | None = None, videos_dir: str | Path | None = None,
                   expect_counts: tuple[int, int, int] | None | str = "published") -> dict[str, list[str]]:
    """Unpack (when ``videos_zip`` is given) and write the prepared/ folder ``out``; return splits.

    ``expect_counts``: the scheme's published sizes by default, None to skip the check;
    a mismatch is a HanetError.
    """
    expect = EXPECTED_COUNTS.get(scheme) if expect_counts == "published" else expect_counts
    annotation, lists = scheme_annotation(captions_zip, scheme)
    if videos_zip is not None:
        if videos_dir is None:
            raise HanetError("--videos-zip needs --videos-dir (where to unpack the videos)")
        unpack_videos(videos_zip, videos_dir)
    source = f"{captions_zip} ({scheme})"
    if lists is None:
        return prepare_annotation(annotation, out, videos_dir, expect, source=source)
    check_counts(lists, expect, source)
    _write_1ka(annotation, lists, Path(out), videos_dir, source)
    return lists


def _write_1ka(annotation: dict, lists: dict[str, list[str]], out: Path,
               videos_dir: str | Path | None, source: str) -> None:
    """prepared/ for 1k-A. prepare_annotation requires disjoint splits, and here val repeats
    test, so the same files are written directly (same formats as hanet.data.prepare)."""
    captions: dict[str, list[str]] = {v: [] for v in lists["train"] + lists["test"]}
    for s in annotation["sentences"]:
        cap = s["caption"].strip() if isinstance(s.get("caption"), str) else ""
        if not cap:
            raise HanetError(f"{source}: video {s['video_id']}: empty caption (sen_id {s.get('sen_id')})")
        captions[s["video_id"]].append(cap)
    empty = [v for v, caps in captions.items() if not caps]
    if empty:
        raise HanetError(f"{source}: video {empty[0]} has no captions ({len(empty)} videos without captions)")
    if videos_dir is not None:
        manifest = {}
        for vid in captions:
            path = Path(videos_dir) / f"{vid}.mp4"
            if not path.is_file():
                raise HanetError(f"{videos_dir}: video file for {vid} not found ({path.name})")
            manifest[vid] = os.path.relpath(path.resolve(), out.resolve())
        write_json(out / "videos.json", manifest, indent=1)
    for name in SPLITS:
        write_text(out / "splits" / f"{name}.txt", "\n".join(lists[name]) + "\n")
    write_json(out / "captions.json", captions, indent=1)


def _counts(text: str) -> tuple[int, int, int] | None | str:
    if text.lower() in ("none", "published"):
        return None if text.lower() == "none" else "published"
    return triple(int, "train,val,test counts (or none / published)")(text)


def cli(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="hanet msrvtt", description=__doc__.split("\n")[0])
    p.add_argument("--captions-zip", required=True, help="CLIP4Clip msrvtt_data.zip")
    p.add_argument("--videos-zip", help="MSRVTT.zip (omit when --videos-dir is already unpacked)")
    p.add_argument("--videos-dir", help="flat folder of video{N}.mp4 (unpacked into; writes videos.json)")
    p.add_argument("--split", choices=SCHEMES, default="full", help="split scheme (default full)")
    p.add_argument("--out", required=True, help="prepared/ folder, e.g. resources/msrvtt/prepared")
    p.add_argument("--expect-counts", type=_counts, default="published",
                   help="train,val,test video counts; 'published' (default: 6513,497,2990 for full, "
                        "9000,1000,1000 for 1k-A) or 'none'")
    p.add_argument("--unpack-only", action="store_true", help="only unpack --videos-zip into --videos-dir")
    a = p.parse_args(argv)
    if a.unpack_only:
        if not (a.videos_zip and a.videos_dir):
            raise HanetError("--unpack-only needs --videos-zip and --videos-dir")
        print(f"unpacked {unpack_videos(a.videos_zip, a.videos_dir)} videos -> {a.videos_dir}")
        return
    splits = prepare_msrvtt(a.captions_zip, a.out, a.split, a.videos_zip, a.videos_dir,
                            a.expect_counts)
    print(f"MSR-VTT {a.split}: " + ", ".join(f"{k} {len(v)}" for k, v in splits.items()) + f" videos -> {a.out}")
