"""Answer mechanisms, each on the real index: the behaviour a class of questions relies on,
not one wording of the development set."""
from __future__ import annotations

import re

import pytest

from assistant.answer import Answer, Block, Citation, merge, render
from assistant.index import Document
from assistant.question import sub_questions
from assistant.retrieval import HybridRetriever


@pytest.mark.unit
def test_document_names_match_on_token_boundaries():
    doc = Document(id="nd77", title="Nghị định về tổ hợp tác", short="Nghị định 77/2019/NĐ-CP",
                   number="77/2019/NĐ-CP", issuer=None, issued=None, effective=None, status="superseded",
                   source=None, file="x.md", family="legal", chunks=1)
    forms = doc.name_forms()
    assert {"77/2019", "77/2019/nd-cp", "nghi dinh 77"} <= forms
    typed = lambda q: type("T", (), {"typed": q})()  # noqa: E731 - the one field _names reads
    assert HybridRetriever._names(typed("Nghị định 77/2019 quy định gì?"), doc)
    assert not HybridRetriever._names(typed("Nghị định 177/2019 quy định gì?"), doc)
    program = Document(id="p", title="Chương trình thực hiện Nghị quyết số 20-NQ/TW", short="Chương trình",
                       number=None, issuer=None, issued=None, effective=None, status="in_force",
                       source=None, file="p.md", family="program", chunks=1)
    assert {"nghi quyet 20", "nghi quyet so 20", "20 nq tw"} <= program.name_forms()


@pytest.mark.unit
@pytest.mark.parametrize("message, n", [
    ("HTX đã thông qua nghị quyết giải thể. Phải gửi nghị quyết trong bao lâu, và hồ sơ giải thể gồm những gì?", 2),
    ("Cháu tôi 16 tuổi, có được vào hợp tác xã không? Nếu được thì cháu là loại thành viên nào?", 2),
    ("Hợp tác xã mở chi nhánh thì nộp hồ sơ trong bao lâu, nộp ở đâu?", 0),   # "nộp ở đâu" leans on the first
    ("Tôi cùng mấy hộ hàng xóm muốn lập hợp tác xã. Cần bao nhiêu thành viên?", 0),
    ("Cần tối thiểu bao nhiêu thành viên?", 0),
])
def test_a_message_asking_two_things_is_split(message, n):
    parts = sub_questions(message)
    assert len(parts) == n
    if n and message.startswith("HTX"):
        assert all(p.startswith("HTX đã thông qua nghị quyết giải thể.") for p in parts)


@pytest.mark.unit
def test_merge_adds_new_passages_renumbered():
    c = lambda n, label: Citation(n, "d", "Luật", label, "q", 1.0)  # noqa: E731
    main = Answer("Có — theo khoản 1 [1]\n\nTheo khoản 1 Luật:\nq [1]", True, [c(1, "khoản 1")], passages=["Theo khoản 1 Luật:\nq [1]"])
    other = Answer("Theo khoản 3 Luật:\nr [1]", True, [c(1, "khoản 3")], passages=["Theo khoản 3 Luật:\nr [1]"])
    same = Answer("Theo khoản 1 Luật:\nq [1]", True, [c(1, "khoản 1")], passages=["Theo khoản 1 Luật:\nq [1]"])
    out = merge(main, [same, other])
    assert [x.label for x in out.citations] == ["khoản 1", "khoản 3"] and out.citations[1].n == 2
    assert out.answer.startswith("Có — theo khoản 1 [1]") and out.answer.endswith("r [2]")


@pytest.mark.integration
def test_a_list_question_over_an_article_of_clauses_gets_every_clause(service):
    a = service.answer("Cơ quan đăng ký kinh doanh cấp huyện có những nhiệm vụ, quyền hạn gì?")
    assert a.found and a.citations[0].label == "Điều 7"
    for item in ("Trực tiếp nhận hồ sơ", "thu hồi", "số hóa"):
        assert item.lower() in a.answer.lower()
    assert a.citations[0].anchor == "dieu-7"


@pytest.mark.integration
def test_who_question_names_the_office_behind_a_legal_body(service):
    a = service.answer("Cơ quan nào tiếp nhận hồ sơ và cấp giấy chứng nhận đăng ký hợp tác xã?")
    assert a.found and "Phòng Tài chính - Kế hoạch" in a.answer
    assert any(c.label == "khoản 1 Điều 5" and c.doc_id == "nghi-dinh-92-2024-nd-cp" for c in a.citations)


@pytest.mark.integration
def test_a_who_lead_that_names_a_body_by_its_legal_name_says_which_office_it_is(service):
    a = service.answer("Cơ quan nào tiếp nhận hồ sơ và cấp giấy chứng nhận đăng ký hợp tác xã?")
    naming = next(c for c in a.citations if c.label == "khoản 1 Điều 5" and c.doc_id == "nghi-dinh-92-2024-nd-cp")
    assert "cơ quan đăng ký kinh doanh" in a.lead.lower()
    assert "Phòng Tài chính - Kế hoạch" in a.lead and a.lead.endswith(f"[{naming.n}]")
    assert len(a.lead) <= 460 and a.answer.startswith(a.lead)


@pytest.mark.unit
def test_a_who_lead_gets_the_sentence_naming_the_office_only_when_there_is_one_and_room():
    from assistant.answer import LEAD_MAX_WHOLE, with_office
    naming = Citation(5, "nd92", "Nghị định 92", "Điều 5", "Điều 5. Cơ quan đăng ký kinh doanh\n1. Cơ quan đăng ký "
                      "kinh doanh tổ hợp tác, hợp tác xã là Phòng Tài chính - Kế hoạch thuộc Ủy ban nhân dân huyện. "
                      "Cơ quan này có con dấu riêng.", 0.0)
    lead = "… Cơ quan đăng ký kinh doanh cấp huyện tiếp nhận hồ sơ; [1]"
    assert with_office(lead, naming) == (f"{lead}\n1. Cơ quan đăng ký kinh doanh tổ hợp tác, hợp tác xã là Phòng "
                                         "Tài chính - Kế hoạch thuộc Ủy ban nhân dân huyện. [5]")  # not the title
    long = "x" * (LEAD_MAX_WHOLE - 100)
    assert with_office(long, naming) == long  # no room for the office: the lead as it was
    nothing = Citation(5, "nd92", "Nghị định 92", "Điều 5", "1. Hồ sơ gửi cơ quan đăng ký kinh doanh.", 0.0)
    assert with_office(lead, nothing) == lead


class _Unit:
    def __init__(self, text: str) -> None:
        self.text = text


class _Chunk:
    def __init__(self, row: int, *texts: str) -> None:
        self.row, self.units = row, [_Unit(t) for t in texts]


class _Chunks:
    """Just enough of an index for the role definitions (hashable, as the cache needs)."""

    def __init__(self, *chunks: _Chunk) -> None:
        self.chunks = list(chunks)


def test_a_role_defined_in_either_order_is_named_and_a_bare_authority_is_not():
    from assistant.answer import naming_clause
    index = _Chunks(
        _Chunk(0, "1. Cơ quan thẩm định dự án đầu tư công, cấp tỉnh là Sở Tài chính thuộc Ủy ban nhân dân tỉnh."),
        _Chunk(1, "a) Giao Ban Dân tộc làm cơ quan thường trực của Ban chỉ đạo chương trình mục tiêu."),
        _Chunk(2, "3. Hội đồng thẩm định là cơ quan tư vấn."),  # "cơ quan tư vấn": too short to be a role
        _Chunk(3, "Trách nhiệm của cơ quan quản lý nhà nước."))
    assert naming_clause(index, "Hồ sơ gửi cơ quan thẩm định dự án đầu tư công.", set()) == 0
    assert naming_clause(index, "Báo cáo cơ quan thường trực của Ban chỉ đạo hằng quý.", set()) == 1
    assert naming_clause(index, "Báo cáo cơ quan thường trực của Ban chỉ đạo hằng quý.", {1}) is None  # quoted already
    assert naming_clause(index, "Ý kiến của cơ quan tư vấn và cơ quan quản lý nhà nước.", set()) is None


@pytest.mark.integration
def test_a_definition_by_members_names_the_term_for_each_member_and_a_classification_does_not(service):
    from assistant.definitions import member_terms
    pairs = dict(member_terms(service.index()))
    assert pairs["vợ"] == pairs["anh ruột của chồng"] == "người có quan hệ gia đình"
    # "Thành viên bao gồm thành viên chính thức, thành viên liên kết góp vốn và …" classifies: no names;
    # "Giao dịch nội bộ là việc cung cấp …, bao gồm cả …" says what the term is, not who is in it
    assert not any(term == "thành viên" or term.startswith("giao dịch") for term in pairs.values())


@pytest.mark.integration
def test_a_kin_word_reads_as_the_laws_family_relation_when_the_lead_is_chosen(service):
    # "Bố vợ" is in the Law's list of "Người có quan hệ gia đình": the condition on family
    # relations answers, not the clause beside it that shares the question's other words
    for question in ("Bố vợ của thành viên Ban kiểm soát có được làm Giám đốc hợp tác xã không?",
                     "Bo vo cua thanh vien Ban kiem soat co duoc lam Giam doc hop tac xa khong?"):
        a = service.answer(question)
        assert a.found and "quan hệ gia đình" in a.lead, question


@pytest.mark.integration
def test_a_question_about_the_resolution_is_answered_from_the_program(service):
    for question in ("Việc quán triệt Nghị quyết 20 tại các huyện do ai tổ chức?",   # wordings of this test's own,
                     "Ở huyện, cơ quan nào lo việc học tập và quán triệt Nghị quyết số 20?"):  # none from a dev set
        a = service.answer(question)
        assert a.found and a.citations[0].doc_id == "chuong-trinh-hanh-dong-nq20-tinh-uy", question


@pytest.mark.integration
def test_two_questions_in_one_message_are_both_answered(service):
    a = service.answer("Hợp tác xã chúng tôi đã thông qua nghị quyết giải thể tự nguyện. Người đại diện phải gửi "
                       "nghị quyết đi trong bao lâu, và đến lúc trả xong nợ thì hồ sơ đăng ký giải thể gồm những gì?")
    assert a.found and "07 ngày làm việc" in a.answer and "05 ngày làm việc" in a.answer
    assert [c.n for c in a.citations] == list(range(1, len(a.citations) + 1))
    assert all(f"[{c.n}]" in a.answer for c in a.citations)


@pytest.mark.integration
def test_a_list_question_over_an_article_that_is_one_list_gets_every_item(service):
    a = service.answer("Các tình trạng pháp lý của hợp tác xã gồm những gì?")
    assert a.found and a.citations[0].label == "Điều 27"
    for item in ("Tạm ngừng kinh doanh", "Không hoạt động tại địa chỉ đã đăng ký", "Đang hoạt động"):
        assert item in a.answer


@pytest.mark.unit
@pytest.mark.parametrize("question, states, not_states", [
    ("Cần bao nhiêu thành viên để thành lập?", "ít nhất 05 thành viên chính thức", "05 hợp tác xã"),
    ("Thành lập cần mấy người?", "tối thiểu là 03 người", "ba người"),
    ("Thời hạn là bao lâu?", "trong thời hạn 10 ngày làm việc", "trong thời hạn quy định"),
    ("Tỷ lệ tối thiểu là bao nhiêu?", "chiếm dưới 35% tổng số", "một phần ba"),
])
def test_a_quantity_question_knows_what_its_answer_looks_like(question, states, not_states):
    import re

    from assistant.question import quantity_pattern
    pattern = quantity_pattern(question, lambda rest: "thành viên" if rest.startswith("thành viên") else rest.split()[0])
    assert re.search(pattern, states) and not re.search(pattern, not_states)


@pytest.mark.integration
def test_how_many_members_finds_the_definition_that_states_the_number(service):
    a = service.answer("Cần bao nhiêu thành viên để thành lập hợp tác xã?")
    assert a.found and "05 thành viên" in a.answer
    assert a.citations[0].label == "khoản 7 Điều 4"


@pytest.mark.unit
def test_clauses_of_one_article_share_one_heading_and_opening_line():
    opening = "Trong Luật này, các từ ngữ dưới đây được hiểu như sau:"
    blocks = [Block(1, "law", "khoản 16 Điều 4", "Luật A", f"{opening}\n16. Thành viên là …"),
              Block(2, "law", "khoản 18 Điều 4", "Luật A", f"{opening}\n18. Thành viên liên kết là …"),
              Block(3, "law", "khoản 2 Điều 9", "Luật A", "2. Khác."),
              Block(4, "decree", "khoản 1 Điều 4", "Nghị định B", "1. Của văn bản khác.")]
    text = render(blocks)
    assert text.count(opening) == 1 and text.count("Theo ") == 3
    assert text.startswith(f"Theo Điều 4 Luật A:\n{opening}\n16. Thành viên là … [1]\n18. Thành viên liên kết là … [2]")
    assert "Theo khoản 2 Điều 9 Luật A:\n2. Khác. [3]" in text
    assert "Theo khoản 1 Điều 4 Nghị định B:" in text  # same article number, other document: its own heading
    # a clause whose every line is already shown still gets its marker
    assert render([Block(1, "law", "khoản 1 Điều 2", "Luật A", "x"), Block(2, "law", "điểm a khoản 1 Điều 2", "Luật A", "x")]) \
        == "Theo Điều 2 Luật A:\nx [1] [2]"


@pytest.mark.unit
def test_the_answer_opens_with_its_lead_where_the_first_quote_does_not_show_it_at_once():
    from assistant.answer import LEAD_AFTER, lead_above
    filler = "a) Đủ điều kiện về tên gọi, trụ sở và vốn góp của các thành viên theo quy định của pháp luật;\n" * 6
    lead = "c) Thời hạn giải quyết là 03 ngày làm việc kể từ ngày nhận đủ hồ sơ. [1]"
    long_quote = "1. Điều kiện:\n" + filler + lead.removesuffix(" [1]")
    assert len(long_quote) > LEAD_AFTER and lead_above(lead, long_quote)
    assert not lead_above(lead, "1. Điều kiện:\n" + lead.removesuffix(" [1]") + "\n" + filler)  # seen at once
    assert not lead_above(lead, "1. Điều kiện:\n" + lead.removesuffix(" [1]"))                    # short: read whole
    assert lead_above("Không — … Lệ phí không được hoàn trả. [1]", "2. Lệ phí không được hoàn trả.")  # a verdict
    # a lead longer than what a reader sees first, which the quote opens with or shows under a
    # heading line, is not said twice; one that starts further down is put above
    point = "2. Tên riêng được coi là gây nhầm lẫn nếu:\nđ) " + "Tên riêng chỉ khác bởi một cụm từ chỉ phương hướng. " * 8
    assert len(point) > LEAD_AFTER and not lead_above(point + " [1]", point + "\n" + filler)
    assert not lead_above(point + " [1]", "1. Mục tiêu tổng quát\n" + point)
    assert lead_above(point + " [1]", "1. Điều kiện:\n" + filler[:200] + point)
    clause = "Xây dựng, củng cố và phát triển kinh tế tập thể năng động, hiệu quả, bền vững. " * 5  # 395 characters
    assert not lead_above(clause + " [1]", "1. Mục tiêu tổng quát\n" + clause + "\n" + filler)
    assert lead_above(clause + " [1]", filler + clause)


@pytest.mark.integration
def test_a_long_first_quote_is_preceded_by_the_lead_in_the_answer_text(service):
    # the time limit is the last sentence of a long article: the lead brings it to the top
    result = service.answer("Giấy chứng nhận đăng ký hợp tác xã bị mất thì bao lâu được cấp lại?")
    assert result.found and "03 ngày làm việc" in result.lead
    assert result.answer.startswith(result.lead + "\n\nTheo ") and "03 ngày làm việc" in result.answer[:400]


@pytest.mark.integration
def test_a_message_of_many_questions_costs_a_few_embeddings_not_one_each(service, monkeypatch):
    calls = []
    real = service.embedder.embed_query
    monkeypatch.setattr(service.embedder, "embed_query", lambda text: calls.append(text) or real(text))
    message = " ".join(f"Hợp tác xã thứ {i} phải có tối thiểu bao nhiêu thành viên chính thức, và vốn góp tối đa "
                       f"là bao nhiêu?" for i in range(9))
    assert len(message) <= 1000
    answer = service.answer(message)
    assert answer.found and len(calls) <= 4, len(calls)   # the whole message and at most three of its questions


@pytest.mark.integration
@pytest.mark.parametrize("question, least", [
    ("Thành lập hợp tác xã cần mấy người?", "05 thành viên"),
    ("Hợp tác xã cần bao nhiêu thành viên?", "05 thành viên"),
    ("muon lap htx thi can bao nhieu nguoi", "05 thành viên"),
    ("Tổ hợp tác cần bao nhiêu thành viên?", "02 thành viên"),
    # how many it takes for something to be allowed ("thì … được") is the least too
    ("Mấy người thì lập được hợp tác xã?", "05 thành viên"),
    ("Phải có bao nhiêu hợp tác xã thì mới lập được liên hiệp?", "03 hợp tác xã"),
])
def test_how_many_members_are_needed_is_the_least_the_law_requires(service, question, least):
    # not the liên hiệp's definition (03 hợp tác xã), a general meeting's quorum, or the
    # province's target of members for 2030
    answer = service.answer(question)
    assert answer.found and least in answer.answer[:400], answer.answer[:400]


@pytest.mark.integration
def test_a_duration_asked_in_years_finds_the_law_written_in_months(service):
    # the Law writes "từ 12 tháng trở lên"; people say "trên 1 năm"
    answer = service.answer("Tổ hợp tác có hợp đồng hợp tác trên 1 năm thì có phải đăng ký không?")
    assert answer.found and answer.citations[0].label == "khoản 2 Điều 107", [c.label for c in answer.citations]
    assert "12 tháng" in answer.answer[:400]


@pytest.mark.integration
@pytest.mark.parametrize("question", [
    "Thành viên liên kết góp vốn bị chấm dứt tư cách trong trường hợp nào?",
    "Thanh vien lien ket gop von bi cham dut tu cach trong truong hop nao?",
])
def test_a_clause_that_only_points_is_followed_to_the_clause_it_names(service, question):
    # khoản 2 says only "theo quy định tại các điểm a, b, c, d … khoản 1 Điều này": the cases
    # themselves are in khoản 1, quoted right after it (before, the answer never showed them)
    answer = service.answer(question)
    first, second = (c.label for c in answer.citations[:2])
    assert first.startswith("khoản 2 Điều") and second == first.replace("khoản 2", "khoản 1"), [first, second]
    assert "Thành viên tự nguyện ra" in answer.answer[:700]


@pytest.mark.integration
def test_a_further_passage_s_pointer_does_not_grow_the_answer_past_its_passages(service):
    # the 4th passage (khoản 4 Điều 39 Nghị định: "… thực hiện theo quy định tại Điều 47 Luật")
    # was followed to two clauses of the change-registration procedure, which named the
    # registration office, which brought the clause saying which office that is: six quotes,
    # 4,072 characters, for "who is the legal representative"
    from assistant.answer import MAX_PARTS
    answer = service.answer("Ai là người đại diện theo pháp luật của hợp tác xã?")
    assert answer.found and answer.citations[0].label.endswith("Điều 11"), [c.label for c in answer.citations]
    assert len(answer.citations) <= MAX_PARTS and "Điều 47" not in {c.label for c in answer.citations}
    assert len(answer.answer) < 2500


@pytest.mark.integration
def test_only_a_pointer_that_is_the_whole_clause_is_followed(service):
    from assistant.answer import pointed_clause, pointed_provisions
    index = service.index()
    law = next(c for c in index.chunks if c.doc_id == "luat-hop-tac-xa-2023" and c.label == "khoản 2 Điều 32")
    assert pointed_clause(index, law, law.text).label == "khoản 1 Điều 32"
    # the Decree hands a procedure to the Law by name: every clause of the articles it names
    decree = next(c for c in index.chunks if c.doc_id == "nghi-dinh-92-2024-nd-cp" and c.label == "Điều 34")
    named = pointed_provisions(index, decree, decree.text)
    assert {c.doc_id for c in named} == {"luat-hop-tac-xa-2023"}
    assert {c.label for c in named} >= {"khoản 1 Điều 41", "khoản 1 Điều 42", "khoản 2 Điều 42", "khoản 4 Điều 42"}
    # an act that is not one of the documents is not followed
    assert pointed_provisions(index, law, "a) Nộp phí theo quy định tại Điều 5 Luật Phí và lệ phí.") == []
    # an exception is not what a clause says, and a clause that says more answers on its own
    assert pointed_clause(index, law, "3. Luật cũ hết hiệu lực kể từ ngày Luật này có hiệu lực, trừ quy định "
                                      "tại khoản 5 Điều 115 của Luật này.") is None
    assert pointed_clause(index, law, "2. Hồ sơ gồm giấy đề nghị, điều lệ, danh sách thành viên, phương án sản "
                                      "xuất kinh doanh và các giấy tờ khác theo quy định tại khoản 1 Điều này.") is None


@pytest.mark.integration
@pytest.mark.parametrize("question", [
    "Thành viên liên kết góp vốn của hợp tác xã có nghĩa vụ gì?",
    "Thanh vien lien ket gop von cua HTX co nghia vu gi",
])
def test_search_shows_the_clause_a_pointer_names_right_after_it(service, question):
    labels = [r.label for r in service.search(question, k=5)]
    assert "khoản 2 Điều 32" in labels and len(labels) == 5, labels
    assert labels[labels.index("khoản 2 Điều 32") + 1] == "khoản 1 Điều 32", labels


@pytest.mark.integration
def test_a_procedure_the_decree_hands_to_the_law_is_quoted_from_the_law(service):
    # Điều 34 of Decree 92 says only "thực hiện theo quy định tại Điều 41 và Điều 42 Luật Hợp tác
    # xã": the founding file's documents (khoản 2 Điều 42) are what the reader needs
    answer = service.answer("Thủ tục đăng ký thành lập hợp tác xã?")
    cited = [(c.doc_id, c.label) for c in answer.citations]
    assert ("luat-hop-tac-xa-2023", "khoản 2 Điều 42") in cited, cited
    assert "Hồ sơ đăng ký thành lập bao gồm" in answer.answer
    assert "Chính phủ quy định" not in answer.answer  # a clause that hands the matter on is not followed


@pytest.mark.integration
@pytest.mark.parametrize("question, label", [
    ("Hợp tác xã là gì?", "khoản 7 Điều 4"),
    ("hop tac xa la gi", "khoản 7 Điều 4"),
    ("Liên hiệp hợp tác xã được hiểu như thế nào?", "khoản 8 Điều 4"),
])
def test_what_a_defined_term_means_is_answered_from_its_definition(service, question, label):
    # "hợp tác xã" is in most clauses of the Law: without the definitions' vote the answer was
    # the clause on mergers, which repeats it most
    answer = service.answer(question)
    assert answer.found and answer.citations[0].label == label, [c.label for c in answer.citations]


@pytest.mark.integration
def test_a_question_typed_bare_is_restored_whole_though_its_abbreviations_are_spelled_out(service):
    retriever = service._retriever(service.index())
    terms = retriever.terms("hội đồng quản trị hợp tác xã co bao nhieu thanh vien", "hdqt htx co bao nhieu thanh vien")
    assert terms.text == "hội đồng quản trị hợp tác xã có bao nhiêu thành viên"
    answer = service.answer("hdqt htx co bao nhieu thanh vien")
    assert answer.found and "15 người" in answer.answer  # was refused: no "count of thanh" in the Law


@pytest.mark.integration
def test_only_a_question_about_meaning_asks_for_a_definition(service):
    from assistant.definitions import definition_rows
    index = service.index()
    assert definition_rows(index, "Thành viên hợp tác xã có nghĩa vụ gì?") == []
    rows = definition_rows(index, "Thành viên liên kết góp vốn là gì?")  # the longest term named, not "góp vốn"
    assert [index.chunks[r].label for r in rows] == ["khoản 18 Điều 4"]


def _lead(quote: str, terms: str, question: str, asked: tuple = ()) -> str:
    """The lead of `quote` as first citation [1], for a question whose informative folded terms
    are `terms` and that asks for `asked` (requirements of assistant/asked.py)."""
    from assistant.answer import TermWeights, answer_lead
    from assistant.question import classify
    first = Citation(1, "luat", "Luật", "Điều 1", "", 1.0)
    return answer_lead(quote, TermWeights({t: 1.0 for t in terms.split()}), classify(question), question, first, asked)


def _period() -> tuple:
    from assistant.asked import DURATION_IN_TEXT, Requirement
    return (Requirement("thời hạn cụ thể", DURATION_IN_TEXT),)


@pytest.mark.unit
def test_a_list_lead_keeps_every_item_in_its_room_and_says_a_cut_once():
    from assistant.answer import LEAD_MAX_WHOLE, cut
    # a long opening line and two long items: each item's share, with its line break and the
    # character a cut may run over, must fit, or the last item is lost to the list's final cut
    head = ("1. Cơ quan đăng ký kinh doanh cấp huyện ra quyết định hủy bỏ quyết định thu hồi Giấy chứng nhận "
            "đăng ký hợp tác xã đồng thời khôi phục Giấy chứng nhận đăng ký hợp tác xã trên Hệ thống thông tin "
            "về đăng ký hợp tác xã trong các trường hợp sau đây:")
    items = ["a) Cơ quan đăng ký kinh doanh cấp huyện xác định hợp tác xã, liên hiệp hợp tác xã không thuộc "
             "trường hợp bị thu hồi Giấy chứng nhận đăng ký hợp tác xã;",
             "b) Cơ quan đăng ký kinh doanh cấp huyện nhận được văn bản của cơ quan quản lý thuế đề nghị khôi phục "
             "Giấy chứng nhận đăng ký hợp tác xã sau khi hợp tác xã đã khắc phục vi phạm về thuế."]
    lead = _lead("\n".join([head] + items), "truong hop khoi phuc", "Những trường hợp nào được khôi phục giấy chứng nhận?")
    assert "\nb) Cơ quan" in lead and "… …" not in lead, lead
    assert len(lead) <= LEAD_MAX_WHOLE + len(" [1]"), len(lead)
    # a text whose kept part already ends cut is not marked twice
    assert cut("a) Một hai ba bốn …\nb) năm sáu bảy tám chín mười", 30) == "a) Một hai ba bốn …"


@pytest.mark.unit
def test_a_list_lead_the_first_quote_shows_on_the_first_screen_is_not_repeated_above_it():
    from assistant.answer import lead_above
    head = "2. Hồ sơ đăng ký thành lập bao gồm:"
    short = [head, "a) Giấy đề nghị đăng ký thành lập;", "b) Điều lệ;",
             "c) Danh sách thành viên chính thức, thành viên liên kết góp vốn của hợp tác xã, liên hiệp hợp tác xã;"]
    # an item cut in the middle of the list: the lead is no longer one piece of the quote
    lead = "\n".join([head, "a) Giấy đề nghị …", "b) Điều lệ;", "c) Danh sách thành viên chính thức, thành …"]) + " [1]"
    tail = "\n3. " + "Cơ quan đăng ký kinh doanh tiếp nhận hồ sơ và cấp giấy biên nhận. " * 6
    assert not lead_above(lead, "\n".join(short) + tail)  # the items end by character 400: seen there
    long = short[:3] + ["c) " + "Danh sách thành viên chính thức và thành viên liên kết góp vốn; " * 6]
    assert lead_above(lead, "\n".join(long) + tail)       # they end past it: the lead is put above
    assert lead_above(lead, "3. Một khoản khác hẳn. " * 30)  # not in the quote at all: above


@pytest.mark.unit
def test_the_lead_is_the_line_that_answers_with_what_it_hangs_from():
    quote = ("1. Cá nhân là công dân Việt Nam hoặc người nước ngoài cư trú hợp pháp tại Việt Nam, từ đủ 18 tuổi "
             "trở lên, có năng lực hành vi dân sự đầy đủ;\n2. Hộ gia đình có người đại diện theo quy định của pháp luật;\n"
             "3. Cơ quan, tổ chức là pháp nhân Việt Nam.")
    lead = _lead(quote, "ho gia dinh ho_gia gia_dinh", "Hộ gia đình có được vào hợp tác xã không?")
    assert lead.startswith("2. Hộ gia đình") and lead.endswith("[1]")
    # a list: the line that opens it and each item's first words, within about LEAD_MAX
    items = "\n".join(f"{c}) Nghĩa vụ thứ {i} của thành viên chính thức theo quy định của Điều lệ hợp tác xã và pháp luật;"
                      for i, c in enumerate("abcdef"))
    listing = _lead("1. Thành viên chính thức có nghĩa vụ sau đây:\n" + items, "nghia vu", "Thành viên có những nghĩa vụ gì?")
    assert listing.startswith("1. Thành viên chính thức có nghĩa vụ sau đây:\na) Nghĩa vụ thứ 0")
    assert len(listing) <= 460 and "…" in listing
    # a short list has room for each item whole, not its first 60 characters
    conditions = ("1. Tổ hợp tác được cấp Giấy chứng nhận đăng ký tổ hợp tác khi có đủ các điều kiện sau đây:\n"
                  "a) Ngành, nghề đăng ký kinh doanh không bị cấm đầu tư kinh doanh;\n"
                  "b) Tên của tổ hợp tác được đặt theo đúng quy định;\nc) Có hồ sơ đăng ký tổ hợp tác hợp lệ.")
    lead = _lead(conditions, "dieu kien cap", "Tổ hợp tác cần những điều kiện gì để được cấp giấy chứng nhận?")
    assert lead == conditions + " [1]"
    # a point leads with the line it hangs from, which says what the point is a case of, though
    # the two are longer than one sentence's room (before: the point alone, "gây nhầm lẫn" lost)
    names = ("2. Tên riêng của hợp tác xã, liên hiệp hợp tác xã đề nghị đăng ký được coi là gây nhầm lẫn với tên riêng "
             "của hợp tác xã, liên hiệp hợp tác xã đã đăng ký nếu thuộc một trong các trường hợp sau đây:\n"
             "a) Tên riêng của hợp tác xã đề nghị đăng ký được đọc giống tên riêng của hợp tác xã đã đăng ký;\n"
             "đ) Tên riêng của hợp tác xã, liên hiệp hợp tác xã đề nghị đăng ký chỉ khác với tên riêng của hợp tác xã, "
             "liên hiệp hợp tác xã đã đăng ký bởi một cụm từ “miền Bắc”, “miền Nam”, “miền Trung”.")
    lead = _lead(names, "ten rieng mien bac dang ky", "Tôi đặt tên “Hợp tác xã Hòa Bình miền Bắc” thì có được chấp nhận không?")
    assert lead.startswith("2. Tên riêng") and "gây nhầm lẫn" in lead and "\nđ) " in lead and "\na) " not in lead


@pytest.mark.unit
def test_a_long_line_leads_with_its_sentence_that_answers_and_a_title_with_what_follows():
    from assistant.answer import LEAD_MAX
    filler = "Hồ sơ đăng ký được tiếp nhận vào Hệ thống thông tin về đăng ký hợp tác xã khi có đủ các điều kiện. " * 5
    quote = ("6. " + filler + "Thời hạn để hợp tác xã sửa đổi, bổ sung hồ sơ đăng ký là 60 ngày kể từ ngày ra thông báo. "
             "Sau thời hạn nêu trên, hồ sơ đăng ký không còn giá trị.")
    lead = _lead(quote, "sua doi bo sung thoi han", "Hợp tác xã có bao lâu để sửa đổi, bổ sung hồ sơ?")
    assert lead.startswith("… Thời hạn để hợp tác xã sửa đổi") and "60 ngày" in lead and len(lead) <= LEAD_MAX + 10
    program = "1. Mục tiêu tổng quát\nXây dựng, củng cố và phát triển kinh tế tập thể năng động, hiệu quả."
    lead = _lead(program, "muc tieu tong quat", "Mục tiêu tổng quát là gì?")
    assert lead == "1. Mục tiêu tổng quát\nXây dựng, củng cố và phát triển kinh tế tập thể năng động, hiệu quả. [1]"


@pytest.mark.unit
def test_a_line_up_to_half_as_long_again_as_the_lead_leads_whole():
    # a clause of 419 characters led by its first sentence, the one that repeats the question's
    # words, lost what a person can do about it (its second sentence)
    from assistant.answer import LEAD_MAX, LEAD_MAX_WHOLE
    clause = ("2. Cơ quan đăng ký kinh doanh cấp huyện có quyền chấp thuận hoặc từ chối tên dự kiến đăng ký của hợp "
              "tác xã, liên hiệp hợp tác xã theo quy định của pháp luật và quyết định của cơ quan đăng ký kinh doanh "
              "cấp huyện là quyết định cuối cùng. Trường hợp không đồng ý với quyết định từ chối tên, hợp tác xã "
              "có quyền khởi kiện theo quy định của pháp luật về tố tụng hành chính.")
    assert LEAD_MAX < len(clause) <= LEAD_MAX_WHOLE
    lead = _lead(clause + "\n3. Tên riêng không được trùng.", "co quan dang ky kinh doanh tu choi ten du kien",
                 "Cơ quan đăng ký kinh doanh từ chối tên dự kiến thì có cách nào không?")
    assert lead == clause + " [1]"


@pytest.mark.unit
def test_one_sentence_longer_than_the_lead_leads_from_its_part_that_answers():
    # one sentence of 466 characters whose answer is its end: before, the lead was its first 300
    # characters, the condition only ("Trường hợp … thay đổi địa chỉ … sang huyện … khác …")
    from assistant.answer import LEAD_MAX
    quote = ("3. Trường hợp hợp tác xã, liên hiệp hợp tác xã thay đổi địa chỉ nơi đặt chi nhánh, văn phòng đại diện, "
             "địa điểm kinh doanh sang huyện, quận, thị xã, thành phố thuộc tỉnh, thành phố thuộc thành phố trực thuộc "
             "trung ương khác nơi chi nhánh, văn phòng đại diện, địa điểm kinh doanh đã đăng ký, hợp tác xã, liên hiệp "
             "hợp tác xã gửi hồ sơ đăng ký thay đổi đến cơ quan đăng ký kinh doanh cấp huyện nơi chi nhánh, văn phòng "
             "đại diện, địa điểm kinh doanh dự định chuyển đến.")
    lead = _lead(quote, "chi nhanh chuyen gui ho so dang ky thay doi", "Chi nhánh chuyển sang huyện khác thì gửi hồ sơ "
                 "đăng ký thay đổi ở đâu?")
    assert lead.startswith("… ") and "dự định chuyển đến" in lead and len(lead) <= LEAD_MAX + 10
    assert lead[2:-4] in quote  # the documents' words, from a part's start: nothing added
    # a sentence that fits is not cut into parts
    short = "2. Hộ gia đình có người đại diện theo quy định của pháp luật, được vào hợp tác xã."
    assert _lead(short, "ho gia dinh", "Hộ gia đình có được vào không?").startswith("Có — 2. Hộ gia đình")


@pytest.mark.unit
def test_a_long_sentence_leads_from_its_start_when_it_fits_a_whole_lines_room():
    # the part that answers is the sentence's end; before, the lead began "… liên hiệp hợp tác xã
    # sang tình trạng đã giải thể, nếu không …", without the six months it is bound to
    from assistant.answer import LEAD_MAX, LEAD_MAX_WHOLE
    sentence = ("6. Trong thời hạn 06 tháng kể từ ngày nhận được nghị quyết giải thể và cơ quan đăng ký kinh doanh cấp "
                "huyện chưa chuyển tình trạng pháp lý của hợp tác xã, liên hiệp hợp tác xã sang tình trạng đã giải thể, "
                "nếu không tiếp tục thực hiện giải thể, hợp tác xã, liên hiệp hợp tác xã gửi thông báo về việc hủy bỏ "
                "nghị quyết giải thể do người đại diện theo pháp luật ký đến cơ quan đăng ký kinh doanh cấp huyện nơi "
                "đặt trụ sở chính.")
    quote = f"{sentence} Kèm theo thông báo phải có nghị quyết của Đại hội thành viên về việc hủy bỏ nghị quyết giải thể."
    assert LEAD_MAX < len(sentence) <= LEAD_MAX_WHOLE < len(quote)  # not led whole as a line, nor as one short sentence
    lead = _lead(quote, "thanh vien muon tiep tuc hoat dong huy bo nghi quyet giai the gui thong bao",
                 "Thành viên muốn tiếp tục hoạt động thì hủy bỏ nghị quyết giải thể bằng cách gửi thông báo ở đâu?")
    assert lead == sentence + " [1]"


@pytest.mark.unit
def test_a_line_opening_a_list_leads_with_its_items_when_only_they_state_what_is_asked():
    # "bao nhiêu phần trăm": the line that bears most ends "… nhưng không thấp hơn:" and its
    # points hold the rates; before, the lead was the line (with the one it hangs from) alone
    from assistant.asked import PERCENT_IN_TEXT, Requirement
    opens = ("2. Thu nhập từ giao dịch bên ngoài của hợp tác xã, liên hiệp hợp tác xã; thu nhập từ góp vốn, mua cổ "
             "phần được trích lập hằng năm theo tỷ lệ do Điều lệ quy định nhưng không thấp hơn:")
    quote = ("Quỹ chung không chia được hình thành từ các nguồn sau đây:\n"
             "1. Thu nhập từ giao dịch nội bộ được trích lập hằng năm theo tỷ lệ do Điều lệ quy định;\n"
             f"{opens}\na) 5% đối với hợp tác xã;\nb) 10% đối với liên hiệp hợp tác xã.")
    question = "Hằng năm phải trích bao nhiêu phần trăm thu nhập từ giao dịch bên ngoài vào quỹ chung không chia?"
    terms = "trich thu nhap giao dich ben ngoai quy chung khong chia"
    percent = (Requirement("tỷ lệ cụ thể", PERCENT_IN_TEXT),)
    assert "5%" not in _lead(quote, terms, question)  # nothing asked: the line that bears most, as before
    lead = _lead(quote, terms, question, percent)
    assert lead.endswith(f"{opens}\na) 5% đối với hợp tác xã;\nb) 10% đối với liên hiệp hợp tác xã. [1]")


@pytest.mark.unit
def test_a_long_sentence_leads_with_its_part_that_states_what_is_asked():
    # "trong bao lâu": the part with the period leads, though a later part holds more of the
    # question's words (before, the lead began "… người đại diện … nộp hồ sơ", without "05 ngày").
    # The opening is longer here than in Nghị định 92, so that the run of the question's words
    # cannot keep it (it would, in the room of a whole line, and show the period either way)
    from assistant.answer import LEAD_MAX_WHOLE
    quote = ("1. Trong thời hạn 05 ngày làm việc kể từ ngày ký hợp đồng hợp tác hoặc kể từ ngày hợp đồng hợp tác được "
             "sửa đổi, bổ sung theo thỏa thuận của các thành viên tổ hợp tác và quy định của pháp luật có liên quan, "
             "người đại diện tổ hợp tác thuộc "
             "đối tượng phải đăng ký kinh doanh hoặc có nhu cầu đăng ký kinh doanh theo quy định tại khoản 2 Điều 107 "
             "Luật Hợp tác xã nộp hồ sơ đăng ký thành lập tổ hợp tác tại cơ quan đăng ký kinh doanh cấp huyện nơi tổ "
             "hợp tác đặt trụ sở, kèm theo bản sao hợp đồng hợp tác, danh sách thành viên có chữ ký của từng thành viên và "
             "giấy tờ pháp lý của người đại diện tổ hợp tác theo mẫu ban hành kèm theo Nghị định này.")
    assert len(quote) > LEAD_MAX_WHOLE  # a line this long is not led whole
    question, terms = "Người đại diện tổ hợp tác phải nộp hồ sơ đăng ký trong bao lâu?", "nguoi dai dien to hop tac nop ho so dang ky"
    assert "05 ngày" not in _lead(quote, terms, question)
    lead = _lead(quote, terms, question, _period())
    assert lead.startswith("1. Trong thời hạn 05 ngày làm việc") and lead.endswith("[1]")


@pytest.mark.unit
def test_a_long_line_leads_with_the_sentences_that_state_what_is_asked():
    # every sentence has a number; only the third states a period, and the first shares more words
    from assistant.answer import LEAD_MAX_WHOLE
    quote = ("2. Hồ sơ đăng ký hoạt động chi nhánh theo quy định tại khoản 2 Điều 107 được nộp tại cơ quan đăng ký "
             "kinh doanh cấp huyện nơi đặt chi nhánh, kèm theo bản sao 01 nghị quyết của Hội đồng quản trị về việc "
             "lập chi nhánh. Mẫu giấy tờ theo Phụ lục 2 ban hành kèm theo Nghị định này, có chữ ký của người đại diện. "
             "Hồ sơ được lập thành 01 bộ, nộp trực tiếp hoặc qua mạng thông tin điện tử theo Phụ lục 3. "
             "Cơ quan đăng ký kinh doanh cấp giấy chứng nhận trong thời hạn 03 ngày làm việc kể từ ngày nhận hồ sơ.")
    question = "Hồ sơ đăng ký hoạt động chi nhánh nộp ở cơ quan đăng ký kinh doanh thì bao lâu được cấp?"
    terms = "ho so dang ky hoat dong chi nhanh nop co quan kinh doanh cap"
    assert len(quote) > LEAD_MAX_WHOLE
    assert "03 ngày" not in _lead(quote, terms, question)
    lead = _lead(quote, terms, question, _period())
    assert "03 ngày làm việc" in lead and lead.startswith("… ")


@pytest.mark.unit
def test_a_long_line_leads_with_the_sentence_that_states_the_asked_count_not_one_that_mentions_a_count():
    # "tối đa bao nhiêu người": the run from the sentence with the question's words meets the count
    # only in passing, at its end ("… chỉ có 01 người …"); the run that opens with the count leads
    from assistant.answer import LEAD_MAX_WHOLE
    from assistant.asked import Requirement
    quote = ("1. Tổ kiểm tra có từ 02 đến 09 người do Đại hội thành viên bầu trong số thành viên chính thức của "
             "hợp tác xã, chịu trách nhiệm trước Đại hội thành viên và báo cáo định kỳ về kết quả kiểm tra. "
             "Nhiệm kỳ tối đa của Tổ kiểm tra là 03 năm. Thành viên Tổ kiểm tra có thể được bầu lại. "
             "Trường hợp Tổ kiểm tra chỉ có 01 người thì người đó là Tổ trưởng. Việc bầu, bãi nhiệm, miễn nhiệm "
             "thành viên Tổ kiểm tra được thực hiện bằng phiếu kín theo quy chế do Đại hội thành viên thông qua.")
    assert len(quote) > LEAD_MAX_WHOLE
    count = (Requirement("con số cụ thể về người", r"\b\d+\s+(?:\S+\s+){0,4}?(?:người|thành viên)\b"),)
    lead = _lead(quote, "to kiem tra nhiem ky toi da", "Tổ kiểm tra có tối đa bao nhiêu người?", count)
    assert lead.startswith("1. Tổ kiểm tra có từ 02 đến 09 người"), lead


@pytest.mark.unit
def test_the_lead_of_an_article_that_is_one_list_is_its_opening_line_and_items():
    quote = ("Điều 43. Nội dung giấy đề nghị đăng ký thành lập hợp tác xã\n"
             "Giấy đề nghị đăng ký thành lập bao gồm nội dung chủ yếu sau đây:\n1. Tên hợp tác xã;\n"
             "2. Địa chỉ trụ sở chính;\n3. Ngành, nghề kinh doanh;\n4. Vốn điều lệ.")
    lead = _lead(quote, "ten giay de nghi", "Giấy đề nghị đăng ký thành lập hợp tác xã gồm những nội dung gì?")
    assert lead == ("Giấy đề nghị đăng ký thành lập bao gồm nội dung chủ yếu sau đây:\n1. Tên hợp tác xã;\n"
                    "2. Địa chỉ trụ sở chính;\n3. Ngành, nghề kinh doanh;\n4. Vốn điều lệ. [1]")


@pytest.mark.unit
def test_a_quantity_question_leads_with_the_sentence_that_states_the_quantity():
    # the sentence after it repeats more of the question's words ("… hồ sơ … không còn giá trị")
    # but states no quantity; a clause's number ("6.") is not a sentence of its own
    quote = ("6. Thời hạn để hợp tác xã sửa đổi, bổ sung hồ sơ đăng ký là 60 ngày kể từ ngày ra thông báo. "
             "Sau thời hạn nêu trên, nếu hợp tác xã không nộp hồ sơ sửa đổi, bổ sung thì hồ sơ đăng ký không còn "
             "giá trị. Cơ quan đăng ký kinh doanh hủy hồ sơ đăng ký theo quy trình trên Hệ thống thông tin về đăng "
             "ký hợp tác xã và thông báo cho người nộp hồ sơ.")
    lead = _lead(quote, "ho so sua doi bo sung gia tri nop", "Hồ sơ bị yêu cầu sửa đổi, bổ sung thì có bao lâu để "
                 "nộp lại trước khi hồ sơ hết giá trị?")
    assert lead.startswith("6. Thời hạn để hợp tác xã") and "60 ngày" in lead


@pytest.mark.unit
def test_bullets_under_a_section_title_lead_with_the_one_that_answers_an_enumeration_with_its_items():
    section = ("2. Tiếp tục đổi mới, hoàn thiện cơ chế, chính sách hỗ trợ phát triển kinh tế tập thể\n"
               "- Khuyến khích, ưu tiên bố trí quỹ đất cho các tổ chức kinh tế tập thể thuê.\n"
               "- Hỗ trợ xúc tiến thương mại, xây dựng và ứng dụng thương mại điện tử, sàn giao dịch.\n"
               "- Hỗ trợ đào tạo, bồi dưỡng nguồn nhân lực cho các tổ chức kinh tế tập thể.")
    lead = _lead(section, "ho tro thuong mai dien tu thuong_mai dien_tu",
                 "Kinh tế tập thể được hỗ trợ gì về thương mại điện tử?")
    assert "- Hỗ trợ xúc tiến thương mại" in lead and "quỹ đất" not in lead and "đào tạo" not in lead
    # the same question shape over "… sau đây:" asks for the enumeration, even when one item
    # shares a further word with the question
    files = ("1. Hồ sơ bao gồm các giấy tờ sau đây:\na) Giấy đề nghị đăng ký thay đổi nội dung đăng ký;\n"
             "b) Biên bản họp Đại hội thành viên về việc thay đổi tên hợp tác xã;\nc) Điều lệ đã sửa đổi.")
    lead = _lead(files, "ho so thay doi ten", "Hồ sơ đăng ký thay đổi tên hợp tác xã cần những gì?")
    assert lead.startswith("1. Hồ sơ bao gồm các giấy tờ sau đây:\na) Giấy đề nghị") and "c) Điều lệ" in lead


@pytest.mark.unit
def test_a_long_list_leads_with_more_of_its_items_each_by_its_first_words():
    """Twelve items of ~90 characters: the lead has room for each item's first words, not for
    the first five items whole (a fact is as often in the eighth item as in the first)."""
    items = [f"{chr(97 + i)}) Trường hợp thứ {i + 1} của danh sách dài mà mỗi dòng đều có khá nhiều chữ "
             f"để đọc hết một lượt;" for i in range(12)]
    quote = "1. Các trường hợp chấm dứt tư cách thành viên chính thức:\n" + "\n".join(items)
    lead = _lead(quote, "truong hop cham dut tu cach thanh vien", "Những trường hợp nào chấm dứt tư cách thành viên?")
    shown = [i for i in range(12) if f"Trường hợp thứ {i + 1} " in lead]
    assert len(shown) >= 8, lead
    assert len(lead) <= 460, len(lead)


@pytest.mark.integration
def test_an_answer_listing_targets_or_duties_has_a_lead_from_the_listed_line_that_answers(service):
    targets = service.answer("Đến năm 2030 bao nhiêu phần trăm hợp tác xã ứng dụng công nghệ cao?")
    assert targets.found and "10%" in targets.lead and "công nghệ cao" in targets.lead
    assert targets.lead.endswith("[1]")
    duties = service.answer("Ban Tuyên giáo Tỉnh ủy có nhiệm vụ gì?")
    assert duties.found and "Ban Tuyên giáo" in duties.lead
    n = int(re.search(r"\[(\d+)\]$", duties.lead).group(1))
    assert any(c.n == n and "Tuyên giáo" in c.quote for c in duties.citations)


@pytest.mark.unit
@pytest.mark.parametrize("question, asks", [
    ("Tôi muốn thành lập hợp tác xã trồng rau thì cần làm những thủ tục gì và nộp hồ sơ ở đâu?", True),
    ("thu tuc giai the htx gom nhung buoc nao", True),
    ("Thủ tục đăng ký tổ hợp tác?", True),
    ("Quy trình đăng ký thay đổi tên hợp tác xã ra sao?", True),
    ("Làm sao để thành lập hợp tác xã dịch vụ nông nghiệp?", True),
    ("lam the nao de doi dia chi tru so htx", True),
    ("Trong hồ sơ có một tài liệu bằng tiếng Anh thì phải làm thế nào?", False),  # what to do, not a procedure
    ("Hồ sơ đăng ký thành lập hợp tác xã gồm những gì?", False),  # one step: the documents
    ("Trường hợp nào được cấp đăng ký theo quy trình dự phòng, không qua hệ thống điện tử?", False),
    ("Thủ tục giải thể có mất phí không?", False),  # a yes/no question wants its verdict
    ("Đang làm thủ tục giải thể thì có được cho thuê tài sản không?", False),
])
def test_a_question_asks_for_a_whole_procedure(question, asks):
    from assistant.procedure import asks_procedure
    from assistant.question import classify
    assert asks_procedure(question, classify(question)) is asks


@pytest.mark.integration
@pytest.mark.parametrize("question", [
    "Tôi muốn thành lập hợp tác xã trồng rau thì cần làm những thủ tục gì và nộp hồ sơ ở đâu?",
    "toi muon thanh lap hop tac xa trong rau thi can lam nhung thu tuc gi va nop ho so o dau",
])
def test_the_founding_question_is_answered_with_the_founding_procedure(service, question):
    # issue 12: before, six passages and ~4,900 characters opening with the receipt of an online
    # filing; the founding file (khoản 2 Điều 42) was only named inside another quote
    from assistant.answer import see_also
    answer = service.answer(question)
    shown = f"{answer.answer}\n{see_also(answer.related)}"  # as assistant ask prints it, "Xem thêm" titles included
    assert answer.procedure and len(shown) <= 1200, len(shown)
    cited = [(c.doc_id, c.label) for c in answer.citations]
    assert ("luat-hop-tac-xa-2023", "khoản 2 Điều 42") in cited, cited
    for said in ("cơ quan đăng ký kinh doanh nơi đặt trụ sở chính",  # where
                 "Giấy đề nghị đăng ký thành lập", "Điều lệ", "Nghị quyết hội nghị thành lập",  # what
                 "Trong thời hạn 03 ngày làm việc", "cấp Giấy chứng nhận đăng ký hợp tác xã"):  # how long, what one gets
        assert said in answer.answer, said
    assert answer.answer.index("nơi đặt trụ sở chính") < answer.answer.index("Điều lệ") < answer.answer.index("03 ngày")
    assert "…" in answer.answer and answer.lead.endswith("[1]")  # long items cut, the lead cited


@pytest.mark.integration
def test_a_step_that_points_elsewhere_is_followed(service):
    # "2. Trình tự đăng ký thay đổi tên … thực hiện theo quy định tại Điều 47 Luật Hợp tác xã"
    answer = service.answer("HTX đổi tên thì phải làm những thủ tục gì?")
    cited = [(c.doc_id, c.label) for c in answer.citations]
    assert cited[0] == ("nghi-dinh-92-2024-nd-cp", "khoản 1 Điều 38"), cited
    assert ("luat-hop-tac-xa-2023", "khoản 1 Điều 47") in cited, cited
    assert "thực hiện theo quy định tại Điều 47" not in answer.answer


@pytest.mark.integration
def test_a_procedure_is_for_the_kind_of_organisation_asked_about(service):
    # Điều 62 (tổ hợp tác) and Điều 47 (hợp tác xã) of Decree 92 share nearly every title word
    answer = service.answer("Thủ tục tạm ngừng kinh doanh của hợp tác xã như thế nào?")
    assert answer.procedure and {c.label for c in answer.citations} <= {f"khoản {n} Điều 47" for n in range(1, 8)}, \
        [c.label for c in answer.citations]
    answer = service.answer("Thủ tục tạm ngừng kinh doanh của tổ hợp tác như thế nào?")
    assert answer.procedure and all(c.label.endswith("Điều 62") for c in answer.citations), \
        [c.label for c in answer.citations]


@pytest.mark.integration
def test_a_procedure_title_is_matched_on_the_words_the_question_puts_together(service):
    # "nuôi cá" shares the syllable "cá" with "cá nhân" in the title of Điều 43 of Decree 92
    # ("Thông báo thay đổi thông tin về thành viên … cá nhân …"); "lập hợp tác xã" is in Điều 42's
    answer = service.answer("Tôi muốn lập hợp tác xã nuôi cá thì phải làm thủ tục gì?")
    cited = [(c.doc_id, c.label) for c in answer.citations]
    assert answer.procedure and ("luat-hop-tac-xa-2023", "khoản 2 Điều 42") in cited, cited


@pytest.mark.integration
def test_a_title_retrieval_did_not_find_is_not_taken_for_the_procedure(service):
    # "thành viên" is in the title of Điều 43 of Decree 92 (notifying changes of foreign-invested
    # members); the documents give no procedure for admitting a member, and retrieval does not
    # rank that article: the ordinary answer stands
    answer = service.answer("Thủ tục kết nạp thành viên mới vào HTX như thế nào?")
    assert not answer.procedure
    assert all(not c.label.endswith("Điều 43") or c.doc_id != "nghi-dinh-92-2024-nd-cp" for c in answer.citations)


@pytest.mark.integration
def test_a_procedure_ranked_below_the_first_few_is_found_when_its_title_names_what_is_asked(service):
    # typed without diacritics, the Decree's "Đăng ký giải thể tự nguyện hợp tác xã …" (Điều 50)
    # is not among the passages an ordinary answer weighs; further down, its title names "giải thể"
    answer = service.answer("lam the nao de giai the htx")
    cited = [(c.doc_id, c.label) for c in answer.citations]
    assert answer.procedure and cited and all(doc == "nghi-dinh-92-2024-nd-cp" and label.endswith("Điều 50")
                                              for doc, label in cited), cited


@pytest.mark.integration
@pytest.mark.parametrize("question", [
    "Thủ tục giải thể tổ hợp tác?",  # Điều 58 is how to register one: only the kind is shared
    "Thủ tục chia lãi trong tổ hợp tác thế nào?",
])
def test_the_kind_of_organisation_alone_does_not_make_a_title_the_procedure(service, question):
    assert not service.answer(question).procedure


@pytest.mark.integration
@pytest.mark.parametrize("question", ["Hướng dẫn tôi đăng ký tổ hợp tác", "huong dan dang ky to hop tac"])
def test_a_procedure_comes_before_its_variants_whichever_retrieval_ranked_first(service, question):
    # Điều 60 of Decree 92 ("… đăng ký thay đổi nội dung đăng ký tổ hợp tác") is Điều 58's title
    # ("… đăng ký tổ hợp tác") with more words, and retrieval ranks its clauses first
    answer = service.answer(question)
    assert answer.procedure and all(c.label.endswith("Điều 58") for c in answer.citations), \
        [c.label for c in answer.citations]
    # asked for the variant, the variant
    answer = service.answer("Thủ tục đăng ký thay đổi nội dung đăng ký tổ hợp tác thế nào?")
    assert answer.procedure and all(c.label.endswith("Điều 60") for c in answer.citations), \
        [c.label for c in answer.citations]


@pytest.mark.integration
def test_a_procedure_for_a_change_of_kind_is_not_the_procedure_of_one_kind(service):
    # Điều 61 of Decree 92: "… thành lập hợp tác xã trên cơ sở chuyển đổi từ tổ hợp tác"
    answer = service.answer("Thủ tục thành lập HTX cần những giấy tờ gì?")
    assert answer.procedure and [c.label for c in answer.citations] == ["khoản 1 Điều 42", "khoản 2 Điều 42", "khoản 4 Điều 42"]


@pytest.mark.integration
def test_an_article_titled_as_an_order_is_quoted_clause_by_clause(service):
    # "Điều 32. Trình tự, thủ tục đăng ký … trên môi trường điện tử …": its clauses are the steps,
    # whatever words they use; before, the whole article (~4,500 characters)
    answer = service.answer("Thủ tục đăng ký hợp tác xã trên môi trường điện tử như thế nào?")
    cited = [(c.doc_id, c.label) for c in answer.citations]
    assert answer.procedure and cited[:2] == [("nghi-dinh-92-2024-nd-cp", "khoản 1 Điều 32"),
                                              ("nghi-dinh-92-2024-nd-cp", "khoản 2 Điều 32")], cited
    assert len(answer.answer) <= 2000


@pytest.mark.integration
def test_a_further_question_the_steps_do_not_answer_is_still_answered(service):
    steps_only = service.answer("Tôi muốn thành lập hợp tác xã thì cần làm những thủ tục gì?")
    both = service.answer("Tôi muốn thành lập hợp tác xã thì cần làm những thủ tục gì và cần tối thiểu bao nhiêu thành viên?")
    assert steps_only.procedure and both.procedure
    assert len(both.citations) > len(steps_only.citations)  # the member count's passage is merged in
    where = service.answer("Tôi muốn thành lập hợp tác xã thì cần làm những thủ tục gì và nộp hồ sơ ở đâu?")
    assert len(where.citations) == len(steps_only.citations)  # "ở đâu" is a step already


@pytest.mark.unit
def test_a_step_is_a_clause_that_files_lists_documents_or_sets_a_time_not_a_pointer():
    from types import SimpleNamespace

    from assistant.procedure import _is_step, _trimmed
    from assistant.index import AnswerUnit
    assert _is_step(SimpleNamespace(text="1. Hồ sơ gửi đến cơ quan đăng ký kinh doanh nơi đặt trụ sở chính."))
    assert not _is_step(SimpleNamespace(text="6. Người nộp hồ sơ có thể dừng thực hiện thủ tục đăng ký theo quy định tại khoản 2."))
    assert not _is_step(SimpleNamespace(text="3. Chính phủ quy định hồ sơ, trình tự, thủ tục đăng ký."))  # hands it on
    body = "Trường hợp " + "hợp tác xã có nhu cầu được cấp lại giấy chứng nhận, " * 6 + "gửi đề nghị."
    item = "a) " + "bản sao giấy chứng nhận đăng ký đầu tư của thành viên là nhà đầu tư, " * 3
    units = [AnswerUnit("", body, "", 1), AnswerUnit("", "1. Hồ sơ gồm:", "", 0), AnswerUnit("", item, "1. Hồ sơ gồm:", 1)]
    cut = _trimmed(units)
    assert 150 < len(cut[0].text) <= 302 and cut[1].text == "1. Hồ sơ gồm:" and len(cut[2].text) <= 92


@pytest.mark.integration
@pytest.mark.parametrize("question", ["Tổ hợp tác cần có bao nhiêu thành viên?", "to hop tac can co may thanh vien"])
def test_a_count_no_fused_candidate_states_is_found_in_the_passage_nearest_in_meaning(service, question):
    # khoản 21 Điều 4 ("Tổ hợp tác … do ít nhất 02 thành viên …") is the dense list's first but
    # fused 14th, behind eight passages naming tổ hợp tác and thành viên without a number:
    # before, "không nêu con số cụ thể về thành viên"
    a = service.answer(question)
    assert a.found and a.citations[0].label in ("khoản 21 Điều 4", "Điều 4") and "02 thành viên" in a.lead


@pytest.mark.integration
def test_a_clause_that_only_hands_the_matter_on_does_not_lead_unless_who_does_is_asked(service):
    # "4. Chính phủ quy định chi tiết Điều này." is short and carries its article's title
    # ("Giải thể bắt buộc …"): before, it was the first quote and the whole lead
    a = service.answer("Hợp tác xã bị giải thể bắt buộc khi nào?")
    assert a.found and "Chính phủ quy định chi tiết" not in a.lead, a.lead
    assert "Tòa án" in a.answer[:600]
    asked_who = service.answer("Ai quy định chi tiết về giải thể bắt buộc hợp tác xã?")
    assert "Chính phủ quy định chi tiết" in asked_who.lead


@pytest.mark.integration
def test_a_verdict_rests_on_the_lead_it_stands_before(service):
    # "Có" came from the lead-in "Chủ tịch Hội đồng quản trị vắng mặt … thì phải ủy quyền", shown
    # above a point about electing a chairman: the verdict must be about the lines it heads
    answer = service.answer("Thành viên vắng mặt đại hội có được ủy quyền không?")
    if answer.found and answer.lead.startswith(("Có —", "Không —")):
        assert "ủy quyền" in answer.lead, answer.lead
    kept = service.answer("Nếu hợp tác xã không được cấp đăng ký thì lệ phí đăng ký kinh doanh đã nộp có được trả lại không?")
    assert kept.lead.startswith("Không — ") and "không được hoàn trả" in kept.lead, kept.lead


@pytest.mark.integration
def test_search_keeps_a_place_for_the_passage_nearest_in_meaning(service):
    """Where the fused order leaves out the dense list's first passage, it takes the last of the
    five places; the others are the fused order's, unchanged, and fewer places stay the fused
    order's alone."""
    from assistant.evaluation import load_questions
    from tests.conftest import ROOT

    index = service.index()
    questions = [q["q"] for q in load_questions(ROOT / "tests" / "data" / "questions.citizen.jsonl")]
    placed = 0
    for q in questions:
        terms, vector = service._query(index, q)
        moved = service.dense_query(vector)
        nearest = index.chunks[index.dense(vector if moved is None else moved, 1)[0][0]]
        fused = [s.hit.chunk.text for s in service.candidates(index, q, 8, (terms, vector))[3]]
        got = [r.text for r in service.search(q, k=5)]
        assert nearest.text in got, q
        if nearest.text not in fused[:5]:
            placed += 1
            assert got[:4] == fused[:4] and got[4] == nearest.text, q
            assert [r.text for r in service.search(q, k=4)] == fused[:4], q
    assert placed >= 3  # the case is exercised, not only the ones where the orders agree


def _clause(doc: str, label: str, order: int, *lines: tuple[int, str, str]):
    from assistant.index import AnswerUnit, ChunkRecord
    units = [AnswerUnit(label, text, lead, depth) for depth, text, lead in lines]
    return ChunkRecord(id=f"{doc}-{order}", doc_id=doc, label=label, anchor="", path=[],
                       text="\n".join(u.text for u in units), embed_text="", pages=[], units=units, order=order)


class _Articles:
    """Just enough of an index for whole_article: each article's chunks, in document order."""

    def __init__(self, *chunks) -> None:
        from assistant.index import article_of
        self.chunks_by_article: dict = {}
        for c in chunks:
            self.chunks_by_article.setdefault((c.doc_id, article_of(c.label)), []).append(c)


@pytest.mark.unit
def test_a_best_passage_that_is_the_list_asked_for_is_not_displaced_by_another_article():
    from assistant.answer import Scored, whole_article
    from assistant.question import QuestionType
    from assistant.retrieval import Hit
    opens = "2. Hồ sơ đăng ký thành lập bao gồm:"
    founding_file = _clause("law", "khoản 2 Điều 42", 1, (0, opens, ""), (1, "a) Giấy đề nghị đăng ký thành lập;", opens),
                            (1, "b) Điều lệ;", opens))
    plain = _clause("law", "khoản 1 Điều 42", 0, (0, "1. Người thành lập gửi hồ sơ đến cơ quan đăng ký kinh doanh.", ""))
    conversion = [_clause("decree", f"khoản {n} Điều 61", n, (0, f"{n}. Việc chuyển đổi từ tổ hợp tác …", ""))
                  for n in (1, 3, 4)]
    index = _Articles(founding_file, *conversion)
    scored = lambda best: [Scored(Hit(c, 1.0, 0.5, {}), 1.0, 1.0) for c in (best, *conversion)]  # noqa: E731
    listing = QuestionType(listing=True)
    assert whole_article(index, scored(founding_file), listing) is None
    # a best passage that is no list still gives way to the article whose clauses fill the top five
    found = whole_article(_Articles(plain, *conversion), scored(plain), listing)
    assert found is not None and [c.label for c in found[1]] == [f"khoản {n} Điều 61" for n in (1, 3, 4)]
