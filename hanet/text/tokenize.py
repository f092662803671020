"""Tokenizer needing no downloaded data: lowercase, then NLTK's Penn Treebank word tokenizer.

``word_tokenize`` would first split sentences with punkt (a download); captions are one
sentence each, so the Treebank tokenizer alone is what ``word_tokenize(preserve_line=True)`` does.
"""

from __future__ import annotations

from nltk.tokenize import TreebankWordTokenizer

_TOKENIZER = TreebankWordTokenizer()


def tokenize(caption: str) -> list[str]:
    """Lowercased Penn Treebank tokens of one caption (trailing full stop kept as a token)."""
    return _TOKENIZER.tokenize(caption.lower().strip())
