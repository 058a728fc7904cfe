"""Annexes after the signature are content: indexed as their own sections ("Phụ lục I, mục 2"),
tables row by row with their header (Markdown, DOCX; a PDF table as its text), and what is left
out (the signature block, the distribution list) is reported."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ingest.pipeline import parse_file, run_ingest
from ingest.responsibilities import extract as extract_duties
from ingest.targets import extract as extract_targets
from tests.conftest import FIXTURES, make_settings
from tests.fakes import HashEmbedder

PLAN = FIXTURES / "ke-hoach-co-phu-luc.md"
BODY = [("KẾ HOẠCH THỰC HIỆN CHƯƠNG TRÌNH PHÁT TRIỂN HỢP TÁC XÃ NĂM 2026", None),
        ("I. MỤC ĐÍCH", None), ("1. Triển khai đồng bộ các nhiệm vụ phát triển hợp tác xã trên địa bàn tỉnh.", None),
        ("II. TỔ CHỨC THỰC HIỆN", None), ("1. Các sở, ngành thực hiện nhiệm vụ được phân công tại Phụ lục.", None),
        ("TM. ỦY BAN NHÂN DÂN", None), ("CHỦ TỊCH", None), ("Nơi nhận:", None), ("- Lưu: VT.", None),
        ("PHỤ LỤC I", None), ("PHÂN CÔNG NHIỆM VỤ", None)]
TABLE = [["TT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn"],
         ["1", "Rà soát, đánh giá hoạt động của các hợp tác xã nông nghiệp", "Sở Nông nghiệp và Môi trường",
          "Liên minh Hợp tác xã tỉnh, Ủy ban nhân dân cấp xã", "Quý II/2026"],
         ["2", "Tổ chức lớp đào tạo kế toán cho hợp tác xã", "Liên minh Hợp tác xã tỉnh", "Sở Tài chính", "Tháng 9/2026"]]
DUTIES = {("Phụ lục I, dòng 1", "Sở Nông nghiệp và Môi trường", "chủ trì", "Quý II/2026"),
          ("Phụ lục I, dòng 1", "Liên minh Hợp tác xã tỉnh", "phối hợp", "Quý II/2026"),
          ("Phụ lục I, dòng 1", "Ủy ban nhân dân cấp xã", "phối hợp", "Quý II/2026"),
          ("Phụ lục I, dòng 2", "Liên minh Hợp tác xã tỉnh", "chủ trì", "Tháng 9/2026"),
          ("Phụ lục I, dòng 2", "Sở Tài chính", "phối hợp", "Tháng 9/2026")}


def _annex_duties(doc) -> set[tuple]:
    return {(r.label, r.agency, r.role, r.deadline) for r in extract_duties(doc.meta.id, doc.root.children)
            if r.label.startswith("Phụ lục")}


@pytest.mark.unit
def test_a_markdown_annex_with_a_table_is_indexed_row_by_row():
    doc = parse_file(PLAN, {})
    annex = next(c for c in doc.chunks if c.label == "Phụ lục I")
    rows = [u for u in annex.units if u.label.startswith("Phụ lục I, dòng")]
    assert [u.label for u in rows] == ["Phụ lục I, dòng 1", "Phụ lục I, dòng 2"]
    assert rows[1].text == ("TT: 2; Nhiệm vụ: Tổ chức lớp đào tạo kế toán cho hợp tác xã; Cơ quan chủ trì: Liên minh "
                            "Hợp tác xã tỉnh; Cơ quan phối hợp: Sở Tài chính; Thời hạn: Tháng 9/2026")  # each row with its header
    assert rows[0].anchor == "phu-luc-i-dong-1"
    assert _annex_duties(doc) == DUTIES
    assert [(t.year, t.value_text, t.label) for t in extract_targets(doc.meta.id, doc.root.children)] == \
        [(2026, "15", "Phụ lục II, mục 1")]                              # a second annex, numbered as a program
    assert "Nơi nhận:" in doc.root.skipped and not any("PHỤ LỤC" in t for t in doc.root.skipped)


@pytest.mark.unit
def test_a_docx_annex_with_a_table(tmp_path):
    import docx

    document = docx.Document()
    for text, _ in BODY:
        document.add_paragraph(text)
    table = document.add_table(rows=len(TABLE), cols=len(TABLE[0]))
    for r, row in enumerate(TABLE):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    path = tmp_path / "ke-hoach.docx"
    document.save(str(path))
    doc = parse_file(path, {})
    assert _annex_duties(doc) == DUTIES
    assert any(c.label == "Phụ lục I" and "Thời hạn: Quý II/2026" in c.text for c in doc.chunks)


@pytest.mark.integration
def test_a_text_layer_pdf_annex_is_indexed(tmp_path):
    if not Path("/usr/bin/chromium").exists():
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is missing: .ci/run installs it")
        pytest.skip("no chromium here")
    from playwright.sync_api import sync_playwright

    cells = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in TABLE)
    html = ("<html><head><meta charset='utf-8'></head><body>" + "".join(f"<p>{t}</p>" for t, _ in BODY[:9])
            + "<p style='page-break-before:always'>PHỤ LỤC I</p><p>PHÂN CÔNG NHIỆM VỤ</p>"
            + f"<table border=1>{cells}</table></body></html>")
    path = tmp_path / "ke-hoach.pdf"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content(html)
        page.pdf(path=str(path))
        browser.close()
    doc = parse_file(path, {})
    annex = " ".join(c.text for c in doc.chunks if c.label.startswith("Phụ lục I"))
    # a PDF table is read as its text (cells wrap across lines), not as rows: searchable, not a table
    assert "PHÂN CÔNG NHIỆM VỤ" in annex and "Sở Tài chính" in annex and "đào tạo kế toán" in annex
    assert any("Nơi nhận:" in t for t in doc.root.skipped)


@pytest.mark.integration
def test_an_annex_is_searchable_and_what_is_left_out_is_reported(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PLAN, corpus / PLAN.name)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    report = run_ingest(settings, progress=False, embedder=HashEmbedder())
    left_out = dict(report.not_indexed)[PLAN.name]
    assert left_out.startswith("4 lines after the signature") and "«Nơi nhận:»" in left_out
    assert "not indexed: ke-hoach-co-phu-luc.md" in report.render()
    from assistant.service import AssistantService
    service = AssistantService(settings, embedder=HashEmbedder())
    hits = service.search("đào tạo kế toán cho hợp tác xã", k=3)
    assert hits[0].label == "Phụ lục I"
    duties = service.index().responsibilities
    assert {(r["label"], r["agency"], r["role"]) for r in duties if r["label"].startswith("Phụ lục")} == \
        {(label, agency, role) for label, agency, role, _ in DUTIES}
