"""`assistant eval`: score a question file in the dev-set format.

A question is answered right when every `all_of` group has one alternative in the answer,
compared case- and accent-insensitively; `kind: oos` questions (or an empty `all_of`) are right
when refused. Refusal is reported apart for out-of-scope questions that name the corpus's
topic (cooperatives, the collective economy, the documents: only what they ask tells they are
not answered) and for those that do not.
"""
from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

from assistant.answer import see_also
from assistant.question import expand
from assistant.text import fold, normalize
from assistant.topic import names_topic


class EvalFileError(ValueError):
    pass


def load_questions(path: Path) -> list[dict]:
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{path}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(q, dict) or not isinstance(q.get("q"), str) or not isinstance(q.get("all_of", []), list):
            raise EvalFileError(f"{path}:{n}: needs 'q' (string) and 'all_of' (list of lists)")
        q.setdefault("id", f"line{n}")
        q.setdefault("kind", "oos" if not q.get("all_of") else "in")
        questions.append(q)
    return questions


def _key(text: str) -> str:
    return " ".join(fold(normalize(text)).split())


def facts_present(text: str, all_of: list[list[str]]) -> bool:
    hay = _key(text)
    return all(any(_key(alt) in hay for alt in group) for group in all_of)


_UNIT = re.compile(r"(?:điểm\s+(?P<p>[a-zđ])\s+)?(?:khoản\s+(?P<k>[\d.]+)\s+)?Điều\s+(?P<d>\d+[a-zđ]?)\b"
                   r"|Mục\s+(?P<m>[IVXLC]+(?:\.\d+)*)(?![\w.])")


def _unit(label: str) -> tuple | None:
    m = _UNIT.search(label or "")
    if not m:
        return None
    if m.group("m"):
        return ("muc", *m.group("m").split("."))
    return ("dieu", m.group("d"), m.group("k"), m.group("p"))


def label_matches(expected: str, cited: str) -> bool:
    """The citation names the expected unit, a unit inside it, or the article/section around it.
    Compared part by part, so "khoản 1 Điều 5" is not matched by "khoản 1 Điều 50"."""
    e, c = _unit(expected), _unit(cited)
    if not e or not c or e[0] != c[0]:
        return False
    if e[0] == "muc":
        n = min(len(e), len(c))
        return e[:n] == c[:n]
    if e[1] != c[1]:
        return False
    return all(x is None or y is None or x == y for x, y in zip(e[2:], c[2:]))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    i = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[i]


FIRST_SEEN = 400  # characters a reader sees first on a phone


def _spread(chars: list[int]) -> dict:
    return {"median": round(statistics.median(chars)) if chars else 0,
            "p90": round(percentile(chars, 90)) if chars else 0, "max": max(chars) if chars else 0}


def _shape(shape: dict[str, list], answerable: int) -> dict:
    """Accuracy of the lead alone and of the first 400 characters (over all answerable
    questions, like answer_accuracy), answer length and passages per answer, overall and by kind."""
    def summary(idx: list[int], n: int) -> dict:
        chars = [shape["chars"][i] for i in idx]
        leads = [shape["lead"][i] for i in idx if shape["lead"][i] is not None]
        return {"lead_accuracy": round(sum(leads) / n, 4) if n and leads else None,
                "first_400_accuracy": round(sum(shape["first"][i] for i in idx) / n, 4) if n else None,
                "answer_chars": _spread(chars),
                # as a text client shows it (assistant ask): the answer and its "Xem thêm" titles
                "shown_chars": _spread([shape["shown"][i] for i in idx]),
                "passages_per_answer": round(statistics.mean(shape["passages"][i] for i in idx), 2) if idx else 0.0}
    every = list(range(len(shape["chars"])))
    by_kind = {}
    for kind in sorted(set(shape["kind"])):
        idx = [i for i in every if shape["kind"][i] == kind]
        by_kind[kind] = summary(idx, len(idx))
    return summary(every, answerable) | {"shape_by_kind": by_kind}


def _rate(refused: int, questions: int) -> dict:
    return {"questions": questions, "rate": round(refused / questions, 4) if questions else None}


def evaluate(service, questions: list[dict], k: int = 5) -> dict:
    latencies: list[float] = []
    right = answerable = recall_hits = first_hits = refused = oos = cited = answered = label_ok = labelled = 0
    failures: list[dict] = []
    kinds: dict[str, list[int]] = {}
    modes: dict[str, list[int]] = {}   # answer path -> [right, answerable questions it answered]
    topical = {True: [0, 0], False: [0, 0]}  # names the topic -> [refused, out-of-scope questions]
    # where a reader sees the fact, and how much there is to read, per answered question
    shape: dict[str, list] = {"lead": [], "first": [], "chars": [], "shown": [], "passages": [], "kind": []}
    ask = getattr(service, "ask", service.answer)  # the full path: the LLM's when one is configured
    index = service.index()
    for q in questions:
        t0 = time.perf_counter()
        result = ask(q["q"])
        latencies.append((time.perf_counter() - t0) * 1000)
        if q["kind"] == "oos" or not q.get("all_of"):
            oos += 1
            refused += not result.found
            on_topic = names_topic(index, expand(q["q"]))
            topical[on_topic][0] += not result.found
            topical[on_topic][1] += 1
            if result.found:
                failures.append({"id": q["id"], "why": f"out of scope ({'on' if on_topic else 'off'}-topic) but answered"})
            continue
        answerable += 1
        if result.found:
            answered += 1
            cited += bool(result.citations)
        ok = result.found and facts_present(result.answer, q["all_of"])
        right += ok
        if result.found:
            lead = getattr(result, "lead", "") or ""
            shape["lead"].append(facts_present(lead, q["all_of"]) if lead else None)
            shape["first"].append(facts_present(result.answer[:FIRST_SEEN], q["all_of"]))
            shape["chars"].append(len(result.answer))
            more = see_also(getattr(result, "related", []))
            shape["shown"].append(len(result.answer) + (len(more) + 1 if more else 0))
            shape["passages"].append(len(result.citations))
            shape["kind"].append(q["kind"])
        kinds.setdefault(q["kind"], [0, 0])
        kinds[q["kind"]][0] += ok
        kinds[q["kind"]][1] += 1
        mode = modes.setdefault(getattr(result, "mode", "extractive"), [0, 0])
        mode[0] += ok
        mode[1] += 1
        if "label" in q:
            labelled += 1
            label_ok += any(label_matches(q["label"], c.label) and q.get("doc") in (None, "both", c.doc_id)
                            for c in result.citations)
        results = service.search(q["q"], k=k)
        recall_hits += facts_present(" ".join(r.text for r in results), q["all_of"])
        first_hits += bool(results) and facts_present(results[0].text, q["all_of"])
        if not ok:
            failures.append({"id": q["id"], "why": "refused" if not result.found else "facts missing"})
    return {
        "questions": len(questions),
        "answerable": answerable,
        "answer_accuracy": round(right / answerable, 4) if answerable else None,
        f"search_recall_at_{k}": round(recall_hits / answerable, 4) if answerable else None,
        "search_recall_at_1": round(first_hits / answerable, 4) if answerable else None,
        "cited_rate": round(cited / answered, 4) if answered else None,
        "label_accuracy": round(label_ok / labelled, 4) if labelled else None,
        "accuracy_by_kind": {k: round(r / n, 4) for k, (r, n) in sorted(kinds.items())},
        "by_mode": {m: {"questions": n, "answer_accuracy": round(r / n, 4)} for m, (r, n) in sorted(modes.items())},
        **_shape(shape, answerable),
        "out_of_scope": oos,
        "refusal_rate": round(refused / oos, 4) if oos else None,
        "refusal_on_topic": _rate(*topical[True]),
        "refusal_off_topic": _rate(*topical[False]),
        "latency_ms": {"p50": round(statistics.median(latencies), 1) if latencies else 0.0,
                       "p95": round(percentile(latencies, 95), 1)},
        "failures": failures,
    }
