"""Load one split of a prepared dataset into model-ready tensors.

Reads the stage contracts (``prepared/``, ``features/{extractor}.h5``, ``text/``) and
returns a :class:`SplitData` holding every video and every caption of the split as padded
tensors, the caption -> video map, the concept targets, and the unique-caption view used
by evaluation (a caption shared by several videos is one query with several positives).
Converting parses to tensors is a one-off preprocessing loop over unique captions; the
model never loops over samples.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch

from hanet.data.video import sample_indices
from hanet.errors import HanetError
from hanet.io import read_json, read_lines
from hanet.model.config import ModelConfig
from hanet.model.inputs import ConceptTargets, TextInput, VideoInput
from hanet.text.roles import role_index

SPLITS = ("train", "val", "test")


@dataclass
class TextResources:
    """The text stage's outputs for one dataset."""

    vocab: dict[str, int]
    parses: dict[str, dict]
    labels: dict[str, list[dict]]
    num_verbs: int
    num_nouns: int
    # {video_id: {"verbs": [...], "nouns": [...]}}: concepts named by any caption of the video, when the
    # dataset ships them (the authors' *_gt_all.json); else the union of the video's caption labels
    video_concepts: dict[str, dict] | None = None

    @classmethod
    def load(cls, text_dir: str | Path) -> "TextResources":
        text_dir = Path(text_dir)
        words = read_json(text_dir / "vocab.json")["words"]
        concepts = read_json(text_dir / "concepts.json")
        video_concepts = text_dir / "video_concepts.json"
        return cls(
            vocab={w: i for i, w in enumerate(words)},
            parses=read_json(text_dir / "parses.json"),
            labels=read_json(text_dir / "labels.json"),
            num_verbs=len(concepts["verbs"]),
            num_nouns=len(concepts["nouns"]),
            video_concepts=read_json(video_concepts) if video_concepts.is_file() else None,
        )


@dataclass
class SplitData:
    split: str
    video_ids: list[str]
    videos: VideoInput  # frames (Nv, F, D)
    captions: list[str]  # (Nc,) every caption of the split, per video in order
    caption_video: torch.Tensor  # (Nc,) long: index of the caption's video
    texts: TextInput  # (Nc, ...)
    targets: ConceptTargets  # (Nc, C) concept labels and masks
    unique: torch.Tensor  # (Nu,) long: first caption index of each unique caption text
    positives: torch.Tensor  # (Nv, Nu) bool: video v has unique caption u

    @property
    def unique_captions(self) -> list[str]:
        return [self.captions[i] for i in self.unique.tolist()]


def take(batch, index: torch.Tensor):
    """Rows ``index`` of every tensor field of an input dataclass (VideoInput, TextInput, ...)."""
    return type(batch)(**{f.name: getattr(batch, f.name)[index] for f in dataclasses.fields(batch)})


def trim_words(text: TextInput) -> TextInput:
    """Cut the word axis to the longest caption of the batch (public collate)."""
    L = int(text.lengths.max())
    return dataclasses.replace(text, words=text.words[:, :L], verb_masks=text.verb_masks[..., :L],
                               noun_masks=text.noun_masks[..., :L])


def trim_frames(videos: VideoInput) -> VideoInput:
    """Cut the frame axis to the longest video of the batch (public collate). Padded rows
    enter the SE squeeze and the concept classifiers, so a video's local parts depend on the
    longest video batched with it, as in the public code."""
    return VideoInput(frames=videos.frames[:, :int(videos.lengths.max())], lengths=videos.lengths)


def model_dims(data_dir: str | Path, features: str | Path) -> dict:
    """Data-derived model sizes: feature dim, vocabulary and concept vocabulary sizes."""
    text = Path(data_dir) / "text"
    with _open_h5(features) as h5:
        ft_dim = int(h5.attrs["dim"])
    concepts = read_json(text / "concepts.json")
    return {
        "ft_dim": ft_dim,
        "vocab_size": len(read_json(text / "vocab.json")["words"]),
        "num_verbs": len(concepts["verbs"]),
        "num_nouns": len(concepts["nouns"]),
    }


def _open_h5(path: str | Path) -> h5py.File:
    if not Path(path).is_file():
        raise HanetError(f"{path}: feature file not found")
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise HanetError(f"{path}: not a readable HDF5 file ({err})") from None


def load_videos(features: str | Path, video_ids: list[str], max_frames: int) -> VideoInput:
    """Read, uniformly sub-sample (linspace) and zero-pad the frame features of ``video_ids``."""
    with _open_h5(features) as h5:
        dim = int(h5.attrs["dim"])
        frames = torch.zeros(len(video_ids), max_frames, dim)  # (Nv, F, D)
        lengths = torch.zeros(len(video_ids), dtype=torch.long)
        for i, vid in enumerate(video_ids):
            if vid not in h5:
                raise HanetError(f"{features}: no features for video '{vid}'")
            arr = np.asarray(h5[vid], dtype=np.float32)  # (T, D)
            if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] != dim:
                raise HanetError(f"{features}: video '{vid}' has features of shape {arr.shape}, expected (T>0, {dim})")
            if not np.isfinite(arr).all():
                raise HanetError(f"{features}: video '{vid}' has NaN or infinite features")
            arr = arr[sample_indices(arr.shape[0], max_frames)]  # uniform sub-sampling, as at extraction
            frames[i, : arr.shape[0]] = torch.from_numpy(arr)
            lengths[i] = arr.shape[0]
    return VideoInput(frames=frames, lengths=lengths)


def encode_texts(parses: list[dict], vocab: dict[str, int], cfg: ModelConfig) -> TextInput:
    """Turn role-graph parses into padded word ids, node masks, roles and adjacency."""
    n, L, NV, NN = len(parses), cfg.max_words, cfg.max_verb_nodes, cfg.max_noun_nodes
    words = torch.zeros(n, L, dtype=torch.long)  # (N, L)
    lengths = torch.ones(n, dtype=torch.long)
    verb_masks = torch.zeros(n, NV, L, dtype=torch.bool)  # (N, NV, L)
    noun_masks = torch.zeros(n, NN, L, dtype=torch.bool)  # (N, NN, L)
    roles = torch.zeros(n, NV + NN, dtype=torch.long)  # (N, NV+NN) role of each phrase slot
    adjacency = torch.zeros(n, 1 + NV + NN, 1 + NV + NN)  # (N, target, source)
    unk = vocab.get("<unk>", 1)
    words.fill_(vocab.get("</s>", 0))  # padding: the authors' vocabulary pads with </s>, as their reader; never read
    for i, parse in enumerate(parses):
        tokens = parse["tokens"][:L]
        words[i, : len(tokens)] = torch.tensor([vocab.get(t, unk) for t in tokens], dtype=torch.long)
        lengths[i] = max(1, len(tokens))
        slot = {0: 0}  # parse node index -> tensor node slot (dropped nodes absent)
        nv = nn_ = 0
        for j, node in enumerate(parse["nodes"][1:], start=1):
            pos = [p for p in node["positions"] if p < L]
            if not pos:
                continue
            if node["kind"] == "verb" and nv < NV:
                verb_masks[i, nv, pos], slot[j] = True, 1 + nv
                nv += 1
            elif node["kind"] == "noun" and nn_ < NN:
                noun_masks[i, nn_, pos], slot[j] = True, 1 + NV + nn_
                nn_ += 1
            else:
                continue
            roles[i, slot[j] - 1] = role_index(node["role"])
        for src, dst in parse["edges"]:
            if src in slot and dst in slot:
                adjacency[i, slot[dst], slot[src]] = 1.0
    adjacency = adjacency / adjacency.sum(-1, keepdim=True).clamp(min=1.0)  # row-normalised, as public
    return TextInput(words, lengths, verb_masks, noun_masks, adjacency, roles)


def _concept_targets(labels: list[dict], caption_video: torch.Tensor, num_videos: int, nv: int, nn: int,
                     video_sets: list[dict] | None = None) -> ConceptTargets:
    """Own concepts are positives; concepts of the video's other captions are masked out. The video's
    concepts are ``video_sets`` (one {"verbs", "nouns"} per video) when given, else the union of its
    captions' labels; mask = 1 everywhere except the video's concepts that the caption does not name."""

    def side(key: str, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        own = torch.zeros(len(labels), size)  # (Nc, C)
        rows = [i for i, lab in enumerate(labels) for _ in lab[key]]
        cols = [c for lab in labels for c in lab[key]]
        own[rows, cols] = 1.0
        if video_sets is None:
            video_union = torch.zeros(num_videos, size).index_add_(0, caption_video, own).clamp_(max=1.0)  # (Nv, C)
        else:
            video_union = torch.zeros(num_videos, size)  # (Nv, C)
            video_union[[v for v, s in enumerate(video_sets) for _ in s[key]],
                        [c for s in video_sets for c in s[key]]] = 1.0
        mask = 1.0 - video_union[caption_video] * (1.0 - own)  # (Nc, C)
        return own, mask

    verbs, verb_mask = side("verbs", nv)
    nouns, noun_mask = side("nouns", nn)
    return ConceptTargets(verbs=verbs, verb_mask=verb_mask, nouns=nouns, noun_mask=noun_mask)


def load_split(data_dir: str | Path, features: str | Path, split: str, cfg: ModelConfig,
               text: TextResources | None = None) -> SplitData:
    """Load ``split`` of the dataset under ``data_dir`` (holding prepared/ and text/)."""
    data_dir = Path(data_dir)
    text = text or TextResources.load(data_dir / "text")
    split_file = data_dir / "prepared" / "splits" / f"{split}.txt"
    video_ids = read_lines(split_file)
    if not video_ids:
        raise HanetError(f"{split_file}: split is empty")
    all_captions = read_json(data_dir / "prepared" / "captions.json")
    captions, caption_video, labels = [], [], []
    for v, vid in enumerate(video_ids):
        caps = all_captions.get(vid)
        if not caps:
            raise HanetError(f"{data_dir / 'prepared' / 'captions.json'}: video '{vid}' has no captions")
        vid_labels = text.labels.get(vid, [])
        if len(vid_labels) != len(caps):
            raise HanetError(f"{data_dir / 'text' / 'labels.json'}: video '{vid}' has {len(vid_labels)} label "
                             f"entries for {len(caps)} captions")
        captions += caps
        caption_video += [v] * len(caps)
        labels += vid_labels
    missing = [c for c in dict.fromkeys(captions) if c not in text.parses]
    if missing:
        raise HanetError(f"{data_dir / 'text' / 'parses.json'}: no parse for caption {missing[0]!r}")
    caption_video_t = torch.tensor(caption_video, dtype=torch.long)

    first_of: dict[str, int] = {}  # unique caption text -> first caption index (insertion order)
    for i, c in enumerate(captions):
        first_of.setdefault(c, i)
    uniq = list(first_of)
    u_index = {c: k for k, c in enumerate(uniq)}
    first = torch.tensor(list(first_of.values()), dtype=torch.long)
    cap_u = torch.tensor([u_index[c] for c in captions], dtype=torch.long)  # (Nc,)
    positives = torch.zeros(len(video_ids), len(uniq), dtype=torch.bool)
    positives[caption_video_t, cap_u] = True

    unique_texts = encode_texts([text.parses[c] for c in uniq], text.vocab, cfg)
    texts = take(unique_texts, cap_u)  # (Nc, ...) each caption's tensors, shared with its duplicates
    return SplitData(
        split=split,
        video_ids=video_ids,
        videos=load_videos(features, video_ids, cfg.max_frames),
        captions=captions,
        caption_video=caption_video_t,
        texts=texts,
        targets=_concept_targets(labels, caption_video_t, len(video_ids), text.num_verbs, text.num_nouns,
                                 None if text.video_concepts is None else
                                 [text.video_concepts.get(v, {"verbs": [], "nouns": []}) for v in video_ids]),
        unique=first,
        positives=positives,
    )
