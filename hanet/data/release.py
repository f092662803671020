"""`hanet release`: the authors' input package (the HGR/HANet release) -> the suite's stage contracts.

    hanet release --dataset msrvtt --folder data/MSRVTT-HGR --out resources/msrvtt_release \\
        --extractor resnet152 --max-frames 20 --lock config/release.lock.json --name msrvtt_release

HANet (github.com/Roc-Ng/HANet) trains on a package its authors share from cloud folders (the layout
of the public ``data/{msrvtt,vatex}/path.json``; see ``LAYOUTS``): vocabulary, captions, role graphs
from semantic role labelling, concept labels, the public split and frame features. This stage reads
it exactly as the public readers do and writes the files every other dataset has
(docs/interfaces.md), so training and evaluation run unchanged:

    prepared/splits/{train,val,test}.txt  the public split (trn/val/tst_names.npy)
    prepared/captions.json                ref_captions.json, the split videos only, caption order kept
    features/{extractor}.h5               trn/val/tst_ft.hdf5 merged; each video sub-sampled to
                                          --max-frames rows at round(linspace(0, T-1, max)) (the
                                          public 'select' trim; the loader's sampling is then a no-op)
    text/vocab.json                       the authors' ids (word2int), word i at index i
    text/parses.json                      each caption: tokens = caption.split(), words outside word2int
                                          replaced by the word at the public UNK id 2; role-graph nodes
                                          in file order (role V -> verb node, other roles -> noun nodes,
                                          ROOT dropped), edges root->verb and verb<->noun only
    text/labels.json                      verb_gt / noun_gt per caption (train videos; others: none)
    text/video_concepts.json              verb_gt_all / noun_gt_all keys: the concepts of the video's
                                          captions, masked out of a caption's concept loss unless it
                                          names them (the public reader's mask)
    text/concepts.json                    placeholder names (verb#0 ...): the release has ids only
    text/release.json                     what was read: files, digests, counts

Verb/noun truncation (4 / 6 nodes) and the max_words span rule are applied when batches are built
(``hanet.train.data.encode_texts``), as in the public reader. Each release file's SHA-256 is pinned
in ``--lock`` on first use (commit that file); a later run with a different file stops.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np

from hanet.errors import HanetError
from hanet.io import atomic_path, read_json, write_json, write_text

SPLITS = {"train": "trn", "val": "val", "test": "tst"}
UNK = 2  # the public readers' unknown-word id (t2vretrieval/readers/mpdata.py)

_COMMON = {
    "word2int": "annotation/RET/word2int.json",
    "int2word": "annotation/RET/int2word.npy",
    "ref_captions": "annotation/RET/ref_captions.json",
    "role_graphs": "annotation/RET/sent2rolegraph.augment.json",
    **{f"{s}_names": f"public_split/{s}_names.npy" for s in SPLITS.values()},
}
# Each file of the release, as the public data/{dataset}/path.json names it (relative to the folder).
LAYOUTS: dict[str, dict[str, str]] = {
    "msrvtt": {
        **_COMMON,
        **{f"{k}_gt{a}": f"annotation/{k}_gt{a}.json" for k in ("verb", "noun") for a in ("", "_all")},
        **{f"{s}_ft": f"ordered_feature/SA/resnet152.pth/{s}_ft.hdf5" for s in SPLITS.values()},
    },
    "vatex": {
        **_COMMON,
        **{f"{k}_gt{a}": f"annotation/RET/{k}_gt{a}.json" for k in ("verb", "noun") for a in ("", "_all")},
        **{f"{s}_ft": f"VATEX_ordered_feature/SA/RET.public.i3d/{s}_ft.hdf5" for s in SPLITS.values()},
    },
}
OPTIONAL = {"int2word"}  # the readers use word2int only; int2word is checked against it when present
WHERE = ("the authors' release (annotations, public split, concept labels, frame features) is linked from "
         "the README of github.com/Roc-Ng/HANet (cloud folders, downloaded by hand once); see README "
         "'Reproducing the paper from the authors' release'")


def release_paths(dataset: str, folder: str | Path, overrides: dict[str, str] | None = None) -> dict[str, Path]:
    """{file key: path}: the public layout under ``folder``, with ``overrides`` (relative to ``folder``
    unless absolute) for a copy laid out differently."""
    if dataset not in LAYOUTS:
        raise HanetError(f"release: unknown dataset {dataset!r} (one of {', '.join(LAYOUTS)})")
    unknown = sorted(set(overrides or {}) - set(LAYOUTS[dataset]))
    if unknown:
        raise HanetError(f"release: unknown file key {unknown[0]!r} (keys: {', '.join(LAYOUTS[dataset])})")
    layout = {**LAYOUTS[dataset], **(overrides or {})}
    return {key: Path(folder) / rel for key, rel in layout.items()}


def missing_files(dataset: str, folder: str | Path, overrides: dict[str, str] | None = None) -> list[Path]:
    """The required release files that are not there (empty: the release is complete)."""
    return [p for key, p in release_paths(dataset, folder, overrides).items()
            if key not in OPTIONAL and not p.is_file()]


def missing_message(name: str, dataset: str, folder: str | Path, missing: list[Path]) -> str:
    what = "folder not found" if not Path(folder).is_dir() else f"{len(missing)} file(s) missing"
    lines = [f"dataset '{name}' (the authors' {dataset} release): {folder}: {what}:"]
    lines += [f"  {p}" for p in missing]
    lines.append(f"Get it: {WHERE}; put it at {folder} (or set data.{name}.release.folder / .paths in "
                 f"config/config.yaml).")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- checksums
def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _locked(lock: Path):
    """Read-modify-write the lock JSON under an exclusive flock (two datasets may convert at once)."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock.with_name(lock.name + ".flock"), "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        entries = read_json(lock) if lock.is_file() and lock.stat().st_size else {}
        if not isinstance(entries, dict):
            raise HanetError(f"{lock}: release lock file must be a JSON object {{dataset: {{file: sha256}}}}")
        before = json.dumps(entries, sort_keys=True)
        yield entries
        if json.dumps(entries, sort_keys=True) != before:
            write_json(lock, {k: entries[k] for k in sorted(entries)})


def verify_or_pin(paths: dict[str, Path], lock: Path, dataset: str) -> dict[str, str]:
    """SHA-256 of every present release file, checked against ``lock[dataset]`` or pinned there."""
    by_path: dict[Path, str] = {}
    for p in sorted(set(p for p in paths.values() if p.is_file())):
        by_path[p] = sha256_file(p)
    digests = {key: by_path[p] for key, p in sorted(paths.items()) if p in by_path}
    with _locked(lock) as entries:
        pinned = entries.setdefault(dataset, {})
        new = [key for key in digests if key not in pinned]
        for key, digest in digests.items():
            if key not in pinned:
                pinned[key] = digest
            elif pinned[key] != digest:
                raise HanetError(f"{paths[key]}: sha256 {digest} differs from {pinned[key]} pinned for "
                                 f"{dataset} '{key}' in {lock}: not the release this repository was run with "
                                 f"(remove that entry to accept this file)")
    if new:
        print(f"hanet release: pinned the SHA-256 of {len(new)} file(s) of {dataset} in {lock} (commit it): "
              f"{', '.join(new)}")
    return digests


def git_blob_id(path: Path) -> str:
    """Git's object id of a file (SHA-1 of "blob <size>\\0" + bytes): a file of a public repository can be
    checked against the id its tree lists without the network."""
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def check_glove(path: Path, num_words: int, git_blob: str | None = None) -> None:
    """The authors' word_embeds.*.th ({"text_encoder": {"embedding.we.weight": (num_words, 300)}}) fits
    this vocabulary (and is the file of their repository when ``git_blob`` is given)."""
    if git_blob and git_blob_id(path) != git_blob:
        raise HanetError(f"{path}: git blob id {git_blob_id(path)} is not {git_blob}, the authors' file at "
                         f"github.com/Roc-Ng/HANet commit e679703")
    from hanet.train.import_checkpoint import read_public  # torch only when GloVe is used

    weight = read_public(path).get("text_encoder", {}).get("embedding.we.weight")
    if weight is None or weight.ndim != 2 or weight.shape[0] != num_words:
        raise HanetError(f"{path}: expected text_encoder.embedding.we.weight of shape ({num_words}, dim) for "
                         f"this release's {num_words} words, found {None if weight is None else tuple(weight.shape)}")


# ----------------------------------------------------------------------------- conversion
def _names(path: Path) -> list[str]:
    try:
        names = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise HanetError(f"{path}: not a readable array of video names ({err})") from None
    return [str(n) for n in names.reshape(-1)]


def _vocabulary(paths: dict[str, Path]) -> list[str]:
    word2int = read_json(paths["word2int"])
    words = [None] * len(word2int)
    for w, i in word2int.items():
        if not isinstance(i, int) or not 0 <= i < len(words) or words[i] is not None:
            raise HanetError(f"{paths['word2int']}: ids must be 0..{len(words) - 1}, each once (word {w!r}: {i!r})")
        words[i] = w
    if len(words) <= UNK:
        raise HanetError(f"{paths['word2int']}: {len(words)} words; the public UNK id is {UNK}")
    if paths["int2word"].is_file():
        int2word = [str(w) for w in np.load(paths["int2word"], allow_pickle=True).reshape(-1)]
        if int2word != words:
            raise HanetError(f"{paths['int2word']}: does not invert {paths['word2int'].name}")
    return words


def parse_role_graph(caption: str, graph, vocab: set[str], unk: str) -> tuple[dict, int]:
    """One caption's public role graph as a parse (docs/interfaces.md); also the number of nodes
    without word spans, which are dropped (the public reader cannot read them either)."""
    try:
        nodes, edges = graph
    except (TypeError, ValueError):
        raise HanetError(f"role graph of {caption!r}: expected [nodes, edges]") from None
    verbs = [(k, n) for k, n in nodes.items() if n["role"] == "V" and n["spans"]]
    nouns = [(k, n) for k, n in nodes.items() if n["role"] not in ("ROOT", "V") and n["spans"]]
    empty = sum(1 for n in nodes.values() if n["role"] != "ROOT" and not n["spans"])
    index = {k: 1 + i for i, (k, _) in enumerate(verbs + nouns)}  # node 0 is the root
    out_nodes = [{"kind": "root"}]
    out_nodes += [{"kind": "verb", "role": "V", "positions": [int(p) for p in n["spans"]]} for _, n in verbs]
    out_nodes += [{"kind": "noun", "role": n["role"], "positions": [int(p) for p in n["spans"]]} for _, n in nouns]
    verb_keys, noun_keys = {k for k, _ in verbs}, {k for k, _ in nouns}
    out_edges = [[0, index[k]] for k, _ in verbs]
    for src, dst in edges:
        if src in verb_keys and dst in noun_keys:
            out_edges += [[index[src], index[dst]], [index[dst], index[src]]]
    tokens = [w if w in vocab else unk for w in caption.split()]
    return {"tokens": tokens, "nodes": out_nodes, "edges": out_edges}, empty


def _copy_features(paths: dict[str, Path], splits: dict[str, list[str]], out: Path, extractor: str,
                   max_frames: int) -> int:
    dim = None
    with atomic_path(out) as tmp, h5py.File(tmp, "w") as dst:
        for split, ids in splits.items():
            src_path = paths[f"{SPLITS[split]}_ft"]
            try:
                src = h5py.File(src_path, "r")
            except OSError as err:
                raise HanetError(f"{src_path}: not a readable HDF5 file ({err})") from None
            with src:
                for vid in ids:
                    if vid in dst:  # val and test may share videos (e.g. val = test)
                        continue
                    key = vid.replace("/", "_")  # the public reader's key
                    if key not in src:
                        raise HanetError(f"{src_path}: no features for video '{vid}' ({split} split)")
                    arr = np.asarray(src[key], dtype=np.float32)  # (T, D)
                    if arr.ndim != 2 or arr.shape[0] == 0 or (dim is not None and arr.shape[1] != dim):
                        raise HanetError(f"{src_path}: video '{vid}' has features of shape {arr.shape}, "
                                         f"expected (T>0, {dim or 'D'})")
                    if not np.isfinite(arr).all():
                        raise HanetError(f"{src_path}: video '{vid}' has NaN or inf features")
                    dim = arr.shape[1]
                    rows = np.arange(arr.shape[0])
                    if arr.shape[0] >= max_frames:  # pad_or_trim_feature(trim_type='select')
                        rows = np.round(np.linspace(0, arr.shape[0] - 1, max_frames)).astype(np.int64)
                    ds = dst.create_dataset(vid, data=arr[rows])
                    ds.attrs["frame_indices"] = rows.astype(np.int64)
                    ds.attrs["num_native_frames"] = int(arr.shape[0])
        dst.attrs["extractor"] = extractor
        dst.attrs["settings"] = json.dumps({"source": "authors' release", "max_frames": max_frames,
                                            "sampling": "round(linspace(0, T-1, max_frames)) when T >= max_frames"})
        dst.attrs["dim"] = int(dim)
        dst.attrs["failures"] = "[]"
    return int(dim)


def convert_release(dataset: str, folder: str | Path, out: str | Path, extractor: str, max_frames: int,
                    num_verbs: int = 512, num_nouns: int = 1024, overrides: dict[str, str] | None = None,
                    lock: str | Path | None = None, name: str | None = None, glove: str | Path | None = None,
                    glove_git_blob: str | None = None) -> dict:
    """Check the release under ``folder``, pin or verify its digests, write ``out``/{prepared,features,text}."""
    paths = release_paths(dataset, folder, overrides)
    missing = missing_files(dataset, folder, overrides)
    if missing:
        raise HanetError(missing_message(name or dataset, dataset, folder, missing))
    digests = verify_or_pin(paths, Path(lock), name or dataset) if lock else {}
    out = Path(out)
    splits = {split: _names(paths[f"{short}_names"]) for split, short in SPLITS.items()}
    train = set(splits["train"])
    for split in ("val", "test"):
        both = train.intersection(splits[split])
        if both:
            raise HanetError(f"{paths[SPLITS[split] + '_names']}: video '{sorted(both)[0]}' is also in the train split")
    ref = read_json(paths["ref_captions"])
    graphs = read_json(paths["role_graphs"])
    words = _vocabulary(paths)
    vocab = set(words)
    if glove:
        check_glove(Path(glove), len(words), glove_git_blob)
    captions, parses, empty_nodes = {}, {}, 0
    for split, ids in splits.items():
        for vid in ids:
            caps = ref.get(vid)
            if not caps:
                raise HanetError(f"{paths['ref_captions']}: video '{vid}' ({split} split) has no captions")
            captions[vid] = caps
            for cap in caps:
                if cap in parses:
                    continue
                if cap not in graphs:
                    raise HanetError(f"{paths['role_graphs']}: no role graph for caption {cap!r} (video '{vid}')")
                parses[cap], empty = parse_role_graph(cap, graphs[cap], vocab, words[UNK])
                empty_nodes += empty

    gt = {key: read_json(paths[key]) for key in ("verb_gt", "noun_gt", "verb_gt_all", "noun_gt_all")}
    labels, video_concepts = {}, {}
    for vid, caps in captions.items():
        per_caption = [{"verbs": [], "nouns": []} for _ in caps]
        if vid in train:
            for kind, size in (("verb", num_verbs), ("noun", num_nouns)):
                lists = gt[f"{kind}_gt"].get(vid)
                if not isinstance(lists, list) or len(lists) != len(caps):
                    raise HanetError(f"{paths[kind + '_gt']}: video '{vid}' needs one label list per caption "
                                     f"({len(caps)}), has {len(lists) if isinstance(lists, list) else 'none'}")
                bad = [c for ids in lists for c in ids if not 0 <= int(c) < size]
                if bad:
                    raise HanetError(f"{paths[kind + '_gt']}: video '{vid}': concept {bad[0]} outside 0..{size - 1}")
                for lab, ids in zip(per_caption, lists):
                    lab[kind + "s"] = [int(c) for c in ids]
        labels[vid] = per_caption
        video_concepts[vid] = {k + "s": sorted(int(c) for c in gt[f"{k}_gt_all"].get(vid, {}))
                               for k in ("verb", "noun")}
        for k, size in (("verbs", num_verbs), ("nouns", num_nouns)):
            if any(not 0 <= c < size for c in video_concepts[vid][k]):
                raise HanetError(f"{paths[k[:-1] + '_gt_all']}: video '{vid}': a concept outside 0..{size - 1}")

    dim = _copy_features(paths, splits, out / "features" / f"{extractor}.h5", extractor, max_frames)
    for split, ids in splits.items():
        write_text(out / "prepared" / "splits" / f"{split}.txt", "\n".join(ids) + "\n")
    write_json(out / "prepared" / "captions.json", captions)
    text = out / "text"
    write_json(text / "vocab.json", {"words": words})
    write_json(text / "parses.json", parses, indent=None)
    write_json(text / "labels.json", labels, indent=None)
    write_json(text / "video_concepts.json", video_concepts, indent=None)
    write_json(text / "concepts.json", {"verbs": [f"verb#{i}" for i in range(num_verbs)],
                                        "nouns": [f"noun#{i}" for i in range(num_nouns)]})
    summary = {"dataset": dataset, "folder": str(folder), "dim": dim, "vocab": len(words),
               "captions": sum(map(len, captions.values())), "unique_captions": len(parses),
               "nodes_without_spans": empty_nodes, **{split: len(ids) for split, ids in splits.items()}}
    write_json(text / "release.json", {**summary, "files": {k: str(p) for k, p in paths.items()},
                                        "sha256": digests})
    print(f"hanet release: {folder} -> {out}: {summary}")
    return summary


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=path, got {text!r}")
    return key, value


def cli(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="hanet release", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, choices=sorted(LAYOUTS), help="which release layout")
    p.add_argument("--folder", required=True, help="the release folder (e.g. data/MSRVTT-HGR)")
    p.add_argument("--path", type=_key_value, action="append", default=[], metavar="KEY=PATH",
                   help=f"a file elsewhere (relative to --folder unless absolute); keys: {', '.join(LAYOUTS['msrvtt'])}")
    p.add_argument("--out", help="resources/{dataset}")
    p.add_argument("--extractor", default="release", help="features file name: {out}/features/{extractor}.h5")
    p.add_argument("--max-frames", type=int, default=20)
    p.add_argument("--num-verbs", type=int, default=512)
    p.add_argument("--num-nouns", type=int, default=1024)
    p.add_argument("--lock", help="pin / verify the release files' SHA-256 in this JSON (commit it)")
    p.add_argument("--name", help="key of this release in --lock (default: --dataset)")
    p.add_argument("--glove", help="the authors' word_embeds.*.th (train.init_from): checked against the vocabulary")
    p.add_argument("--glove-git-blob", help="expected git blob id of --glove (its id in the authors' repository)")
    p.add_argument("--check", action="store_true", help="only list missing files (exit 1 if any)")
    a = p.parse_args(argv)
    overrides = dict(a.path)
    if a.check:
        missing = missing_files(a.dataset, a.folder, overrides)
        if missing:
            raise HanetError(missing_message(a.name or a.dataset, a.dataset, a.folder, missing))
        print(f"hanet release: {a.folder}: complete")
        return
    if not a.out:
        p.error("--out is required (unless --check)")
    convert_release(a.dataset, a.folder, a.out, a.extractor, a.max_frames, a.num_verbs, a.num_nouns,
                    overrides, a.lock, a.name, a.glove, a.glove_git_blob)
