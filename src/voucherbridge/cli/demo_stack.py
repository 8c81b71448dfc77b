"""What `voucherbridge demo` runs beside the API so a merchant can try every flow on one machine
with no platform account: the platform simulators (on the ports our settings point at, pushing
to our API) and one outbox worker."""

from __future__ import annotations

import importlib
import os
import threading
from urllib.parse import urlsplit

from voucherbridge.adapters.platforms.simkit.server import ServerThread
from voucherbridge.bootstrap import build
from voucherbridge.config import Settings

SIMULATOR_MODULES = {
    "douyin": "voucherbridge.adapters.platforms.douyin.simulator",
    "meituan": "voucherbridge.adapters.platforms.meituan.simulator",
    "weimall": "voucherbridge.adapters.platforms.weimall.simulator",
}


def start_simulators(settings: Settings, api_base_url: str) -> list[str]:
    """Start each simulator whose configured address is on this machine and free; one line each."""
    os.environ.setdefault("SIM_TARGET_BASE_URL", api_base_url)
    lines = []
    for name, module_name in SIMULATOR_MODULES.items():
        url = urlsplit(getattr(settings, f"{name}_base_url"))
        if url.hostname not in ("127.0.0.1", "localhost") or url.port is None:
            lines.append(f"  {name:<8} {url.geturl()} (外部平台 / real platform)")
            continue
        module = importlib.import_module(module_name)
        try:
            ServerThread(module.create_app(module.config_from_env()), port=url.port).start()
        except OSError:
            lines.append(f"  {name:<8} {url.geturl()} 端口已占用 / port busy: using what runs")
            continue
        lines.append(f"  {name:<8} {url.geturl()} 模拟器已启动 / simulator started")
    return lines


def start_worker() -> threading.Thread:
    """One outbox worker in a daemon thread: platform sync happens while the demo runs."""
    from voucherbridge.worker.run import run_worker

    container = build()
    thread = threading.Thread(
        target=run_worker, args=(container,), kwargs={"stop": threading.Event()}, daemon=True
    )
    thread.start()
    return thread
