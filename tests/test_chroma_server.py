"""Chroma in client/server mode for real: a `chroma run` server on loopback holds the vectors,
ingest writes to it, questions are ranked by it, and the API says 503 while it is down and
recovers by itself when it returns."""
from __future__ import annotations

import shutil
import time

import httpx
import pytest

from tests.conftest import CACHE, DATA, LiveServer, make_settings

pytestmark = pytest.mark.integration

Q = "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?"


@pytest.fixture(scope="module")
def server_data_dir(tmp_path_factory, chroma_server, built_data_dir):
    from ingest.pipeline import run_ingest
    data_dir = tmp_path_factory.mktemp("data-chroma-server")
    (data_dir / "cache").mkdir()
    shutil.copy(CACHE / "embeddings.sqlite", data_dir / "cache" / "embeddings.sqlite")
    settings = make_settings(data_dir, chroma_host="127.0.0.1", chroma_port=chroma_server.port)
    report = run_ingest(settings, progress=False)
    assert report.build_id and not report.failed and report.embedded == 0, report.render()
    return data_dir


@pytest.fixture(scope="module")
def api_on_server(server_data_dir, chroma_server):
    from assistant.api.app import create_app
    from assistant.service import AssistantService
    settings = make_settings(server_data_dir, chroma_host="127.0.0.1", chroma_port=chroma_server.port)
    service = AssistantService(settings)
    with LiveServer(create_app(settings, service)) as live:
        live.service = service
        yield live


def test_ingest_writes_the_vectors_to_the_server(api_on_server, chroma_server):
    import chromadb
    index = api_on_server.service.index()
    assert index.meta["chroma"] == "server"
    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server.port)
    assert client.get_collection(index.meta["collection"]).count() == len(index.chunks)
    assert not (index.dir / "chroma").exists()          # nothing embedded on the API side


def test_questions_are_answered_through_the_server(api_on_server):
    r = httpx.post(api_on_server.url + "/api/chat", json={"message": Q}, timeout=30)
    assert r.status_code == 200 and "05 thành viên" in r.json()["answer"]
    assert httpx.get(api_on_server.url + "/readyz", timeout=10).status_code == 200


def test_server_mode_quality_on_the_dev_questions(api_on_server):
    from assistant.evaluation import evaluate, load_questions
    report = evaluate(api_on_server.service, load_questions(DATA / "questions.dev.jsonl"))
    assert report["answer_accuracy"] >= 0.90 and report["refusal_rate"] == 1.0, report["failures"]


def test_a_killed_chroma_server_gives_503_and_service_recovers_when_it_returns(api_on_server, chroma_server):
    chroma_server.kill()
    try:
        r = httpx.post(api_on_server.url + "/api/chat", json={"message": Q}, timeout=30)
        assert r.status_code == 503 and "Chroma" in r.json()["detail"] and r.headers.get("retry-after")
        ready = httpx.get(api_on_server.url + "/readyz", timeout=30)
        assert ready.status_code == 503 and "Chroma" in ready.json()["detail"]
        s = httpx.post(api_on_server.url + "/api/chat/stream", json={"message": Q}, timeout=30)
        assert s.status_code == 503 or "event: error" in s.text
        assert httpx.get(api_on_server.url + "/healthz", timeout=10).status_code == 200  # the process lives on
    finally:
        chroma_server.start()
    deadline = time.monotonic() + 30
    while True:  # no restart of the API: the next requests reconnect
        r = httpx.post(api_on_server.url + "/api/chat", json={"message": Q}, timeout=30)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert r.status_code == 200 and "05 thành viên" in r.json()["answer"]
    assert httpx.get(api_on_server.url + "/readyz", timeout=10).status_code == 200


def test_a_chroma_server_that_hangs_is_a_503_in_seconds_not_a_hung_request(server_data_dir):
    """A listener that accepts connections and never answers (a wedged server)."""
    import socket
    import threading

    from assistant.chroma_store import CHROMA_TIMEOUT_S
    from assistant.index import IndexUnavailable
    from assistant.service import AssistantService

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                pass
    threading.Thread(target=accept, daemon=True).start()
    try:
        settings = make_settings(server_data_dir, chroma_host="127.0.0.1", chroma_port=listener.getsockname()[1])
        started = time.monotonic()
        with pytest.raises(IndexUnavailable, match="Chroma server"):
            AssistantService(settings).index()
        assert time.monotonic() - started < CHROMA_TIMEOUT_S + 10
    finally:
        stop.set()
        for conn in held:
            conn.close()
        listener.close()


def test_a_lost_collection_is_rebuilt_by_ingest_and_readyz_names_the_fix(tmp_path, chroma_server, built_data_dir):
    """The build's files say up to date but the server lost the collection (a lost volume)."""
    import chromadb
    from assistant.api.app import create_app
    from assistant.index import current_build
    from assistant.service import AssistantService
    from ingest.pipeline import run_ingest
    data_dir = tmp_path / "data"
    (data_dir / "cache").mkdir(parents=True)
    shutil.copy(CACHE / "embeddings.sqlite", data_dir / "cache" / "embeddings.sqlite")
    settings = make_settings(data_dir, chroma_host="127.0.0.1", chroma_port=chroma_server.port)
    first = run_ingest(settings, progress=False)
    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server.port)
    client.delete_collection(__import__("json").loads(
        (data_dir / "indexes" / first.build_id / "meta.json").read_text())["collection"])
    with LiveServer(create_app(settings, AssistantService(settings))) as live:
        r = httpx.get(live.url + "/readyz", timeout=30)
        assert r.status_code == 503 and "assistant ingest" in r.json()["detail"]
    again = run_ingest(settings, progress=False)
    assert not again.up_to_date and again.build_id != first.build_id and again.embedded == 0
    assert any("no collection" in w for _, w in again.warnings)
    assert current_build(data_dir) == again.build_id
    with LiveServer(create_app(settings, AssistantService(settings))) as live:
        assert httpx.get(live.url + "/readyz", timeout=30).status_code == 200
        assert "05 thành viên" in httpx.post(live.url + "/api/chat", json={"message": Q}, timeout=60).json()["answer"]
