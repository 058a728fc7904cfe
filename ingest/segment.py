"""Corpus word segmentation with underthesea (ingest only: it is slow to import and, where
torch is installed, pulls torch in)."""
from __future__ import annotations

from assistant.segment import drop_stopwords, max_match
from assistant.text import tokens

_tokenize = None


def _underthesea():
    global _tokenize
    if _tokenize is None:
        from underthesea import word_tokenize
        _tokenize = word_tokenize
    return _tokenize


def compounds(text: str) -> set[str]:
    """Multi-syllable words underthesea finds in text, as 'hợp_tác_xã'. Numbers and document
    numbers never become part of a compound: our own tokenizer keeps them whole."""
    found = set()
    for word in _underthesea()(text):
        parts = word.lower().split()
        if 1 < len(parts) <= 4 and all(p.isalpha() for p in parts):
            found.add("_".join(parts))
    return found


def segment(text: str, vocabulary: set[str]) -> list[str]:
    return drop_stopwords(max_match(tokens(text), vocabulary))
