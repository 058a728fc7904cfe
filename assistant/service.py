"""The assistant as one service: question in, cited answer out. The API, the CLI and the
evaluation all call this, so they cannot drift apart."""
from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from assistant import answer as answering
from assistant.config import Settings
from assistant.conversation import is_follow_up, rewrite
from assistant.embeddings import Embedder, get_embedder
from assistant.index import IndexHolder, OpenIndex
from assistant.question import classify, expand, sub_questions
from assistant.retrieval import HybridRetriever
from assistant.store import ConversationStore

log = logging.getLogger(__name__)
ANSWER_CANDIDATES = 8
HISTORY_TURNS = 6  # how far back a follow-up looks for the question it continues


@dataclass
class ChatResult:
    answer: str
    found: bool
    session_id: str
    message_id: str
    citations: list[dict] = field(default_factory=list)


@dataclass
class SearchResult:
    doc_id: str
    document: str
    label: str
    text: str
    score: float
    anchor: str = ""


class AssistantService:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.indexes = IndexHolder(settings)
        self._embedder = embedder
        self._retrievers: dict[str, HybridRetriever] = {}
        self.store = ConversationStore(settings.data_dir / "conversations.sqlite")

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.settings.embeddings)
        return self._embedder

    def index(self) -> OpenIndex:
        return self.indexes.get()

    def _retriever(self, index: OpenIndex) -> HybridRetriever:
        r = self._retrievers.get(index.build_id)
        if r is None:
            self._retrievers = {index.build_id: HybridRetriever(index)}  # drop retrievers of old builds
            r = self._retrievers[index.build_id]
        return r

    def search(self, query: str, k: int = 5) -> list[SearchResult]:
        index = self.index()
        retriever = self._retriever(index)
        terms = retriever.terms(expand(query))
        hits = retriever.search(terms, self.embedder.embed_query(terms.text), k=k)
        out = []
        for h in hits:
            doc = index.documents.get(h.chunk.doc_id)
            out.append(SearchResult(h.chunk.doc_id, doc.short if doc else h.chunk.doc_id, h.chunk.label,
                                    h.chunk.text, round(h.score, 6), h.chunk.anchor))
        return out

    def answer(self, question: str) -> answering.Answer:
        index = self.index()
        qtype = classify(question)
        if qtype.greeting:
            return answering.greeting(index)
        if qtype.instruction:
            return answering.refusal(index)
        result = self._answer_one(index, question, qtype)
        if result is None:
            return answering.refusal(index)
        # A message that asks two things ("gửi trong bao lâu, và hồ sơ gồm những gì?") gets
        # the best passage for each of them too, not only what the whole message matched.
        parts = sub_questions(question)
        if parts:
            others = [self._answer_one(index, p, classify(p)) for p in parts]
            result = answering.merge(result, [o for o in others if o is not None])
        return result

    def _answer_one(self, index: OpenIndex, question: str, qtype) -> answering.Answer | None:
        retriever = self._retriever(index)
        terms = retriever.terms(expand(question))
        hits = retriever.search(terms, self.embedder.embed_query(terms.text), k=ANSWER_CANDIDATES)
        weights = answering.query_weights(index, terms)
        scored = answering.rank_evidence(index, hits, weights)
        if not scored or not answering.is_answerable(index, terms.typed, scored[0]):
            return None
        return answering.compose(index, scored, weights, qtype, terms.text)

    def resolve(self, message: str, session_id: str) -> str:
        """The standalone question: a follow-up is rewritten against the session's last
        on-topic question that has not expired."""
        if not is_follow_up(message):
            return message
        turns = self.store.history(session_id, self.settings.session_ttl_minutes * 60, HISTORY_TURNS)
        previous = next((t["resolved"] for t in turns if t["found"]), None)
        return rewrite(message, previous) if previous else message

    def chat(self, message: str, session_id: str | None = None) -> ChatResult:
        session_id = session_id or uuid.uuid4().hex
        resolved = self.resolve(message, session_id)
        result = self.answer(resolved)
        text = result.answer
        if resolved != message and result.found:
            text = f"(Câu hỏi được hiểu là: «{resolved}»)\n\n{text}"
        message_id = uuid.uuid4().hex
        citations = [asdict(c) for c in result.citations]
        self.store.add_message(message_id, session_id, message, text, result.found, citations, resolved)
        return ChatResult(text, result.found, session_id, message_id, citations)

    def chat_events(self, message: str, session_id: str | None = None) -> Iterator[tuple[str, dict]]:
        """The chat answer as the events a streaming channel sends: meta, token…, citations,
        done. The extractive answer exists whole at once; it is sent in small pieces so every
        channel reads one protocol, the one an LLM answer will stream through."""
        result = self.chat(message, session_id)
        yield "meta", {"session_id": result.session_id, "message_id": result.message_id, "mode": "extractive"}
        for piece in token_pieces(result.answer):
            yield "token", {"text": piece}
        yield "citations", {"citations": result.citations}
        yield "done", {"found": result.found, "session_id": result.session_id, "message_id": result.message_id}

    def close(self) -> None:
        self.store.close()


def token_pieces(text: str, words: int = 3) -> Iterator[str]:
    """Text in pieces of a few words, whitespace kept, so the pieces join back exactly."""
    parts = re.findall(r"\s*\S+", text)
    for i in range(0, len(parts), words):
        yield "".join(parts[i:i + words])
    tail = text[len(text.rstrip()):]
    if tail:
        yield tail
