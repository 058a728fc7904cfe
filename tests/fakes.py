"""Deterministic stand-ins for unit and mechanics tests (never for quality gates)."""
from __future__ import annotations

import hashlib

import numpy as np

from assistant.text import folded_tokens


class HashEmbedder:
    """Bag of hashed folded syllables: similar text, similar vector; no model, instant."""

    model_id = "test:hash-384"
    dim = 384

    def __init__(self) -> None:
        self.calls = 0
        self.passages = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in folded_tokens(text):
            h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=4).digest(), "little")
            v[h % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v + 1.0 / np.sqrt(self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        self.calls += 1
        return self._vec(text)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.passages += len(texts)
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
