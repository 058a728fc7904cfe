"""Vietnamese text handling shared by ingest and queries.

Documents and queries go through the same functions, so "hoá"/"hóa", "uỷ"/"ủy", NFD input
from a phone keyboard and text typed without diacritics all meet the index on equal terms.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # huyền sắc hỏi ngã nặng
_PAIRS = (("o", "a"), ("o", "e"), ("u", "y"))


def _tone_table() -> dict[str, str]:
    """Map new-style endings ("oá", "uỷ") to the classic style the legal corpus uses ("óa", "ủy")."""
    table = {}
    for first, second in _PAIRS:
        for tone in _TONES:
            for f, s in ((first, second), (first.upper(), second), (first.upper(), second.upper())):
                new = unicodedata.normalize("NFC", f + s + tone)
                old = unicodedata.normalize("NFC", f + tone + s)
                table[new] = old
    return table


_TONE_TABLE = _tone_table()
# Only at the end of a syllable: "hoàng" keeps its tone where it is in both conventions.
# After "q" the "u" belongs to the consonant, so "quý" is already right.
_TONE_RE = re.compile(r"(?<![qQ])(" + "|".join(map(re.escape, _TONE_TABLE)) + r")(?!\w)")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")


# Passage-sized texts are kept (the last 8,192 of up to 4,000 characters: at most ~64 MB, some 5
# MB with the shipped corpus's passages, whose longest is 2,118): the answer path normalizes the
# same passages question after question (~0.8 ms a question in regular expressions). A longer
# text (a document's block at ingest) is normalized each time and never held.
NORMALIZE_CACHED_CHARS = 4000


def normalize(text: str) -> str:
    """NFC, classic tone placement, one kind of space. Case and punctuation are kept."""
    return _normalize_kept(text) if len(text) <= NORMALIZE_CACHED_CHARS else _normalize(text)


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _TONE_RE.sub(lambda m: _TONE_TABLE[m.group(1)], text)
    return _SPACES.sub(" ", text)


_normalize_kept = lru_cache(maxsize=8192)(_normalize)


# Vietnamese capital letters, for a regular expression's character class ("[{UPPER}]"): a
# name's capital tells it from the same words in running text ("Bộ Tài chính", "bộ hồ sơ")
UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"


def _fold_char(ch: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn").replace("đ", "d")


class _FoldTable(dict):
    """str.translate's table for fold, each character's entry made the first time it is met:
    the answer path folds a few hundred passages per question, and a Python loop over their
    characters cost ~1.5 ms a question."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower-case and strip every diacritic: 'Hợp tác xã' -> 'hop tac xa'. Character by
    character, as a whole-text NFD would do it: canonical decomposition does not cross
    characters, and the combining marks it reorders are the ones removed."""
    return text.lower().translate(_FOLD)


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


# Document numbers, dates, percentages and amounts are one token each: "17/2023/QH15",
# "92/2024/NĐ-CP", "01/7/2024", "20%", "3.000.000".
TOKEN_RE = re.compile(r"\d+(?:[./,-]\d+)*(?:/[^\W_]+(?:-[^\W_]+)*)*%?|[^\W_]+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Lower-cased syllables and protected numbers of normalised text."""
    return [t.lower() for t in TOKEN_RE.findall(normalize(text))]


def folded_tokens(text: str) -> list[str]:
    return [fold(t) for t in tokens(text)]


def with_bigrams(syllables: list[str]) -> list[str]:
    """Unigrams plus adjacent pairs: pairs carry most of the meaning of folded Vietnamese
    ("hop tac" is not "tac xa")."""
    return syllables + [f"{a}_{b}" for a, b in zip(syllables, syllables[1:])]


# Words that carry the question's form, not its topic. Used to find content terms for
# coverage and to keep question phrasing out of BM25 queries.
STOPWORDS = frozenset("""
a à ạ ơi ạh ah vậy vay thì thi là la và va của cua các cac những nhung cho có co không khong được duoc
bị bi bởi boi với voi về ve tại tai trong từ tu đến den để de khi nào nao gì gi ai đâu dau sao thế the
bao nhiêu nhieu lâu lau mấy may hay hoặc hoac này nay đó do kia ấy ay nếu neu thể như nhu theo ở
tôi toi chúng chung ta mình minh bạn ban em anh chị chi ông ong bà ba cháu chau xin hỏi hoi cảm cam ơn on
muốn muon cần can phải phai làm lam gồm gom việc viec sự su nhé nhe nha hả ha chứ chu đã da sẽ se đang dang
rằng rang cũng cung thì vẫn van còn con nữa nua rồi roi lại lai mà ma ra vào vao lên len xuống xuong
một mot hai ba năm nam tháng thang ngày ngay những nhung mỗi moi các cac cái cai người nguoi
""".split())

