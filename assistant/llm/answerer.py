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
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.config import Settings
from assistant.llm.breaker import CircuitBreaker
from assistant.llm.prompt import CONDENSE, SYSTEM, UNANSWERABLE, Passage, answer_messages, condense_messages

log = logging.getLogger(__name__)
# "[1]", and lists or ranges a model may write instead: "[1, 3]", "[2-4]", "[1; 2]"
_CITE = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\s*\]")
HOLD_BACK = 80   # characters of a streamed answer kept back until the text after them is seen
TOTAL_TIMEOUTS = 4  # a whole answer may take this many LLM_TIMEOUTs (each output within one)
_DONE = object()


class LLMFailure(Exception):
    """The LLM gave no usable answer; the reason is for logs (and, short, for /readyz).
    `broken` says whether the LLM itself failed (counts towards the circuit breaker) rather
    than answering in a way we cannot use."""

    def __init__(self, reason: str, broken: bool = True) -> None:
        super().__init__(reason)
        self.broken = broken


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


def guard(text: str, secrets: list[str]) -> None:
    """No secret and no run of our instructions in text meant for a user."""
    for secret in secrets:
        if secret and len(secret) >= 6 and secret in text:
            raise LLMFailure("the output contains a secret", broken=False)
    if _quotes_instructions(text):
        raise LLMFailure("the output repeats the instructions", broken=False)


def _numbers(inside: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*[,;]\s*", inside):
        ends = [int(x) for x in re.split(r"\s*[–-]\s*", part) if x.strip().isdigit()]
        if len(ends) == 2 and 0 < ends[1] - ends[0] < 20:
            out += list(range(ends[0], ends[1] + 1))
        else:
            out += ends
    return out


def check(text: str, passages: int, secrets: list[str]) -> Checked:
    """Keep the answer only if it stands on the passages: markers naming a passage that was not
    given are removed ("[1, 9]" keeps "[1]"); no valid marker left, the model's "cannot answer"
    line, or any trace of our instructions or a secret makes it unusable."""
    body = text.strip()
    guard(body, secrets)
    if not body or UNANSWERABLE in body.upper().replace(" ", "_"):
        raise LLMFailure("the model found no answer in the passages", broken=False)
    cited: list[int] = []

    def keep(m: re.Match) -> str:
        valid = [n for n in _numbers(m.group(1)) if 1 <= n <= passages]
        for n in valid:
            if n not in cited:
                cited.append(n)
        return "".join(f"[{n}]" for n in dict.fromkeys(valid))
    body = _CITE.sub(keep, body)
    body = re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", body)).strip()
    if not cited:
        raise LLMFailure("the answer cites none of the given passages", broken=False)
    return Checked(body, cited)


_RULES = [" ".join(p.split()) for p in (SYSTEM, CONDENSE)]


def _quotes_instructions(text: str, span: int = 40) -> bool:
    """Any 40-character run of our instructions (answer or condense prompt) inside text."""
    flat = " ".join(text.split())
    return any(rules[i:i + span] in flat for rules in _RULES for i in range(0, len(rules) - span, 10))


class LLMAnswerer:
    def __init__(self, settings: Settings, model=None) -> None:
        self.settings = settings
        self.model = model or build_chat_model(settings)
        self.breaker = CircuitBreaker()
        self.secrets = [s for s in (settings.llm_api_key, settings.admin_api_key, settings.zalo_app_secret,
                                    settings.zalo_oa_secret_key, settings.zalo_access_token,
                                    settings.zalo_refresh_token) if s]

    @property
    def available(self) -> bool:
        """Whether a call could go out now. A read: it never takes the breaker's trial."""
        return self.breaker.would_allow()

    def acquire(self) -> bool:
        """Take the right to call now (in half-open state, the one trial); the call that
        follows reports to the breaker (`answer`, `condense`)."""
        return self.breaker.allow()

    def status(self) -> dict:
        return {"provider": self.settings.llm_provider, "model": self.settings.llm_model, **self.breaker.snapshot()}

    def _stream(self, messages) -> Iterator[str]:
        """Text pieces from the model, each waited for at most LLM_TIMEOUT and all of them
        within TOTAL_TIMEOUTS times that: the model runs in a worker thread, so a model that
        never answers, or drips forever, cannot hold the request longer."""
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
        deadline = time.monotonic() + TOTAL_TIMEOUTS * timeout
        try:
            while True:
                wait = min(timeout, deadline - time.monotonic())
                if wait <= 0:
                    raise LLMFailure(f"the LLM did not finish within {TOTAL_TIMEOUTS * timeout:g} s")
                try:
                    item = pieces.get(timeout=wait)
                except queue.Empty:
                    raise LLMFailure(f"no output from the LLM within {timeout:g} s") from None
                if item is _DONE:
                    return
                if isinstance(item, Exception):
                    log.warning("LLM call failed: %s: %s", type(item).__name__, str(item)[:300])
                    raise LLMFailure(f"{type(item).__name__} from the LLM client")
                yield item
        finally:
            stop.set()

    def answer(self, question: str, passages: list[Passage], history: list[tuple[str, str]]) -> Iterator[str | Checked]:
        """Yields text pieces as they come, then the checked answer; raises LLMFailure instead
        when anything is wrong (the breaker counts it)."""
        text, sent, verdict = "", 0, False
        try:
            for piece in self._stream(answer_messages(question, passages, history)):
                text += piece
                guard(text[-(len(piece) + HOLD_BACK + 60):], self.secrets)  # only what is new can be new
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
            verdict = True
            if exc.broken:
                self.breaker.failure(str(exc))
            else:  # the model works; its answer was not usable
                self.breaker.success()
            log.warning("LLM answer not used: %s", exc)
            raise
        finally:
            if not verdict and sys.exc_info()[0] is not None:  # the client went away mid-answer
                self.breaker.release()
        verdict = True
        self.breaker.success()
        yield checked

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        """A follow-up rewritten as a standalone question by the LLM; LLMFailure if it cannot.
        The caller has had `available` say yes; the verdict goes to the breaker here."""
        try:
            text = "".join(self._stream(condense_messages(question, history))).strip().strip('"«»').strip()
        except LLMFailure as exc:
            self.breaker.failure(str(exc))
            raise
        except BaseException:
            self.breaker.release()
            raise
        self.breaker.success()
        guard(text, self.secrets)
        if not text or len(text) > 400 or "\n" in text or UNANSWERABLE in text:
            raise LLMFailure("the condensed question is unusable", broken=False)
        return text
