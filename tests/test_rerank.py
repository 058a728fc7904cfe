"""What the learned order knows of a question and a passage before it weighs them."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from assistant.rerank import FEATURES, _matches, features, question_facts

pytestmark = pytest.mark.unit


def passage(text: str, *path: str):
    return SimpleNamespace(text=text, path=["Luật", *path])


def test_a_cooperatives_own_fund_is_not_another_kind_of_organisation():
    # "quỹ chung không chia" belongs to the hợp tác xã asked about: its clause is not demoted
    asked = question_facts("Hợp tác xã phải trích bao nhiêu phần trăm thu nhập vào quỹ chung không chia?")
    assert asked["kinds"] == {"hợp tác xã"}
    clause = passage("2. Thu nhập từ giao dịch bên ngoài của hợp tác xã, liên hiệp hợp tác xã; thu nhập từ góp vốn",
                     "Điều 84. Quỹ chung không chia")
    assert _matches(clause, asked)[0] == 1.0


def test_the_support_fund_is_its_own_kind():
    asked = question_facts("Quỹ hỗ trợ phát triển hợp tác xã cho vay với lãi suất thế nào?")
    assert asked["kinds"] == {"quỹ"}
    about_members = passage("1. Thành viên chính thức của hợp tác xã có quyền sau đây:", "Điều 31. Quyền của thành viên")
    assert _matches(about_members, asked)[0] == 0.0
    about_fund = passage("1. Quỹ hỗ trợ phát triển hợp tác xã là quỹ tài chính nhà nước ngoài ngân sách",
                         "Điều 29. Quỹ hỗ trợ phát triển hợp tác xã")
    assert _matches(about_fund, asked)[0] == 1.0


def test_the_support_funds_name_names_no_cooperative():
    # "Quỹ hỗ trợ phát triển hợp tác xã …" is about the fund: the hợp tác xã in its name does not
    # make it a passage about a hợp tác xã for "Hợp tác xã phải lập những quỹ nào?"
    asked = question_facts("Hợp tác xã phải lập những quỹ nào?")
    assert asked["kinds"] == {"hợp tác xã"}
    fund = passage("2. Quỹ hỗ trợ phát triển hợp tác xã Việt Nam được thành lập ở Trung ương, Quỹ hỗ trợ phát triển "
                   "hợp tác xã cấp tỉnh được thành lập ở tỉnh", "Điều 29. Quỹ hỗ trợ phát triển hợp tác xã")
    assert _matches(fund, asked)[0] == 0.0
    own = passage("1. Hợp tác xã trích lập quỹ chung không chia hằng năm", "Điều 84. Quỹ chung không chia")
    assert _matches(own, asked)[0] == 1.0


def test_a_milestone_target_is_marked_when_the_question_names_no_year():
    target = passage("- Toàn tỉnh có khoảng 540 hợp tác xã với 136.000 thành viên.", "II. MỤC TIÊU",
                     "2. Mục tiêu cụ thể", "Đến năm 2030")
    target.text = "Đến năm 2030\n" + target.text
    law = passage("7. Hợp tác xã là tổ chức có tư cách pháp nhân do ít nhất 05 thành viên chính thức tự nguyện thành lập",
                  "Điều 4. Giải thích từ ngữ")
    no_year = question_facts("Hợp tác xã cần bao nhiêu thành viên?")
    with_year = question_facts("Đến năm 2030 toàn tỉnh có bao nhiêu thành viên hợp tác xã?")
    assert _matches(target, no_year)[3] == 1.0
    assert _matches(law, no_year)[3] == 0.0
    assert _matches(target, with_year)[3] == 0.0


def test_a_clause_that_names_no_kind_is_about_what_its_article_title_names():
    # "2. Thành viên liên kết góp vốn có nghĩa vụ …" is in Điều 32 (hợp tác xã) and, word for
    # word, in Điều 36 (liên hiệp): only the title tells them apart
    asked = question_facts("Xã viên hợp tác xã có những nghĩa vụ gì?")
    clause = "2. Thành viên liên kết góp vốn có nghĩa vụ quy định tại các điểm a, c, d, đ và e khoản 1 Điều này."
    assert _matches(passage(clause, "Điều 36. Nghĩa vụ của thành viên liên hiệp hợp tác xã"), asked)[0] == 0.0
    assert _matches(passage(clause, "Điều 32. Nghĩa vụ của thành viên hợp tác xã"), asked)[0] == 1.0
    # a clause's own subject still decides over its title
    own = passage("8. Liên hiệp hợp tác xã là tổ chức kinh tế tập thể", "Điều 4. Giải thích từ ngữ")
    assert _matches(own, asked)[0] == 0.0


def _candidate(text: str, *path: str):
    hit = SimpleNamespace(chunk=passage(text, *path), dense=0.88, ranks={"dense": 0})
    return SimpleNamespace(hit=hit, score=1.0, coverage=0.6)


@pytest.mark.parametrize("question", ["Ai quyết định kết nạp thành viên mới?",
                                      "co quan nao cap giay chung nhan dang ky to hop tac"])
def test_a_who_question_is_stated_only_by_a_passage_naming_someone_who_acts(question):
    # "1. Tự nguyện tham gia và mở rộng kết nạp thành viên." shares the words but names nobody;
    # a clause under "Thẩm quyền của Đại hội thành viên" names who decides
    asked = question_facts(question)
    assert asked["actor"]
    principle = _candidate("1. Tự nguyện tham gia và mở rộng kết nạp thành viên.", "Điều 8. Nguyên tắc tổ chức, hoạt động")
    assembly = _candidate("9. Thông qua việc kết nạp hoặc chấm dứt tư cách thành viên chính thức",
                          "Điều 70. Thẩm quyền của Đại hội thành viên")
    office = _candidate("2. … cơ quan đăng ký kinh doanh cấp huyện trao giấy biên nhận", "Điều 58. Đăng ký tổ hợp tác")
    rows = features([principle, assembly, office], [True, True, True], asked)
    assert list(rows[:, FEATURES.index("states")]) == [0.0, 1.0, 1.0]


def test_a_question_about_what_a_body_must_do_does_not_ask_for_an_actor():
    # "Sở … có trách nhiệm gì?" and "bộ hồ sơ gồm những gì?" ask for duties and documents
    assert not question_facts("Ủy ban nhân dân cấp xã có trách nhiệm gì?")["actor"]
    # … nor "những ai" (which people), "chưa ai / có ai" (anyone)
    assert not question_facts("Tỉnh muốn thu hút những ai tham gia kinh tế tập thể?")["actor"]
    assert not question_facts("Sản phẩm ngon mà chưa ai biết thì làm sao?")["actor"]
    assert not question_facts("Tên này đã có ai đăng ký chưa?")["actor"]
    # who may join is asked of members, not of a body
    assert not question_facts("Ai có thể trở thành thành viên liên hiệp hợp tác xã?")["actor"]
    assert question_facts("Điều lệ do ai phê duyệt?")["actor"]
    # "Bộ hồ sơ …" or "Sở hữu …" opening a sentence names no ministry or department
    rows = features([_candidate("Bộ hồ sơ gồm giấy đề nghị", "Điều 42. Hồ sơ"),
                     _candidate("1. UBND cấp tỉnh cấp giấy chứng nhận", "Điều 9. Cấp giấy")],
                    [True, True], question_facts("Ai cấp giấy chứng nhận?"))
    assert list(rows[:, FEATURES.index("states")]) == [0.0, 1.0]
    asked = question_facts("Bộ hồ sơ đăng ký gồm những gì?")
    rows = features([_candidate("a) bộ hồ sơ gồm giấy đề nghị", "Điều 42. Hồ sơ")], [True], asked)
    assert rows[0, FEATURES.index("states")] == 1.0


def test_the_order_is_learned_from_passages_that_hold_part_of_the_facts():
    """A question none of whose candidates holds every fact still says which comes first: the
    one holding half of them. Listwise fitting on the share of facts learns that; a model of
    "holds every fact" alone learned nothing from such questions."""
    import numpy as np

    from ingest.learn_ranker import fit

    rng = np.random.default_rng(7)
    groups = []
    for _ in range(30):
        x = rng.normal(size=(6, len(FEATURES)))
        best = int(rng.integers(1, 6))
        x[best, 0] += 3.0  # the first feature says which candidate answers
        share = [0.5 if i == best else 0.0 for i in range(6)]
        groups.append({"x": x.tolist(), "share": share, "y": [0.0] * 6})
    model = fit(groups)
    assert model["weights"][0] > 0.5
    for g in groups:
        x = (np.asarray(g["x"]) - model["mean"]) / model["scale"]
        assert int(np.argmax(x @ np.asarray(model["weights"]))) == g["share"].index(0.5)


@pytest.mark.parametrize("text, names", [
    ("Đại hội thành viên quyết định kết nạp thành viên", True),
    ("Sở Tài chính chủ trì, phối hợp", True),
    ("Ban Chỉ đạo tỉnh theo dõi", True),
    ("Ban cán sự đảng tỉnh lãnh đạo", True),
    ("ban chỉ đạo cấp huyện", False),  # lower-case "ban" is no name
    ("Ban chỉ đạo cấp tỉnh kiểm tra", True),
    ("các huyện ủy, thị ủy lãnh đạo", True),
    ("Hội đồng quản trị triệu tập", True),
    ("Bộ hồ sơ gồm các giấy tờ sau đây", False),
    ("ban hành biểu mẫu thống nhất", False),
    ("Tự nguyện tham gia và mở rộng kết nạp thành viên.", False),
])
def test_one_reading_of_whether_a_passage_names_someone_who_acts(text, names):
    """The answer's unit bonus for "ai / cơ quan nào" and the learned order's "states who acts"
    read bodies the same way (assistant/agencies.py)."""
    from assistant import answer, rerank
    from assistant.agencies import NAMES_A_BODY
    assert bool(NAMES_A_BODY.search(text)) is names
    assert answer.NAMES_A_BODY is rerank.NAMES_A_BODY is NAMES_A_BODY
