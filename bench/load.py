"""Load generator, run as its own process: N threads post bodies and time each answer.

Reads a JSON job on stdin: {"url", "headers", "bodies": [...], "concurrency", "expect"};
prints one JSON object: {"count", "ok", "errors", "seconds", "rps", "p50_ms", "p99_ms"}.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time

import httpx


def run(job: dict) -> dict:
    bodies, concurrency = job["bodies"], job["concurrency"]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    cursor = iter(range(len(bodies)))

    def worker() -> None:
        with httpx.Client(headers=job["headers"], timeout=30) as client:
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                started = time.perf_counter()
                response = client.post(job["url"], json=bodies[index])
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != job["expect"]:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    return {
        "count": len(bodies),
        "ok": len(bodies) - len(errors),
        "errors": errors[:5],
        "error_count": len(errors),
        "seconds": seconds,
        "rps": len(bodies) / seconds if seconds else 0.0,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
        "p99_ms": p99 * 1000,
    }


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin))))
