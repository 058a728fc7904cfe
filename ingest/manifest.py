"""corpus/manifest.yaml: what each document is, and what has changed it since. A file without
an entry is still indexed, described from its own front matter or first line, so a one-file
drop works.

Beside the document's own facts an entry may carry:
  amended_by   acts that change it: number, date, effective date, the corpus id of the act
               when its file is here, and what it affects (provisions, terms);
  notices      the operator's short notes of a change whose text is not in the corpus: the
               date it takes effect, its source (act and article), what it applies to
               (provisions, terms, or the whole document) and the note itself;
  review_by    a date after which `assistant ingest` warns that the document should be checked.
The top-level `checked` is the date the corpus was last checked against the official sources.
Errors name the file and line.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from assistant.text import fold

STATUSES = {"in_force", "superseded", "partly_superseded"}


class ManifestError(ValueError):
    pass


@dataclass
class Notice:
    effective: str            # YYYY-MM-DD
    source: str               # "Điều 35 Nghị định 125/2025/NĐ-CP"
    text: str                 # what changed, in a sentence or two
    provisions: list[str] = field(default_factory=list)   # "Điều 5", "khoản 1 Điều 7", "Mục IV.1"
    terms: list[str] = field(default_factory=list)        # "cấp huyện": any quote that says it
    document: bool = False    # the whole document
    line: int = 0             # where it is written in manifest.yaml


@dataclass
class Amendment:
    number: str               # "125/2025/NĐ-CP"
    effective: str
    short: str | None = None  # how answers name it: "Nghị định 125/2025/NĐ-CP"
    date: str | None = None   # the day it was issued
    id: str | None = None     # its corpus id, when its file is in the corpus
    provisions: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class DocMeta:
    id: str
    file: str
    title: str
    short: str
    number: str | None = None
    issuer: str | None = None
    issued: str | None = None
    effective: str | None = None
    status: str = "in_force"
    source: str | None = None
    supersedes: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    amended_by: list[Amendment] = field(default_factory=list)
    review_by: str | None = None
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """YAML that remembers on which line each mapping starts (as "__line__"), for errors."""


def _mapping_with_line(loader, node, deep=False):
    mapping = loader.construct_mapping(node, deep=deep)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)
# dates stay text, checked by _strict_date: YAML's own reading crashes on "2025-13-01"
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def _date(value) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def _str(value) -> str | None:
    """YAML reads `number: 2023` as an int; every text field is text."""
    return None if value in (None, "") else str(value)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:80] or "document"


def _read(folder: Path) -> tuple[Path, dict] | None:
    path = folder / "manifest.yaml"
    if not path.exists():
        return None
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ManifestError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{path}: expected a 'documents:' list")
    return path, data


def load_manifest(folder: Path) -> dict[str, DocMeta]:
    """Entries by file name. A malformed manifest is an error for the whole folder: guessing
    metadata for every document would present wrong titles and statuses."""
    read = _read(folder)
    if read is None:
        return {}
    path, data = read
    entries = data.get("documents")
    if not isinstance(entries, list):
        raise ManifestError(f"{path}: expected a 'documents:' list")
    if data.get("checked") is not None:
        _strict_date(data["checked"], f"{path}:{data.get('__line__', 1)}", "checked")
    out: dict[str, DocMeta] = {}
    seen_ids: set[str] = set()
    for i, e in enumerate(entries):
        where = f"{path}:{e.get('__line__', '?')}" if isinstance(e, dict) else f"{path}: entry {i + 1}"
        if not isinstance(e, dict) or not e.get("file") or not e.get("id"):
            raise ManifestError(f"{where}: entry {i + 1} needs at least 'id' and 'file'")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", str(e["id"])):
            raise ManifestError(f"{where}: id {e['id']!r} must be lower-case letters, digits and '-'")
        if e["id"] in seen_ids:
            raise ManifestError(f"{where}: id {e['id']!r} appears twice")
        seen_ids.add(e["id"])
        status = str(e.get("status") or "in_force")
        if status not in STATUSES:
            raise ManifestError(f"{where}: {e['id']}: status must be one of {sorted(STATUSES)}")
        title = str(e.get("title") or e["id"])
        for key in ("issued", "effective", "review_by"):
            if e.get(key) is not None:
                _strict_date(e[key], where, f"{e['id']}: {key}")
        out[str(e["file"])] = DocMeta(
            id=str(e["id"]), file=str(e["file"]), title=title, short=str(e.get("short") or title),
            number=_str(e.get("number")), issuer=_str(e.get("issuer")), issued=_date(e.get("issued")),
            effective=_date(e.get("effective")), status=status, source=_str(e.get("source")),
            supersedes=[str(s) for s in (e.get("supersedes") or [])],
            notices=[_notice(n, path, e["id"]) for n in _list(e.get("notices"), where, "notices")],
            amended_by=[_amendment(a, path, e["id"]) for a in _list(e.get("amended_by"), where, "amended_by")],
            review_by=_date(e.get("review_by")), line=e.get("__line__", 0))
    for meta in out.values():
        for a in meta.amended_by:
            if a.id and a.id not in seen_ids:
                raise ManifestError(f"{path}:{a.line}: {meta.id}: amended_by names id {a.id!r}, which no entry has")
    return out


def manifest_checked(folder: Path) -> str | None:
    """The date the corpus was last checked against the official sources (`checked:`)."""
    read = _read(folder)
    return _date(read[1].get("checked")) if read else None


def _list(value, where: str, key: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ManifestError(f"{where}: {key} must be a list")
    return value


def _strict_date(value, where: str, what: str) -> str:
    text = _date(value)
    try:
        dt.date.fromisoformat(text or "")
    except ValueError:
        raise ManifestError(f"{where}: {what} must be a date written YYYY-MM-DD, not {value!r}") from None
    return text


def _applies(e: dict, where: str) -> tuple[list[str], list[str], bool]:
    scope = e.get("applies_to", e.get("affects")) or {}
    if not isinstance(scope, dict):
        raise ManifestError(f"{where}: applies_to must list provisions, terms or document: true")
    provisions = [str(p) for p in _list(scope.get("provisions"), where, "provisions")]
    terms = [str(t) for t in _list(scope.get("terms"), where, "terms")]
    return provisions, terms, bool(scope.get("document"))


def _notice(e, path: Path, doc_id: str) -> Notice:
    if not isinstance(e, dict):
        raise ManifestError(f"{path}: {doc_id}: each notice is a mapping (effective, source, applies_to, text)")
    where = f"{path}:{e.get('__line__', '?')}"
    for key in ("effective", "source", "text"):
        if not e.get(key):
            raise ManifestError(f"{where}: {doc_id}: a notice needs {key!r}")
    provisions, terms, document = _applies(e, where)
    if not (provisions or terms or document):
        raise ManifestError(f"{where}: {doc_id}: a notice applies to provisions, terms or the whole document")
    return Notice(_strict_date(e["effective"], where, f"{doc_id}: notice effective"), str(e["source"]),
                  " ".join(str(e["text"]).split()), provisions, terms, document, e.get("__line__", 0))


def _amendment(e, path: Path, doc_id: str) -> Amendment:
    if not isinstance(e, dict):
        raise ManifestError(f"{path}: {doc_id}: each amended_by entry is a mapping (number, effective, ...)")
    where = f"{path}:{e.get('__line__', '?')}"
    if not e.get("number") or not e.get("effective"):
        raise ManifestError(f"{where}: {doc_id}: amended_by needs 'number' and 'effective'")
    provisions, terms, _ = _applies(e, where)
    return Amendment(str(e["number"]), _strict_date(e["effective"], where, f"{doc_id}: amended_by effective"),
                     _str(e.get("short")),
                     date=_date(e.get("date")) and _strict_date(e["date"], where, f"{doc_id}: amended_by date"),
                     id=_str(e.get("id")), provisions=provisions, terms=terms, line=e.get("__line__", 0))


def meta_for_unlisted(path: Path, front_matter: dict, first_line: str) -> DocMeta:
    title = str(front_matter.get("title") or first_line or path.stem)[:200]
    number = _str(front_matter.get("number"))
    short = f"{title} {number}" if number and len(title) < 60 else (number or title[:60])
    return DocMeta(id=slug(path.stem), file=path.name, title=title, short=str(short),
                   number=number, issuer=_str(front_matter.get("issuer")),
                   issued=_date(front_matter.get("date_issued") or front_matter.get("issued")),
                   effective=_date(front_matter.get("effective_date") or front_matter.get("effective")),
                   source=str(front_matter.get("source")) if front_matter.get("source") else None)
