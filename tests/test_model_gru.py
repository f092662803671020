"""Length-aware GRU (hanet.model.gru) against nn.GRU run on each sequence separately."""
import pytest
import torch
import torch.nn as nn

from hanet.model.gru import _Recurrence, gru_states
from oracles import batch, build

LENGTHS = [3, 7, 1, 5, 7, 2, 5]  # unsorted, ties, length 1 and the maximum


def make(dtype, lengths=LENGTHS, W=5, D=4, seed=0):
    torch.manual_seed(seed)
    gru = nn.GRU(W, D, batch_first=True).to(dtype)
    x = torch.randn(len(lengths), max(lengths), W, dtype=dtype)  # padded steps hold garbage: must be ignored
    return gru, x, torch.tensor(lengths)


def oracle(gru, x, lengths, reverse=False):
    """nn.GRU on each sequence's valid steps alone (flipped for reverse): (B, L, D)."""
    rows = []
    for b, n in enumerate(lengths.tolist()):
        seq = x[b:b + 1, :n].flip(1) if reverse else x[b:b + 1, :n]
        out = gru(seq)[0][0]  # (n, D)
        out = out.flip(0) if reverse else out
        rows.append(torch.cat([out, out.new_zeros(x.shape[1] - n, out.shape[1])]))
    return torch.stack(rows)


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-12), (torch.float32, 1e-5)])
@pytest.mark.parametrize("reverse", [False, True])
def test_forward_matches_per_sequence_gru(dtype, tol, reverse):
    gru, x, lengths = make(dtype)
    out = gru_states(gru, x, lengths, reverse)
    assert out.shape == (x.shape[0], x.shape[1], gru.hidden_size) and out.dtype == dtype
    assert torch.allclose(out, oracle(gru, x, lengths, reverse), atol=tol, rtol=0)
    padded = torch.arange(x.shape[1])[None, :] >= lengths[:, None]  # (B, L)
    assert torch.all(out[padded] == 0)
    wider = torch.cat([x, torch.randn(x.shape[0], 3, x.shape[2], dtype=dtype)], 1)  # more padding
    out_wide = gru_states(gru, wider, lengths, reverse)
    assert torch.equal(out_wide[:, :x.shape[1]], out) and torch.all(out_wide[:, x.shape[1]:] == 0)
    with torch.no_grad():
        assert torch.equal(gru_states(gru, x, lengths, reverse), out)


def test_recurrence_gradcheck():
    torch.manual_seed(1)
    lengths, D = [3, 5, 1, 3], 3  # B = 4, L = 5
    sizes = [sum(n > t for n in lengths) for t in range(max(lengths))]  # running at each step: [4, 3, 3, 1, 1]
    gi = torch.randn(sum(sizes), 3 * D, dtype=torch.float64, requires_grad=True)
    w_hh = torch.randn(3 * D, D, dtype=torch.float64, requires_grad=True)
    b_hh = torch.randn(3 * D, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda *a: _Recurrence.apply(*a, sizes), (gi, w_hh, b_hh))
    gru, x, lengths = make(torch.float64, lengths, D=D)
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: gru_states(gru, x, lengths, reverse=True), (x,))
    with pytest.raises(ValueError, match="lengths"):
        gru_states(gru, x[:, :4], lengths)


@pytest.mark.parametrize("reverse", [False, True])
def test_gradients_match_per_sequence_gru(reverse):
    gru, x, lengths = make(torch.float64)
    x.requires_grad_(True)
    weights = torch.randn(x.shape[0], x.shape[1], gru.hidden_size, dtype=torch.float64)
    params = [x, *gru.parameters()]
    loss = lambda out: (out * weights).sum() + out.square().sum()  # noqa: E731
    ours = torch.autograd.grad(loss(gru_states(gru, x, lengths, reverse)), params)
    ref = torch.autograd.grad(loss(oracle(gru, x, lengths, reverse)), params)
    for a, b in zip(ours, ref):
        assert torch.allclose(a, b, atol=1e-12, rtol=0)


def test_text_encoder_word_states_are_the_averaged_bigru():
    cfg, model = build()
    _, t, _ = batch(cfg, 6)
    enc = model.text
    x = enc.embed(t.words)
    expected = 0.5 * (oracle(enc.gru_fwd, x, t.lengths) + oracle(enc.gru_bwd, x, t.lengths, reverse=True))
    assert torch.allclose(enc.word_states(t), expected, atol=1e-5)
    with torch.no_grad(), enc.word_input_tables():  # per-word input projections looked up in a table
        assert torch.allclose(enc.word_states(t), expected, atol=1e-5)
        assert enc._tables is not None
    assert enc._tables is None
    with enc.word_input_tables():  # under autograd the tables are not used: gradients reach the embeddings
        enc.word_states(t).sum().backward()
    assert enc.embed.weight.grad is not None and enc.embed.weight.grad.abs().sum() > 0
