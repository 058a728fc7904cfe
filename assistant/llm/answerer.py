"""Ask the LLM for an answer from given passages, stream it, and check it before it counts.

Everything that can go wrong with a remote model — refused connection, HTTP errors, malformed
output, no first token in time, a stall midway, citations to passages it was not given, an
answer that repeats our instructions or a secret — ends in `LLMFailure`, and the caller
answers from the documents instead.
"""
from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.config import Settings
from assistant.llm.breaker import CircuitBreaker
from assistant.llm.prompt import SYSTEM, UNANSWERABLE, Passage, answer_messages, condense_messages

log = logging.getLogger(__name__)
_CITE = re.compile(r"\[(\d{1,3})\]")
HOLD_BACK = 80   # characters of a streamed answer kept back until the text after them is seen
_DONE = object()


class LLMFailure(Exception):
    """The LLM gave no usable answer; the reason is for logs and /readyz."""


@dataclass
class Checked:
    text: str            # the answer with only valid [n] markers
    cited: list[int]     # passage numbers it cites, in order of first use


def build_chat_model(settings: Settings):
    """The LangChain chat model the settings name. Retries are ours to decide (none: a
    failure falls back at once), and the client's own timeout matches LLM_TIMEOUT."""
    if settings.llm_provider == "openai":
        from langchain_openai import ChatOpenAI
        return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url,
                          api_key=settings.llm_api_key or "not-needed", timeout=settings.llm_timeout,
                          max_retries=0, max_tokens=settings.llm_max_tokens, temperature=settings.llm_temperature)
    if settings.llm_provider == "ollama":
        from langchain_ollama import ChatOllama
        headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
        return ChatOllama(model=settings.llm_model, base_url=settings.llm_base_url,
                          temperature=settings.llm_temperature, num_predict=settings.llm_max_tokens,
                          client_kwargs={"timeout": settings.llm_timeout, "headers": headers})
    raise ValueError(f"unknown LLM provider {settings.llm_provider!r}")


def check(text: str, passages: int, secrets: list[str]) -> Checked:
    """Keep the answer only if it stands on the passages: markers naming a passage that was not
    given are removed; no valid marker left, the model's "cannot answer" line, or any trace of
    our instructions or a secret makes it unusable."""
    body = text.strip()
    for secret in secrets:
        if secret and len(secret) >= 6 and secret in body:
            raise LLMFailure("the answer contains a secret")
    if _quotes_instructions(body):
        raise LLMFailure("the answer repeats the system instructions")
    if not body or UNANSWERABLE in body.upper().replace(" ", "_"):
        raise LLMFailure("the model found no answer in the passages")
    cited: list[int] = []

    def keep(m: re.Match) -> str:
        n = int(m.group(1))
        if 1 <= n <= passages:
            if n not in cited:
                cited.append(n)
            return m.group(0)
        return ""
    body = _CITE.sub(keep, body)
    body = re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", body)).strip()
    if not cited:
        raise LLMFailure("the answer cites none of the given passages")
    return Checked(body, cited)


def _quotes_instructions(text: str, span: int = 40) -> bool:
    """Any 40-character run of the system prompt inside the answer."""
    flat = " ".join(text.split())
    rules = " ".join(SYSTEM.split())
    return any(rules[i:i + span] in flat for i in range(0, len(rules) - span, 10))


class LLMAnswerer:
    def __init__(self, settings: Settings, model=None) -> None:
        self.settings = settings
        self.model = model or build_chat_model(settings)
        self.breaker = CircuitBreaker()
        self.secrets = [s for s in (settings.llm_api_key, settings.admin_api_key, settings.zalo_app_secret,
                                    settings.zalo_oa_secret_key, settings.zalo_access_token) if s]

    @property
    def available(self) -> bool:
        return self.breaker.allow()

    def status(self) -> dict:
        return {"provider": self.settings.llm_provider, "model": self.settings.llm_model, **self.breaker.snapshot()}

    def _stream(self, messages) -> Iterator[str]:
        """Text pieces from the model, each waited for at most LLM_TIMEOUT: the model runs in
        a worker thread, so a model that never answers cannot hold the request longer."""
        pieces: queue.Queue = queue.Queue()
        stop = threading.Event()

        def produce() -> None:
            try:
                for chunk in self.model.stream(messages):
                    if stop.is_set():
                        return
                    content = chunk.content if isinstance(chunk.content, str) else "".join(
                        part.get("text", "") for part in chunk.content if isinstance(part, dict))
                    if content:
                        pieces.put(content)
                pieces.put(_DONE)
            except Exception as exc:  # noqa: BLE001 - whatever the client raised is a failure
                pieces.put(exc)

        threading.Thread(target=produce, name="llm-stream", daemon=True).start()
        timeout = self.settings.llm_timeout
        try:
            while True:
                try:
                    item = pieces.get(timeout=timeout)
                except queue.Empty:
                    raise LLMFailure(f"no output from the LLM within {timeout:g} s") from None
                if item is _DONE:
                    return
                if isinstance(item, Exception):
                    raise LLMFailure(f"{type(item).__name__}: {str(item)[:200]}")
                yield item
        finally:
            stop.set()

    def answer(self, question: str, passages: list[Passage], history: list[tuple[str, str]]) -> Iterator[str | Checked]:
        """Yields text pieces as they come, then the checked answer; raises LLMFailure instead
        when anything is wrong (the breaker counts it)."""
        text, sent = "", 0
        try:
            for piece in self._stream(answer_messages(question, passages, history)):
                text += piece
                self._guard(text)
                # hold the last characters back until more arrive: a secret or a run of our
                # instructions is recognised whole before any of it leaves
                safe = max(sent, len(text) - HOLD_BACK)
                if safe > sent:
                    yield text[sent:safe]
                    sent = safe
            checked = check(text, len(passages), self.secrets)
            if len(text) > sent:
                yield text[sent:]
        except LLMFailure as exc:
            if "no answer in the passages" not in str(exc):  # a refusal is the model working
                self.breaker.failure(str(exc))
            log.warning("LLM answer not used: %s", exc)
            raise
        self.breaker.success()
        yield checked

    def _guard(self, text: str) -> None:
        for secret in self.secrets:
            if len(secret) >= 6 and secret in text:
                raise LLMFailure("the answer contains a secret")
        if _quotes_instructions(text):
            raise LLMFailure("the answer repeats the system instructions")

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        """A follow-up rewritten as a standalone question by the LLM; LLMFailure if it cannot."""
        started = time.monotonic()
        text = "".join(self._stream(condense_messages(question, history))).strip().strip('"«»').strip()
        if not text or len(text) > 400 or "\n" in text or UNANSWERABLE in text or _quotes_instructions(text):
            raise LLMFailure("the condensed question is unusable")
        log.debug("condensed follow-up in %.0f ms", (time.monotonic() - started) * 1000)
        return text
