"""The Zalo Official Account channel: verify an event, acknowledge it, answer it once.

The webhook answers 200 at once; the work happens on a small worker pool. Zalo retries an
event it thinks was lost, so a message id is answered at most once (remembered in SQLite, so
a restart does not answer twice either). Replies go through the OA API's customer-service
message endpoint as one plain-text message of at most 2,000 characters.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import sqlite3
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from assistant.config import Settings

log = logging.getLogger(__name__)

MAX_TEXT = 2000              # Zalo's limit for one text message
MAX_EVENT_AGE_S = 5 * 60     # older events are refused (a replay, not a retry) ...
MAX_CLOCK_SKEW_S = 60        # ... and so are events dated further ahead than clocks drift
RATE_LIMIT = 6               # questions per user ...
RATE_WINDOW_S = 60.0         # ... per this many seconds; beyond that, one polite note per window
REFRESH_AHEAD_S = 10 * 60    # refresh the access token this long before it expires
TOKEN_EXPIRED = -216         # the OA API's "access token is invalid or expired"
WORKERS = 2
MAX_QUEUED = 200             # events waiting for a worker; beyond, dropped with a logged reason
SLOWED = "_rate_limited"     # our own event: tell the user once per window that they ask too fast
MEDIA_EVENTS = {"user_send_image", "user_send_sticker", "user_send_file", "user_send_audio", "user_send_gif",
                "user_send_video", "user_send_location", "user_send_link", "user_send_business_card"}

WELCOME = ("Xin chào! Tôi là trợ lý hỏi đáp về hợp tác xã và kinh tế tập thể. Tôi trả lời từ Luật Hợp tác xã "
           "2023, Nghị định 92/2024/NĐ-CP và Chương trình hành động thực hiện Nghị quyết 20-NQ/TW, kèm điều "
           "khoản trích dẫn.\n\nBạn có thể hỏi, ví dụ:\n- Cần bao nhiêu thành viên để thành lập hợp tác xã?\n"
           "- Hồ sơ đăng ký hợp tác xã gồm những gì?\n- Cơ quan nào cấp giấy chứng nhận đăng ký hợp tác xã?")
TEXT_ONLY = ("Xin lỗi, trợ lý chỉ đọc được câu hỏi bằng chữ. Bạn vui lòng gõ câu hỏi, ví dụ: "
             "\"Thành lập hợp tác xã cần những giấy tờ gì?\"")
SLOW_DOWN = ("Bạn gửi nhiều câu hỏi quá nhanh nên trợ lý chưa trả lời các câu vừa gửi. Bạn vui lòng đợi "
             "khoảng một phút rồi gửi lại từng câu nhé.")
TROUBLE = "Xin lỗi, trợ lý đang gặp sự cố nên chưa trả lời được. Bạn vui lòng hỏi lại sau ít phút."


class Rejected(Exception):
    """The event is not from Zalo (or not any more): refuse it, send nothing."""


def signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """Zalo's mac: plain SHA-256 (not HMAC) of app_id + raw body + timestamp + OA secret key."""
    return hashlib.sha256(app_id.encode() + raw_body + timestamp.encode() + oa_secret_key.encode()).hexdigest()


def verify(settings: Settings, raw_body: bytes, header: str | None, now: float | None = None) -> dict:
    """The event, if the signature over the exact bytes received is right and it is recent."""
    if not header or not header.startswith("mac="):
        raise Rejected("missing X-ZEvent-Signature")
    try:
        event = json.loads(raw_body)
        timestamp = str(event["timestamp"])
    except (ValueError, KeyError, TypeError):
        raise Rejected("the body is not a Zalo event") from None
    expected = signature(settings.zalo_app_id or "", raw_body, timestamp, settings.zalo_oa_secret_key or "")
    if not hmac.compare_digest(header[4:].strip().lower().encode(), expected.encode()):
        raise Rejected("bad signature")
    try:
        age = (time.time() if now is None else now) - int(timestamp) / 1000
    except ValueError:
        raise Rejected("bad timestamp") from None
    if age > MAX_EVENT_AGE_S:
        raise Rejected("event older than 5 minutes")
    if age < -MAX_CLOCK_SKEW_S:
        raise Rejected("event dated in the future")
    return event


def plain_message(answer: str, citations: list[dict], limit: int = MAX_TEXT, notices: list[dict] | None = None) -> str:
    """One plain-text message: the answer (which opens with its lead, the answer in a few lines,
    when its first quote does not show it at once), then one short line per source, within the
    limit. A long answer is cut at a line or sentence end (never inside a word) and says so, from
    its end: its opening lines and the sources always fit, and so does every notice of a change to
    what is quoted ("Lưu ý: …")."""
    sources = [f"[{c['n']}] {c['label']} — {c['document']}" for c in citations]
    tail = ("\n\nNguồn:\n" + "\n".join(sources)) if sources else ""
    if len(tail) > limit // 2:
        tail = tail[: limit // 2].rsplit("\n", 1)[0]
    body = answer.strip()
    kept = [line for line in body.split("\n") if line.startswith("Lưu ý:")] if notices else []
    room = limit - len(tail)
    if len(body) > room:
        # the notices the cut would lose go right after what remains
        lost = "\n".join(kept)
        room -= len(lost) + 2 if lost else 0
        cut = body[: max(0, room - 2)]
        for sep in ("\n", ". ", "; ", " "):
            at = cut.rfind(sep)
            if at > room // 2 or sep == " " and at > 0:
                cut = cut[: at + (1 if sep not in ("\n", " ") else 0)]
                break
        body = cut.rstrip() + " …"
        missing = [line for line in kept if line not in body]
        if missing:
            body += "\n\n" + "\n".join(missing)
    return body + tail


class SeenEvents:
    """Message ids already taken on, in SQLite under the data dir."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS zalo_seen (key TEXT PRIMARY KEY, at REAL)")
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        with self._lock:
            cur = self._db.execute("INSERT OR IGNORE INTO zalo_seen (key, at) VALUES (?, ?)", (key, time.time()))
            if cur.rowcount and int(time.time()) % 97 == 0:  # now and then, forget week-old ids
                self._db.execute("DELETE FROM zalo_seen WHERE at < ?", (time.time() - 7 * 86400,))
            return cur.rowcount == 1

    def close(self) -> None:
        with self._lock:
            self._db.close()


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str | None
    expires_at: float | None = None   # epoch seconds; None when unknown (tokens from the environment)


class TokenStore:
    """The OA access/refresh token pair. A refresh token works once, so a refreshed pair is
    written in one atomic replace and refreshes are serialised: two threads that both see -216
    refresh once between them."""

    def __init__(self, settings: Settings, http: httpx.Client) -> None:
        self.settings, self.http = settings, http
        self.path = settings.state_root / "zalo" / "tokens.json"
        self._lock = threading.Lock()
        self._pair = self._load()

    def _seed(self) -> str:
        """Which environment tokens the stored pair grew from: new ones there mean the operator
        rotated them, and they win over the stored pair."""
        raw = f"{self.settings.zalo_access_token}|{self.settings.zalo_refresh_token}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def _load(self) -> TokenPair:
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
            if stored.get("seed") == self._seed() and stored.get("access_token"):
                return TokenPair(stored["access_token"], stored.get("refresh_token"), stored.get("expires_at"))
        except (OSError, ValueError):
            pass
        return TokenPair(self.settings.zalo_access_token or "", self.settings.zalo_refresh_token)

    def _save(self, pair: TokenPair) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".tmp-{os.getpid()}-{threading.get_ident()}")
        data = {"access_token": pair.access_token, "refresh_token": pair.refresh_token,
                "expires_at": pair.expires_at, "seed": self._seed(), "saved_at": time.time()}
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # secrets: owner only
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a power cut
        finally:
            os.close(dir_fd)

    def current(self) -> str:
        """The access token to use now, refreshed first when there is none yet or it is about
        to expire. A failed early refresh keeps the token that still works."""
        pair = self._pair
        if not pair.access_token:
            return self.refresh(pair.access_token)
        if pair.expires_at and time.time() > pair.expires_at - REFRESH_AHEAD_S and pair.refresh_token:
            try:
                return self.refresh(pair.access_token)
            except RuntimeError as exc:
                if time.time() < pair.expires_at:
                    log.warning("early token refresh failed, using the current token: %s", exc)
                    return pair.access_token
                raise
        return pair.access_token

    def refresh(self, stale: str) -> str:
        """A fresh access token. `stale` is the token that failed: if another thread has
        already replaced it, that newer token is returned without spending the refresh token."""
        with self._lock:
            if self._pair.access_token != stale and self._pair.access_token:
                return self._pair.access_token
            if not self._pair.refresh_token:
                raise RuntimeError("Zalo access token expired and no ZALO_REFRESH_TOKEN is set")
            r = self.http.post(f"{self.settings.zalo_oauth_base}/v4/oa/access_token",
                               headers={"secret_key": self.settings.zalo_app_secret or ""},
                               data={"refresh_token": self._pair.refresh_token, "app_id": self.settings.zalo_app_id,
                                     "grant_type": "refresh_token"})
            try:
                body = r.json()
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
            if r.status_code != 200 or not body.get("access_token") or not body.get("refresh_token"):
                raise RuntimeError(f"Zalo token refresh failed: HTTP {r.status_code} "
                                   f"error {body.get('error')} {body.get('error_name') or ''}".strip())
            try:
                lifetime = float(body.get("expires_in") or 0)  # seconds, sent as a string
            except (TypeError, ValueError):
                lifetime = 0.0
            expires_at = time.time() + lifetime if lifetime > 0 else None
            pair = TokenPair(body["access_token"], body["refresh_token"], expires_at)
            self._pair = pair  # the old refresh token is spent: the new pair is the only one that works
            try:
                self._save(pair)
            except OSError as exc:
                log.error("zalo tokens refreshed but NOT saved to %s (%s): a restart will need new tokens "
                          "in ZALO_ACCESS_TOKEN/ZALO_REFRESH_TOKEN", self.path, exc)
            log.info("zalo access token refreshed")
            return pair.access_token


class OAClient:
    def __init__(self, settings: Settings, http: httpx.Client, tokens: TokenStore) -> None:
        self.settings, self.http, self.tokens = settings, http, tokens

    def _post(self, token: str, user_id: str, text: str) -> dict:
        r = self.http.post(f"{self.settings.zalo_api_base}/v3.0/oa/message/cs", headers={"access_token": token},
                           json={"recipient": {"user_id": user_id}, "message": {"text": text}})
        try:
            body = r.json()
        except ValueError:
            body = {}
        return {"status": r.status_code, **(body if isinstance(body, dict) else {})}

    def send_text(self, user_id: str, text: str) -> bool:
        """Sent when HTTP 200 and error 0. An expired token is refreshed once and the message
        retried once."""
        token = self.tokens.current()
        result = self._post(token, user_id, text)
        if result.get("error") == TOKEN_EXPIRED:
            token = self.tokens.refresh(token)
            result = self._post(token, user_id, text)
        ok = result.get("status") == 200 and result.get("error") == 0
        if not ok:
            log.warning("zalo send failed: HTTP %s error %s %s", result.get("status"), result.get("error"),
                        result.get("message", ""))
        return ok


class RateLimiter:
    """Sliding window per user. `allow` says whether to answer; `should_warn` whether this is the
    first refused message of the window (one polite note, not one per message)."""

    def __init__(self, limit: int = RATE_LIMIT, window: float = RATE_WINDOW_S) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque] = {}
        self._warned: dict[str, float] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> tuple[bool, bool]:
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(self._hits) > 10000:  # forget idle users
                for k in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                    self._hits.pop(k, None)
                    self._warned.pop(k, None)
                hits = self._hits.setdefault(key, hits)
            if len(hits) < self.limit:
                hits.append(now)
                return True, False
            warn = self._warned.get(key, -1e18) <= now - self.window
            if warn:
                self._warned[key] = now
            return False, warn


class FairQueue:
    """Events waiting for a worker: each user's in the order they came (a follow-up after the
    question it follows), users served in turn (one user's burst cannot hold every worker while
    others wait), at most `limit` waiting in all. A user is handed to one worker at a time and
    forgotten once nothing of theirs is waiting or being answered, so there is nothing to prune."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._waiting: dict[str, deque] = {}  # users with events waiting or being answered
        self._ready: deque[str] = deque()     # users with events waiting and no worker on them
        self._size = 0
        self._lock = threading.Lock()

    def put(self, user: str, event: dict) -> bool:
        with self._lock:
            if self._size >= self.limit:
                return False
            if user not in self._waiting:
                self._waiting[user] = deque()
                self._ready.append(user)
            self._waiting[user].append(event)  # a user being answered is put back in line by done()
            self._size += 1
            return True

    def take(self) -> tuple[str, dict] | None:
        with self._lock:
            if not self._ready:
                return None
            user = self._ready.popleft()
            self._size -= 1
            return user, self._waiting[user].popleft()

    def done(self, user: str) -> None:
        with self._lock:
            if self._waiting.get(user):
                self._ready.append(user)  # more from this user: behind the others now
            else:
                self._waiting.pop(user, None)

    def __len__(self) -> int:
        return self._size


class ZaloChannel:
    def __init__(self, settings: Settings, service) -> None:
        self.settings, self.service = settings, service
        self.http = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0))
        self.tokens = TokenStore(settings, self.http)
        self.client = OAClient(settings, self.http, self.tokens)
        self.seen = SeenEvents(settings.state_root / "zalo" / "events.sqlite")
        self.limits = RateLimiter()
        self.queue = FairQueue(MAX_QUEUED)
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="zalo")
        self.closed = False

    def accept(self, event: dict) -> bool:
        """Take a verified event: True if it is new and queued, False if it was seen before."""
        if self.closed:
            raise RuntimeError("the Zalo channel is shutting down")
        key = self._key(event)
        if not self.seen.first_time(key):
            log.info("zalo event %s already handled", key)
            return False
        user = (event.get("sender") or event.get("follower") or {}).get("id", "")
        if event.get("event_name") == "user_send_text":
            # the per-user limit before the queue: a burst takes a place per answer it will get
            allowed, warn = self.limits.allow(user)
            if not allowed:
                if not warn:
                    log.info("zalo message from %s over the rate limit: not answered", user[:8])
                    return True
                event = {"event_name": SLOWED, "sender": {"id": user}}
        if not self.queue.put(user, event):
            log.warning("zalo queue full (%d waiting): dropped %s from %s", MAX_QUEUED, event.get("event_name"), user[:8])
            return True
        self.pool.submit(self._work)
        return True

    def _work(self) -> None:
        """Answer waiting events until none is ready (one user at a time per worker)."""
        while (taken := self.queue.take()) is not None:
            user, event = taken
            try:
                self._handle_safely(event)
            finally:
                self.queue.done(user)

    @staticmethod
    def _key(event: dict) -> str:
        message = event.get("message") or {}
        if message.get("msg_id"):
            return f"msg:{message['msg_id']}"
        sender = (event.get("sender") or event.get("follower") or {}).get("id", "")
        return f"{event.get('event_name')}:{sender}:{event.get('timestamp')}"

    def _handle_safely(self, event: dict) -> None:
        try:
            self.handle(event)
        except Exception:  # noqa: BLE001 - a worker must survive any one event
            log.exception("zalo event %s failed", event.get("event_name"))

    def handle(self, event: dict) -> None:
        name = event.get("event_name", "")
        if name == "follow":
            user = (event.get("follower") or event.get("sender") or {}).get("id")
            if user:
                self.client.send_text(user, WELCOME)
            return
        user = (event.get("sender") or {}).get("id")
        if not user:
            return
        if name == SLOWED:
            self.client.send_text(user, SLOW_DOWN)
        elif name in MEDIA_EVENTS:
            self.client.send_text(user, TEXT_ONLY)
        elif name == "user_send_text":
            self._answer(user, ((event.get("message") or {}).get("text") or "").strip())
        # other events (oa_send_*, user_seen_message, …) need no reply

    def _answer(self, user: str, text: str) -> None:
        if not text:
            self.client.send_text(user, TEXT_ONLY)
            return
        try:
            result = self.service.chat(text[:1000], session_id=self.session_id(user))
        except Exception:  # noqa: BLE001 - the user is told, the operator finds it in the log
            log.exception("zalo answer failed")
            self.client.send_text(user, TROUBLE)
            return
        self.client.send_text(user, plain_message(result.answer, result.citations, notices=result.notices))

    def session_id(self, user: str) -> str:
        """The user's conversation session, keyed so that nobody can guess it from the Zalo id
        and read or steer this user's conversation through the web API."""
        mac = hmac.new((self.settings.zalo_oa_secret_key or "").encode(), user.encode(), hashlib.sha256)
        return "zalo-" + mac.hexdigest()[:40]

    def close(self) -> None:
        self.closed = True
        self.pool.shutdown(wait=True, cancel_futures=False)
        self.http.close()
        self.seen.close()
