"""Loaders: Markdown, DOCX, PDF and text to paragraphs, and readable LoadErrors for bad files."""
from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

import pytest

from ingest.loaders import LoadError, load, load_docx, load_markdown, load_pdf

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PDF = FIXTURES / "hop-dong-dai-ly-mau-word365.pdf"
LAW_ANM = FIXTURES / "luat-an-ninh-mang-24-2018-qh14.docx"
LAW_KHCN = FIXTURES / "luat-khoa-hoc-cong-nghe-29-2013-qh13.docx"
CONTRACT_DOCX = FIXTURES / "hop-dong-dai-ly-mau.docx"


def _readable(exc: LoadError) -> str:
    msg = str(exc)
    assert msg.strip(), "empty LoadError message"
    assert "\n" not in msg and "Traceback" not in msg
    assert len(msg) < 300
    return msg


# --- Markdown ----------------------------------------------------------------------------

MD = """---
title: "Luật Hợp tác xã"
number: "17/2023/QH15"
effective_date: "2024-07-01"
source:
  repository: "diepxuan/diepxuan.github.io"
  commit: "fbaa690e"
---

# LUẬT HỢP TÁC XÃ

_Căn cứ Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam;_

## Chương III. THÀNH VIÊN CỦA HỢP TÁC XÃ, LIÊN HIỆP HỢP TÁC XÃ

### Điều 30. Điều kiện trở thành thành viên hợp tác xã

1. Thành viên chính thức, thành viên liên kết góp vốn của hợp tác xã bao gồm:

c) Hộ gia đình, tổ hợp tác, tổ chức khác không có tư cách pháp nhân thành lập, hoạt động tại Việt Nam. Các thành viên của tổ chức này phải cử một người đại diện theo quy định của [Bộ luật Dân sự](https://thuvienphapluat.vn/van-ban/Quyen-dan-su/Bo-luat-dan-su-2015-296215.aspx) để thực hiện quyền, nghĩa vụ của thành viên hợp tác xã;

**II. MỤC TIÊU**

### ***Đến năm 2030***

- Toàn tỉnh có khoảng 540 hợp tác xã với 136.000 thành viên.
- Bảo đảm trên 60% tổ chức kinh tế tập thể đạt loại **tốt, khá**.

-----

**CHƯƠNG TRÌNH HÀNH ĐỘNG  
CỦA BAN THƯỜNG VỤ TỈNH ỦY**

Thành lập hoá ra Uỷ ban.
"""


@pytest.fixture(scope="module")
def md_file(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("md") / "luat.md"
    p.write_text(MD, encoding="utf-8")
    return p


def test_markdown_front_matter_parsed(md_file):
    lf = load(md_file)
    assert lf.front_matter["title"] == "Luật Hợp tác xã"
    assert lf.front_matter["number"] == "17/2023/QH15"
    assert lf.front_matter["source"]["commit"] == "fbaa690e"
    assert all("---" not in b.text and "title:" not in b.text for b in lf.blocks)
    assert lf.blocks[0].text == "LUẬT HỢP TÁC XÃ"


def test_markdown_markup_is_stripped(md_file):
    texts = [b.text for b in load(md_file).blocks]
    assert "Chương III. THÀNH VIÊN CỦA HỢP TÁC XÃ, LIÊN HIỆP HỢP TÁC XÃ" in texts
    assert "Điều 30. Điều kiện trở thành thành viên hợp tác xã" in texts
    assert "II. MỤC TIÊU" in texts
    assert "Đến năm 2030" in texts
    assert "Căn cứ Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam;" in texts
    assert "- Bảo đảm trên 60% tổ chức kinh tế tập thể đạt loại tốt, khá." in texts
    for t in texts:
        assert "**" not in t and not t.startswith("#") and "](" not in t and "http" not in t, t
    point_c = next(t for t in texts if t.startswith("c) Hộ gia đình"))
    assert "theo quy định của Bộ luật Dân sự để thực hiện quyền" in point_c


def test_markdown_heading_flags(md_file):
    blocks = {b.text: b for b in load(md_file).blocks}
    assert blocks["Điều 30. Điều kiện trở thành thành viên hợp tác xã"].heading
    assert blocks["II. MỤC TIÊU"].heading  # a bold line
    assert blocks["Đến năm 2030"].heading
    assert not blocks["1. Thành viên chính thức, thành viên liên kết góp vốn của hợp tác xã bao gồm:"].heading


def test_markdown_list_items_separate_and_hard_breaks_joined(md_file):
    texts = [b.text for b in load(md_file).blocks]
    assert "- Toàn tỉnh có khoảng 540 hợp tác xã với 136.000 thành viên." in texts
    assert "CHƯƠNG TRÌNH HÀNH ĐỘNG CỦA BAN THƯỜNG VỤ TỈNH ỦY" in texts
    assert not any(re.fullmatch(r"[-*_ ]+", t) for t in texts)  # the horizontal rule is gone


def test_markdown_text_is_normalised(md_file):
    texts = [b.text for b in load(md_file).blocks]
    assert "Thành lập hóa ra Ủy ban." in texts


def test_markdown_bad_front_matter_is_load_error(tmp_path):
    p = tmp_path / "bad.md"
    p.write_text("---\ntitle: [unclosed\n---\n\nĐiều 1. X\n", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load(p)
    assert "front matter" in _readable(info.value)


def test_markdown_atx_heading_ends_at_its_line(tmp_path):
    p = tmp_path / "x.md"
    p.write_text("### Điều 2. Đối tượng áp dụng\nLuật này áp dụng đối với tổ hợp tác.\n", encoding="utf-8")
    texts = [b.text for b in load(p).blocks]
    assert texts == ["Điều 2. Đối tượng áp dụng", "Luật này áp dụng đối với tổ hợp tác."]


def test_markdown_ordered_list_items_stay_separate(tmp_path):
    p = tmp_path / "x.md"
    p.write_text("1. Tổ hợp tác, hợp tác xã, liên hiệp hợp tác xã.\n"
                 "2. Thành viên của tổ hợp tác, hợp tác xã, liên hiệp hợp tác xã.\n", encoding="utf-8")
    texts = [b.text for b in load(p).blocks]
    assert texts == ["1. Tổ hợp tác, hợp tác xã, liên hiệp hợp tác xã.",
                     "2. Thành viên của tổ hợp tác, hợp tác xã, liên hiệp hợp tác xã."]


# --- plain text ---------------------------------------------------------------------------

def test_text_file_splits_units(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("Điều 1. Phạm vi điều chỉnh\nLuật này quy định về hợp tác xã.\n\n"
                 "Điều 2. Đối tượng áp dụng\n1. Tổ hợp tác.\n2. Hợp tác xã.\n", encoding="utf-8")
    texts = [b.text for b in load(p).blocks]
    assert texts == ["Điều 1. Phạm vi điều chỉnh Luật này quy định về hợp tác xã.",
                     "Điều 2. Đối tượng áp dụng", "1. Tổ hợp tác.", "2. Hợp tác xã."]


def test_non_utf8_text_is_load_error(tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes("Điều 1. Phạm vi điều chỉnh".encode("utf-16-le") + b"\xff\xfe\xfa")
    with pytest.raises(LoadError) as info:
        load(p)
    assert "UTF-8" in _readable(info.value)


def test_non_utf8_markdown_is_load_error(tmp_path):
    p = tmp_path / "latin.md"
    p.write_bytes(b"Caf\xe9 \xff des lois")
    with pytest.raises(LoadError) as info:
        load(p)
    assert "UTF-8" in _readable(info.value)


# --- DOCX ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path, last_article", [(LAW_ANM, 43), (LAW_KHCN, 81)])
def test_docx_laws_load_article_paragraphs(path, last_article):
    lf = load(path)
    texts = [b.text for b in lf.blocks]
    assert "Điều 1. Phạm vi điều chỉnh" in texts
    assert any(t.startswith(f"Điều {last_article}. ") for t in texts)
    assert "Chương I" in texts
    assert "NHỮNG QUY ĐỊNH CHUNG" in texts
    assert all(b.page is None for b in lf.blocks)
    assert all(t == t.strip() and "  " not in t for t in texts)
    assert lf.warnings == []


def test_docx_contract_keeps_table_rows(tmp_path):
    lf = load_docx(CONTRACT_DOCX)
    texts = [b.text for b in lf.blocks]
    assert "HỢP ĐỒNG ĐẠI LÝ" in texts
    assert any(t.upper().startswith("ĐIỀU 1.") for t in texts)


def test_corrupt_docx_is_load_error(tmp_path):
    p = tmp_path / "broken.docx"
    p.write_bytes(random.Random(7).randbytes(4096))
    with pytest.raises(LoadError) as info:
        load(p)
    assert "DOCX" in _readable(info.value)


def test_zip_that_is_not_docx_is_load_error(tmp_path):
    p = tmp_path / "notdocx.docx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "xin chào")
    with pytest.raises(LoadError) as info:
        load(p)
    assert "DOCX" in _readable(info.value)


def test_empty_docx_is_load_error(tmp_path):
    import docx

    p = tmp_path / "empty.docx"
    docx.Document().save(str(p))
    with pytest.raises(LoadError) as info:
        load(p)
    assert "no text" in _readable(info.value)


# --- PDF ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pdf():
    return load(PDF)


def test_pdf_blocks_carry_page_numbers(pdf):
    pages = [b.page for b in pdf.blocks]
    assert set(pages) == set(range(1, 9))
    assert pages == sorted(pages)
    assert pdf.warnings == []
    first = {b.page: b.text for b in reversed(pdf.blocks)}  # first block of each page
    assert first[2].startswith("1.2.2. Trong trường hợp có khách hàng khiếu nại")
    assert any(b.page == 2 and b.text == "ĐIỀU 2. GIÁ" for b in pdf.blocks)


def test_pdf_drops_page_number_lines(pdf):
    assert not any(re.fullmatch(r"\d{1,4}", b.text) for b in pdf.blocks)


def test_pdf_wrapped_lines_are_joined(pdf):
    texts = [b.text for b in pdf.blocks]
    assert ("1.2.2. Trong trường hợp có khách hàng khiếu nại về chất lượng sản phẩm thì Bên B có trách "
            "nhiệm tiếp thu ý kiến và gửi khiếu nại, cũng như các chứng cứ có liên quan về khiếu nại cho "
            "Bên A để kiểm tra giải quyết.") in " ".join(texts)
    block = next(b for b in pdf.blocks if b.text.startswith("1.2.5. Bên A có quyền thu hồi"))
    assert block.page == 2
    assert "tại Điểm 1.2.4, Khoản 1.2, Điều này nhưng vẫn đang được trưng bày" in block.text
    assert block.text.endswith("số lượng hàng hóa đã thu hồi.")
    # a line after a finished sentence opens a new block
    assert "1.2.3. Bên A không có trách nhiệm đổi sản phẩm bị hư hỏng do quá trình lưu thông, bảo quản " \
           "không đúng quy định theo yêu cầu và/hoặc chỉ định của Bên A." in texts


def test_pdf_wrapped_line_starting_with_a_number_is_joined(pdf):
    block = next(b for b in pdf.blocks if b.text.startswith("14.2. Hợp đồng này được chấm dứt"))
    assert block.text.endswith("cần giải quyết giữa 02 bên.")
    assert not any(b.text == "02 bên." for b in pdf.blocks)


def test_pdf_article_heading_stays_its_own_block(pdf):
    texts = [b.text for b in pdf.blocks]
    assert "ĐIỀU 15. BẤT KHẢ KHÁNG" in texts  # as the DOCX copy of the same contract has it


def _pdf_with_blank_pages(tmp_path: Path, layout: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    source = PdfReader(str(PDF))
    writer = PdfWriter()
    for kind in layout:
        if kind == "B":
            writer.add_blank_page(width=595, height=842)
        else:
            writer.add_page(source.pages[0])
    out = tmp_path / f"scan-{layout}.pdf"
    with open(out, "wb") as fh:
        writer.write(fh)
    return out


def test_pdf_page_without_text_is_reported(tmp_path):
    lf = load(_pdf_with_blank_pages(tmp_path, "BTB"))
    assert {b.page for b in lf.blocks} == {2}
    assert any(b.text == "ĐIỀU 1. SẢN PHẨM VÀ CHẤT LƯỢNG SẢN PHẨM" for b in lf.blocks)
    assert len(lf.warnings) == 1
    warning = lf.warnings[0]
    assert re.search(r"page\(s\) 1, 3\b", warning), warning
    assert "OCR" in warning


def test_pdf_with_only_blank_pages_is_load_error(tmp_path):
    with pytest.raises(LoadError) as info:
        load_pdf(_pdf_with_blank_pages(tmp_path, "BB"))
    assert "no extractable text" in _readable(info.value)


@pytest.mark.parametrize("header", [b"", b"%PDF-1.7\n"])
def test_corrupt_pdf_is_load_error(tmp_path, header):
    p = tmp_path / "broken.pdf"
    p.write_bytes(header + random.Random(42).randbytes(4096))
    with pytest.raises(LoadError) as info:
        load(p)
    assert "PDF" in _readable(info.value)


# --- dispatch -----------------------------------------------------------------------------

@pytest.mark.parametrize("name, shown", [("notes.rtf", ".rtf"), ("README", "(none)"), ("scan.PNG", ".png")])
def test_unsupported_suffix_is_load_error(tmp_path, name, shown):
    p = tmp_path / name
    p.write_bytes(b"whatever")
    with pytest.raises(LoadError) as info:
        load(p)
    msg = _readable(info.value)
    assert "unsupported" in msg and shown in msg.lower()


def test_suffix_is_case_insensitive(tmp_path):
    p = tmp_path / "LUAT.MD"
    p.write_text("### Điều 1. Phạm vi điều chỉnh\n", encoding="utf-8")
    assert [b.text for b in load(p).blocks] == ["Điều 1. Phạm vi điều chỉnh"]


def test_load_markdown_direct(md_file):
    assert load_markdown(md_file).front_matter == load(md_file).front_matter
