"""Learn how people's words map to the law's words, from the public legal Q&A archive.

    python -m ingest.learn_vocabulary --archive PATH/legal-qa-vi.tar.xz

Each bold question of the archive comes with the answer that quotes the statute. Over those
pairs (articles of the calibration half only, see ingest/legal_qa_archive.py), a question term
q (a syllable, or a pair of adjacent syllables) is associated with an answer term p when p is
in the answer much more often after q was asked than it is in answers at large, counting only
answers where p is *not* already a word of the question: what the law says that the person
did not ("bỏ vốn" -> "góp vốn", "cãi nhau" -> "tranh chấp", "sổ đỏ" -> "quyền sử dụng đất").

Written to assistant/resources/term_associations.json (committed; statistics only, no
sentence of the archive). The command then scores the associations on the other half of the
archive: how often a question's own answer is ranked first among the report half's answers by
BM25, without and with the learned expansion, and prints it.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections import Counter
from pathlib import Path

from assistant.vocabulary import RESOURCE, expansion, folded_key, question_terms

ROOT = Path(__file__).resolve().parent.parent
OUT = RESOURCE
ANSWER_CHARS = 1500      # the answer's opening: the basis and the statute it quotes
MIN_TERM_PAIRS = 5       # a term must occur in this many questions (or answers) to be learned
MIN_TOGETHER = 3         # ... and the two together in this many pairs
MIN_LIFT = 3.0           # p is at least this many times likelier in answers to q than in answers at large
MIN_PROBABILITY = 0.08   # ... and follows q in at least this share of q's answers
PER_TERM = 4             # expansions kept per question term


def learn(pairs: list[tuple[str, str]]) -> dict[str, list[tuple[str, float]]]:
    """q -> [(p, weight)] from (question, answer) pairs."""
    n = len(pairs)
    q_count: Counter[str] = Counter()
    p_count: Counter[str] = Counter()
    together: Counter[tuple[str, str]] = Counter()
    answers = []
    for question, answer in pairs:
        q_terms, p_terms = question_terms(question), question_terms(answer[:ANSWER_CHARS])
        q_count.update(q_terms)
        p_count.update(p_terms)
        answers.append((q_terms, p_terms))
    for q_terms, p_terms in answers:
        qs = [q for q in q_terms if q_count[q] >= MIN_TERM_PAIRS]
        ps = [p for p in p_terms - q_terms if p_count[p] >= MIN_TERM_PAIRS]
        for q in qs:
            for p in ps:
                together[(q, p)] += 1
    model: dict[str, list[tuple[str, float]]] = {}
    for (q, p), c in together.items():
        if c < MIN_TOGETHER or p in q or q in p:
            continue
        prob = c / q_count[q]
        lift = prob / (p_count[p] / n)
        if lift >= MIN_LIFT and prob >= MIN_PROBABILITY:
            model.setdefault(q, []).append((p, round(prob * math.log(lift), 4)))
    return {q: sorted(ps, key=lambda x: -x[1])[:PER_TERM] for q, ps in model.items()}


WEIGHTS = (0.0, 0.1, 0.2, 0.4)  # expansion scores are added at these shares of their BM25 scores


def evaluate(model, pairs: list[tuple[str, str]], sample: int = 1000, seed: int = 0) -> dict:
    """Rank every answer of `pairs` for a sample of their questions with BM25 over folded
    syllables, without and with the expansion; the share whose own answer comes first and in
    the top 10, and the mean reciprocal rank."""
    import bm25s
    import numpy as np

    from assistant.segment import folded_terms
    corpus = [folded_terms(a[:ANSWER_CHARS]) or ["∅"] for _, a in pairs]
    index = bm25s.BM25()
    index.index(corpus, show_progress=False)
    vocab = index.vocab_dict
    rng = random.Random(seed)
    chosen = rng.sample(range(len(pairs)), min(sample, len(pairs)))
    stats = {f"expansion x{w}": [0, 0, 0.0] for w in WEIGHTS}
    for i in chosen:
        question = pairs[i][0]
        base = [t for t in folded_terms(question) if t in vocab]
        scores = index.get_scores(base) if base else np.zeros(len(pairs))
        extra = expansion(model, question)
        more = np.zeros(len(pairs))
        for p, w in extra.items():
            key = folded_key(p)
            if key in vocab:
                more += w * index.get_scores([key])
        for w in WEIGHTS:
            name, s = f"expansion x{w}", scores + w * more
            rank = int((s > s[i]).sum()) + 1
            stats[name][0] += rank == 1
            stats[name][1] += rank <= 10
            stats[name][2] += 1 / rank if rank <= 10 else 0.0
    k = len(chosen)
    return {name: {"top1": round(a / k, 4), "top10": round(b / k, 4), "mrr10": round(c / k, 4)}
            for name, (a, b, c) in stats.items()} | {"questions": k, "pool": len(pairs)}


def main(argv: list[str] | None = None) -> int:
    from ingest.legal_qa_archive import part_of, read_questions

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, required=True, help="legal-qa-vi.tar.xz or its unpacked folder")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--sample", type=int, default=1000, help="held-out questions scored (default 1000)")
    args = parser.parse_args(argv)
    if not args.archive.exists():
        print(f"error: {args.archive} does not exist", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    questions = read_questions(args.archive)
    train = [(q.text, q.answer) for q in questions if part_of(q.article) == "calibration"]
    held = [(q.text, q.answer) for q in questions if part_of(q.article) == "report"]
    print(f"{len(questions)} question-answer pairs: {len(train)} to learn from, "
          f"{len(held)} held out (split by article)", flush=True)
    model = learn(train)
    built = time.monotonic() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"about": "question term -> [law's term, weight]; learned by ingest/learn_vocabulary.py from the "
                        "calibration half of the public legal Q&A archive (statistics only)",
               "pairs": len(train), "associations": {q: [[p, w] for p, w in ps] for q, ps in sorted(model.items())}}
    args.out.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    size = args.out.stat().st_size
    print(f"learned {len(model)} question terms, {sum(map(len, model.values()))} associations in {built:.0f} s; "
          f"wrote {args.out} ({size / 1e6:.2f} MB)", flush=True)
    report = evaluate(model, held, args.sample)
    print("held-out retrieval of each question's own answer among the report half's answers (BM25):")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
