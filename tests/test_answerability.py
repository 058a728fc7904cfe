"""Answerability: a question is answered when a passage is about it and states what it asks
(an amount for a price, a percentage for a rate, the cooperative it names ...), never because
it names cooperatives. Unit tests read the requirements off questions; integration tests run
the real index."""
from __future__ import annotations

import pytest

from assistant.asked import asked_for
from assistant.evaluation import evaluate
from assistant.text import folded_tokens


def _unit_after(rest: str) -> str | None:
    """The index's segmentation, for the few units these tests use."""
    for unit in ("thành viên", "hợp tác xã", "ngày làm việc"):
        if rest.startswith(unit):
            return unit
    return rest.split()[0] if rest.split() else None


def _known(phrase: str) -> bool:
    """Phrases the documents use; anything else (a name, a permit of another law) is unknown."""
    return " ".join(folded_tokens(phrase)) in {"nong", "nong nghiep", "viet nam", "hoi dong quan tri",
                                              "giay chung nhan dang", "ma so thue", "giay chung nhan phan",
                                              "phong dang ky", "tai chinh"}


def asked(question: str, known_act=lambda act: "hợp tác xã" in act.lower()):
    return asked_for(question, question, _unit_after, _known, known_act)


def meets(question: str, passage: str) -> bool:
    return all(r.met_by(passage, " ".join(folded_tokens(passage))) for r in asked(question).requirements)


@pytest.mark.unit
@pytest.mark.parametrize("question, states, only_shares_the_topic", [
    ("Máy cày cho hợp tác xã giá bao nhiêu tiền một chiếc?", "giá bán 250.000.000 đồng một chiếc",
     "Tài sản góp vốn được định giá bằng Đồng Việt Nam"),
    ("Lãi suất vay vốn ưu đãi của hợp tác xã là bao nhiêu phần trăm?", "cho vay với lãi suất 4,8% một năm",
     "cho vay với lãi suất ưu đãi; thành viên chiếm dưới 35% tổng số"),
    ("Hợp tác xã chậm nộp báo cáo tài chính bị phạt bao nhiêu tiền?", "phạt tiền từ 5.000.000 đồng đến 10.000.000 đồng",
     "có thể bị xử phạt vi phạm hành chính; thay đổi vốn từ 01 tỷ đồng trở lên"),
    ("Giám đốc hợp tác xã tham ô tài sản thì bị phạt tù mấy năm?", "bị phạt tù từ 02 năm đến 07 năm",
     "đang chấp hành hình phạt tù; nhiệm kỳ không quá 05 năm"),
    ("Giám đốc hợp tác xã được nghỉ phép năm bao nhiêu ngày?", "được nghỉ phép 12 ngày làm việc",
     "trong thời hạn 30 ngày kể từ ngày bầu giám đốc"),
    ("Năm 2022 toàn tỉnh có bao nhiêu hợp tác xã?", "Năm 2022 toàn tỉnh có 410 hợp tác xã",
     "Đến năm 2030 toàn tỉnh có khoảng 540 hợp tác xã; Nghị định ngày 01/7/2022"),
    ("Liên minh Hợp tác xã Việt Nam được thành lập vào năm nào?", "được thành lập năm 1991",
     "Liên minh hợp tác xã Việt Nam được thành lập ở Trung ương"),
    ("Hợp tác xã Dịch vụ nông nghiệp Phú Lộc có bao nhiêu thành viên?", "Hợp tác xã Dịch vụ nông nghiệp Phú Lộc có 120 thành viên",
     "Hợp tác xã có ít nhất 05 thành viên chính thức"),
    ("Ai là chủ tịch Liên minh Hợp tác xã Việt Nam hiện nay?", "Chủ tịch là ông Nguyễn Văn An",
     "Chủ tịch Hội đồng quản trị là người đại diện theo pháp luật"),
    ("Số điện thoại của Phòng Đăng ký kinh doanh là bao nhiêu?", "Điện thoại: 0236 3822 114",
     "giấy đề nghị ghi số điện thoại, thư điện tử của hợp tác xã"),
    # what lasts ("kinh doanh": a word with no diacritics, found in the folded text) and its period
    # stand in one long sentence, far apart; a period in another sentence does not count
    ("Mở văn phòng đại diện ở nước ngoài thì phải báo cho cơ quan đăng ký kinh doanh trong vòng bao nhiêu ngày?",
     "Trong thời hạn 30 ngày kể từ ngày thành lập chi nhánh, văn phòng đại diện ở nước ngoài, hợp tác xã, "
     "liên hiệp hợp tác xã phải gửi hồ sơ thông báo tới cơ quan đăng ký kinh doanh nơi đặt trụ sở chính.",
     "Hồ sơ gửi cơ quan đăng ký kinh doanh. Trong thời hạn 30 ngày, hợp tác xã tổ chức đại hội."),
])
def test_a_passage_must_state_what_is_asked_not_only_share_its_topic(question, states, only_shares_the_topic):
    assert asked(question)
    assert meets(question, states)
    assert not meets(question, only_shares_the_topic)


@pytest.mark.unit
@pytest.mark.parametrize("subject", ["phí", "phi"])
def test_an_amount_with_a_thousands_dot_stands_in_its_subjects_clause(subject):
    from assistant.asked import MONEY_IN_TEXT, Requirement
    fee = Requirement("mức phí cụ thể", MONEY_IN_TEXT, (subject,))
    passage = "Lệ phí đăng ký là 100.000 đồng/lần."
    assert fee.met_by(passage, " ".join(folded_tokens(passage)))
    other = "Lệ phí đăng ký do Bộ Tài chính quy định. Phí thẩm định 100.000 đồng/lần."
    assert not Requirement("mức lệ phí", MONEY_IN_TEXT, ("lệ",)).met_by(other, " ".join(folded_tokens(other)))


@pytest.mark.unit
@pytest.mark.parametrize("question, what", [
    ("Nhóm nông dân chúng tôi nên lập hợp tác xã hay lập công ty thì có lợi hơn?", "lời khuyên"),
    ("Hợp tác xã trồng rau nên bán hàng qua Shopee hay TikTok thì hiệu quả hơn?", "lời khuyên"),
    ("Hồ sơ đăng ký hợp tác xã tôi nộp tuần trước giờ đã được duyệt chưa?", "trường hợp cụ thể"),
    ("Hồ sơ xin giao đất rừng cho hợp tác xã theo Luật Đất đai gồm những gì?", "Luật Đất đai"),
    ("Hợp tác xã xin giấy phép xây dựng nhà kho cần những giấy tờ gì?", "giấy phép xây dựng"),
    ("Những công ty kiểm toán nào đang kiểm toán cho hợp tác xã?", "tên công ty"),
    ("Cả nước hiện nay có bao nhiêu hợp tác xã nông nghiệp?", "thống kê"),
    ("Hợp tác xã nào trong tỉnh đang cần tuyển kế toán?", "tên hợp tác xã"),
    ("Hội nghị sơ kết năm nay tổ chức vào ngày nào?", "sự kiện"),
])
def test_what_the_documents_never_state_is_named_in_the_requirement(question, what):
    reqs = asked(question).requirements
    assert any(what in r.what for r in reqs), reqs
    assert not any(r.met_by("Hợp tác xã có quyền thuê lao động. Ông Nguyễn Văn An ngày 16/6/2022",
                            "hop tac xa co quyen") for r in reqs if what not in ("sự kiện",))


@pytest.mark.unit
@pytest.mark.parametrize("question", [
    "Hồ sơ đăng ký thành lập hợp tác xã gồm những gì?",
    "Tổ hợp tác của chúng tôi đi đăng ký ở huyện thì có phải đóng lệ phí đăng ký không?",  # yes/no, no amount
    "Luật Hợp tác xã 2023 quy định hợp tác xã có những quyền gì?",        # the year names the law
    "Tôi bận nên nhờ em họ đi nộp hồ sơ đăng ký hợp tác xã giúp. Giấy ủy quyền có phải công chứng không?",
    "Xin giấy phép kinh doanh cho hợp tác xã ở đâu?",                      # people's name for the certificate
    "Bao giờ thì được cấp giấy chứng nhận HTX?", "Làm mất giấy phép hợp tác xã thì xin lại ở đâu?",  # … and others
    "Đã có \"Hợp tác xã Hòa Bình\" đăng ký rồi, nay tôi đặt tên \"Hợp tác xã Hòa Bình miền Bắc\" được không?",
    "Giám đốc hợp tác xã bên em đi xuất khẩu lao động mấy tháng. Vậy luật bắt hợp tác xã phải xử lý thế nào?",
    "Tôi cùng mấy hộ hàng xóm muốn lập hợp tác xã trồng rau, cần làm gì?",
    "Mấy hộ trong xóm tính làm chung cái máy gặt, lập tổ hợp tác thì cần hợp đồng gì?",  # opens with "mấy", asks "gì"
    "May nguoi ban trong thon muon gop von mo htx thi lam the nao?",
    "Nhóm mấy hộ chúng tôi muốn đăng ký tổ hợp tác thì làm thủ tục gì?",  # "mấy hộ chúng tôi": the speakers
    "may anh em tui toi lap htx thi nop ho so o dau",
    "Hợp tác xã Nông nghiệp có được thành lập doanh nghiệp không?",
    "Theo Luật Hợp tác xã, ai là người đại diện theo pháp luật của hợp tác xã?",
])
def test_questions_the_documents_answer_ask_for_nothing_they_lack(question):
    assert not asked(question), asked(question).requirements


@pytest.mark.unit
@pytest.mark.parametrize("question", ["Mấy tuổi thì được vào hợp tác xã?", "Lập hợp tác xã cần mấy người?",
                                      "Tôi muốn hỏi. Mấy người thì lập được hợp tác xã?",
                                      "Cần mấy thành viên chúng tôi mới lập được hợp tác xã?"])
def test_mấy_that_is_the_only_question_word_asks_a_count(question):
    assert asked(question) and asked(question).requirements[0].what.startswith("con số cụ thể")


@pytest.mark.unit
def test_a_count_question_is_met_by_the_unit_it_counts():
    q = "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?"
    assert meets(q, "Hợp tác xã do ít nhất 05 thành viên chính thức tự nguyện thành lập")
    assert meets(q, "chiếm tỷ lệ dưới 35% tổng số thành viên chính thức")
    assert not meets(q, "do 03 hợp tác xã thành lập")


@pytest.mark.integration
@pytest.mark.parametrize("question", [
    "Máy cày cho hợp tác xã giá bao nhiêu tiền một chiếc?",
    "Hợp tác xã chậm nộp báo cáo tài chính bị phạt bao nhiêu tiền?",
    "Ngày mai có bão không, hợp tác xã nuôi cá có cần thu hoạch sớm?",
    "Ai là giám đốc Hợp tác xã Rau an toàn Hòa Bình?",
    "htx cham nop bao cao tai chinh bi phat bao nhieu",
])
def test_on_topic_questions_the_documents_do_not_answer_are_refused(service, question):
    a = service.answer(question)
    assert not a.found, a.answer
    assert "Luật Hợp tác xã 2023" in a.answer  # says which documents were searched


@pytest.mark.integration
def test_a_quantity_the_documents_do_not_fix_is_not_found_and_the_nearest_provision_named(service):
    a = service.answer("Hợp tác xã cho thành viên vay nội bộ thì lãi suất tối đa là bao nhiêu phần trăm?")
    assert not a.found and a.kind == "refusal"
    assert "không nêu mức lãi suất" in a.answer
    # the provision that says who sets the rate, cited so the reader can open it
    assert [(c.doc_id, c.label) for c in a.citations] == [("luat-hop-tac-xa-2023", "khoản 3 Điều 83")]
    assert "lãi suất" in a.citations[0].quote and "[1]" in a.answer


@pytest.mark.integration
def test_questions_stating_what_they_ask_are_still_answered(service):
    for question, fact in [("Cần bao nhiêu thành viên để thành lập hợp tác xã?", "05 thành viên"),
                           ("Muốn sửa Điều lệ hợp tác xã thì Đại hội thành viên phải có bao nhiêu phần trăm phiếu tán thành?", "65%"),
                           ("Theo mục tiêu năm 2030, ít nhất bao nhiêu phần trăm tổ chức kinh tế tập thể tham gia liên kết theo chuỗi giá trị?", "50%")]:
        a = service.answer(question)
        assert a.found and fact in a.answer, (question, a.answer[:300])


@pytest.mark.integration
def test_api_refusal_with_a_nearby_provision_is_not_found(api):
    import httpx
    r = httpx.post(f"{api.url}/api/chat", json={"message": "Lãi suất vay vốn ưu đãi của hợp tác xã là bao nhiêu phần trăm?"},
                   timeout=30)
    body = r.json()
    assert r.status_code == 200 and body["found"] is False
    assert len(body["citations"]) == 1 and "Điều 23" in body["citations"][0]["label"]
    assert "không nêu mức lãi suất" in body["answer"]


@pytest.mark.integration
def test_eval_reports_refusal_on_topic_and_off_topic_apart(service):
    report = evaluate(service, [
        {"id": "a", "kind": "unanswerable", "q": "Giá thuê kho lạnh cho hợp tác xã là bao nhiêu tiền?", "all_of": []},
        {"id": "b", "kind": "oos", "q": "Giá vàng hôm nay bao nhiêu một chỉ?", "all_of": []},
        {"id": "c", "kind": "oos", "q": "Ly hôn đơn phương cần những giấy tờ gì?", "all_of": []},
    ])
    assert report["refusal_on_topic"] == {"questions": 1, "rate": 1.0}
    assert report["refusal_off_topic"] == {"questions": 2, "rate": 1.0}


@pytest.mark.unit
@pytest.mark.parametrize("question, body", [
    ("Sở Tài chính có trách nhiệm gì?", "Sở Tài chính"),
    ("Vay vốn Ngân hàng Nông nghiệp. Lãi suất thế nào?", None),  # told, not asked: the asking sentence names none
    ("Hợp tác xã vay Ngân hàng Nông nghiệp được không?", "Ngân hàng Nông nghiệp"),
    ("Ủy ban nhân dân tỉnh có nhiệm vụ gì?", None),  # a kind of body, not a name
    ("Sở KH&ĐT có nhiệm vụ gì?", None),  # an abbreviation is left to the documents' own matching
    ("Cục Thuế làm gì với hợp tác xã?", "Cục Thuế"),  # "làm" is no part of the name
    ("Ban Giám đốc HTX có nhiệm vụ gì?", None),  # a cooperative's own body, in people's words
])
def test_a_body_the_documents_never_name_is_a_requirement_no_passage_meets(question, body):
    names = [r.what for r in asked(question).requirements if "cơ quan này" in r.what]
    assert names == ([] if body is None else [f"gì về «{body}» (không văn bản nào nhắc đến cơ quan này)"])


@pytest.mark.integration
def test_a_body_the_documents_never_name_is_not_answered_with_another_bodys_duties(service):
    # before: the duties of Bộ Tài chính (khoản 2 Điều 8 of Decree 92), as if they were the Sở's
    a = service.answer("Sở Tài chính có trách nhiệm gì?")
    assert not a.found and "«Sở Tài chính»" in a.answer
    a = service.answer("Bộ Tài chính có trách nhiệm gì trong đăng ký hợp tác xã?")
    assert a.found and ("nghi-dinh-92-2024-nd-cp", "khoản 2 Điều 8") in [(c.doc_id, c.label) for c in a.citations]


@pytest.mark.unit
@pytest.mark.parametrize("question, body", [
    ("SỞ TÀI CHÍNH CÓ TRÁCH NHIỆM GÌ?", "sở tài chính"),  # capitals do not mark where the name ends
    ("Sở tài chính có trách nhiệm gì?", "sở tài chính"),  # nor does sentence case
    ("Nhiệm vụ của cục thuế là gì?", "cục thuế"),
    ("Sở Tài chính có trách nhiệm gì?", "Sở Tài chính"),  # read by its capitals, once
    ("so tai chinh co trach nhiem gi", None),  # folded, "so" is also sổ and số: not read
    ("SỔ ĐĂNG KÝ THÀNH VIÊN CÓ VAI TRÒ GÌ?", None),  # "sổ" is no "sở"
    ("Các ngân hàng có trách nhiệm gì khi cho hợp tác xã vay vốn?", None),  # "có" is no part of a name
    ("Bộ phận kế toán của hợp tác xã có nhiệm vụ gì?", None),  # a part of a cooperative, not a body
])
def test_a_body_in_capitals_or_sentence_case_that_the_documents_never_name(question, body):
    names = [r.what for r in asked(question).requirements if "cơ quan này" in r.what]
    assert names == ([] if body is None else [f"gì về «{body}» (không văn bản nào nhắc đến cơ quan này)"])


@pytest.mark.integration
def test_a_body_in_capitals_or_sentence_case_is_not_answered_with_another_bodys_duties(service):
    # before: these were answered with Bộ Tài chính's duties (khoản 2 Điều 8 of Decree 92)
    for question in ("SỞ TÀI CHÍNH CÓ TRÁCH NHIỆM GÌ?", "Sở tài chính có trách nhiệm gì?"):
        a = service.answer(question)
        assert not a.found and "không văn bản nào nhắc đến cơ quan này" in a.answer, a.answer[:200]
    a = service.answer("Bộ tài chính có trách nhiệm gì trong đăng ký hợp tác xã?")
    assert a.found and ("nghi-dinh-92-2024-nd-cp", "khoản 2 Điều 8") in [(c.doc_id, c.label) for c in a.citations]
