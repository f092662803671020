"""The fused C kernels (hanet/model/native_kernels.c) against the PyTorch path and the loop
oracles, and the fallback when they cannot be built."""
import logging

import pytest
import torch

from hanet.model import native
from hanet.model.matching import phrase_attention_scores
from hanet.model.scores import soft_jaccard
from oracles import phrase_attention_loop, rel_err, soft_jaccard_loop

needs_native = pytest.mark.skipif(not native.enabled(),
                                  reason="native kernels switched off (HANET_NATIVE=0) or not built (no C compiler)")


def count_calls(monkeypatch, name: str) -> list:
    """Record the calls of ``native.<name>`` (still calling it): proof the path was taken."""
    calls, kernel = [], getattr(native, name)
    monkeypatch.setattr(native, name, lambda *a: calls.append(a[0].shape) or kernel(*a))
    return calls


def attention_case(seed: int):
    """13 parts (not a multiple of the 8 lanes) with padding, and 60 captions of up to 4
    phrases: more phrases than one 64-column chunk, with a partial last chunk."""
    g = torch.Generator().manual_seed(seed)
    parts = torch.randn(9, 13, 24, generator=g)
    part_mask = torch.arange(13)[None, :] < torch.tensor([13, 1, 5, 8, 13, 2, 9, 13, 4])[:, None]
    parts = parts * part_mask[:, :, None]
    phrases = torch.randn(60, 4, 24, generator=g)
    phrase_mask = torch.rand(60, 4, generator=g) < 0.7
    return parts, part_mask, phrases, phrase_mask


@needs_native
@pytest.mark.parametrize("tau", [0.0, 4.0, 100.0])  # 100 > SHIFT_LIMIT: exact maximum shift
def test_native_attention_equals_pytorch_path_and_oracle(monkeypatch, tau):
    parts, part_mask, phrases, phrase_mask = attention_case(7)
    calls = count_calls(monkeypatch, "attention_block")
    with torch.no_grad():
        fused = phrase_attention_scores(parts, part_mask, phrases, phrase_mask, tau)
        assert calls, "the no-grad CPU path did not use the native kernel"
        monkeypatch.setenv("HANET_NATIVE", "0")
        plain = phrase_attention_scores(parts, part_mask, phrases, phrase_mask, tau)
    assert rel_err(fused, plain) <= 1e-5
    assert rel_err(fused, phrase_attention_loop(parts, part_mask, phrases, phrase_mask, tau)) <= 1e-5
    assert torch.all(fused[:, ~phrase_mask.any(1)] == 0)  # captions without phrases score 0


@needs_native
@pytest.mark.parametrize("nv,nt,C", [(7, 5, 21), (4, 3, 8), (3, 6, 3), (0, 4, 9), (5, 0, 9)])
def test_native_soft_jaccard_matches_oracle(monkeypatch, nv, nt, C):
    g = torch.Generator().manual_seed(nv * 100 + C)
    p, q = torch.rand(nv, C, generator=g), torch.rand(nt, C, generator=g)
    p[:1] = 0.0  # an all-zero row scores 0 against everything
    calls = count_calls(monkeypatch, "sum_of_minima")
    with torch.no_grad():
        got = soft_jaccard(p, q)
    assert calls, "the no-grad CPU path did not use the native kernel"
    assert got.shape == (nv, nt)
    if nv and nt:
        assert rel_err(got, soft_jaccard_loop(p, q)) <= 1e-5
        assert torch.all(got[0] == 0)


@needs_native
def test_native_kernels_reject_other_layouts():
    x = torch.rand(4, 16)
    with pytest.raises(ValueError, match="contiguous float32"):
        native.sum_of_minima(x.t(), x.t())
    with pytest.raises(ValueError, match="contiguous float32"):
        native.sum_of_minima(x.double(), x.double())


@pytest.mark.parametrize("compiler", ["/nonexistent/cc", "false"])  # missing; present but failing
def test_without_a_working_compiler_scoring_falls_back(monkeypatch, caplog, compiler):
    parts, part_mask, phrases, phrase_mask = attention_case(8)
    monkeypatch.setenv("CC", compiler)
    monkeypatch.delenv("HANET_NATIVE", raising=False)
    native._library.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="hanet.model.native"):
            assert not native.enabled()
        assert "slower PyTorch path" in caplog.text
        with torch.no_grad():
            got = phrase_attention_scores(parts, part_mask, phrases, phrase_mask, 4.0)
        assert rel_err(got, phrase_attention_loop(parts, part_mask, phrases, phrase_mask, 4.0)) <= 1e-5
    finally:
        monkeypatch.undo()
        native._library.cache_clear()


def test_switched_off_by_environment(monkeypatch):
    monkeypatch.setenv("HANET_NATIVE", "0")
    assert not native.enabled()
