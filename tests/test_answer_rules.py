"""Small answer rules that need no index."""
from __future__ import annotations

import pytest

from assistant.answer import yes_no
from assistant.evaluation import facts_present, label_matches

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("question, quote, verdict", [
    ("Hợp tác xã có được thành lập doanh nghiệp không?",
     "1. Hợp tác xã, liên hiệp hợp tác xã được thành lập doanh nghiệp nhằm mục tiêu hỗ trợ hoạt động", "Có"),
    ("Doanh nghiệp do hợp tác xã lập có được trở thành thành viên chính thức không?",
     "4. Doanh nghiệp được thành lập không được trở thành thành viên chính thức", "Không"),
    ("hop tac xa co duoc thanh lap doanh nghiep khong",
     "1. Hợp tác xã, liên hiệp hợp tác xã được thành lập doanh nghiệp", "Có"),
    ("16 tuổi có được vào hợp tác xã không?", "a) Cá nhân là công dân Việt Nam từ đủ 18 tuổi trở lên", None),
    ("Hợp tác xã cần bao nhiêu thành viên?", "ít nhất 05 thành viên chính thức", None),
    # "cầm cố" folds to what "cấm" folds to: a list of pledges is no prohibition
    ("Hợp tác xã có được cho thuê tài sản không?", "đ) Cầm cố, thế chấp, tặng cho, cho thuê tài sản;", None),
    ("Hợp tác xã có được cho thuê tài sản không?", "Hợp tác xã bị cấm cho thuê tài sản", "Không"),
    # a lead that is a later sentence ("… ") does not open the clause: what came before may forbid it
    ("Hợp tác xã có được cho thuê tài sản không?", "… Cho thuê tài sản chung không chia của hợp tác xã;", None),
    ("Hợp tác xã có được cho thuê tài sản không?", "Cho thuê tài sản chung không chia của hợp tác xã;", "Có"),
])
def test_yes_no_only_when_the_passage_says_it(question, quote, verdict):
    assert yes_no(question, quote) == verdict


@pytest.mark.parametrize("expected, cited, ok", [
    ("khoản 1 Điều 5", "khoản 1 Điều 50", False),
    ("khoản 1 Điều 5", "điểm a khoản 1 Điều 5", True),
    ("khoản 1 Điều 5", "Điều 5", True),
    ("khoản 1 Điều 5", "khoản 2 Điều 5", False),
    ("Mục II.2", "Mục II.2 (Đến năm 2045)", True),
    ("Mục I.1", "Mục II.1", False),
])
def test_label_matching_is_by_unit(expected, cited, ok):
    assert label_matches(expected, cited) is ok


def test_facts_are_matched_without_case_or_accents():
    assert facts_present("Ít nhất 05 thành viên CHÍNH THỨC", [["05 thanh vien"], ["chính thức"]])
    assert not facts_present("ít nhất 05 thành viên", [["05 thành viên"], ["03 hợp tác xã", "3 hợp tác xã"]])

