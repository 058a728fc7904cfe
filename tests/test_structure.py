"""Structure parsing (legal and program documents) and chunking, on real excerpts and real files."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.chunker import MAX_CHARS, chunk_document
from ingest.loaders import Block, load
from ingest.manifest import load_manifest
from ingest.structure import LEGAL, PROGRAM, detect_family, parse

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Excerpt of corpus/luat-hop-tac-xa-2023.md (Chương III, Mục 1, Điều 30, start of Điều 31, closing).
LAW_EXCERPT = """---
title: "Luật Hợp tác xã"
number: "17/2023/QH15"
---

# LUẬT HỢP TÁC XÃ

QUỐC HỘI — Luật số: 17/2023/QH15

_Căn cứ Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam;_

_Quốc hội ban hành Luật Hợp tác xã._

## Chương III. THÀNH VIÊN CỦA HỢP TÁC XÃ, LIÊN HIỆP HỢP TÁC XÃ

### Mục 1. THÀNH VIÊN HỢP TÁC XÃ

### Điều 30. Điều kiện trở thành thành viên hợp tác xã

1. Thành viên chính thức, thành viên liên kết góp vốn của hợp tác xã bao gồm:

a) Cá nhân là công dân Việt Nam từ đủ 18 tuổi trở lên, có năng lực hành vi dân sự đầy đủ;

b) Cá nhân là nhà đầu tư nước ngoài có giấy chứng nhận đăng ký đầu tư theo quy định của pháp luật về đầu tư;

c) Hộ gia đình, tổ hợp tác, tổ chức khác không có tư cách pháp nhân thành lập, hoạt động tại Việt Nam. Các thành viên của tổ chức này phải cử một người đại diện theo quy định của [Bộ luật Dân sự](https://thuvienphapluat.vn/van-ban/Quyen-dan-su/Bo-luat-dan-su-2015-296215.aspx) để thực hiện quyền, nghĩa vụ của thành viên hợp tác xã;

d) Pháp nhân Việt Nam.

2. Thành viên liên kết không góp vốn của hợp tác xã bao gồm:

a) Cá nhân là công dân Việt Nam hoặc người nước ngoài cư trú hợp pháp tại Việt Nam, từ đủ 18 tuổi trở lên, có năng lực hành vi dân sự đầy đủ;

d) Pháp nhân Việt Nam.

3. Cá nhân, tổ chức phải có đơn tự nguyện gia nhập, góp vốn hoặc nộp phí thành viên và đáp ứng điều kiện quy định của Luật này và Điều lệ.

7. Tổng số thành viên chính thức là tổ chức kinh tế có vốn đầu tư nước ngoài và cá nhân là nhà đầu tư nước ngoài phải chiếm tỷ lệ dưới 35% tổng số thành viên chính thức của hợp tác xã.

### Điều 31. Quyền của thành viên hợp tác xã

1. Thành viên chính thức có quyền sau đây:

a) Được hợp tác xã cung ứng sản phẩm, dịch vụ, việc làm;

b) Được phân phối thu nhập theo quy định của Luật này và Điều lệ;

_Luật này được Quốc hội nước Cộng hòa xã hội chủ nghĩa Việt Nam khóa XV, Kỳ họp thứ 5 thông qua ngày 20 tháng 6 năm 2023._

**CHỦ TỊCH QUỐC HỘI**

**Vương Đình Huệ**
"""

# An amending law quoting the article it replaces (curly quotes, as in official texts).
AMENDING = """### Điều 1. Sửa đổi, bổ sung một số điều của Luật Hợp tác xã

1. Sửa đổi, bổ sung Điều 5 như sau:

“Điều 5. Nguyên tắc tổ chức, quản lý và hoạt động của hợp tác xã

1. Tự nguyện gia nhập và ra khỏi tổ chức.

2. Bình đẳng, công khai, minh bạch.”

2. Bổ sung khoản 3 vào Điều 6 như sau:

“3. Quỹ được trích lập hằng năm.”

### Điều 2. Hiệu lực thi hành

Luật này có hiệu lực thi hành từ ngày 01 tháng 7 năm 2024.
"""

# Excerpt of corpus/chuong-trinh-hanh-dong-nq20-tinh-uy.md.
PROGRAM_EXCERPT = """**CHƯƠNG TRÌNH HÀNH ĐỘNG  
CỦA BAN THƯỜNG VỤ TỈNH ỦY**

-----

Thực hiện Nghị quyết số 20-NQ/TW ngày 16/6/2022 của Chấp hành Trung ương Đảng (khóa XIII) về tiếp tục đổi mới, phát triển và nâng cao hiệu quả kinh tế tập thể trong giai đoạn mới, Ban Thường vụ Tỉnh ủy ban hành Chương trình hành động thực hiện Nghị quyết số 20-NQ/TW như sau:

**I. MỤC ĐÍCH, YÊU CẦU**

1. Tiếp tục nâng cao nhận thức, trách nhiệm của các cấp ủy, tổ chức đảng, chính quyền, Mặt trận, các đoàn thể, cán bộ, đảng viên và Nhân dân đối với vai trò, tầm quan trọng của việc tiếp tục đổi mới, phát triển và nâng cao hiệu quả kinh tế tập thể trong giai đoạn mới.

**II. MỤC TIÊU**

**1. Mục tiêu tổng quát**

Xây dựng, củng cố và phát triển kinh tế tập thể, hợp tác xã năng động, hiệu quả, bền vững trong nhiều ngành, lĩnh vực kinh tế với nhiều mô hình hợp tác, liên kết.

## **2. Mục tiêu cụ thể**

### ***Đến năm 2030***

- Toàn tỉnh có khoảng 540 hợp tác xã với 136.000 thành viên và 05 liên hiệp hợp tác xã với 20 hợp tác xã thành viên.

- Bảo đảm trên 60% tổ chức kinh tế tập thể đạt loại tốt, khá. Trong đó, có ít nhất 50% tham gia liên kết theo chuỗi giá trị.

### ***Đến năm 2045***

- Thu hút tối thiểu 20% dân số tham gia các tổ chức kinh tế tập thể.

#### IV. TỔ CHỨC THỰC HIỆN

1. Các huyện ủy, thị ủy, thành ủy, đảng ủy trực thuộc Tỉnh ủy theo chức năng, nhiệm vụ tổ chức học tập, quán triệt.

2. Ban cán sự đảng Ủy ban nhân dân tỉnh lãnh đạo, chỉ đạo Ủy ban nhân dân tỉnh xây dựng chương trình, kế hoạch, đề án thực hiện thực hiện.

5. Ban cán sự đảng Ủy ban nhân dân tỉnh chủ trì, phối hợp với các ban Tỉnh ủy thường xuyên theo dõi, kiểm tra, giám sát và đôn đốc triển khai thực hiện Nghị quyết số 20-NQ/TW và Chương trình hành động này; định kỳ sơ kết, tổng kết, báo cáo kết quả thực hiện cho Ban Thường vụ Tỉnh ủy.

#### Nơi nhận:

- Ban Bí thư Trung ương Đảng,
  - Ban Kinh tế Trung ương,
  - Lưu VPTU.
- } (để b/c)

**T/M BAN THƯỜNG VỤ  
PHÓ BÍ THƯ THƯỜNG TRỰC**



**Trần Hải Châu**
"""


def _parse_md(tmp_path: Path, text: str, name: str = "doc.md"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    loaded = load(p)
    family = detect_family(loaded.blocks)
    return family, parse(loaded.blocks, family)


def _by_label(root):
    out: dict[str, list] = {}
    for n in root.walk():
        out.setdefault(n.label, []).append(n)
    return out


# --- legal documents ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def law(tmp_path_factory):
    return _parse_md(tmp_path_factory.mktemp("law"), LAW_EXCERPT)


def test_law_excerpt_is_legal(law):
    family, _ = law
    assert family == LEGAL


def test_detect_family():
    assert detect_family([Block("Điều 1. A"), Block("Điều 2. B")]) == LEGAL
    assert detect_family([Block("Điều 1. A"), Block("I. MỤC TIÊU")]) == PROGRAM


def test_law_chapter_and_section(law):
    _, root = law
    chapters = [n for n in root.walk() if n.kind == "chapter"]
    assert [(c.number, c.title, c.label) for c in chapters] == \
        [("III", "THÀNH VIÊN CỦA HỢP TÁC XÃ, LIÊN HIỆP HỢP TÁC XÃ", "Chương III")]
    sections = [n for n in root.walk() if n.kind == "section"]
    assert [(s.number, s.title, s.label) for s in sections] == [("1", "THÀNH VIÊN HỢP TÁC XÃ", "Mục 1 Chương III")]
    assert sections[0] in chapters[0].children
    articles = [n for n in root.walk() if n.kind == "article"]
    assert [a.number for a in articles] == ["30", "31"]
    assert all(a in sections[0].children for a in articles)


def test_law_labels_and_anchors(law):
    _, root = law
    labels = _by_label(root)
    art = labels["Điều 30"][0]
    assert art.kind == "article" and art.anchor == "dieu-30"
    assert art.title == "Điều kiện trở thành thành viên hợp tác xã"

    k1 = next(n for n in labels["khoản 1 Điều 30"] if n.kind == "clause")
    assert k1.anchor == "dieu-30-khoan-1"
    assert k1.text == "1. Thành viên chính thức, thành viên liên kết góp vốn của hợp tác xã bao gồm:"

    pa = labels["điểm a khoản 1 Điều 30"]
    assert len(pa) == 1 and pa[0].kind == "point"
    assert pa[0].anchor == "dieu-30-khoan-1-diem-a"
    assert pa[0].text.startswith("a) Cá nhân là công dân Việt Nam từ đủ 18 tuổi")
    assert [c.number for c in k1.children] == ["a", "b", "c", "d"]

    k2 = next(n for n in labels["khoản 2 Điều 30"] if n.kind == "clause")
    assert k2.anchor == "dieu-30-khoan-2"
    assert [c.label for c in k2.children] == ["điểm a khoản 2 Điều 30", "điểm d khoản 2 Điều 30"]
    assert labels["điểm d khoản 2 Điều 30"][0].anchor == "dieu-30-khoan-2-diem-d"

    assert [c.number for c in art.children] == ["1", "2", "3", "7"]
    assert "khoản 7 Điều 30" in labels
    assert labels["điểm b khoản 1 Điều 31"][0].anchor == "dieu-31-khoan-1-diem-b"


def test_law_link_text_kept_without_url(law):
    _, root = law
    pc = next(n for n in root.walk() if n.label == "điểm c khoản 1 Điều 30")
    assert "theo quy định của Bộ luật Dân sự để thực hiện quyền" in pc.text
    assert "http" not in pc.text


def test_law_preamble_and_closing(law):
    _, root = law
    pre = [n.text for n in root.children if n.kind == "preamble"]
    assert pre[0] == "LUẬT HỢP TÁC XÃ"
    assert "Quốc hội ban hành Luật Hợp tác xã." in pre
    all_text = " ".join(n.text for n in root.walk())
    assert "Vương Đình Huệ" not in all_text
    assert "CHỦ TỊCH QUỐC HỘI" not in all_text
    assert "thông qua ngày 20 tháng 6 năm 2023" not in all_text
    last = list(root.walk())[-1]
    assert last.label == "điểm b khoản 1 Điều 31"


def test_quoted_amending_text_is_not_structure(tmp_path):
    family, root = _parse_md(tmp_path, AMENDING)
    assert family == LEGAL
    articles = [n for n in root.walk() if n.kind == "article"]
    assert [a.number for a in articles] == ["1", "2"]
    clauses = [n for n in root.walk() if n.kind == "clause"]
    assert [c.label for c in clauses] == ["khoản 1 Điều 1", "khoản 2 Điều 1"]
    k1 = clauses[0]
    assert [c.kind for c in k1.children] == ["para", "para", "para"]
    assert k1.children[0].text.startswith("“Điều 5. Nguyên tắc tổ chức")
    assert k1.children[1].text == "1. Tự nguyện gia nhập và ra khỏi tổ chức."
    assert all(c.label == "khoản 1 Điều 1" for c in k1.children)
    assert clauses[1].children[0].text == "“3. Quỹ được trích lập hằng năm.”"
    assert not any(n.label.endswith("Điều 5") for n in root.walk())


def test_straight_quoted_amending_text_is_not_structure(tmp_path):
    _, root = _parse_md(tmp_path, AMENDING.replace("“", '"').replace("”", '"'))
    clauses = [n.label for n in root.walk() if n.kind == "clause"]
    assert clauses == ["khoản 1 Điều 1", "khoản 2 Điều 1"]


def test_numbered_lines_before_first_article_are_preamble():
    blocks = [Block("Căn cứ:"), Block("1. Hiến pháp;"), Block("Điều 1. Phạm vi"), Block("1. Nội dung."),
              Block("Điều 2. Hiệu lực"), Block("Luật này có hiệu lực.")]
    root = parse(blocks)
    assert [n.kind for n in root.children[:2]] == ["preamble", "preamble"]
    assert root.children[1].text == "1. Hiến pháp;"
    assert [n.label for n in root.walk() if n.kind == "clause"] == ["khoản 1 Điều 1"]


# --- program documents --------------------------------------------------------------------

@pytest.fixture(scope="module")
def program(tmp_path_factory):
    return _parse_md(tmp_path_factory.mktemp("prog"), PROGRAM_EXCERPT)


def test_program_family(program):
    family, _ = program
    assert family == PROGRAM


def test_program_labels(program):
    _, root = program
    labels = _by_label(root)
    romans = [n for n in root.walk() if n.kind == "roman"]
    assert [(r.number, r.label, r.anchor) for r in romans] == \
        [("I", "Mục I", "muc-I"), ("II", "Mục II", "muc-II"), ("IV", "Mục IV", "muc-IV")]
    item = next(n for n in labels["Mục II.2"] if n.kind == "item")
    assert item.title == "Mục tiêu cụ thể" and item.anchor == "muc-II-2"

    heading = next(n for n in labels["Mục II.2 (Đến năm 2030)"] if n.kind == "heading")
    assert heading.title == "Đến năm 2030"
    assert heading.anchor == "muc-II-2-den-nam-2030"
    assert heading in item.children
    bullets = [c for c in heading.children if c.kind == "bullet"]
    assert len(bullets) == 2
    assert bullets[0].text.startswith("- Toàn tỉnh có khoảng 540 hợp tác xã")
    assert all(b.label == "Mục II.2 (Đến năm 2030)" for b in bullets)

    h2045 = next(n for n in labels["Mục II.2 (Đến năm 2045)"] if n.kind == "heading")
    assert h2045 in item.children
    assert [c.text for c in h2045.children] == ["- Thu hút tối thiểu 20% dân số tham gia các tổ chức kinh tế tập thể."]

    item5 = next(n for n in labels["Mục IV.5"] if n.kind == "item")
    assert item5.anchor == "muc-IV-5"
    assert item5.text.startswith("5. Ban cán sự đảng Ủy ban nhân dân tỉnh chủ trì")
    assert [c.label for c in romans[2].children] == ["Mục IV.1", "Mục IV.2", "Mục IV.5"]

    general = next(n for n in labels["Mục II.1"] if n.kind == "item")
    assert [c.kind for c in general.children] == ["para"]


def test_program_preamble_and_closing(program):
    _, root = program
    pre = [n.text for n in root.children if n.kind == "preamble"]
    assert pre[0] == "CHƯƠNG TRÌNH HÀNH ĐỘNG CỦA BAN THƯỜNG VỤ TỈNH ỦY"
    assert pre[-1].startswith("Thực hiện Nghị quyết số 20-NQ/TW")
    all_text = " ".join(n.text for n in root.walk())
    for gone in ("Nơi nhận", "Ban Bí thư Trung ương Đảng", "Lưu VPTU", "T/M BAN THƯỜNG VỤ", "Trần Hải Châu"):
        assert gone not in all_text, gone
    assert list(root.walk())[-1].label == "Mục IV.5"


def test_program_chunks(program):
    _, root = program
    chunks = chunk_document(root, "ct", "Chương trình hành động", PROGRAM)
    labels = [c.label for c in chunks]
    assert labels == ["phần mở đầu", "Mục I.1", "Mục II.1", "Mục II.2", "Mục IV.1", "Mục IV.2", "Mục IV.5"]
    c22 = chunks[labels.index("Mục II.2")]
    assert c22.path == ["Chương trình hành động", "II. MỤC TIÊU"]
    assert "Đến năm 2030" in c22.text and "- Thu hút tối thiểu 20% dân số" in c22.text
    assert "Mục II.2 (Đến năm 2030)" in [u.label for u in c22.units]


# --- the real DOCX laws -------------------------------------------------------------------

@pytest.fixture(scope="module", params=[("luat-an-ninh-mang-24-2018-qh14.docx", 43, 7),
                                        ("luat-khoa-hoc-cong-nghe-29-2013-qh13.docx", 81, 11)],
                ids=["an-ninh-mang", "khoa-hoc-cong-nghe"])
def docx_law(request):
    name, articles, chapters = request.param
    loaded = load(FIXTURES / name)
    family = detect_family(loaded.blocks)
    return family, parse(loaded.blocks, family), articles, chapters


def test_docx_law_articles_and_chapters(docx_law):
    family, root, n_articles, n_chapters = docx_law
    assert family == LEGAL
    articles = [n for n in root.walk() if n.kind == "article"]
    assert [a.number for a in articles] == [str(i) for i in range(1, n_articles + 1)]
    chapters = [n for n in root.children if n.kind == "chapter"]
    assert len(chapters) == n_chapters
    assert chapters[0].number == "I" and chapters[0].label == "Chương I"
    # every article sits inside a chapter
    in_chapters = [n for c in chapters for n in c.walk() if n.kind == "article"]
    assert len(in_chapters) == n_articles
    assert articles[0].title == "Phạm vi điều chỉnh"


def test_docx_chapter_title_from_next_line(docx_law):
    _, root, _, _ = docx_law
    chapters = [n for n in root.children if n.kind == "chapter"]
    assert chapters[0].title == "NHỮNG QUY ĐỊNH CHUNG"
    assert chapters[0].text == "Chương I NHỮNG QUY ĐỊNH CHUNG"
    assert chapters[-1].title == "ĐIỀU KHOẢN THI HÀNH"
    assert all(c.title and c.title.isupper() for c in chapters)
    # the title line was consumed, not left as a paragraph
    assert not any(n.kind == "para" and n.text == "NHỮNG QUY ĐỊNH CHUNG" for n in root.walk())


def test_docx_law_signature_not_content(docx_law):
    _, root, _, _ = docx_law
    all_text = " ".join(n.text for n in root.walk())
    assert "CHỦ TỊCH QUỐC HỘI" not in all_text
    assert "được Quốc hội nước Cộng hòa xã hội chủ nghĩa Việt Nam" not in all_text


def test_docx_sections_inside_chapters():
    loaded = load(FIXTURES / "luat-khoa-hoc-cong-nghe-29-2013-qh13.docx")
    root = parse(loaded.blocks)
    sections = [n for n in root.walk() if n.kind == "section"]
    assert sections[0].label == "Mục 1 Chương II"
    assert sections[0].title == "THÀNH LẬP, QUYỀN VÀ NGHĨA VỤ CỦA TỔ CHỨC KHOA HỌC VÀ CÔNG NGHỆ"
    assert sections[0].anchor == "section-1-II"


# --- chunking the full real law -----------------------------------------------------------

@pytest.fixture(scope="module")
def law_chunks():
    meta = load_manifest(CORPUS)["luat-hop-tac-xa-2023.md"]
    loaded = load(CORPUS / "luat-hop-tac-xa-2023.md")
    family = detect_family(loaded.blocks)
    assert family == LEGAL
    root = parse(loaded.blocks, family)
    return meta, root, chunk_document(root, meta.id, meta.short, family)


def test_full_law_has_115_articles_and_12_chapters(law_chunks):
    _, root, _ = law_chunks
    assert [n.number for n in root.walk() if n.kind == "article"] == [str(i) for i in range(1, 116)]
    assert len([n for n in root.walk() if n.kind == "chapter"]) == 12


def test_full_law_chunk_labels(law_chunks):
    _, _, chunks = law_chunks
    assert len(chunks) > 400
    labels = [c.label for c in chunks]
    assert labels[0] == "phần mở đầu"
    clause_like = [lb for lb in labels if re.fullmatch(r"khoản \d+ Điều \d+", lb)]
    assert len(clause_like) > 0.9 * len(labels)
    assert all(re.fullmatch(r"khoản \d+ Điều \d+|Điều \d+|phần mở đầu", lb) for lb in labels), \
        [lb for lb in labels if not re.fullmatch(r"khoản \d+ Điều \d+|Điều \d+|phần mở đầu", lb)]
    assert "khoản 1 Điều 30" in labels and "khoản 7 Điều 30" in labels
    assert [c.order for c in chunks] == list(range(len(chunks)))
    assert len({c.id for c in chunks}) == len(chunks)
    assert all(c.id.startswith("luat-hop-tac-xa-2023:") for c in chunks)


def test_full_law_chunk_embed_text_and_size(law_chunks):
    meta, _, chunks = law_chunks
    assert meta.short == "Luật Hợp tác xã 2023"
    for c in chunks:
        assert c.text.strip(), c.label
        assert c.embed_text.startswith(meta.short), c.embed_text[:80]
        assert c.text in c.embed_text
        assert len(c.text) <= 2500, (c.label, len(c.text))
        assert c.path[0] == meta.short
    assert max(len(c.text) for c in chunks) <= MAX_CHARS


def test_full_law_clause_chunk_breadcrumb(law_chunks):
    _, _, chunks = law_chunks
    c = next(c for c in chunks if c.label == "khoản 3 Điều 30")
    assert c.anchor == "dieu-30-khoan-3"
    assert c.path == ["Luật Hợp tác xã 2023", "Chương III. THÀNH VIÊN CỦA HỢP TÁC XÃ, LIÊN HIỆP HỢP TÁC XÃ",
                      "Mục 1. THÀNH VIÊN HỢP TÁC XÃ", "Điều 30. Điều kiện trở thành thành viên hợp tác xã"]
    assert c.embed_text.split("\n")[0] == " > ".join(c.path)
    assert c.text.startswith("3. Cá nhân, tổ chức phải có đơn tự nguyện gia nhập")


def test_full_law_point_list_chunk_carries_lead_and_points(law_chunks):
    _, _, chunks = law_chunks
    c = next(c for c in chunks if c.label == "khoản 1 Điều 30")
    lead = "1. Thành viên chính thức, thành viên liên kết góp vốn của hợp tác xã bao gồm:"
    assert c.text.split("\n")[0] == lead
    assert [u.label for u in c.units] == ["khoản 1 Điều 30"] + [f"điểm {x} khoản 1 Điều 30" for x in "abcd"]
    assert c.units[0].text == lead and c.units[0].depth == 0
    for u in c.units[1:]:
        assert u.lead == lead
        assert u.depth == 1
    assert c.units[4].text == "d) Pháp nhân Việt Nam."
    assert c.pages == []


def test_full_law_long_clause_split_keeps_lead(law_chunks):
    _, _, chunks = law_chunks
    parts = [c for c in chunks if c.label == "khoản 5 Điều 65"]
    assert len(parts) >= 2
    lead = parts[0].units[0].text
    assert lead.startswith("5. ") and lead.endswith(":")
    for part in parts:
        assert part.units[0].text == lead
        assert part.text.startswith(lead)
        assert len(part.text) <= MAX_CHARS
    points = [u.text[:2] for p in parts for u in p.units[1:] if u.depth == 1]
    assert points[0] == "a)" and len(points) == len(set(points))
