"""The terms the documents define ("7. Hợp tác xã là tổ chức …" in "Điều 4. Giải thích từ
ngữ") and which of them a question asks the meaning of.

"Hợp tác xã là gì?" shares its one content word with most of the Law, so the lexical lists rank
any clause that repeats it above the definition, and the learned order never sees it: a
question that asks what a defined term means gets a vote for that term's definition."""
from __future__ import annotations

import re

from assistant.index import OpenIndex, per_index
from assistant.text import folded_tokens

# on folded syllables, so a question typed without diacritics asks it too ("co nghia" alone
# would be every "có nghĩa vụ")
_ASKED = re.compile(r"\b(?:la gi|la sao|nghia la|duoc hieu|hieu the nao|hieu nhu the nao|goi la gi)\b")
_DEFINES = re.compile(r"^\s*(?:\d+\.\s*|[a-zđ]\)\s*)?(?P<term>[^.;:()\n]{3,80}?)\s+là\s")
MAX_TERM_SYLLABLES = 8  # a defined term is a name, not a sentence (set by hand, not calibrated)
# "11. Người có quan hệ gia đình bao gồm vợ, chồng, bố đẻ, …": a definition by its members
_BY_MEMBERS = re.compile(r"^\s*(?:\d+\.\s*)?(?P<term>[^.;:()\n]{3,80}?)\s+bao gồm\s+(?P<members>[^.;:()\n]+?)\.?\s*$")
MAX_MEMBER_SYLLABLES = 5  # members are names ("anh ruột của chồng"), not clauses: a definition whose
                          # members are longer is a classification, not a list of names (set by hand)


def _glossary(index: OpenIndex):
    """(row, unit text) of each unit of an article titled "Giải thích từ ngữ"."""
    for c in index.chunks:
        if any("giải thích từ ngữ" in p.lower() for p in c.path):
            yield from ((c.row, unit.text) for unit in c.units or ())


@per_index
def defined_terms(index: OpenIndex) -> list[tuple[str, int]]:
    """(the term's folded syllables joined by spaces, the row of the clause defining it), for
    each clause of an article titled "Giải thích từ ngữ"."""
    out = []
    for row, text in _glossary(index):
        m = _DEFINES.match(text)
        term = folded_tokens(m.group("term")) if m else []
        if 0 < len(term) <= MAX_TERM_SYLLABLES:
            out.append((" ".join(term), row))
    return out


@per_index
def member_terms(index: OpenIndex) -> list[tuple[str, str]]:
    """(a member, the term it belongs to), both lower case with their accents, from each definition
    that names its members ("vợ" → "người có quan hệ gia đình"): a question that names a member
    ("Vợ của thành viên Hội đồng quản trị …") speaks of the term the law uses for it."""
    out = []
    for _, text in _glossary(index):
        m = _BY_MEMBERS.match(text)
        if not m or _DEFINES.match(text):  # "Giao dịch nội bộ là việc cung cấp …, bao gồm cả …" says what it is
            continue
        # the glossary is NFC (normalised at ingest), so "và" is one word to \b
        members = [" ".join(x.split()).lower() for x in re.split(r",|\bvà\b|\bhoặc\b", m.group("members"))]
        members = [x for x in members if x]
        if len(members) > 1 and all(len(x.split()) <= MAX_MEMBER_SYLLABLES for x in members):
            term = " ".join(m.group("term").split()).lower()
            # a member the term already names ("hộ" of "hộ gia đình") adds nothing to the question
            out.extend((x, term) for x in members if f" {x} " not in f" {term} ")
    return out


def named_members(index: OpenIndex, text: str) -> list[tuple[str, str]]:
    """The (member, term) pairs whose member the question names, with its accents (restored
    when typed without: "vo" is no "vợ" until restored)."""
    f = " " + " ".join(re.findall(r"\w+", text.lower())) + " "
    return [(x, term) for x, term in member_terms(index) if f" {x} " in f]


def asks_meaning(question: str) -> bool:
    """Whether the question asks what something means ("là gì", "được hiểu như thế nào"),
    typed with diacritics or without."""
    return bool(_ASKED.search(" " + " ".join(folded_tokens(question)) + " "))


def definition_rows(index: OpenIndex, question: str) -> list[int]:
    """Rows of the definitions of the terms the question asks the meaning of: the longest
    defined terms it names ("liên hiệp hợp tác xã là gì" is not asking about "hợp tác xã"),
    when it asks what something means at all."""
    if not asks_meaning(question):
        return []
    folded = " " + " ".join(folded_tokens(question)) + " "
    named = [(term, row) for term, row in defined_terms(index) if f" {term} " in folded]
    longest = [(t, r) for t, r in named if not any(t != u and f" {t} " in f" {u} " for u, _ in named)]
    return list(dict.fromkeys(row for _, row in sorted(longest, key=lambda tr: -len(tr[0]))))
