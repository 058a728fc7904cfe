"""assistant ingest | serve | ask | eval | bench"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path


def _settings():
    from assistant.config import SettingsError, load_settings
    try:
        return load_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_ingest(args) -> int:
    from ingest.pipeline import run_ingest

    settings = _settings()
    paths = [Path(p) for p in args.paths] if args.paths else None
    report = run_ingest(settings, paths, force=args.force, progress=not args.quiet and sys.stderr.isatty())
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) if args.json else report.render())
    if report.build_id is None:
        return 1
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    from assistant.api.app import create_app

    from assistant.api.ops import configure_logging

    settings = _settings()
    if args.ingest and settings.ingest_on_start:
        # the image's start: build the index if it is missing or stale; a failed ingest leaves the
        # last good index serving, so it must not keep the server from starting. Replicas that
        # mount a read-only index set ASSISTANT_INGEST_ON_START=false and leave it to one ingest.
        from ingest.pipeline import run_ingest
        try:
            print(run_ingest(settings, progress=False).render(), flush=True)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the last good index still serves
            print(f"ingest failed ({type(exc).__name__}: {exc}); serving the last good index", file=sys.stderr)
    configure_logging(settings.log_level)  # JSON lines with request ids; our own access log
    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_level=settings.log_level, access_log=False,
                log_config=None)
    return 0


def _service():
    from assistant.index import IndexNotReady, IndexUnavailable
    from assistant.service import AssistantService

    service = AssistantService(_settings())
    try:
        service.index()
    except (IndexNotReady, IndexUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    return service


def cmd_ask(args) -> int:
    from dataclasses import asdict

    from assistant.answer import Related, see_also

    service = _service()
    result = service.chat(args.question)
    if args.json:
        print(json.dumps(asdict(result), ensure_ascii=False, indent=1))
    else:
        print(result.answer)
        for c in result.citations:
            print(f"[{c['n']}] {c['label']} — {c['document']}")
        if result.related:
            print(see_also([Related(**r) for r in result.related]))
    return 0


def cmd_eval(args) -> int:
    from assistant.evaluation import EvalFileError, evaluate, load_questions

    try:
        questions = load_questions(Path(args.file))
    except (OSError, EvalFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    service = _service()
    print(json.dumps(evaluate(service, questions, k=args.k), ensure_ascii=False, indent=1))
    return 0


def cmd_bench(args) -> int:
    import time

    from assistant.evaluation import load_questions, percentile

    service = _service()
    questions = [q["q"] for q in load_questions(Path(args.file))]
    service.answer(questions[0])  # warm up
    emb, ans = [], []
    for _ in range(args.rounds):
        for q in questions:
            t0 = time.perf_counter()
            service.embedder.embed_query(q)
            emb.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            service.answer(q)
            ans.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"questions": len(questions), "rounds": args.rounds,
                      "embedding_ms": {"p50": round(percentile(emb, 50), 1), "p95": round(percentile(emb, 95), 1)},
                      "answer_ms": {"p50": round(percentile(ans, 50), 1), "p95": round(percentile(ans, 95), 1)}},
                     indent=1))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="assistant", description="Cited answers about cooperatives and the collective economy")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("ingest", help="build or update the index from the corpus (or the given files/folders)")
    s.add_argument("paths", nargs="*", help="files or folders to index instead of ASSISTANT_CORPUS_DIR")
    s.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.set_defaults(func=cmd_ingest)
    s = sub.add_parser("serve", help="serve the HTTP API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--ingest", action="store_true",
                   help="ingest first, unless ASSISTANT_INGEST_ON_START=false (what the image runs)")
    s.set_defaults(func=cmd_serve)
    s = sub.add_parser("ask", help="answer one question")
    s.add_argument("question")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_ask)
    s = sub.add_parser("eval", help="score a question file (JSON lines) and print metrics as JSON")
    s.add_argument("file")
    s.add_argument("--k", type=int, default=5)
    s.set_defaults(func=cmd_eval)
    s = sub.add_parser("bench", help="latency of answers and of a bare query embedding")
    s.add_argument("file", nargs="?", default=str(Path(__file__).resolve().parent.parent / "tests" / "data" / "questions.dev.jsonl"))
    s.add_argument("--rounds", type=int, default=3)
    s.set_defaults(func=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    raise SystemExit(main())
