"""Fetch the NLTK data HANet's caption pipeline needs (`hanet nltk-data`), verified.

``word_tokenize`` needs ``punkt_tab``, ``pos_tag`` needs ``averaged_perceptron_tagger_eng``, stop
words come from ``stopwords`` and lemmas from ``wordnet``. Each package is located through NLTK's
own ``index.xml`` (``<nltk_data><packages><package id= subdir= url= size= checksum=
sha256_checksum= .../>``), downloaded with hanet.data.download, checked against the index's
SHA-256 (or, for entries that only carry it, the MD5 ``checksum``) and its ``size``, then unzipped
into the usual layout ``{out}/{subdir}/{id}/`` beside ``{out}/{subdir}/{id}.zip``. Point NLTK at
it with ``NLTK_DATA={out}`` or ``nltk.data.path.insert(0, out)``. The last file written is
``{out}/hanet_nltk_data.json`` (package -> subdir, url, sha256): a complete install has it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from hanet.data.download import download, extract_archive, sha256_file
from hanet.errors import HanetError
from hanet.io import write_json

INDEX_URL = "https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/index.xml"
PACKAGES = ("punkt_tab", "averaged_perceptron_tagger_eng", "stopwords", "wordnet")
MANIFEST = "hanet_nltk_data.json"
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


def parse_index(xml_bytes: bytes, source: str) -> dict[str, dict[str, str]]:
    """``{package id: attributes}`` of every ``packages/package`` entry of an NLTK index."""
    try:
        root = ET.fromstring(xml_bytes)
    except ET.ParseError as err:
        raise HanetError(f"{source}: not a valid NLTK index.xml ({err})") from None
    packages = {p.get("id"): dict(p.attrib) for p in root.findall("packages/package") if p.get("id")}
    if not packages:
        raise HanetError(f"{source}: no <packages><package id=...> entries (not an NLTK index.xml?)")
    return packages


def _md5_file(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def install_package(info: dict[str, str], out: Path, source: str, progress: bool = True,
                    retries: int = 4, backoff: float = 2.0) -> str:
    """Download, verify and unzip one index entry under ``out``; return the zip's SHA-256."""
    pid, subdir, url = info.get("id", ""), info.get("subdir", ""), info.get("url", "")
    for what, value in (("id", pid), ("subdir", subdir)):
        if not _NAME_RE.match(value) or value in (".", ".."):
            raise HanetError(f"{source}: package {pid!r} has an unsafe or missing {what} {value!r}")
    if not url:
        raise HanetError(f"{source}: package {pid} has no url")
    sha = info.get("sha256_checksum")
    md5 = info.get("checksum")
    if not sha and not md5:
        raise HanetError(f"{source}: package {pid} lists no checksum; refusing to install it unverified")
    zip_path = out / subdir / f"{pid}.zip"
    digest = download(url, zip_path, sha256=sha or None, retries=retries, backoff=backoff, progress=progress)
    if not sha and _md5_file(zip_path) != md5:
        actual = _md5_file(zip_path)
        bad = zip_path.with_name(f"{zip_path.name}.bad-{digest[:8]}")
        os.replace(zip_path, bad)
        raise HanetError(f"{url}: MD5 mismatch: index {source} says {md5}, got {actual}; moved to {bad}")
    size = info.get("size")
    if size and size.isdigit() and zip_path.stat().st_size != int(size):
        bad = zip_path.with_name(f"{zip_path.name}.bad-{digest[:8]}")
        os.replace(zip_path, bad)
        raise HanetError(f"{url}: size {bad.stat().st_size} differs from the index's {size}; moved to {bad}")
    if info.get("unzip", "1") != "0":
        extract_archive(zip_path, out / subdir)
    return digest


def fetch_nltk_data(out: str | os.PathLike, index_url: str = INDEX_URL,
                    packages: tuple[str, ...] | list[str] = PACKAGES, lock: str | os.PathLike | None = None,
                    progress: bool = True, retries: int = 4, backoff: float = 2.0) -> dict[str, dict]:
    """Install ``packages`` from the index at ``index_url`` into ``out``; return the manifest."""
    out = Path(out)
    index_path = out / "index.xml"
    if index_path.exists():
        index_path.unlink()  # always read the current index: its digests are what we verify against
    download(index_url, index_path, lock=None, retries=retries, backoff=backoff, progress=False)
    index = parse_index(index_path.read_bytes(), index_url)
    missing = [p for p in packages if p not in index]
    if missing:
        raise HanetError(f"{index_url}: no package {', '.join(missing)} in the index")
    manifest = {}
    for pid in packages:
        info = index[pid]
        digest = install_package(info, out, index_url, progress, retries, backoff)
        manifest[pid] = {"subdir": info["subdir"], "url": info["url"], "sha256": digest}
    if lock is not None:  # also pin what was installed, so a changed upstream zip is noticed
        for pid, entry in manifest.items():
            download(entry["url"], out / entry["subdir"] / f"{pid}.zip", lock=lock, name=f"nltk_data/{pid}",
                     progress=False)
    write_json(out / MANIFEST, {"index_url": index_url, "index_sha256": sha256_file(index_path),
                                "packages": manifest})
    return manifest


def cli(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="hanet nltk-data", description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="nltk_data folder, e.g. resources/nltk_data")
    p.add_argument("--index-url", default=INDEX_URL, help=f"NLTK index.xml (default {INDEX_URL})")
    p.add_argument("--package", action="append", metavar="ID",
                   help=f"package id (repeatable; default: {' '.join(PACKAGES)})")
    p.add_argument("--lock", help="checksum lock file: also pins each package zip's SHA-256")
    p.add_argument("--retries", type=int, default=4)
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    manifest = fetch_nltk_data(a.out, a.index_url, a.package or PACKAGES, a.lock,
                               progress=not a.no_progress, retries=a.retries)
    for pid, entry in manifest.items():
        print(f"{pid}: {a.out}/{entry['subdir']}/{pid} (sha256 {entry['sha256'][:12]}...)")
