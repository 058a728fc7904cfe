"""Admin endpoints, present only when ADMIN_API_KEY is set: rebuild the index, add a document,
review feedback. The key comes in the `X-Admin-Key` header and is compared in constant time.

An ingest runs in a background thread, one at a time; the index that serves keeps serving
until the new build is complete and swapped in (ingest/pipeline.py builds aside)."""
from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import logging
import os
import re
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Annotated, Literal

import yaml
from fastapi import APIRouter, Depends, File, Form, Header, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/admin", tags=["admin"])
UPLOAD_TYPES = {".pdf", ".docx", ".md", ".txt"}
MAX_UPLOAD = 20 * 1024 * 1024
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")  # used with fullmatch: no trailing newline slips through
_manifest_lock = threading.Lock()


def require_admin(request: Request, x_admin_key: Annotated[str | None, Header()] = None) -> None:
    expected = request.app.state.settings.admin_api_key or ""
    if not x_admin_key or not hmac.compare_digest(x_admin_key.encode(), expected.encode()):
        raise HTTPException(401, "missing or wrong X-Admin-Key", headers={"WWW-Authenticate": "X-Admin-Key"})


Admin = Annotated[None, Depends(require_admin)]


class IngestJobs:
    """At most one ingest at a time, in a worker thread; the last job's state for GET."""

    def __init__(self, settings, service, metrics) -> None:
        self.settings, self.service, self.metrics = settings, service, metrics
        self._lock = threading.Lock()
        self.current: dict | None = None
        self.pending: str | None = None  # a change that arrived while a job ran: ingest again after it

    def start(self, reason: str, force: bool = False, queue: bool = False) -> dict | None:
        """The new job, or None when one is already running (then, with `queue`, another run
        follows it so the change is picked up)."""
        with self._lock:
            if self.current and self.current["state"] == "running":
                if queue:
                    self.pending = reason
                return None
            job = {"id": uuid.uuid4().hex[:12], "state": "running", "reason": reason, "force": force,
                   "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "finished": None,
                   "report": None, "error": None}
            self.current = job
        threading.Thread(target=self._run, args=(job,), name="admin-ingest", daemon=True).start()
        return dict(job)

    def _run(self, job: dict) -> None:
        from ingest.pipeline import run_ingest
        try:
            report = run_ingest(self.settings, force=job["force"], progress=False, embedder=self.service.embedder)
            job["report"] = {"build_id": report.build_id, "documents": report.documents, "chunks": report.chunks,
                             "embedded": report.embedded, "from_cache": report.cached,
                             "seconds": round(report.seconds, 1),
                             "failed": [{"file": f, "reason": r} for f, r in report.failed],
                             "skipped": [{"file": f, "reason": r} for f, r in report.skipped]}
            job["state"] = "done" if report.build_id else "failed"
            if not report.build_id:
                job["error"] = "no index was built; see report.failed"
        except Exception as exc:  # noqa: BLE001 - the job reports it; the old index keeps serving
            log.exception("admin ingest failed")
            job["state"], job["error"] = "failed", f"{type(exc).__name__}: {exc}"
        job["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self.metrics.ingest_runs.labels(job["state"]).inc()
        with self._lock:
            again, self.pending = self.pending, None
        if again:
            self.start(again)

    def wait(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while self.current and self.current["state"] == "running" and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.current


def _jobs(request: Request) -> IngestJobs:
    return request.app.state.ingest_jobs


def _accepted(job: dict | None) -> JSONResponse:
    if job is None:
        return JSONResponse({"error": "conflict", "detail": "an ingest is already running; "
                             "GET /api/admin/ingest shows it"}, 409)
    return JSONResponse({"job": job}, 202, headers={"Location": "/api/admin/ingest"})


@router.post("/ingest", status_code=202)
def start_ingest(_: Admin, request: Request, force: Annotated[bool, Query()] = False) -> JSONResponse:
    """Rebuild the index from the corpus dir (only what changed is embedded again)."""
    return _accepted(_jobs(request).start("admin: rebuild", force))


@router.get("/ingest")
def ingest_status(_: Admin, request: Request) -> dict:
    return {"job": _jobs(request).current}


@router.post("/documents", status_code=202)
async def add_document(
        _: Admin, request: Request,
        file: Annotated[UploadFile, File(description="PDF (with a text layer), DOCX, Markdown or text")],
        title: Annotated[str, Form(min_length=3, max_length=400)],
        short: Annotated[str, Form(min_length=2, max_length=120)],
        doc_id: Annotated[str | None, Form(alias="id")] = None,
        number: Annotated[str | None, Form(max_length=60)] = None,
        issuer: Annotated[str | None, Form(max_length=200)] = None,
        issued: Annotated[dt.date | None, Form()] = None,
        effective: Annotated[dt.date | None, Form()] = None,
        status: Annotated[Literal["in_force", "superseded", "partly_superseded"], Form()] = "in_force",
        source: Annotated[str | None, Form(max_length=500)] = None,
        replace: Annotated[bool, Form()] = False) -> JSONResponse:
    """Store a document in the corpus with its manifest entry and ingest it (incrementally).
    An id that already exists is refused (409) unless `replace=true`."""
    from ingest.manifest import slug

    settings = request.app.state.settings
    name = Path(file.filename or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        raise HTTPException(422, f"file: {suffix or 'no extension'} is not accepted; send {', '.join(sorted(UPLOAD_TYPES))}")
    doc_id = doc_id or slug(short)
    if not _ID.fullmatch(doc_id):
        raise HTTPException(422, "id: lower-case letters, digits and '-', at most 80 characters")
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise HTTPException(413, f"file over {MAX_UPLOAD // (1024 * 1024)} MB")
    entry = {"id": doc_id, "file": f"{doc_id}{suffix}", "title": title, "short": short, "number": number,
             "issuer": issuer, "issued": issued.isoformat() if issued else None,
             "effective": effective.isoformat() if effective else None, "status": status,
             "source": source or f"uploaded through the admin API on {dt.date.today().isoformat()}"}
    jobs = _jobs(request)
    abandoned = threading.Event()  # set when the time limit (504) gives up on this request

    def store_and_queue() -> tuple[str, dict | None]:
        # Storing and queueing its ingest happen in this one thread, so they happen together or
        # not at all: a request abandoned while the file was being read stores nothing, and a
        # stored document always has an ingest coming, whatever became of the request.
        stored = _store(settings.corpus_dir, data, suffix, {k: v for k, v in entry.items() if v is not None},
                        replace, abandoned)
        return stored, jobs.start(f"admin: added {stored}", queue=True)

    try:  # parsing a large PDF and writing files: off the event loop
        stored, job = await run_in_threadpool(store_and_queue)
    except PermissionError as exc:
        raise HTTPException(503, f"the corpus folder is not writable by the server ({exc.filename}); "
                                 "see docs/operating.md") from None
    except asyncio.CancelledError:
        abandoned.set()
        raise
    if job is None:
        return JSONResponse({"stored": stored, "job": None, "detail": "stored; an ingest is running and "
                             "another will follow it to pick this document up"}, 202)
    return JSONResponse({"stored": stored, "job": job}, 202, headers={"Location": "/api/admin/ingest"})

class Abandoned(Exception):
    """The request was given up (504) before the document was put in place: nothing stored."""


def _store(corpus: Path, data: bytes, suffix: str, entry: dict, replace: bool,
           abandoned: threading.Event | None = None) -> str:
    """Check the file reads, then put it and its manifest entry in place (both atomic) — unless
    the request was abandoned meanwhile, in which case nothing is stored."""
    from ingest.loaders import LoadError, TooLarge, load
    from ingest.manifest import ManifestError, load_manifest

    corpus.mkdir(parents=True, exist_ok=True)
    with _manifest_lock:
        try:
            existing = {m.id: m for m in load_manifest(corpus).values()}
        except ManifestError as exc:
            raise HTTPException(409, f"corpus/manifest.yaml is malformed ({exc}); fix it before adding documents") from None
        old = existing.get(entry["id"])
        taken = [p for p in corpus.iterdir() if p.stem == entry["id"] and not p.name.startswith(".")]
        if (old or taken) and not replace:
            raise HTTPException(409, f"id {entry['id']!r} already exists; send replace=true to replace it")
        fd, tmp_name = tempfile.mkstemp(prefix=".upload-", suffix=suffix, dir=corpus)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            try:  # a file we cannot read is refused now, not discovered at the next ingest
                loaded = load(tmp)
            except TooLarge as exc:
                raise HTTPException(413, f"file: {exc}") from None
            except LoadError as exc:
                raise HTTPException(422, f"file: {exc}") from None
            if not any(b.text.strip() for b in loaded.blocks):
                raise HTTPException(422, "file: no text could be read from it (a scanned PDF needs OCR first)")
            if abandoned is not None and abandoned.is_set():
                log.warning("upload of %s abandoned by the time limit before it was stored; nothing stored",
                            entry["file"])
                raise Abandoned(entry["file"])
            _write_manifest_entry(corpus / "manifest.yaml", entry)
            os.replace(tmp, corpus / entry["file"])
            for path in taken:  # the replaced document under another extension
                if path.name != entry["file"]:
                    path.unlink(missing_ok=True)
            if old and old.file != entry["file"]:
                (corpus / old.file).unlink(missing_ok=True)
        finally:
            tmp.unlink(missing_ok=True)
    return entry["file"]


def _write_manifest_entry(path: Path, entry: dict) -> None:
    """Add or replace the entry with this id, in one atomic replace of manifest.yaml."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    data = data or {}
    docs = [d for d in data.get("documents") or [] if d.get("id") != entry["id"] and d.get("file") != entry["file"]]
    docs.append(entry)
    data["documents"] = docs
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text("# One entry per document in this folder (see docs/operating.md: Adding a document).\n"
                   + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    os.replace(tmp, path)


@router.get("/feedback")
def feedback(_: Admin, request: Request,
             rating: Annotated[Literal[1, -1] | None, Query(description="-1 for 👎 only")] = -1,
             limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
    """Answers people rated, newest first, with the question and the answer they saw."""
    return {"feedback": request.app.state.service.store.feedback(rating=rating, limit=limit)}
