"""Kind `release` (the authors' input package) through the workflow, offline: a miniature release in the
exact MSR-VTT layout (generated here) and a GloVe file served from a file:// URL run to metrics.json,
the ablation table and the table next to the published numbers; a missing release stops the workflow
before any job, listing the files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from workflow_copy import copy_workflow

from hanet.data.release import LAYOUTS, git_blob_id

pytestmark = pytest.mark.workflow

DIM, WORD_DIM, NUM_VERBS, NUM_NOUNS = 12, 16, 16, 24
ROLES = ["ARG0", "ARG1", "ARG2", "ARGM-LOC", "C-ARG1", "R-ARG0", "ARGM-XYZ"]


def make_release(folder: Path, seed: int = 0) -> int:
    """A miniature MSR-VTT release (public layout, random content); returns the vocabulary size."""
    rng = np.random.default_rng(seed)
    paths = {k: folder / rel for k, rel in LAYOUTS["msrvtt"].items()}
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    words = ["<s>", "</s>", "<unk>"] + [f"w{i}" for i in range(40)]
    names = {"trn": [f"video{i}" for i in range(16)], "val": [f"video{i}" for i in range(16, 22)],
             "tst": [f"video{i}" for i in range(22, 30)]}
    captions, graphs, gt = {}, {}, {k: {} for k in ("verb_gt", "noun_gt", "verb_gt_all", "noun_gt_all")}
    for short, ids in names.items():
        np.save(paths[f"{short}_names"], np.array(ids))
        with h5py.File(paths[f"{short}_ft"], "w") as h5:
            for vid in ids:
                h5[vid] = rng.standard_normal((int(rng.integers(3, 14)), DIM)).astype(np.float32)
        for v, vid in enumerate(ids):
            topic = int(vid[5:]) % 8  # captions share words with their video's topic: something to learn
            caps = []
            for j in range(3):
                n = int(rng.integers(4, 12))
                toks = [f"w{(topic * 5 + int(rng.integers(0, 6))) % 40}" for _ in range(n)]
                if j == 2:
                    toks[-1] = "oov"  # not in word2int: the public UNK id
                cap = " ".join(toks) + f" {vid}x{j}"  # unique captions
                caps.append(cap)
                nodes = {"ROOT": {"role": "ROOT", "spans": []}, "v0": {"role": "V", "spans": [1]},
                         "n0": {"role": ROLES[j], "spans": [0]}, "n1": {"role": ROLES[3 + j], "spans": [2, 3]}}
                graphs[cap] = [nodes, [["v0", "n0"], ["v0", "n1"]]]
            captions[vid] = caps
            verbs = [[topic, int(rng.integers(0, NUM_VERBS))] for _ in caps]
            nouns = [[topic * 2, int(rng.integers(0, NUM_NOUNS))] for _ in caps]
            if short == "trn":
                gt["verb_gt"][vid], gt["noun_gt"][vid] = verbs, nouns
                gt["verb_gt_all"][vid] = {str(c): 1 for cs in verbs for c in cs}
                gt["noun_gt_all"][vid] = {str(c): 1 for cs in nouns for c in cs}
    (paths["word2int"]).write_text(json.dumps({w: i for i, w in enumerate(words)}))
    np.save(paths["int2word"], np.array(words))
    paths["ref_captions"].write_text(json.dumps(captions))
    paths["role_graphs"].write_text(json.dumps(graphs))
    for key, value in gt.items():
        paths[key].write_text(json.dumps(value))
    return len(words)


def snakemake(work: Path, *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("snakemake")
    return subprocess.run([str(exe), "--cores", "2", "--configfile", "config/config.yaml", "mini.yaml", *args],
                          cwd=work, capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": "0", "CUDA_VISIBLE_DEVICES": ""})


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("release_wf")
    num_words = make_release(root / "MINI-HGR")
    glove = root / "word_embeds.mini.th"
    torch.save({"text_encoder": {"embedding.we.weight": torch.randn(num_words, WORD_DIM)}}, glove)
    (root / "wf").mkdir()
    work = copy_workflow(root / "wf")
    (work / "mini.yaml").write_text(f"""data:
  mini:
    kind: release
    release: {{dataset: msrvtt, folder: {root / 'MINI-HGR'}, glove_git_blob: {git_blob_id(glove)}}}
    download:
      glove: {{file: word_embeds.mini.th, url: "file://{glove}"}}
    features: {{extractor: release, max_frames: 8}}
    text: {{num_verbs: {NUM_VERBS}, num_nouns: {NUM_NOUNS}}}
    model: {{dim: 32, word_dim: {WORD_DIM}, max_frames: 8, max_words: 10, top_actions: 2, top_entities: 3,
            entity_frames: 2, action_window: 1, se_reduction: 4, num_verbs: {NUM_VERBS}, num_nouns: {NUM_NOUNS}}}
    train: {{lr: 0.001, batch_size: 16, epochs: 2, patience: 2, init_from: resources/mini/downloads/word_embeds.mini.th}}
  gone:
    kind: release
    release: {{dataset: vatex, folder: {root / 'nowhere'}}}
    features: {{extractor: release}}
    text: {{}}
""")
    return work


def test_missing_release_stops_before_any_job(work):
    proc = snakemake(work, "-n", "--config", "datasets=[gone]", "seeds=[0]")
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "nowhere: folder not found" in text and "github.com/Roc-Ng/HANet" in text
    assert "VATEX_ordered_feature/SA/RET.public.i3d/trn_ft.hdf5" in text and "annotation/RET/verb_gt_all.json" in text
    assert "Job stats" not in text


def test_release_runs_to_the_tables(work):
    proc = snakemake(work, "--config", "datasets=[mini]", "seeds=[0]", "ablations=[full,global_only]")
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-4000:]
    for rule in ("parse_captions", "extract_features"):  # the release ships text and features
        assert f"rule {rule}:" not in text
    for variant in ("full", "global_only"):
        metrics = json.loads((work / f"results/mini/{variant}/seed0/metrics.json").read_text())
        assert metrics["provenance"]["config"]["model"]["ft_dim"] == DIM
        assert metrics["provenance"]["config"]["train"]["init_from"].endswith("word_embeds.mini.th")
    assert "initialised 1 tensor(s)" in (work / "logs/mini/full/seed0/train.log").read_text()
    assert "global_only" in (work / "results/mini/ablation.md").read_text()
    reference = (work / "results/mini/reference.md").read_text()
    assert "HANet" in reference and "HGR" in reference  # the published MSR-VTT rows next to this run
    assert "recipe: authors' release" in reference and "from word_embeds.mini.th word embeddings" in reference
    lock = json.loads((work / "config/release.lock.json").read_text())
    assert set(lock["mini"]) == set(LAYOUTS["msrvtt"])  # every release file pinned on first use
    assert json.loads((work / "resources/mini/text/release.json").read_text())["train"] == 16
