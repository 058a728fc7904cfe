"""The learned question-embedding adapter: q -> (q + qA) / |q + qA|.

A (assistant/resources/query_adapter.npz, learned by ingest/learn_adapter.py from the public
legal Q&A archive) moves a question's vector towards the statute text that answers questions
asked that way. It is used for the dense list of retrieval only; the cosine refusal is
calibrated on stays the model's own. It is learned for one embedder and applies to that one
only: another model's vectors live in another space. What it adds, measured: docs/learning.md.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
RESOURCE = Path(__file__).resolve().parent / "resources" / "query_adapter.npz"


def adapt(vector: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    moved = vector + vector @ matrix
    return (moved / np.linalg.norm(moved)).astype(np.float32)


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[str, np.ndarray] | None:
    try:
        with np.load(path) as f:
            return str(f["model_id"]), np.asarray(f["matrix"], dtype=np.float32)
    except FileNotFoundError:
        return None
    except (OSError, KeyError, ValueError) as e:  # a damaged file costs the adapter, not the service
        log.warning("query adapter %s unreadable (%s): questions are searched without it", path, e)
        return None


def matrix_for(model_id: str, dim: int, path: Path = RESOURCE) -> np.ndarray | None:
    """The adapter learned for this embedder, or None (none shipped, another model's, wrong size)."""
    loaded = _load(path)
    if loaded is None or loaded[0] != model_id or loaded[1].shape != (dim, dim):
        return None
    return loaded[1]
