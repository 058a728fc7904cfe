"""Targets extracted from programs: the shipped program against a hand-labelled list, a
synthetic plan with other years and units, the API, the CSV and the page in a browser."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx
import pytest

from ingest.manifest import load_manifest
from ingest.pipeline import parse_file
from ingest.targets import extract, quantities

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = "chuong-trinh-hanh-dong-nq20-tinh-uy"
KEYS = ("year", "qualifier", "value_text", "unit", "indicator")


def _rows(path: Path, manifest: dict | None = None) -> list[tuple]:
    doc = parse_file(path, manifest or {})
    return [tuple(t.to_dict()[k] for k in KEYS) for t in extract(doc.meta.id, doc.root.children)]


@pytest.mark.unit
def test_every_target_of_the_program_and_nothing_else():
    manifest = load_manifest(ROOT / "corpus" / "manifest.yaml")
    got = _rows(ROOT / "corpus" / f"{PROGRAM}.md", manifest)
    labelled = [tuple(r[k] for k in KEYS) for r in json.loads((ROOT / "tests/data/targets.program.labelled.json").read_text())]
    hits = len(set(got) & set(labelled))
    assert hits / len(labelled) == 1.0 and hits / len(got) == 1.0 and len(got) == len(labelled)
    assert got == labelled  # and in the document's order


@pytest.mark.unit
def test_a_plan_with_other_years_units_and_an_inline_year():
    assert _rows(ROOT / "tests/fixtures/ke-hoach-tong-hop.md") == [
        (2027, "ít nhất", "12", "hợp tác xã nông nghiệp", "hợp tác xã nông nghiệp"),
        (2027, "", "3", "tổ hợp tác", "tổ hợp tác"),
        (2027, "đạt", "85", "triệu đồng/người/năm", "Thu nhập bình quân của thành viên"),
        (2028, "", "100", "%", "hợp tác xã được tập huấn về chuyển đổi số"),
        (2028, "", "", "", "Nâng cao năng lực quản trị của các hợp tác xã."),
        (2029, "không dưới", "1.250", "lao động", "lao động"),   # its own year, not its heading's
    ]  # not the general aim, not the 5 years of the purpose, not the 5 classes of the tasks


@pytest.mark.unit
@pytest.mark.parametrize("text, values", [
    ("Thực hiện Nghị quyết số 20-NQ/TW ngày 16/6/2022 đến năm 2030", []),
    ("theo Điều 35 Nghị định 125/2025/NĐ-CP", []),
    ("đạt 1,5 tỷ đồng mỗi năm", [1.5]),
    ("khoảng 540 hợp tác xã với 136.000 thành viên", [540.0, 136000.0]),
])
def test_years_dates_and_document_numbers_are_not_quantities(text, values):
    assert [q[1] for q in quantities(text)] == values


@pytest.mark.integration
def test_targets_api_filters_and_rejects_bad_input(client):
    every = client.get("/api/targets").json()["targets"]
    assert len(every) == 11 and {t["doc_id"] for t in every} == {PROGRAM}
    by_year = client.get("/api/targets", params={"year": 2045}).json()["targets"]
    assert len(by_year) == 4 and all(t["year"] == 2045 for t in by_year)
    first = every[0]
    assert first["value"] == 540 and first["unit"] == "hợp tác xã" and first["anchor"] == "muc-II-2-den-nam-2030"
    assert client.get("/api/targets", params={"doc_id": PROGRAM, "year": 2030}).json()["targets"] == every[:7]
    assert client.get("/api/targets", params={"doc_id": "luat-hop-tac-xa-2023"}).json()["targets"] == []
    assert client.get("/api/targets", params={"doc_id": "khong-co"}).status_code == 404
    assert client.get("/api/targets", params={"year": "abc"}).status_code == 422
    assert client.get("/api/targets", params={"doc_id": "../etc"}).status_code == 422
    assert client.get("/healthz").status_code == 200


@pytest.mark.integration
def test_targets_as_csv(client):
    r = client.get("/api/targets.csv", params={"year": 2030})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())   # spreadsheet programs then read the accents
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert len(rows) == 7 and rows[1]["value"] == "136000" and rows[1]["value_text"] == "136.000"
    assert rows[0]["link"] == f"/api/documents/{PROGRAM}#muc-II-2-den-nam-2030"


@pytest.mark.integration
@pytest.mark.parametrize("question, year, count", [
    ("Các chỉ tiêu đến năm 2030?", 2030, 7),
    ("muc tieu den nam 2045 cua chuong trinh la gi", 2045, 4),
    ("Mục tiêu cụ thể mà Chương trình hành động đặt ra?", None, 11),
])
def test_a_question_about_targets_gets_every_target_cited(service, question, year, count):
    a = service.answer(question)
    index = service.index()
    wanted = [t for t in index.targets if year is None or t["year"] == year]
    assert a.found and len(wanted) == count
    for t in wanted:  # every unit that states a target is quoted, under a citation of where it is
        assert f"- {t['text']}" in a.answer
        assert any(c.label == t["label"] and t["text"] in c.quote for c in a.citations)
    assert all(f"[{c.n}]" in a.answer for c in a.citations)


@pytest.mark.integration
@pytest.mark.parametrize("question", [
    "Hợp tác xã hoạt động với mục tiêu gì?",                        # a cooperative's aim, not a program's targets
    "Mục tiêu tổng quát của tỉnh về phát triển kinh tế tập thể là gì?",  # the general aim is prose
    "Chỉ tiêu đến năm 2050 là gì?",                                  # no target for that year
])
def test_other_questions_naming_targets_are_not_answered_from_the_table(service, question):
    a = service.answer(question)
    assert not a.answer.startswith("Theo Mục II.2 (Đến năm")
