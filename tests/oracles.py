"""Loop-form reference implementations (plain, per pair) for checking the batched model."""
from __future__ import annotations

import torch

from hanet.model import HANet, ModelConfig
from hanet.model.random_inputs import random_targets, random_text, random_video


def rel_err(a, b) -> float:
    """Largest absolute difference relative to the largest |b| (b the reference), in float64."""
    return float((a.double() - b.double()).abs().max() / b.double().abs().max().clamp(min=1e-12))


def phrase_attention_pair(parts, part_mask, phrases, phrase_mask, temperature: float) -> float:
    """One video (P, D) with part_mask (P,) and one caption (Q, D) with phrase_mask (Q,):
    explicit attention-weighted video vector per phrase, cosine, mean over real phrases."""
    keep = [p for p in range(parts.shape[0]) if part_mask is None or bool(part_mask[p])]
    V = parts[keep].double()  # (P', D)
    cosines = []
    for q in range(phrases.shape[0]):
        if not bool(phrase_mask[q]):
            continue
        t = phrases[q].double()
        sims = torch.stack([torch.dot(v, t) / (v.norm().clamp(min=1e-8) * t.norm().clamp(min=1e-8)) for v in V])
        pos = sims.clamp(min=0)
        pos = pos / pos.norm().clamp(min=1e-8)
        weights = torch.softmax(temperature * pos, dim=0)
        attended = sum(w * v for w, v in zip(weights, V))
        cosines.append(float(torch.dot(attended, t) / (attended.norm().clamp(min=1e-8) * t.norm().clamp(min=1e-8))))
    return sum(cosines) / len(cosines) if cosines else 0.0


def phrase_attention_loop(parts, part_mask, phrases, phrase_mask, temperature: float) -> torch.Tensor:
    """(Nv, P, D), (Nv, P) or None, (Nt, Q, D), (Nt, Q) -> (Nv, Nt) float64, one pair at a time."""
    out = torch.zeros(parts.shape[0], phrases.shape[0], dtype=torch.float64)
    for i in range(parts.shape[0]):
        for j in range(phrases.shape[0]):
            out[i, j] = phrase_attention_pair(parts[i], None if part_mask is None else part_mask[i],
                                              phrases[j], phrase_mask[j], temperature)
    return out


def soft_jaccard_loop(p, q) -> torch.Tensor:
    out = torch.zeros(p.shape[0], q.shape[0], dtype=torch.float64)
    for i in range(p.shape[0]):
        for j in range(q.shape[0]):
            hi = torch.maximum(p[i], q[j]).double().sum()
            out[i, j] = torch.minimum(p[i], q[j]).double().sum() / hi if hi > 0 else 0.0
    return out


def similarity_loop(cfg, ve, te) -> dict:
    """Every enabled term of HANet.similarity, computed pair by pair."""
    cos = lambda a, b: float(torch.dot(a.double(), b.double()) / (a.double().norm() * b.double().norm()))  # noqa: E731
    tau, out = cfg.temperature, {}
    if "global" in cfg.levels:
        out["global"] = torch.tensor([[cos(a, b) for b in te.sentence] for a in ve.event], dtype=torch.float64)
    if "local" in cfg.levels:
        out["local_verb"] = phrase_attention_loop(ve.local_action, None, te.node_verb, te.verb_mask, tau)
        out["local_noun"] = phrase_attention_loop(ve.local_entity, None, te.node_noun, te.noun_mask, tau)
    if "individual" in cfg.levels:
        out["individual_verb"] = phrase_attention_loop(ve.frame_action, ve.frame_mask, te.phrase_verb,
                                                       te.verb_mask, tau)
        out["individual_noun"] = phrase_attention_loop(ve.frame_entity, ve.frame_mask, te.phrase_noun,
                                                       te.noun_mask, tau)
    if cfg.concepts and "individual" in cfg.levels:
        out["concept_verb"] = soft_jaccard_loop(ve.action_concepts, te.verb_concepts)
        out["concept_noun"] = soft_jaccard_loop(ve.entity_concepts, te.noun_concepts)
    return out


def fuse_loop(cfg, terms: dict) -> torch.Tensor:
    emb = [v for k, v in terms.items() if not k.startswith("concept_")]
    con = [v for k, v in terms.items() if k.startswith("concept_")]
    e = sum(emb) / len(emb)
    return 0.5 * e + 0.5 * sum(con) / len(con) if con else e


def hinge_loop(scores, margin: float) -> float:
    B = scores.shape[0]
    v2t = [max(max(0.0, margin + float(scores[i, j] - scores[i, i])) for j in range(B) if j != i) for i in range(B)]
    t2v = [max(max(0.0, margin + float(scores[i, j] - scores[j, j])) for i in range(B) if i != j) for j in range(B)]
    return sum(v2t) / B + sum(t2v) / B


# ---- small configurations and inputs shared by the model tests and the benchmark check ----


def small_cfg(**kw) -> ModelConfig:
    base = dict(ft_dim=24, dim=16, word_dim=8, vocab_size=40, num_verbs=10, num_nouns=14, max_frames=7,
                max_words=9, max_verb_nodes=3, max_noun_nodes=4, top_actions=3, top_entities=4,
                se_reduction=4, num_roles=5)
    base.update(kw)
    return ModelConfig(**base)


def build(seed: int = 0, **kw):
    torch.manual_seed(seed)
    cfg = small_cfg(**kw)
    return cfg, HANet(cfg)


def batch(cfg, n: int, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return random_video(cfg, n, g), random_text(cfg, n, g), random_targets(cfg, n, g)
