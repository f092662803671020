"""POS taggers: NLTK's averaged perceptron, trained on a treebank or NLTK's pretrained model.

``PerceptronTagger(load=False)`` needs no download; trained on the synthetic language's
gold treebank (train captions only) it tags synthetic captions. For real captions,
``pretrained`` loads NLTK's ``averaged_perceptron_tagger_eng`` from ``--nltk-data``.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict

from nltk.tag import PerceptronTagger

from hanet.errors import HanetError


def tag_counts(sentences: list[dict]) -> dict[str, Counter]:
    """word form -> Counter of its gold tags over ``[{"tokens", "tags"}, ...]``."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for s in sentences:
        for w, t in zip(s["tokens"], s["tags"]):
            counts[w][t] += 1
    return dict(counts)


def train_tagger(sentences: list[dict], iterations: int = 5, seed: int = 0) -> PerceptronTagger:
    """Train on ``[{"tokens", "tags"}, ...]``; deterministic (NLTK shuffles with the global RNG).

    The tagger also records the treebank's ambiguous word forms (``ambiguous_forms``: more
    than one gold tag) and each form's most frequent tag (``majority_tag``, ties broken
    alphabetically), which :func:`accuracy` uses for its ambiguous-token breakdown.
    """
    if not sentences:
        raise HanetError("treebank has no sentences to train the tagger on")
    tagged = [list(zip(s["tokens"], s["tags"])) for s in sentences]
    tagger = PerceptronTagger(load=False)
    state = random.getstate()
    random.seed(seed)
    try:
        tagger.train(tagged, nr_iter=iterations)
    finally:
        random.setstate(state)
    counts = tag_counts(sentences)
    tagger.ambiguous_forms = frozenset(w for w, c in counts.items() if len(c) > 1)
    tagger.majority_tag = {w: min(c, key=lambda t: (-c[t], t)) for w, c in counts.items()}
    return tagger


def pretrained_tagger(nltk_data: str | None) -> PerceptronTagger:
    import nltk

    if nltk_data and nltk_data not in nltk.data.path:
        nltk.data.path.insert(0, nltk_data)
    try:
        return PerceptronTagger()
    except (LookupError, OSError) as err:
        raise HanetError(f"NLTK's pretrained perceptron tagger not found in {nltk_data!r} "
                         f"(run `hanet nltk-data`): {str(err).strip().splitlines()[0]}") from None


def tag(tagger: PerceptronTagger, tokens: list[str]) -> list[str]:
    return [t for _, t in tagger.tag(tokens)] if tokens else []


def accuracy(tagger: PerceptronTagger, sentences: list[dict], ambiguous: frozenset[str] | None = None) -> dict:
    """Token accuracy against gold ``{"tokens", "tags"}`` sentences.

    With ambiguous word forms (``ambiguous``, else the tagger's ``ambiguous_forms`` from
    :func:`train_tagger`) the report adds the accuracy on tokens of those forms only, and
    the accuracy there of a context-free baseline tagging each form with its majority tag.
    """
    ambiguous = getattr(tagger, "ambiguous_forms", None) if ambiguous is None else ambiguous
    majority = getattr(tagger, "majority_tag", {})
    total = correct = amb_total = amb_correct = amb_base = 0
    for s in sentences:
        pred = tag(tagger, s["tokens"])
        total += len(pred)
        correct += sum(p == g for p, g in zip(pred, s["tags"]))
        if ambiguous:
            for w, p, g in zip(s["tokens"], pred, s["tags"]):
                if w in ambiguous:
                    amb_total += 1
                    amb_correct += p == g
                    amb_base += majority.get(w) == g
    out = {"sentences": len(sentences), "tokens": total, "accuracy": correct / total if total else float("nan")}
    if ambiguous is not None:
        nan = float("nan")
        out.update(ambiguous_forms=len(ambiguous), ambiguous_tokens=amb_total,
                   ambiguous_accuracy=amb_correct / amb_total if amb_total else nan,
                   ambiguous_majority_baseline=amb_base / amb_total if amb_total else nan)
    return out
