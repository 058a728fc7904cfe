"""Putting diacritics back on a query typed without them ("thanh lap hop tac xa" ->
"thành lập hợp tác xã"), with a syllable bigram model of the corpus and Viterbi decoding.

The model is counted at ingest from the indexed text itself, so it knows exactly the
vocabulary the search can match. Syllables the user did type with diacritics are kept as
typed and only steer their neighbours; a bare syllable that also exists bare in the corpus
("ban", "xa") stays a candidate as itself.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from functools import lru_cache
from pathlib import Path

from assistant.text import TOKEN_RE, fold, normalize

LAMBDA = 0.8  # weight of the bigram estimate against the unigram one
# People's questions counted the same way (ingest/learn_question_syllables.py, from the public
# legal Q&A archive): added to the documents' counts at this weight
QUESTIONS_RESOURCE = Path(__file__).resolve().parent / "resources" / "question_syllables.json"
QUESTIONS_WEIGHT = 0.3
# How people ask, which legal text rarely says: counted as if seen PHRASE_WEIGHT times each, so
# "bao nhieu" becomes "bao nhiêu", not "báo nhiều".
QUESTION_PHRASES = """
bao nhiêu | bao lâu | bao giờ | khi nào | lúc nào | ở đâu | là gì | là ai | như thế nào | thế nào |
những gì | những ai | có được không | có phải không | được không | có không | phải không |
tôi muốn | tôi có | chúng tôi | gia đình tôi | con tôi | bố tôi | mẹ tôi | cho tôi hỏi | xin hỏi |
cần gì | cần những gì | cần làm gì | làm thế nào | làm sao | mấy người | mấy năm | mấy ngày | tối thiểu mấy |
bao nhiêu người | bao nhiêu phần trăm | bao nhiêu ngày | bao nhiêu năm | bao nhiêu tuổi | tuổi |
mới | cũ | còn | nữa | thì sao | được không ạ | dân số | được giữ | có được | không được |
bị phạt | phạt bao nhiêu | mức phạt | tiền phạt | giá bao nhiêu | giá là bao nhiêu | bao nhiêu tiền | mấy tiền |
chi phí | giá cả | công ty | công ty nào | ngân hàng nào | trường nào | rẻ hơn | tốt hơn | có lợi hơn |
hiệu quả hơn | chậm nộp | tên là gì | tên gì | năm nào | tháng mấy | số điện thoại | ở đâu | lãi suất
"""
PHRASE_WEIGHT = 30


def count_syllables(texts: list[str]) -> dict:
    uni: Counter[str] = Counter()
    bi: Counter[str] = Counter()
    phrases = [p.strip() for p in QUESTION_PHRASES.split("|") if p.strip()]
    for text, weight in [(t, 1) for t in texts] + [(p, PHRASE_WEIGHT) for p in phrases]:
        sylls = [t.lower() for t in TOKEN_RE.findall(normalize(text)) if t.isalpha()]
        for syl in sylls:
            uni[syl] += weight
        for a, b in zip(sylls, sylls[1:]):
            bi[f"{a} {b}"] += weight
    return {"unigrams": dict(uni), "bigrams": dict(bi)}


@lru_cache(maxsize=1)
def question_counts(path: Path = QUESTIONS_RESOURCE) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


class _Counts:
    """One source's syllable model: p(cur | prev), the pair's share of prev's count mixed with
    cur's share of all syllables (LAMBDA)."""

    def __init__(self, model: dict) -> None:
        self.uni: dict[str, int] = model.get("unigrams", {})
        self.bi: dict[str, int] = model.get("bigrams", {})
        self.total = max(1, sum(self.uni.values()))

    def p(self, prev: str | None, cur: str) -> float:
        p_uni = (self.uni.get(cur, 0) + 0.1) / (self.total + 0.1 * len(self.uni) + 1)
        if prev is None:
            return p_uni
        c_prev = self.uni.get(prev, 0)
        p_bi = self.bi.get(f"{prev} {cur}", 0) / c_prev if c_prev else 0.0
        return LAMBDA * p_bi + (1 - LAMBDA) * p_uni


class Restorer:
    def __init__(self, model: dict, questions: dict | None = None, weight: float = QUESTIONS_WEIGHT) -> None:
        """`model`: the documents' counts (count_syllables); `questions`: people's questions'
        counts — legal text seldom says "mất bao lâu" or "trong tỉnh tôi" —, whose probability
        is mixed in at `weight` (each source normalised by its own counts)."""
        self.documents = _Counts(model)
        self.questions = _Counts(questions) if questions and weight > 0 else None
        self.weight = weight if self.questions else 0.0
        # what either has; a bare syllable only the questions have is a question typed partly
        # without diacritics ("gom", "gi", "tro"), not a reading of its own
        self.uni = {**{k: v for k, v in (self.questions.uni if self.questions else {}).items() if k != fold(k)},
                    **self.documents.uni}
        self.candidates: dict[str, list[str]] = {}
        for syll in self.uni:
            self.candidates.setdefault(fold(syll), []).append(syll)

    def _logp(self, prev: str | None, cur: str) -> float:
        p = self.documents.p(prev, cur)
        if self.questions is not None:
            p = (1 - self.weight) * p + self.weight * self.questions.p(prev, cur)
        return math.log(p)

    def needs_restoring(self, text: str) -> bool:
        return any(t.isalpha() and t == fold(t) and fold(t) in self.candidates
                   and self.candidates[fold(t)] != [t] for t in TOKEN_RE.findall(normalize(text).lower()))

    def restore(self, text: str, typed_bare: bool = False) -> str:
        """Text with diacritics restored on bare syllables; everything else as typed.
        `typed_bare`: the person typed without diacritics, whatever the text now has (an
        abbreviation spelled out, "hdqt" -> "hội đồng quản trị", brings its own accents)."""
        text = normalize(text)
        pieces = TOKEN_RE.findall(text)
        if not pieces:
            return text
        words = [p for p in pieces if p.isalpha()]
        # A query typed mostly with diacritics means its bare syllables are probably meant bare
        # ("ban", "xa"); only bare forms the corpus never has are then restored.
        mostly_accented = not typed_bare and sum(1 for w in words if fold(w) != w.lower()) >= 0.5 * max(1, len(words))
        lattice: list[list[str]] = []
        for p in pieces:
            low = p.lower()
            bare = p.isalpha() and low == fold(low) and low in self.candidates
            if bare and not (mostly_accented and low in self.uni):
                lattice.append(self.candidates[low])
            else:
                lattice.append([low])
        # Viterbi over the candidate lattice
        best: dict[str, tuple[float, list[str]]] = {c: (self._logp(None, c), [c]) for c in lattice[0]}
        for options in lattice[1:]:
            nxt: dict[str, tuple[float, list[str]]] = {}
            for c in options:
                score, path = max(((s + self._logp(prev, c), p) for prev, (s, p) in best.items()),
                                  key=lambda sp: sp[0])
                nxt[c] = (score, path + [c])
            best = nxt
        chosen = max(best.values(), key=lambda sp: sp[0])[1]
        # rebuild the text with the chosen syllables, keeping punctuation and case of the rest
        out, pos = [], 0
        for piece, choice in zip(pieces, chosen):
            start = text.index(piece, pos)
            out.append(text[pos:start])
            out.append(choice if piece.lower() != choice else piece)
            pos = start + len(piece)
        out.append(text[pos:])
        return "".join(out)
