"""What kind of answer a question wants, from its wording (accent-insensitive, so typing
without diacritics gets the same treatment)."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.text import fold, folded_tokens, normalize

_ABBREVIATIONS = [  # typed shorthand -> the documents' words; longest first
    (r"\blhhtx\b", "liên hiệp hợp tác xã"),
    (r"\bhtx\b", "hợp tác xã"),
    (r"\btht\b", "tổ hợp tác"),
    (r"\bktt\b", "kinh tế tập thể"),
    (r"\bđhtv\b|\bdhtv\b", "đại hội thành viên"),
    (r"\bhđqt\b|\bhdqt\b", "hội đồng quản trị"),
    (r"\bubnd\b", "ủy ban nhân dân"),
    (r"(?<![/\w])(?:nđ|nd)\b(?=\s*\d)", "nghị định"),
    (r"(?<![/\w])nq\b(?=\s*\d)", "nghị quyết"),
    (r"\bđkkd\b|\bdkkd\b", "đăng ký kinh doanh"),
]


# The law's wording for what people ask in other words. Used only for the lexical fields:
# the dense model sees the question as asked.
_EQUIVALENTS = [
    ("tối thiểu", "ít nhất"), ("tối đa", "không quá", "nhiều nhất"), ("mấy", "bao nhiêu"),
    ("bao lâu", "thời hạn"), ("vào hợp tác xã", "gia nhập", "trở thành thành viên"),
    ("rút khỏi", "ra khỏi", "chấm dứt tư cách thành viên"), ("đổi tên", "thay đổi tên"),
    ("lập", "thành lập"), ("mở", "thành lập"), ("đóng cửa", "giải thể"), ("phá sản", "phá sản"),
    ("giấy phép", "giấy chứng nhận đăng ký"), ("cấp lại", "cấp lại"), ("mất", "chết"),
    ("vay", "cho vay nội bộ"), ("lương", "tiền lương, tiền công, thù lao"),
    # how many are needed is the least the law requires
    ("cần bao nhiêu", "cần mấy", "ít nhất", "tối thiểu"),
]


def equivalents_in(text: str) -> list[tuple[str, list[str]]]:
    """Each phrase of the question that the documents may say otherwise, with their phrases
    for it. Matched with accents ("lượng" is not "lương"); the caller passes the question with
    diacritics restored."""
    f = " " + " ".join(re.findall(r"\w+", normalize(text).lower())) + " "
    found: list[tuple[str, list[str]]] = []
    for group in _EQUIVALENTS:
        present = [p for p in group if " " + p + " " in f]
        found.extend((p, [o for o in group if o not in present]) for p in present)
    return [(p, others) for p, others in found if others]


def lexical_expansions(text: str) -> list[str]:
    """Phrases the documents would use for what the question says."""
    extra: list[str] = []
    for _, others in equivalents_in(text):
        extra.extend(o for o in others if o not in extra)
    extra.extend(d for d in same_duration(text) if d not in extra)
    if _COUNT_FOR_LEAST.search(normalize(text).lower()):
        extra.extend(p for p in ("ít nhất", "tối thiểu") if p not in extra)
    return extra


# "Mấy người thì lập được hợp tác xã?", "bao nhiêu tuổi mới được vào?": how many it takes for
# something to be allowed is the least the law requires, as "cần bao nhiêu" is
_COUNT_FOR_LEAST = re.compile(r"\b(?:bao nhiêu|mấy)\b[^.?!]*?\b(?:thì|mới|để)\b[^.?!]*?\bđược\b")


def same_duration(text: str) -> list[str]:
    """A duration in years as the law writes it in months, and back ("1 năm" is "12 tháng",
    "24 tháng" is "02 năm": the law writes numbers under ten with a zero)."""
    out: list[str] = []
    for n, unit in re.findall(r"\b(\d{1,2})\s+(năm|tháng)\b", normalize(text).lower()):
        n = int(n)
        if unit == "năm" and 0 < n <= 5:
            out.append(f"{12 * n} tháng")
        elif unit == "tháng" and n and n % 12 == 0:
            out.append(f"{n // 12:02d} năm")
    return out


# What a count is counted in, as the documents write it: "mấy người" is answered by "05 thành viên".
_UNIT_FORMS = {"người": r"(?:người|thành viên|cá nhân)", "phần trăm": "%", "%": "%"}
_NUMBER = r"\d+(?:[.,]\d+)*"
_TIME_UNITS = r"(?:ngày|tháng|năm|giờ|tuần)"


# "Mấy hộ trong xóm tính làm chung …, thì dựa trên giấy tờ gì?": a message that opens with
# "mấy" + a noun and asks with another word later is telling who, not asking how many
# ("Mấy tuổi thì được vào hợp tác xã?" asks: nothing else in it does).
_ASKS_LATER = re.compile(r"\b(?:gi|nao|sao|dau|bao nhieu|bao lau|khong|chua)\b")


def leading_few(text: str, start: int) -> bool:
    """Whether the "mấy" at `start` opens its sentence and another word of the sentence asks."""
    if text[:start].strip() and not re.search(r"[.!?]\s*$", text[:start]):
        return False
    sentence = re.split(r"(?<=[.!?])\s", text[start:], maxsplit=1)[0]
    return bool(_ASKS_LATER.search(" ".join(folded_tokens(sentence)[2:])))


def quantity_pattern(text: str, unit_after: "Callable[[str], str | None]") -> str | None:
    """A regular expression for what the answer to a quantity question looks like in the text:
    "bao nhiêu thành viên" -> "05 thành viên", "bao lâu" -> "30 ngày", "tỷ lệ" -> "20%".
    `unit_after` reads the word that follows a counting phrase (the index's own segmentation,
    so "ngày làm việc" and "hợp tác xã" stay whole). Nothing for other questions."""
    t = " ".join(re.findall(r"[\w%]+", normalize(text).lower()))
    if re.search(r"\b(bao lâu|thời hạn)\b", t):
        return rf"\b{_NUMBER}\s+{_TIME_UNITS}\b"
    if re.search(r"\b(tỷ lệ|tỉ lệ|phần trăm)\b", t):
        return rf"{_NUMBER}\s*%"
    m = re.search(r"\b(?:bao nhiêu|mấy)\s+(.+)$", t)
    if not m or leading_few(t, m.start()):
        return None
    unit = unit_after(m.group(1))
    if not unit:
        return None
    form = _UNIT_FORMS.get(unit, r"\s+".join(re.escape(w) for w in unit.split()))
    # a few words may come between number and unit: "03 hợp tác xã là thành viên" counts members
    return rf"{_NUMBER}\s*%" if form == "%" else rf"\b{_NUMBER}\s+(?:\w+\s+){{0,4}}?{form}\b"


def expand(question: str) -> str:
    text = normalize(question)
    for pattern, full in _ABBREVIATIONS:
        text = re.sub(pattern, full, text, flags=re.I)
    return text


def _has(folded: str, *phrases: str) -> bool:
    return any(re.search(r"(?<!\w)" + p + r"(?!\w)", folded) for p in phrases)


_ASKED_NOUN = r"(?:ho so|giay to|dieu kien|nghia vu|nhiem vu|(?<!uy )(?<!tham )quyen)"
_ASKING = r"(?:o dau|nao|ai|khong|chua|bao lau|bao nhieu|khi nao|the nao|ra sao|gi|may)"


@dataclass(frozen=True)
class QuestionType:
    number: bool = False     # bao nhiêu, tối thiểu, tối đa, tỷ lệ
    time: bool = False       # khi nào, bao lâu, thời hạn
    who: bool = False        # ai, cơ quan nào
    listing: bool = False    # gồm những gì, những trường hợp nào
    yesno: bool = False      # … có … không?
    greeting: bool = False   # xin chào, bạn là ai
    instruction: bool = False  # tries to instruct the assistant ("bỏ qua mọi hướng dẫn", "system prompt")


# "ai" after a negation in the same clause is "anyone", not "who": "không ủy quyền cho ai", "mà
# không báo cho ai thì có bị thu hồi …?", "chưa ai biết"; "không biết ai cấp …", "không nhớ ai …"
# still ask who, and so does an "ai" past "thì", "mà", "nên" … ("Giám đốc không ký thì ai ký
# thay?"). Read with the accents when the question has them: "chứa", "chùa", "chàng" and "chẳng
# hạn" are no negation …
_INDEFINITE_AI = re.compile(r"\b(?:không|chẳng|chưa|ko)\b(?!\s+(?:biết|rõ|hiểu|chắc|nhớ|hạn)\b)"
                            r"(?:\s+(?!thì\b|mà\b|nên\b|vậy\b|nhưng\b)\w+){0,4}?\s+ai\b")
# … and typed without them, where "chua" and "chang" may be any of those, only right before the
# "ai" ("chua ai biet", "chang co ai")
_INDEFINITE_AI_BARE = re.compile(r"\b(?:khong|ko)\b(?!\s+(?:biet|ro|hieu|chac|nho)\b)"
                                 r"(?:\s+(?!thi\b|ma\b|nen\b|vay\b|nhung\b)\w+){0,4}?\s+ai\b"
                                 r"|\b(?:chua|chang)\s+(?:co\s+)?ai\b")


def _without_indefinite_ai(question: str, folded: str) -> str:
    """The folded question with each "ai" that means "anyone" taken out (the words around it stay)."""
    low = normalize(question).lower()
    if fold(low) != low:
        return fold(_INDEFINITE_AI.sub(_drop_ai, low)).strip()
    return _INDEFINITE_AI_BARE.sub(_drop_ai, folded)


def _drop_ai(match: re.Match) -> str:
    return match.group(0)[:-2]  # each match ends with the "ai"


def classify(question: str) -> QuestionType:
    f = fold(normalize(question)).strip()
    words = re.findall(r"\w+", f)
    number = _has(f, "bao nhieu", "toi thieu", "toi da", "ty le", "phan tram", "may", "it nhat", "muc")
    time = _has(f, "khi nao", "bao lau", "thoi han", "tu ngay nao", "ngay nao", "luc nao", "thoi gian",
                "bao nhieu ngay", "han chot", "hieu luc")
    who = _has(_without_indefinite_ai(question, f), "ai", "co quan nao", "don vi nao", "cap nao",
               "so nao", "ban nao", "to chuc nao", "chu tri", "tham quyen", "trach nhiem")
    listing = _has(f, "gom", "bao gom", "nhung gi", "nhung ai", "nhung truong hop", "cac truong hop",
                   "nhung noi dung", r"(?:nhung|cac) quyen",
                   # the papers, conditions, rights or duties asked for ("hồ sơ … gồm những gì",
                   # "điều kiện để được cấp giấy … là gì", "có quyền gì", "Quyền của thành viên?"),
                   # not named on the way to another question ("nộp hồ sơ ở đâu", "tài liệu trong
                   # hồ sơ … thì phải làm thế nào", "Ai có quyền khai trừ …?", "bị xâm phạm quyền
                   # lợi thì … có bảo vệ không?"); "ủy quyền", "thẩm quyền" are no rights
                   _ASKED_NOUN + r"(?:,?\s+\w+){0,10}?\s+(?:gi|ra sao|(?<!ngay )(?<!nam )(?<!thang )(?<!luc )(?<!khi )"
                   r"(?<!quan )(?<!cap )nao)\b",  # not "… từ ngày nào", "… ở cơ quan nào"
                   # the noun and what it is of, nothing asked after it ("Cho tôi hỏi điều kiện thành
                   # lập hợp tác xã?"; not "Hồ sơ nộp ở đâu?", "Hồ sơ có cần công chứng không?")
                   r"^(?!.*\b" + _ASKING + r"\b).*\b" + _ASKED_NOUN + r"(?:,?\s+\w+){0,15}\s*[?.!]*$",
                   "nhung viec", "cac buoc", "thu tuc", "ho tro gi", "ho tro nhung", "nhu the nao",
                   r"nhung(?: \w+){1,4} nao",
                   # "có chính sách gì hỗ trợ", "được ưu đãi gì": what a policy gives is its list
                   r"(?:chinh sach|uu dai|ho tro|quyen loi)(?: \w+){0,2} (?:gi|nao)\b")
    yesno = bool(re.search(r"\b(co|duoc|phai)\b.*\b(khong|ko|k)\s*[?.!]*$", f)) or f.endswith(("khong?", "khong"))
    greeting = len(words) <= 8 and (
        _has(f, "xin chao", "chao ban", "chao em", "chao anh", "chao chi", "hello", "hi", "alo", "cam on", "thank")
        or _has(f, "ban la ai", "ban lam duoc gi", "ban giup duoc gi", "ban la gi", "em la ai")
    ) and not _has(f, "hop tac xa", "htx", "thanh vien", "kinh te tap the", "to hop tac")
    instruction = _has(f, r"bo qua (moi|tat ca|cac)?\s*(huong dan|chi dan|lenh|quy tac)", r"ignore (all )?(previous|prior|above)",
                       "system prompt", "loi nhac he thong", "prompt he thong", r"tu (bay )?gio ban (la|se)",
                       "dong vai", "jailbreak", "developer mode", "api key", r"in ra (toan bo )?(huong dan|cau lenh)")
    return QuestionType(number, time, who, listing, yesno, greeting, instruction)


# What makes a clause a question of its own: an interrogative word, or a closing "không?".
# ("ai" and "mấy" are left out: "không ủy quyền cho ai", "cùng mấy hộ hàng xóm" tell, not ask.)
_ASKS = re.compile(r"\b(bao nhieu|bao lau|gi|nao|o dau|the nao|ra sao|khi nao)\b|\b(khong|chua)\s*\??\s*$")
MIN_SUB_QUESTION_SYLLABLES = 5
_SENTENCE = re.compile(r"(?<=[.?!])\s+")
_JOIN = re.compile(r",?\s+(?:và|rồi|đồng thời)\s+|,\s+")


def asking_sentences(question: str) -> list[str]:
    """The sentences of a message that ask, when others only tell ("Tôi đang là thành viên hợp
    tác xã lúa gạo ... . Một người có được làm thành viên hai hợp tác xã không?"): the story
    sets the scene, the question says what must be answered. Empty when every sentence asks
    or none does."""
    sentences = [s.strip() for s in _SENTENCE.split(normalize(question).strip()) if s.strip()]
    asks = [s for s in sentences if s.endswith("?") or _ASKS.search(fold(s))]
    return asks if 0 < len(asks) < len(sentences) else []


def sub_questions(question: str) -> list[str]:
    """The questions inside one message, each with the statements that set it up:
    "HTX đã thông qua nghị quyết giải thể. Phải gửi nghị quyết trong bao lâu, và hồ sơ gồm
    những gì?" asks two things. A message asking one thing gives an empty list."""
    sentences = [s.strip() for s in _SENTENCE.split(normalize(question).strip()) if s.strip()]
    context: list[str] = []
    asks: list[str] = []
    for sentence in sentences:
        if sentence.endswith("?") or _ASKS.search(fold(sentence)):
            pieces = _JOIN.split(sentence)
            current: list[str] = []
            for piece in pieces:
                if current and _ASKS.search(fold(piece)) and _ASKS.search(fold(", ".join(current))):
                    asks.append(", ".join(current))
                    current = [piece]
                else:
                    current.append(piece)
            asks.append(", ".join(current))
        elif not asks:
            context.append(sentence)
    # "nộp ở đâu?", "trong bao lâu?" lean on the clause before them: the whole message asks those
    asks = [a for a in asks if len(a.split()) >= MIN_SUB_QUESTION_SYLLABLES]
    if len(asks) < 2:
        return []
    lead = " ".join(context)
    return [f"{lead} {a}".strip() for a in asks]
