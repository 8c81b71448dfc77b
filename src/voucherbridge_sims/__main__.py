"""`python -m voucherbridge_sims douyin|meituan|wechat|weimall [--host H] [--port P]
[--state-file F]`: run one simulator (its page is at ``http://H:P/``)."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

SIMULATORS = {"douyin": 18081, "meituan": 18082, "wechat": 18083, "weimall": 18084}

app = typer.Typer(
    add_completion=False, help="Local simulators of the platforms VoucherBridge talks to."
)


@app.command()
def serve(
    platform: Annotated[str, typer.Argument(help="douyin | meituan | wechat | weimall")],
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    state_file: Annotated[
        str | None,
        typer.Option(help="Keep the state in this JSON file across restarts (or SIM_STATE_FILE)"),
    ] = None,
) -> None:
    """Serve one platform simulator until interrupted."""
    if platform not in SIMULATORS:
        raise typer.BadParameter(f"unknown platform {platform!r}; one of {sorted(SIMULATORS)}")
    module = importlib.import_module(f"voucherbridge_sims.{platform}.simulator")
    module.main(host, port or SIMULATORS[platform], state_file)


if __name__ == "__main__":
    app()
