"""Word segmentation, for ingest and for questions alike.

At ingest, underthesea finds the compound words of the corpus ("hợp_tác_xã", "vốn_điều_lệ");
it is imported only then (it is slow to import and, where torch is installed, pulls torch in).
Passages and questions are both segmented by longest match against that vocabulary, so a
question splits the way the documents were split and no NLP library is imported per request.
"""
from __future__ import annotations

from assistant.text import STOPWORDS, fold, tokens, with_bigrams

MAX_WORD = 4  # syllables in the longest compound we look for


def max_match(syllables: list[str], vocabulary: set[str] | frozenset[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(syllables):
        for n in range(min(MAX_WORD, len(syllables) - i), 1, -1):
            word = "_".join(syllables[i:i + n])
            if word in vocabulary:
                out.append(word)
                i += n
                break
        else:
            out.append(syllables[i])
            i += 1
    return out


def drop_stopwords(words: list[str]) -> list[str]:
    return [w for w in words if w not in STOPWORDS]


def folded_terms(text: str) -> list[str]:
    """Accent-folded syllables and syllable pairs of text (stopwords kept inside pairs)."""
    return with_bigrams([fold(t) for t in tokens(text)])


# Compounds of the corpus made of function syllables that are the question's form, not its
# topic: "thì phải làm gì", "có thể … không", "bao gồm những gì". Each syllable is a stopword, but
# as one word they passed the stopword test and weighed in a question's terms as much as its
# topic did ("Tôi muốn lập hợp tác xã … thì phải làm thủ tục gì?"). Not "làm_việc" ("ngày làm
# việc" is a unit) or "việc_làm" (jobs): those are content, although their syllables are not.
FORM_COMPOUNDS = frozenset({"thì_phải", "có_thể", "không_thể", "bao_gồm"})


class QuerySegmenter:
    def __init__(self, vocabulary: set[str]) -> None:
        self.vocabulary = frozenset(vocabulary)

    def words(self, text: str) -> list[str]:
        return [w for w in drop_stopwords(max_match(tokens(text), self.vocabulary)) if w not in FORM_COMPOUNDS]



_tokenize = None


# underthesea's package imports every optional pipeline it has (classification, translation:
# transformers, and torch where installed), ~1.6 s before the first word, for a tokenizer that
# needs none of them; its get_optional_import takes an ImportError as "not installed".
_UNUSED_PIPELINES = ("underthesea.pipeline.classification", "underthesea.pipeline.sentiment",
                     "underthesea.pipeline.lang_detect", "underthesea.pipeline.dependency_parse",
                     "underthesea.pipeline.translate", "underthesea.agent", "underthesea.address")


def _underthesea():
    global _tokenize
    if _tokenize is None:
        import sys

        blocked = [m for m in _UNUSED_PIPELINES if m not in sys.modules]
        for m in blocked:
            sys.modules[m] = None  # Python's own way to make an import fail at once
        try:
            from underthesea import word_tokenize
        finally:
            # an explicit import of one of them still works later; underthesea's own names for
            # them (underthesea.translate …) stay None in this process: nothing here uses them
            for m in blocked:
                if sys.modules.get(m, 0) is None:
                    del sys.modules[m]
        _tokenize = word_tokenize
    return _tokenize


def compounds(text: str) -> set[str]:
    """Multi-syllable words underthesea finds in text, as 'hợp_tác_xã' (ingest only). Numbers and
    document numbers never become part of a compound: our own tokenizer keeps them whole."""
    found = set()
    for word in _underthesea()(text):
        parts = word.lower().split()
        if 1 < len(parts) <= MAX_WORD and all(p.isalpha() for p in parts):
            found.add("_".join(parts))
    return found


def segment(text: str, vocabulary: set[str]) -> list[str]:
    return drop_stopwords(max_match(tokens(text), vocabulary))
