"""Right as of today: notices and amendments from the manifest on the answers they concern,
dates on citations and documents, the corpus's checked date, and a manifest that says what the
documents do not have refused with the file and line."""
from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from ingest.manifest import ManifestError, load_manifest
from tests.conftest import FIXTURES, make_settings

AMENDED = FIXTURES / "amended"


# --------------------------------------------------------------------------- the manifest

def _manifest(tmp_path: Path, body: str) -> Path:
    (tmp_path / "manifest.yaml").write_text(body, encoding="utf-8")
    return tmp_path


ENTRY = """documents:
  - id: luat-a
    file: a.md
    title: Luật A
{extra}
"""


@pytest.mark.unit
@pytest.mark.parametrize("extra, message", [
    ("    amended_by:\n      - {number: 1/2025/NĐ-CP, effective: 2025-07-01, id: khong-co}", "no entry has"),
    ("    notices:\n      - {effective: 2025-13-01, source: Điều 1, text: x, applies_to: {document: true}}",
     "YYYY-MM-DD"),
    ("    notices:\n      - {effective: 2025-07-01, source: Điều 1, text: x}", "applies to provisions"),
    ("    notices:\n      - {effective: 2025-07-01, text: x, applies_to: {document: true}}", "needs 'source'"),
    ("    review_by: sau này", "YYYY-MM-DD"),
])
def test_manifest_errors_name_the_file_and_line(tmp_path, extra, message):
    folder = _manifest(tmp_path, ENTRY.format(extra=extra))
    with pytest.raises(ManifestError) as err:
        load_manifest(folder)
    text = str(err.value)
    assert message in text and f"{folder / 'manifest.yaml'}:" in text
    assert any(ch.isdigit() for ch in text.split("manifest.yaml:")[1][:4]), text  # a line number


@pytest.mark.unit
def test_notices_and_amendments_are_read():
    meta = load_manifest(AMENDED)["luat-thu-nghiem.md"]
    (amendment,) = meta.amended_by
    assert amendment.id == "nghi-dinh-sua-doi-thu-nghiem" and amendment.provisions == ["khoản 1 Điều 2"]
    assert amendment.effective == "2025-07-01" and amendment.line > 0


@pytest.mark.integration
def test_a_notice_on_a_provision_the_document_lacks_stops_the_ingest(tmp_path):
    from ingest.pipeline import run_ingest
    corpus = tmp_path / "corpus"
    shutil.copytree(AMENDED, corpus)
    manifest = corpus / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("khoản 1 Điều 2]", "khoản 9 Điều 2]"),
                        encoding="utf-8")
    report = run_ingest(make_settings(tmp_path / "data", corpus_dir=corpus), progress=False)
    assert report.build_id is None
    reasons = " ".join(reason for _, reason in report.failed)
    assert "no provision 'khoản 9 Điều 2'" in reasons and "manifest.yaml:" in reasons


# --------------------------------------------------------------------------- the shipped notices

@pytest.mark.integration
@pytest.mark.parametrize("question", [
    "Nộp hồ sơ đăng ký thành lập hợp tác xã ở đâu?",
    "nop ho so dang ky thanh lap hop tac xa o dau",
    "Đăng ký giải thể HTX nộp cho cơ quan nào?",
])
def test_answers_quoting_the_district_office_carry_the_commune_notice(service, question):
    a = service.answer(question)
    assert a.found and any(c.doc_id == "nghi-dinh-92-2024-nd-cp" for c in a.citations)
    assert any("cấp xã" in n.text and "Điều 35 Nghị định 125/2025/NĐ-CP" in n.source for n in a.notices)
    assert "Lưu ý:" in a.answer and "cấp xã" in a.answer
    # right under the quote it concerns, not at the end
    first = a.answer.index("Lưu ý:")
    n = a.notices[0].n
    assert a.answer.rfind(f"[{n}]", 0, first) != -1 and "Theo" not in a.answer[a.answer.rfind(f"[{n}]", 0, first):first]


@pytest.mark.integration
def test_the_programs_district_committees_carry_their_notice(service):
    a = service.answer("Các huyện ủy, thị ủy phải làm gì để thực hiện Nghị quyết 20?")
    assert a.found and any(n.doc_id == "chuong-trinh-hanh-dong-nq20-tinh-uy" for n in a.notices)
    assert "72/2025/QH15" in a.answer


@pytest.mark.integration
def test_citations_carry_dates_and_the_api_carries_notices(api):
    r = httpx.post(f"{api.url}/api/chat", json={"message": "Hồ sơ đăng ký hợp tác xã nộp ở cơ quan nào?"}, timeout=30)
    body = r.json()
    assert r.status_code == 200 and body["found"]
    law = [c for c in body["citations"] if c["doc_id"] == "luat-hop-tac-xa-2023"]
    decree = [c for c in body["citations"] if c["doc_id"] == "nghi-dinh-92-2024-nd-cp"]
    assert all(c["effective"] == "2024-07-01" for c in law) and all(c["issued"] == "2024-07-18" for c in decree)
    assert body["notices"] and {"n", "effective", "source", "text"} <= set(body["notices"][0])
    ready = httpx.get(f"{api.url}/readyz", timeout=10).json()
    assert ready["checked"] == "2026-11-29"
    docs = httpx.get(f"{api.url}/api/documents", timeout=10).json()
    decree_doc = next(d for d in (docs["documents"] if isinstance(docs, dict) else docs)
                      if d["id"] == "nghi-dinh-92-2024-nd-cp")
    assert decree_doc["effective"] == "2024-07-18" and decree_doc["notices"]


@pytest.mark.integration
def test_the_document_page_shows_its_dates_and_what_changed(api):
    r = httpx.get(f"{api.url}/api/documents/nghi-dinh-92-2024-nd-cp", headers={"Accept": "text/html"}, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "ban hành ngày 18/7/2024" in r.text and "có hiệu lực từ 18/7/2024" in r.text
    assert 'class="changed"' in r.text and "125/2025/NĐ-CP" in r.text


@pytest.mark.integration
def test_an_act_the_corpus_lacks_entirely_is_refused_not_dated(service):
    a = service.answer("Nghị định 193/2013/NĐ-CP còn hiệu lực không?")
    assert not a.found and "hiệu lực từ" not in a.answer


@pytest.mark.integration
def test_the_stream_done_event_carries_notices(api):
    with httpx.stream("POST", f"{api.url}/api/chat/stream", json={"message": "nộp hồ sơ đăng ký hợp tác xã ở đâu"},
                      timeout=30) as r:
        body = "".join(r.iter_text())
    done = body.split("event: done", 1)[1]
    assert '"notices": [' in done and "cấp xã" in done


# --------------------------------------------------------------------------- an amending act in the corpus

QUESTION = "Tổ chức cộng đồng phải gửi hồ sơ đăng ký trong thời hạn bao lâu kể từ ngày thành lập?"


@pytest.mark.integration
def test_an_amending_act_in_the_corpus_is_cited_first_and_removing_it_restores_the_old_answer(tmp_path):
    from assistant.service import AssistantService
    from ingest.pipeline import run_ingest

    corpus = tmp_path / "corpus"
    shutil.copytree(AMENDED, corpus)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    report = run_ingest(settings, progress=False)
    assert report.build_id and not report.failed, report.render()
    service = AssistantService(settings)
    try:
        a = service.answer(QUESTION)
        assert a.found, a.answer
        assert a.citations[0].doc_id == "nghi-dinh-sua-doi-thu-nghiem" and "15 ngày" in a.answer
        old = [c for c in a.citations if c.doc_id == "luat-thu-nghiem"]
        assert old and old[0].label == "khoản 1 Điều 2"
        assert "được sửa đổi bởi Nghị định 09/2025/NĐ-CP, từ 01/7/2025" in a.answer

        # the decree withdrawn from the corpus (its amendment still recorded, without a file)
        (corpus / "nghi-dinh-sua-doi-thu-nghiem.md").unlink()
        text = (corpus / "manifest.yaml").read_text(encoding="utf-8")
        text = text.replace("        id: nghi-dinh-sua-doi-thu-nghiem\n", "")
        text = text[:text.index("  - id: nghi-dinh-sua-doi-thu-nghiem")]
        (corpus / "manifest.yaml").write_text(text, encoding="utf-8")
        again = run_ingest(settings, progress=False)
        assert again.build_id and again.build_id != report.build_id and again.embedded == 0, again.render()
        b = service.answer(QUESTION)
        assert b.found and b.citations[0].doc_id == "luat-thu-nghiem" and "10 ngày" in b.answer
        assert all(c.doc_id != "nghi-dinh-sua-doi-thu-nghiem" for c in b.citations)
    finally:
        service.close()


@pytest.mark.integration
@pytest.mark.parametrize("question, says", [
    ("Nghị định 92 còn hiệu lực không?", ["Nghị định 92/2024/NĐ-CP ban hành ngày 18/7/2024", "đang có hiệu lực",
                                          "được sửa đổi bởi Nghị định 125/2025/NĐ-CP từ 01/7/2025"]),
    ("Luật HTX 2012 còn áp dụng không?", ["Luật Hợp tác xã số 23/2012/QH13 đã được thay thế bởi Luật Hợp tác xã 2023",
                                          "có hiệu lực từ 01/7/2024"]),
    # an edition the manifest does not list: said to be unknown, never guessed from the text
    ("luat hop tac xa nam 2003 con hieu luc khong", ["không có văn bản bạn hỏi (năm 2003)", "không biết",
                                                     "Luật Hợp tác xã 2023 ban hành ngày 20/6/2023"]),
    ("Luật Hợp tác xã số 18/2003/QH11 còn hiệu lực không?", ["(số 18/2003/QH11)", "không biết", "đang có hiệu lực"]),
])
def test_questions_about_currency_are_answered_from_the_manifest(service, question, says):
    a = service.answer(question)
    assert a.found
    if "không biết" in says:
        assert not a.citations and a.answer.count("\n\n") == 0   # nothing quoted as if it answered
    head = a.answer.split("\n\n", 1)[0]
    assert "cập nhật đến 29/11/2026" in head
    for text in says:
        assert text in head, head


@pytest.mark.unit
def test_a_document_past_its_review_date_is_warned_about(tmp_path):
    import datetime as dt

    from ingest.manifest import DocMeta
    from ingest.pipeline import IngestReport, ParsedDoc, check_changes
    meta = DocMeta(id="a", file="a.md", title="A", short="A", review_by="2026-01-31")
    report = IngestReport()
    assert check_changes([ParsedDoc(meta, "legal", None, [], [], tmp_path / "a.md")], report,
                         today=dt.date(2026, 11, 29)) == []
    assert report.warnings and "past its review date 2026-01-31" in report.warnings[0][1]
