"""Follow-up questions, resolved without an LLM.

"Còn liên hiệp hợp tác xã thì sao?" after "Cần tối thiểu bao nhiêu thành viên để thành lập hợp
tác xã?" means the previous question with its subject swapped. A follow-up is recognised by
its form ("còn … thì sao", "vậy còn …", a bare "thì sao?"); the change it names replaces the
term of the same kind in the previous question (an organisation type, a member type, a body,
a year), or, when there is none, is joined to the previous question.
"""
from __future__ import annotations

import re

from assistant.text import fold, normalize

# Terms that can stand in for one another; longest first within a class so "liên hiệp hợp tác
# xã" is found before the "hợp tác xã" inside it.
SLOT_CLASSES: list[list[str]] = [
    ["liên hiệp hợp tác xã", "tổ hợp tác", "hợp tác xã"],
    ["thành viên liên kết không góp vốn", "thành viên liên kết góp vốn", "thành viên chính thức",
     "thành viên liên kết"],
    ["Hội đồng quản trị", "Ban kiểm soát", "kiểm soát viên", "Giám đốc", "Đại hội thành viên", "Chủ tịch"],
    ["quyền", "nghĩa vụ", "trách nhiệm"],
    ["tối thiểu", "tối đa", "ít nhất"],
    ["cấp tỉnh", "cấp huyện", "cấp xã"],
    ["thuế, phí và lệ phí", "thuế", "đất đai", "tín dụng", "bảo hiểm", "đào tạo", "khoa học", "công nghệ",
     "thị trường", "xúc tiến thương mại", "kết cấu hạ tầng", "chuyển đổi số", "thương mại điện tử"],
]
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_LEADS = r"^(?:thế còn|vậy còn|còn với|còn đối với|còn|vậy|thế|thế thì|nếu là|nếu|đối với|với)\s+"
_TAILS = r"\s*(?:thì sao|thì thế nào|thì như thế nào|thế nào|như thế nào|thì sao nhỉ|thì sao ạ|thì sao vậy|ra sao|thì ra sao)?\s*(?:ạ|nhỉ|vậy)?\s*[?.!…]*\s*$"
_FOLLOW = re.compile(r"^(?:thế còn|vậy còn|còn)\b|\b(?:thì sao|thì thế nào|thì ra sao)\s*(?:ạ|nhỉ|vậy)?\s*[?.!…]*\s*$")
MAX_FOLLOW_WORDS = 12


def _fold_pattern(text: str) -> str:
    return fold(normalize(text))


def _fold_aligned(text: str) -> str:
    """Fold character by character so positions in the result are positions in text
    (emoji selectors and stray combining marks would otherwise shift them)."""
    out = []
    for ch in text:
        f = fold(ch)
        out.append(f if len(f) == 1 else ch.lower() if len(ch.lower()) == 1 else ch)
    return "".join(out)


def is_follow_up(question: str) -> bool:
    text = " ".join(normalize(question).lower().split())
    words = re.findall(r"\w+", text)
    if not 0 < len(words) <= MAX_FOLLOW_WORDS:
        return False
    if _FOLLOW.search(text):
        return True
    # typed without any diacritics: "con ... thi sao" may be "còn"; with diacritics, "con" is a child
    return fold(text) == text and bool(re.search(_fold_pattern(_FOLLOW.pattern), text))


def change_of(question: str) -> str:
    """What the follow-up asks about instead: 'Còn liên hiệp hợp tác xã thì sao?' -> 'liên hiệp hợp tác xã'."""
    text = " ".join(normalize(question).split())
    folded = _fold_aligned(text)
    m = re.match(_fold_pattern(_LEADS), folded)
    start = m.end() if m else 0
    t = re.search(_fold_pattern(_TAILS), folded[start:])
    end = start + t.start() if t else len(text)
    return text[start:end].strip(" ,;:")


def _find(term: str, text: str) -> tuple[int, int] | None:
    """Span of term in text, matched accent- and case-insensitively (folding keeps lengths)."""
    m = re.search(r"(?<!\w)" + re.escape(fold(term)) + r"(?!\w)", _fold_aligned(text))
    return (m.start(), m.end()) if m else None


def rewrite(question: str, previous: str) -> str:
    """The standalone question a follow-up stands for."""
    change = change_of(question)
    if not change:
        return previous
    year = _YEAR.search(change)
    if year:
        old = _YEAR.search(previous)
        if old:
            return previous[:old.start()] + year.group(0) + previous[old.end():]
    for cls in SLOT_CLASSES:
        new = next((t for t in cls if _find(t, change)), None)
        if not new:
            continue
        for old in cls:
            if fold(old) == fold(new):
                continue
            span = _find(old, previous)
            # "hợp tác xã" inside "liên hiệp hợp tác xã" is not a separate slot
            if span and not any(_find(o, previous) and fold(old) in fold(o) and o != old and
                                _find(o, previous)[0] <= span[0] < _find(o, previous)[1] for o in cls):
                return previous[:span[0]] + change + previous[span[1]:]
    return f"{previous.rstrip(' ?.')} – {change}?"
