"""Whether what an answer quotes is still current: the notices and amendments the manifest
records for a document (ingest/manifest.py), matched to the provisions an answer quotes, and
what the manifest says of a document's own dates and status.

A notice applies to a quote when it names the quote's provision (or the article it is in), a
term the quote says ("cấp huyện"), or the whole document. The answer then carries it right
under that quote, and in its `notices`.
"""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass

from assistant.index import Document, OpenIndex, article_of
from assistant.text import folded_tokens


@dataclass
class AppliedNotice:
    n: int                # the citation it concerns
    doc_id: str
    label: str
    effective: str        # YYYY-MM-DD
    source: str
    text: str


def vietnamese_date(iso: str | None) -> str:
    """"2025-07-01" -> "01/7/2025", as Vietnamese documents write dates."""
    if not iso:
        return ""
    y, m, d = iso[:10].split("-")
    return f"{d}/{int(m)}/{y}"


@lru_cache(maxsize=4096)
def _key(text: str) -> str:
    # cached: one quote is compared with every notice and amendment of its document, and
    # folding it again for each cost ~1 ms an answer
    return " " + " ".join(folded_tokens(text)) + " "


def _covers(scope: dict, label: str, quote: str) -> bool:
    if scope.get("document"):
        return True
    article = article_of(label)
    for provision in scope.get("provisions") or []:
        p = " ".join(provision.split())
        if p == label or p == article or label.endswith(" " + p):
            return True
    text = _key(quote)
    return any(_key(term) in text for term in scope.get("terms") or [])


def notices_for(doc: Document | None, label: str, quote: str) -> list[dict]:
    """The notices of `doc` that concern the provision `label` quoted as `quote`."""
    if doc is None:
        return []
    return [n for n in doc.notices if _covers(n, label, quote)]


def amendments_for(doc: Document | None, label: str, quote: str) -> list[dict]:
    """The acts recorded as amending what `label` of `doc` says."""
    if doc is None:
        return []
    return [a for a in doc.amended_by if _covers(a, label, quote)]


def amended_note(doc: Document | None, label: str, quote: str) -> str:
    """" (được sửa đổi bởi Nghị định 125/2025/NĐ-CP, từ 01/7/2025)" for an amended provision.
    Left out when a notice under the quote already names the act: the heading would say it twice,
    and each heading pushes the quotes below it out of the first lines a reader sees."""
    told = " ".join(n["source"] for n in notices_for(doc, label, quote))
    acts = [a for a in amendments_for(doc, label, quote) if a["number"] not in told]
    return "".join(f" (được sửa đổi bởi {a.get('short') or a['number']}, từ {vietnamese_date(a['effective'])})"
                   for a in acts)


def amending_ids(index: OpenIndex, doc_id: str, label: str, quote: str) -> list[str]:
    """Corpus ids of the documents that amend this provision (their files are in the corpus)."""
    return [a["id"] for a in amendments_for(index.documents.get(doc_id), label, quote)
            if a.get("id") and a["id"] in index.documents]


def notice_line(notice: dict) -> str:
    since = vietnamese_date(notice["effective"])
    return f"Lưu ý: {notice['text']} (theo {notice['source']}" + ("" if since in notice["text"] else f"; từ {since}") + ")"


def with_notices(index: OpenIndex, answer):
    """The answer with every notice that concerns a quote under that quote (once per notice),
    and in `answer.notices`. An answer whose text is not made of its passages (an LLM's) gets
    them at its end."""
    applied: list[AppliedNotice] = []
    seen: set[tuple] = set()
    lines_for: dict[int, list[str]] = {}
    for c in answer.citations:
        doc = index.documents.get(c.doc_id)
        for notice in notices_for(doc, c.label, c.quote):
            key = (c.doc_id, notice["source"], notice["text"])
            if key in seen:
                continue
            seen.add(key)
            applied.append(AppliedNotice(c.n, c.doc_id, c.label, notice["effective"], notice["source"], notice["text"]))
            lines_for.setdefault(c.n, []).append(notice_line(notice))
    if not applied:
        return answer
    text = answer.answer
    placed: set[int] = set()
    for n, lines in lines_for.items():
        # under the line the quote ends on ("… [2]"), not after a verdict that names it ("[1], với …")
        ends = list(re.finditer(rf"\[{n}\](?=\n|$)", text))
        if ends:
            at = ends[-1].end()
            text = text[:at] + "\n" + "\n".join(lines) + text[at:]
            placed.add(n)
    rest = [line for n, lines in lines_for.items() if n not in placed for line in lines]
    if rest:
        text = text.rstrip() + "\n\n" + "\n".join(rest)
    answer.answer = text
    answer.notices = applied
    return answer


# "còn hiệu lực không", "còn áp dụng không", "hết hiệu lực chưa", "có hiệu lực từ khi nào"
_STATUS_ASKED = re.compile(r"\b(?:con hieu luc|het hieu luc|con ap dung|con dung duoc|con duoc ap dung|bi thay the"
                           r"|co hieu luc tu|hieu luc tu|hieu luc den|con gia tri)\b")
_STATUS = {"in_force": "đang có hiệu lực", "partly_superseded": "còn hiệu lực một phần",
           "superseded": "đã hết hiệu lực"}


def _forms(doc: Document) -> list[tuple[str, str | None]]:
    """How a question may name the document (or an act it replaced): (folded form, replaced number)."""
    out = [(f, None) for f in doc.name_forms() | {" ".join(folded_tokens(doc.short or ""))}]
    base = re.sub(r"\s+\d{4}$", "", doc.short or "").strip()
    for number in doc.supersedes or []:
        forms = {" ".join(folded_tokens(number))}
        year = re.search(r"/(\d{4})/", number)
        if base and year:
            forms.add(" ".join(folded_tokens(f"{base} {year.group(1)}")))
        out += [(f, number) for f in forms]
    return out


# An act named with its year or number ("luat hop tac xa 2003", "nghi dinh 45/2021/nd-cp"), on folded text
_DATED_ACT = re.compile(r"\b(?P<kind>luat|nghi dinh|nghi quyet|thong tu|quyet dinh)(?P<name>(?:\s+(?!nam\b|so\b)[a-z]+){0,5}?)"
                        r"\s+(?:so\s+)?(?:nam\s+)?(?P<year>(?:19|20)\d\d)\b"
                        r"|\b(?P<number>\d+/(?:19|20)\d\d(?:/[a-z0-9-]+)?)")


_KINDS = {"luat", "nghi dinh", "nghi quyet", "thong tu", "quyet dinh"}


@dataclass
class Status:
    text: str
    complete: bool = False   # the whole answer: the documents' text would only be a guess


def _unknown_editions(index: OpenIndex, folded: str) -> list[tuple[str, list[Document]]]:
    """Acts the question names with a year or number that no document is, each with the
    documents of the same kind and name ("Luật Hợp tác xã 2003" → Luật Hợp tác xã 2023)."""
    out = []
    for m in _DATED_ACT.finditer(folded):
        if m.group("number"):
            key = m.group("number")
            before = re.search(r"\b(luat|nghi dinh|nghi quyet|thong tu|quyet dinh)((?:\s+(?!so\b)[a-z]+){0,5})\s+(?:so\s+)?$",
                               folded[:m.start()])
            base = f"{before.group(1)}{before.group(2)}".strip() if before else None
        else:
            base = f"{m.group('kind')}{m.group('name')}".strip()
            key = f"{base} {m.group('year')}"
        if any(f == key or f" {key} " in f" {f} " or f" {f} " in f" {key} "
               for d in index.documents.values() for f, _ in _forms(d) if "/" in f or " " in f):
            continue
        same = [d for d in index.documents.values() if base and base not in _KINDS
                and any(f.startswith(base + " ") for f, _ in _forms(d))]
        out.append((key, same))
    return out


def _typed_number(question: str, folded_number: str) -> str:
    """The document number as the question wrote it ("45/2021/NĐ-CP" rather than "45/2021/nd-cp")."""
    for m in re.finditer(r"\d+/\d{4}[^\s,;?!]*", question):
        if " ".join(folded_tokens(m.group())) == folded_number:
            return "số " + m.group().rstrip(".")
    return "số " + folded_number.upper()


def status_of(index: OpenIndex, question: str) -> Status | None:
    """When the question asks whether a document (or an act it replaced) is in force: what the
    manifest says of it — dates, status, what replaced or amended it — else None. An edition
    the manifest does not list ("Luật Hợp tác xã 2003") is said to be unknown, with what the
    manifest has of the same act; an act of which it has nothing is left to the refusal."""
    folded = " " + " ".join(folded_tokens(question)) + " "
    if not _STATUS_ASKED.search(folded):
        return None
    lines = []
    unknown = [(key, same) for key, same in _unknown_editions(index, folded) if same]
    for key, same in unknown:
        shown = f"năm {key.rsplit(' ', 1)[1]}" if " " in key else _typed_number(question, key)
        lines.append(f"Danh mục văn bản của trợ lý không có văn bản bạn hỏi ({shown}), "
                     "nên trợ lý không biết văn bản đó còn hiệu lực hay không. Văn bản cùng tên mà trợ lý có:")
    also = {d.id for _, same in unknown for d in same}
    for doc in index.documents.values():
        named = [(f, replaced) for f, replaced in _forms(doc) if f and f" {f} " in folded]
        if doc.id in also and not any(r is None for _, r in named):
            named.append(("", None))   # described as itself, not as the edition it replaced
        if not named:
            continue
        replaced = next((r for _, r in named if r), None)
        if replaced and not any(r is None for _, r in named):
            base = re.sub(r"\s+\d{4}$", "", doc.short or "").strip()
            name = f"{base} số {replaced}" if base else replaced
            lines.append(f"{name} đã được thay thế bởi {doc.short}"
                         + (f" ({doc.number})" if doc.number else "")
                         + (f", có hiệu lực từ {vietnamese_date(doc.effective)}" if doc.effective else "") + ".")
            continue
        line = f"{doc.short}" + (f" ban hành ngày {vietnamese_date(doc.issued)}" if doc.issued else "")
        line += f", có hiệu lực từ {vietnamese_date(doc.effective)}" if doc.effective else ""
        line += f"; tình trạng: {_STATUS.get(doc.status, doc.status)}"
        for a in doc.amended_by:
            line += f"; được sửa đổi bởi {a.get('short') or a['number']} từ {vietnamese_date(a['effective'])}"
        lines.append(line + ".")
        for notice in doc.notices:
            lines.append(notice_line(notice))
    if not lines:
        return None
    checked = f" (danh mục văn bản cập nhật đến {vietnamese_date(index.checked)})" if index.checked else ""
    return Status("Theo thông tin văn bản mà trợ lý đang có" + checked + ":\n" + "\n".join(lines), complete=bool(unknown))
