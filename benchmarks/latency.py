"""Latency of POST /api/chat over real HTTP, against the bare cost of embedding the question.

    python benchmarks/latency.py                      # index ./data (built if missing or stale)
    python benchmarks/latency.py --data-dir /tmp/dd1 --rounds 5 --json out.json

Builds (or reuses, when up to date) an index of the corpus with the configured settings,
serves the real app (assistant.api.app.create_app) with uvicorn on a free loopback port in a
thread, warms up, then for every question of tests/data/questions.dev.jsonl and
questions.extra.jsonl, R rounds, measures:

  api    wall time of one POST /api/chat through an httpx client (keep-alive), i.e. HTTP +
         validation + retrieval + answer composition + the conversation-store write;
  embed  service.embedder.embed_query(question) on the same text, in the same process.

The ratio api_p50 / embed_p50 says how much of a request is the model. Note every request is
a real chat: it is written to conversations.sqlite in the data dir.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmarks.harness, when run as a script
QUESTION_FILES = [ROOT / "tests" / "data" / "questions.dev.jsonl", ROOT / "tests" / "data" / "questions.extra.jsonl"]

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def load_questions() -> list[str]:
    out = []
    for path in QUESTION_FILES:
        with open(path, encoding="utf-8") as fh:
            out += [json.loads(line)["q"] for line in fh if line.strip()]
    return out


def stats(ms: list[float]) -> dict:
    import numpy as np

    a = np.asarray(ms, dtype=float)
    return {"n": int(a.size), "mean": round(float(a.mean()), 2), "p50": round(float(np.percentile(a, 50)), 2),
            "p95": round(float(np.percentile(a, 95)), 2), "min": round(float(a.min()), 2),
            "max": round(float(a.max()), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="data dir holding (or to hold) the index; default: settings "
                                                      "(ASSISTANT_DATA_DIR or ./data)")
    parser.add_argument("--corpus-dir", type=Path, help="corpus to index if needed; default: settings (./corpus)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the question set (default 3)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests before measuring (default 5)")
    parser.add_argument("--json", type=Path, help="also write the JSON summary to this file")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    import httpx

    from assistant.api.app import create_app
    from benchmarks.harness import ThreadedServer
    from benchmarks.harness import ensure_index, machine, settings_from_args
    from assistant.service import AssistantService

    # one client asks every question: the per-address rate limit would measure itself
    settings = settings_from_args(args.data_dir, args.corpus_dir, rate_limit_per_minute=100000,
                                  rate_limit_burst=100000)
    if settings is None:
        return 2
    print(f"data dir: {settings.data_dir}   embeddings: {settings.embeddings}", flush=True)
    report = ensure_index(settings)
    if report is None:
        return 1

    questions = load_questions()
    service = AssistantService(settings)
    app = create_app(settings, service)
    api_ms: list[float] = []
    embed_ms: list[float] = []
    found = 0
    # the app's lifespan closes the service when the server stops
    with ThreadedServer(app) as server, httpx.Client(base_url=server.url, timeout=120, trust_env=False) as client:
        # warm-up: the app's lifespan already opened the index and loaded the model
        for q in (questions * 2)[:max(args.warmup, 0)]:
            client.post("/api/chat", json={"message": q}).raise_for_status()
            service.embedder.embed_query(q)
        print(f"measuring {len(questions)} questions x {args.rounds} rounds on {server.url} ...", flush=True)
        for _ in range(args.rounds):
            for q in questions:
                t0 = time.perf_counter()
                r = client.post("/api/chat", json={"message": q})
                t1 = time.perf_counter()
                r.raise_for_status()
                found += bool(r.json()["found"])
                api_ms.append((t1 - t0) * 1000)
                t0 = time.perf_counter()
                service.embedder.embed_query(q)
                embed_ms.append((time.perf_counter() - t0) * 1000)

    api, emb = stats(api_ms), stats(embed_ms)
    summary = {
        "questions": len(questions), "rounds": args.rounds, "requests": len(api_ms),
        "found_rate": round(found / len(api_ms), 3),
        "embedder": service.embedder.model_id, "build_id": report.build_id,
        "api_ms": api, "embed_ms": emb,
        "ratio_api_p50_over_embed_p50": round(api["p50"] / emb["p50"], 2) if emb["p50"] else None,
        "machine": machine(),
    }

    print()
    print(f"{'ms':<28}{'n':>6}{'mean':>9}{'p50':>9}{'p95':>9}{'min':>9}{'max':>9}")
    for name, s in (("POST /api/chat (HTTP)", api), ("embed_query (bare)", emb)):
        print(f"{name:<28}{s['n']:>6}{s['mean']:>9.1f}{s['p50']:>9.1f}{s['p95']:>9.1f}{s['min']:>9.1f}{s['max']:>9.1f}")
    print(f"api p50 / embed p50 = {summary['ratio_api_p50_over_embed_p50']}   "
          f"found: {found}/{len(api_ms)}   cpus: {os.cpu_count()}   {platform.platform()}")
    print()
    text = json.dumps(summary, indent=1, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
