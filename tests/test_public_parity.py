"""The model is the public HANet: golden fixtures produced by running github.com/Roc-Ng/HANet
(commit e679703) must be reproduced through the project's importer, evaluation and training code.

Fixture directories come from ``HANET_PARITY_FIXTURES`` (tests/parity_fixtures.py: fixture folders or
folders of them; default: the copy in tests/fixtures/public_parity/), each in the format of its README:
``model.json``, ``checkpoint.th``, ``batches.npz``, ``expected.npz``.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from hanet.model import ConceptTargets, HANet, TextInput, VideoInput, score_matrix
from hanet.model.public import PUBLIC_ALIASES, PUBLIC_NAMES
from hanet.train.evaluate import encode_texts, encode_videos, load_checkpoint
from hanet.train.import_checkpoint import cli as import_cli
from parity_fixtures import DEFAULT, fixture_dirs

FIXTURES = fixture_dirs()
SCORE_ATOL, LOSS_ATOL, GRAD_RTOL = 1e-5, 1e-5, 1e-4
NOISE = 1e-7  # a public gradient below this everywhere is float noise of an analytically zero gradient


def tensors(batches, prefix: str):
    b = {k[len(prefix) + 1:]: torch.from_numpy(batches[k]) for k in batches.files
         if k.startswith(prefix + ".") and batches[k].dtype.kind != "U"}
    video = VideoInput(frames=b["attn_fts"], lengths=b["attn_lens"].long()) if "attn_fts" in b else None
    text = (TextInput(words=b["sent_ids"].long(), lengths=b["sent_lens"].long(), verb_masks=b["verb_masks"],
                      noun_masks=b["noun_masks"], adjacency=b["rel_edges"], roles=b["node_roles"].long())
            if "sent_ids" in b else None)
    targets = (ConceptTargets(verbs=b["verb_concept_label"], verb_mask=b["verb_concept_mask"],
                              nouns=b["noun_concept_label"], noun_mask=b["noun_concept_mask"])
               if "verb_concept_label" in b else None)
    return video, text, targets


@pytest.fixture(params=FIXTURES, ids=lambda p: p.name)
def imported(request, tmp_path):
    """(fixture dir, project checkpoint written by ``hanet import-checkpoint``, batches, expected)."""
    d = request.param
    if not (d / "model.json").is_file():
        pytest.fail(f"{d}: no parity fixture here (HANET_PARITY_FIXTURES names fixture folders or folders of them; "
                    "see tests/parity_fixtures.py)")
    out = tmp_path / "best.pt"
    import_cli(["--checkpoint", str(d / "checkpoint.th"), "--model-json", str(d / "model.json"), "--out", str(out)])
    return d, load_checkpoint(out), np.load(d / "batches.npz"), np.load(d / "expected.npz")


def build(state: dict, **model_overrides) -> HANet:
    from hanet.config import from_dict
    cfg = from_dict(state["config"])
    model = HANet(dataclasses.replace(cfg.model, **model_overrides))
    model.load_state_dict(state["model"])
    return model


def test_eval_scores_equal_the_public_model(imported):
    _, state, batches, expected = imported
    model = build(state)
    videos, _, _ = tensors(batches, "eval_video")
    _, texts, _ = tensors(batches, "eval_text")
    device = torch.device("cpu")
    # the evaluation's own encoders: videos batched in order (one batch here, as the public reader),
    # captions in any batching; then the evaluation's chunked scoring, with small chunks
    ve = encode_videos(model, videos, batch_size=len(videos.lengths), device=device)
    te = encode_texts(model, texts, batch_size=5, device=device)
    fused, terms = score_matrix(model, ve, te, video_chunk=4, text_chunk=5, terms=True)
    for name, value in {**terms, "fused": fused}.items():
        want = torch.from_numpy(expected[f"eval.{name}"])
        err = float((value - want).abs().max())
        assert err <= SCORE_ATOL, f"{name}: max |ours - public| = {err:.2e}"
    assert set(terms) == {k[5:] for k in expected.files if k.startswith("eval.")} - {"fused"}


def test_training_loss_and_every_gradient_equal_the_public_model(imported):
    _, state, batches, expected = imported
    model = build(state, dropout=0.0, word_dropout=0.0, gcn_dropout=0.0)  # the fixture's train mode: every dropout at 0
    model.train()  # BatchNorm on batch statistics
    videos, texts, targets = tensors(batches, "train")
    loss = model(videos, texts, targets)["loss"]
    assert abs(float(loss.detach()) - float(expected["train.loss"])) <= LOSS_ATOL
    loss.backward()
    ours = {PUBLIC_NAMES[name]: p.grad for name, p in model.named_parameters()}
    checked = set()
    for key in (k for k in expected.files if k.startswith("grad.")):
        public = PUBLIC_ALIASES.get(key[5:], key[5:])
        want = torch.from_numpy(expected[key])
        got = ours[public]
        assert got is not None, f"{public}: no gradient"
        scale = float(want.abs().max())
        if scale < NOISE:  # e.g. a bias before a softmax or a BatchNorm: zero up to rounding
            assert float(got.abs().max()) < NOISE, public
        else:
            err = float((got - want).abs().max()) / scale
            assert err <= GRAD_RTOL, f"{public}: gradient error {err:.2e} relative to its largest value"
        checked.add(public)
    assert checked == set(ours), f"parameters without a public gradient: {sorted(set(ours) - checked)}"


def test_import_keeps_the_public_video_and_text_dropouts_apart(tmp_path):
    """The public model.json has a video and a text dropout; a fixture where they differ imports."""
    import json

    from hanet.config import from_dict

    spec = json.loads((DEFAULT / "model.json").read_text())
    spec["subcfgs"]["video_encoder"]["dropout"], spec["subcfgs"]["text_encoder"]["dropout"] = 0.1, 0.3
    (tmp_path / "model.json").write_text(json.dumps(spec))
    out = tmp_path / "best.pt"
    import_cli(["--checkpoint", str(DEFAULT / "checkpoint.th"), "--model-json", str(tmp_path / "model.json"),
                "--out", str(out)])
    model_cfg = from_dict(load_checkpoint(out)["config"]).model
    assert (model_cfg.dropout, model_cfg.word_dropout) == (0.1, 0.3)


def test_fixture_paths_name_a_fixture_or_a_folder_of_them(tmp_path, monkeypatch):
    """HANET_PARITY_FIXTURES may name ../shared/reference/parity itself (a folder of fixtures)."""
    import os

    for name in ("b-fixture", "a-fixture"):
        (tmp_path / "parity" / name).mkdir(parents=True)
        (tmp_path / "parity" / name / "model.json").write_text("{}")
    (tmp_path / "parity" / "README.md").write_text("x")
    one, root, empty = tmp_path / "parity" / "b-fixture", tmp_path / "parity", tmp_path / "empty"
    empty.mkdir()
    spec = os.pathsep.join(map(str, [one, root, empty]))
    assert fixture_dirs(spec) == [one, root / "a-fixture", root / "b-fixture", empty]
    monkeypatch.delenv("HANET_PARITY_FIXTURES", raising=False)
    assert fixture_dirs() == [DEFAULT]
    monkeypatch.chdir(tmp_path)  # relative paths that do not exist here are taken from the repository root
    assert fixture_dirs("tests/fixtures/public_parity") == [DEFAULT]
