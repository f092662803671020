"""Optional GloVe initialisation of word embeddings, restricted to a vocabulary and cached.

The public HANet/HGR code initialises word embeddings from 300-d GloVe. Stanford's files are
large (``glove.42B.300d.zip`` ~1.9 GB), so this module streams the text (plain ``.txt`` or the
first ``.txt`` member of a ``.zip``) line by line, keeps only the words of ``text/vocab.json``,
and caches the result as ``.npy`` (float32 ``(vocab size, dim)``; rows of words GloVe lacks are
drawn from N(0, 0.1^2) with a fixed seed; ``<pad>`` is zero) next to a JSON coverage report.
"""

from __future__ import annotations

import io
import os
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TextIO

import numpy as np

from hanet.errors import HanetError
from hanet.io import atomic_path, read_json, write_json


@contextmanager
def _open_text(path: Path) -> Iterator[TextIO]:
    if path.suffix == ".zip":
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as err:
            raise HanetError(f"{path}: not a readable zip archive ({err})") from None
        with zf:
            members = [n for n in zf.namelist() if n.endswith(".txt")]
            if not members:
                raise HanetError(f"{path}: no .txt member with GloVe vectors")
            with zf.open(members[0]) as raw:
                yield io.TextIOWrapper(raw, encoding="utf-8", errors="replace")
    else:
        if not path.is_file():
            raise HanetError(f"{path}: GloVe file not found")
        with open(path, encoding="utf-8", errors="replace") as f:
            yield f


def load_glove(path: str | os.PathLike, words: list[str], seed: int = 0,
               lowercase_match: bool = True) -> tuple[np.ndarray, dict]:
    """``(embeddings (len(words), dim) float32, coverage report)`` for ``words`` (index 0 = pad)."""
    path = Path(path)
    want = {w: i for i, w in enumerate(words)}
    found: dict[int, np.ndarray] = {}
    dim = None
    with _open_text(path) as f:
        for lineno, line in enumerate(f, start=1):
            word, _, rest = line.rstrip("\n").partition(" ")
            idx = want.get(word)
            if idx is None and lowercase_match:
                idx = want.get(word.lower())
            if idx is None or idx in found:
                continue  # exact-case vectors win over lowercased ones listed later
            vec = np.array(rest.split(" "), dtype=np.float32) if rest else np.zeros(0, np.float32)
            if dim is None:
                dim = len(vec)
            if len(vec) != dim or dim == 0:
                raise HanetError(f"{path}:{lineno}: expected {dim} values after {word!r}, got {len(vec)}")
            found[idx] = vec
    if dim is None:
        raise HanetError(f"{path}: no vector for any of the {len(words)} vocabulary words")
    rng = np.random.default_rng(seed)
    emb = rng.normal(0.0, 0.1, size=(len(words), dim)).astype(np.float32)  # (V, dim)
    if found:
        rows = np.fromiter(found, dtype=np.int64)
        emb[rows] = np.stack([found[i] for i in rows])
    emb[0] = 0.0  # <pad>
    missing = [w for i, w in enumerate(words) if i not in found and i >= 2]
    report = {"source": str(path), "dim": dim, "vocab_size": len(words), "found": len(found),
              "coverage": len(found) / max(1, len(words) - 2), "missing_examples": missing[:50]}
    return emb, report


def cached_glove(glove_path: str | os.PathLike, vocab_json: str | os.PathLike,
                 out_npy: str | os.PathLike, seed: int = 0) -> np.ndarray:
    """Embeddings for ``vocab.json``'s words, computed once and cached at ``out_npy``.

    The coverage report goes to ``out_npy`` with suffix ``.json``. A cache whose row count
    differs from the vocabulary is rebuilt.
    """
    vocab = read_json(vocab_json)
    words = vocab.get("words") if isinstance(vocab, dict) else None
    if not isinstance(words, list) or len(words) < 2:
        raise HanetError(f"{vocab_json}: expected {{\"words\": [\"<pad>\", \"<unk>\", ...]}}")
    out_npy = Path(out_npy)
    if out_npy.is_file():
        cached = np.load(out_npy)
        if cached.shape[0] == len(words):
            return cached
    emb, report = load_glove(glove_path, words, seed)
    with atomic_path(out_npy) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, emb)
    write_json(out_npy.with_suffix(".json"), report)
    return emb


def write_init(glove_path: str | os.PathLike, vocab_json: str | os.PathLike, out: str | os.PathLike) -> dict:
    """A partial public checkpoint holding only the word embedding, for ``train.init_from``:
    ``{"text_encoder": {"embedding.we.weight": (vocab size, dim)}}``. The matrix is cached
    beside ``out`` (``.npy``, with its coverage report ``.json``)."""
    import torch  # only this stage needs it

    out = Path(out)
    emb = cached_glove(glove_path, vocab_json, out.with_suffix(".npy"))
    with atomic_path(out) as tmp:
        torch.save({"text_encoder": {"embedding.we.weight": torch.from_numpy(np.ascontiguousarray(emb))}}, tmp)
    return read_json(out.with_suffix(".json")) if out.with_suffix(".json").is_file() else {}


def cli(argv: list[str]) -> None:
    import argparse

    p = argparse.ArgumentParser(prog="hanet glove", description="GloVe word embeddings for a vocabulary, as a "
                                "partial public checkpoint for train.init_from")
    p.add_argument("--glove", required=True, help="Stanford GloVe .txt or .zip (e.g. glove.42B.300d.zip)")
    p.add_argument("--vocab", required=True, help="text/vocab.json of the dataset")
    p.add_argument("--out", required=True, help="checkpoint to write, e.g. resources/msrvtt/text/glove_init.th")
    a = p.parse_args(argv)
    report = write_init(a.glove, a.vocab, a.out)
    if report:
        print(f"{a.out}: {report['found']} of {report['vocab_size'] - 2} words found in {a.glove} "
              f"({100 * report['coverage']:.1f}%), {report['dim']}-d")
