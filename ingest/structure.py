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
                              # roman item heading letter para preamble annex row
    level: float
    number: str = ""
    title: str = ""           # heading text (chapters, articles, items) or the unit's own line
    text: str = ""            # the line as written, marker included
    pages: list[int] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)
    label: str = ""           # human citation, smallest unit first
    anchor: str = ""          # stable id inside the document, for links
    skipped: list[str] = field(default_factory=list)  # on the root: lines not indexed (signature, distribution)

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
# an annex after the signature ("PHỤ LỤC I", "Phụ lục 2: Phân công nhiệm vụ"): content again
_ANNEX = re.compile(r"^(?:PHỤ LỤC|Phụ lục)(?:\s+(?:số\s+)?([IVXLC]+|\d+))?\b\s*[.:\-–]?\s*(.*)$")
_ANNEX_LEVEL = 0.5  # above everything inside it, below the document
_ROW = re.compile(r"\s\|\s|^\|.*\|$")  # a table row: "a | b | c" (DOCX) or "| a | b |" (Markdown)
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

    header: list[str] | None = None  # the header row of the table being read in an annex
    rows_read = 0

    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        page = [block.page] if block.page else []
        annex = _ANNEX.match(text) if (closing or seen_body) and not in_quote else None
        if annex and (closing or _is_caps_title(text)):
            closing, header, rows_read = False, None, 0
            stack[1:] = []
            node = Node("annex", _ANNEX_LEVEL, annex.group(1) or "", annex.group(2).strip(), text, page)
            attach(node)
            rules = _PROGRAM_RULES  # annexes number their parts as programs do (I., 1., -)
            continue
        if closing:
            root.skipped.append(text)
            continue
        if not in_quote and seen_body and _CLOSING.match(text):
            closing = True  # signature block and distribution list: not content
            root.skipped.append(text)
            continue
        in_annex = any(n.kind == "annex" for n in stack)
        if in_annex and _ROW.search(text):
            cells = [c.strip() for c in text.strip("|").split("|")]
            if all(re.fullmatch(r"[-:\s]*", c) for c in cells):
                continue  # the Markdown rule under a header row
            if header is None:
                header = cells
                continue
            pairs = [f"{h}: {c}" if h and h != c else c for h, c in zip(header, cells) if c]
            rows_read += 1
            attach(Node("row", 7, str(rows_read), "", "; ".join(pairs), page))
            stack.pop()
            continue
        header = None  # a line that is not a row ends the table
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
            elif kind == "item" and (family == PROGRAM or rules is _PROGRAM_RULES) \
                    and not any(n.kind in ("roman", "annex") for n in stack):
                hit = None
        if hit:
            kind, level, number, title = hit
            node = Node(kind, level, number, title, text, page)
            attach(node)
            if kind in ("article", "roman"):
                seen_body = True
            continue
        # A title on its own line after "Chương I" / "Mục 2" (DOCX layout).
        if top.kind in ("chapter", "section", "part", "subsection", "annex") and not top.title and _is_caps_title(text):
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
        if node.kind == "annex":
            name = f"Phụ lục {node.number}".strip()
            ctx = {"annex": name}
            node.label, node.anchor = name, _slug(name) if node.number else "phu-luc"
        elif node.kind == "row" and "annex" in ctx:
            node.label = f"{ctx['annex']}, dòng {node.number}"
            node.anchor = f"{_slug(ctx['annex'])}-dong-{node.number}"
        elif family == LEGAL and "annex" not in ctx:
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
            annex = ctx.get("annex")
            within = (f"{annex}, mục ", _slug(annex) + "-muc-") if annex else ("Mục ", "muc-")
            if node.kind == "roman":
                ctx = {"roman": node.number, **({"annex": annex} if annex else {})}
                node.label, node.anchor = f"{within[0]}{node.number}", f"{within[1]}{node.number}"
            elif node.kind == "item" and ("roman" in ctx or annex):
                ctx["item"] = node.number
                ctx.pop("heading", None)
                number = f"{ctx['roman']}.{node.number}" if "roman" in ctx else node.number
                node.label = f"{within[0]}{number}"
                node.anchor = f"{within[1]}{number.replace('.', '-')}"
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
