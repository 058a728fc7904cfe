"""Small answer rules that need no index."""
from __future__ import annotations

import pytest

from assistant.answer import Related, see_also, short_title, yes_no
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



@pytest.mark.parametrize("title, short", [
    ("Điều 99. Giải thể bắt buộc đối với hợp tác xã, liên hiệp hợp tác xã",  # 67 characters: whole
     "Điều 99. Giải thể bắt buộc đối với hợp tác xã, liên hiệp hợp tác xã"),
    ("Điều 48. Thông báo thay đổi nội dung đăng ký hợp tác xã, liên hiệp hợp tác xã",  # at the comma
     "Điều 48. Thông báo thay đổi nội dung đăng ký hợp tác xã…"),
    ("Điều 11. Số lượng hồ sơ và ngôn ngữ sử dụng trong hồ sơ đăng ký tổ hợp tác, hợp tác xã, liên hiệp hợp tác xã",
     "Điều 11. Số lượng hồ sơ và ngôn ngữ sử dụng trong hồ sơ đăng ký tổ hợp…"),  # no comma in reach: a word
])
def test_a_related_title_is_cut_where_a_reader_can_tell_what_it_is(title, short):
    assert short_title(title) == short and len(short) <= 72


def test_a_title_without_a_place_to_cut_is_cut_mid_word_not_to_nothing():
    assert short_title(", " + "x" * 100) == ", " + "x" * 69 + "…"
    assert short_title("Điều 1. " + "y" * 100) == "Điều 1. " + "y" * 63 + "…"


def test_see_also_lists_short_titles_and_falls_back_to_the_whole_one():
    fresh = Related("nd92", "Nghị định 92/2024/NĐ-CP", "Điều 11", "Điều 11. Số lượng hồ sơ và ngôn ngữ sử dụng trong hồ "
                    "sơ đăng ký tổ hợp tác, hợp tác xã", short_title="Điều 11. Số lượng hồ sơ…")
    stored = Related("luat", "Luật Hợp tác xã 2023", "Điều 39", "Điều 39. Hội nghị thành lập hợp tác xã")  # kept before
    assert see_also([fresh, stored]) == ("Xem thêm:\n- Điều 11. Số lượng hồ sơ… — Nghị định 92/2024/NĐ-CP\n"
                                         "- Điều 39. Hội nghị thành lập hợp tác xã — Luật Hợp tác xã 2023")
    assert see_also([]) == ""
