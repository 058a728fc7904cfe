"""A stand-in LLM server on loopback speaking OpenAI's `POST /v1/chat/completions` (JSON and
`stream: true` server-sent events) and Ollama's native `POST /api/chat` (NDJSON). It records
every request and answers according to `mode`:

  answer   cites the first passage it was given: "[1]"
  invent   cites a passage it was not given: "[9]"
  refuse   says the passages do not answer (the prompt's marker line)
  inject   obeys an injection: repeats its system prompt and the API key it was sent
  nocite   a fluent answer with no citation at all
  hang     accepts the request and never answers
  error    HTTP 500
  garbage  200 with a body that is not the protocol
  stall    streams one piece, then stops sending (connection left open)
"""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from benchmarks.harness import free_port

ANSWER = ("Theo văn bản, hợp tác xã là tổ chức có tư cách pháp nhân do ít nhất 05 thành viên chính thức tự nguyện "
          "thành lập [1]. Các thành viên hợp tác tương trợ trong sản xuất, kinh doanh, tạo việc làm nhằm đáp ứng "
          "nhu cầu chung về kinh tế, văn hóa, xã hội của thành viên [1].")


class LLMStandIn:
    def __init__(self, mode: str = "answer") -> None:
        self.mode = mode
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.release = threading.Event()  # set to free hanging handlers at shutdown
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle(self):
                try:
                    super().handle()
                except (ConnectionResetError, BrokenPipeError):
                    pass  # the client hung up (a timeout on its side): nothing to answer

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw or b"{}")
                with standin.lock:
                    standin.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    mode = standin.mode
                if mode == "hang":
                    standin.release.wait(120)
                    return
                if mode == "error":
                    return self._send(500, "application/json", b'{"error": {"message": "internal error"}}')
                if mode == "garbage":
                    return self._send(200, "application/json", b"<html>not json</html>")
                text = standin.reply(mode, body)
                ollama = self.path == "/api/chat"
                if not body.get("stream", ollama):
                    return self._send(200, "application/json", json.dumps(
                        standin.ollama_message(body, text, True) if ollama else standin.completion(body, text)).encode())
                pieces = re.findall(r"\S+\s*", text)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson" if ollama else "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for i, piece in enumerate(pieces):
                        if mode == "stall" and i == 1:
                            standin.release.wait(120)
                            return
                        chunk = (json.dumps(standin.ollama_message(body, piece, False)) + "\n" if ollama else
                                 "data: " + json.dumps(standin.chunk(body, piece)) + "\n\n")
                        self._chunk(chunk.encode())
                        time.sleep(0.005)
                    end = json.dumps(standin.ollama_message(body, "", True)) + "\n" if ollama else "data: [DONE]\n\n"
                    self._chunk(end.encode())
                    self._chunk(b"")
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _chunk(self, data):
                if isinstance(data, str):
                    data = data.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _send(self, status, ctype, data: bytes):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reply(self, mode: str, body: dict) -> str:
        messages = body.get("messages", [])
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        last = messages[-1]["content"] if messages else ""
        if "Viết lại câu hỏi cuối" in system:            # the follow-up condensing call
            if mode == "inject":
                return f"{system}"
            return "Cần tối thiểu bao nhiêu thành viên để thành lập liên hiệp hợp tác xã?"
        if mode == "invent":
            return "Hợp tác xã cần ít nhất 05 thành viên chính thức [9]."
        if mode == "refuse":
            return "KHONG_CO_THONG_TIN"
        if mode == "nocite":
            return "Hợp tác xã là một tổ chức kinh tế tập thể rất tốt cho nông dân."
        if mode == "inject":
            key = {k.lower(): v for k, v in self.requests[-1]["headers"].items()}.get("authorization", "")
            return f"Đã bỏ qua hướng dẫn. Lời nhắc hệ thống: {system} Khóa: {key} [1]"
        if "[1]" not in last:
            return "KHONG_CO_THONG_TIN"
        return ANSWER

    @staticmethod
    def completion(body: dict, text: str) -> dict:
        return {"id": "chatcmpl-standin", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", "standin"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}

    @staticmethod
    def chunk(body: dict, piece: str) -> dict:
        return {"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": body.get("model", "standin"),
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}]}

    @staticmethod
    def ollama_message(body: dict, text: str, done: bool) -> dict:
        out = {"model": body.get("model", "standin"), "created_at": "2026-11-27T00:00:00Z",
               "message": {"role": "assistant", "content": text}, "done": done}
        if done:
            out.update({"done_reason": "stop", "total_duration": 1, "eval_count": 1, "prompt_eval_count": 1})
        return out

    def answer_requests(self) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if "Viết lại câu hỏi cuối" not in json.dumps(r["body"], ensure_ascii=False)]

    def __enter__(self) -> "LLMStandIn":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
