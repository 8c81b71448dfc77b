"""What `voucherbridge demo` runs beside the API so a merchant can try every flow on one machine
with no platform account: the platform simulators (child processes on the ports our settings
point at, pushing to our API) and one outbox worker.

The simulators are a package of their own (`voucherbridge_sims`) that the product never
imports; the demo only starts them as programs, as it would start any other peer. Each keeps
its state in a file beside the demo database, so what was bought on it survives a restart as
the codes in our database do.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from voucherbridge.bootstrap import Container, build
from voucherbridge.chain.auth import resolve_terminal
from voucherbridge.config import Settings
from voucherbridge.core.actor import Actor
from voucherbridge.db.backup import BackupNotSupported, sqlite_path
from voucherbridge.selfpay.tables import add_tables, store_tables

SIMULATED = ("douyin", "meituan", "wechat", "weimall")
# The demo sends its consumer notifications to the WeChat simulator (the product's default is
# the real api.weixin.qq.com and the log notifier); a variable already set wins.
DEMO_ENVIRONMENT = {
    "VOUCHERBRIDGE_WECHAT_BASE_URL": "http://127.0.0.1:18083",
    "VOUCHERBRIDGE_NOTIFIER": "wechat",
}


def use_demo_environment() -> None:
    """Point this process (and the processes it starts) at the demo's WeChat simulator."""
    for name, value in DEMO_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    # 我的优惠 signs the demo consumer in on the same simulator (its authorize page)
    os.environ.setdefault(
        "VOUCHERBRIDGE_WECHAT_OAUTH_BASE_URL", os.environ["VOUCHERBRIDGE_WECHAT_BASE_URL"]
    )


# Our WeChat Pay settings, from the credentials the WeChat simulator made at its start.
WECHATPAY_VARIABLES = {
    "VOUCHERBRIDGE_WECHATPAY_BASE_URL": None,
    "VOUCHERBRIDGE_WECHATPAY_MCHID": "mchid",
    "VOUCHERBRIDGE_WECHATPAY_APIV3_KEY": "apiv3_key",
    "VOUCHERBRIDGE_WECHATPAY_PRIVATE_KEY": "merchant_private_key",
    "VOUCHERBRIDGE_WECHATPAY_SERIAL": "merchant_serial",
    "VOUCHERBRIDGE_WECHATPAY_PLATFORM_PUBLIC_KEY": "platform_public_key",
    "VOUCHERBRIDGE_WECHATPAY_PLATFORM_SERIAL": "platform_serial",
}


def use_simulated_wechatpay(settings: Settings) -> str:
    """Table-QR self-pay pays through the WeChat simulator's WeChat Pay: its keys (made at its
    start) go into this process's environment, which the server builds its settings from. A
    merchant account already configured (VOUCHERBRIDGE_WECHATPAY_MCHID) is left alone."""
    if settings.wechatpay_mchid:
        return "  微信支付 WeChat Pay: 已配置 / configured"
    base = settings.wechat_base_url.rstrip("/")
    try:
        creds = httpx.get(f"{base}/_sim/wechatpay/credentials", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return "  微信支付 WeChat Pay: 模拟器未响应,自助买单不可用 / simulator not answering"
    wanted = {key for key in WECHATPAY_VARIABLES.values() if key is not None}
    if not isinstance(creds, dict) or not wanted <= creds.keys():
        # Something else holds the port (another program, another simulator): no keys to use.
        return (
            f"  微信支付 WeChat Pay: {base} 不是微信模拟器,自助买单不可用 / "
            "not the WeChat simulator, self-pay unavailable"
        )
    for name, key in WECHATPAY_VARIABLES.items():
        os.environ[name] = base if key is None else str(creds[key])
    return f"  微信支付 WeChat Pay: {base} (模拟器 / simulated, 商户号 {creds['mchid']})"


DEMO_TABLES = "A1-A12"


def demo_tables(container: Container, terminal_key: str, base_url: str) -> str:
    """The demo store's tables A1-A12 for table-QR self-pay (added once, kept across restarts);
    one line naming table A3's address and the console page with the printable sheet."""
    terminal = resolve_terminal(container.uow(), terminal_key)
    actor = Actor.operator(terminal.merchant_id)
    _store, rows = store_tables(container.uow(), actor=actor, store_id=terminal.store_id)
    if not rows:
        add_tables(
            container.uow(write=True),
            actor=actor,
            store_id=terminal.store_id,
            spec=DEMO_TABLES,
            now=container.clock(),
        )
        _store, rows = store_tables(container.uow(), actor=actor, store_id=terminal.store_id)
    a3 = next((t for t in rows if t.table_no == "A3" and t.active), None)
    sheet = f"{base_url}/console/stores/{terminal.store_id}/tables"
    if a3 is None:
        return f"  扫码买单 table QR: {sheet}"
    return f"  扫码买单 table QR (A3): {base_url}/wx/t/{a3.token}  桌码打印 sheet: {sheet}"


START_TIMEOUT_S = 20.0


def _listening(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0


def simulator_command(name: str, host: str, port: int, state_file: Path | None = None) -> list[str]:
    """The command line that runs one simulator (also what `voucherbridge simulate` execs)."""
    command = [
        sys.executable,
        "-m",
        "voucherbridge_sims",
        name,
        "--host",
        host,
        "--port",
        str(port),
    ]
    return command + (["--state-file", str(state_file)] if state_file else [])


def _beside_database(settings: Settings, suffix: str) -> Path:
    """`<database file><suffix>` beside a SQLite demo database (in the working directory for
    PostgreSQL): what the demo keeps lives and dies with its database."""
    try:
        db_path = sqlite_path(settings.database_url).resolve()
    except BackupNotSupported:
        return Path("voucherbridge" + suffix).resolve()
    return db_path.with_name(db_path.name + suffix)


def state_dir(settings: Settings) -> Path:
    """The simulators' state files."""
    return _beside_database(settings, ".simulators")


def world_file(settings: Settings) -> Path:
    """The demo's world (codes, keys, sample bills) as JSON, for a person or a script to read."""
    return _beside_database(settings, ".demo.json")


def simulator_urls(settings: Settings) -> dict[str, str]:
    return {name: str(getattr(settings, f"{name}_base_url")) for name in SIMULATED}


def wait_until_serving(base_url: str, timeout_s: float = START_TIMEOUT_S) -> bool:
    """True once our API answers its health check (the demo says "ready" only then)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the kernel sends the simulator SIGTERM when the demo dies, however it dies
    (uvicorn re-raises SIGTERM after its shutdown, so the demo's atexit handlers never run)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _start(
    name: str, host: str, port: int, api_base_url: str, state_file: Path
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SIM_TARGET_BASE_URL": os.environ.get("SIM_TARGET_BASE_URL", api_base_url)}
    env.pop("VOUCHERBRIDGE_SECRET_KEY", None)  # a platform stand-in has no business with our key
    child = subprocess.Popen(
        simulator_command(name, host, port, state_file),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - the demo starts no threads before this
    )
    atexit.register(_stop, child)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _listening(host, port):
        if child.poll() is not None or time.monotonic() > deadline:
            _stop(child)
            raise OSError(f"simulator {name} did not start on port {port}")
        time.sleep(0.05)
    return child


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()


def start_simulators(settings: Settings, api_base_url: str) -> list[str]:
    """Start each simulator whose configured address is on this machine and free; one line each."""
    lines = []
    states = state_dir(settings)
    states.mkdir(parents=True, exist_ok=True)
    for name in SIMULATED:
        url = urlsplit(getattr(settings, f"{name}_base_url"))
        host = url.hostname
        if host not in ("127.0.0.1", "localhost") or url.port is None:
            lines.append(f"  {name:<8} {url.geturl()} (外部平台 / real platform)")
            continue
        if _listening(host, url.port):
            lines.append(f"  {name:<8} {url.geturl()} 端口已占用 / port busy: using what runs")
            continue
        try:
            _start(name, host, url.port, api_base_url, states / f"{name}.json")
        except OSError:
            lines.append(f"  {name:<8} {url.geturl()} 模拟器未能启动 / simulator failed to start")
            continue
        lines.append(f"  {name:<8} {url.geturl()} 模拟器已启动 / simulator started")
    return lines


def start_worker() -> threading.Thread:
    """One outbox worker in a daemon thread: platform sync happens while the demo runs."""
    container = build()
    thread = threading.Thread(
        target=container.run_worker, kwargs={"stop": threading.Event()}, daemon=True
    )
    thread.start()
    return thread
