"""Questions about a program's targets ("Các chỉ tiêu đến năm 2030?", "mục tiêu đến năm 2045
là gì?") answered from the targets extracted at ingest: every target of the year asked, each
unit quoted as written and cited, instead of the one or two passages retrieval ranks highest
(which for such a question is often the bare heading "2. Mục tiêu cụ thể")."""
from __future__ import annotations

import re

from assistant.answer import Answer, Citation
from assistant.index import OpenIndex
from assistant.text import fold

_ASKS = re.compile(r"\b(?:muc tieu|chi tieu)\b")
# what makes "mục tiêu" the program's targets, not the aim of a cooperative ("HTX hoạt động với mục tiêu gì")
_OF_A_PROGRAM = re.compile(r"\b(?:den nam|toi nam|nam 20\d\d|20\d\d|chuong trinh|ke hoach|nghi quyet|cu the"
                           r"|cua tinh|toan tinh|dat ra|de ra|phan dau)\b")
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
_GENERAL_AIM = re.compile(r"\b(?:tong quat|(?:muc|chi) tieu chung)\b")  # the aim in prose, not the targets


def asked_years(question: str, index: OpenIndex) -> list[int | None] | None:
    """The milestone years a targets question asks about (all the corpus has when it names none),
    or None when the question is not about targets or the documents state none for it."""
    folded = fold(question)
    if not index.targets or not _ASKS.search(folded) or not _OF_A_PROGRAM.search(folded) or _GENERAL_AIM.search(folded):
        return None
    have = list(dict.fromkeys(t["year"] for t in index.targets))
    named = [int(y) for y in _YEAR.findall(folded)]
    if named:
        wanted = [y for y in have if y in named]
        return wanted or None
    return have


def answer_targets(index: OpenIndex, question: str) -> Answer | None:
    years = asked_years(question, index)
    if not years:
        return None
    groups: dict[tuple[str, str], list[dict]] = {}
    for t in index.targets:
        if t["year"] in years:
            groups.setdefault((t["doc_id"], t["label"]), []).append(t)
    citations: list[Citation] = []
    paragraphs: list[str] = []
    for n, ((doc_id, label), rows) in enumerate(groups.items(), start=1):
        doc = index.documents.get(doc_id)
        name = doc.short if doc else doc_id
        units = list(dict.fromkeys(r["text"] for r in rows))  # a unit that states four targets is quoted once
        year = rows[0]["year"]
        head = "Theo" if not year or str(year) in label else f"Đến năm {year}, theo"
        quote = "\n".join(f"- {u}" for u in units)
        paragraphs.append(f"{head} {label} {name}:\n{quote} [{n}]")
        citations.append(Citation(n=n, doc_id=doc_id, document=name, label=label, quote=quote, score=1.0,
                                  anchor=rows[0]["anchor"], issued=doc.issued if doc else None,
                                  effective=doc.effective if doc else None))
    return Answer("\n\n".join(paragraphs), True, citations, passages=paragraphs, rows=[])
