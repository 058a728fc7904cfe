"""Structure tree -> chunks: the unit of retrieval, with its citation and its answer units.

A chunk is a clause ("khoản") of a legal document, or an article without clauses; in a
program, a numbered item ("Mục III.2"). Chunks too long to embed well are split along their
children, and every piece keeps the lead-in it hangs from, so a lone "a) …" still means
something. Each chunk also lists its units (clause line, points, bullets, paragraphs): the
extractive answer quotes units, not whole chunks.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from ingest.structure import LEGAL, Node

MAX_CHARS = 1500  # ~512 e5 tokens of Vietnamese: longer text is truncated by the embedder


@dataclass
class Unit:
    label: str
    text: str
    lead: str = ""      # the line this unit hangs from ("1. Thành viên có quyền sau đây:")
    depth: int = 0      # 0 = chunk's own line, 1 = point/bullet, 2 = sub-bullet
    anchor: str = ""    # where the unit is in GET /api/documents/{doc_id}


@dataclass
class Chunk:
    id: str
    doc_id: str
    label: str
    anchor: str
    path: list[str]
    text: str           # what is shown and quoted
    embed_text: str     # breadcrumb + lead-in + text: what is embedded and searched
    pages: list[int] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    order: int = 0

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        return asdict(self)


def _heading(node: Node) -> str:
    names = {"chapter": "Chương", "section": "Mục", "part": "Phần", "subsection": "Tiểu mục"}
    if node.kind in names:
        return f"{names[node.kind]} {node.number}. {node.title}".strip(". ")
    if node.kind in ("article", "roman", "item", "heading"):
        return node.text
    return ""


def _all_pages(node: Node) -> list[int]:
    return sorted({p for n in node.walk() for p in n.pages})


def _units(node: Node, lead: str, depth: int = 0) -> list[Unit]:
    units = [Unit(node.label, node.text, lead, depth, node.anchor)]
    # a clause ending in ":" and a program sub-heading ("Đến năm 2045") lead what follows them
    own = node.text if node.text.rstrip().endswith(":") or node.kind == "heading" else lead
    for child in node.children:
        units.extend(_units(child, own, min(depth + 1, 2)))
    return units


def _text(units: list[Unit]) -> str:
    return "\n".join(u.text for u in units)


def chunk_document(root: Node, doc_id: str, doc_short: str, family: str) -> list[Chunk]:
    chunks: list[Chunk] = []

    def emit(node: Node, path: list[str], units: list[Unit], lead: str, label: str | None = None,
             anchor: str | None = None) -> None:
        crumbs = [doc_short, *[p for p in path if p]]
        text = _text(units)
        lead_line = lead if lead and lead not in text else ""
        embed = " > ".join(crumbs) + "\n" + (lead_line + "\n" if lead_line else "") + text
        pages = sorted({p for u in [node] for n in u.walk() for p in n.pages})
        chunks.append(Chunk(id="", doc_id=doc_id, label=label or node.label, anchor=anchor or node.anchor,
                            path=crumbs, text=text, embed_text=embed, pages=pages, units=units,
                            order=len(chunks)))

    def emit_sized(node: Node, path: list[str], lead: str) -> None:
        units = _units(node, lead)
        if len(_text(units)) <= MAX_CHARS or not node.children:
            emit(node, path, units, lead)
            return
        # Too long: one chunk per sub-heading, the other children grouped up to MAX_CHARS,
        # each group led by the node's own line.
        own = node.text
        group: list[Unit] = [Unit(node.label, node.text, lead, 0)]
        for child in node.children:
            child_units = _units(child, own if own.rstrip().endswith(":") or node.kind in ("item", "roman") else lead, 1)
            if child.kind == "heading":
                if len(group) > 1:
                    emit(node, path, group, lead)
                emit(child, path + [node.text], [Unit(node.label, node.text, lead, 0)] + child_units, node.text,
                     label=child.label, anchor=child.anchor)
                group = [Unit(node.label, node.text, lead, 0)]
                continue
            if len(group) > 1 and len(_text(group + child_units)) > MAX_CHARS:
                emit(node, path, group, lead)
                group = [Unit(node.label, node.text, lead, 0)]
            group.extend(child_units)
        if len(group) > 1:
            emit(node, path, group, lead)

    def visit(node: Node, path: list[str], program: bool = family != LEGAL) -> None:
        if node.kind == "annex":  # numbered as a program is, whatever the document; a table is its rows
            sections = [c for c in node.children if c.kind in ("roman", "item")]
            if not sections:
                emit_sized(node, path, "")
                return
            intro = [c for c in node.children if c.kind not in ("roman", "item")]
            if intro:
                emit(node, path, [Unit(node.label, node.text, "", 0, node.anchor)]
                     + [u for c in intro for u in _units(c, node.text, 1)], "")
            for section in sections:
                visit(section, path + [node.text], program=True)
            return
        if family == LEGAL and not program and node.kind == "article":
            clauses = [c for c in node.children if c.kind == "clause"]
            intro = [c for c in node.children if c.kind != "clause"]
            art_path = path + [node.text]
            if not clauses:
                emit_sized(node, path, "")
                return
            lead = " ".join(c.text for c in intro if c.kind == "para")
            if intro and not clauses[0] is node.children[0]:
                emit(node, path, [Unit(node.label, node.text)] + [u for c in intro for u in _units(c, "", 1)], "")
            for clause in clauses:
                emit_sized(clause, art_path, lead)
            return
        if program and node.kind in ("roman", "item"):
            items = [c for c in node.children if c.kind == "item"]
            if node.kind == "roman" and items:
                intro = [c for c in node.children if c.kind != "item"]
                if intro:
                    emit(node, path, [Unit(node.label, node.text)] + [u for c in intro for u in _units(c, node.text, 1)], "")
                for item in items:
                    visit(item, path + [node.text], program)
                return
            emit_sized(node, path, "")
            return
        if node.kind == "document":
            pre = [c for c in node.children if c.kind == "preamble"]
            if pre:
                emit(pre[0], [], [Unit("phần mở đầu", c.text) for c in pre], "", label="phần mở đầu",
                     anchor="mo-dau")
            for child in node.children:
                if child.kind != "preamble":
                    visit(child, path)
            return
        heading = _heading(node)
        if node.kind in ("para", "bullet", "point", "clause", "letter", "heading", "plus", "row"):
            # content outside any article or numbered section (rare): keep it searchable
            emit_sized(node, path, "")
            return
        for child in node.children:
            visit(child, path + ([heading] if heading else []))

    visit(root, [])
    for i, chunk in enumerate(chunks):
        chunk.order = i
        chunk.id = f"{doc_id}:{i:04d}:{chunk.content_hash[:12]}"
    return chunks
