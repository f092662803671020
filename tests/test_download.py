"""hanet.data.download against a local HTTP server: verify, resume, refuse, lock, fall back."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from fixtures_real import FakeHost, sha256, zip_bytes

from hanet.cli import main
from hanet.data.download import download, extract_archive
from hanet.errors import HanetError

DATA = bytes(range(256)) * 4000  # ~1 MB, several read chunks


@pytest.fixture()
def host():
    with FakeHost() as h:
        h.files["/data.bin"] = DATA
        yield h


def test_download_verifies_pinned_digest(host, tmp_path):
    out = tmp_path / "d" / "data.bin"
    digest = download(host.url("/data.bin"), out, sha256=sha256(DATA), progress=False)
    assert digest == sha256(DATA) and out.read_bytes() == DATA
    assert not (tmp_path / "d" / "data.bin.part").exists()
    # a second call finds the verified file and does not touch the network
    n = len(host.requests)
    download(host.url("/data.bin"), out, sha256=sha256(DATA), progress=False)
    assert len(host.requests) == n


def test_resume_after_cut_connection(host, tmp_path):
    host.cut_after, host.cuts = 300_000, 2
    out = tmp_path / "data.bin"
    download(host.url("/data.bin"), out, sha256=sha256(DATA), backoff=0, progress=False)
    assert out.read_bytes() == DATA
    ranges = [r for _, r in host.requests]
    assert ranges == [None, "bytes=300000-", "bytes=600000-"]


def test_server_ignoring_range_restarts_cleanly(host, tmp_path):
    out = tmp_path / "data.bin"
    (tmp_path / "data.bin.part").write_bytes(DATA[:1000])
    (tmp_path / "data.bin.part.url").write_text(host.url("/data.bin"))  # left by a cut run
    host.ignore_range = True
    download(host.url("/data.bin"), out, sha256=sha256(DATA), progress=False)
    assert out.read_bytes() == DATA and host.requests == [("/data.bin", "bytes=1000-")]


def test_complete_part_file_is_finished_without_refetch(host, tmp_path):
    out = tmp_path / "data.bin"
    (tmp_path / "data.bin.part").write_bytes(DATA)
    (tmp_path / "data.bin.part.url").write_text(host.url("/data.bin"))
    download(host.url("/data.bin"), out, sha256=sha256(DATA), progress=False)
    assert out.read_bytes() == DATA and host.requests == [("/data.bin", f"bytes={len(DATA)}-")]


def test_corrupted_file_is_refused_and_moved_aside(host, tmp_path):
    host.files["/data.bin"] = DATA[:-1] + b"X"
    bad_digest = sha256(host.files["/data.bin"])
    out = tmp_path / "data.bin"
    with pytest.raises(HanetError) as err:
        download(host.url("/data.bin"), out, sha256=sha256(DATA), progress=False)
    msg = str(err.value)
    assert host.url("/data.bin") in msg and sha256(DATA) in msg and bad_digest in msg
    assert not out.exists() and not (tmp_path / "data.bin.part").exists()
    assert (tmp_path / f"data.bin.bad-{bad_digest[:8]}").is_file()


def test_lock_file_records_then_enforces(host, tmp_path):
    lock = tmp_path / "checksums.lock.json"
    out = tmp_path / "data.bin"
    download(host.url("/data.bin"), out, lock=lock, progress=False)
    assert json.loads(lock.read_text()) == {host.url("/data.bin"): sha256(DATA)}
    # the upstream file changes: a fresh download is refused against the recorded digest
    out.unlink()
    host.files["/data.bin"] = b"something else"
    with pytest.raises(HanetError, match="SHA-256 mismatch"):
        download(host.url("/data.bin"), out, lock=lock, progress=False)
    assert not out.exists()


def test_fallback_urls_tried_in_order(host, tmp_path):
    host.fail["/dead.bin"] = 404
    host.fail["/flaky.bin"] = 503
    out = tmp_path / "data.bin"
    download([host.url("/dead.bin"), host.url("/flaky.bin"), host.url("/data.bin")], out,
             sha256=sha256(DATA), retries=1, backoff=0, progress=False)
    assert out.read_bytes() == DATA
    assert [p for p, _ in host.requests] == ["/dead.bin", "/flaky.bin", "/flaky.bin", "/data.bin"]


def test_all_urls_failing_names_each(host, tmp_path):
    host.fail["/dead.bin"] = 404
    with pytest.raises(HanetError) as err:
        download([host.url("/dead.bin"), host.url("/missing.bin")], tmp_path / "x",
                 retries=0, progress=False)
    assert "/dead.bin: HTTP 404" in str(err.value) and "/missing.bin: HTTP 404" in str(err.value)


def test_cli_download(host, tmp_path, capsys):
    out = tmp_path / "data.bin"
    rc = main(["download", "--url", host.url("/data.bin"), "--out", str(out),
               "--sha256", sha256(DATA), "--no-progress"])
    assert rc == 0 and out.read_bytes() == DATA
    rc = main(["download", "--url", host.url("/data.bin"), "--out", str(tmp_path / "y"),
               "--sha256", "0" * 64, "--no-progress"])
    assert rc == 1 and "SHA-256 mismatch" in capsys.readouterr().err


def test_extract_archive_strips_prefix_and_refuses_traversal(tmp_path):
    zpath = tmp_path / "a.zip"
    zpath.write_bytes(zip_bytes({"top/sub/a.txt": b"A", "top/b.txt": b"BB"}))
    written = extract_archive(zpath, tmp_path / "out", strip="top/")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == ["b.txt", "sub/a.txt"]
    assert (tmp_path / "out" / "sub" / "a.txt").read_bytes() == b"A"
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../escape.txt", b"x")
    with pytest.raises(HanetError, match="outside"):
        extract_archive(evil, tmp_path / "out2")
    assert not (tmp_path / "escape.txt").exists()


def test_lock_keyed_by_serving_url_and_partial_not_mixed_across_hosts(host, tmp_path):
    host.fail["/dead.bin"] = 500
    host.files["/mirror.bin"] = DATA
    lock, out = tmp_path / "lock.json", tmp_path / "data.bin"
    # a partial file left by another host is discarded, not resumed
    (tmp_path / "data.bin.part").write_bytes(b"junk from elsewhere")
    (tmp_path / "data.bin.part.url").write_text(host.url("/elsewhere.bin"))
    download([host.url("/dead.bin"), host.url("/mirror.bin")], out, lock=lock, retries=0, progress=False)
    assert out.read_bytes() == DATA and not (tmp_path / "data.bin.part.url").exists()
    assert json.loads(lock.read_text()) == {host.url("/mirror.bin"): sha256(DATA)}
    assert ("/mirror.bin", None) in host.requests
    n = len(host.requests)  # the existing file matches a pinned digest: no network
    download([host.url("/dead.bin"), host.url("/mirror.bin")], out, lock=lock, progress=False)
    assert len(host.requests) == n


def test_published_prefix_mismatch_is_refused_and_moved_aside(host, tmp_path):
    """A file whose SHA-256 does not start with its published prefix is never used."""
    assert not sha256(DATA).startswith("394f9c45")
    with pytest.raises(HanetError, match="does not start with the published prefix 394f9c45"):
        download(host.url("/data.bin"), tmp_path / "w.pth", sha256_prefix="394f9c45", progress=False)
    assert not (tmp_path / "w.pth").exists()
    assert download(host.url("/data.bin"), tmp_path / "ok.pth", sha256_prefix=sha256(DATA)[:8],
                    progress=False) == sha256(DATA)
    assert list(tmp_path.glob("w.pth.bad-*"))


# ----------------------------------------------------------------------------- what is pinned on first use

HTML = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please log in</body></html>\n"
ARCHIVE = zip_bytes({f"videos/video{i}.mp4": bytes([i]) * 5000 for i in range(40)})


def test_html_page_served_with_200_is_refused_moved_aside_and_not_pinned(host, tmp_path):
    host.files["/MSRVTT.zip"] = HTML
    lock, out = tmp_path / "lock.json", tmp_path / "MSRVTT.zip"
    with pytest.raises(HanetError) as err:
        download(host.url("/MSRVTT.zip"), out, lock=lock, progress=False)
    msg = str(err.value)
    assert "the server sent an HTML/XML page" in msg and "status 200" in msg and "not pinned" in msg
    assert not out.exists() and list(tmp_path.glob("MSRVTT.zip.bad-*"))
    assert not lock.exists() or json.loads(lock.read_text()) == {}
    # the genuine archive is accepted afterwards (nothing poisoned the lock), and pinned
    host.files["/MSRVTT.zip"] = ARCHIVE
    assert download(host.url("/MSRVTT.zip"), out, lock=lock, progress=False) == sha256(ARCHIVE)
    assert json.loads(lock.read_text()) == {host.url("/MSRVTT.zip"): sha256(ARCHIVE)}


def test_html_page_on_the_primary_falls_back_to_the_mirror(host, tmp_path):
    host.files["/page.json"], host.files["/mirror.json"] = HTML, b'{"videos": []}'
    lock, out = tmp_path / "lock.json", tmp_path / "captions.json"
    download([host.url("/page.json"), host.url("/mirror.json")], out, lock=lock, progress=False)
    assert out.read_bytes() == b'{"videos": []}'
    assert list(json.loads(lock.read_text())) == [host.url("/mirror.json")]


@pytest.mark.parametrize("body, problem", [(ARCHIVE[:-3000], "not a readable zip archive"), (b"", "empty body"),
                                           (b"PK\x03\x04 garbage", "not a readable zip archive")])
def test_broken_archive_is_refused_before_pinning(host, tmp_path, body, problem):
    host.files["/a.zip"] = body
    with pytest.raises(HanetError, match=problem):
        download(host.url("/a.zip"), tmp_path / "a.zip", lock=tmp_path / "lock.json", progress=False)
    assert not (tmp_path / "a.zip").exists()


def test_cut_json_without_content_length_and_without_range_is_refused(host, tmp_path):
    doc = json.dumps({"sentences": [{"caption": f"caption {i}"} for i in range(5000)]}).encode()
    host.files["/c.json"] = doc
    host.send_length, host.ignore_range, host.cut_after, host.cuts = False, True, 20_000, 1
    with pytest.raises(HanetError, match="not valid JSON .*cut short"):
        download(host.url("/c.json"), tmp_path / "c.json", lock=tmp_path / "lock.json", retries=0, progress=False)
    assert not (tmp_path / "c.json").exists()


def test_cut_body_without_content_length_is_detected_and_resumed(host, tmp_path):
    """The connection closes after 300 kB with no Content-Length: a second request from the end
    (Range) shows more bytes, so the download resumes instead of pinning a cut file."""
    host.send_length, host.cut_after, host.cuts = False, 300_000, 1
    lock, out = tmp_path / "lock.json", tmp_path / "data.bin"
    download(host.url("/data.bin"), out, lock=lock, backoff=0, progress=False)
    assert out.read_bytes() == DATA and json.loads(lock.read_text()) == {host.url("/data.bin"): sha256(DATA)}
    assert [r for _, r in host.requests] == [None, "bytes=300000-", "bytes=300000-"]


def test_whole_body_without_content_length_is_confirmed_and_pinned(host, tmp_path):
    host.send_length = False
    lock, out = tmp_path / "lock.json", tmp_path / "data.bin"
    download(host.url("/data.bin"), out, lock=lock, progress=False)
    assert json.loads(lock.read_text()) == {host.url("/data.bin"): sha256(DATA)}
    assert [r for _, r in host.requests] == [None, f"bytes={len(DATA)}-"]  # 416: nothing after the end


def test_unconfirmable_body_is_used_but_not_pinned(host, tmp_path, capsys):
    """No Content-Length and no Range support: completeness cannot be shown, so nothing is pinned."""
    host.send_length, host.ignore_range = False, True
    lock, out = tmp_path / "lock.json", tmp_path / "data.bin"
    download(host.url("/data.bin"), out, lock=lock, progress=False)
    assert out.read_bytes() == DATA and not lock.exists()
    assert "NOT pinned" in capsys.readouterr().out
    # the same server, with a zip: the archive's own structure shows it is whole, so it is pinned
    host.files["/a.zip"] = ARCHIVE
    download(host.url("/a.zip"), tmp_path / "a.zip", lock=lock, progress=False)
    assert json.loads(lock.read_text()) == {host.url("/a.zip"): sha256(ARCHIVE)}


def test_cut_body_with_content_length_resumes_and_pins(host, tmp_path):
    host.files["/a.zip"] = ARCHIVE
    host.cut_after, host.cuts = 50_000, 1
    lock, out = tmp_path / "lock.json", tmp_path / "a.zip"
    download(host.url("/a.zip"), out, lock=lock, backoff=0, progress=False)
    assert out.read_bytes() == ARCHIVE and json.loads(lock.read_text()) == {host.url("/a.zip"): sha256(ARCHIVE)}
    assert [r for _, r in host.requests] == [None, "bytes=50000-"]


def test_cut_body_on_a_server_without_range_support_restarts(host, tmp_path):
    host.ignore_range, host.cut_after, host.cuts = True, 300_000, 1
    out = tmp_path / "data.bin"
    download(host.url("/data.bin"), out, lock=tmp_path / "lock.json", backoff=0, progress=False)
    assert out.read_bytes() == DATA and [r for _, r in host.requests] == [None, "bytes=300000-"]


def test_digest_mismatch_is_not_retried(host, tmp_path):
    host.files["/data.bin"] = HTML
    with pytest.raises(HanetError, match=r"SHA-256 mismatch.*\(the server sent an HTML/XML page"):
        download(host.url("/data.bin"), tmp_path / "data.bin", sha256=sha256(DATA), retries=4, backoff=0,
                 progress=False)
    assert len(host.requests) == 1


def test_download_rules_do_not_rerun_a_refused_download():
    """Snakemake `retries:` would fetch a multi-GB archive again for a mismatch that cannot succeed;
    transient failures are retried inside `hanet download` instead."""
    text = (Path(__file__).resolve().parents[1] / "workflow/rules/real_data.smk").read_text()
    for rule in ("download_dataset_file", "download_weights", "nltk_data"):
        body = text.split(f"rule {rule}:")[1].split("\nrule ")[0]
        assert "retries:" not in body, rule


def test_existing_unpinned_html_file_is_moved_aside_not_pinned(host, tmp_path):
    out, lock = tmp_path / "vatex_training_v1.0.json", tmp_path / "lock.json"
    out.write_bytes(HTML)
    host.files["/v.json"] = b"[]"
    download(host.url("/v.json"), out, lock=lock, progress=False)
    assert out.read_bytes() == b"[]" and list(tmp_path.glob("vatex_training_v1.0.json.bad-*"))
    assert json.loads(lock.read_text()) == {host.url("/v.json"): sha256(b"[]")}
