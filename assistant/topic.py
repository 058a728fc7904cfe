"""Whether a question names what the corpus is about — for reporting only: evaluation counts
refusals of on-topic and off-topic questions apart with it; answerability never looks at it."""
from __future__ import annotations


from assistant.index import OpenIndex, per_index
from assistant.text import STOPWORDS, folded_tokens

TOPIC_SHARE = 0.02  # a title phrase is a topic of the corpus when this share of its chunks holds it


@per_index
def topic_phrases(index: OpenIndex) -> frozenset[str]:
    """What this corpus is about, read from its own titles: three-syllable phrases of the
    document titles that run through its text ("hop tac xa", "kinh te tap", "to hop tac":
    in at least TOPIC_SHARE of the chunks, so title words such as "nâng cao hiệu" or
    "nghị quyết số" are not topics), plus the documents' names and numbers."""
    bodies = [" ".join(folded_tokens(c.text)) for c in index.chunks]
    least = max(5, int(TOPIC_SHARE * len(bodies)))
    phrases: set[str] = set()
    for d in index.documents.values():
        words = folded_tokens(f"{d.title} {d.short}")
        for i in range(len(words) - 2):
            tri = words[i:i + 3]
            if any(w.isdigit() for w in tri) or tri[0] in STOPWORDS or tri[2] in STOPWORDS:
                continue
            tri = " ".join(tri)
            if sum(1 for b in bodies if tri in b) >= least:
                phrases.add(tri)
        phrases |= d.name_forms()
    return frozenset(phrases)


def names_topic(index: OpenIndex, question: str) -> bool:
    """The question names what the corpus is about (a title phrase or a document number)."""
    text = " " + " ".join(folded_tokens(question)) + " "
    return any(f" {p} " in text for p in topic_phrases(index))
