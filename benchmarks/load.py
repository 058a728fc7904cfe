"""Load test: N concurrent clients asking a mix of questions over real HTTP for a fixed time.

    python benchmarks/load.py                       # 16 clients, 60 s, 1-2 s reading time, in-process server
    python benchmarks/load.py --think 0             # no reading time: the saturation figure
    python benchmarks/load.py --url http://127.0.0.1:8000 --clients 16 --seconds 60

Prints throughput, p50/p95/p99 latency, errors, and the single-client p50 it is compared with
(target: zero errors, p95 within 5x the single-client p50). Bounded and loopback only: it
stops by itself. The in-process server gets its own settings with the per-address rate limit
lifted, because every simulated user here shares one address.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def questions() -> list[str]:
    out = []
    for name in ("dev", "extra", "oos"):
        out += [json.loads(line)["q"] for line in (ROOT / "tests" / "data" / f"questions.{name}.jsonl")
                .read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def single_client(url: str, qs: list[str], n: int = 40) -> list[float]:
    times = []
    with httpx.Client(base_url=url, timeout=60) as c:
        for q in qs[:n]:
            t = time.perf_counter()
            c.post("/api/chat", json={"message": q}).raise_for_status()
            times.append((time.perf_counter() - t) * 1000)
    return times


def run(url: str, qs: list[str], clients: int, seconds: float, think: tuple[float, float]) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def user(i: int) -> None:
        rnd = random.Random(i)
        with httpx.Client(base_url=url, timeout=60) as c:
            while time.monotonic() < stop_at:
                q = rnd.choice(qs)
                t = time.perf_counter()
                try:
                    r = c.post("/api/chat", json={"message": q, "session_id": f"load-{i}"})
                    ok = r.status_code == 200
                    kind = str(r.status_code)
                except httpx.HTTPError as exc:
                    ok, kind = False, type(exc).__name__
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    if ok:
                        latencies.append(ms)
                    else:
                        errors[kind] = errors.get(kind, 0) + 1
                if think[1] > 0:
                    time.sleep(rnd.uniform(*think))

    threads = [threading.Thread(target=user, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {"requests": len(latencies) + sum(errors.values()), "errors": errors, "seconds": round(elapsed, 1),
            "throughput_rps": round((len(latencies) + sum(errors.values())) / elapsed, 1),
            "p50_ms": round(pct(latencies, 50), 1), "p95_ms": round(pct(latencies, 95), 1),
            "p99_ms": round(pct(latencies, 99), 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="a running server (default: start one in-process on the index in --data-dir)")
    ap.add_argument("--data-dir", default=os.environ.get("ASSISTANT_DATA_DIR", str(ROOT / "data")))
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--think", type=float, nargs="+", default=[1.0, 2.0],
                    help="seconds a user reads before the next question: MIN MAX, or 0 for none")
    args = ap.parse_args()
    from benchmarks.harness import describe, machine, settings_from_args

    think = (0.0, 0.0) if args.think == [0] else (args.think[0], args.think[-1])
    qs = questions()

    server = None
    url = args.url
    if not url:
        from assistant.api.app import create_app
        from benchmarks.harness import ThreadedServer
        settings = settings_from_args(Path(args.data_dir), None, rate_limit_per_minute=100000, rate_limit_burst=100000)
        if settings is None:
            return 2
        server = ThreadedServer(create_app(settings)).__enter__()
        url = server.url
    try:
        httpx.post(url + "/api/chat", json={"message": "khởi động"}, timeout=120)  # warm up
        single = single_client(url, qs)
        cpu0 = time.process_time()
        result = run(url, qs, args.clients, args.seconds, think)
        cpu = time.process_time() - cpu0
    finally:
        if server:
            server.__exit__(None, None, None)
    single_p50 = statistics.median(single)
    print(f"## Load: {args.clients} clients x {args.seconds:g} s, reading time "
          f"{'none' if think[1] == 0 else f'{think[0]:g}-{think[1]:g} s'}, {len(qs)} questions in the mix\n")
    print("| figure | value |\n|---|---|")
    print(f"| requests | {result['requests']} |")
    print(f"| errors | {sum(result['errors'].values())} {result['errors'] or ''} |")
    print(f"| throughput | {result['throughput_rps']} req/s |")
    print(f"| latency p50 / p95 / p99 | {result['p50_ms']} / {result['p95_ms']} / {result['p99_ms']} ms |")
    print(f"| single-client p50 (40 sequential questions) | {single_p50:.1f} ms |")
    ratio = result["p95_ms"] / single_p50 if single_p50 else 0
    print(f"| p95 / single-client p50 | {ratio:.1f}x (target <= 5x) |")
    print(f"\nmachine: {describe(machine())}; "
          f"{'in-process server' if server else url}; this process used {cpu:.0f} CPU-s")
    return 0 if not result["errors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
