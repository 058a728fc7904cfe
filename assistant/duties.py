"""Who must do what, from the responsibilities extracted at ingest: lookup by body (any way an
official types it: "UBND tỉnh", "uy ban nhan dan cac cap", "Mặt trận") and questions such as
"Ủy ban nhân dân các cấp có trách nhiệm gì về hợp tác xã?" answered with every assignment of
that body, each cited, instead of the one or two passages retrieval ranks highest."""
from __future__ import annotations

import re

from assistant import agencies
from assistant.answer import Answer, Citation, cut
from assistant.currency import notices_for
from assistant.index import OpenIndex, per_index
from assistant.text import fold

# what asks for a body's duties: "có trách nhiệm gì", "phải làm gì", "được giao nhiệm vụ gì", "ai chủ trì"
_ASKS = re.compile(r"\b(?:trach nhiem|nhiem vu|phai lam gi|lam gi|lam nhung gi|duoc giao|phan cong|vai tro)\b")
_SITUATION = re.compile(r"\b(?:khi|neu|truong hop|sau khi|truoc khi)\b")
# the body is what the question is about: "<body> (cấp …) có/phải … trách nhiệm/nhiệm vụ/làm gì"
# or "trách nhiệm/nhiệm vụ của <body>", not a body named on the way ("đã gửi cho cơ quan …")
_ASKED_AFTER = re.compile(r" (?:(?:cap \w+|tinh|huyen|xa) )?(?:(?:co|phai|duoc giao|duoc phan cong|can|se) )?"
                          r"(?:(?:nhung|cac) )?(?:trach nhiem|nhiem vu|lam gi|lam nhung gi|vai tro)\b")
# An official who says who they are and then asks about "us" ("Tôi là cán bộ Phòng Kinh tế huyện …
# đơn vị tôi phải làm gì?") asks about the body they named.
_SELF_ASKED = re.compile(r" (?:\w+ )?(?:chung toi|tui toi|bon toi|chung em|ben toi|ben em|don vi toi|co quan toi)"
                         + _ASKED_AFTER.pattern)
_INTRO = re.compile(r" (?:toi|em|minh) (?:la|lam|cong tac o|cong tac tai) ")
_ASKED_BEFORE = re.compile(r"(?:trach nhiem|nhiem vu|vai tro)(?: quyen han)? cua (?:cac )?$")
# A body's name right after the head of another body's name is part of that other name ("Văn phòng
# Chính phủ" is not "Chính phủ"): the question asks about a body the rows do not name.
_INSIDE_ANOTHER = re.compile(r" (?:" + "|".join(fold(h) for h in agencies.NAME_HEADS) + r") $")
# A socio-political organisation's duties are the class's only in the documents' subject: "Nhiệm
# vụ của Hội Cựu chiến binh Việt Nam thế nào?" asks about its charter, which no document here holds.
_TOPIC = re.compile(r"\b(?:hop tac xa|htx|to hop tac|kinh te tap the|ktt|nghi quyet|nq ?20|chuong trinh hanh dong)\b")
_FRAME = set("co gi la nao the nhu nhung cac phai lam trach nhiem nhiem vu vai tro duoc giao ve cua va "
             "trong thi hop tac xa".split())  # the words of asking, and the subject every provision shares
MAX_LISTED = 12  # assignments quoted in a chat answer; the page lists them all


ITEM_CHARS = 300  # an assignment in a chat answer: its first sentence up to this; the citation holds it whole
LIST_ITEM_CHARS = 90  # … and when that line opens a list, each item's first words (as a procedure's steps),
MAX_ITEMS = 12        # at most this many (set by hand, not calibrated)


def _sentence(text: str) -> str:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    body = re.sub(r"^\s*(?:[-–•+*]|\d+(?:\.\d+)*[.)])\s*", "", lines[0]).strip() if lines else ""
    if body.endswith(":") and len(lines) > 1:
        # "Ban kiểm soát có nhiệm vụ, quyền hạn sau đây:" is no duty without its items
        items = [f"  {cut(item, LIST_ITEM_CHARS)}" for item in lines[1:MAX_ITEMS + 1]]
        return "\n".join([body, *items, *(["  …"] if len(lines) > MAX_ITEMS + 1 else [])])
    return cut(body, ITEM_CHARS)


@per_index
def _keyed(index: OpenIndex) -> tuple[list[str], list[str]]:
    """Per index, once: each row's body as a lookup key (read with today's agencies.key, so an
    index built before a change of it still matches), and every body name a question may use,
    longest first."""
    keys = [agencies.key(r["agency"]) for r in index.responsibilities]
    names = {c for k in keys for c in (k, re.sub(r" cac cap$", "", k)) if len(c.split()) >= 2}
    names |= {v for v in agencies.ABBREVIATIONS.values() if agencies.is_body(v)}  # "MTTQ", "UBND" typed alone
    return keys, sorted(names, key=len, reverse=True)


@per_index
def _rows_by_key(index: OpenIndex) -> tuple[list[str], dict[str, list[int]]]:
    """Per index, once: the rows' keys sorted, and each key's rows in the documents' order."""
    by_key: dict[str, list[int]] = {}
    for i, k in enumerate(_keyed(index)[0]):
        by_key.setdefault(k, []).append(i)
    return sorted(by_key), by_key


def rows_of(index: OpenIndex, asked: list[str]) -> list[int]:
    """The rows whose body is one of the bodies asked (agencies.matches), in the documents'
    order, without a pass over every row: a province's plans add thousands of them."""
    keys, by_key = _rows_by_key(index)
    return sorted({i for a in asked for k in agencies.matching_keys(keys, a) for i in by_key[k]})


def lookup(index: OpenIndex, agency: str | None = None, doc_id: str | None = None) -> list[dict]:
    """The assignments of a body (every one when none is named), with the document's name and
    the notices that concern each (a body renamed or abolished since)."""
    asked = agencies.key(agency) if agency else ""
    out = []
    rows = rows_of(index, [asked]) if asked else range(len(index.responsibilities))
    for r in (index.responsibilities[i] for i in rows):
        if doc_id is not None and r["doc_id"] != doc_id:
            continue
        doc = index.documents.get(r["doc_id"])
        out.append({**r, "document": doc.short if doc else r["doc_id"],
                    "notices": [n["text"] for n in notices_for(doc, r["label"], r["text"])]})
    return out


def asked_agencies(index: OpenIndex, question: str) -> list[str]:
    """The bodies whose duties a question asks about ("Mặt trận và các tổ chức chính trị - xã
    hội có nhiệm vụ gì?" → two): the longest body names of the extracted rows that the question
    contains, without overlaps, when the question asks for duties."""
    if not _ASKS.search(fold(question)) or _SITUATION.search(fold(question)):
        return []  # "khi Tòa án mở thủ tục phá sản thì cơ quan … phải làm gì": one situation, not every duty
    folded = " " + " ".join(k for k in (agencies.key(w) for w in fold(question).split()) if k) + " "
    spans: list[tuple[int, str]] = []  # every body named, longest names first, without overlaps
    for name in _keyed(index)[1]:
        at = folded.find(f" {name} ")
        if at >= 0:
            spans.append((at, name))
            folded = folded[:at] + " " + "|" * len(name) + " " + folded[at + len(name) + 2:]
    spans.sort()
    found: list[str] = []
    for i in range(len(spans) - 1, -1, -1):  # from the last: "A và các B có nhiệm vụ gì" asks about both
        at, name = spans[i]
        after = folded[at + len(name) + 1:]
        joined = (i + 1 < len(spans) and spans[i + 1][1] in found
                  and re.match(r" va (?:cac )?\|", folded[at + len(name) + 1:spans[i + 1][0] + 2]))
        if _INSIDE_ANOTHER.search(folded[:at + 1]):
            continue
        if _ASKED_AFTER.match(after) or _ASKED_BEFORE.search(folded[:at + 1]) or joined:
            found.append(name)
    intro, asking = _INTRO.search(folded), _SELF_ASKED.search(folded)
    if not found and intro and asking:
        found = [name for at, name in spans if intro.end() - 1 <= at < asking.start()][:1]
    return found


def answer_duties(index: OpenIndex, question: str) -> Answer | None:
    as_class, named = agencies.as_socio_political(question)
    asked = asked_agencies(index, as_class) if named and _TOPIC.search(fold(question)) else []
    if agencies.key(agencies.SOCIO_POLITICAL) not in asked:  # named on the way, if at all
        named, asked = "", asked_agencies(index, question)
    if not asked:
        return None
    rows = [index.responsibilities[i] for i in rows_of(index, asked)]
    if not rows or any(agencies.key(r["agency"]) not in agencies.key(r["text"]) for r in rows):
        # an article given over to the body's duties ("Điều 7. Nhiệm vụ, quyền hạn của cơ quan đăng ký
        # kinh doanh cấp huyện", its clauses not naming it) is the answer; retrieval quotes it whole
        return None
    # what else the question names ("… có vai trò giám sát như thế nào?") puts the provisions that
    # say it first; otherwise the documents' order
    words = set(fold(question).split()) - set(" ".join(asked).split()) - _FRAME
    rows = sorted(rows, key=lambda r: -len(words & set(fold(r["text"]).split())))
    citations: list[Citation] = []
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    for r in rows:
        if (r["doc_id"], r["label"]) in seen:
            continue
        seen.add((r["doc_id"], r["label"]))
        if len(citations) >= MAX_LISTED:
            break
        doc = index.documents.get(r["doc_id"])
        name = doc.short if doc else r["doc_id"]
        n = len(citations) + 1
        role = "" if r["role"] == "thực hiện" else f" ({r['role']})"
        lines.append(f"- {r['agency']}{role}, theo {r['label']} {name}: {_sentence(r['text'])} [{n}]")
        citations.append(Citation(n=n, doc_id=r["doc_id"], document=name, label=r["label"], quote=r["text"], score=1.0,
                                  anchor=r["anchor"], issued=doc.issued if doc else None,
                                  effective=doc.effective if doc else None))
    more = len({(r["doc_id"], r["label"]) for r in rows}) - len(citations)
    tail = f"\n(Còn {more} quy định khác giao việc cho cơ quan này.)" if more > 0 else ""
    text = "\n".join(lines) + tail
    if named:  # what is listed is the class's, and the answer says so
        text = (f"Các văn bản không giao việc riêng cho {named}; {named} là một {agencies.SOCIO_POLITICAL}, "
                f"nên dưới đây có các việc các văn bản giao cho {agencies.SOCIO_POLITICAL}:\n{text}")
    return Answer(text, True, citations, passages=lines, rows=[])
