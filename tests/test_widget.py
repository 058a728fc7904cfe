"""The web widget in a real browser: Debian's Chromium driven by Playwright, against the real
app on loopback. Screenshots (desktop and phone) are saved under the test's temp dir."""
from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer, make_settings

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
ACCENT = "rgb(11, 92, 173)"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it with apt-get (Debian package 'chromium')")
        pytest.skip("Debian chromium not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


class HostSite:
    """Another web site on loopback that embeds the widget with one script tag. Reached as
    http://localhost:<port> it is an allowed origin; as http://127.0.0.1:<port> it is not.
    (A real server, not an intercepted URL: Chromium refuses pages outside the loopback
    address space access to it.)"""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from benchmarks.harness import free_port
        self.api = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host site</title>'
                        f'<link rel="icon" href="data:,"></head><body><h1>Host</h1>'
                        f'<script src="{site.api}/widget.js" data-api-base="{site.api}" data-title="Hỏi đáp HTX" '
                        f'data-lang="en" data-position="left" data-color="gold"></script></body></html>').encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.port = free_port()
        self.allowed = f"http://localhost:{self.port}"
        self.not_allowed = f"http://127.0.0.1:{self.port}"
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SlowRelay:
    """A hop between browser and API that passes everything through but delivers a server-sent
    event stream one event at a time, a little apart: the answer then arrives the way an LLM's
    does, and the test can watch the widget show it piece by piece (and stop it midway)."""

    def __init__(self, api_url: str, delay: float = 0.04) -> None:
        import http.client
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlsplit

        from benchmarks.harness import free_port
        target = urlsplit(api_url)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def relay(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) or None
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                self.send_response(resp.status)
                streaming = resp.getheader("Content-Type", "").startswith("text/event-stream")
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                        self.send_header(k, v)
                if not streaming:
                    data = resp.read()
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.end_headers()  # HTTP/1.0: the stream ends when the connection closes
                event = b""
                try:
                    for line in resp:
                        event += line
                        if line in (b"\n", b"\r\n"):
                            self.wfile.write(event)
                            self.wfile.flush()
                            event = b""
                            time.sleep(delay)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the browser stopped reading (the Stop button)

            do_GET = do_POST = relay

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def relay(web):
    hop = SlowRelay(web.url)
    yield hop
    hop.close()


@pytest.fixture(scope="module")
def host():
    site = HostSite()
    yield site
    site.close()


@pytest.fixture(scope="module")
def web(built_data_dir, host):
    from assistant.api.app import create_app
    from assistant.service import AssistantService
    settings = make_settings(built_data_dir, allowed_origins=host.allowed)
    service = AssistantService(settings)
    with LiveServer(create_app(settings, service)) as live:
        live.service = service
        host.api = live.url
        yield live


@pytest.fixture
def page(browser, web):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def shadow(page, selector: str):
    return page.locator(f"htx-chat >> {selector}")


def open_widget(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Mở trợ lý hỏi đáp").click()
    shadow(page, "textarea").wait_for()


def ask(page, text: str) -> None:
    box = page.get_by_label("Câu hỏi của bạn")
    box.fill(text)
    box.press("Enter")


def last_answer(page, timeout: float = 20000):
    page.wait_for_function(
        """() => { const r = document.querySelector('htx-chat').shadowRoot;
                   const bots = r.querySelectorAll('.msg.bot');
                   const b = bots[bots.length - 1];
                   return b && b.querySelector('.rate') && !r.querySelector('.stop:not([hidden])'); }""",
        timeout=timeout)
    return shadow(page, ".msg.bot").last


def test_a_question_streams_in_with_its_sources(page, web, relay, tmp_path):
    streamed = []
    page.on("request", lambda r: streamed.append(r.url) if r.url.endswith("/api/chat/stream") else None)
    open_widget(page, relay.url + "/")
    # record every state the answer text goes through while it streams
    page.evaluate("""() => {
        const log = document.querySelector('htx-chat').shadowRoot.querySelector('.log');
        window.__states = new Set();
        new MutationObserver(() => {
            const b = log.querySelectorAll('.msg.bot .text');
            if (b.length) window.__states.add(b[b.length - 1].textContent);
        }).observe(log, {subtree: true, childList: true, characterData: true});
    }""")
    ask(page, "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?")
    answer = last_answer(page)
    assert streamed, "the widget did not use POST /api/chat/stream"
    assert page.evaluate("() => window.__states.size") > 3  # text arrived in pieces, not at once
    assert "05 thành viên" in answer.locator(".text").inner_text()
    summary = answer.locator("summary").first
    assert summary.inner_text() == "[1] khoản 7 Điều 4 — Luật Hợp tác xã 2023 · hiệu lực từ 01/7/2024"
    quote = answer.locator("blockquote").first
    assert not quote.is_visible()
    summary.click()                                   # the source expands to the quoted passage
    assert quote.is_visible() and "ít nhất 05 thành viên chính thức" in quote.inner_text()
    link = answer.locator("details a").first
    href = link.get_attribute("href")
    assert href == f"{relay.url}/api/documents/luat-hop-tac-xa-2023#dieu-4-khoan-7"
    page.screenshot(path=str(tmp_path / "desktop.png"))
    print(f"desktop screenshot: {tmp_path / 'desktop.png'}")
    doc = page.context.new_page()                     # the link opens the document at that clause
    doc.goto(href)
    target = doc.locator(":target")
    assert "ít nhất 05 thành viên" in target.inner_text()
    assert doc.evaluate("() => location.hash") == "#dieu-4-khoan-7"
    assert page.errors == []


def test_a_change_to_what_is_quoted_is_shown_with_the_dates(page, web, tmp_path):
    open_widget(page, web.url + "/")
    footer = shadow(page, "p.notice")
    page.wait_for_function("""() => document.querySelector('htx-chat').shadowRoot
                                 .querySelector('p.notice').textContent.includes('29/11/2026')""")
    assert "Văn bản cập nhật đến 29/11/2026" in footer.inner_text()
    ask(page, "Nộp hồ sơ đăng ký thành lập hợp tác xã ở đâu?")
    answer = last_answer(page)
    changed = answer.locator(".changed").first
    assert changed.is_visible() and "cấp xã" in changed.inner_text()     # not folded away
    assert "Điều 35 Nghị định 125/2025/NĐ-CP" in changed.inner_text()
    summaries = [s.inner_text() for s in answer.locator("summary").all()]
    decree = [s for s in summaries if "Nghị định 92/2024/NĐ-CP" in s]
    assert decree and all("hiệu lực từ 18/7/2024" in s for s in decree)
    assert any("có thay đổi từ 01/7/2025" in s for s in decree)
    page.screenshot(path=str(tmp_path / "notice.png"))
    print(f"notice screenshot: {tmp_path / 'notice.png'}")
    assert page.errors == []


def test_feedback_is_recorded(page, web):
    open_widget(page, web.url + "/")
    ask(page, "Hợp tác xã là gì?")
    answer = last_answer(page)
    answer.get_by_role("button", name="Câu trả lời hữu ích").click()
    answer.get_by_text("Cảm ơn bạn đã góp ý.").wait_for()
    assert answer.get_by_role("button", name="Câu trả lời hữu ích").get_attribute("aria-pressed") == "true"
    rows = web.service.store.feedback(rating=1, limit=5)
    assert rows and rows[0]["question"] == "Hợp tác xã là gì?"


def test_suggestions_on_an_empty_chat_and_follow_ups_across_a_reload(page, web):
    open_widget(page, web.url + "/")
    assert shadow(page, ".suggest h3").first.inner_text() == "Người dân thường hỏi"
    assert shadow(page, ".suggest h3").nth(1).inner_text() == "Cán bộ thường hỏi"
    shadow(page, ".suggest button").first.click()        # "Cần bao nhiêu thành viên để thành lập hợp tác xã?"
    assert "05 thành viên" in last_answer(page).inner_text()
    page.reload()                                           # same tab: sessionStorage keeps the session
    page.get_by_role("button", name="Mở trợ lý hỏi đáp").click()
    assert shadow(page, ".msg.user").count() == 1          # the conversation is shown again
    ask(page, "Còn liên hiệp hợp tác xã thì sao?")
    follow_up = last_answer(page).inner_text()
    assert "03 hợp tác xã" in follow_up and "liên hiệp hợp tác xã" in follow_up


def test_enter_waits_for_the_input_method_and_escape_returns_focus(page, web):
    open_widget(page, web.url + "/")
    box = page.get_by_label("Câu hỏi của bạn")
    box.fill("Hợp tác xã là gì")
    # Telex/VNI: while a syllable is being composed, Enter belongs to the input method
    page.evaluate("""() => {
        const ta = document.querySelector('htx-chat').shadowRoot.querySelector('textarea');
        ta.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', isComposing: true, bubbles: true, cancelable: true}));
    }""")
    assert box.input_value() == "Hợp tác xã là gì" and shadow(page, ".msg.user").count() == 0
    box.press("Shift+Enter")
    assert shadow(page, ".msg.user").count() == 0
    box.press("Enter")
    assert shadow(page, ".msg.user").count() == 1
    last_answer(page)
    page.keyboard.press("Escape")
    assert shadow(page, ".panel").is_hidden()
    focused = page.evaluate("() => document.querySelector('htx-chat').shadowRoot.activeElement?.className")
    assert focused == "launcher"
    assert shadow(page, ".launcher").get_attribute("aria-expanded") == "false"


def test_accessible_structure_and_host_css_cannot_reach_inside(page, web):
    open_widget(page, web.url + "/")
    log = shadow(page, "[role=log]")
    assert log.get_attribute("aria-live") == "polite"
    for name in ("Gửi", "Đóng", "Cuộc trò chuyện mới"):
        assert page.get_by_role("button", name=name).count() == 1
    # the demo page styles every <button> red at 18px; the widget's stay as designed
    send = shadow(page, ".send")
    assert send.evaluate("b => getComputedStyle(b).backgroundColor") == ACCENT
    assert send.evaluate("b => getComputedStyle(b).color") == "rgb(255, 255, 255)"
    assert page.evaluate("() => getComputedStyle(document.querySelector('#open-assistant')).backgroundColor") \
        == "rgb(163, 22, 26)"


def test_text_from_the_conversation_is_never_markup(page, web):
    open_widget(page, web.url + "/")
    ask(page, "<img src=x onerror=\"window.__pwned=1\"> hợp tác xã là gì?")
    last_answer(page)
    root_imgs = page.evaluate("() => document.querySelector('htx-chat').shadowRoot.querySelectorAll('img').length")
    assert root_imgs == 0 and page.evaluate("() => window.__pwned") is None
    assert "<img src=x" in shadow(page, ".msg.user").last.inner_text()


def test_stop_button_aborts_an_answer_midway(page, relay):
    open_widget(page, relay.url + "/")
    ask(page, "Hồ sơ đăng ký thành lập hợp tác xã gồm những giấy tờ gì?")
    page.wait_for_function("""() => { const b = document.querySelector('htx-chat').shadowRoot
                                          .querySelectorAll('.msg.bot .text');
                                      return b.length && b[b.length - 1].textContent.length > 40; }""")
    page.get_by_role("button", name="Dừng").click()
    page.wait_for_function("() => document.querySelector('htx-chat').shadowRoot.querySelector('.stop').hidden")
    text = shadow(page, ".msg.bot .text").last.inner_text()
    whole = httpx.post(relay.url + "/api/chat", json={"message": "Hồ sơ đăng ký thành lập hợp tác xã gồm những giấy tờ gì?",
                                                      "session_id": None}).json()["answer"]
    shown = " ".join(text.removesuffix("(đã dừng)").split())
    assert text.endswith("(đã dừng)") and shown and " ".join(whole.split()).startswith(shown)  # its beginning
    assert len(text) < 600 < len(whole)                     # cut off, not the whole answer
    assert page.get_by_role("button", name="Gửi").is_visible()


def test_stop_button_aborts_an_answer_that_never_comes(page, web):
    page.route("**/api/chat/stream", lambda route: None)  # the request hangs
    open_widget(page, web.url + "/")
    ask(page, "Hợp tác xã là gì?")
    page.get_by_role("button", name="Dừng").click()
    page.wait_for_function("() => document.querySelector('htx-chat').shadowRoot.querySelector('.stop').hidden")
    assert "(đã dừng)" in shadow(page, ".msg.bot").last.inner_text()


def test_falls_back_to_plain_chat_when_streaming_fails(page, web):
    plain = []
    page.route("**/api/chat/stream", lambda route: route.fulfill(status=502, body="bad gateway"))
    page.on("request", lambda r: plain.append(r.url) if r.url.endswith("/api/chat") else None)
    open_widget(page, web.url + "/")
    ask(page, "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?")
    answer = last_answer(page)
    assert plain and "05 thành viên" in answer.inner_text()
    assert answer.locator("summary").count() >= 1


def test_phone_layout_is_full_screen(browser, web, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    try:
        open_widget(page, web.url + "/")
        ask(page, "Hồ sơ đăng ký thành lập hợp tác xã gồm những giấy tờ gì?")
        last_answer(page)
        box = shadow(page, ".panel").bounding_box()
        assert box == {"x": 0, "y": 0, "width": 390, "height": 844}
        assert shadow(page, ".launcher").is_hidden()      # the panel covers the page; close is in its header
        # the answer is longer than the screen: it is shown from its first line, not scrolled to its end
        answer, log = shadow(page, ".msg.bot").last.bounding_box(), shadow(page, ".log").bounding_box()
        assert answer["height"] > log["height"]
        assert log["y"] <= answer["y"] <= log["y"] + 40
        # a long quoted passage folds to a few lines, and opens whole with "Xem đầy đủ"
        fold = shadow(page, ".msg.bot .fold").first
        folded = fold.evaluate("e => [e.clientHeight, e.scrollHeight]")
        assert folded[0] < folded[1] and folded[0] < 200
        page.screenshot(path=str(tmp_path / "phone-folded.png"))
        more = shadow(page, ".msg.bot .unfold").first
        assert more.inner_text() == "Xem đầy đủ" and more.get_attribute("aria-expanded") == "false"
        more.click()
        assert fold.evaluate("e => e.clientHeight >= e.scrollHeight") and more.is_hidden()
        page.screenshot(path=str(tmp_path / "phone.png"))
        print(f"phone screenshot: {tmp_path / 'phone.png'}")
        page.get_by_role("button", name="Đóng").click()
        assert shadow(page, ".launcher").is_visible()
    finally:
        context.close()


def test_embedding_from_an_allowed_origin_with_data_attributes(page, web, host):
    page.goto(f"{host.allowed}/")
    launcher = shadow(page, ".launcher")
    assert launcher.inner_text() == "Hỏi đáp HTX"
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(255, 215, 0)"  # "gold"
    assert launcher.evaluate("b => getComputedStyle(b).color") == "rgb(17, 17, 17)"  # dark text on yellow
    assert launcher.bounding_box()["x"] < 100                                        # data-position=left
    page.get_by_role("button", name="Open the assistant").click()
    assert shadow(page, ".suggest h3").first.inner_text() == "Citizens often ask"
    box = page.get_by_label("Your question")
    box.fill("Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?")
    box.press("Enter")
    assert "05 thành viên" in last_answer(page).inner_text()  # cross-origin, through CORS
    page.evaluate("() => HTXChat.close()")
    assert shadow(page, ".panel").is_hidden()
    page.evaluate("() => HTXChat.open()")
    assert shadow(page, ".panel").is_visible()


def test_an_origin_not_allowed_cannot_use_the_api(page, web, host):
    page.goto(f"{host.not_allowed}/")
    page.get_by_role("button", name="Open the assistant").click()
    box = page.get_by_label("Your question")
    box.fill("Hợp tác xã là gì?")
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('htx-chat').shadowRoot.querySelector('.error')")
    assert "Could not reach the server" in shadow(page, ".error").inner_text()


def test_full_page_chat_in_english(page, web):
    page.goto(web.url + "/chat?lang=en")
    assert shadow(page, ".panel").is_visible() and shadow(page, ".launcher").count() == 0
    assert shadow(page, "h2").inner_text() == "Collective economy Q&A"
    box = page.get_by_label("Your question")
    box.fill("Hợp tác xã là gì?")
    box.press("Enter")
    assert last_answer(page).locator("summary").count() >= 1


def test_full_page_chat_keeps_the_input_on_screen_as_the_conversation_grows(browser, web):
    context = browser.new_context(viewport={"width": 800, "height": 600})
    page = context.new_page()
    try:
        page.goto(web.url + "/chat")
        for q in ("Hồ sơ đăng ký thành lập hợp tác xã gồm những giấy tờ gì?", "Hợp tác xã là gì?",
                  "Cần tối thiểu bao nhiêu thành viên để thành lập hợp tác xã?"):
            ask(page, q)
            last_answer(page)
        box = page.get_by_label("Câu hỏi của bạn").bounding_box()
        assert box["y"] + box["height"] <= 600                  # still in view
        assert page.evaluate("() => document.scrollingElement.scrollHeight") <= 600  # the page does not grow
        log = shadow(page, ".log")
        assert log.evaluate("l => l.scrollHeight > l.clientHeight")  # the log scrolls instead
    finally:
        context.close()


def test_a_new_conversation_during_an_answer_stays_empty_after_reload(page, relay):
    open_widget(page, relay.url + "/")
    ask(page, "Hồ sơ đăng ký thành lập hợp tác xã gồm những giấy tờ gì?")
    page.get_by_role("button", name="Dừng").wait_for()
    page.get_by_role("button", name="Cuộc trò chuyện mới").click()
    page.wait_for_function("() => document.querySelector('htx-chat').shadowRoot.querySelector('.stop').hidden")
    assert shadow(page, ".msg").count() == 0 and shadow(page, ".suggest").count() == 1
    page.reload()
    page.get_by_role("button", name="Mở trợ lý hỏi đáp").click()
    assert shadow(page, ".msg").count() == 0


def test_related_provisions_are_listed_as_links(page, web):
    question = "Hợp tác xã phải gửi báo cáo tài chính trong thời hạn bao lâu?"
    expected = httpx.post(web.url + "/api/chat", json={"message": question, "session_id": None}).json()["related"]
    assert expected and any(r["short_title"] != r["title"] for r in expected)  # a long title is shown cut
    open_widget(page, web.url + "/")
    ask(page, question)
    answer = last_answer(page)
    box = answer.locator(".related-list")
    assert box.locator("h3").inner_text() == "Xem thêm"
    links = box.locator("a")
    assert links.count() == len(expected)
    for i, r in enumerate(expected):
        assert links.nth(i).inner_text() == f"{r['short_title']} — {r['document']}"  # the whole title on hover
        assert links.nth(i).get_attribute("title") == r["title"]
        assert links.nth(i).get_attribute("href") == f"{web.url}/api/documents/{r['doc_id']}#{r['anchor']}"
    page.reload()                                     # kept with the conversation across a reload
    page.get_by_role("button", name="Mở trợ lý hỏi đáp").click()
    assert shadow(page, ".msg.bot").last.locator(".related-list a").count() == len(expected)
    assert page.errors == []


def test_targets_page_groups_by_year_sorts_and_links(page, web, tmp_path):
    page.goto(web.url + "/targets")
    assert page.locator("h2").all_inner_texts() == ["Đến năm 2030", "Đến năm 2045"]
    table = page.locator("table").first
    assert table.locator("tbody tr").count() == 7 and page.locator("table").nth(1).locator("tbody tr").count() == 4
    amounts = lambda: table.locator("tbody td:nth-child(2)").all_inner_texts()  # noqa: E731
    assert amounts()[0] == "khoảng 540 hợp tác xã"                  # the document's order first
    table.get_by_role("button", name="Mức").click()                 # by value, as numbers, not as text
    assert amounts()[:2] == ["05 liên hiệp hợp tác xã", "khoảng 10%"] and amounts()[-1] == "136.000 thành viên"
    table.get_by_role("button", name="Mức").click()
    assert amounts()[0] == "136.000 thành viên"
    link = table.locator("tbody a").first
    assert link.get_attribute("href") == "/api/documents/chuong-trinh-hanh-dong-nq20-tinh-uy#muc-II-2-den-nam-2030"
    assert page.get_by_role("link", name="Tải về CSV").get_attribute("href") == "/api/targets.csv"
    page.screenshot(path=str(tmp_path / "targets.png"), full_page=True)
    print(f"targets screenshot: {tmp_path / 'targets.png'}")
    link.click()
    page.wait_for_url("**#muc-II-2-den-nam-2030")
    assert page.locator(":target").inner_text() == "Đến năm 2030"   # the heading its bullets hang from
    assert page.errors == []


def test_the_lead_of_a_long_answer_is_on_screen_when_it_arrives(browser, web, tmp_path):
    question = "Hồ sơ đăng ký thành lập hợp tác xã gồm những giấy tờ gì?"
    body = httpx.post(web.url + "/api/chat", json={"message": question, "session_id": None}).json()
    lead = body["lead"]
    assert lead and body["answer"].startswith(lead + "\n\n")   # a long first quote: the answer opens with it
    first_quote = body["answer"][len(lead):].strip().split("\n\n")[0]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    try:
        open_widget(page, web.url + "/")
        ask(page, question)
        answer = last_answer(page)
        shown = answer.locator(".lead")
        assert shown.inner_text() == lead and shown.evaluate("e => getComputedStyle(e).fontWeight") == "600"
        # the whole lead is inside the visible part of the conversation, no scrolling needed
        box, log = shown.bounding_box(), shadow(page, ".log").bounding_box()
        assert log["y"] <= box["y"] and box["y"] + box["height"] <= log["y"] + log["height"], (box, log)
        # the lead answers: the long first quote under it folds like the others
        assert answer.locator(".fold").first.inner_text().split() == first_quote.split()
        page.screenshot(path=str(tmp_path / "phone-lead.png"))
        page.reload()                                 # kept with the conversation across a reload
        page.get_by_role("button", name="Mở trợ lý hỏi đáp").click()
        assert shadow(page, ".msg.bot").last.locator(".lead").inner_text() == lead
        assert page.errors == []
    finally:
        context.close()


def test_a_lead_that_is_the_first_quoted_line_is_not_shown_twice(page, web):
    question = "Hội đồng quản trị hợp tác xã họp định kỳ ít nhất bao lâu một lần?"
    body = httpx.post(web.url + "/api/chat", json={"message": question, "session_id": None}).json()
    assert body["lead"] == body["answer"].split("\n")[1]   # a short first quote: the lead is its line
    open_widget(page, web.url + "/")
    ask(page, question)
    answer = last_answer(page)
    assert answer.locator(".lead").count() == 0 and body["lead"] in answer.inner_text()
    assert page.errors == []
