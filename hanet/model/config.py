"""HANet hyper-parameters: one typed dataclass, usable as an OmegaConf structured config.

Defaults are the published ones (Wu et al., ACM MM 2021; github.com/Roc-Ng/HANet).
Only plain types and lists are used so that ``OmegaConf.structured(ModelConfig)`` works
and merging a user dict with an unknown key fails loudly.
"""
from __future__ import annotations

from dataclasses import dataclass, field

LEVELS = ("individual", "local", "global")


@dataclass
class ModelConfig:
    """Model settings (defaults: the public HANet's MSR-VTT ``model.json``).

    ``levels``: the alignment levels that are built and scored (any non-empty subset of
    individual / local / global). ``concepts``: whether the concept branch exists. The
    concept classifiers (and their BCE loss) exist when ``concepts`` is on and individual or
    local is on (``concept_branch``): they pick the local level's parts. The soft-Jaccard
    concept scores (and their ranking loss) belong to the individual level
    (``concept_terms``). See docs/levels.md for what each shipped ablation builds.

    As in the public code: ``dropout`` applies to the three video projections,
    ``word_dropout`` to the word embeddings, ``gcn_dropout`` to the graph layer's context; ``temperature`` is the
    phrase attention's ``simattn_sigma``; ``top_actions`` / ``top_entities`` are the 10 / 20
    concepts whose clips form the local parts; an action part is the mean of the frames
    within +-``action_window`` of the concept's peak frame when every peak of the video lies
    at least ``action_window`` frames inside it, else the peak frame alone; an entity part is
    the mean of the concept's ``entity_frames`` best frames (its peak frame when the video
    is shorter than that).

    With ``concepts`` off (the project's own choice; the public code has no such variant)
    the local parts are fixed uniform windows over the valid frames: part k of K is centred
    on frame round((k + 0.5) * len / K - 0.5), averaged over +-``action_window`` frames for
    actions and +-``entity_frames // 2`` frames for entities.
    """

    levels: list[str] = field(default_factory=lambda: list(LEVELS))
    concepts: bool = True
    ft_dim: int = 2048
    dim: int = 1024
    word_dim: int = 300
    vocab_size: int = 0  # set from the data's vocabulary
    num_verbs: int = 512
    num_nouns: int = 1024
    max_frames: int = 20
    max_words: int = 30
    max_verb_nodes: int = 4
    max_noun_nodes: int = 6
    num_roles: int = 16
    top_actions: int = 10
    action_window: int = 2
    top_entities: int = 20
    entity_frames: int = 3
    se_reduction: int = 16
    temperature: float = 4.0
    dropout: float = 0.2
    word_dropout: float = 0.2
    gcn_dropout: float = 0.5
    margin: float = 0.2
    concept_rank_weight: float = 0.1
    concept_bce_weight: float = 0.01

    def __post_init__(self) -> None:
        levels = list(self.levels)
        if not levels:
            raise ValueError("model.levels must name at least one of individual, local, global")
        unknown = [lv for lv in levels if lv not in LEVELS]
        if unknown:
            raise ValueError(f"model.levels: unknown level(s) {unknown}; allowed: {list(LEVELS)}")
        if len(set(levels)) != len(levels):
            raise ValueError(f"model.levels has duplicates: {levels}")
        positive = ["ft_dim", "dim", "word_dim", "num_verbs", "num_nouns", "max_frames", "max_words",
                    "num_roles", "top_actions", "top_entities", "entity_frames", "se_reduction"]
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ValueError(f"model.{name} must be >= 1, got {getattr(self, name)}")
        for name in ["vocab_size", "max_verb_nodes", "max_noun_nodes", "action_window"]:
            if int(getattr(self, name)) < 0:
                raise ValueError(f"model.{name} must be >= 0, got {getattr(self, name)}")
        for name in ["dropout", "word_dropout", "gcn_dropout"]:
            if not 0.0 <= float(getattr(self, name)) < 1.0:
                raise ValueError(f"model.{name} must be in [0, 1), got {getattr(self, name)}")
        for name in ["temperature", "margin", "concept_rank_weight", "concept_bce_weight"]:
            if float(getattr(self, name)) < 0:
                raise ValueError(f"model.{name} must be >= 0, got {getattr(self, name)}")
        if self.dim // self.se_reduction < 1:
            raise ValueError(f"model.se_reduction ({self.se_reduction}) must not exceed model.dim ({self.dim})")

    def has(self, level: str) -> bool:
        return level in self.levels

    @property
    def needs_parts(self) -> bool:
        """Whether the action / entity streams (video) and phrases (text) exist: individual or local."""
        return self.has("individual") or self.has("local")

    @property
    def concept_branch(self) -> bool:
        """Whether the concept classifiers (and their BCE loss) are built."""
        return self.concepts and self.needs_parts



def embedding_terms(cfg: ModelConfig) -> list[str]:
    """Names of the enabled embedding score terms, in a fixed order."""
    names = []
    if cfg.has("global"):
        names.append("global")
    for level in ("local", "individual"):
        if cfg.has(level):
            names += [f"{level}_verb", f"{level}_noun"]
    return names


def concept_terms(cfg: ModelConfig) -> list[str]:
    """Concept (soft Jaccard) score terms: part of the individual level."""
    return ["concept_verb", "concept_noun"] if cfg.concepts and cfg.has("individual") else []
