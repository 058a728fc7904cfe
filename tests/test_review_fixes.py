"""Regressions found in review: each input once misbehaved."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.conversation import is_follow_up, rewrite
from assistant.question import expand, lexical_expansions
from ingest.loaders import Block
from ingest.manifest import load_manifest
from ingest.structure import parse

pytestmark = pytest.mark.unit


def test_decree_number_survives_abbreviation_expansion():
    assert "92/2024/NĐ-CP" in expand("Nghị định 92/2024/NĐ-CP quy định gì?")
    assert expand("NĐ 92 quy định gì").startswith("nghị định 92")


def test_a_child_is_not_a_follow_up():
    assert not is_follow_up("Con tôi có được vào hợp tác xã không?")
    assert is_follow_up("con lien hiep hop tac xa thi sao")


def test_rewrite_keeps_positions_with_emoji():
    out = rewrite("Còn liên hiệp hợp tác xã thì sao?", "❤️ Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?")
    assert out == "❤️ Cần tối thiểu bao nhiêu thành viên để thành lập liên hiệp hợp tác xã?"


def test_expansions_respect_accents():
    assert "tiền lương, tiền công, thù lao" not in lexical_expansions("Số lượng thành viên tối thiểu")
    assert "ít nhất" in lexical_expansions("Số lượng thành viên tối thiểu")


def test_manifest_numbers_are_text(tmp_path: Path):
    (tmp_path / "manifest.yaml").write_text("documents:\n  - id: a\n    file: a.md\n    number: 2023\n    issuer: 7\n",
                                            encoding="utf-8")
    meta = load_manifest(tmp_path)["a.md"]
    assert meta.number == "2023" and meta.issuer == "7"


def test_signature_and_part_lines():
    blocks = [Block(t) for t in ["Điều 1. Một", "1. Nội dung một.", "Điều 2. Hai",
                                 "Phần vốn góp của thành viên được trả lại.", "TM. CHÍNH PHỦ", "Nguyễn Văn A"]]
    root = parse(blocks)
    texts = [n.text for n in root.walk()]
    assert "TM. CHÍNH PHỦ" not in texts and "Nguyễn Văn A" not in texts
    assert not any(n.kind == "part" for n in root.walk())
    assert "Phần vốn góp của thành viên được trả lại." in texts


def test_unpaired_surrogate_is_rejected():
    from pydantic import ValidationError

    from assistant.api.schemas import ChatRequest
    with pytest.raises(ValidationError, match="Unicode"):
        ChatRequest(message="\ud800 htx")


@pytest.mark.integration
def test_dense_search_is_exact_and_agrees_with_chroma_on_itself(service):
    index = service.index()
    for row in range(0, len(index.chunks), 97):
        assert index.dense(index.vectors[row], 1)[0][0] == row
        assert index.dense_chroma(index.vectors[row], 1)[0][0] == row


def test_docx_tables_stay_where_they_stand():
    from ingest.loaders import load
    from tests.conftest import FIXTURES

    blocks = load(FIXTURES / "luat-an-ninh-mang-24-2018-qh14.docx").blocks
    first_article = next(i for i, b in enumerate(blocks) if b.text.startswith("Điều 1."))
    header = next(i for i, b in enumerate(blocks) if "Luật số: 24/2018/QH14" in b.text)
    assert header < first_article  # the header table is read before the body, not after the signature


def test_a_point_citation_links_to_the_point():
    from dataclasses import replace

    from assistant.answer import _unit_anchor
    from assistant.index import AnswerUnit
    units = [AnswerUnit(label="điểm a khoản 1 Điều 30", text="a) …", lead="1. …:", depth=1,
                        anchor="dieu-30-khoan-1-diem-a")]
    assert _unit_anchor(units, "dieu-30-khoan-1") == "dieu-30-khoan-1-diem-a"
    assert _unit_anchor(units + [replace(units[0], anchor="dieu-30-khoan-1-diem-b")], "dieu-30-khoan-1") == "dieu-30-khoan-1"
