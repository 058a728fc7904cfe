"""A stand-in for Zalo's OA API and OAuth server on loopback, speaking their wire format:
`POST /v3.0/oa/message/cs` (header `access_token`, JSON body, answers HTTP 200 with an `error`
code) and `POST /v4/oa/access_token` (header `secret_key`, form body, single-use refresh
tokens). It records what it receives."""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from benchmarks.harness import free_port


class ZaloStandIn:
    def __init__(self, app_id: str, app_secret: str, access_token: str, refresh_token: str) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.access_token, self.refresh_token = access_token, refresh_token
        self.expires_in = "90000"
        self.sent: list[dict] = []       # messages accepted for delivery
        self.requests: list[dict] = []   # every request: path, headers, body
        self.refreshes = 0
        self.lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with standin.lock:
                    standin.requests.append({"path": self.path, "headers": dict(self.headers), "body": raw})
                    if self.path == "/v3.0/oa/message/cs":
                        status, body = standin._message(self.headers, raw)
                    elif self.path == "/v4/oa/access_token":
                        status, body = standin._token(self.headers, raw)
                    else:
                        status, body = 404, {"error": 404, "message": "not found"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _message(self, headers, raw: bytes) -> tuple[int, dict]:
        if headers.get("access_token") != self.access_token:
            return 200, {"error": -216, "message": "Access token is invalid"}
        body = json.loads(raw)
        text = body["message"]["text"]
        if len(text) > 2000:
            return 200, {"error": -201, "message": "text is too long"}
        self.sent.append({"user_id": body["recipient"]["user_id"], "text": text, "at": time.time()})
        return 200, {"error": 0, "message": "Success", "data": {"message_id": uuid.uuid4().hex,
                                                                "user_id": body["recipient"]["user_id"]}}

    def _token(self, headers, raw: bytes) -> tuple[int, dict]:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if headers.get("secret_key") != self.app_secret:
            return 200, {"error": -14002, "error_name": "Invalid secret key"}
        if form.get("grant_type") != "refresh_token" or form.get("app_id") != self.app_id:
            return 200, {"error": -14003, "error_name": "Invalid parameter"}
        if form.get("refresh_token") != self.refresh_token:
            return 200, {"error": -14014, "error_name": "Invalid refresh token"}
        self.refreshes += 1
        self.access_token = f"access-{uuid.uuid4().hex}"
        self.refresh_token = f"refresh-{uuid.uuid4().hex}"  # the old one is spent
        return 200, {"access_token": self.access_token, "refresh_token": self.refresh_token,
                     "expires_in": self.expires_in}

    def expire_access_token(self) -> None:
        with self.lock:
            self.access_token = f"access-{uuid.uuid4().hex}"  # what the assistant holds is now invalid

    def messages_to(self, user_id: str) -> list[str]:
        with self.lock:
            return [m["text"] for m in self.sent if m["user_id"] == user_id]

    def wait_for(self, user_id: str, n: int = 1, timeout: float = 20.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.messages_to(user_id)
            if len(got) >= n:
                return got
            time.sleep(0.05)
        return self.messages_to(user_id)

    def __enter__(self) -> "ZaloStandIn":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
