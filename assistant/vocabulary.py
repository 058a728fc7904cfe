"""People's words -> the law's words, as learned from public legal Q&A (ingest/learn_vocabulary.py
builds assistant/resources/term_associations.json; this module reads it).

A question term is a content syllable or a pair of adjacent ones ("sổ đỏ"); its associations
are terms of the statutes that answered such questions, with a weight. Used as one more
lexical vote in retrieval; nothing here runs a model.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from assistant.text import STOPWORDS, fold, tokens

RESOURCE = Path(__file__).resolve().parent / "resources" / "term_associations.json"


def question_terms(text: str) -> set[str]:
    """Lower-case syllables that carry content, and pairs of adjacent ones ("góp vốn")."""
    sylls = [t for t in tokens(text) if t.isalpha()]
    keep = [t if t not in STOPWORDS else None for t in sylls]
    out = {t for t in keep if t}
    out |= {f"{a} {b}" for a, b in zip(keep, keep[1:]) if a and b}
    return out


def folded_key(term: str) -> str:
    """A term as the folded lexical field indexes it: "góp vốn" -> "gop_von"."""
    return "_".join(fold(t) for t in term.split())


def expansion(associations: dict[str, list], question: str) -> dict[str, float]:
    """The law's terms the question's terms predict, with their weights (the strongest kept)."""
    out: dict[str, float] = {}
    own = question_terms(question)
    for q in own:
        for p, w in associations.get(q, ()):
            if p not in own:
                out[p] = max(out.get(p, 0.0), w)
    return out


@lru_cache(maxsize=1)
def associations(path: Path = RESOURCE) -> dict[str, list]:
    """The learned associations, or none when the file is absent (the vote is then skipped)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))["associations"]
    except FileNotFoundError:
        return {}
