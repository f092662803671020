"""Lemmatizers: a table learned from a gold treebank with suffix rules as fallback (synthetic
language), or NLTK's WordNet lemmatizer when the ``wordnet`` corpus is available (real data).
"""

from __future__ import annotations

_VOWELS = set("aeiou")
_E_ENDINGS = ("c", "v", "z", "at", "it", "iz", "ag", "us", "ur", "as", "in")


def _coarse(tag: str) -> str:
    return "v" if tag.startswith("VB") else "n" if tag.startswith("NN") else "a" if tag.startswith("JJ") else "x"


def rule_lemma(word: str, tag: str) -> str:
    """Suffix rules for regular English inflection (nouns, verbs, comparatives)."""
    c = _coarse(tag)
    if c in ("n", "v") and tag in ("NNS", "NNPS", "VBZ") and len(word) > 3:
        if word.endswith("ies"):
            return word[:-3] + "y"
        if word.endswith(("ses", "xes", "ches", "shes", "zes")):
            return word[:-2]
        if word.endswith("s") and not word.endswith("ss"):
            return word[:-1]
    if c == "v" and tag in ("VBG", "VBD", "VBN"):
        for suffix in ("ing", "ed"):
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                stem = word[: -len(suffix)]
                if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                    return stem[:-1]  # hopping -> hop
                if stem.endswith(_E_ENDINGS):
                    return stem + "e"  # bouncing -> bounce, rotating -> rotate
                return stem
    if tag in ("JJR", "JJS"):
        stem = word[:-2] if tag == "JJR" else word[:-3]
        if len(stem) > 2 and stem[-1] == stem[-2]:
            stem = stem[:-1]  # bigger -> big
        return stem
    return word


class TableLemmatizer:
    """Lemma lookup by (word, coarse POS) from a treebank's gold lemmas, rules otherwise."""

    name = "table"

    def __init__(self, sentences: list[dict]) -> None:
        self.table: dict[tuple[str, str], str] = {}
        for s in sentences:
            for w, t, lemma in zip(s["tokens"], s["tags"], s["lemmas"]):
                self.table.setdefault((w, _coarse(t)), lemma)

    def __call__(self, word: str, tag: str) -> str:
        return self.table.get((word, _coarse(tag))) or rule_lemma(word, tag)


class RuleLemmatizer:
    name = "rules"

    def __call__(self, word: str, tag: str) -> str:
        return rule_lemma(word, tag)


class WordNetLemma:
    """NLTK WordNetLemmatizer with Penn tags mapped to WordNet POS; needs the wordnet corpus."""

    name = "wordnet"

    def __init__(self, nltk_data: str | None = None) -> None:
        import nltk
        from nltk.stem import WordNetLemmatizer

        if nltk_data and nltk_data not in nltk.data.path:
            nltk.data.path.insert(0, nltk_data)
        self._lem = WordNetLemmatizer()
        self._lem.lemmatize("dogs")  # raises LookupError now if wordnet is missing

    def __call__(self, word: str, tag: str) -> str:
        pos = {"v": "v", "n": "n", "a": "a"}.get(_coarse(tag))
        return self._lem.lemmatize(word, pos) if pos else word


def make_lemmatizer(kind: str, sentences: list[dict] | None = None, nltk_data: str | None = None):
    """kind: "table" (needs treebank sentences), "wordnet", "rules", or "auto" (wordnet, else rules)."""
    if kind == "table":
        return TableLemmatizer(sentences or [])
    if kind == "rules":
        return RuleLemmatizer()
    try:
        return WordNetLemma(nltk_data)
    except LookupError:
        if kind == "wordnet":
            from hanet.errors import HanetError

            raise HanetError(f"WordNet not found (nltk data dir {nltk_data!r}); run `hanet nltk-data`") from None
        return RuleLemmatizer()
