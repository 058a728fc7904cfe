"""Ranking whose cost does not grow with the corpus, for indexes past EXACT_LIMIT chunks.

Below the limit every ranking is exact (a matrix-vector product and full BM25 scores cost well
under a millisecond over a few thousand chunks, and the answers are the ones every gate was
measured on). Past it:
- dense: an HNSW graph (usearch) built at ingest on one thread, in row order, so the same
  vectors always give the same graph, and saved with the build: every process serving it
  reads the same file and finds the same neighbours. Its top ANN_CANDIDATES are re-scored
  exactly against the build's vectors, so the order of what it finds is the exact order.
- lexical: each term's postings cut to its MAX_POSTINGS highest-scoring chunks (a word in
  most chunks adds little to any one of them), summed over the candidates they name only — by
  assistant/native/postings.c when it is built, else by numpy, with the same result.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

EXACT_LIMIT = 20_000     # chunks; at or below, rank exactly (set by hand from benchmarks/scale.py)
ANN_FILE = "ann.usearch"
# Graph parameters measured on the 100x benchmark index (83,136 vectors, benchmarks/scale.py):
# degree 16 found the exact nearest passage for 0.79 of 80 development questions, degree 32
# for 0.86-0.94 (its variants are near-copies of real passages, the hardest case for a graph:
# on real text recall is higher); a search breadth of 128 costs ~2 ms in f32, ~1.5 ms with the
# graph's vectors in f16 (which found as much: candidates are re-scored from the f32 vectors).
ANN_CONNECTIVITY = 32
ANN_DTYPE = "f16"
ANN_EXPANSION_ADD = 128
ANN_EXPANSION_SEARCH = 128
ANN_CANDIDATES = 128     # neighbours the graph proposes, re-scored exactly
MAX_POSTINGS = 2_000     # a term's highest-scoring chunks kept for lexical ranking at scale


def build_ann(vectors: np.ndarray, path: Path) -> None:
    from usearch.index import Index

    ann = Index(ndim=vectors.shape[1], metric="ip", dtype=ANN_DTYPE, connectivity=ANN_CONNECTIVITY,
                expansion_add=ANN_EXPANSION_ADD, expansion_search=ANN_EXPANSION_SEARCH)
    if len(vectors):
        ann.add(np.arange(len(vectors), dtype=np.uint64), np.ascontiguousarray(vectors, dtype=np.float32), threads=1)
    ann.save(str(path))


def open_ann(path: Path):
    from usearch.index import Index

    ann = Index.restore(str(path), view=True)
    if ann is None:
        raise ValueError(f"{path.name} is not a usearch index")
    ann.expansion_search = ANN_EXPANSION_SEARCH
    return ann


def dense_ann(ann, vectors: np.ndarray, vector: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The graph's candidates, ranked by their exact cosine (vectors are unit length)."""
    q = np.asarray(vector, dtype=np.float32)
    found = ann.search(q, max(n, ANN_CANDIDATES), threads=1)
    rows = np.asarray(found.keys, dtype=np.int64)
    sims = vectors[rows] @ q
    order = np.lexsort((rows, -sims))[:n]   # by similarity, then row: no tie left to chance
    return [(int(rows[i]), float(sims[i])) for i in order]


class BoundedPostings:
    """BM25 over one bm25s model with every term's postings cut to MAX_POSTINGS; a term's cut
    list is made on first use and kept (a process meets a few thousand distinct terms)."""

    def __init__(self, model, kernel=...) -> None:
        """`kernel`: the C sum of assistant/native/postings.py (found when built, by default),
        or None for numpy's; both give the same rows and scores."""
        if kernel is ...:
            from assistant.native import postings
            kernel = postings.load()
        self.vocab = model.vocab_dict
        self._data, self._indices, self._indptr = (model.scores["data"], model.scores["indices"],
                                                   model.scores["indptr"])
        self._num_docs = int(model.scores["num_docs"])
        # checked once here (~2 ms at 100x): C would write outside its arrays, numpy would wrap
        if len(self._indices) and (int(self._indices.min()) < 0 or int(self._indices.max()) >= self._num_docs):
            raise ValueError(f"postings name chunks outside 0..{self._num_docs - 1}")
        # the kernel reads float32 scores and int32 rows; anything else is summed by numpy, exactly
        same_types = self._data.dtype == np.float32 and self._indices.dtype == np.int32
        self.kernel = kernel if same_types else None
        self._cut: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._local = threading.local()

    def _postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        got = self._cut.get(tid)
        if got is None:
            a, b = int(self._indptr[tid]), int(self._indptr[tid + 1])
            rows, scores = self._indices[a:b], self._data[a:b]
            if b - a > MAX_POSTINGS:
                # every posting above the cut's score, then of those equal to it the lowest rows:
                # which tied postings a partition keeps depends on numpy's code for the CPU
                floor = -np.partition(-scores, MAX_POSTINGS - 1)[MAX_POSTINGS - 1]
                above, tied = np.flatnonzero(scores > floor), np.flatnonzero(scores == floor)
                tied = tied[np.argsort(rows[tied], kind="stable")][:MAX_POSTINGS - len(above)]
                keep = np.concatenate([above, tied])
                rows, scores = rows[keep], scores[keep]
            got = self._cut[tid] = (np.array(rows), np.array(scores))  # copies in the model's int32/float32
        return got

    def _scratch(self) -> np.ndarray:
        """A per-thread array of a score per chunk, all zero between calls: summing into it
        costs the postings read, not the corpus size (only what was touched is reset)."""
        acc = getattr(self._local, "acc", None)
        if acc is None:
            acc = self._local.acc = np.zeros(self._num_docs, dtype=np.float64)
        return acc

    def _seen(self) -> np.ndarray:
        """The kernel's per-thread mark of chunks touched, all zero between calls."""
        seen = getattr(self._local, "seen", None)
        if seen is None:
            seen = self._local.seen = np.zeros(self._num_docs, dtype=np.uint8)
        return seen

    def top(self, terms: list[str], n: int) -> list[tuple[int, float]]:
        ids = [self.vocab[t] for t in terms if t in self.vocab]
        if not ids or n <= 0:
            return []
        parts = [self._postings(t) for t in ids]
        if self.kernel is not None:
            return self.kernel.top(parts, n, self._scratch(), self._seen())
        rows = np.concatenate([p[0] for p in parts])
        if not len(rows):
            return []
        acc = self._scratch()
        try:
            for term_rows, term_scores in parts:  # a term names a chunk once: a plain indexed add is
                acc[term_rows] += term_scores     # exact, and far cheaper than np.add.at (~2 ms a call)
            scores = acc[rows]
        finally:
            acc[rows] = 0.0  # left dirty, it would add to this thread's every later score
        # a chunk appears once per term at most: the best n * len(ids) entries hold the best n chunks
        m = min(len(rows), n * len(ids))
        if m < len(rows):
            cut = scores[np.argpartition(-scores, m - 1)[:m]].min()
            # those m hold n chunks scoring at least `cut`; every entry tying with it is taken too,
            # so which of several equal chunks come first is decided by row, not by the partition
            best = np.flatnonzero(scores >= cut)
        else:
            best = np.arange(len(rows))
        candidates, first = np.unique(rows[best], return_index=True)
        cand_scores = scores[best][first]
        order = np.lexsort((candidates, -cand_scores))[:n]
        return [(int(candidates[i]), float(cand_scores[i])) for i in order if cand_scores[i] > 0]
