"""Names of public bodies, as written and as a key for lookup: "UBND tỉnh", "Ủy ban nhân dân
tỉnh" and "uy ban nhan dan tinh" are one body; "Ủy ban nhân dân các cấp" includes each level.
Used at ingest (to key the responsibilities found) and at query time (to find them)."""
from __future__ import annotations

import bisect
import re

from assistant.text import UPPER, fold

# abbreviations officials type, folded, and what they stand for (folded)
ABBREVIATIONS = {
    "ubnd": "uy ban nhan dan", "hdnd": "hoi dong nhan dan", "mttq": "mat tran to quoc",
    "lmhtx": "lien minh hop tac xa", "htx": "hop tac xa", "ubmttq": "uy ban mat tran to quoc",
    "bkhdt": "bo ke hoach va dau tu", "khdt": "ke hoach va dau tu", "tw": "trung uong", "vn": "viet nam",
}
# how a body's name begins (folded, after an optional "các"): what makes a unit's subject a body
HEADS = ("chinh phu", "thu tuong chinh phu", "quoc hoi", "bo", "bo truong", "co quan", "uy ban", "hoi dong nhan dan",
         "mat tran", "lien minh hop tac xa", "he thong lien minh", "so", "phong", "ban", "tinh uy", "huyen uy",
         "thi uy", "thanh uy", "dang uy", "dang doan", "van phong", "quy ho tro", "to chuc chinh tri",
         "to chuc dai dien", "to chuc thanh vien", "cac to chuc", "ngan hang")
_LEVELS = ("tinh", "huyen", "xa")
# How a state body's proper name begins ("Sở Tài chính", "Văn phòng Chính phủ"). "Ban", "Phòng",
# "Quỹ" are left out: people call a cooperative's own bodies so ("Ban Quản trị", "Ban Giám đốc").
NAME_HEADS = ("sở", "bộ", "cục", "chi cục", "ngân hàng", "văn phòng")
# The socio-political organisations by their own names (Constitution, Điều 9): the documents give
# duties to "các tổ chức chính trị - xã hội", never to one of them by name, so an official of the
# Hội Nông dân asking what falls to it is asking what falls to that class. Folded names only for
# text typed without diacritics: folded, "công đoàn" is also "công đoạn".
SOCIO_POLITICAL = "tổ chức chính trị - xã hội"
SOCIO_POLITICAL_NAMES = ("Hội Nông dân", "Hội Liên hiệp Phụ nữ", "Hội Phụ nữ", "Đoàn Thanh niên Cộng sản Hồ Chí Minh",
                         "Đoàn Thanh niên", "Hội Cựu chiến binh", "Liên đoàn Lao động", "Công đoàn")


# Whether a passage names someone who acts: a body of the cooperative or of the state, a court,
# a founder. The capitalised heads are case-sensitive ("bộ hồ sơ", "ban hành", "phòng chống" are
# no Bộ, Ban, Phòng); "Bộ", "Sở", "Phòng", "Ban" only before a name ("Bộ Tài chính", "Ban Chỉ
# đạo"); "Ban kiểm soát", "Hội đồng quản trị" as the Law writes them. Read by the answer (a unit
# that names a body answers "ai / cơ quan nào" better) and by the learned order (a passage naming
# nobody does not state who acts).
NAMES_A_BODY = re.compile(
    r"\b(?:[Đđ]ại hội thành viên|[Hh]ội đồng quản trị|[Gg]iám đốc|[Bb]an kiểm soát|[Kk]iểm soát viên|[Cc]hủ tịch"
    r"|người đại diện theo pháp luật|[Hh]ội nghị thành lập|sáng lập viên|[Cc]ơ quan|Ủy ban|Hội đồng"
    rf"|(?:Sở|Bộ|Phòng|Ban)(?= [{UPPER}])|Ban (?:cán sự|chỉ đạo|thường vụ)|Chính phủ|Thủ tướng|Tòa án|Liên minh"
    r"|Quốc hội|Tỉnh ủy|[Hh]uyện ủy|Mặt trận|UBND|HĐND)\b")


def key(name: str) -> str:
    """The lookup form of a body's name: folded, abbreviations spelled out, without "các"."""
    words = [ABBREVIATIONS.get(w, w) for w in re.findall(r"[a-z0-9]+", fold(name))]
    text = re.sub(r"^(?:cac|nhung)\s+", "", " ".join(words)).strip()
    # one body, two names: the Front's committee is how documents name the Front ("Mặt trận")
    return re.sub(r"^uy ban mat tran to quoc\b", "mat tran to quoc", text)


def as_socio_political(text: str) -> tuple[str, str]:
    """The text with the first socio-political organisation it names by name ("Hội Nông dân
    tỉnh") put as the class the documents name ("tổ chức chính trị - xã hội tỉnh"), and that
    name as it is written ("" and the text unchanged when it names none)."""
    lowered = text.lower()
    accented = lowered != fold(lowered)
    names = [n.lower() if accented else fold(n) for n in SOCIO_POLITICAL_NAMES]
    found = re.search(r"(?<!\w)(" + "|".join(map(re.escape, names)) + r")(?: việt nam| viet nam)?(?!\w)", lowered)
    if not found or len(lowered) != len(text):
        return text, ""
    name = SOCIO_POLITICAL_NAMES[names.index(found.group(1))]
    return text[:found.start()] + SOCIO_POLITICAL + text[found.end():], name


# the same heads with their accents: folded, "Bộ" is "Bổ nhiệm", "Sở" is "Số", "Ban" is "Bản sao"
ACCENTED_HEADS = ("chính phủ", "thủ tướng chính phủ", "quốc hội", "bộ", "bộ trưởng", "cơ quan", "ủy ban", "uỷ ban",
                  "hội đồng nhân dân", "mặt trận", "liên minh hợp tác xã", "hệ thống liên minh", "sở", "phòng", "ban",
                  "tỉnh ủy", "huyện ủy", "thị ủy", "thành ủy", "đảng ủy", "đảng đoàn", "văn phòng", "quỹ hỗ trợ",
                  "tổ chức chính trị", "tổ chức đại diện", "tổ chức thành viên", "ngân hàng")


def is_body(name: str) -> bool:
    """Whether a name is a body's: its first words are a body's head ("Ủy ban nhân dân …",
    "Bộ …", "các ban Tỉnh ủy"), read with accents when it has them."""
    text = re.sub(r"^(?:các|những)\s+", "", " ".join(name.lower().split()))
    if text != fold(text):
        return any(text == h or text.startswith(h + " ") for h in ACCENTED_HEADS)
    k = key(name)
    return any(k == h or k.startswith(h + " ") for h in HEADS)


def matching_keys(sorted_keys: list[str], asked_key: str) -> list[str]:
    """The keys of `sorted_keys` that `matches` the key asked, found by bisection: a key that
    begins with a name sorts right after it, so the cost is the matches', not the list's."""
    if not asked_key:
        return []
    prefixes = [asked_key] + [asked_key[: -len(level) - 1] + " cac cap"
                              for level in _LEVELS if asked_key.endswith(" " + level)]
    found = []
    for prefix in prefixes:
        at = bisect.bisect_left(sorted_keys, prefix)
        while at < len(sorted_keys) and sorted_keys[at].startswith(prefix):
            if matches(sorted_keys[at], asked_key):
                found.append(sorted_keys[at])
            at += 1
    return found


def matches(row_key: str, asked_key: str) -> bool:
    """Whether a row's body is the body asked about: its name begins with the name asked
    ("Mặt trận" → "Mặt trận Tổ quốc Việt Nam tỉnh", not "Ban cán sự đảng Ủy ban nhân dân tỉnh"
    for "UBND tỉnh"), or it names every level ("… các cấp") of a body asked at one level."""
    if not asked_key:
        return False
    if row_key == asked_key or row_key.startswith(asked_key + " "):
        return True
    for level in _LEVELS:
        if asked_key.endswith(" " + level):
            base = asked_key[: -len(level) - 1]
            if row_key.startswith(base + " cac cap"):
                return True
    return False
