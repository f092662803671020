"""Typed run configuration: model + training settings, and strict ablation files.

A run's configuration is resolved in three layers, later ones winning:

1. the dataclass defaults (the published HANet settings, see ``hanet.model.config``);
2. the dataset's overrides from ``config/config.yaml`` (``data.<dataset>.model`` / ``.train``);
3. the ablation file ``ablations/<variant>.yaml`` (a small diff: ``description``, ``model``, ``train``).

Every layer is merged into an OmegaConf structured config, so an unknown key or a value of
the wrong type is rejected with a :class:`HanetError` naming the file and the key.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from hanet.errors import HanetError
from hanet.model.config import ModelConfig
from hanet.yamlio import read_yaml


@dataclass
class TrainConfig:
    """Optimisation and evaluation settings (defaults: the public HANet code)."""

    lr: float = 1e-4
    batch_size: int = 64
    epochs: int = 50
    patience: int = 11  # stop after this many epochs without a better validation rsum (public: 11)
    grad_clip: float = 0.0  # max gradient norm; 0 (the public recipe) disables clipping
    threads: int = 0  # torch CPU threads; 0 keeps torch's default
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    bf16: bool = False  # bfloat16 autocast (CUDA only)
    eval_batch_size: int = 256  # videos / captions encoded per forward pass at evaluation
    video_chunk: int = 128  # videos per block of the score matrix
    text_chunk: int = 2048  # captions per block of the score matrix
    init_from: str = ""  # public HANet checkpoint, full or partial (e.g. GloVe word_embeds.*.th), to start from

    def __post_init__(self) -> None:
        if self.lr <= 0 or self.batch_size < 2 or self.epochs < 1 or self.patience < 1:
            raise ValueError("train: lr must be > 0, batch_size >= 2, epochs >= 1, patience >= 1")
        if self.device != "auto" and self.device != "cpu" and not self.device.startswith("cuda"):
            raise ValueError(f"train.device must be auto, cpu or cuda[:N], got {self.device!r}")


@dataclass
class RunConfig:
    """Everything that defines one trained variant (seed apart)."""

    description: str = ""
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


def _merge(base: Any, layer: Any, source: str) -> Any:
    try:
        return OmegaConf.merge(base, OmegaConf.create(layer or {}))
    except OmegaConfBaseException as err:
        key = getattr(err, "full_key", None) or "?"
        msg = str(err).splitlines()[0]
        if "not in" in msg:  # an unknown key
            raise HanetError(f"{source}: unknown key '{key}': {msg}") from None
        expected = OmegaConf.select(base, key, default=None)
        if OmegaConf.is_list(expected):
            expected = OmegaConf.to_container(expected)
        given = OmegaConf.select(OmegaConf.create(layer or {}), key, default=None)
        raise HanetError(f"{source}: key '{key}' has the wrong type: expected {type(expected).__name__} "
                         f"(default {expected!r}), got {given!r}") from None


def _read_yaml(path: Path) -> dict:
    data = read_yaml(path)  # strict: a duplicate key or malformed YAML names the file and line
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise HanetError(f"{path}: expected a mapping with keys description/model/train")
    return data


def resolve(ablation: str | Path | None = None, overrides: dict | None = None) -> RunConfig:
    """Resolve defaults <- dataset ``overrides`` <- ablation file into a validated RunConfig."""
    cfg = OmegaConf.structured(RunConfig)
    cfg = _merge(cfg, overrides, "config/config.yaml dataset overrides")
    source = "defaults"
    if ablation is not None:
        source = str(ablation)
        cfg = _merge(cfg, _read_yaml(Path(ablation)), source)
    try:
        return OmegaConf.to_object(cfg)  # runs the dataclasses' __post_init__ checks
    except (ValueError, OmegaConfBaseException) as err:
        raise HanetError(f"{source}: {str(err).splitlines()[0]}") from None


def validate_ablation(path: str | Path) -> RunConfig:
    """Parse-time check used by the workflow: raises HanetError naming the file and key."""
    return resolve(path)


def to_yaml(cfg: RunConfig) -> str:
    return yaml.safe_dump(asdict(cfg), sort_keys=False)


def from_dict(data: dict) -> RunConfig:
    """Rebuild a RunConfig stored in a checkpoint or a run folder's config.yaml."""
    return resolve(None, data)


def config_hash(cfg: RunConfig) -> str:
    return hashlib.sha256(to_yaml(cfg).encode()).hexdigest()[:12]
