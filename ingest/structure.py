"""Paragraphs -> the document's own structure.

Two families are recognised from the text itself, never from Markdown heading levels (the
copies we get use them inconsistently):

- state legal documents: Phần > Chương > Mục > Tiểu mục > Điều > khoản "1." > điểm "a)" > "-" > "+"
- Party documents and programs: "I." > "1." > unnumbered sub-heading > "a)" > "-" > "+"

Markers inside quotation marks (an amending text quoting the article it replaces) are content.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.loaders import Block

LEGAL, PROGRAM = "legal", "program"


@dataclass
class Node:
    kind: str                 # document part chapter section subsection article clause point bullet plus
                              # roman item heading letter para preamble
    level: int
    number: str = ""
    title: str = ""           # heading text (chapters, articles, items) or the unit's own line
    text: str = ""            # the line as written, marker included
    pages: list[int] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)
    label: str = ""           # human citation, smallest unit first
    anchor: str = ""          # stable id inside the document, for links

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


_LEGAL_RULES = [  # (kind, level, regex); the first group is the number, the last the title
    ("part", 1, re.compile(r"^(?:Phần|PHẦN)\s+((?:thứ|THỨ)\s+[\wÀ-ỹ]+|[IVXLC]+|\d+)\b\s*[.:]?\s*(.*)$")),
    ("chapter", 2, re.compile(r"^(?:Chương|CHƯƠNG)\s+([IVXLCDM]+|\d+)\b\s*[.:]?\s*(.*)$")),
    ("subsection", 4, re.compile(r"^(?:Tiểu mục|TIỂU MỤC)\s+(\d+)\b\s*[.:]?\s*(.*)$")),
    ("section", 3, re.compile(r"^(?:Mục|MỤC)\s+(\d+)\b\s*[.:]?\s*(.*)$")),
    ("article", 5, re.compile(r"^(?:Điều|ĐIỀU)\s+(\d+[a-zđ]?)\s*(?:[.:]\s*(.*)|$)")),
    ("clause", 6, re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.\s+(.+)$|^(\d{1,3}(?:\.\d{1,3})+)\s+(.+)$")),
    ("point", 7, re.compile(r"^([a-zđ])\)\s+(.+)$")),
    ("bullet", 8, re.compile(r"^[-–•]\s*(.+)$")),
    ("plus", 9, re.compile(r"^\+\s*(.+)$")),
]
_PROGRAM_RULES = [
    ("roman", 1, re.compile(r"^([IVXLC]+)\.\s+(.+)$")),
    ("item", 2, re.compile(r"^(\d{1,2})\.\s+(.+)$")),
    ("letter", 4, re.compile(r"^([a-zđ])[).]\s+(.+)$")),
    ("bullet", 5, re.compile(r"^[-–•]\s*(.+)$")),
    ("plus", 6, re.compile(r"^\+\s*(.+)$")),
]
_HEADING_LEVEL = 3  # unnumbered sub-heading in a program ("Đến năm 2030")
_CLOSING = re.compile(
    r"^(?:(?:TM|T/M|KT|TL)\.\s|(?:Nơi nhận|NƠI NHẬN|CHỦ TỊCH|THỦ TƯỚNG|BỘ TRƯỞNG)\b)"
    r"|^(?:Luật|Bộ luật|Nghị quyết|Pháp lệnh) này (?:đã )?được Quốc hội")
_QUOTE_OPEN = "“\"«"
_ARTICLE_LINE = re.compile(r"^(?:Điều|ĐIỀU)\s+\d+[a-zđ]?\s*[.:]", re.M)


def detect_family(blocks: list[Block]) -> str:
    articles = sum(1 for b in blocks if _ARTICLE_LINE.match(b.text))
    return LEGAL if articles >= 2 else PROGRAM


def _match(rules, text: str):
    for kind, level, rx in rules:
        m = rx.match(text)
        if m:
            groups = [g for g in m.groups() if g is not None]
            if kind in ("bullet", "plus"):
                return kind, level, "", groups[0]
            number = groups[0]
            title = groups[1] if len(groups) > 1 else ""
            return kind, level, number, (title or "").strip()
    return None


def _is_caps_title(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters) and len(text) < 200


def parse(blocks: list[Block], family: str | None = None) -> Node:
    family = family or detect_family(blocks)
    rules = _LEGAL_RULES if family == LEGAL else _PROGRAM_RULES
    root = Node("document", 0)
    stack = [root]
    in_quote = False
    seen_body = False    # an article (legal) or a numbered section (program) has been seen
    closing = False

    def attach(node: Node) -> None:
        while stack[-1].level >= node.level:
            stack.pop()
        siblings = stack[-1].children
        # Some copies repeat a heading (a bold line, then the same as a Markdown heading).
        if siblings and not siblings[-1].children and siblings[-1].kind == node.kind \
                and siblings[-1].number == node.number and node.kind in ("chapter", "section", "part", "subsection"):
            siblings.pop()
        siblings.append(node)
        stack.append(node)

    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        page = [block.page] if block.page else []
        if closing:
            continue
        if not in_quote and seen_body and _CLOSING.match(text):
            closing = True  # signature block and distribution list: not content
            continue
        starts_quoted = text[0] in _QUOTE_OPEN
        hit = None if (in_quote or starts_quoted) else _match(rules, text)
        opens = text.count("“") + text.count("«")
        closes = text.count("”") + text.count("»")
        if opens > closes:
            in_quote = True
        elif closes > opens:
            in_quote = False
        elif text.count('"') % 2 == 1:  # straight quotes cannot say which way they go: toggle
            in_quote = not in_quote

        top = stack[-1]
        if hit:
            kind, level, number, title = hit
            if kind == "clause" and family == LEGAL and not any(n.kind == "article" for n in stack):
                hit = None  # numbered lines before the first article (preamble lists) are content
            elif kind == "item" and family == PROGRAM and not any(n.kind == "roman" for n in stack):
                hit = None
        if hit:
            kind, level, number, title = hit
            node = Node(kind, level, number, title, text, page)
            attach(node)
            if kind in ("article", "roman"):
                seen_body = True
            continue
        # A title on its own line after "Chương I" / "Mục 2" (DOCX layout).
        if top.kind in ("chapter", "section", "part", "subsection") and not top.title and _is_caps_title(text):
            top.title, top.text = text, f"{top.text} {text}"
            continue
        if family == PROGRAM and block.heading and len(text) < 120 and not text.endswith((".", ";", ":")) \
                and any(n.kind == "item" for n in stack):
            attach(Node("heading", _HEADING_LEVEL, "", text, text, page))
            continue
        # Continuation of the previous line (a paragraph split mid-sentence by the source).
        if top.children and top.children[-1].kind == "para" and text[0].islower() \
                and not re.search(r"[.:;!?]$", top.children[-1].text):
            top.children[-1].text += " " + text
            continue
        if top is not root and not top.children and text[0].islower() and not re.search(r"[.:;!?]$", top.text):
            top.text += " " + text
            top.title += " " + text
            continue
        if top is root:
            node = Node("preamble", 99, text=text, pages=page)
            root.children.append(node)
        else:
            top.children.append(Node("para", 99, text=text, pages=page))
    _label(root, family)
    return root


def _label(root: Node, family: str) -> None:
    def visit(node: Node, ctx: dict) -> None:
        ctx = dict(ctx)
        if family == LEGAL:
            if node.kind == "article":
                ctx = {k: v for k, v in ctx.items() if k in ("chapter", "section")}
                ctx["article"] = node.number
                node.label, node.anchor = f"Điều {node.number}", f"dieu-{node.number}"
            elif node.kind == "clause" and "article" in ctx:
                ctx["clause"] = node.number
                ctx.pop("point", None)
                node.label = f"khoản {node.number} Điều {ctx['article']}"
                node.anchor = f"dieu-{ctx['article']}-khoan-{node.number}"
            elif node.kind == "point" and "article" in ctx:
                ctx["point"] = node.number
                clause = f" khoản {ctx['clause']}" if "clause" in ctx else ""
                node.label = f"điểm {node.number}{clause} Điều {ctx['article']}"
                node.anchor = f"dieu-{ctx['article']}" + (f"-khoan-{ctx['clause']}" if "clause" in ctx else "") \
                    + f"-diem-{node.number}"
            elif node.kind in ("chapter", "section", "part", "subsection"):
                name = {"chapter": "Chương", "section": "Mục", "part": "Phần", "subsection": "Tiểu mục"}[node.kind]
                node.label = f"{name} {node.number}"
                if node.kind == "section" and "chapter" in ctx:
                    node.label += f" Chương {ctx['chapter']}"
                node.anchor = f"{node.kind}-{node.number}" + (f"-{ctx['chapter']}" if node.kind == "section" and "chapter" in ctx else "")
                ctx[node.kind] = node.number
            else:
                node.label = ctx.get("_label", "")
                node.anchor = ctx.get("_anchor", "")
        else:
            if node.kind == "roman":
                ctx = {"roman": node.number}
                node.label, node.anchor = f"Mục {node.number}", f"muc-{node.number}"
            elif node.kind == "item" and "roman" in ctx:
                ctx["item"] = node.number
                ctx.pop("heading", None)
                node.label = f"Mục {ctx['roman']}.{node.number}"
                node.anchor = f"muc-{ctx['roman']}-{node.number}"
            elif node.kind == "heading":
                ctx["heading"] = node.title
                base = ctx.get("_label", "")
                node.label = f"{base} ({node.title})" if base else node.title
                node.anchor = (ctx.get("_anchor", "") + "-" + _slug(node.title)).strip("-")
            elif node.kind == "letter":
                base = ctx.get("_label", "").split(" (")[0]
                node.label = f"{base}.{node.number}" if base else f"điểm {node.number}"
                node.anchor = ctx.get("_anchor", "") + f"-{node.number}"
            else:
                node.label = ctx.get("_label", "")
                node.anchor = ctx.get("_anchor", "")
        if node.kind == "preamble":
            node.label, node.anchor = "phần mở đầu", "mo-dau"
        if node.label:
            ctx["_label"], ctx["_anchor"] = node.label, node.anchor
        for child in node.children:
            visit(child, ctx)

    visit(root, {})


def _slug(text: str) -> str:
    from ingest.manifest import slug
    return slug(text)
