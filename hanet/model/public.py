"""The public HANet checkpoint format (github.com/Roc-Ng/HANet, commit e679703) <-> this model.

A public checkpoint is ``{"video_encoder": state_dict, "text_encoder": state_dict}`` with a
``model.json`` beside it. ``PUBLIC_NAMES`` maps every parameter and buffer of the full model
to its public name; the public modules that compute nothing (``video_encoder.conv1``,
``conv2``, ``text_encoder.fc``) and the duplicate BatchNorm entries (``bn_verb`` is
``classifier_verb.1``) are ignored. A partial public checkpoint (the authors' GloVe
``word_embeds.*.th`` holds only ``text_encoder.embedding.we.weight``) sets just what it holds.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from hanet.errors import HanetError


_BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
# concept heads: (project side, public submodule, project head, public Sequential(conv, BatchNorm, sigmoid))
_HEADS = [("video", "video_encoder", "action_head", "classifier_verb"),
          ("video", "video_encoder", "entity_head", "classifier_noun"),
          ("text", "text_encoder", "verb_head", "classifier_verb"),
          ("text", "text_encoder", "noun_head", "classifier_noun")]
_GRU = [f"{k}_l0{d}" for d in ("", "_reverse") for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]

# project parameter / buffer name -> public "<submodule>.<name>"
PUBLIC_NAMES: dict[str, str] = {
    **{f"video.{ours}.{k}": f"video_encoder.{theirs}.{k}"
       for ours, theirs in [("event_proj", "level_embeds.0"), ("action_proj", "level_embeds.1"),
                            ("entity_proj", "level_embeds.2"), ("event_pool.score", "ft_attn")]
       for k in ("weight", "bias")},
    "video.action_se.down.weight": "video_encoder.seblock1.fc.0.weight",
    "video.action_se.up.weight": "video_encoder.seblock1.fc.2.weight",
    "video.entity_se.down.weight": "video_encoder.seblock2.fc.0.weight",
    "video.entity_se.up.weight": "video_encoder.seblock2.fc.2.weight",
    **{f"{side}.{head}.conv.{k}": f"{enc}.{clf}.0.{k}" for side, enc, head, clf in _HEADS for k in ("weight", "bias")},
    **{f"{side}.{head}.norm.{k}": f"{enc}.{clf}.1.{k}" for side, enc, head, clf in _HEADS for k in _BN},
    "text.embed.weight": "text_encoder.embedding.we.weight",
    **{f"text.gru.{k}": f"text_encoder.rnn.{k}" for k in _GRU},
    "text.sentence_pool.score.weight": "text_encoder.ft_attn.weight",
    "text.sentence_pool.score.bias": "text_encoder.ft_attn.bias",
    "text.role_embed.weight": "text_encoder.role_embedding.weight",
    "text.gcn.context.weight": "text_encoder.gcn.layers.0.ctx_layer.weight",
    "text.gcn.norm.weight": "text_encoder.gcn.layers.0.layernorm.weight",
    "text.gcn.norm.bias": "text_encoder.gcn.layers.0.layernorm.bias",
    **{f"text.gcn.{ours}.{k}": f"text_encoder.gcn.layers.0.edge_attn_{ours}.{k}"
       for ours in ("query", "key") for k in ("weight", "bias")},
}
# the public state dict also lists the concept BatchNorms under these names (same tensors)
PUBLIC_ALIASES = {f"{enc}.bn_{kind}.{k}": f"{enc}.classifier_{kind}.1.{k}"
                  for enc in ("video_encoder", "text_encoder") for kind in ("verb", "noun") for k in _BN}


def flatten(ckpt: dict) -> dict[str, torch.Tensor]:
    """{"video_encoder": {...}, "text_encoder": {...}} -> {"video_encoder.<name>": tensor}."""
    return {f"{sub}.{k}": v for sub, state in ckpt.items() if isinstance(state, dict) for k, v in state.items()}


def config_from_public(model_json: dict, ckpt: dict) -> dict:
    """ModelConfig overrides from a public ``model.json`` and checkpoint (concept counts and
    SE reduction are fixed in the public code; they are read from the weights)."""
    try:
        video, text = model_json["subcfgs"]["video_encoder"], model_json["subcfgs"]["text_encoder"]
        if video["dim_embed"] != text["rnn_hidden_size"]:
            raise HanetError(f"model.json: video dim_embed {video['dim_embed']} != text rnn_hidden_size "
                             f"{text['rnn_hidden_size']}")
        flat = flatten(ckpt)
        se = flat.get("video_encoder.seblock1.fc.0.weight")
        return {
            "ft_dim": int(sum(video["dim_fts"])), "dim": int(video["dim_embed"]), "word_dim": int(text["dim_word"]),
            "vocab_size": int(text["num_words"]), "num_roles": int(text["num_roles"]),
            "num_verbs": int(flat["video_encoder.classifier_verb.0.weight"].shape[0]),
            "num_nouns": int(flat["video_encoder.classifier_noun.0.weight"].shape[0]),
            "se_reduction": int(video["dim_embed"]) // int(se.shape[0]) if se is not None else 16,
            "max_frames": int(model_json["max_frames_in_video"]), "max_words": int(model_json["max_words_in_sent"]),
            "max_verb_nodes": int(model_json["num_verbs"]), "max_noun_nodes": int(model_json["num_nouns"]),
            "dropout": float(video["dropout"]), "word_dropout": float(text["dropout"]),
            "gcn_dropout": float(text.get("gcn_dropout", 0.5)),
            "margin": float(model_json["margin"]), "temperature": float(model_json["simattn_sigma"]),
            "top_actions": 10, "top_entities": 20, "action_window": 2, "entity_frames": 3,
        }
    except KeyError as err:
        raise HanetError(f"model.json or checkpoint: missing entry {err}") from None


def load_public_state(model: nn.Module, ckpt: dict, partial: bool = False) -> list[str]:
    """Copy a public checkpoint's tensors into ``model`` (a HANet); returns the project names set.

    Without ``partial`` every parameter and buffer of ``model`` must be present; with it,
    only what the checkpoint holds is set (e.g. GloVe word embeddings). Shapes must match.
    """
    flat = flatten(ckpt)
    own = model.state_dict()
    loaded, missing = [], []
    for name, target in own.items():
        public = PUBLIC_NAMES.get(name)
        if public is None:
            raise HanetError(f"no public name for parameter '{name}' (hanet/model/public.py)")
        if public not in flat:
            missing.append(public)
            continue
        value = flat[public]
        if tuple(value.shape) != tuple(target.shape):
            raise HanetError(f"public '{public}' has shape {tuple(value.shape)}, the model expects "
                             f"{tuple(target.shape)} for '{name}'")
        own[name] = value.to(target.dtype)
        loaded.append(name)
    if missing and not partial:
        raise HanetError(f"public checkpoint lacks {len(missing)} tensor(s) the model needs, e.g. {missing[0]}")
    if not loaded:
        raise HanetError("public checkpoint holds none of the model's tensors")
    model.load_state_dict(own)
    return loaded

