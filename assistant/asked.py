"""What a question asks for: the kind of fact a passage must state to answer it.

The topic (hợp tác xã, kinh tế tập thể) says a question is in the domain; it says nothing
about whether the documents answer it. A price needs an amount of money, a rate a percentage
next to the rate's name, "bao nhiêu thành viên" a number of members, "năm nào" a year, a
figure "năm 2022" a passage about 2022, "ai là giám đốc Hợp tác xã Chè Tân Cương" that
cooperative's name, a phone number its digits. This module reads those requirements off the
question; answerability.py checks them against passages.

Cues are read from the question with its diacritics (restored when typed without), so
"gia" in "tham gia" is never a price.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from assistant.agencies import NAME_HEADS
from assistant.question import asking_sentences, leading_few
from assistant.text import STOPWORDS, UPPER, fold, normalize

_NUMBER = r"\d+(?:[.,]\d+)*"
_NUMBER_WORDS = r"(?:một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|mươi|trăm|nghìn)"
_ASKS_QUANTITY = r"(?:bao nhiêu|mấy|bao lâu)"
# "mấy" after these is "a few" ("cùng mấy hộ hàng xóm"), not a question (matched folded)
_FEW = re.compile(r"\b(?:cung|voi|va|ru|moi|nhung|cac|vai)\s+may$")
# … and before a household or kin and "we" ("nhóm mấy hộ chúng tôi", "mấy anh em tụi tôi"): the
# speakers, not a count asked ("cần mấy thành viên chúng tôi mới đủ?" still asks; matched folded)
_FEW_US = re.compile(r"^\s*(?:ho|ho gia dinh|gia dinh|nha|anh em|chi em|ban|nguoi ban|dua)\s+(?:chung|tui|bon)\s+"
                     r"(?:toi|em|minh)\b")
# What "mấy" counts when the accents were restored, not typed: "may moc" is "máy móc" (machinery)
_MEASURES = re.compile(r"(?:người|ngày|tháng|năm|tuần|giờ|lần|bộ|tuổi|thành viên|phần trăm|tiền)\b")

MONEY_UNITS = r"(?:tiền|đồng|nghìn|ngàn|triệu|tỷ|tỉ|vnđ|vnd|usd|đô)"
TIME_UNITS = r"(?:ngày|tháng|năm|giờ|tuần|quý|phút)"
# What a passage that answers with money looks like: "01 tỷ đồng", "500.000 đồng", "2 triệu"
MONEY_IN_TEXT = rf"\b{_NUMBER}\s*(?:đồng|nghìn đồng|ngàn đồng|triệu|tỷ|tỉ|vnđ|vnd)\b"
PERCENT_IN_TEXT = rf"{_NUMBER}\s*%|\bphần trăm\b"
DURATION_IN_TEXT = (rf"\b(?:{_NUMBER}|{_NUMBER_WORDS})\s+(?:\w+\s+)?{TIME_UNITS}\b"
                    r"|\b(?:hằng|hàng|mỗi)\s+(?:ngày|tháng|năm|quý)\b|\bthường niên\b")
YEAR_IN_TEXT = r"(?<![\d/.-])(?:19|20)\d\d(?![\d/-])"   # not the year inside "92/2024/NĐ-CP"
MONTH_IN_TEXT = r"\btháng\s+(?:\d{1,2}|một|hai|ba|tư|năm|sáu|bảy|tám|chín|mười)\b"
# A person's name as documents print it: a title or a family name, then capitalised syllables
PERSON_IN_TEXT = (r"\b(?:[Ôô]ng|[Bb]à|Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý)"
                  rf"(?:\s+[{UPPER}][^\W\d_]+){{1,3}}\b")
# A Vietnamese phone number ("0236 3822 114", "1900 6600"), an e-mail or a web address
CONTACT_IN_TEXT = (r"\b0\d{2,3}(?:[ .-]?\d{2,4}){2,3}\b|\b1[89]00(?:[ .-]?\d{2,4}){1,2}\b"
                   r"|[\w.-]+@[\w-]+\.\w+|\bhttps?://|\bwww\.\w+")

# Nouns whose value is money, and whose value is a rate: the law's words when it states them.
_MONEY_NOUNS = (r"giá|giá cả|giá thuê|chi phí|phí|lệ phí|tiền|lương|tiền lương|thù lao|phụ cấp|cổ tức|học bổng"
                r"|bồi thường|mức phạt|tiền phạt|phạt|ngân sách|kinh phí|doanh thu|thu nhập|lợi nhuận")
# A level set in money or as a share ("mức hỗ trợ", "mức cho vay", "hạn mức"): either answers it
_LEVEL_NOUNS = r"mức hỗ trợ|mức cho vay|mức vay|hạn mức|mức đóng|mức thu|mức thưởng|mức trích|mức góp|thuế"
_RATE_NOUNS = ("lãi suất", "thuế suất", "lãi")
# What a percentage asked for is a percentage of, when the question names it: the passage must name it too
# ("thuế thu nhập doanh nghiệp ... bao nhiêu phần trăm" is not answered by "5% thu nhập")
_RATE_SUBJECTS = ("lãi suất", "thuế suất", "thuế", "lệ phí", "phí", "bảo hiểm", "lãi")
_PENALTY = re.compile(r"\b(?:phạt|xử phạt|hình phạt|phạt tù)\b")
_NOW = r"(?:hiện nay|hiện tại|bây giờ|năm nay|nhiệm kỳ này)"
_PERSON_ASKED = re.compile(r"\btên (?:là )?(?:gì|ai)\b|\b(?:họ tên|họ và tên) (?:là )?gì\b|\b(?:ông|bà|ông bà) nào\b"
                           rf"|\bai (?:đang )?(?:là|giữ chức|làm)\b.*\b{_NOW}\b|\b{_NOW}\b.*\blà ai\b"
                           r"|\bai đang (?:là|giữ|làm|phụ trách)\b")
# How many there are now or were last year ("cả nước hiện nay có bao nhiêu hợp tác xã"): a
# statistic of the world, which laws and programs do not report. "Theo luật hiện nay ... cần
# bao nhiêu" asks what the law requires, and is not this.
_STATISTIC_ASKED = re.compile(r"\b(?:hiện nay|hiện tại|năm nay|năm ngoái|năm trước|vừa qua|đến nay|hiện)\b"
                              r"(?:\s+\w+){0,6}?\s+(?:có|đã có|đạt|được)\s+(?:tất cả\s+|tổng cộng\s+)?(?:bao nhiêu|mấy)\b")
_CONTACT_ASKED = re.compile(r"\b(?:số điện thoại|điện thoại|sđt|hotline|tổng đài|email|e-mail|thư điện tử|website"
                            r"|trang web|fanpage|số fax)\b.*\b(?:bao nhiêu|gì|số mấy|số nào|ở đâu|nào)\b"
                            r"|\b(?:số nhà|đường nào|phố nào)\b"
                            r"|\bxin\s+(?:số điện thoại|sđt|số|email|địa chỉ email|hotline)\b")
_YEAR_ASKED = re.compile(r"\bnăm (?:nào|mấy)\b")
_MONTH_ASKED = re.compile(r"\btháng (?:nào|mấy)\b")
# When or where a particular event takes place ("hội nghị sơ kết năm nay tổ chức khi nào"): news, not rules
_EVENT_ASKED = re.compile(r"\b(?:hôm nay|ngày mai|tuần này|tuần tới|tuần sau|tháng này|tháng tới|tháng sau|năm nay|sắp tới)\b"
                          r".*\b(?:tổ chức|diễn ra|khai mạc|họp|mở)\b.*\b(?:vào ngày nào|khi nào|bao giờ|ở đâu|tháng mấy|ngày mấy)\b")
# The day of an event ("tổ chức vào ngày nào"); "từ ngày nào" asks when a rule starts to apply,
# which the documents often answer with an event ("kể từ ngày được cấp"), so it is not this.
_DAY_ASKED = re.compile(r"\b(?:vào ngày nào|ngày mấy|vào hôm nào|diễn ra khi nào|tổ chức khi nào|khai mạc khi nào)\b")
DATE_IN_TEXT = r"\bngày\s+\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{4}\b"
# A permit, certificate or code named in the question ("giấy phép xây dựng", "chứng nhận VietGAP",
# "mã số vùng trồng"): answered only if the documents know it, i.e. they have the noun with the
# first word of its name ("giấy chứng nhận đăng ký ..." and "mã số thuế" are theirs).
_PERMIT = re.compile(r"\b(?P<noun>giấy phép|giấy chứng nhận|chứng nhận|công nhận|chứng chỉ|giấy xác nhận|mã số)\s+(?P<rest>[^\W\d_]+(?:\s+[^\W\d_]+){0,3})")
_NOT_A_NAME = frozenset("""cho để thì ở của gồm ra như cần bị được phải có không và hay hoặc tại với khi mà nào gì là theo do
về trong đã đang sẽ xin làm nộp thế sao mới lại này đó mất hết cũ riêng ạ nhé""".split())
# How people name the cooperative's own registration certificate ("giấy phép kinh doanh")
_REGISTRATION = re.compile(r"^(?:giấy phép (?:kinh doanh|thành lập|hoạt động|đăng ký|mở)(?: hợp tác xã| htx| tổ hợp tác)?"
                           r"|(?:giấy phép|giấy chứng nhận) (?:hợp tác xã|htx|tổ hợp tác|liên hiệp hợp tác xã)"
                           r"(?: (?:của )?(?:tôi|em|mình|chúng tôi))?)$")  # "giấy chứng nhận HTX": the registration's
# How heavy a penalty is: answered only by a passage that states a fine or a prison term
_PENALTY_ASKED = re.compile(r"\b(?:mức phạt|khung (?:hình )?phạt|tiền phạt|phạt (?:tù )?(?:bao nhiêu|mấy|bao lâu|thế nào|như thế nào|ra sao)"
                            r"|(?:bị )?(?:xử phạt|xử lý hình sự|phạt)(?:\s+\w+){0,3}?\s+(?:ở\s+)?(?:mức nào|khung nào"
                            r"|thế nào|như thế nào|ra sao))\b")
# A business or school asked for by name ("công ty kiểm toán nào", "học ở trường nào"): the
# documents name public bodies, never firms; a passage answers only if it names one.
_FIRM_ASKED = re.compile(r"\b(?P<kind>công ty|doanh nghiệp|ngân hàng|(?<!thị )trường(?! hợp)|nhà cung cấp|hãng|siêu thị|cửa hàng)"
                         r"(?:\s+\w+){0,2}\s+nào\b")
# Advice: which option is better, cheaper, more profitable, what one should choose, how to
# prosper. The documents state rules; they rank no options and give no business advice.
_ADVICE = re.compile(r"\b(?:có lợi|lợi|hiệu quả|tốt|rẻ|dễ|năng suất cao|lãi|đắt)(?:\s+\w+){0,3}?\s+(?:hơn|nhất)\b"
                     r"|\b(?:tôi|em|mình|chúng tôi|hợp tác xã|tổ hợp tác) nên\b.*\bhay\b"
                     r"|\bhay\b.*\bthì (?:tốt|lợi|có lợi|hiệu quả|rẻ|hay) hơn\b|\bcó nên\b"
                     r"|\bnên (?:chọn|mua|bán|trồng|nuôi|vay|dùng|sử dụng|đầu tư|trả|học)\b.*\b(?:hay|nào|gì|hợp lý)\b"
                     r"|\b(?:làm sao|làm thế nào|làm cách nào|cách nào|bí quyết)\b.*\b(?:có lãi|lãi|giàu|bán được|năng suất"
                     r"|tin tưởng|thành công|phát triển mạnh)\b"
                     r"|\b(?:làm sao|làm thế nào|làm cách nào|cách nào)\s+(?:để\s+)?.*\bhơn\b")
# Which cooperatives of a place ("hợp tác xã nào trong tỉnh đang tuyển kế toán"): the documents
# name no particular cooperative.
_WHICH_LOCAL = re.compile(r"\b(?:hợp tác xã|tổ hợp tác|liên hiệp hợp tác xã) nào\s+(?:trong|ở|tại|của)\s+"
                          r"(?:tỉnh|huyện|xã|thành phố|vùng|địa phương|thôn|làng)\b")
# The state of one particular case now ("hồ sơ tôi nộp tuần trước đã được duyệt chưa", "đã có ai
# đăng ký tên này chưa"): registers and files, not the documents, hold that.
_CASE_STATUS = re.compile(r"\b(?:hôm qua|hôm nay|sáng nay|tuần trước|tuần này|tháng trước|hôm trước|vừa rồi|vừa nộp)\b"
                          r".*\bchưa\b|\bđã có ai\b.*\bchưa\b"
                          r"|\bcó đang (?:giữ|xử lý|thụ lý|xem xét|duyệt|lưu|làm hồ sơ)\b")
# Another act named in the question ("theo Luật Đất đai", "Bộ luật Hình sự", "Nghị định 45/2021"):
# what it says is answered only if it is in the corpus.
_ACT = re.compile(r"\b(?P<kind>Bộ luật|Luật|Nghị định|Nghị quyết|Thông tư|Quyết định|Chỉ thị)\s+(?:số\s+)?"
                  r"(?P<name>\d+[\w/.-]*|(?:[A-ZĐ][^\W\d_]*)(?:\s+[^\W\d_]+){0,3}|về(?:\s+[^\W\d_,.?]+){1,5})")
_TARGET_WORDS = re.compile(r"\b(?:mục tiêu|chỉ tiêu|phấn đấu|số liệu|thống kê)\b")
_DOC_KIND = re.compile(r"\b(?:luat|nghi dinh|nghi quyet|thong tu|quyet dinh|hien phap|chi thi|ket luan)\b")  # folded
_YEAR = re.compile(r"(?<![\d/.-])((?:19|20)\d\d)(?![\d/.-])")
# An organisation or person referred to by its own name: "Hợp tác xã Chè Tân Cương", "HTX Phú Lộc",
# "ông Nguyễn Văn A". The name is the run of capitalised words after it (lower-case words inside it).
_NAMED_AFTER = re.compile(r"\b(?:hợp tác xã|htx|tổ hợp tác|ông|bà)$", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“”«»'‘’][^\"“”«»'‘’]{1,80}[\"“”«»'‘’]")


@dataclass(frozen=True)
class Requirement:
    """One thing a passage must state to answer the question.

    `what` names it for the reader of a refusal ("mức tiền cụ thể"); a passage meets it when
    `pattern` matches its text and, if `terms` is set, matches within the clause of one of those
    words ("lãi suất" with its percentage, not any percentage of the passage); `folded` patterns
    are matched on the passage's accent-folded text (names typed any way)."""
    what: str
    pattern: str
    terms: tuple[str, ...] = ()
    folded: bool = False
    case_sensitive: bool = False   # the pattern tells a name by its capital letter

    def names_its_subject(self, text: str, folded_text: str) -> bool:
        """The passage names what is asked about ("lãi suất"), whether or not it states it."""
        return not self.terms or any(True for _ in self._subjects(text))

    def _subjects(self, text: str):
        """(text, position) of each mention of the terms: a term typed with accents is found
        with them ("thuế" is not "thuê"), one typed or restored without (or a word that has
        none: "doanh"), in the text folded character for character, punctuation kept."""
        plain = None
        for t in self.terms:
            if fold(t) != t:
                hay, flags = text, re.IGNORECASE
            else:
                hay = plain = plain if plain is not None else fold(text)
                flags = 0
            words = r"\s+".join(re.escape(w) for w in t.split())
            for m in re.finditer(rf"\b{words}\b", hay, flags):
                yield hay, m.start()

    def met_by(self, text: str, folded_text: str) -> bool:
        hay = folded_text if self.folded else text
        flags = 0 if self.case_sensitive else re.IGNORECASE
        if not self.terms:
            return bool(re.search(self.pattern, hay, flags))
        # what is asked about and its value stand together: "lãi suất ưu đãi" in one clause
        # and "35%" in another do not state an interest rate; a long sentence is one clause
        # ("Trong thời hạn 30 ngày … phải gửi hồ sơ thông báo tới cơ quan đăng ký kinh doanh")
        for where, pos in self._subjects(text):
            pattern = self.pattern if where is text or self.folded else fold(self.pattern)
            if re.search(pattern, _clause(where, pos), flags):
                return True
        return False


_CLAUSE_END = re.compile(r"[;\n]|[.:](?!\d)")  # not the dot of "100.000 đồng" or the colon of "8:30"


def _clause(text: str, pos: int) -> str:
    """The clause of `text` around `pos`, between punctuation that ends one."""
    start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, pos)), default=0)
    end = _CLAUSE_END.search(text, pos)
    return text[start:end.start() if end else len(text)]


NEVER = r"(?!x)x"  # no passage states it
_CAPITAL = rf"[{UPPER}][^\W\d_]+"   # a capitalised word


@dataclass(frozen=True)
class Asked:
    requirements: tuple[Requirement, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.requirements)


def _quantity(text: str, unit_after: Callable[[str], str | None], restored: bool) -> Requirement | None:
    """The kind of quantity asked, from the unit after "bao nhiêu"/"mấy", else from the noun asked about."""
    for m in re.finditer(rf"\b{_ASKS_QUANTITY}\b", text):
        if m.group(0) == "mấy" and (_FEW.search(fold(text[:m.end()])) or _FEW_US.match(fold(text[m.end():]))
                                    or leading_few(text, m.start())
                                    or restored and not _MEASURES.match(text[m.end():].strip())):
            continue
        if m.group(0) == "bao lâu":
            return _duration(text, m.start())
        after = text[m.end():].strip()
        unit = unit_after(after) if after else None
        first = after.split()[0] if after.split() else ""
        if re.fullmatch(MONEY_UNITS, first):
            return _money(text)
        if first in ("phần", "%") and (first == "%" or after.startswith("phần trăm")):
            return _percent(text)
        if re.fullmatch(TIME_UNITS, first):
            return _duration(text, m.start())
        if any(re.search(rf"\b{n}\b", text) for n in _RATE_NOUNS) or re.search(r"\b(?:tỷ lệ|tỉ lệ)\b", text[:m.start()]):
            return _percent(text)
        level = re.search(rf"\b(?:{_LEVEL_NOUNS})\b", text[:m.start()])
        if level and not (unit and unit in _COUNTABLE):
            return Requirement(f"{level.group(0)} cụ thể (số tiền hay tỷ lệ)", rf"{MONEY_IN_TEXT}|{PERCENT_IN_TEXT}",
                               ("thuế",) if level.group(0) == "thuế" else ())
        if re.search(rf"\b(?:{_MONEY_NOUNS})\b", text[:m.start()]) and not (unit and unit in _COUNTABLE):
            return _money(text)
        if unit and first not in ("là", "được", "thì", "để", "một", "phần") and unit not in _VAGUE_UNITS:
            form = _UNIT_FORMS.get(unit, r"\s+".join(re.escape(w) for w in unit.split()))
            return Requirement(f"con số cụ thể về {unit}",
                               rf"\b(?:{_NUMBER}|{_NUMBER_WORDS})\s+(?:\S+\s+){{0,4}}?{form}\b"
                               rf"|{_NUMBER}\s*%\s+(?:\S+\s+){{0,4}}?{form}\b")
        return None
    if re.search(r"\b(?:lãi suất|thuế suất|tỷ lệ|tỉ lệ|mức lãi) (?:là )?(?:nào|mấy)\b", text):
        return _percent(text)
    return None


_UNIT_FORMS = {"người": r"(?:người|thành viên|cá nhân)", "xã viên": r"(?:thành viên|xã viên)"}
_COUNTABLE = {"người", "thành viên", "hợp tác xã", "xã viên", "lần", "bộ", "hộ"}
_VAGUE_UNITS = {"loại", "nội dung", "trường hợp", "bước", "điều kiện", "giấy tờ", "hồ sơ", "cách", "việc"}


# Words between a duration's subject and "bao lâu"/"mấy ngày" ("nghỉ phép năm tối đa là bao nhiêu ngày")
_BEFORE_ASK = frozenset("""là được có phải tối đa thiểu khoảng trong vòng mất hết tốn cần ít nhất nhiều sau trước thì bị
cho tới đến vào chậm kéo dài năm tháng ngày một mỗi đi lại về ra lên xuống thêm nữa rồi xong nay đó này ngoài kể từ
lúc khi""".split())


_TOPIC = re.compile(r"\b(?:liên hiệp hợp tác xã|hợp tác xã|tổ hợp tác|htx|lien hiep hop tac xa|hop tac xa|to hop tac)\b")


def _duration(text: str, ask: int) -> Requirement:
    """A period asked for: a passage must state one, beside what lasts that long (the word
    before the question in its clause: "nghỉ phép năm bao nhiêu ngày" is not answered by any
    "30 ngày"; in "..., và bao lâu thì được cấp" nothing before it says)."""
    clause = re.split(r"[,;]|\bvà\b|\bthì\b", text[:ask])[-1]
    clause = _TOPIC.sub(" ", clause)  # the cooperative is what every question is about, not what lasts
    words = re.findall(r"[^\W\d_]+", clause)
    subject = next((w for w in reversed(words) if w not in _BEFORE_ASK and w not in STOPWORDS), None)
    if _PENALTY.search(text):
        return Requirement("mức phạt cụ thể", PENALTY_IN_TEXT)
    return Requirement("thời hạn cụ thể", DURATION_IN_TEXT, (subject,) if subject else ())


def _money(text: str) -> Requirement:
    if _PENALTY.search(text):
        return Requirement("mức phạt cụ thể", PENALTY_IN_TEXT)
    return Requirement("mức tiền cụ thể", MONEY_IN_TEXT)


def _percent(text: str) -> Requirement:
    rate = tuple(n for n in _RATE_SUBJECTS if re.search(rf"\b{n}\b", text))
    what = f"mức {rate[0]} cụ thể" if rate else "tỷ lệ phần trăm cụ thể"
    return Requirement(what, PERCENT_IN_TEXT, rate)


# A fine or a prison term as a passage states it: a number within a few words after "phạt"
# ("phạt tiền từ 10.000.000 đồng", "phạt tù từ 01 năm"), not any amount or period beside it
PENALTY_IN_TEXT = r"\bphạt\b(?:\s+[^\s\d]+){0,4}?\s+(?:từ\s+)?\d"


def _year_not_in_a_date(year: str) -> str:
    """The year as a period a figure is for ("năm 2022", "Đến năm 2030"), not inside a date
    ("ngày 16 tháng 6 năm 2022", "16/6/2022") or a document number ("92/2024/NĐ-CP")."""
    return rf"(?<![/\d])(?<!tháng \d năm )(?<!tháng \d\d năm ){year}(?![/\d])"


def _years(typed: str) -> list[str]:
    """Years the question is about, without those that belong to a document's name
    ("Luật Hợp tác xã 2023", "Nghị định 92/2024")."""
    out = []
    low = fold(typed)
    for m in _YEAR.finditer(low):
        before = low[max(0, m.start() - 40):m.start()]
        if _DOC_KIND.search(before):
            continue
        out.append(m.group(1))
    return out


def _names(typed: str, known: Callable[[str], bool]) -> list[str]:
    """Names of the organisations or people asked about, as typed; names in quotation marks are
    examples of names ("đặt tên «Hợp tác xã Hòa Bình» được không"), not what is asked about."""
    words = _QUOTED.sub(" , ", typed).split()
    out = []
    i = 0
    while i < len(words):
        if not _NAMED_AFTER.search(" ".join(words[max(0, i - 3):i])) or not _capitalised(words[i]):
            i += 1
            continue
        run, j, last = [], i, i
        while j < len(words) and j - last <= 4:  # up to three lower-case words inside a name
            w = words[j].strip(".,;:!?()")
            if not w or w != words[j] and not _capitalised(w):
                break
            run.append(w)
            if _capitalised(w):
                last = j
            j += 1
            if w != words[j - 1]:  # punctuation ends the name
                break
        name = " ".join(run[:last - i + 1])
        if name and not known(name):
            out.append(name)
        i = last + 1
    return out


def _permit_requirements(low: str, known_phrase: Callable[[str], bool]) -> list[Requirement]:
    """Permits, certificates and codes the question names that the documents do not know (not
    counting the cooperative's own registration certificate in people's words: "giấy phép kinh doanh")."""
    out = []
    for m in _PERMIT.finditer(low):
        words = []
        for w in m.group("rest").split():
            if w in _NOT_A_NAME or w in STOPWORDS:
                break
            words.append(w)
        if not words:
            continue
        permit = f"{m.group('noun')} {' '.join(words)}"
        if not _REGISTRATION.match(permit) and not known_phrase(f"{m.group('noun')} {words[0]}"):
            out.append(Requirement(f"quy định về «{permit}»", NEVER))
    return out


# A public body of the state named by its proper name: a head (agencies.NAME_HEADS) and a
# capitalised word ("Sở Tài chính", "Bộ Công an", "Ngân hàng Nông nghiệp"); "Ủy ban nhân dân" and
# "cơ quan đăng ký kinh doanh" are kinds of bodies, not names, and an abbreviation ("Sở KH&ĐT") is
# left alone.
_BODY_HEAD = re.compile(r"\b(?:" + "|".join(h[0].upper() + h[1:] for h in NAME_HEADS) + r")\s+(?=\S)")


def _bodies(typed: str, known: Callable[[str], bool]) -> list[str]:
    """Bodies the question names: a head, its capitalised word, and the next word when it
    belongs to the name (capitalised too, or written together with it in the documents:
    "Sở Tài chính", but "Cục Thuế làm gì" names "Cục Thuế")."""
    out = []
    for m in _BODY_HEAD.finditer(typed):
        kept: list[str] = []
        for word in typed[m.end():].split()[:2]:
            bare = word.strip(".,;:!?()\"'“”")
            if not bare or (not kept and not _capitalised(word)) or (kept and bare.isupper()):
                break
            if kept and not _capitalised(word) and not known(f"{kept[0]} {bare}"):
                break
            kept.append(bare)
            if bare != word.strip("(\"'“”"):  # punctuation ends the name
                break
        if kept:
            out.append(" ".join([m.group(0).strip(), *kept]))
    return out


# The same typed in capitals or in sentence case ("SỞ TÀI CHÍNH CÓ TRÁCH NHIỆM GÌ?", "Sở tài chính
# có …"), where capitals do not mark where the name ends: a head opening the subject of a question
# about duties, the name being the words up to the asking, or those after "trách nhiệm của" to the
# end. Read with diacritics only: folded, "so" is also sổ and số ("so sach", "so von"), "bo" bỏ.
_NAME_WORD = r"(?!(?:có|là|phải|sẽ|cần|được|nào|gì|của|và|thì|ở|tại|về|trong|với|cấp|tỉnh|huyện|xã)\b)\w+"
_ASKED_NAME = (r"((?:" + "|".join(sorted(NAME_HEADS, key=len, reverse=True)) + r")(?! phận\b| máy\b)"
               r"(?: " + _NAME_WORD + r"){1,6})")
_DUTY = r"(?:trách nhiệm|nhiệm vụ|vai trò|chức năng)"
_ASKED_BODY = (
    re.compile(r"^(?:cho (?:tôi |em )?hỏi )?(?:các )?" + _ASKED_NAME + r" (?:(?:tỉnh|huyện|xã|cấp \w+) )?"
               r"(?:(?:có|phải|được giao|sẽ|cần) )?(?:những |các )?(?:" + _DUTY + r"|làm gì)\b"),
    re.compile(r"\b" + _DUTY + r"(?: quyền hạn)? của (?:các )?" + _ASKED_NAME
               + r"(?: (?:là gì|gồm những gì|gồm gì|thế nào|ra sao|như thế nào|gì))?$"))


def _asked_bodies(typed: str) -> list[str]:
    """Bodies a question with diacritics names by their proper name where its capitals do not say
    where the name ends (all capitals, or only the first word's): "sở tài chính"."""
    if typed.lower() == fold(typed.lower()):
        return []
    out = []
    for sentence in re.split(r"[.?!;,]+", typed):
        words = re.findall(r"\w+", sentence)
        lowered = " ".join(words).lower()
        found = next((m for m in (rx.search(lowered) for rx in _ASKED_BODY) if m), None)
        if not found:
            continue
        first = lowered[:found.start(1)].count(" ")
        name = words[first:first + found.group(1).count(" ") + 1]
        if sentence.isupper() or not any(w.isupper() and len(w) > 1 for w in name):  # "Sở KH&ĐT": left alone
            out.append(found.group(1))
    return out


def _capitalised(word: str) -> bool:
    """A capitalised word that is not an abbreviation ("Tân", not "TNHH" or "HTX")."""
    w = word.strip(".,;:!?()\"'“”")
    return len(w) > 1 and w[0].isupper() and not w.isupper()


def asked_for(typed: str, text: str, unit_after: Callable[[str], str | None],
              known_phrase: Callable[[str], bool], known_act: Callable[[str], bool] = lambda _: True) -> Asked:
    """The requirements a passage must meet to answer the question.

    `typed` is the question as typed (its capitals tell names), `text` the question with
    diacritics restored; `unit_after` reads the word after a counting phrase with the index's
    segmentation ("ngày làm việc", "hợp tác xã" stay whole); `known_phrase` says whether a
    capitalised run is the documents' own wording ("Hội đồng quản trị") rather than a name;
    `known_act` whether an act the question names ("Luật Đất đai") is one of the documents."""
    reqs: list[Requirement] = []
    # Only the sentences that ask are read when others tell a story ("anh ấy đi xuất khẩu lao
    # động mấy tháng" says how long, it does not ask). The cues are read on the question as
    # typed and as restored: restoration may put accents on a syllable typed bare on purpose
    # ("công ty" -> "công tỷ").
    typed_ask = " ".join(asking_sentences(typed)) or typed
    text_ask = " ".join(asking_sentences(text)) or text
    for source, restored in ((typed_ask, False), (text_ask, text != typed)):
        low = " ".join(re.findall(r"[\w%]+|[,;]", normalize(source).lower()))
        for r in _cues(low, unit_after, restored) + _permit_requirements(low, known_phrase):
            if restored:  # a restored accent may be wrong: its words are compared folded
                r = replace(r, terms=tuple(fold(t) for t in r.terms))
            if all(r.what != have.what for have in reqs):  # the typed reading first
                reqs.append(r)
    for name in _names(normalize(typed_ask), known_phrase):
        reqs.append(Requirement(f"thông tin riêng về «{name}»", rf"\b{re.escape(' '.join(fold(name).split()))}\b",
                                folded=True))
    for body in _bodies(normalize(typed_ask), known_phrase):
        if not known_phrase(body):  # "Sở Tài chính có trách nhiệm gì?": no document names it, so
            # none says what it does (another body's duties, "Bộ Tài chính", are not its answer)
            reqs.append(Requirement(f"gì về «{body}» (không văn bản nào nhắc đến cơ quan này)",
                                    NEVER))
    named = {b.lower() for b in _bodies(normalize(typed_ask), known_phrase)}
    for body in _asked_bodies(normalize(typed_ask)):
        if body not in named and not known_phrase(body):
            reqs.append(Requirement(f"gì về «{body}» (không văn bản nào nhắc đến cơ quan này)", NEVER))
    for m in _ACT.finditer(normalize(typed_ask)):
        act = f"{m.group('kind')} {m.group('name')}".strip()
        if not known_act(act):
            reqs.append(Requirement(f"nội dung của {act} (văn bản này không có trong các tài liệu trợ lý đang có)", NEVER))
    return Asked(tuple(reqs))


def _cues(low: str, unit_after: Callable[[str], str | None], restored: bool) -> list[Requirement]:
    reqs: list[Requirement] = []
    quantity = _quantity(low, unit_after, restored)
    if quantity:
        reqs.append(quantity)
    if quantity or _TARGET_WORDS.search(low):
        for year in _years(low):
            reqs.append(Requirement(f"số liệu cho năm {year}", _year_not_in_a_date(year)))
    if _YEAR_ASKED.search(low):
        reqs.append(Requirement("mốc năm cụ thể", YEAR_IN_TEXT))
    if _MONTH_ASKED.search(low):
        reqs.append(Requirement("mốc thời gian cụ thể", MONTH_IN_TEXT))
    if _EVENT_ASKED.search(low):
        reqs.append(Requirement("thời gian hay địa điểm của một sự kiện cụ thể", NEVER))
    if _DAY_ASKED.search(low):
        reqs.append(Requirement("ngày cụ thể", DATE_IN_TEXT))
    if _PENALTY_ASKED.search(low) and not quantity:
        reqs.append(Requirement("mức phạt cụ thể", PENALTY_IN_TEXT))
    firm = _FIRM_ASKED.search(low)
    if firm:
        kind = firm.group("kind")
        reqs.append(Requirement(f"tên {kind} cụ thể", rf"\b{kind}\s+{_CAPITAL}", case_sensitive=True))
    if _PERSON_ASKED.search(low):
        reqs.append(Requirement("tên người cụ thể", PERSON_IN_TEXT, case_sensitive=True))
    if _CONTACT_ASKED.search(low):
        reqs.append(Requirement("số điện thoại, địa chỉ hay thông tin liên hệ", CONTACT_IN_TEXT))
    if _ADVICE.search(low):
        reqs.append(Requirement("lời khuyên hay so sánh lựa chọn", NEVER))
    if _STATISTIC_ASKED.search(low) and not re.search(r"\btheo (?:luật|quy định|pháp luật)\b", low):
        reqs.append(Requirement("số liệu thống kê hiện nay", NEVER))
    if _WHICH_LOCAL.search(low):
        reqs.append(Requirement("tên hợp tác xã cụ thể", NEVER))
    if _CASE_STATUS.search(low):
        reqs.append(Requirement("tình trạng của một hồ sơ hay trường hợp cụ thể", NEVER))
    return reqs
