"""POS taggers: NLTK's averaged perceptron, trained on a treebank or NLTK's pretrained model.

``PerceptronTagger(load=False)`` needs no download; trained on the synthetic language's
gold treebank (train captions only) it tags synthetic captions. For real captions,
``pretrained`` loads NLTK's ``averaged_perceptron_tagger_eng`` from ``--nltk-data``.
"""

from __future__ import annotations

import random

from nltk.tag import PerceptronTagger

from hanet.errors import HanetError


def train_tagger(sentences: list[dict], iterations: int = 5, seed: int = 0) -> PerceptronTagger:
    """Train on ``[{"tokens", "tags"}, ...]``; deterministic (NLTK shuffles with the global RNG)."""
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


def accuracy(tagger: PerceptronTagger, sentences: list[dict]) -> dict:
    """Token accuracy against gold ``{"tokens", "tags"}`` sentences."""
    total = correct = 0
    for s in sentences:
        pred = tag(tagger, s["tokens"])
        total += len(pred)
        correct += sum(p == g for p, g in zip(pred, s["tags"]))
    return {"sentences": len(sentences), "tokens": total, "accuracy": correct / total if total else float("nan")}
