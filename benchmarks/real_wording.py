"""People's wording: accuracy, search recall and refusal on every question file, with and
without each learned artifact, beside the LangChain tutorial recipe's recall.

    python benchmarks/real_wording.py
    python benchmarks/real_wording.py --extra PATH/questions.citizen.dev.jsonl \\
        --archive PATH/legal-qa-vi.tar.xz --recipe

Artifacts, each switched off in turn:
  vocabulary  the law's terms learned from the public legal Q&A archive (ingest/learn_vocabulary.py),
              one more lexical vote in retrieval;
  ranker      the learned order of candidate passages (ingest/learn_ranker.py);
  adapter     the question-embedding adapter (ingest/learn_adapter.py), what the dense list ranks by;
  syllables   people's questions' syllable pairs (ingest/learn_question_syllables.py), which steer
              putting diacritics back on a question typed without them.
For every file: answer accuracy (facts in the answer), search recall@1 and @5 (facts in the first
and first five search results), refusal of out-of-scope questions. With --archive, a fixed sample
of the archive's questions on other areas of law (the report half, never used for learning) is
added; with --recipe, the recipe's recall@4 (benchmarks/compare_langchain.py builds it once and
keeps its vectors in the data dir).
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
VARIANTS = ("all", "without vocabulary", "without ranker", "without adapter", "without syllables", "without any")


def _variant(name: str, service=None):
    """Switch the learned artifacts on or off in this process (the syllables: in the restorer
    of `service`'s open index)."""
    from assistant import query_adapter, rerank, retrieval
    from assistant.diacritics import Restorer
    if not hasattr(_variant, "saved"):
        _variant.saved = (retrieval.LEARNED_WEIGHT, rerank.model, query_adapter.matrix_for)
    weight, model, adapter = _variant.saved
    off = lambda artifact: artifact in name or "any" in name  # noqa: E731
    retrieval.LEARNED_WEIGHT = 0.0 if off("vocabulary") else weight
    rerank.model = (lambda *a, **k: None) if off("ranker") else model
    query_adapter.matrix_for = (lambda *a, **k: None) if off("adapter") else adapter
    if service is not None:
        index = service.index()
        if not hasattr(_variant, "restorer"):
            documents = index.restorer.documents
            _variant.restorer = (index.restorer, Restorer({"unigrams": documents.uni, "bigrams": documents.bi}))
        index.restorer = _variant.restorer[1 if off("syllables") else 0]


def main(argv: list[str] | None = None) -> int:
    from benchmarks.harness import describe, ensure_index, machine, settings_from_args
    from assistant.evaluation import evaluate, facts_present, load_questions
    from assistant.service import AssistantService

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--corpus-dir", type=Path)
    parser.add_argument("--extra", type=Path, nargs="*", default=[], help="more question files (JSON lines)")
    parser.add_argument("--archive", type=Path, help="legal-qa-vi.tar.xz: add its off-topic report sample")
    parser.add_argument("--n", type=int, default=300, help="archive questions (default 300)")
    parser.add_argument("--recipe", action="store_true", help="also the LangChain recipe's recall@4")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    settings = settings_from_args(args.data_dir, args.corpus_dir, ROOT / "corpus")
    if settings is None or ensure_index(settings) is None:
        return 1
    sets = {name: load_questions(DATA / f"{name}.jsonl") for name in FILES if (DATA / f"{name}.jsonl").exists()}
    for path in args.extra:
        sets[path.stem + " (extra)"] = load_questions(path)
    if args.archive:
        from ingest.legal_qa_archive import off_topic_sample, read_questions
        sample = off_topic_sample(read_questions(args.archive), args.n, "report")
        sets["archive, other areas of law"] = [{"id": q.article, "kind": "oos", "q": q.text, "all_of": []} for q in sample]
    service = AssistantService(settings)
    recipe = None
    if args.recipe:
        from benchmarks.compare_langchain import build_recipe, corpus_files
        recipe = build_recipe(corpus_files(settings.corpus_dir), service.embedder,
                              settings.data_dir / "langchain-recipe")
    info = machine()
    print(f"machine: {describe(info)}")
    figures: dict = {"machine": info}
    header = f"{'file':34} {'variant':20} {'accuracy':>9} {'recall@1':>9} {'recall@5':>9} {'refused':>8}"
    print(header + ("  recipe recall@4" if recipe else ""))
    for name, questions in sets.items():
        answerable = [q for q in questions if q.get("all_of")]
        recipe_recall = None
        if recipe and answerable:
            hits = sum(facts_present(" ".join(d.page_content for d in recipe.search(q["q"])), q["all_of"])
                       for q in answerable)
            recipe_recall = round(hits / len(answerable), 3)
        for variant in VARIANTS if answerable else VARIANTS[:1]:
            _variant(variant, service)
            r = evaluate(service, questions)
            row = {k: r.get(k) for k in ("answer_accuracy", "search_recall_at_1", "search_recall_at_5", "refusal_rate")}
            figures.setdefault(name, {})[variant] = row | ({"recipe_recall_at_4": recipe_recall} if recipe_recall is not None else {})
            cells = [_f(row["answer_accuracy"]), _f(row["search_recall_at_1"]), _f(row["search_recall_at_5"]),
                     _f(row["refusal_rate"])]
            extra = f"  {_f(recipe_recall)}" if recipe and variant == "all" else ""
            print(f"{name:34} {variant:20} {cells[0]:>9} {cells[1]:>9} {cells[2]:>9} {cells[3]:>8}{extra}", flush=True)
    _variant("all", service)
    service.close()
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def _f(v) -> str:
    return "-" if v is None else f"{v:.3f}"


if __name__ == "__main__":
    raise SystemExit(main())
