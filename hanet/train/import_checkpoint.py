"""``hanet import-checkpoint``: a public HANet checkpoint -> a project checkpoint.

Reads the public ``{"video_encoder": ..., "text_encoder": ...}`` file and its ``model.json``
(github.com/Roc-Ng/HANet, commit e679703) and writes a ``best.pt`` that ``hanet evaluate``
accepts: the full model with the public weights, the public configuration, and
``imported_from`` naming the source. Every tensor is read with ``weights_only=True``.
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import torch

from hanet import config as run_config
from hanet.errors import HanetError
from hanet.io import atomic_path, read_json
from hanet.model.hanet import HANet
from hanet.model.public import config_from_public, load_public_state
from hanet.train.checkpoint import load_tensors


def read_public(path: Path) -> dict:
    """A public checkpoint (full or partial), tensors only."""
    ckpt = load_tensors(path)
    if not isinstance(ckpt, dict) or not any(k in ckpt for k in ("video_encoder", "text_encoder")):
        raise HanetError(f"{path}: not a public HANet checkpoint (expected keys video_encoder / text_encoder)")
    return ckpt


def import_checkpoint(checkpoint: Path, model_json: Path) -> dict:
    """The project checkpoint (as ``best.pt`` holds it) of a public checkpoint and its model.json."""
    ckpt = read_public(checkpoint)
    cfg = run_config.resolve(None, {"model": config_from_public(read_json(model_json), ckpt)})
    model = HANet(cfg.model)
    load_public_state(model, ckpt)
    state = {"model": model.state_dict(), "config": dataclasses.asdict(cfg), "seed": None, "epoch": None,
             "step": None, "vocab_size": cfg.model.vocab_size, "imported_from": str(checkpoint)}
    return state


def cli(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="hanet import-checkpoint", description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", type=Path, required=True, help="public checkpoint (.th)")
    p.add_argument("--model-json", type=Path, required=True, help="the public model.json it was trained with")
    p.add_argument("--out", type=Path, required=True, help="project checkpoint to write, e.g. results/x/best.pt")
    a = p.parse_args(argv)
    state = import_checkpoint(a.checkpoint, a.model_json)
    with atomic_path(a.out) as tmp:
        torch.save(state, tmp)
    print(f"{a.out}: imported {a.checkpoint} ({sum(v.numel() for v in state['model'].values()):,} values)")
