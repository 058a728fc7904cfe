"""Files -> plain paragraphs with page numbers. One loader per format, chosen by suffix.

Loaders only extract text; they do not decide what is structure. What they strip is the
format's own markup (Markdown emphasis and heading marks, links), which would otherwise hide
"Điều 5." behind "### **".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from assistant.text import normalize

SUPPORTED_SUFFIXES = {".md", ".markdown", ".txt", ".pdf", ".docx"}
# What one document may hold. A law is ~0.3 MB of text in ~2,000 blocks; these leave room for a
# hundred times that and stop a file that would take the server's memory or hours of embedding
# (a 1.7 MB DOCX whose document.xml expands to 350 MB).
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024  # a DOCX's parts, uncompressed, checked before parsing
MAX_TEXT_CHARS = 20_000_000
MAX_BLOCKS = 200_000


class LoadError(Exception):
    """The file cannot be read as a document; the message says why."""


class TooLarge(LoadError):
    """Over a limit for one document (its size once unzipped, its text, its blocks)."""


@dataclass
class Block:
    text: str
    page: int | None = None
    heading: bool = False  # the source marked it as a heading (Markdown '#', bold line, DOCX style)


@dataclass
class LoadedFile:
    path: Path
    blocks: list[Block]
    front_matter: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_EMPH = re.compile(r"(\*\*\*|\*\*|\*|___|__)")
_MD_ITALIC_UNDERSCORE = re.compile(r"(?<!\w)_(.+?)_(?!\w)")
_RULE = re.compile(r"^\s*([-*_]\s*){3,}$")


def _clean_md_line(line: str) -> tuple[str, bool]:
    heading = bool(_MD_HEADING.match(line))
    line = _MD_HEADING.sub("", line)
    stripped = line.strip()
    bold_line = stripped.startswith(("**", "__")) and stripped.endswith(("**", "__")) and len(stripped) > 4
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_EMPH.sub("", line)
    line = _MD_ITALIC_UNDERSCORE.sub(r"\1", line)
    return line.strip(), heading or bold_line


def load_markdown(path: Path) -> LoadedFile:
    raw = path.read_text(encoding="utf-8-sig")
    front: dict = {}
    m = _FRONT_MATTER.match(raw)
    if m:
        try:
            front = yaml.safe_load(m.group(1)) or {}
        except yaml.YAMLError as exc:
            raise LoadError(f"front matter is not valid YAML: {exc.problem}") from None
        raw = raw[m.end():]
    blocks: list[Block] = []
    # A paragraph is a run of non-blank lines; Markdown "hard breaks" inside it are joined.
    for para in re.split(r"\n\s*\n", raw):
        lines = [ln for ln in para.split("\n") if ln.strip() and not _RULE.match(ln)]
        if not lines:
            continue
        # list items inside one paragraph stay separate blocks
        current: list[str] = []
        is_heading = current_is_md_heading = False
        for ln in lines:
            text, heading = _clean_md_line(ln)
            if not text:
                continue
            # a list item, a numbered clause or a '#' heading starts a block of its own; a
            # '#' heading is one line, so what follows it starts another
            starts_unit = (re.match(r"^\s*[-+*]\s", ln) or _NEW_BLOCK.match(text) or _MD_HEADING.match(ln)
                           or ln.lstrip().startswith("|"))  # a table row is a block of its own
            if current and (starts_unit or current_is_md_heading or current[-1].lstrip().startswith("|")):
                blocks.append(Block(normalize(" ".join(current)), heading=is_heading))
                current, is_heading = [], False
            current.append(text)
            current_is_md_heading = bool(_MD_HEADING.match(ln))
            is_heading = is_heading or heading
        if current:
            blocks.append(Block(normalize(" ".join(current)), heading=is_heading))
    return LoadedFile(path, blocks, front)


def load_text(path: Path) -> LoadedFile:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError("not UTF-8 text") from None
    blocks = [Block(normalize(" ".join(p.split()))) for p in re.split(r"\n\s*\n|\n(?=\s*(?:[-+•]|\d+\.|[a-zđ]\)|Điều\s+\d))", raw)
              if p.strip()]
    return LoadedFile(path, blocks)


_HEADING_LINE = re.compile(r"^(?:Phần|PHẦN|Chương|CHƯƠNG|Mục|MỤC|Điều|ĐIỀU)\s+[\wÀ-ỹ]+")
# a line that opens a new unit: a heading, a numbered clause ("1.", "1.2.", "3.2.2"), a point
# ("a)"), a bullet or a Roman-numbered section. "02 bên." is not one: numbers need their dot.
_NEW_BLOCK = re.compile(
    r"^(?:Phần|PHẦN|Chương|CHƯƠNG|Mục|MỤC|Điều|ĐIỀU)\s+[\wÀ-ỹ]+|^\d{1,3}(?:\.\d{1,3})*\.\s|^\d{1,3}(?:\.\d{1,3})+\s"
    r"|^[a-zđ][).]\s|^[-+•–]\s|^[IVXLC]+\.\s")
_END_OF_SENTENCE = re.compile(r"[.:;!?…)]\s*$")


def _split_syllables(text: str) -> bool:
    """Whether extraction broke Vietnamese syllables at their accented letters ("K Ế HO Ạ CH"):
    some PDF writers (Chromium among them) place those glyphs apart, and pypdf's default mode
    reads the gap as a space; its layout mode reads them as written."""
    words = text.split()
    lone = sum(1 for w in words if len(w) == 1 and w.isalpha() and not w.isascii())
    return len(words) >= 20 and lone / len(words) > 0.1


def load_pdf(path: Path) -> LoadedFile:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise LoadError("encrypted PDF") from None
        pages = list(reader.pages)
    except LoadError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise LoadError(f"unreadable PDF: {exc}") from None
    blocks: list[Block] = []
    warnings: list[str] = []
    empty_pages: list[int] = []
    for number, page in enumerate(pages, start=1):
        try:
            text = page.extract_text() or ""
            if _split_syllables(text):
                text = page.extract_text(extraction_mode="layout") or text
        except Exception as exc:  # pypdf raises many kinds on damaged content streams
            warnings.append(f"page {number}: text could not be extracted ({type(exc).__name__})")
            continue
        lines = [normalize(" ".join(ln.split())) for ln in text.split("\n")]
        lines = [ln for ln in lines if ln and not re.fullmatch(r"\d{1,4}", ln)]  # drop page numbers
        if not lines:
            empty_pages.append(number)
            continue
        # PDF lines wrap mid-sentence: join a line to the one before unless it opens a new unit
        # or the one before ended a sentence.
        for ln in lines:
            after_heading = _HEADING_LINE.match(blocks[-1].text) and not ln[:1].islower() if blocks else False
            if blocks and blocks[-1].page == number and not _NEW_BLOCK.match(ln) and not after_heading \
                    and not _END_OF_SENTENCE.search(blocks[-1].text):
                blocks[-1].text += " " + ln
            else:
                blocks.append(Block(ln, page=number))
    if empty_pages:
        warnings.append("no text layer on page(s) " + ", ".join(map(str, empty_pages))
                        + " (scanned image? run OCR first); those pages were not indexed")
    if not blocks:
        raise LoadError("PDF has no extractable text (scanned images only?); run OCR first")
    return LoadedFile(path, blocks, warnings=warnings)


def load_docx(path: Path) -> LoadedFile:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise LoadError(f"not a valid DOCX file: {exc}") from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise TooLarge(f"DOCX expands to {unzipped // (1024 * 1024)} MB, over the {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB "
                        "limit for one document; refused without reading it")
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(f"not a valid DOCX file: {exc}") from None
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[Block] = []
    # Body order, tables where they stand: a table after the signature would otherwise be
    # cut off with it, and one inside an article belongs to that article.
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            text = normalize(" ".join(para.text.split()))
            if not text:
                continue
            style = (para.style.name or "").lower() if para.style is not None else ""
            blocks.append(Block(text, heading=style.startswith(("heading", "title"))))
        elif tag == "tbl":
            for row in Table(child, document).rows:  # a row keeps its cells together
                cells: list[str] = []
                for cell in row.cells:
                    t = normalize(" ".join(cell.text.split()))
                    if t and t not in cells:
                        cells.append(t)
                if cells:
                    blocks.append(Block(" | ".join(cells)))
    if not blocks:
        raise LoadError("DOCX has no text")
    return LoadedFile(path, blocks)


LOADERS = {".md": load_markdown, ".markdown": load_markdown, ".txt": load_text,
           ".pdf": load_pdf, ".docx": load_docx}


def load(path: Path) -> LoadedFile:
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"unsupported file type {path.suffix or '(none)'}")
    try:
        loaded = loader(path)
    except LoadError:
        raise
    except UnicodeDecodeError:
        raise LoadError("not UTF-8 text") from None
    except Exception as exc:  # a broken file must never stop the others
        raise LoadError(f"{type(exc).__name__}: {exc}") from None
    chars = sum(len(b.text) for b in loaded.blocks)
    if chars > MAX_TEXT_CHARS or len(loaded.blocks) > MAX_BLOCKS:
        raise TooLarge(f"{chars:,} characters in {len(loaded.blocks):,} blocks, over the limit for one document "
                        f"({MAX_TEXT_CHARS:,} characters, {MAX_BLOCKS:,} blocks); split it or check it is the right file")
    return loaded
