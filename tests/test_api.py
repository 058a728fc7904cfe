"""The HTTP contract over real HTTP on loopback, against the real index of the corpus."""
from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer, make_settings

pytestmark = pytest.mark.integration

Q = "Hội đồng quản trị hợp tác xã họp định kỳ ít nhất bao lâu một lần?"


def test_health_and_ready(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["documents"] == 3 and r.json()["chunks"] > 500


def test_chat_answers_with_citations(client):
    r = client.post("/api/chat", json={"message": Q, "session_id": None})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"answer", "found", "session_id", "message_id", "citations", "mode", "notices", "related", "lead"}
    assert body["mode"] == "extractive"
    assert body["found"] is True and "03 tháng" in body["answer"]
    # the lead answers in a few lines, from the first cited provision, and says which it is
    assert "03 tháng" in body["lead"] and body["lead"].endswith("[1]") and len(body["lead"]) <= 400
    c = body["citations"][0]
    assert {"n", "doc_id", "document", "label", "quote", "score"} <= set(c)
    assert c["doc_id"] == "luat-hop-tac-xa-2023" and c["label"] == "khoản 3 Điều 65"
    assert "[1]" in body["answer"] and c["quote"] in body["answer"]
    # further provisions: titles and links, none of them an article the answer quotes, no text
    quoted = {(x["doc_id"], x["label"].split(" Điều ")[-1]) for x in body["citations"]}
    for r in body["related"]:
        assert set(r) == {"doc_id", "document", "label", "title", "anchor", "short_title"}
        assert r["title"].startswith(r["label"]) and (r["doc_id"], r["label"].removeprefix("Điều ")) not in quoted
        assert r["short_title"] == r["title"] or (r["title"].startswith(r["short_title"][:-1])
                                                  and r["short_title"].endswith("…") and len(r["short_title"]) <= 72)
        assert r["title"] not in body["answer"]


def test_related_provisions_are_close_to_the_question_and_not_quoted(service):
    a = service.answer("Hợp tác xã phải gửi báo cáo tài chính trong thời hạn bao lâu?")
    assert a.found and 1 <= len(a.related) <= 3
    quoted = {(c.doc_id, c.label.split("Điều ")[-1]) for c in a.citations}
    assert all((r.doc_id, r.label.removeprefix("Điều ")) not in quoted for r in a.related)
    far = service.answer("Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?")
    assert "Điều 65" not in {r.label for r in far.related}  # shares words, not the subject: below the bar


def test_a_related_passage_without_a_heading_in_its_path_is_titled_by_its_first_line(service):
    # a program section ("Mục III.4") or an article quoted whole keeps its heading in its text:
    # before, "Xem thêm" listed the bare label
    a = service.answer("Nhà nước có giao dịch vụ công cho tổ chức kinh tế tập thể thực hiện không?")
    titles = {r.label: r.title for r in a.related}
    assert titles.get("Mục III.4") == "Mục III.4. Nâng cao hiệu lực, hiệu quả quản lý của nhà nước đối với kinh tế tập thể"
    assert all(r.title.startswith(r.label + ".") and len(r.title) <= 160 for r in a.related), titles


def test_session_id_is_kept(client):
    r = client.post("/api/chat", json={"message": Q, "session_id": "abc-123"})
    assert r.json()["session_id"] == "abc-123"
    first = client.post("/api/chat", json={"message": Q}).json()["session_id"]
    assert first and first != "abc-123"


def test_out_of_scope_is_refused(client):
    body = client.post("/api/chat", json={"message": "Thời tiết Hà Nội ngày mai thế nào?"}).json()
    assert body["found"] is False and body["citations"] == []
    assert "không đề cập" in body["answer"]


def test_greeting_gets_a_short_introduction(client):
    body = client.post("/api/chat", json={"message": "Xin chào, bạn là ai?"}).json()
    assert body["found"] is False and body["citations"] == []
    assert "hợp tác xã" in body["answer"] and "Điều" not in body["answer"]


@pytest.mark.parametrize("payload, fragment", [
    ({"message": ""}, "empty"),
    ({"message": "   \n\t "}, "empty"),
    ({"message": 42}, "string"),
    ({"message": ["a"]}, "string"),
    ({"message": None}, "string"),
    ({"message": "a" * 1001}, "too long"),
    ({}, "field required"),
    ({"msg": "x"}, "field required"),
    ({"message": "ok", "session_id": "../../etc"}, "session_id"),
    ({"message": "ok", "session_id": 5}, "session_id"),
])
def test_bad_chat_input_is_a_clear_422(client, payload, fragment):
    r = client.post("/api/chat", json=payload)
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid_request" and fragment in body["detail"]


@pytest.mark.parametrize("raw", [b"{bad json", b"[1,2]", b'"just a string"', b"", b"\xff\xfe"])
def test_malformed_bodies_are_422(client, raw):
    r = client.post("/api/chat", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_oversized_body_is_413(client):
    r = client.post("/api/chat", content=b'{"message": "' + b"a" * 70_000 + b'"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and "64 KB" in r.json()["detail"]


def test_oversized_chunked_body_is_413(client):
    def gen():
        yield b'{"message": "'
        for _ in range(80):
            yield b"a" * 1024
        yield b'"}'
    r = client.post("/api/chat", content=gen(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_search(client):
    r = client.get("/api/search", params={"q": "vốn góp tối đa của thành viên", "k": 3})
    assert r.status_code == 200
    results = r.json()["results"]
    assert len(results) == 3
    assert {"doc_id", "document", "label", "text", "score"} <= set(results[0])
    assert results[0]["score"] >= results[-1]["score"]


def test_search_without_diacritics(client):
    results = client.get("/api/search", params={"q": "von gop toi da cua thanh vien chinh thuc"}).json()["results"]
    assert any("vốn góp" in r["text"].lower() for r in results)


@pytest.mark.parametrize("params", [{"q": "x", "k": 0}, {"q": "x", "k": 1000}, {"q": "x", "k": "abc"},
                                    {"k": 3}, {"q": ""}, {"q": "   "}, {"q": "a" * 1001}])
def test_bad_search_input_is_422(client, params):
    r = client.get("/api/search", params=params)
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_documents(client):
    docs = client.get("/api/documents").json()["documents"]
    ids = {d["id"] for d in docs}
    assert ids == {"luat-hop-tac-xa-2023", "nghi-dinh-92-2024-nd-cp", "chuong-trinh-hanh-dong-nq20-tinh-uy"}
    law = next(d for d in docs if d["id"] == "luat-hop-tac-xa-2023")
    assert law["number"] == "17/2023/QH15" and law["effective"] == "2024-07-01" and law["status"] == "in_force"
    detail = client.get("/api/documents/luat-hop-tac-xa-2023").json()
    anchors = set()

    def walk(nodes):
        for n in nodes:
            anchors.add(n["anchor"])
            walk(n["children"])
    walk(detail["structure"])
    assert {"dieu-30", "dieu-30-khoan-1", "dieu-30-khoan-1-diem-a"} <= anchors


@pytest.mark.parametrize("path, status", [
    ("/api/documents/khong-ton-tai", 404),
    ("/api/documents/..%2F..%2Fetc%2Fpasswd", 404),
    ("/api/documents/%2e%2e", 422),
    ("/api/documents/LUAT", 422),
    ("/api/documents/a%00b", 422),
])
def test_document_path_tricks(client, path, status):
    r = client.get(path)
    assert r.status_code == status and "error" in r.json()


def test_feedback_roundtrip(client, service):
    mid = client.post("/api/chat", json={"message": Q}).json()["message_id"]
    r = client.post("/api/feedback", json={"message_id": mid, "rating": -1, "comment": "thiếu ý"})
    assert r.status_code == 200 and r.json()["status"] == "ok"
    stored = service.store.feedback(rating=-1)
    assert stored[0]["message_id"] == mid and stored[0]["comment"] == "thiếu ý" and stored[0]["question"] == Q


@pytest.mark.parametrize("payload, status", [
    ({"message_id": "nope", "rating": 1}, 404),
    ({"message_id": "x", "rating": 2}, 422),
    ({"message_id": "x", "rating": True}, 422),
    ({"message_id": "x", "rating": "1"}, 422),
    ({"rating": 1}, 422),
    ({"message_id": "x", "rating": 1, "comment": "c" * 2001}, 422),
])
def test_bad_feedback(client, payload, status):
    assert client.post("/api/feedback", json=payload).status_code == status


def test_server_keeps_serving_after_bad_input(client):
    for _ in range(3):
        client.post("/api/chat", content=b"{bad", headers={"content-type": "application/json"})
        client.post("/api/chat", json={"message": 1})
    assert client.get("/healthz").status_code == 200
    assert client.post("/api/chat", json={"message": Q}).json()["found"] is True


def test_openapi_docs(client):
    assert client.get("/docs").status_code == 200
    assert "/api/chat" in client.get("/openapi.json").json()["paths"]


def test_not_ready_without_index(tmp_path):
    from assistant.api.app import create_app
    from tests.fakes import HashEmbedder
    from assistant.service import AssistantService

    settings = make_settings(tmp_path / "empty")
    app = create_app(settings, AssistantService(settings, embedder=HashEmbedder()))
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as c:
        assert c.get("/healthz").status_code == 200
        r = c.get("/readyz")
        assert r.status_code == 503 and "assistant ingest" in r.json()["detail"]
        r = c.post("/api/chat", json={"message": Q})
        assert r.status_code == 503 and "assistant ingest" in r.json()["detail"]
