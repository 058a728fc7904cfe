"""corpus/manifest.yaml: what each document is. A file without an entry is still indexed,
described from its own front matter or first line, so a one-file drop works."""
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


def load_manifest(folder: Path) -> dict[str, DocMeta]:
    """Entries by file name. A malformed manifest is an error for the whole folder: guessing
    metadata for every document would present wrong titles and statuses."""
    path = folder / "manifest.yaml"
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    entries = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ManifestError(f"{path}: expected a 'documents:' list")
    out: dict[str, DocMeta] = {}
    seen_ids: set[str] = set()
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not e.get("file") or not e.get("id"):
            raise ManifestError(f"{path}: entry {i + 1} needs at least 'id' and 'file'")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", str(e["id"])):
            raise ManifestError(f"{path}: id {e['id']!r} must be lower-case letters, digits and '-'")
        if e["id"] in seen_ids:
            raise ManifestError(f"{path}: id {e['id']!r} appears twice")
        seen_ids.add(e["id"])
        status = str(e.get("status") or "in_force")
        if status not in STATUSES:
            raise ManifestError(f"{path}: {e['id']}: status must be one of {sorted(STATUSES)}")
        title = str(e.get("title") or e["id"])
        out[str(e["file"])] = DocMeta(
            id=str(e["id"]), file=str(e["file"]), title=title, short=str(e.get("short") or title),
            number=_str(e.get("number")), issuer=_str(e.get("issuer")), issued=_date(e.get("issued")),
            effective=_date(e.get("effective")), status=status, source=_str(e.get("source")),
            supersedes=[str(s) for s in (e.get("supersedes") or [])])
    return out


def meta_for_unlisted(path: Path, front_matter: dict, first_line: str) -> DocMeta:
    title = str(front_matter.get("title") or first_line or path.stem)[:200]
    number = _str(front_matter.get("number"))
    short = f"{title} {number}" if number and len(title) < 60 else (number or title[:60])
    return DocMeta(id=slug(path.stem), file=path.name, title=title, short=str(short),
                   number=number, issuer=_str(front_matter.get("issuer")),
                   issued=_date(front_matter.get("date_issued") or front_matter.get("issued")),
                   effective=_date(front_matter.get("effective_date") or front_matter.get("effective")),
                   source=str(front_matter.get("source")) if front_matter.get("source") else None)
