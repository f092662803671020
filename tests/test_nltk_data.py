"""hanet nltk-data against a fake NLTK index served locally."""

from __future__ import annotations

import hashlib
import json

import nltk
import pytest
from fixtures_real import FakeHost, sha256, zip_bytes

from hanet.cli import main
from hanet.errors import HanetError
from hanet.text.nltk_data import fetch_nltk_data

ZIPS = {
    "stopwords": ("corpora", zip_bytes({"stopwords/english": b"a\nthe\nis\n", "stopwords/README": b"x"})),
    "punkt_tab": ("tokenizers", zip_bytes({"punkt_tab/english/abbrev_types.txt": b"dr\n"})),
    "wordnet": ("corpora", zip_bytes({"wordnet/lexnames": b"00\tadj.all\t3\n"})),
}


def _index(host: FakeHost, md5_only: set[str] = frozenset(), wrong: set[str] = frozenset()) -> bytes:
    rows = []
    for pid, (subdir, data) in ZIPS.items():
        digest = ("0" * 64) if pid in wrong else sha256(data)
        check = f'checksum="{hashlib.md5(data).hexdigest()}"'
        if pid not in md5_only:
            check += f' sha256_checksum="{digest}"'
        rows.append(f'<package id="{pid}" name="{pid}" subdir="{subdir}" unzip="1" size="{len(data)}" '
                    f'unzipped_size="1" url="{host.url(f"/packages/{subdir}/{pid}.zip")}" {check} />')
    return ('<?xml version="1.0"?>\n<nltk_data><packages>\n' + "\n".join(rows)
            + '\n</packages><collections /></nltk_data>\n').encode()


@pytest.fixture()
def host():
    with FakeHost() as h:
        for pid, (subdir, data) in ZIPS.items():
            h.files[f"/packages/{subdir}/{pid}.zip"] = data
        yield h


def test_fetch_installs_verified_packages_in_nltk_layout(host, tmp_path):
    host.files["/index.xml"] = _index(host, md5_only={"wordnet"})
    out = tmp_path / "nltk_data"
    lock = tmp_path / "lock.json"
    manifest = fetch_nltk_data(out, host.url("/index.xml"), list(ZIPS), lock=lock, progress=False)
    assert manifest["punkt_tab"]["sha256"] == sha256(ZIPS["punkt_tab"][1])
    path = nltk.data.find("corpora/stopwords/english", paths=[str(out)])
    assert open(path).read().split() == ["a", "the", "is"]
    assert (out / "tokenizers" / "punkt_tab" / "english" / "abbrev_types.txt").is_file()
    assert (out / "corpora" / "wordnet" / "lexnames").is_file()  # md5-only entry accepted
    assert json.loads((out / "hanet_nltk_data.json").read_text())["packages"] == manifest
    assert json.loads(lock.read_text())["nltk_data/wordnet"] == sha256(ZIPS["wordnet"][1])


def test_checksum_mismatch_refused(host, tmp_path):
    host.files["/index.xml"] = _index(host, wrong={"stopwords"})
    out = tmp_path / "nltk_data"
    with pytest.raises(HanetError, match="stopwords.zip: SHA-256 mismatch: expected 0000"):
        fetch_nltk_data(out, host.url("/index.xml"), ["stopwords"], progress=False)
    assert not (out / "corpora" / "stopwords").exists() and not (out / "hanet_nltk_data.json").exists()


def test_md5_mismatch_and_unknown_package_refused(host, tmp_path):
    host.files["/index.xml"] = _index(host, md5_only={"stopwords"})
    host.files["/packages/corpora/stopwords.zip"] = zip_bytes({"stopwords/english": b"tampered\n"})
    with pytest.raises(HanetError, match="MD5 mismatch"):
        fetch_nltk_data(tmp_path / "a", host.url("/index.xml"), ["stopwords"], progress=False)
    rc = main(["nltk-data", "--out", str(tmp_path / "b"), "--index-url", host.url("/index.xml"),
               "--package", "no_such_pkg", "--no-progress"])
    assert rc == 1


def test_cli_default_packages_need_all_four(host, tmp_path, capsys):
    host.files["/index.xml"] = _index(host)  # lacks averaged_perceptron_tagger_eng
    rc = main(["nltk-data", "--out", str(tmp_path / "n"), "--index-url", host.url("/index.xml"),
               "--no-progress"])
    assert rc == 1 and "averaged_perceptron_tagger_eng" in capsys.readouterr().err
