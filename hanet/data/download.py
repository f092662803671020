"""Resumable, verified downloads (`hanet download`) and atomic zip extraction.

A download streams into ``PATH.part`` and resumes it with an HTTP ``Range`` request after a
cut connection (a server that answers 200 instead of 206 restarts it from byte 0). Transient
failures are retried with exponential backoff; fallback URLs are tried in order. The finished
file is verified against a SHA-256 digest and only then renamed onto ``PATH``:

- a digest given with ``--sha256`` is checked;
- otherwise the lock file (JSON ``{name: sha256}``, keyed by ``--name`` or else by the URL that
  served the file) pins the digest seen on the first download; later downloads must match it.

A file that fails verification is moved aside to ``PATH.bad-<digest8>`` and never used.

Before a digest is pinned, the file is checked for what it claims to be (:func:`check_content`,
by the name's suffix): a ``.zip`` (or zip-format ``.pth``) opens and lists its members, a
``.json`` parses, and no file is an HTML/XML page (an error or login page served with status
200) or empty. A body that ends without the server having announced its size
(no ``Content-Length``) is confirmed with a second request (``Range`` from its end: more bytes
mean it was cut, and the download resumes); when neither that nor the content check can
vouch for the whole file, it is used but its digest is not pinned (a message says so).
A digest mismatch is final: it is not retried (the same bytes would come back).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Iterator, Sequence

from tqdm import tqdm

from hanet.errors import HanetError
from hanet.io import atomic_path, read_json, write_json

CHUNK = 1 << 20  # bytes per read
USER_AGENT = "hanet-bench/0.1 (+https://github.com/; python-urllib)"
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class _Retryable(Exception):
    """A failure worth trying again (connection cut, timeout, 5xx, 429)."""


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- lock file

@contextlib.contextmanager
def _locked(lock: Path) -> Iterator[dict[str, str]]:
    """Read-modify-write the lock JSON under an exclusive flock (parallel jobs share it)."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock.with_name(lock.name + ".flock"), "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        entries: dict[str, str] = {}
        if lock.is_file() and lock.stat().st_size:
            entries = read_json(lock)  # HanetError naming the file when malformed
            if not isinstance(entries, dict):
                raise HanetError(f"{lock}: checksum lock file must be a JSON object {{name: sha256}}")
        before = dict(entries)
        yield entries
        if entries != before:
            write_json(lock, dict(sorted(entries.items())))


def pinned_digest(lock: str | os.PathLike | None, name: str) -> str | None:
    if lock is None or not Path(lock).is_file():
        return None
    with _locked(Path(lock)) as entries:
        return entries.get(name)


# ----------------------------------------------------------------------------- fetching

def _total_size(status: int, headers, offset: int) -> int | None:
    """The full file size the server announced (Content-Range total, or offset + Content-Length)."""
    if status == 206:
        total = (headers.get("Content-Range") or "").rpartition("/")[2]
        if total.isdigit():
            return int(total)
    length = headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None


def _fetch(url: str, part: Path, timeout: float, progress: bool) -> int | None:
    """Append the rest of ``url`` to ``part`` (resuming with Range); raise _Retryable on cuts.

    Returns the file size the server announced, or None when it sent no Content-Length
    (then a cut connection looks like a clean end: see :func:`_probe_end`).
    """
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:  # nothing left to send: is the part already complete?
            total = (err.headers.get("Content-Range") or "").rpartition("/")[2]
            if total.isdigit() and int(total) == offset:
                return offset
            part.unlink()
            raise _Retryable(f"HTTP 416 for a {offset}-byte partial file; restarting") from None
        if err.code in (408, 429) or err.code >= 500:
            raise _Retryable(f"HTTP {err.code} {err.reason}") from None
        raise HanetError(f"{url}: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
        raise _Retryable(f"{getattr(err, 'reason', err)}") from None

    with response:
        status = getattr(response, "status", None) or 200
        if offset and status != 206:  # server ignored Range: start over
            offset = 0
        expected_end = _total_size(status, response.headers, offset)
        written = offset
        with open(part, "ab" if offset else "wb") as f, tqdm(
            total=expected_end, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
            desc=part.name.removesuffix(".part"), disable=not progress, leave=False,
        ) as bar:
            try:
                for block in iter(lambda: response.read(CHUNK), b""):
                    f.write(block)
                    written += len(block)
                    bar.update(len(block))
            except (OSError, TimeoutError, ConnectionError) as err:  # includes IncompleteRead
                raise _Retryable(f"connection lost after {written} bytes ({err})") from None
    if expected_end is not None and written < expected_end:
        raise _Retryable(f"connection closed after {written} of {expected_end} bytes")
    return expected_end


def _probe_end(url: str, size: int, timeout: float) -> str:
    """Ask for the bytes after ``size``: 'complete', 'more' (the body was cut), 'restart' (cut, and
    the server ignores Range) or 'unknown' (the server announces no size at all)."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Range": f"bytes={size}-"})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416:  # nothing after `size`
            total = (err.headers.get("Content-Range") or "").rpartition("/")[2]
            return "complete" if not total.isdigit() or int(total) == size else "restart"
        return "unknown"
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError):
        return "unknown"
    with response:
        status = getattr(response, "status", None) or 200
        if status == 206:
            return "more" if response.read(1) else "complete"
        total = _total_size(status, response.headers, 0)
        if total is None:
            return "unknown"
        return "complete" if total == size else "restart"


def _fetch_with_retries(url: str, part: Path, retries: int, backoff: float, timeout: float,
                        progress: bool) -> bool:
    """Fetch ``url`` into ``part``; True when the whole file is known to be there, False when the
    server never announced a size and could not confirm it (see :func:`_probe_end`)."""
    for attempt in range(retries + 1):
        try:
            if _fetch(url, part, timeout, progress) is not None:
                return True
            end = _probe_end(url, part.stat().st_size, timeout)
            if end in ("complete", "unknown"):
                return end == "complete"
            if end == "restart":
                part.unlink()
            raise _Retryable(f"the body ended after {part.stat().st_size if part.exists() else 0} bytes without "
                             f"a Content-Length, and a second request shows the file is longer")
        except _Retryable as err:
            if attempt == retries:
                raise HanetError(f"{url}: gave up after {retries + 1} attempts: {err}") from None
            delay = backoff * 2 ** attempt
            print(f"hanet download: {url}: {err}; retrying in {delay:.0f}s "
                  f"(attempt {attempt + 2}/{retries + 1})", flush=True)
            time.sleep(delay)


def _quarantine(path: Path, digest: str) -> Path:
    bad = path.with_name(f"{path.name.removesuffix('.part')}.bad-{digest[:8]}")
    os.replace(path, bad)
    return bad


_PAGE_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<\?xml|<!--)", re.IGNORECASE)


def check_content(path: str | os.PathLike, name: str | None = None) -> tuple[str | None, bool]:
    """Is ``path`` what its name (``name``, default the file's) claims? Returns ``(problem, vouched)``.

    ``problem`` is None when nothing is wrong; ``vouched`` is True when the check also shows
    the file is whole (a zip's central directory at its end, JSON that parses to its end).
    """
    path = Path(path)
    suffix = Path(name or path.name).suffix.lower()
    size = path.stat().st_size
    if size == 0:
        return "the server sent an empty body", False
    with open(path, "rb") as f:
        head = f.read(1024).removeprefix(b"\xef\xbb\xbf")
    if suffix not in (".html", ".htm", ".xml") and _PAGE_START.match(head):
        start = " ".join(head[:80].decode("utf-8", "replace").split())
        return (f"the server sent an HTML/XML page ({size} bytes, starting {start!r}), not the file: an error or "
                f"login page served with status 200"), False
    if suffix == ".zip" or (suffix in (".pth", ".pt") and head.startswith(b"PK")):
        try:
            with zipfile.ZipFile(path) as zf:
                members = zf.namelist()
        except (zipfile.BadZipFile, OSError) as err:
            return f"not a readable zip archive ({err}): cut short, or not the archive", False
        return (None, True) if members else ("a zip archive without members", False)
    if suffix == ".json":
        try:
            json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as err:
            return f"not valid JSON ({str(err).splitlines()[0]}): cut short, or not the file", False
        return None, True
    return None, False


def download(urls: str | Sequence[str], out: str | os.PathLike, sha256: str | None = None,
             lock: str | os.PathLike | None = None, name: str | None = None, retries: int = 4,
             backoff: float = 2.0, timeout: float = 60.0, progress: bool = True,
             sha256_prefix: str | None = None) -> str:
    """Download the first URL that works to ``out``, verified; return its SHA-256.

    An existing ``out`` that matches the expected digest is kept as is (no network).
    ``sha256_prefix`` (leading hex digits published with a file, e.g. in its name) is checked
    too, before anything is recorded in the lock file. A digest is pinned in ``lock`` only for
    a file that passed :func:`check_content` and is known to be whole (announced size, a second
    request, the content check or the published prefix).
    """
    urls = [urls] if isinstance(urls, str) else list(urls)
    if not urls:
        raise HanetError("download: no URL given")
    out = Path(out)
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if not _SHA256_RE.match(sha256):
            raise HanetError(f"{name or urls[0]}: --sha256 must be 64 hex digits, got {sha256!r}")
    prefix = sha256_prefix.lower() if sha256_prefix else None
    # Lock keys: the given name, else each URL (a fallback may be another archive, pinned apart).
    keys = {url: name or url for url in urls}

    if out.is_file():
        actual = sha256_file(out)
        pins = {sha256} if sha256 else {d for d in map(lambda k: pinned_digest(lock, k), keys.values()) if d}
        if actual in pins:
            return actual
        problem, vouched = check_content(out)
        if prefix and not actual.startswith(prefix):
            problem = f"SHA-256 {actual} does not start with the published prefix {prefix}"
        if not pins and problem is None:
            _pin_or_say(lock, keys[urls[0]], actual, out, vouched or bool(prefix))
            return actual
        bad = _quarantine(out, actual)
        print(f"hanet download: {out}: {problem or 'does not match the expected digest'}; moved to {bad}")

    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    origin = out.with_name(out.name + ".part.url")  # which URL the partial bytes came from
    errors = []
    for url in urls:
        if part.exists() and (not origin.is_file() or origin.read_text() != url):
            part.unlink()  # never append one host's bytes to another's
        origin.write_text(url)
        try:
            whole = _fetch_with_retries(url, part, retries, backoff, timeout, progress)
        except HanetError as err:
            errors.append(str(err))
            continue
        actual = sha256_file(part)
        expected = sha256 or pinned_digest(lock, keys[url])
        problem, vouched = check_content(part, out.name) if actual != expected else (None, True)
        if prefix and not actual.startswith(prefix):
            bad = _quarantine(part, actual)
            origin.unlink(missing_ok=True)
            raise HanetError(f"{url}: SHA-256 {actual} does not start with the published prefix {prefix}"
                             f"{f' ({problem})' if problem else ''}; the file was moved aside to {bad} and not used")
        if expected is not None and actual != expected:  # final: the same bytes would come back
            bad = _quarantine(part, actual)
            origin.unlink(missing_ok=True)
            source = "pinned by --sha256" if sha256 else f"recorded in {lock} for {keys[url]}"
            raise HanetError(f"{url}: SHA-256 mismatch: expected {expected} ({source}), got {actual}"
                             f"{f' ({problem})' if problem else ''}; the file was moved aside to {bad} and not used")
        if problem is not None:  # nothing pinned yet: refuse what is not the file, try the next URL
            bad = _quarantine(part, actual)
            origin.unlink(missing_ok=True)
            errors.append(f"{url}: {problem}; moved aside to {bad}, not used and not pinned")
            continue
        break
    else:
        raise HanetError(f"could not download {out.name}:\n  " + "\n  ".join(errors))

    os.replace(part, out)
    origin.unlink(missing_ok=True)
    if expected is not None:
        _record(lock, keys[url], actual, pinned=sha256 is not None)
    else:
        _pin_or_say(lock, keys[url], actual, out, whole or vouched or bool(prefix))
    return actual


def _pin_or_say(lock: str | os.PathLike | None, name: str, digest: str, out: Path, whole: bool) -> None:
    """Pin a first-seen digest only for a file known to be whole; otherwise say why not."""
    if whole:
        _record(lock, name, digest, pinned=False)
    elif lock is not None:
        print(f"hanet download: {out}: sha256 {digest} NOT pinned in {lock}: the server announced no size and "
              f"a {out.suffix or 'suffix-less'} file cannot be checked for completeness; check it, then pin it "
              f"with sha256: in config/config.yaml", flush=True)


def _record(lock: str | os.PathLike | None, name: str, digest: str, pinned: bool) -> None:
    """Record a first-seen digest; a digest given explicitly is recorded too, for the record."""
    if lock is None:
        return
    with _locked(Path(lock)) as entries:
        if entries.get(name) not in (None, digest) and not pinned:
            raise HanetError(f"{lock}: {name} is pinned to {entries[name]}, but {digest} was found")
        entries[name] = digest


# ----------------------------------------------------------------------------- archives

def _safe_member_path(dest: Path, member: str, archive: Path) -> Path:
    target = (dest / member).resolve()
    if dest.resolve() not in target.parents:
        raise HanetError(f"{archive}: member {member!r} would be written outside {dest}")
    return target


def extract_archive(archive: str | os.PathLike, dest: str | os.PathLike,
                    members: Sequence[str] | None = None, strip: str = "") -> list[Path]:
    """Extract zip ``members`` (all files by default) under ``dest``, each file atomically.

    ``strip`` removes a leading folder prefix from member names (e.g. ``"MSRVTT/videos/all/"``).
    A file already present with the member's size is skipped, so a cut extraction resumes.
    """
    archive, dest = Path(archive), Path(dest)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as err:
        raise HanetError(f"{archive}: not a readable zip archive ({err})") from None
    written = []
    with zf:
        infos = {i.filename: i for i in zf.infolist() if not i.is_dir()}
        names = list(infos) if members is None else list(members)
        for member in names:
            if member not in infos:
                raise HanetError(f"{archive}: member {member!r} not found")
            rel = member[len(strip):] if strip and member.startswith(strip) else member
            target = _safe_member_path(dest, rel, archive)
            if not (target.is_file() and target.stat().st_size == infos[member].file_size):
                with atomic_path(target) as tmp, zf.open(member) as src, open(tmp, "wb") as dst:
                    try:
                        shutil.copyfileobj(src, dst, CHUNK)
                    except (zipfile.BadZipFile, OSError, EOFError) as err:
                        raise HanetError(f"{archive}: member {member!r} is corrupt ({err})") from None
            written.append(target)
    return written


# ----------------------------------------------------------------------------- CLI

def cli(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="hanet download", description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="primary URL")
    parser.add_argument("--fallback", action="append", default=[], metavar="URL",
                        help="fallback URL, tried in order when the previous ones fail (repeatable)")
    parser.add_argument("--out", required=True, help="destination file")
    parser.add_argument("--sha256", help="expected SHA-256 (64 hex digits)")
    parser.add_argument("--sha256-prefix", help="published leading hex digits of the SHA-256 (checked too)")
    parser.add_argument("--lock", help="JSON lock file {name: sha256}: pins the first-seen digest")
    parser.add_argument("--name", help="key of this file in the lock file (default: the URL that served it)")
    parser.add_argument("--retries", type=int, default=4, help="retries per URL (default 4)")
    parser.add_argument("--backoff", type=float, default=2.0, help="first retry delay, doubling (s)")
    parser.add_argument("--timeout", type=float, default=60.0, help="socket timeout (s)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    digest = download([args.url, *args.fallback], args.out, sha256=args.sha256, lock=args.lock,
                      name=args.name, retries=args.retries, backoff=args.backoff,
                      timeout=args.timeout, progress=not args.no_progress, sha256_prefix=args.sha256_prefix)
    print(f"{args.out}: sha256 {digest}")
