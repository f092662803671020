"""Run configs: defaults, layering, and strict rejection of bad ablation files."""

from pathlib import Path

import pytest

from hanet.config import config_hash, from_dict, resolve, to_yaml
from hanet.errors import HanetError

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "variant.yaml"
    path.write_text(text)
    return path


def test_defaults_are_the_published_settings():
    cfg = resolve()
    assert cfg.model.levels == ["individual", "local", "global"] and cfg.model.concepts
    assert (cfg.model.dim, cfg.model.margin, cfg.train.lr, cfg.train.batch_size) == (1024, 0.2, 1e-4, 64)


def test_layers_ablation_wins_over_dataset_overrides(tmp_path):
    path = write(tmp_path, "model:\n  levels: [global]\ntrain:\n  epochs: 3\n")
    cfg = resolve(path, {"model": {"dim": 64, "levels": ["local"]}, "train": {"lr": 0.01}})
    assert cfg.model.levels == ["global"] and cfg.model.dim == 64
    assert cfg.train.epochs == 3 and cfg.train.lr == 0.01


@pytest.mark.parametrize("text, key", [
    ("modle: {}\n", "modle"),
    ("model:\n  levles: [global]\n", "levles"),
    ("model:\n  levels: 3\n", "levels"),
    ("train:\n  epochs: many\n", "epochs"),
])
def test_unknown_key_or_wrong_type_names_file_and_key(tmp_path, text, key):
    path = write(tmp_path, text)
    with pytest.raises(HanetError) as err:
        resolve(path)
    assert str(path) in str(err.value) and key in str(err.value)


@pytest.mark.parametrize("text", ["model:\n  levels: []\n", "model:\n  levels: [global, cosmic]\n",
                                  "model: [1, 2\n", "- a list\n"])
def test_invalid_values_and_malformed_yaml_are_rejected(tmp_path, text):
    with pytest.raises(HanetError, match="variant.yaml"):
        resolve(write(tmp_path, text))


def test_every_shipped_ablation_is_valid_and_distinct():
    files = sorted((ROOT / "ablations").glob("*.yaml"))
    assert {f.stem for f in files} >= {"full", "no_individual", "no_local", "no_global", "individual_only",
                                       "local_only", "global_only", "no_concepts"}
    configs = [resolve(f) for f in files]
    assert all(c.description for c in configs)
    hashes = {config_hash(c) for c in configs}
    assert len(hashes) == len(files)


def test_yaml_round_trip_keeps_the_config():
    cfg = resolve(ROOT / "ablations" / "no_concepts.yaml")
    import yaml

    assert from_dict(yaml.safe_load(to_yaml(cfg))) == cfg
