"""What bench/run and its scenarios share: servers on loopback, wrk runs, and the setup that
issues codes through the admin API and opens orders through the Terminal API."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from bench import procs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = ROOT / ".venv"

CASH_LISTING = "60代100元票券抢购"
ORDER = {
    "table": "B1",
    "guests": 2,
    "lines": [
        {"item_code": "SOUP01", "name": "凉瓜黄豆汤底", "quantity": 1, "unit_price_fen": 19900}
    ],
    "service_fee_fen": 0,
}
THREADS, CONNECTIONS = 2, 16
UVICORN_OPTS = ["--log-level", "warning", "--no-access-log"]
SCAN_BUDGET_MS = 100  # issue #6: the cashier page's scan box must answer within this


class BenchError(Exception):
    pass


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports: each socket stays bound until all are chosen (the kernel
    may hand a just-closed port out again)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def wait_up(proc: subprocess.Popen, url: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{url} exited with {proc.returncode}; see {log}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"{url} did not answer within {seconds:.0f} s; see {log}")


@contextlib.contextmanager
def servers(
    specs: list[tuple[str, list[str], str | None, Path | None]], env: dict, work: Path
) -> Iterator[list]:
    """Start each (name, argv, health URL or None, cwd), wait until every URL answers 200 (a
    process without one, such as an outbox worker, only has to stay up), stop them after."""
    started: list[tuple[subprocess.Popen, object]] = []
    try:
        for name, args, _health, cwd in specs:
            log = work / f"{name}.log"
            out = log.open("wb")
            proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
            started.append((proc, out))
        for (proc, _), (name, _, health, _) in zip(started, specs, strict=True):
            if health is not None:
                wait_up(proc, health, work / f"{name}.log")
        yield [proc for proc, _ in started]
    finally:
        for proc, _ in started:
            if proc.poll() is None:
                proc.terminate()
        for proc, out in started:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            out.close()  # type: ignore[attr-defined]


def wrk(
    url: str,
    bodies: Path,
    *,
    seconds: float,
    mode: str,
    expect: int,
    headers: dict,
    delay_ms: int = 0,
    ids_out: str = "",
    watch: dict[str, int] | None = None,
    connections: int = CONNECTIONS,
    count: Callable[[], int] | None = None,
    want: int = 0,
    stall_s: float = 30.0,
    expect_body: str = "",
) -> dict:
    """One wrk run; with `watch`, the CPU seconds of each named process tree during it.

    With `count` (a fixed-count run): wrk gets `seconds` as an upper bound and is stopped with
    SIGINT as soon as `count() >= want` (polled every 0.1 s), or when the count has not moved
    for `stall_s`; `elapsed_s` is the time from starting wrk to that moment, `reached` whether
    the count got there. wrk's own rate is wrong for such a run: its threads stop when
    their bodies run out, but it divides by its whole -d unless it is interrupted.
    `expect_body`: a text every answer must contain besides the status (else counted bad)."""
    threads = min(THREADS, connections)
    args = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--latency",
        "-s",
        str(HERE / "bodies.lua"),
    ]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    args += [url, "--", str(bodies), str(threads), mode, str(expect), str(delay_ms), ids_out]
    env = {**os.environ, "VB_BENCH_DELAY_MS": str(delay_ms), "VB_BENCH_EXPECT_BODY": expect_body}
    trees = dict(watch or {})  # name -> root pid
    before = {name: procs.cpu_of(procs.tree(root)) for name, root in trees.items()}
    started = time.perf_counter()
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    generator = procs.CpuWatch(proc.pid)
    reached = None
    if count is not None:
        last, moved = -1, time.perf_counter()
        while proc.poll() is None:
            now, seen = time.perf_counter(), count()
            if seen >= want:
                reached = now - started
            if seen != last:
                last, moved = seen, now
            if reached is not None or now - moved > stall_s:
                proc.send_signal(signal.SIGINT)
                break
            time.sleep(0.1)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise BenchError(f"wrk failed: {err or out}")
    line = next((x for x in out.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise BenchError(f"wrk printed no result: {out} {err}")
    result = json.loads(line.removeprefix("WRKJSON "))
    result["bad_sample"] = next((x[7:] for x in out.splitlines() if x.startswith("WRKBAD ")), "")
    seconds_taken = result["duration_us"] / 1e6
    result["rps"] = result["requests"] / seconds_taken if seconds_taken else 0.0
    result["p50_ms"], result["p99_ms"] = result["p50_us"] / 1000, result["p99_us"] / 1000
    result["cpu_s"] = {"generator": generator.seconds()}
    for name, root in trees.items():
        result["cpu_s"][name] = procs.cpu_used(before[name], procs.cpu_of(procs.tree(root)))
    if count is not None:
        result["reached"] = reached is not None
        result["elapsed_s"] = reached if reached is not None else time.perf_counter() - started
    return result


def cashier_headers(base: str, key: str) -> dict:
    """Sign in at /cashier like a counter browser: the key cookie plus the page's CSRF token."""
    with httpx.Client(base_url=base, timeout=30) as client:
        signed_in = client.post("/cashier/login", data={"key": key})
        page = client.get("/cashier")
        if signed_in.status_code != 303 or page.status_code != 200:
            raise BenchError(f"cashier sign-in: {signed_in.status_code} / {page.status_code}")
        found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
        if not found:
            raise BenchError("the cashier page carries no CSRF token")
        cookie = client.cookies["vb_cashier"]
    return {"Cookie": f"vb_cashier={cookie}", "X-CSRF-Token": found[1], "Accept-Language": "zh-CN"}


def write_bodies(path: Path, pairs: list[tuple[str, int]], prefix: str) -> Path:
    with path.open("w") as out:
        for n, (code, order_id) in enumerate(pairs):
            body = json.dumps({"code": code, "order_id": order_id})
            out.write(f"{prefix}-{n}\t{body}\n")
    return path


def setup(base: str, demo: dict, work: Path, codes_wanted: int, orders_wanted: int) -> tuple:
    """Issue codes through the admin API and open orders through the Terminal API (with wrk);
    returns (codes, order ids)."""
    terminal = {"Authorization": f"Bearer {demo['terminal_key']}"}
    with httpx.Client(base_url=base, timeout=120) as client:
        console = demo["console"]
        login = client.post(
            "/api/admin/v1/login",
            json={"username": console["user"], "password": console["password"]},
        )
        login.raise_for_status()
        admin = {"Authorization": f"Bearer {login.json()['token']}"}
        listings = client.get("/api/admin/v1/listings", headers=admin).json()
        cash = next(li for li in listings if li["title"] == CASH_LISTING)
        codes: list[str] = []
        while len(codes) < codes_wanted:
            batch = client.post(
                f"/api/admin/v1/listings/{cash['id']}/codes",
                headers=admin,
                json={
                    "quantity": min(1000, codes_wanted - len(codes)),
                    "reference": f"b{len(codes)}",
                },
            )
            if batch.status_code != 201:
                raise BenchError(f"issuing codes: {batch.status_code} {batch.text[:300]}")
            codes += batch.json()["codes"]
    one = work / "order.tsv"
    write_bodies(one, [("", 0)], "o")
    one.write_text("o\t" + json.dumps(ORDER) + "\n")
    ids_out = str(work / "orders")
    seconds = 1.0
    while True:
        wrk(
            f"{base}/api/v1/orders",
            one,
            seconds=seconds,
            mode="cycle",
            expect=201,
            headers=terminal,
            ids_out=ids_out,
        )
        ids = sorted(int(x) for f in work.glob("orders.*") for x in f.read_text().split())
        if len(ids) >= orders_wanted:
            return codes, ids
        seconds = min(10.0, seconds * 2)


VB = str(VENV / "bin" / "voucherbridge")
SECRET_KEY = secrets.token_urlsafe(32)


def service_env(url: str, **extra: str) -> dict:
    """The environment of our processes on `url` (VB_BENCH_SRC: another tree's service)."""
    env = {
        **os.environ,
        "VOUCHERBRIDGE_DATABASE_URL": url,
        "VOUCHERBRIDGE_LOG_LEVEL": "WARNING",
        "VOUCHERBRIDGE_SECRET_KEY": SECRET_KEY,
    }  # seeded binding secrets open in every process
    if os.environ.get("VB_BENCH_SRC"):
        env["PYTHONPATH"] = os.environ["VB_BENCH_SRC"]
    return {**env, **extra}


def migrate_and_seed(env: dict) -> dict:
    """`voucherbridge migrate` and `seed-demo --json` on the environment's database."""
    subprocess.run([VB, "migrate"], env=env, check=True, capture_output=True)
    seeded = subprocess.run([VB, "seed-demo", "--json"], env=env, check=True, capture_output=True)
    return json.loads(seeded.stdout)


def service_spec(port: int, processes: int) -> tuple[str, list[str], str, None]:
    """`voucherbridge serve` on 127.0.0.1:`port` with `processes` API processes."""
    args = [VB, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(processes)]
    return ("service", args, f"http://127.0.0.1:{port}/healthz", None)


def sql(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    """One read-only statement on a fresh connection (counts and checks, never the scenario)."""
    conn = procs._connect(url)
    try:
        return [tuple(row) for row in conn.execute(procs._q(url, statement), params).fetchall()]
    finally:
        conn.close()


class Poll:
    """One open connection for a count polled while a run goes on."""

    def __init__(self, url: str, statement: str) -> None:
        self.url, self.statement = url, procs._q(url, statement)
        self.conn = procs._connect(url)
        if not url.startswith("sqlite"):
            self.conn.autocommit = True

    def __call__(self) -> int:
        return int(self.conn.execute(self.statement).fetchone()[0])

    def close(self) -> None:
        self.conn.close()


def profiled(pid: int, name: str, seconds: float) -> None:
    """With VB_BENCH_PYSPY=<dir>: py-spy records the service (every process) for `seconds`
    from now into <dir>/<name>.txt (raw stacks; `pip install py-spy` first)."""
    out = os.environ.get("VB_BENCH_PYSPY")
    if out:
        spy = str(VENV / "bin" / "py-spy")
        target = str(Path(out) / f"{name}.txt")
        rate = os.environ.get("VB_BENCH_PYSPY_RATE", "200")
        # --nonblocking leaves the service's speed alone but loses many stacks' roots;
        # VB_BENCH_PYSPY_BLOCKING=1 pauses the service per sample and keeps whole stacks.
        blocking = os.environ.get("VB_BENCH_PYSPY_BLOCKING")
        args = [
            spy,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--duration",
            str(max(1, round(seconds))),
            "--format",
            "raw",
            "--rate",
            rate,
            "-o",
            target,
            *([] if blocking else ["--nonblocking"]),
            # VB_BENCH_PYSPY_GIL=1: only the thread holding the GIL, i.e. where Python's CPU goes
            *(["--gil"] if os.environ.get("VB_BENCH_PYSPY_GIL") else []),
        ]
        subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return None
