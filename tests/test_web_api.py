"""The web channel's HTTP side over real HTTP on loopback: the SSE stream, the pages and the
widget script, documents as HTML, and the CORS allow-list."""
from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import LiveServer, make_settings

pytestmark = pytest.mark.integration

Q = "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?"


def read_events(response: httpx.Response) -> tuple[list[tuple[str, dict]], list[str]]:
    """Parse an SSE body the way a browser does: blank-line separated blocks of fields."""
    events, comments = [], []
    for block in response.text.split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith(":"):
                comments.append(line[1:].strip())
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events, comments


def test_stream_sends_meta_tokens_citations_done(client):
    with client.stream("POST", "/api/chat/stream", json={"message": Q, "session_id": "stream-1"}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["cache-control"] == "no-cache"
        r.read()
    events, comments = read_events(r)
    names = [n for n, _ in events]
    assert comments and comments[0] == "stream open"             # the stream is open before the answer
    assert names[0] == "meta" and names[-2:] == ["citations", "done"]
    assert set(names[1:-2]) == {"token"} and len(names) > 10
    meta, done = events[0][1], events[-1][1]
    assert meta["session_id"] == "stream-1" and meta["mode"] == "extractive"
    text = "".join(d["text"] for n, d in events if n == "token")
    lead = done.pop("lead")
    assert done == {"found": True, "session_id": "stream-1", "message_id": meta["message_id"],
                    "mode": "extractive", "answer": text, "notices": [], "related": []}
    assert "05 thành viên" in lead and lead.endswith("[1]")
    citations = events[-2][1]["citations"]
    assert "05 thành viên" in text and citations[0]["label"] == "khoản 7 Điều 4"
    # the streamed answer is the stored one: the same text as the plain endpoint, feedback works
    plain = client.post("/api/chat", json={"message": Q}).json()
    assert plain["answer"] == text and plain["citations"] == citations
    assert client.post("/api/feedback", json={"message_id": meta["message_id"], "rating": -1}).status_code == 200


def test_stream_follow_up_uses_the_session(client):
    client.post("/api/chat/stream", json={"message": Q, "session_id": "stream-2"})
    r = client.post("/api/chat/stream", json={"message": "Còn liên hiệp hợp tác xã thì sao?", "session_id": "stream-2"})
    events, _ = read_events(r)
    text = "".join(d["text"] for n, d in events if n == "token")
    assert "03 hợp tác xã" in text


@pytest.mark.parametrize("body, status", [
    ({"message": ""}, 422), ({"message": "x" * 1001}, 422), ({"msg": "hi"}, 422),
    ({"message": "hi", "session_id": "bad id!"}, 422),
])
def test_stream_refuses_bad_input_before_streaming(client, body, status):
    r = client.post("/api/chat/stream", json=body)
    assert r.status_code == status and r.headers["content-type"].startswith("application/json")
    assert r.json()["error"] == "invalid_request"


def test_stream_without_an_index_is_503_not_a_broken_stream(tmp_path):
    from assistant.api.app import create_app
    from assistant.service import AssistantService
    from tests.fakes import HashEmbedder

    settings = make_settings(tmp_path / "empty")
    with LiveServer(create_app(settings, AssistantService(settings, embedder=HashEmbedder()))) as server:
        r = httpx.post(server.url + "/api/chat/stream", json={"message": Q}, timeout=30)
        assert r.status_code == 503 and "assistant ingest" in r.json()["detail"]


def test_widget_script_is_small_and_dependency_free(client):
    r = client.get("/widget.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert len(r.content) < 30 * 1024
    js = r.text
    assert "import " not in js and "require(" not in js     # no modules, no framework
    assert ".innerHTML" not in js and "insertAdjacentHTML" not in js and "outerHTML" not in js
    assert "attachShadow" in js and "customElements.define" in js


def test_demo_page_embeds_the_widget_like_a_host_site(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<script src="/widget.js" defer' in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    chat = client.get("/chat?lang=en")
    assert chat.status_code == 200 and 'data-mode="page"' in chat.text and 'data-lang="en"' in chat.text
    assert client.get("/chat?lang=fr").status_code == 422


def test_a_document_opens_as_html_at_its_anchor(client):
    r = client.get("/api/documents/luat-hop-tac-xa-2023", headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'id="dieu-4-khoan-7"' in r.text and "ít nhất 05 thành viên chính thức" in r.text
    assert r.text.count('id="dieu-4-khoan-7"') == 1
    # an API client still gets JSON
    assert client.get("/api/documents/luat-hop-tac-xa-2023").json()["id"] == "luat-hop-tac-xa-2023"


def test_document_html_escapes_the_text(tmp_path):
    from assistant.api.web import document_page
    from assistant.index import Document
    doc = Document(id="x", title="<script>alert(1)</script>", short="x", number=None, issuer=None, issued=None,
                   effective=None, status="in_force", source=None, file="x.md", family="legal", chunks=1,
                   structure=[{"kind": "para", "label": "", "anchor": 'a" onmouseover="x', "text": "<b>bold</b>",
                               "children": []}])
    body = document_page(doc).body.decode()
    assert "<script>alert" not in body and "<b>bold" not in body and 'onmouseover="x' not in body


def test_cors_allows_only_the_listed_origins(built_data_dir):
    from assistant.api.app import create_app
    from assistant.service import AssistantService

    settings = make_settings(built_data_dir, allowed_origins="https://tinh.example.gov.vn, http://localhost:3000")
    with LiveServer(create_app(settings, AssistantService(settings))) as server, \
            httpx.Client(base_url=server.url, timeout=30) as c:
        pre = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
        ok = c.options("/api/chat/stream", headers={"Origin": "https://tinh.example.gov.vn", **pre})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "https://tinh.example.gov.vn"
        bad = c.options("/api/chat/stream", headers={"Origin": "https://evil.example.com", **pre})
        assert "access-control-allow-origin" not in bad.headers
        r = c.post("/api/chat", json={"message": Q}, headers={"Origin": "http://localhost:3000"})
        assert r.headers["access-control-allow-origin"] == "http://localhost:3000"


def test_no_cors_headers_when_no_origin_is_allowed(client):
    r = client.options("/api/chat", headers={"Origin": "https://tinh.example.gov.vn",
                                             "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in r.headers


@pytest.mark.unit
def test_token_pieces_join_back_exactly():
    from assistant.service import token_pieces
    text = "Theo khoản 1:\n1. Hợp tác xã  có tư cách pháp nhân. [1]\n"
    pieces = list(token_pieces(text))
    assert "".join(pieces) == text and len(pieces) > 3
