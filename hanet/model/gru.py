"""Length-aware GRU over a padded batch, with a hand-written backward.

``gru_states(gru, x, lengths)`` runs a one-layer ``nn.GRU``'s weights over the valid steps
of each padded sequence only (``reverse=True``: each sequence read backwards within its
length) and returns padded states with zeros at the padding, in the batch's order.

Method. The batch is sorted by length (descending), so the sequences still running at
step t are a prefix of n_t rows, and the valid (sequence, step) positions are laid out
time-major, step after step ("packed", N = sum of lengths rows). Then:

* the input projection ``x W_ih^T + b_ih`` of all N valid positions is ONE GEMM (ordinary
  autograd carries its gradient to W_ih, b_ih and x);
* the recurrence loops over time only, one (n_t, D) x (D, 3D) GEMM per step, with
  PyTorch's gate equations (gate order r, z, n in the weight rows)::

      r = sigmoid(gi_r + W_hr h + b_hr)     z = sigmoid(gi_z + W_hz h + b_hz)
      n = tanh(gi_n + r * (W_hn h + b_hn))  h' = (1 - z) * n + z * h = n + z * (h - n)

* its backward (``_Recurrence``) uses that, given the forward's gates, the gradients of
  all pre-activations at a step are dL/dh' times per-position factors; the factors are
  computed for all N positions at once before the backward time loop, which is then one
  multiply and one (n_t, 3D) x (3D, D) GEMM per step. The gradient of W_hh (and b_hh) is
  ONE GEMM (a sum) over all valid steps at the end, not a thin GEMM per step.

Pure torch ops: device-agnostic, any floating dtype; lengths are read on the host.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor
from torch.autograd.function import once_differentiable


def _offsets(sizes: list[int]) -> list[int]:
    out, total = [], 0
    for n in sizes:
        out.append(total)
        total += n
    return out


class _Recurrence(torch.autograd.Function):
    """Packed input projections gi (N, 3D), W_hh (3D, D), b_hh (3D,), step sizes n_t
    (non-increasing, summing to N) -> packed hidden states (N, D), zero initial state."""

    @staticmethod
    def forward(ctx, gi: Tensor, w_hh: Tensor, b_hh: Tensor, sizes: list[int]) -> Tensor:
        with torch.autocast(gi.device.type, enabled=False):
            return _Recurrence._forward(ctx, gi, w_hh, b_hh, sizes)

    @staticmethod
    def _forward(ctx, gi: Tensor, w_hh: Tensor, b_hh: Tensor, sizes: list[int]) -> Tensor:
        N, D = gi.shape[0], w_hh.shape[1]
        gates = gi.new_empty(N, 3 * D)  # per step W_hh h + b_hh, then r and z over their pre-activations
        cand = gi.new_empty(N, D)  # n
        hs = gi.new_empty(N, D)
        h = gi.new_zeros(sizes[0] if sizes else 0, D)
        for n, off in zip(sizes, _offsets(sizes)):
            rows = slice(off, off + n)
            g = torch.addmm(b_hh, h[:n], w_hh.t(), out=gates[rows])  # (n, 3D)
            rz = g[:, :2 * D].add_(gi[rows, :2 * D]).sigmoid_()  # (n, 2D) r, z
            a = torch.addcmul(gi[rows, 2 * D:], rz[:, :D], g[:, 2 * D:])  # (n, D) pre-activation of n
            # tanh(a) = 2 sigmoid(2a) - 1, faster on the CPU (benchmarks/bench_choices.py)
            c = torch.sigmoid(a.mul_(2), out=cand[rows]).mul_(2).sub_(1)
            h = torch.addcmul(c, rz[:, D:], h[:n] - c, out=hs[rows])  # (n, D)
        ctx.sizes = sizes
        ctx.save_for_backward(w_hh, gates, cand, hs)
        return hs

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_hs: Tensor):
        with torch.autocast(grad_hs.device.type, enabled=False):
            return _Recurrence._backward(ctx, grad_hs.to(ctx.saved_tensors[0].dtype))

    @staticmethod
    def _backward(ctx, grad_hs: Tensor):
        w_hh, gates, cand, hs = ctx.saved_tensors
        sizes, offsets = ctx.sizes, _offsets(ctx.sizes)
        N, D = hs.shape
        r, z, ghn = gates.split(D, 1)  # (N, D) each; ghn = W_hn h + b_hn
        # previous hidden state of every packed position (zeros at step 0): (N, D)
        hprev = torch.cat([hs.new_zeros(sizes[0] if sizes else 0, D)] +
                          [hs[offsets[t - 1]:offsets[t - 1] + sizes[t]] for t in range(1, len(sizes))])
        # d h' / d of: a_r = gi_r + gh_r, a_z = gi_z + gh_z, gh_n, a_n = gi_n + r gh_n, and h (directly)
        dn = (1 - z) * (1 - cand * cand)
        factors = torch.stack([dn * ghn * r * (1 - r), (hprev - cand) * z * (1 - z), dn * r, dn, z], 1)  # (N, 5, D)
        grads = torch.empty_like(factors)  # (N, 5, D) the same, times dL/dh'
        carry = None  # dL/dh_t through step t + 1 (the previous iteration): (n_{t+1}, D)
        for t in range(len(sizes) - 1, -1, -1):
            n, rows = sizes[t], slice(offsets[t], offsets[t] + sizes[t])
            dh = grad_hs[rows]  # (n, D)
            if carry is not None:
                dh = dh.clone()
                dh[:carry.shape[0]] += carry
            g = torch.mul(factors[rows], dh[:, None, :], out=grads[rows])  # (n, 5, D)
            if t > 0:
                carry = torch.addmm(g[:, 4], g[:, :3].reshape(n, 3 * D), w_hh)  # (n, D)
        grad_gh = grads[:, :3].reshape(N, 3 * D)  # dL/d(W_hh h + b_hh): (N, 3D)
        grad_w = grad_gh.t() @ hprev  # (3D, D), one GEMM over all valid steps
        grad_gi = torch.cat([grads[:, 0], grads[:, 1], grads[:, 3]], 1)  # (N, 3D)
        return grad_gi, grad_w, grad_gh.sum(0), None


def input_table(gru: nn.GRU, embedding: Tensor) -> Tensor:
    """Every word's input projection W_ih e_w + b_ih: embedding (V, W) -> (V, 3D). In
    evaluation this replaces the per-position projection GEMM by a row lookup."""
    return nn.functional.linear(embedding, gru.weight_ih_l0, gru.bias_ih_l0)


def gru_states(gru: nn.GRU, x: Tensor, lengths: Tensor, reverse: bool = False, table: Tensor | None = None) -> Tensor:
    """Run a one-layer, one-direction ``nn.GRU``'s weights over the first ``lengths[b]``
    steps of each x[b] (read backwards within its length when ``reverse``), from a zero
    state: x (B, L, W), lengths (B,) -> (B, L, D), zeros at the padded steps. With ``table``
    (V, 3D) from ``input_table``, x holds word ids (B, L) instead of their embeddings."""
    if gru.num_layers != 1 or gru.bidirectional or not gru.bias:
        raise ValueError("gru_states needs a one-layer, one-direction nn.GRU with biases")
    B, L = x.shape[:2]
    lengths = lengths.cpu()
    order = torch.argsort(lengths, descending=True, stable=True)  # (B,)
    sorted_len = lengths[order]  # (B,)
    T = int(sorted_len[0]) if B else 0
    if T > L or (B and int(sorted_len[-1]) < 0):
        raise ValueError(f"lengths must lie in [0, {L}]")
    valid = torch.arange(T)[:, None] < sorted_len[None, :]  # (T, B) time-major, each row a prefix
    sizes = valid.sum(1).tolist()  # n_t
    step, j = valid.nonzero(as_tuple=True)  # (N,) packed order
    word = sorted_len[j] - 1 - step if reverse else step  # (N,) position read at that step
    flat = (order[j] * L + word).to(x.device)  # (N,) into (B * L)
    if table is None:
        gi = nn.functional.linear(x.reshape(B * L, -1).index_select(0, flat), gru.weight_ih_l0, gru.bias_ih_l0)
    else:
        gi = table.index_select(0, x.reshape(B * L).index_select(0, flat))  # (N, 3D)
    # the recurrence runs in the weights' dtype with autocast off (bf16 autocast casts gi down)
    hs = _Recurrence.apply(gi.to(gru.weight_hh_l0.dtype), gru.weight_hh_l0, gru.bias_hh_l0, sizes)  # (N, D)
    return hs.new_zeros(B * L, hs.shape[1]).index_copy_(0, flat, hs).view(B, L, -1)  # (B, L, D)
