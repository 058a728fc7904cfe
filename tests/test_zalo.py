"""The Zalo OA channel over real HTTP on loopback: signed events from "Zalo" to our webhook,
replies from us to a stand-in of the OA API that records them."""
from __future__ import annotations

import json
import shutil
import threading
import time
import uuid

import httpx
import pytest

from assistant.channels.zalo import MAX_TEXT, RATE_LIMIT, plain_message, signature
from tests.conftest import LiveServer, make_settings
from tests.zalo_standin import ZaloStandIn

pytestmark = pytest.mark.integration

APP_ID, APP_SECRET, OA_SECRET = "3410987654321", "app-secret-xyz", "oa-secret-key-abc"


@pytest.fixture(scope="module")
def zalo(built_data_dir):
    shutil.rmtree(built_data_dir / "zalo", ignore_errors=True)
    with ZaloStandIn(APP_ID, APP_SECRET, "access-initial", "refresh-initial") as standin:
        yield standin


@pytest.fixture(scope="module")
def server(zalo, built_data_dir):
    from assistant.api.app import create_app
    from assistant.service import AssistantService
    settings = make_settings(built_data_dir, zalo_app_id=APP_ID, zalo_app_secret=APP_SECRET,
                             zalo_oa_secret_key=OA_SECRET, zalo_access_token="access-initial",
                             zalo_refresh_token="refresh-initial", zalo_api_base=zalo.url, zalo_oauth_base=zalo.url)
    with LiveServer(create_app(settings, AssistantService(settings))) as live:
        yield live


def zalo_settings(data_dir, standin: ZaloStandIn, **tokens):
    """The channel's settings against the stand-in, with the given token pair."""
    return make_settings(data_dir, zalo_app_id=APP_ID, zalo_app_secret=APP_SECRET, zalo_oa_secret_key=OA_SECRET,
                         zalo_api_base=standin.url, zalo_oauth_base=standin.url, **tokens)


def event(name: str, user: str, text: str | None = None, msg_id: str | None = None, age_s: float = 0) -> dict:
    body = {"app_id": APP_ID, "user_id_by_app": "by-app-" + user, "event_name": name,
            "sender": {"id": user}, "recipient": {"id": "oa-1"},
            "timestamp": str(int((time.time() - age_s) * 1000))}
    if name == "follow":
        body = {**body, "follower": {"id": user}, "source": "oa_profile"}
        del body["sender"]
    if text is not None or msg_id is not None:
        body["message"] = {"text": text, "msg_id": msg_id or uuid.uuid4().hex}
    if name == "user_send_image":
        body["message"] = {"msg_id": msg_id or uuid.uuid4().hex,
                           "attachments": [{"type": "image", "payload": {"url": "https://example.invalid/x.jpg"}}]}
    return body


def post(server, body: dict, mac: str | None = "sign", raw: bytes | None = None) -> httpx.Response:
    raw = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if mac == "sign":
        headers["X-ZEvent-Signature"] = "mac=" + signature(APP_ID, raw, body["timestamp"], OA_SECRET)
    elif mac is not None:
        headers["X-ZEvent-Signature"] = mac
    return httpx.post(server.url + "/zalo/webhook", content=raw, headers=headers, timeout=10)


def user() -> str:
    return str(uuid.uuid4().int)[:18]


def test_signed_text_is_acknowledged_at_once_and_answered_once_with_the_fact(server, zalo):
    u = user()
    t0 = time.monotonic()
    r = post(server, event("user_send_text", u, "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?"))
    acknowledged = time.monotonic() - t0
    assert r.status_code == 200 and acknowledged < 2.0, (r.text, acknowledged)
    replies = zalo.wait_for(u)
    assert len(replies) == 1
    text = replies[0]
    assert "05 thành viên" in text and len(text) <= MAX_TEXT
    assert "Nguồn:" in text and "Điều 4" in text          # short source lines
    assert "**" not in text and "<" not in text           # plain text, no markdown or markup
    time.sleep(0.5)
    assert len(zalo.messages_to(u)) == 1


def test_a_retried_event_is_never_answered_twice(server, zalo):
    u, msg_id = user(), uuid.uuid4().hex
    body = event("user_send_text", u, "Hợp tác xã là gì?", msg_id=msg_id)
    first, again = post(server, body), post(server, body)
    assert first.status_code == again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert len(zalo.wait_for(u)) == 1
    time.sleep(1.0)
    assert len(zalo.messages_to(u)) == 1


@pytest.mark.parametrize("mac", [None, "mac=" + "0" * 64, "sha256=abc"])
def test_a_forged_or_unsigned_event_is_refused_and_nothing_is_sent(server, zalo, mac):
    u = user()
    r = post(server, event("user_send_text", u, "Hợp tác xã là gì?"), mac=mac)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    time.sleep(0.5)
    assert zalo.messages_to(u) == []


def test_a_signature_over_other_bytes_is_refused(server, zalo):
    u = user()
    body = event("user_send_text", u, "Hợp tác xã là gì?")
    signed = json.dumps(body).encode()
    mac = "mac=" + signature(APP_ID, signed, body["timestamp"], OA_SECRET)
    tampered = signed.replace(b"?", b"!")  # same JSON meaning to a lax parser, other bytes
    r = post(server, body, mac=mac, raw=tampered)
    assert r.status_code == 401
    time.sleep(0.5)
    assert zalo.messages_to(u) == []


def test_an_event_older_than_five_minutes_is_refused(server, zalo):
    u = user()
    r = post(server, event("user_send_text", u, "Hợp tác xã là gì?", age_s=6 * 60))
    assert r.status_code == 401 and "5 minutes" in r.json()["detail"]
    time.sleep(0.5)
    assert zalo.messages_to(u) == []


def test_follow_gets_a_welcome_with_example_questions(server, zalo):
    u = user()
    assert post(server, event("follow", u)).status_code == 200
    welcome = zalo.wait_for(u)[0]
    assert "Xin chào" in welcome and "?" in welcome and "hợp tác xã" in welcome


def test_an_image_gets_a_polite_text_only_reply(server, zalo):
    u = user()
    assert post(server, event("user_send_image", u)).status_code == 200
    assert "bằng chữ" in zalo.wait_for(u)[0]


def test_other_events_are_acknowledged_and_ignored(server, zalo):
    u = user()
    assert post(server, event("user_seen_message", u)).status_code == 200
    time.sleep(0.5)
    assert zalo.messages_to(u) == []


def test_follow_ups_work_within_a_zalo_user(server, zalo):
    u = user()
    post(server, event("user_send_text", u, "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?"))
    zalo.wait_for(u, 1)
    post(server, event("user_send_text", u, "Còn liên hiệp hợp tác xã thì sao?"))
    second = zalo.wait_for(u, 2)[1]
    assert "03 hợp tác xã" in second
    other = user()  # another user's history does not leak in
    post(server, event("user_send_text", other, "Còn liên hiệp hợp tác xã thì sao?"))
    assert "được hiểu là" not in zalo.wait_for(other, 1)[0]


def test_an_expired_token_is_refreshed_once_and_the_reply_retried(server, zalo, built_data_dir):
    zalo.expire_access_token()
    before = zalo.refreshes
    old_refresh = zalo.refresh_token
    u = user()
    post(server, event("user_send_text", u, "Hợp tác xã là gì?"))
    assert len(zalo.wait_for(u)) == 1
    assert zalo.refreshes == before + 1
    token_calls = [r for r in zalo.requests if r["path"] == "/v4/oa/access_token"]
    last = token_calls[-1]
    assert last["headers"].get("secret_key") == APP_SECRET
    form = dict(pair.split("=", 1) for pair in last["body"].decode().split("&"))
    assert form == {"refresh_token": old_refresh, "app_id": APP_ID, "grant_type": "refresh_token"}
    stored = json.loads((built_data_dir / "zalo" / "tokens.json").read_text())
    assert stored["access_token"] == zalo.access_token and stored["refresh_token"] == zalo.refresh_token
    # the next message uses the new token at once: no second refresh
    u2 = user()
    post(server, event("user_send_text", u2, "Hợp tác xã là gì?"))
    assert len(zalo.wait_for(u2)) == 1 and zalo.refreshes == before + 1


def test_a_burst_is_answered_politely_not_dropped(server, zalo):
    u = user()
    for i in range(RATE_LIMIT + 3):
        assert post(server, event("user_send_text", u, f"Hợp tác xã là gì? ({i})")).status_code == 200
    replies = zalo.wait_for(u, RATE_LIMIT + 1, timeout=40)
    assert len(replies) == RATE_LIMIT + 1
    assert sum("quá nhanh" in r for r in replies) == 1


def test_the_webhook_is_404_when_zalo_is_not_configured(api):
    r = httpx.post(api.url + "/zalo/webhook", json={"event_name": "follow"}, timeout=10)
    assert r.status_code == 404


@pytest.mark.unit
def test_a_long_answer_fits_one_message_with_its_sources():
    answer = ("Theo khoản 1 Điều 5 Luật:\n" + "Câu rất dài về hợp tác xã. " * 200).strip()
    citations = [{"n": i, "label": f"khoản {i} Điều 5", "document": "Luật Hợp tác xã 2023"} for i in range(1, 5)]
    text = plain_message(answer, citations)
    assert len(text) <= MAX_TEXT
    assert text.endswith("[4] khoản 4 Điều 5 — Luật Hợp tác xã 2023")
    assert "…" in text


@pytest.mark.unit
def test_a_notice_survives_the_cut_and_no_word_is_cut():
    notice = "Lưu ý: Từ 01/7/2025 nhiệm vụ của cơ quan đăng ký kinh doanh cấp huyện do cấp xã thực hiện."
    answer = "Theo khoản 1 Điều 19 Nghị định:\n" + "từ ngữ " * 600 + "[1]\n" + notice
    text = plain_message(answer, [{"n": 1, "label": "khoản 1 Điều 19", "document": "Nghị định 92/2024/NĐ-CP"}],
                         notices=[{"n": 1, "text": notice}])
    assert len(text) <= MAX_TEXT and notice in text and "Nguồn:" in text
    body = text.split(" …", 1)[0]
    assert body.endswith("từ ngữ") or body.endswith("ngữ")  # cut at a space, never inside a word


def test_a_zalo_answer_carries_the_notice_of_a_change(server, zalo):
    u = user()
    post(server, event("user_send_text", u, "nop ho so dang ky thanh lap hop tac xa o dau"))
    text = zalo.wait_for(u)[0]
    assert len(text) <= MAX_TEXT and "Lưu ý:" in text and "cấp xã" in text


def test_a_long_answer_reaches_zalo_within_the_limit(server, zalo):
    u = user()
    post(server, event("user_send_text", u, "Hồ sơ đăng ký thành lập hợp tác xã gồm những giấy tờ gì?"))
    text = zalo.wait_for(u)[0]
    assert len(text) <= MAX_TEXT and "Nguồn:" in text


def test_an_event_dated_in_the_future_is_refused(server, zalo):
    u = user()
    r = post(server, event("user_send_text", u, "Hợp tác xã là gì?", age_s=-10 * 60))
    assert r.status_code == 401 and "future" in r.json()["detail"]


def test_one_users_messages_are_answered_in_order(server, zalo):
    """A question and its follow-up sent together: the follow-up must see the question."""
    import threading as _t
    u = user()
    first = event("user_send_text", u, "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?")
    second = event("user_send_text", u, "Còn liên hiệp hợp tác xã thì sao?")
    post(server, first)
    t = _t.Thread(target=post, args=(server, second))
    t.start()
    t.join()
    replies = zalo.wait_for(u, 2)
    assert "05 thành viên" in replies[0] and "03 hợp tác xã" in replies[1]


@pytest.mark.unit
def test_concurrent_expired_tokens_refresh_once_and_a_restart_keeps_the_new_pair(tmp_path):
    import threading as _t

    from assistant.channels.zalo import OAClient, TokenStore
    with ZaloStandIn(APP_ID, APP_SECRET, "a0", "r0") as standin:
        settings = zalo_settings(tmp_path, standin, zalo_access_token="a0", zalo_refresh_token="r0")
        with httpx.Client(timeout=10) as http:
            tokens = TokenStore(settings, http)
            client = OAClient(settings, http, tokens)
            standin.expire_access_token()
            results = []
            threads = [_t.Thread(target=lambda i=i: results.append(client.send_text(f"u{i}", "xin chào")))
                       for i in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert results == [True] * 6 and standin.refreshes == 1
            saved = json.loads((tmp_path / "zalo" / "tokens.json").read_text())
            assert saved["refresh_token"] == standin.refresh_token
            assert (tmp_path / "zalo" / "tokens.json").stat().st_mode & 0o077 == 0  # owner only
            restarted = TokenStore(settings, http)                     # a restart reads the stored pair
            assert restarted.current() == standin.access_token
            rotated = TokenStore(zalo_settings(tmp_path, standin, zalo_access_token="new-from-env",
                                               zalo_refresh_token="r-env"), http)
            assert rotated.current() == "new-from-env"                # new tokens in the environment win


@pytest.mark.unit
def test_refresh_ahead_of_expiry_and_with_only_a_refresh_token(tmp_path):
    from assistant.channels.zalo import REFRESH_AHEAD_S, TokenStore
    with ZaloStandIn(APP_ID, APP_SECRET, "a0", "r0") as standin:
        settings = zalo_settings(tmp_path, standin, zalo_refresh_token="r0")
        with httpx.Client(timeout=10) as http:
            tokens = TokenStore(settings, http)
            assert tokens.current() == standin.access_token and standin.refreshes == 1  # no access token yet
            standin.expires_in = str(REFRESH_AHEAD_S - 5)  # the next pair is about to expire
            tokens.refresh(tokens.current())
            assert standin.refreshes == 2
            assert tokens.current() == standin.access_token and standin.refreshes == 3  # refreshed ahead


@pytest.mark.unit
def test_a_failed_early_refresh_keeps_the_working_token(tmp_path):
    from assistant.channels.zalo import TokenPair, TokenStore
    with ZaloStandIn(APP_ID, APP_SECRET, "a0", "r0") as standin:
        settings = zalo_settings(tmp_path, standin, zalo_access_token="a0", zalo_refresh_token="wrong")
        with httpx.Client(timeout=10) as http:
            tokens = TokenStore(settings, http)
            tokens._pair = TokenPair("a0", "wrong", time.time() + 60)  # expires in a minute
            assert tokens.current() == "a0"


class _SlowService:
    """Answers after `gate` opens, recording the order of the questions it gets."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.gate = threading.Event()

    def chat(self, text: str, session_id: str | None = None):
        self.gate.wait(10)
        self.asked.append(text)
        return type("R", (), {"answer": "Trả lời.", "citations": [], "notices": []})()


class _Sent:
    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def send_text(self, user: str, text: str) -> bool:
        self.texts.append((user, text))
        return True


def _channel(tmp_path, monkeypatch, workers: int = 1, queued: int = 200):
    from assistant.channels import zalo as zalo_module
    monkeypatch.setattr(zalo_module, "WORKERS", workers)
    monkeypatch.setattr(zalo_module, "MAX_QUEUED", queued)
    settings = make_settings(tmp_path, zalo_app_id=APP_ID, zalo_app_secret=APP_SECRET, zalo_oa_secret_key=OA_SECRET,
                             zalo_access_token="a", zalo_refresh_token="r")
    service = _SlowService()
    channel = zalo_module.ZaloChannel(settings, service)
    channel.client = _Sent()
    return channel, service


def _text(user: str, text: str, n: int) -> dict:
    return {"event_name": "user_send_text", "sender": {"id": user}, "message": {"text": text, "msg_id": f"{user}-{n}"},
            "timestamp": str(n)}


def test_the_rate_limit_applies_before_the_queue(tmp_path, monkeypatch):
    channel, service = _channel(tmp_path, monkeypatch)
    try:
        for n in range(20):
            assert channel.accept(_text("burst", f"câu {n}", n))
        assert len(channel.queue) <= 7           # six answers and one note waiting, not twenty questions
        service.gate.set()
    finally:
        channel.close()
    assert service.asked == [f"câu {n}" for n in range(6)]
    from assistant.channels.zalo import SLOW_DOWN
    assert sum(1 for _, t in channel.client.texts if t == SLOW_DOWN) == 1


def test_a_full_queue_drops_with_a_logged_reason(tmp_path, monkeypatch, caplog):
    channel, service = _channel(tmp_path, monkeypatch, queued=3)
    try:
        with caplog.at_level("WARNING"):
            for n in range(5):
                channel.accept(_text(f"user{n}", "hỏi", n))
        assert "zalo queue full" in caplog.text
        service.gate.set()
    finally:
        channel.close()
    assert 3 <= len(service.asked) <= 4          # what the queue held, and the one a worker had taken


def test_one_users_burst_does_not_make_others_wait_behind_it(tmp_path, monkeypatch):
    channel, service = _channel(tmp_path, monkeypatch, workers=1)
    try:
        for n in range(5):
            channel.accept(_text("busy", f"busy {n}", n))
        channel.accept(_text("other", "other 0", 100))
        service.gate.set()
    finally:
        channel.close()
    assert [q for q in service.asked if q.startswith("busy")] == [f"busy {n}" for n in range(5)]   # in order
    assert service.asked.index("other 0") <= 2   # served in turn, not after the whole burst
    assert channel.queue._waiting == {} and len(channel.queue) == 0   # nothing left to prune


@pytest.mark.unit
def test_a_long_answer_is_cut_from_its_end_so_its_lead_and_sources_always_fit():
    lead = "3. Hội đồng quản trị họp định kỳ ít nhất 03 tháng một lần. [1]"
    answer = (lead + "\n\nTheo khoản 3 Điều 65 Luật:\n" + "Câu rất dài về hợp tác xã. " * 200).strip()
    citations = [{"n": 1, "label": "khoản 3 Điều 65", "document": "Luật Hợp tác xã 2023"}]
    text = plain_message(answer, citations)
    assert text.startswith(lead + "\n\nTheo khoản 3 Điều 65 Luật:") and len(text) <= MAX_TEXT
    assert text.count("03 tháng") == 1  # the lead once: the answer already opens with it
    assert "…" in text and text.endswith("[1] khoản 3 Điều 65 — Luật Hợp tác xã 2023")
