"""GPU path equals the CPU path (skipped without CUDA).

Run on a machine with a GPU: ``python -m pytest -q tests/test_model_cuda.py``. TF32 is turned
off so that both devices compute in full fp32; bf16 autocast encodings are only checked to
score within 0.05 of fp32 (scoring itself always runs in fp32).
"""
import copy

import pytest
import torch

from hanet.model import TextEmbedding, VideoEmbedding, score_matrix
from oracles import batch, build

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@pytest.fixture(autouse=True)
def full_fp32():
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def close(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-4) -> bool:
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    return float((a - b).abs().max()) <= tol * max(1.0, float(b.abs().max()))


def test_encoders_and_score_matrix_match_cpu():
    cfg, model = build()
    model.eval()
    gpu = copy.deepcopy(model).cuda()
    v, t, _ = batch(cfg, 9)
    with torch.no_grad():
        ve, te = model.encode_video(v), model.encode_text(t)
        ve_g, te_g = gpu.encode_video(v.to("cuda")), gpu.encode_text(t.to("cuda"))
    for name in ("event", "local_action", "local_entity", "frame_action", "action_concepts"):
        assert close(getattr(ve_g, name), getattr(ve, name)), name
    for name in ("sentence", "node_verb", "phrase_noun", "verb_concepts", "noun_concepts"):
        assert close(getattr(te_g, name), getattr(te, name)), name
    cpu_scores, cpu_terms = score_matrix(model, ve, te, video_chunk=4, text_chunk=5, terms=True)
    gpu_scores, gpu_terms = score_matrix(gpu, ve_g, te_g, video_chunk=4, text_chunk=5, terms=True)
    assert gpu_scores.device.type == "cpu" and close(gpu_scores, cpu_scores)
    for name in cpu_terms:
        assert close(gpu_terms[name], cpu_terms[name]), name


def test_training_step_matches_cpu():
    cfg, model = build(dropout=0.0, word_dropout=0.0, gcn_dropout=0.0)
    gpu = copy.deepcopy(model).cuda()
    v, t, y = batch(cfg, 8)
    loss = model(v, t, y)["loss"]
    loss.backward()
    loss_g = gpu(v.to("cuda"), t.to("cuda"), y.to("cuda"))["loss"]
    loss_g.backward()
    assert close(loss_g, loss, 1e-5)
    grads = dict(gpu.named_parameters())
    for name, p in model.named_parameters():
        if p.grad is not None:
            assert close(grads[name].grad, p.grad, 1e-3), name


def test_bf16_autocast_scores_close_to_fp32():
    cfg, model = build()
    model = model.cuda().eval()
    v, t, _ = batch(cfg, 12)
    v, t = v.to("cuda"), t.to("cuda")
    with torch.no_grad():
        exact = score_matrix(model, model.encode_video(v), model.encode_text(t))
        with torch.autocast("cuda", dtype=torch.bfloat16):
            ve, te = model.encode_video(v), model.encode_text(t)
            low = score_matrix(model, VideoEmbedding.cat([ve]), TextEmbedding.cat([te]))
    assert torch.isfinite(low).all()
    assert float((low - exact).abs().max()) < 0.05


def test_bf16_training_step_runs_with_the_concept_loss():
    """train.bf16: the concept BCE runs in fp32 outside autocast (CUDA autocast refuses
    binary_cross_entropy); the loss stays close to fp32."""
    cfg, model = build(dropout=0.0, word_dropout=0.0, gcn_dropout=0.0)
    model = model.cuda()
    v, t, y = (x.to("cuda") for x in batch(cfg, 8))
    exact = model(v, t, y)["loss"]
    with torch.autocast("cuda", dtype=torch.bfloat16):
        out = model(v, t, y)
    out["loss"].backward()
    assert "concept_bce" in out and torch.isfinite(out["loss"])
    assert abs(float(out["loss"].detach()) - float(exact.detach())) < 0.05
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_public_parity_fixture_on_the_gpu(tmp_path):
    """The parity fixture's eval scores, computed on CUDA, equal the public model's."""
    import numpy as np
    from test_public_parity import DEFAULT, build as build_imported, tensors
    from hanet.train.evaluate import encode_texts, encode_videos, load_checkpoint
    from hanet.train.import_checkpoint import cli as import_cli
    out = tmp_path / "best.pt"
    import_cli(["--checkpoint", str(DEFAULT / "checkpoint.th"), "--model-json", str(DEFAULT / "model.json"),
                "--out", str(out)])
    model = build_imported(load_checkpoint(out)).cuda()
    batches, expected = np.load(DEFAULT / "batches.npz"), np.load(DEFAULT / "expected.npz")
    videos, _, _ = tensors(batches, "eval_video")
    _, texts, _ = tensors(batches, "eval_text")
    cuda = torch.device("cuda")
    fused, terms = score_matrix(model, encode_videos(model, videos, 64, cuda), encode_texts(model, texts, 64, cuda),
                                terms=True)
    for name, value in {**terms, "fused": fused}.items():
        assert close(value, torch.from_numpy(expected[f"eval.{name}"]), 1e-5), name
