"""Which terms each chunk holds, stored compactly: a vocabulary, and per chunk the sorted ids
of its terms (one int32 each). Built at ingest, read when an index opens.

The answer step asks two things of it per question: how many chunks hold a term (its idf),
and which of the question's terms a few dozen retrieved chunks hold (coverage). A frozenset of
strings per chunk answered both, at ~10 KB per chunk: 4.5 GB of memory at 100x the shipped
corpus (benchmarks/scale.py). Here a term costs 4 bytes per chunk that holds it.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np


def _compact(term_lists: Iterable[Iterable[str]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    vocab: dict[str, int] = {}
    indptr, ids = [0], []
    for terms in term_lists:
        row = np.unique(np.fromiter((vocab.setdefault(t, len(vocab)) for t in terms), dtype=np.int32))
        ids.append(row)
        indptr.append(indptr[-1] + len(row))
    return (list(vocab), np.asarray(indptr, dtype=np.int64),
            np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32))


def build(term_lists: Iterable[Iterable[str]], folder: Path, name: str) -> None:
    vocab, indptr, ids = _compact(term_lists)
    (folder / f"{name}.vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    np.savez(folder / f"{name}.npz", indptr=indptr, ids=ids)


class TermIndex:
    def __init__(self, vocab: list[str], indptr: np.ndarray, ids: np.ndarray) -> None:
        self.ids_of = {t: i for i, t in enumerate(vocab)}
        self.indptr, self.ids = indptr, ids
        self.df = np.bincount(ids, minlength=len(vocab)).astype(np.int32)

    @classmethod
    def load(cls, folder: Path, name: str) -> TermIndex:
        vocab = json.loads((folder / f"{name}.vocab.json").read_text(encoding="utf-8"))
        with np.load(folder / f"{name}.npz") as z:
            return cls(vocab, z["indptr"], z["ids"])

    @classmethod
    def from_lists(cls, term_lists: Iterable[Iterable[str]]) -> TermIndex:
        """For a build made before these files existed: the same, computed at open."""
        return cls(*_compact(term_lists))

    def __contains__(self, term: str) -> bool:
        return term in self.ids_of

    def get(self, term: str, default: int = 0) -> int:
        """Chunks holding the term (a dict's get, so idf reads it like the counts it replaces)."""
        i = self.ids_of.get(term)
        return int(self.df[i]) if i is not None else default

    def present(self, row: int, terms: Iterable[str]) -> frozenset[str]:
        """Those of `terms` that chunk `row` holds."""
        asked = [(t, i) for t, i in ((t, self.ids_of.get(t)) for t in terms) if i is not None]
        if not asked:
            return frozenset()
        held = self.ids[self.indptr[row]:self.indptr[row + 1]]
        if not len(held):
            return frozenset()
        want = np.fromiter((i for _, i in asked), dtype=np.int32, count=len(asked))
        at = np.minimum(np.searchsorted(held, want), len(held) - 1)
        found = held[at] == want
        return frozenset(t for (t, _), f in zip(asked, found) if f)
