"""Build fake but well-formed run folders (docs/interfaces.md "Run folder") for tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hanet.metrics import TIE_RULE, rsum_from_ranks, summarize


def make_run(root: Path, variant: str, seed: int, t2v_rank, v2t_rank, *, config: str | None = None,
             git_commit: str = "abc123", val_rsum=(10.0, 20.0, 25.0), examples: dict | None = None,
             concepts: dict | None = None) -> Path:
    """Write {root}/{variant}/seed{seed}/ with metrics.json consistent with the given ranks."""
    folder = Path(root) / variant / f"seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    t2v, v2t = np.asarray(t2v_rank, dtype=float), np.asarray(v2t_rank, dtype=float)
    np.savez(folder / "ranks.npz", t2v_rank=t2v, v2t_rank=v2t,
             t2v_query=np.array([f"caption {i}" for i in range(t2v.size)]),
             v2t_query=np.array([f"video{i}" for i in range(v2t.size)]))
    metrics = {"t2v": summarize(t2v), "v2t": summarize(v2t), "rsum": rsum_from_ranks(t2v, v2t),
               "provenance": {"seed": seed, "git_commit": git_commit, "tie_rule": TIE_RULE}}
    if concepts is not None:
        metrics["concepts"] = concepts
    (folder / "metrics.json").write_text(json.dumps(metrics))
    (folder / "config.yaml").write_text(config if config is not None else f"variant: {variant}\nseed: {seed}\n")
    lines = ["epoch,step,train_loss,val_t2v_r1,val_rsum,seconds"]
    lines += [f"{e},{10 * e},{1.0 / e:.3f},{v / 6:.2f},{v},1.0" for e, v in enumerate(val_rsum, start=1)]
    (folder / "train_log.csv").write_text("\n".join(lines) + "\n")
    (folder / "examples.json").write_text(json.dumps(examples or {"t2v": [], "concepts": []}))
    return folder


def random_ranks(rng: np.random.Generator, n_items: int, n_queries: int, skill: float) -> np.ndarray:
    """Ranks in 1..n_items, smaller with larger skill (0 = chance)."""
    u = rng.random(n_queries) ** (1.0 + skill)
    return np.floor(1 + u * n_items).clip(1, n_items)


def concept_block(video_verb_map: float, chance: float = 5.0, k: tuple[int, int] = (4, 6)) -> dict:
    """A metrics.json "concepts" block: every mAP / P@k is ``video_verb_map`` plus an offset
    (video nouns +1, caption verbs +2, caption nouns +3; P@k +10), every chance level ``chance``."""
    out: dict = {"tie_rule": "test"}
    for i, (lvl, key) in enumerate((("video", "verbs"), ("video", "nouns"), ("caption", "verbs"), ("caption", "nouns"))):
        v = video_verb_map + i
        out.setdefault(lvl, {})[key] = {"map": v, "p_at_k": v + 10, "k": k[key == "nouns"],
                                        "map_chance": chance, "p_at_k_chance": chance, "rows": 4, "concepts": 3}
    return out
