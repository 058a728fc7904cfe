"""The index on disk, opened as one unit: Chroma collection + BM25 side indexes + chunk store.

Layout under the data dir:

    indexes/<build_id>/meta.json        fingerprint, counts, embedder, collection name
                       chunks.jsonl     every chunk with its units (what answers quote)
                       documents.json   document metadata and structure (for /api/documents)
                       targets.json     the targets programs state, one row per quantity (/api/targets)
                       responsibilities.json  who must do what, one row per body a unit assigns
                       vocab.json       compound words found at ingest (query segmentation)
                       syllables.json   syllable counts (diacritic restoration of queries)
                       vectors.npy      the chunk vectors, for scoring without a round trip
                       bm25_words/      BM25 over word-segmented accented text
                       bm25_folded/     BM25 over accent-folded syllables and syllable pairs
                       chroma/          embedded Chroma (absent in server mode)
    CURRENT                             name of the build that serves

A build becomes visible only when CURRENT is replaced (one atomic rename), so readers see the
old index or the new one, never a half-built one.
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
import functools
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from assistant.chroma_store import chroma_client, open_server_collection, release_chroma
from assistant import search_at_scale
from assistant.config import Settings
from assistant.term_index import TermIndex
from assistant.text import folded_tokens
from assistant.errors import IndexNotReady, IndexUnavailable  # noqa: F401 - where callers look for them

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
INDEXES = "indexes"
TERMS_FOLDED, TERMS_ACCENTED = "terms_folded", "terms_accented"  # assistant/term_index.py files
STATEMENTS_KEPT = 50_000  # passages whose statement stays made (all of them below 50,000 chunks)
FORMAT_VERSION = 2


def per_index(make):
    """Cache what `make(index)` derives from an index on the index itself, so it goes when the
    index goes: an lru_cache keyed on the index kept a replaced index (and at 100x the shipped
    corpus its gigabyte) alive after every swap."""
    key = f"{make.__module__}.{make.__qualname__}"

    @functools.wraps(make)
    def derived(index):
        kept = index.__dict__.setdefault("_derived", {})
        if key not in kept:  # two first callers may both make it: the same value, harmlessly
            kept[key] = make(index)
        return kept[key]
    return derived


def indexes_dir(data_dir: Path) -> Path:
    return data_dir / INDEXES


def current_build(data_dir: Path) -> str | None:
    try:
        name = (data_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def set_current(data_dir: Path, build_id: str) -> None:
    tmp = data_dir / f".{CURRENT}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(build_id + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, data_dir / CURRENT)


@dataclass
class Document:
    id: str
    title: str
    short: str
    number: str | None
    issuer: str | None
    issued: str | None
    effective: str | None
    status: str
    source: str | None
    file: str
    family: str
    chunks: int
    warnings: list[str] = field(default_factory=list)
    structure: list[dict] = field(default_factory=list)
    supersedes: list[str] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)     # {effective, source, text, provisions, terms, document}
    amended_by: list[dict] = field(default_factory=list)  # {number, effective, date, id, provisions, terms}
    review_by: str | None = None

    def summary(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("structure",)}
        return d

    def name_forms(self, include_superseded: bool = False) -> frozenset[str]:
        """The ways a question names this document or the act it carries out, as folded
        tokens joined by spaces: "92/2024/nd-cp", "92/2024", "nghi dinh 92", "20 nq tw",
        "nghi quyet 20". Matched on token boundaries, so "77/2019" never matches "177/2019"."""
        from assistant.text import folded_tokens

        forms: set[str] = set()
        numbers = [self.number] if self.number else []
        if include_superseded:
            numbers += list(self.supersedes or [])
        for number in numbers:
            forms.add(" ".join(folded_tokens(number)))
            parts = number.split("/")
            if len(parts) >= 3:
                forms.add(" ".join(folded_tokens("/".join(parts[:2]))))
        for kind, written, number in _NAMED_ACT.findall(f"{self.short} {self.title}"):
            spoken = " ".join(folded_tokens(kind))
            forms |= {f"{spoken} {number}", f"{spoken} so {number}", " ".join(folded_tokens(written))}
        if self.number:
            kind = re.match(r"(Luật|Nghị định|Nghị quyết|Thông tư|Quyết định)\b", self.short or "")
            if kind:
                forms.add(f"{' '.join(folded_tokens(kind.group(1)))} {self.number.split('/')[0]}")
        return frozenset(f for f in forms if f)


# "Nghị định 92/2024/NĐ-CP", "Nghị quyết số 20-NQ/TW": the kind of act and its number
_NAMED_ACT = re.compile(r"(Luật|Nghị định|Nghị quyết|Thông tư|Quyết định)\s+(?:số\s+)?((\d+)[-/][\w/-]*\w)")


_ARTICLE = re.compile(r"(Điều \d+\w?|Mục [IVX]+(?:\.\d+)?)")


def article_of(label: str) -> str:
    """The article (or program section) a citation label belongs to: "khoản 3 Điều 65" ->
    "Điều 65", "Mục II.2 (Đến năm 2030)" -> "Mục II.2"; "" for a preamble."""
    m = _ARTICLE.search(label)
    return m.group(1) if m else ""


@dataclass(frozen=True)
class AnswerUnit:
    """One unit of a chunk that an answer can quote on its own: a khoản, điểm, bullet or
    paragraph. chunks.jsonl stores it as ingest/chunker.py's `Unit` (a dict with these five
    keys); it is read into this type when the index is opened."""
    label: str          # "điểm a khoản 1 Điều 30"
    text: str           # the unit's own line, as quoted
    lead: str = ""      # the line it hangs from ("1. Thành viên có quyền sau đây:"), "" if none
    depth: int = 0      # 0 = the chunk's own line, 1 = point/bullet, 2 = sub-bullet
    anchor: str = ""    # where the unit is in GET /api/documents/{doc_id}


@dataclass
class ChunkRecord:
    id: str
    doc_id: str
    label: str
    anchor: str
    path: list[str]
    text: str
    embed_text: str
    pages: list[int]
    units: list[AnswerUnit]
    order: int
    row: int = 0             # position in vectors.npy and the BM25 indexes

    @classmethod
    def from_stored(cls, stored: dict, row: int, keep_embed_text: bool = True) -> ChunkRecord:
        """A line of chunks.jsonl; its units become AnswerUnit (the file is unchanged). The text
        that was embedded is only read again to compute term sets an older build did not store."""
        return cls(**{**stored, "units": [AnswerUnit(**u) for u in stored["units"]], "row": row,
                      **({} if keep_embed_text else {"embed_text": ""})})


class OpenIndex:
    """A built index, read-only. Opening checks every part so a corrupt build fails here,
    with a message naming the fix, not at the first question."""

    def __init__(self, settings: Settings, build_id: str) -> None:
        import bm25s

        self.build_id = build_id
        self.dir = indexes_dir(settings.index_root) / build_id
        fix = "run `assistant ingest --force` to rebuild it"
        try:
            self.meta = json.loads((self.dir / "meta.json").read_text(encoding="utf-8"))
            if self.meta.get("format") != FORMAT_VERSION:
                raise IndexNotReady(f"index {build_id} has format {self.meta.get('format')}, "
                                    f"this version reads {FORMAT_VERSION}: {fix}")
            self.chunks: list[ChunkRecord] = []
            terms_stored = all((self.dir / f"{name}{ext}").exists() for name in (TERMS_FOLDED, TERMS_ACCENTED)
                               for ext in (".npz", ".vocab.json"))
            with open(self.dir / "chunks.jsonl", encoding="utf-8") as fh:
                for row, line in enumerate(fh):
                    self.chunks.append(ChunkRecord.from_stored(json.loads(line), row, keep_embed_text=not terms_stored))
            self.by_id = {c.id: c for c in self.chunks}
            docs = json.loads((self.dir / "documents.json").read_text(encoding="utf-8"))
            self.documents = {d["id"]: Document(**d) for d in docs}
            targets = self.dir / "targets.json"
            self.targets: list[dict] = json.loads(targets.read_text(encoding="utf-8")) if targets.exists() else []
            duties = self.dir / "responsibilities.json"
            self.responsibilities: list[dict] = json.loads(duties.read_text(encoding="utf-8")) if duties.exists() else []
            self.vocabulary = set(json.loads((self.dir / "vocab.json").read_text(encoding="utf-8")))
            self.vectors = np.load(self.dir / "vectors.npy")
            from assistant.diacritics import Restorer, question_counts
            self.restorer = Restorer(json.loads((self.dir / "syllables.json").read_text(encoding="utf-8")), question_counts())
            self.bm25_words = bm25s.BM25.load(str(self.dir / "bm25_words"))
            self.bm25_folded = bm25s.BM25.load(str(self.dir / "bm25_folded"))
        except IndexNotReady:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexNotReady(f"index {build_id} is damaged ({type(exc).__name__}: {exc}); {fix}") from None
        if len(self.chunks) != self.meta.get("chunks") or self.vectors.shape[0] != len(self.chunks):
            raise IndexNotReady(f"index {build_id} is incomplete (chunk counts disagree); {fix}")
        if self.meta.get("embedder") != settings.embeddings:
            raise IndexNotReady(f"index {build_id} was built with EMBEDDINGS={self.meta.get('embedder')}, "
                                f"the server is configured with {settings.embeddings}; {fix}")
        self._settings = settings
        # The terms of each chunk and how many chunks hold each term, folded and with accents:
        # what the answer step needs to judge how much of a question a passage covers (written
        # at ingest, assistant/term_index.py). A question typed with diacritics is matched with
        # them ("hộ" is not "hồ", "cá thể" not "các thể"); one typed without is matched folded.
        self.terms = self._term_index(TERMS_FOLDED, terms_stored)
        self.terms_accented = self._term_index(TERMS_ACCENTED, terms_stored)
        # What a passage states, for the checks of what a question asks (a year, an amount, a
        # name): its headings and text, without the document's own name ("Nghị định 92/2024"
        # states no figure for 2024). Made when a question first reaches the passage and kept
        # for the passages questions reach: a copy of every chunk's text, folded and not, was a
        # tenth of the server's memory at 100x the shipped corpus.
        self.statement = lru_cache(maxsize=STATEMENTS_KEPT)(self._statement)
        # Past EXACT_LIMIT chunks, ranking reads a bounded share of the index per question
        # (assistant/search_at_scale.py); below it, every ranking is exact.
        self.at_scale = len(self.chunks) > search_at_scale.EXACT_LIMIT
        self.ann = None
        if self.at_scale and not settings.chroma_server and (self.dir / search_at_scale.ANN_FILE).exists():
            try:
                self.ann = search_at_scale.open_ann(self.dir / search_at_scale.ANN_FILE)
            except (OSError, ValueError, RuntimeError) as exc:
                raise IndexNotReady(f"index {build_id}: its vector graph cannot be read ({exc}); {fix}") from None
            if len(self.ann) != len(self.chunks):
                raise IndexNotReady(f"index {build_id}: its vector graph holds {len(self.ann)} vectors for "
                                    f"{len(self.chunks)} chunks; {fix}")
        try:
            self._bounded = ({"words": search_at_scale.BoundedPostings(self.bm25_words),
                              "folded": search_at_scale.BoundedPostings(self.bm25_folded)} if self.at_scale else {})
        except ValueError as exc:  # postings naming chunks the build does not have
            raise IndexNotReady(f"index {build_id}: its BM25 index does not fit its chunks ({exc}); {fix}") from None
        # at scale, what sums the lexical postings: "c" (assistant/native/postings.c) or "numpy"
        self.postings_kernel = (("c" if self._bounded["words"].kernel is not None else "numpy")
                                if self._bounded else None)
        self._collection = None
        self._collection_lock = threading.Lock()
        if settings.chroma_server:
            self._open_collection()
        # Embedded, answers rank by the build's own vectors (vectors.npy) and Chroma is opened
        # only if asked (dense_chroma): opening it writes to its SQLite file, and a replica may
        # mount the index read-only.

    def _open_collection(self):
        try:
            if self._settings.chroma_server:
                self._collection = open_server_collection(self._settings, self.meta["collection"])
            else:
                self._collection = chroma_client(self._settings, self.dir).get_collection(self.meta["collection"])
        except Exception as exc:
            self._collection = None
            if self._settings.chroma_server:
                raise IndexUnavailable(f"Chroma server at {self._settings.chroma_host}:{self._settings.chroma_port} "
                                       f"is not answering or lacks collection {self.meta['collection']} "
                                       f"({type(exc).__name__}); if it answers but lost its data, "
                                       f"run `assistant ingest` to rebuild it") from None
            raise IndexNotReady(f"index {self.build_id}: Chroma store cannot be opened "
                                f"({type(exc).__name__}: {exc}); run `assistant ingest --force` to rebuild it") from None
        return self._collection

    def _term_index(self, name: str, stored: bool) -> TermIndex:
        if not stored:  # a build from before the files existed: computed here, as then
            from assistant.segment import folded_terms
            from assistant.text import tokens, with_bigrams
            terms_of = folded_terms if name == TERMS_FOLDED else (lambda text: with_bigrams(tokens(text)))
            return TermIndex.from_lists(terms_of(c.embed_text) for c in self.chunks)
        try:
            return TermIndex.load(self.dir, name)
        except (OSError, ValueError, KeyError) as exc:
            raise IndexNotReady(f"index {self.build_id}: {name} is damaged ({exc}); "
                                "run `assistant ingest --force` to rebuild it") from None

    @cached_property
    def rows_by_doc(self) -> dict[str, list[int]]:
        """Each document's chunk rows in document order: an answer step that needs a document's
        or an article's chunks looks them up instead of scanning every chunk per question."""
        out: dict[str, list[int]] = {}
        for c in self.chunks:
            out.setdefault(c.doc_id, []).append(c.row)
        return out

    @cached_property
    def chunks_by_article(self) -> dict[tuple[str, str], list[ChunkRecord]]:
        """(document, "Điều N") -> its chunks in document order."""
        out: dict[tuple[str, str], list[ChunkRecord]] = {}
        for c in self.chunks:
            out.setdefault((c.doc_id, article_of(c.label)), []).append(c)
        return out

    def _statement(self, row: int) -> tuple[str, str]:
        """What a chunk states (headings below the document and its text), as written and
        accent-folded with syllables joined by single spaces."""
        c = self.chunks[row]
        text = "\n".join(c.path[1:] + [c.text])
        return text, " ".join(folded_tokens(text))

    @property
    def checked(self) -> str | None:
        """The date the corpus was last checked against the official sources (manifest)."""
        return self.meta.get("checked")

    @property
    def document_count(self) -> int:
        return len(self.documents)

    def dense(self, vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """Nearest chunks by cosine: (row, similarity).

        With a Chroma server (CHROMA_HOST) the server answers: every API replica then ranks
        against the one shared store, and a server that is down is a clear 503. Embedded, the
        search is exact over the build's own vectors: Chroma's embedded HNSW answers were
        measured to differ between processes for the same query and index (the best passage
        absent from the top 40 in about one run in five), and answers must not depend on which
        process serves them; exact search over a few thousand 384-d vectors costs well under a
        millisecond."""
        if self._settings.chroma_server:
            return self.dense_chroma(vector, n)
        if self.ann is not None:
            return search_at_scale.dense_ann(self.ann, self.vectors, vector, n)
        return self.dense_exact(vector, n)

    def dense_exact(self, vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        sims = self.vectors @ np.asarray(vector, dtype=np.float32)
        n = min(n, len(sims))
        top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(i), float(sims[i])) for i in top]

    def dense_chroma(self, vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """The query through Chroma (the server in server mode; tests compare it embedded)."""
        with self._collection_lock:
            collection = self._collection or self._open_collection()
        try:
            res = collection.query(query_embeddings=[vector.tolist()], n_results=min(n, len(self.chunks)),
                                   include=["distances"])
        except Exception as exc:
            with self._collection_lock:
                self._collection = None  # reconnect on the next call
            raise IndexUnavailable(f"{self._store_name()} failed the vector search ({type(exc).__name__}); "
                                   f"answers resume when it is back") from None
        return [(self.by_id[cid].row, 1.0 - float(dist)) for cid, dist in zip(res["ids"][0], res["distances"][0])
                if cid in self.by_id]

    @staticmethod
    def _bm25(model, terms: list[str], n: int) -> list[tuple[int, float]]:
        vocab = model.vocab_dict
        terms = [t for t in terms if t in vocab]
        if not terms:
            return []
        scores = model.get_scores(terms)
        top = np.argsort(-scores)[:n]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def lexical_words(self, terms: list[str], n: int) -> list[tuple[int, float]]:
        if self._bounded:
            return self._bounded["words"].top(terms, n)
        return self._bm25(self.bm25_words, terms, n)

    def lexical_folded(self, terms: list[str], n: int) -> list[tuple[int, float]]:
        if self._bounded:
            return self._bounded["folded"].top(terms, n)
        return self._bm25(self.bm25_folded, terms, n)

    def collection(self):
        """The build's Chroma collection, opened on first use."""
        with self._collection_lock:
            return self._collection or self._open_collection()

    def ping(self) -> None:
        """Raise IndexUnavailable when the vector store cannot answer (the Chroma server; an
        embedded build answers from its own vectors, checked when it was opened)."""
        if not self._settings.chroma_server:
            return
        with self._collection_lock:
            collection = self._collection or self._open_collection()
        try:
            collection.count()
        except Exception as exc:
            with self._collection_lock:
                self._collection = None
            raise IndexUnavailable(f"{self._store_name()} is not answering ({type(exc).__name__})") from None

    def _store_name(self) -> str:
        if self._settings.chroma_server:
            return f"the Chroma server at {self._settings.chroma_host}:{self._settings.chroma_port}"
        return "the embedded Chroma store"


class IndexHolder:
    """The index that serves now. Re-reads CURRENT (one small file read) on each access so a
    new build is picked up without a restart; the old index serves until the new one opens."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._index: OpenIndex | None = None
        self._lock = threading.Lock()
        self._last_error: str | None = None
        self._failed: tuple[str, float] | None = None  # a build that would not open, and when

    def get(self) -> OpenIndex:
        build = current_build(self.settings.index_root)
        index = self._index
        if index is not None and (build is None or build == index.build_id):
            return index
        if index is not None and self._failed and self._failed[0] == build and time.monotonic() - self._failed[1] < 30:
            return index  # that build failed to open a moment ago: keep serving, retry later
        if build is None:
            raise IndexNotReady("no index yet: run `assistant ingest` (or `make run`) to build it")
        with self._lock:
            if self._index is not None and self._index.build_id == build:
                return self._index
            try:
                replaced = self._index
                self._index = OpenIndex(self.settings, build)
                self._last_error = None
                if replaced is not None and not self.settings.chroma_server:
                    # answers rank by the build's own vectors (dense_exact): the replaced build's
                    # Chroma store is not read again, and its files would stay open until exit
                    release_chroma(replaced.dir)
                log.info("index %s open: %d documents, %d chunks", build, self._index.document_count,
                         len(self._index.chunks))
            except (IndexNotReady, IndexUnavailable) as exc:
                self._last_error = str(exc)
                self._failed = (build, time.monotonic())
                if self._index is not None:
                    log.error("new index %s cannot be opened, still serving %s: %s", build, self._index.build_id, exc)
                    return self._index
                raise
            return self._index
