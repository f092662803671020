"""Evaluation: encode every video and unique caption once, score in chunks, rank.

``hanet evaluate`` loads the best checkpoint of a run, evaluates it on the test split and
writes ``metrics.json`` (with provenance), ``ranks.npz`` (per-query ranks, so any statistic
can be recomputed without the model) and ``examples.json`` (top retrieved videos for a few
captions and the top concepts of a few videos, for the report's figures).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from hanet import concept_metrics, metrics, slice_metrics
from hanet.config import from_dict
from hanet.errors import HanetError
from hanet.io import atomic_path, read_json, write_json
from hanet.model.embeddings import TextEmbedding, VideoEmbedding
from hanet.model.hanet import HANet
from hanet.model.inputs import TextInput, VideoInput
from hanet.model.retrieval import score_matrix
from hanet.train.checkpoint import load_tensors
from hanet.train.data import SplitData, load_split, model_dims, take, trim_frames, trim_words
from hanet.device import resolve_device
from hanet.train.provenance import provenance

NUM_EXAMPLES = 8


@torch.no_grad()
def encode_videos(model: HANet, videos: VideoInput, batch_size: int, device: torch.device) -> VideoEmbedding:
    """Every video encoded once, in split order, in batches padded to their longest video (the
    public reader's batches: padding rows enter the SE squeeze, see ``trim_frames``)."""
    model.eval()
    n = videos.frames.shape[0]
    return VideoEmbedding.cat([model.encode_video(trim_frames(take(videos, torch.arange(i, min(i + batch_size, n))))
                                                  .to(device)) for i in range(0, n, batch_size)])


@torch.no_grad()
def encode_texts(model: HANet, texts: TextInput, batch_size: int, device: torch.device) -> TextEmbedding:
    """Every caption encoded once, returned in input order. In eval mode a caption's encoding
    does not depend on its batch, so captions go in batches of similar length."""
    model.eval()
    n = texts.words.shape[0]
    order = torch.argsort(texts.lengths, descending=True, stable=True)  # (Nt,)
    te = TextEmbedding.cat([model.encode_text(trim_words(take(texts, order[i:i + batch_size])).to(device))
                            for i in range(0, n, batch_size)])
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(n)
    return te[inverse.to(device)]


def encode_split(model: HANet, data: SplitData, batch_size: int, device: torch.device):
    """(VideoEmbedding of all videos, TextEmbedding of the unique captions), on ``device``."""
    return (encode_videos(model, data.videos, batch_size, device),
            encode_texts(model, take(data.texts, data.unique), batch_size, device))


def evaluate_split(model: HANet, data: SplitData, tcfg, device: torch.device, terms: bool = False):
    """Metrics (with per-query ranks), the (Nv, Nu) fused score matrix, the video embeddings and,
    with ``terms``, the metrics of every score term alone (else None), from one encoding pass."""
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=tcfg.bf16 and device.type == "cuda")
    with autocast:
        ve, te = encode_split(model, data, tcfg.eval_batch_size, device)
        scored = score_matrix(model, ve, te, video_chunk=tcfg.video_chunk, text_chunk=tcfg.text_chunk,
                              terms=terms)  # (Nv, Nu) [, {term: (Nv, Nu)}]
    sim, per_term = scored if terms else (scored, None)
    sim = sim.float().cpu()
    if not torch.isfinite(sim).all():
        raise HanetError(f"non-finite scores while evaluating split '{data.split}'")
    result = metrics.retrieval_metrics(sim, data.positives)
    concepts = concept_accuracy(model, data, ve, te)
    if concepts is not None:
        result["concepts"] = concepts
    return result, sim, ve, (term_metrics(per_term, result, data) if terms else None)


def concept_accuracy(model: HANet, data: SplitData, ve: VideoEmbedding, te: TextEmbedding) -> dict | None:
    """Concept accuracy of the video-level and caption-level concept vectors against the split's
    captions (training's label rules; ``hanet.concept_metrics``); None without a concept branch."""
    if ve.action_concepts is None or te.verb_concepts is None:
        return None
    u_of = {c: k for k, c in enumerate(data.unique_captions)}
    cap_u = torch.tensor([u_of[c] for c in data.captions], dtype=torch.long, device=te.verb_concepts.device)  # (Nc,)
    ks = {"verbs": model.cfg.top_actions, "nouns": model.cfg.top_entities}  # the k the local level picks
    return concept_metrics.concept_accuracy(
        {"verbs": ve.action_concepts, "nouns": ve.entity_concepts},
        {"verbs": te.verb_concepts[cap_u], "nouns": te.noun_concepts[cap_u]},
        data.targets, data.caption_video, ks)


def term_metrics(per_term: dict[str, torch.Tensor], fused: dict, data: SplitData) -> dict:
    """Retrieval metrics of every score term alone, of the embedding terms' mean and of the fused
    score: how much each level contributes."""
    embedding = [m for name, m in per_term.items() if not name.startswith("concept_")]
    out = {}
    for name, sim in {**per_term, "embedding_mean": torch.stack(embedding).mean(0)}.items():
        result = metrics.retrieval_metrics(sim, data.positives)
        out[name] = {k: result[k] for k in ("t2v", "v2t", "rsum")}
    out["fused"] = {k: fused[k] for k in ("t2v", "v2t", "rsum")}
    return out


def example_queries(positives: torch.Tensor, k: int, twin: torch.Tensor | None = None) -> list[int]:
    """``k`` evenly spaced caption queries; with ``twin`` ((Nv,) twin rows, -1 none) only captions of a
    video whose binding twin is in the split and that are not captions of the twin (the fine-grained
    case), when there are any."""
    pool = torch.arange(positives.shape[1])
    if twin is not None:
        ok = slice_metrics.twin_pairs(positives, twin).any(0)  # (Nu,)
        if ok.any():
            pool = torch.nonzero(ok).flatten()
    picks = np.linspace(0, pool.numel() - 1, min(k, pool.numel())).round().astype(int)
    return [int(pool[i]) for i in picks]


def examples(data: SplitData, sim: torch.Tensor, ve, concept_names: dict, k: int = NUM_EXAMPLES,
             twin: torch.Tensor | None = None) -> dict:
    """Top-5 videos of a few evenly spaced test captions (with ``twin``: captions whose video's binding
    twin is in the split, each entry naming the twin); top concepts of a few test videos."""
    captions = data.unique_captions
    pairs = None if twin is None else slice_metrics.twin_pairs(data.positives, twin)  # (Nv, Nu)
    t2v = []
    for q in example_queries(data.positives, k, twin):
        top = torch.topk(sim[:, q], min(5, sim.shape[0]))
        pos = torch.nonzero(data.positives[:, q]).flatten().tolist()
        entry = {
            "caption": captions[q],
            "positives": [data.video_ids[v] for v in pos],
            "top": [[data.video_ids[v], round(float(s), 5)] for s, v in zip(top.values.tolist(), top.indices.tolist())],
        }
        paired = [] if pairs is None else torch.nonzero(pairs[:, q]).flatten().tolist()
        if paired:  # the first of the caption's videos whose twin it does not also describe
            v, t = paired[0], int(twin[paired[0]])
            entry |= {"video": data.video_ids[v], "video_score": round(float(sim[v, q]), 5),
                      "video_rank": int((sim[:, q] > sim[v, q]).sum()) + 1,
                      "twin": data.video_ids[t], "twin_score": round(float(sim[t, q]), 5),
                      "twin_rank": int((sim[:, q] > sim[t, q]).sum()) + 1}
        t2v.append(entry)
    out = {"t2v": t2v, "concepts": []}
    action_probs = getattr(ve, "action_probs", None)
    if action_probs is None or not concept_names:
        return out
    videos = np.linspace(0, len(data.video_ids) - 1, min(k, len(data.video_ids))).round().astype(int)
    for v in videos.tolist():
        n = int(data.videos.lengths[v])
        entry = {"video_id": data.video_ids[v]}
        for key, probs, names in (("actions", ve.action_probs, concept_names["verbs"]),
                                  ("entities", ve.entity_probs, concept_names["nouns"])):
            p = probs[v, :n].float().cpu()  # (F, C) per-frame concept probabilities
            score, peak = p.max(dim=0)  # (C,), (C,)
            top = torch.topk(score, min(5, score.numel()))
            entry[key] = [[names[c], round(float(s), 4), int(peak[c])]
                          for s, c in zip(top.values.tolist(), top.indices.tolist())]
        out["concepts"].append(entry)
    return out


def twin_rows(phenomena: dict | None, video_ids: list[str]) -> torch.Tensor | None:
    """(Nv,) long: the row of each video's binding twin in ``video_ids``, -1 for none; None
    without phenomena (``prepared/phenomena.json``, synthetic data only)."""
    if phenomena is None:
        return None
    row = {v: i for i, v in enumerate(video_ids)}
    videos = phenomena.get("videos", {})
    return torch.tensor([row.get(videos.get(v, {}).get("twin"), -1) for v in video_ids], dtype=torch.long)


def write_results(out_dir: Path, result: dict, prov: dict, data: SplitData, twin: torch.Tensor | None = None) -> None:
    """ranks.npz (per-query ranks with the query keys; with ``twin`` outcomes, ``t2v_twin``) then
    metrics.json, the job's marker of completion."""
    ranks = result["ranks"]
    extra = {} if twin is None else {"t2v_twin": twin.numpy()}
    with atomic_path(out_dir / "ranks.npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, t2v_rank=ranks["t2v"], v2t_rank=ranks["v2t"],
                                t2v_query=np.array(data.unique_captions), v2t_query=np.array(data.video_ids),
                                **extra)
    body = {k: result[k] for k in ("t2v", "v2t", "rsum")}
    if "concepts" in result:
        body["concepts"] = result["concepts"]
    if twin is not None:
        score, n = slice_metrics.twin_score(twin)
        rule = slice_metrics.__doc__.split("\n\n")[1].replace("\n", " ")
        body["twins"] = {"discrimination": score if n else None, "captions": n, "rule": rule}
    body["provenance"] = prov
    write_json(out_dir / "metrics.json", body)


def load_checkpoint(path: Path) -> dict:
    """A project checkpoint (``best.pt`` / ``last.pt``), read with ``weights_only=True``: a file
    that holds anything but tensors and plain values is refused, never executed."""
    state = load_tensors(path, "; delete it and re-run the job that wrote it")
    if not isinstance(state, dict) or "model" not in state or "config" not in state:
        raise HanetError(f"{path}: not a hanet checkpoint (expected keys 'model' and 'config')")
    return state


def check_compatible(path: Path, cfg, dims: dict) -> None:
    """Refuse a checkpoint built for other data (vocabulary, concept counts, feature dim)."""
    for key, have in dims.items():
        if int(getattr(cfg.model, key)) != int(have):
            raise HanetError(f"{path}: built with model.{key} = {getattr(cfg.model, key)}, "
                             f"but the data has {have}")


def run(checkpoint: Path, data_dir: Path, features: Path, split: str, out_dir: Path, device_name: str,
        terms: bool = False, phenomena: Path | None = None) -> dict:
    start = time.time()
    state = load_checkpoint(checkpoint)
    cfg = from_dict(state["config"])
    check_compatible(checkpoint, cfg, model_dims(data_dir, features))
    device = resolve_device(device_name if device_name != "config" else cfg.train.device)
    model = HANet(cfg.model).to(device)
    model.load_state_dict(state["model"])
    data = load_split(data_dir, features, split, cfg.model)
    result, sim, ve, per_term = evaluate_split(model, data, cfg.train, device, terms)
    concept_names = read_json(data_dir / "text" / "concepts.json") if cfg.model.concept_branch else {}
    twin = twin_rows(read_json(phenomena) if phenomena is not None else None, data.video_ids)
    write_json(out_dir / "examples.json", examples(data, sim, ve, concept_names, twin=twin))
    prov = provenance(cfg, state.get("seed"), device, extra={
        "split": split, "checkpoint": str(checkpoint), "best_epoch": state.get("epoch"),
        "train_seconds": state.get("train_seconds"), "eval_seconds": round(time.time() - start, 2),
        "dtype": "bfloat16 autocast" if cfg.train.bf16 and device.type == "cuda" else "float32",
        "train_device": state.get("train_device"), "train_dtype": state.get("train_dtype"),
        "num_videos": len(data.video_ids), "num_unique_captions": int(data.unique.numel()),
        "tie_rule": metrics.TIE_RULE,
    })
    outcomes = None if twin is None else slice_metrics.twin_outcomes(sim, data.positives, twin)  # (Nu,)
    write_results(out_dir, result, prov, data, outcomes)
    if per_term is not None:
        write_json(out_dir / f"terms_{split}.json", per_term)
    return result


def cli(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="hanet evaluate", description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", type=Path, required=True, help="best.pt written by hanet train")
    p.add_argument("--data", type=Path, required=True, help="dataset folder holding prepared/ and text/")
    p.add_argument("--features", type=Path, required=True, help="features/{extractor}.h5")
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    p.add_argument("--out-dir", type=Path, required=True, help="run folder for metrics.json, ranks.npz, examples.json")
    p.add_argument("--device", default="config", help="auto | cpu | cuda[:N] | config (the run's train.device)")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own)")
    p.add_argument("--phenomena", type=Path, help="prepared/phenomena.json (synthetic data): adds the binding-twin "
                   "discrimination to metrics.json and ranks.npz, and picks twin captions as retrieval examples")
    p.add_argument("--terms", action="store_true",
                   help="also write terms_<split>.json: the metrics of every score term alone")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    r = run(a.checkpoint, a.data, a.features, a.split, a.out_dir, a.device, a.terms, a.phenomena)
    print(f"{a.split}: t2v R@1 {r['t2v']['r1']:.2f}  v2t R@1 {r['v2t']['r1']:.2f}  rsum {r['rsum']:.2f}")
