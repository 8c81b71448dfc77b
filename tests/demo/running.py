"""`./vb demo` as a subprocess on free ports, for the tests that run the demo from its own output
(tests/demo/test_demo_command.py, tests/browser/test_demo_story.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers import wait_until
from tests.pgserver import free_ports

READY = "就绪 ready:"


def demo_ports() -> dict[str, int]:
    names = ("api", "douyin", "meituan", "wechat", "weimall")
    return dict(zip(names, free_ports(len(names)), strict=True))


@dataclass
class Demo:
    ports: dict[str, int]
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    def sim(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def world(self) -> dict[str, Any]:
        found = re.search(r"every code and its sample bill: (\S+)", self.output())
        assert found, self.output()
        return dict(json.loads(Path(found.group(1)).read_text(encoding="utf-8")))


def start_demo(tmp_path: Path, ports: dict[str, int]) -> Demo:
    """Start `python -m voucherbridge.cli.main demo` in `tmp_path` and wait for its ready line."""
    env = {
        **os.environ,
        "VOUCHERBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db",
        "VOUCHERBRIDGE_PORT": str(ports["api"]),
        **{
            f"VOUCHERBRIDGE_{name.upper()}_BASE_URL": f"http://127.0.0.1:{ports[name]}"
            for name in ("douyin", "meituan", "wechat", "weimall")
        },
    }
    env.pop("VOUCHERBRIDGE_SECRET_KEY", None)
    log = tmp_path / f"demo-{len(list(tmp_path.glob('demo-*.log')))}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "voucherbridge.cli.main", "demo"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    demo = Demo(ports, log, process)

    def ready() -> bool:
        assert process.poll() is None, demo.output()
        return READY in demo.output()

    try:
        wait_until(ready, timeout_s=180, interval_s=0.3, message="the demo did not get ready")
    except BaseException:
        stop_demo(demo)  # a demo that never got ready must not outlive the test
        raise
    return demo


def stop_demo(demo: Demo) -> None:
    if demo.process.poll() is not None:
        return
    demo.process.terminate()
    try:
        demo.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        demo.process.kill()
        demo.process.wait(timeout=10)
