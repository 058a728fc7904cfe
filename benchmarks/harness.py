"""The harness benchmarks and tests share, kept out of the runtime package: settings from a
script's --data-dir and --corpus-dir, an index that is up to date, a description of the machine
the figures came from, and the real app served by uvicorn on loopback in a daemon thread (for
tests and benchmarks that talk real HTTP to it in the same process). One place, so
benchmarks/*.py and the tests cannot drift apart."""
from __future__ import annotations

import os
import platform
import socket
import sys
import threading
import time
from pathlib import Path

from assistant.config import Settings, SettingsError, load_settings



def settings_from_args(data_dir: Path | None, corpus_dir: Path | None, default_corpus: Path | None = None,
                       **overrides) -> Settings | None:
    """Settings for a benchmark run, or None after printing the one-line reason."""
    if data_dir:
        overrides["data_dir"] = data_dir
    if corpus_dir:
        overrides["corpus_dir"] = corpus_dir
    elif default_corpus and "ASSISTANT_CORPUS_DIR" not in os.environ:
        overrides["corpus_dir"] = default_corpus
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def ensure_index(settings: Settings):
    """Build or refresh the index (reused when up to date); the report, or None if none exists."""
    from ingest.pipeline import run_ingest

    report = run_ingest(settings, progress=True)
    print(report.render(), flush=True)
    if not report.build_id:
        print("error: no index could be built", file=sys.stderr)
        return None
    return report


def machine() -> dict:
    info = {"cpu_count": os.cpu_count(), "platform": platform.platform(), "machine": platform.machine(),
            "python": platform.python_version()}
    try:
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            names = [line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")]
        if names:
            info["cpu_model"] = names[0]
    except OSError:
        pass
    return info


def describe(info: dict) -> str:
    return (f"{info.get('cpu_count')} CPUs ({info.get('cpu_model', info.get('machine'))}), {info['platform']}, "
            f"Python {info['python']}")



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThreadedServer:
    def __init__(self, app, start_timeout: float = 120) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.start_timeout = start_timeout

    def __enter__(self) -> "ThreadedServer":
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
