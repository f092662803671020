"""Configuration validation, ablation toggles and training with parts switched off."""
import pytest
import torch
from omegaconf import OmegaConf
from omegaconf.errors import ConfigKeyError

from hanet.model import ModelConfig, VideoInput
from oracles import batch, build, fuse_loop

ALL_TERMS = {"global", "local_verb", "local_noun", "individual_verb", "individual_noun", "concept_verb", "concept_noun"}


def test_defaults_are_published_values():
    cfg = ModelConfig()
    assert cfg.levels == ["individual", "local", "global"] and cfg.concepts
    assert (cfg.dim, cfg.num_verbs, cfg.num_nouns, cfg.top_actions, cfg.top_entities) == (1024, 512, 1024, 10, 20)
    assert (cfg.temperature, cfg.margin, cfg.concept_rank_weight, cfg.concept_bce_weight) == (4.0, 0.2, 0.1, 0.01)


@pytest.mark.parametrize("kw, words", [
    ({"levels": []}, "at least one"), ({"levels": ["local", "local"]}, "duplicates"),
    ({"levels": ["frame"]}, "unknown level"), ({"dim": 0}, "model.dim"), ({"dropout": 1.0}, "model.dropout"),
    ({"se_reduction": 2048}, "se_reduction"),
])
def test_bad_config_raises_clear_error(kw, words):
    with pytest.raises(ValueError, match=words):
        ModelConfig(**kw)


def test_omegaconf_structured_merge():
    base = OmegaConf.structured(ModelConfig)
    cfg = OmegaConf.to_object(OmegaConf.merge(base, {"levels": ["local", "global"], "concepts": False}))
    assert isinstance(cfg, ModelConfig) and cfg.levels == ["local", "global"] and not cfg.concepts
    with pytest.raises(ConfigKeyError):
        OmegaConf.merge(base, {"levelz": ["local"]})
    with pytest.raises(Exception):
        OmegaConf.merge(base, {"dim": "big"})
    with pytest.raises(ValueError, match="unknown level"):
        OmegaConf.to_object(OmegaConf.merge(base, {"levels": ["nope"]}))


def test_vocab_size_must_be_set():
    with pytest.raises(ValueError, match="vocab_size"):
        build(vocab_size=0)


def test_bad_input_shapes_raise():
    cfg, model = build()
    v, _, _ = batch(cfg, 3)
    with pytest.raises(ValueError, match="lengths"):
        model.encode_video(VideoInput(v.frames, torch.tensor([0, 1, 2])))
    with pytest.raises(ValueError, match="frames"):
        model.encode_video(VideoInput(v.frames[:, :, :5], v.lengths))


@pytest.mark.parametrize("levels, absent", [
    (["local", "global"], []),
    (["individual", "global"], []),
    (["individual", "local"], ["event_proj", "event_pool"]),
    (["global"], ["action", "entity", "head"]),
    (["individual"], ["event_proj", "role_embed", "gcn", "sentence_pool", "_se"]),
    (["local"], ["event_proj", "event_pool", "frame"]),
])
def test_level_off_builds_no_parameters_and_fuse_is_mean_of_rest(levels, absent):
    torch.set_num_threads(1)
    cfg_full, full = build()
    cfg, model = build(levels=levels)
    names = {n for n, _ in model.named_parameters()}
    for part in absent:
        assert not any(part in n for n in names), part
    # individual and local share the action / entity streams and the concept branch
    assert sum(p.numel() for p in model.parameters()) <= sum(p.numel() for p in full.parameters())
    model.eval()
    v, t, y = batch(cfg, 4)
    with torch.no_grad():
        terms = model.similarity(model.encode_video(v), model.encode_text(t))
    expected = {f"{lv}_{k}" if lv != "global" else "global" for lv in levels for k in ("verb", "noun")}
    # the concept scores belong to the individual level
    assert set(terms) == expected | ({"concept_verb", "concept_noun"} if "individual" in levels else set())
    assert torch.allclose(model.fuse(terms), fuse_loop(cfg, terms).float(), atol=1e-6)
    model.train()
    out = model(v, t, y)
    out["loss"].backward()
    assert torch.isfinite(out["loss"])


def test_global_only_without_concepts_has_no_part_streams():
    cfg, model = build(levels=["global"], concepts=False)
    names = {n for n, _ in model.named_parameters()}
    assert not any(k in n for n in names for k in ("action", "entity", "head"))


def test_concepts_off_has_no_concept_parts_and_trains():
    torch.set_num_threads(1)
    cfg, model = build(concepts=False)
    names = {n for n, _ in model.named_parameters()}
    assert not any("head" in n for n in names)
    v, t, y = batch(cfg, 6)
    model.eval()
    with torch.no_grad():
        ve = model.encode_video(v)
        terms = model.similarity(ve, model.encode_text(t))
    assert ve.action_probs is None and ve.action_concepts is None
    assert set(terms) == ALL_TERMS - {"concept_verb", "concept_noun"}
    assert torch.allclose(model.fuse(terms), torch.stack(list(terms.values())).mean(0), atol=1e-6)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    first = None
    for _ in range(5):  # the same batch: the ranking loss must go down
        out = model(v, t, y)
        assert set(out) == {"rank", "loss"}
        opt.zero_grad()
        out["loss"].backward()
        assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
        opt.step()
        first = float(out["loss"].detach()) if first is None else first
    assert float(out["loss"].detach()) < first


def test_full_model_loss_terms_and_gradients():
    cfg, model = build()
    v, t, y = batch(cfg, 6)
    out = model(v, t, y)
    expected = out["rank"] + cfg.concept_rank_weight * out["concept_rank"] + cfg.concept_bce_weight * out["concept_bce"]
    assert torch.allclose(out["loss"], expected)
    out["loss"].backward()
    grads = {n: p.grad for n, p in model.named_parameters()}
    assert grads["video.action_head.conv.weight"] is not None and grads["text.verb_head.conv.weight"] is not None
    assert set(model(v, t, None)) == {"rank", "concept_rank", "loss"}


SHIPPED = {  # docs/levels.md, the table of what each shipped ablation builds
    "full": {"video.event", "video.action_proj", "video.entity_proj", "video.action_se", "video.entity_se",
             "video.action_head", "video.entity_head", "text.sentence_pool", "text.role_embed", "text.gcn.query",
             "text.gcn.norm", "text.verb_head", "text.noun_head"},
    "no_local": {"video.event", "video.action_proj", "video.entity_proj", "video.action_head", "video.entity_head",
                 "text.sentence_pool", "text.gcn.norm", "text.verb_head", "text.noun_head"},
    "global_only": {"video.event", "text.sentence_pool", "text.gcn.norm"},
    "individual_only": {"video.action_proj", "video.entity_proj", "video.action_head", "video.entity_head",
                        "text.verb_head", "text.noun_head"},
    "no_concepts": {"video.event", "video.action_proj", "video.entity_proj", "video.action_se", "video.entity_se",
                    "text.sentence_pool", "text.role_embed", "text.gcn.query", "text.gcn.norm"},
}
OPTIONAL = set.union(*SHIPPED.values())


@pytest.mark.parametrize("variant", sorted(SHIPPED))
def test_shipped_ablations_build_what_docs_levels_md_says(variant):
    from pathlib import Path
    import yaml
    model_cfg = yaml.safe_load((Path(__file__).parents[1] / "ablations" / f"{variant}.yaml").read_text())["model"]
    _, model = build(**model_cfg)
    names = [n for n, _ in model.named_parameters()]
    built = {part for part in OPTIONAL if any(n.startswith(part) for n in names)}
    assert built == SHIPPED[variant]
    assert any(n.startswith("text.gru") for n in names) and any(n.startswith("text.embed") for n in names)
