"""Learn the order of candidate passages (assistant/rerank.py) from the project's questions.

    python -m ingest.learn_ranker            # uses the index in ASSISTANT_DATA_DIR (./data)

For every answerable question of the calibration files, the 20 passages retrieval proposes are
described by the features of assistant/rerank.py and labelled by whether the passage holds all
the facts a right answer must contain. A logistic regression (numpy, L2) learns how much each
feature says; the weights go to assistant/resources/ranker.json. The command then prints, on
the calibration files and on the report files it never saw, how often the first candidate
holds the facts in the fused order and in the learned one.

Calibration: tests/data/questions.dev, questions.extra, their no-diacritic variants, and the
odd-numbered half of questions.citizen. Report: questions.more, its no-diacritic variants, the
even half of questions.citizen.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from assistant.rerank import FEATURES, RESOURCE

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
L2 = 0.01
STEPS = 3000
RATE = 0.3


def part(file: str, qid: str) -> str:
    if file in ("questions.dev", "questions.extra"):
        return "calibration"
    if file == "questions.nodiac":
        return "calibration" if qid[0] in "dx" else "report"
    if file == "questions.citizen":
        return "calibration" if int(qid[1:]) % 2 == 1 else "report"
    return "report"


def collect(service, files: list[Path]) -> list[dict]:
    """Per answerable question: its candidates' features and labels."""
    from assistant import answer as answering
    from assistant.answerability import known_act, known_phrase, states
    from assistant.asked import asked_for
    from assistant.evaluation import facts_present, load_questions
    from assistant.question import expand
    from assistant.rerank import features, question_facts
    from assistant.service import RERANK_CANDIDATES

    index = service.index()
    retriever = service._retriever(index)
    out = []
    for path in files:
        for q in load_questions(path):
            if not q.get("all_of"):
                continue
            terms = retriever.terms(expand(q["q"]), q["q"])
            vector = service.embedder.embed_query(terms.text)
            hits = retriever.search(terms, vector, k=RERANK_CANDIDATES, dense_vector=service.dense_query(vector))
            weights = answering.query_weights(index, terms)
            scored = answering.rank_evidence(index, hits, weights)
            asked = asked_for(terms.typed, terms.text, retriever.unit_after, known_phrase(index), known_act(index))
            stated = [all(states(index, s, r) for r in asked.requirements) for s in scored]
            out.append({"file": path.stem, "id": q["id"], "part": part(path.stem, q["id"]),
                        "x": features(scored, stated, question_facts(terms.text)).tolist(),
                        "y": [float(facts_present(s.hit.chunk.text, q["all_of"])) for s in scored]})
    return out


def fit(groups: list[dict]) -> dict:
    x = np.asarray([row for g in groups for row in g["x"]], dtype=np.float64)
    y = np.asarray([v for g in groups for v in g["y"]], dtype=np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(STEPS):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= RATE * (z.T @ (p - y) / len(y) + L2 * w)
        b -= RATE * float((p - y).mean())
    return {"features": list(FEATURES), "mean": mean.tolist(), "scale": scale.tolist(),
            "weights": w.round(4).tolist(), "bias": round(b, 4)}


def first_holds(groups: list[dict], model: dict | None) -> float:
    hits = 0
    for g in groups:
        x = np.asarray(g["x"])
        if model is None:
            best = 0
        else:
            score = ((x - np.asarray(model["mean"])) / np.asarray(model["scale"])) @ np.asarray(model["weights"])
            best = int(np.argsort(-score, kind="stable")[0])
        hits += g["y"][best] > 0
    return round(hits / len(groups), 3) if groups else 0.0


def main(argv: list[str] | None = None) -> int:
    from assistant.config import SettingsError, load_settings
    from assistant.service import AssistantService

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=RESOURCE)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    service = AssistantService(settings)
    files = [DATA / f"questions.{n}.jsonl" for n in ("dev", "extra", "more", "nodiac", "citizen")]
    groups = collect(service, files)
    calibration = [g for g in groups if g["part"] == "calibration"]
    model = fit(calibration)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model, indent=1), encoding="utf-8")
    print(f"learned from {len(calibration)} questions ({sum(len(g['y']) for g in calibration)} passages); "
          f"wrote {args.out}")
    print(dict(zip(FEATURES, model["weights"])))
    print("share of questions whose first candidate holds every fact: fused order -> learned order")
    for name in ("calibration", "report"):
        by_file: dict[str, list[dict]] = {}
        for g in groups:
            if g["part"] == name:
                by_file.setdefault(g["file"], []).append(g)
        for file, gs in by_file.items():
            print(f"  {name:12} {file:22} {len(gs):4}  {first_holds(gs, None):.3f} -> {first_holds(gs, model):.3f}")
    service.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
