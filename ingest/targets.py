"""Targets stated by a program or plan, one row per quantity: "Đến năm 2030: khoảng 540 hợp tác
xã với 136.000 thành viên …" → (2030, 540, "hợp tác xã"), (2030, 136.000, "thành viên"), …

Read from the document's structure at ingest: the units under a heading that names targets
("Mục tiêu", "Chỉ tiêu"), each with the milestone year of the nearest "Đến năm YYYY" above it or
in its own text. A unit with no number is a qualitative target and is listed with its text.
Nothing here guesses: a value, its unit and its qualifier are what the text says.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from assistant.text import fold

_TARGETS_HEADING = re.compile(r"\b(muc tieu|chi tieu)\b")
_GENERAL = re.compile(r"\b(?:muc|chi) tieu (?:tong quat|chung)\b")  # a general aim: prose, not targets
_YEAR = re.compile(r"\b(?:đến|tới|trước|giai đoạn \d{4}\s*-\s*|năm)\s*(?:năm\s+)?(20\d\d|19\d\d)\b", re.I)
_QUALIFIER = r"(?P<q>khoảng|trên|hơn|ít nhất|tối thiểu|tối đa|không quá|không dưới|dưới|đạt|từ)?\s*"
_NUMBER = r"(?P<n>\d{1,3}(?:\.\d{3})+|\d+(?:,\d+)?)"
_QUANTITY = re.compile(_QUALIFIER + _NUMBER + r"(?P<pct>\s*%)?", re.I)
# what ends the words that name a count's unit or a percentage's indicator
_STOP = re.compile(r"\s+(?:với|và|cùng|gồm|trong đó|trở lên)\b|[;.:]|,\s*(?:trong đó|trong số đó|còn lại)\b|,\s+(?=\S*\s*\d)")
_UNIT_STOP = re.compile(r"\s+(?:với|và|cùng|gồm|trong đó|trở lên|tham gia|đạt|được|có|ứng dụng|hoạt động|làm việc|sử dụng)\b|[,;.:()]")
MONEY = re.compile(r"^(?:triệu|tỷ|nghìn|ngàn)?\s*đồng(?:/[\wÀ-ỹ]+)*", re.I)


@dataclass
class Target:
    doc_id: str
    year: int | None
    indicator: str      # what is counted or measured, in the document's words
    value: float | None  # None for a qualitative target
    value_text: str     # the number as written ("136.000", "05")
    unit: str           # "%", "hợp tác xã", "triệu đồng/người/năm"
    qualifier: str      # "khoảng", "trên", "ít nhất" … or ""
    text: str           # the unit of the document as written
    label: str
    anchor: str

    def to_dict(self) -> dict:
        return asdict(self)


def _number(text: str) -> float:
    return float(text.replace(".", "").replace(",", "."))


def _clean(words: str) -> str:
    return re.sub(r"\s+", " ", words).strip(" ,;:-–")


def _is_part_of_something_else(text: str, m: re.Match) -> bool:
    """A number that is a year, a date, a document number or a list marker, not a quantity."""
    before, after = text[:m.start("n")], text[m.end("n"):]
    if re.search(r"(?:năm|số|Điều|khoản|điểm|Mục|ngày|tháng|lần thứ|giai đoạn)\s*$", before, re.I):
        return True
    if re.match(r"[/\-]\d|[-/][A-ZĐ]", after) or re.match(r"\s*[-–]\s*20\d\d", after):
        return True
    return not m.group("pct") and 1900 <= _number(m.group("n")) <= 2100 and "." not in m.group("n")


def quantities(text: str) -> list[tuple[str, float, str, str, str]]:
    """(value as written, value, unit, qualifier, indicator) for each quantity a sentence states."""
    out = []
    for m in _QUANTITY.finditer(text):
        if _is_part_of_something_else(text, m):
            continue
        rest = text[m.end():]
        qualifier = (m.group("q") or "").lower()
        if m.group("pct"):
            end = _STOP.search(rest)
            indicator = _clean(rest[:end.start()] if end else rest)
            unit = "%"
        else:
            money = MONEY.match(rest.lstrip())
            if money:
                unit = money.group(0)
                tail = rest.lstrip()[money.end():]
                end = _STOP.search(tail)
                indicator = _clean(text[:m.start()].rsplit(",", 1)[-1]) or _clean(tail[:end.start()] if end else tail)
            else:
                end = _UNIT_STOP.search(rest)
                unit = _clean(rest[:end.start()] if end else rest)
                indicator = unit
        if not unit:
            continue
        out.append((m.group("n"), _number(m.group("n")), unit, qualifier, indicator))
    return out


def _year(text: str) -> int | None:
    m = _YEAR.search(text)
    return int(m.group(1)) if m else None


def extract(doc_id: str, nodes: list) -> list[Target]:
    """Every target under a targets heading of a document's structure (Node objects or the
    dicts stored in documents.json), in document order."""
    rows: list[Target] = []

    def attr(node, name):
        return node.get(name, "") if isinstance(node, dict) else getattr(node, name, "")

    def walk(items: list, inside: bool, year: int | None) -> None:
        for node in items:
            text = attr(node, "text") or ""
            kind = attr(node, "kind")
            children = attr(node, "children") or []
            folded = fold(text)
            heading = kind in ("roman", "item", "heading", "chapter", "section", "part", "annex") and (children or kind == "heading")
            here_inside = inside
            if heading and _TARGETS_HEADING.search(folded):
                here_inside = not _GENERAL.search(folded)
            elif heading and inside and _GENERAL.search(folded):
                here_inside = False
            elif heading and kind in ("roman", "chapter", "part", "annex") and not _TARGETS_HEADING.search(folded):
                here_inside = False  # a new top section ends the targets
            here_year = _year(text) if heading and _year(text) else year
            if here_inside and not heading and text.strip():
                body = re.sub(r"^\s*(?:[-–•+*]|[a-zđ]\)|\d+(?:\.\d+)*[.)])\s*", "", text).strip()
                year_of = _year(body) or here_year
                found = quantities(body)
                label, anchor = attr(node, "label"), attr(node, "anchor")
                if not found:
                    rows.append(Target(doc_id, year_of, _clean(body), None, "", "", "", body, label, anchor))
                for value_text, value, unit, qualifier, indicator in found:
                    rows.append(Target(doc_id, year_of, indicator, value, value_text, unit, qualifier, body, label, anchor))
            walk(children, here_inside, here_year)

    walk(nodes, False, None)
    return rows
