"""The public Vietnamese legal Q&A archive (legal-qa-vi.tar.xz: ~14,000 articles from public
legal Q&A pages, all areas of law), read from a path given on the command line.

Each article has a title question, people's questions in bold and under each an answer that
names its basis ("Căn cứ theo khoản 2 Điều 97 Luật Hợp tác xã 2023 ...") and quotes it. The
project never ships the articles' sentences: the benchmarks read them from the archive the
operator points at, and only figures (or derived statistics) leave this module.

Articles are split by a hash of their file name, never by question, so a question and its
neighbours in the same article always fall on the same side.
"""
from __future__ import annotations

import hashlib
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.text import fold

_BOLD_QUESTION = re.compile(r"^\*\*(.+?)\*\*\s*$", re.M)
# Anything about the collective economy: such articles are neither off-topic samples nor safe
# to count as "other areas of law".
_ON_TOPIC = re.compile(r"hop tac xa|\bhtx\b|kinh te tap the|to hop tac|lien minh hop tac")
_BASIS = re.compile(r"(?:Căn cứ(?: theo| vào)?|Theo quy định tại|Theo|Tại)\s+"
                    r"(?P<basis>(?:điểm [a-zđ]\s+)?(?:khoản \d+\s+)?Điều \d+[^\n:]{0,160}?)\s+(?:có )?(?:quy định|như sau)")


@dataclass(frozen=True)
class Question:
    article: str      # file name of the article
    text: str         # the question as the page asks it
    basis: str        # "khoản 2 Điều 97 Luật Hợp tác xã 2023", or "" when the answer names none
    answer: str       # the answer under it (basis and quoted statute text)
    on_topic: bool    # the article mentions cooperatives or the collective economy anywhere


def part_of(article: str) -> str:
    """'calibration' or 'report', from a hash of the article's name."""
    return "calibration" if int(hashlib.sha1(article.encode()).hexdigest(), 16) % 2 == 0 else "report"


def articles(path: Path) -> Iterator[tuple[str, str]]:
    """(file name, text) of every article, in name order."""
    if path.is_dir():
        for f in sorted(path.rglob("*.md")):
            yield f.name, f.read_text(encoding="utf-8", errors="replace")
        return
    # a compressed archive is read once, in its own order (seeking back re-decompresses from the
    # start), then handed out sorted so every run sees the same order
    articles = []
    with tarfile.open(path, "r|*") as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".md"):
                fh = tar.extractfile(member)
                if fh is not None:
                    articles.append((Path(member.name).name, fh.read().decode("utf-8", errors="replace")))
    yield from sorted(articles)


def read_questions(path: Path) -> list[Question]:
    """Every bold question of every article (ending in '?'), with the answer under it."""
    out: list[Question] = []
    for name, text in articles(Path(path)):
        on_topic = bool(_ON_TOPIC.search(fold(text)))
        pieces = _BOLD_QUESTION.split(text)
        seen: set[str] = set()
        for i in range(1, len(pieces) - 1, 2):
            q = " ".join(pieces[i].split())
            if not q.endswith("?") or q in seen or not 15 <= len(q) <= 400:
                continue
            seen.add(q)
            answer = pieces[i + 1].strip()
            m = _BASIS.search(answer[:600])
            out.append(Question(name, q, m.group("basis").strip() if m else "", answer, on_topic))
    return out


def off_topic_sample(questions: list[Question], n: int, part: str) -> list[Question]:
    """A fixed sample of `n` questions on other areas of law, one per article, from one part."""
    pool = [q for q in questions if not q.on_topic and part_of(q.article) == part]
    first: dict[str, Question] = {}
    for q in pool:
        first.setdefault(q.article, q)
    ranked = sorted(first.values(), key=lambda q: hashlib.sha1(q.text.encode()).hexdigest())
    return ranked[:n]
