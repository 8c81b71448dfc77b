"""`voucherbridge`: serve, migrate, seed-demo, demo, and admin helpers. Commands only wire."""

from __future__ import annotations

import json
import os
import threading
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.progress import Progress

from voucherbridge.bootstrap import Container, build
from voucherbridge.chain import merchants, users
from voucherbridge.cli.audit import alerts, audit_app
from voucherbridge.cli.codes import codes_app
from voucherbridge.cli.doctor import doctor
from voucherbridge.cli.merchant_switch import deactivate_merchant, reactivate_merchant
from voucherbridge.cli.reconcile import reconcile
from voucherbridge.cli.report import report_app
from voucherbridge.cli.run import serve, worker
from voucherbridge.cli.startup import load_settings, with_demo_key
from voucherbridge.config import Settings
from voucherbridge.core.actor import Actor
from voucherbridge.db import migrate as db_migrate
from voucherbridge.demo.banner import banner
from voucherbridge.demo.world import open_demo_world
from voucherbridge.domain.errors import DomainError
from voucherbridge.i18n.catalogue import catalogue_markdown, render

app = typer.Typer(
    help="VoucherBridge: 线上券码到店核销 / redeem platform vouchers at the till.",
    no_args_is_help=True,
    add_completion=False,
)

app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")
app.add_typer(codes_app, name="codes")
app.command("alerts")(alerts)
app.command("reconcile")(reconcile)
report_app.command("reconcile")(reconcile)  # `report reconcile`, as the reports are
app.command("deactivate-merchant")(deactivate_merchant)
app.command("reactivate-merchant")(reactivate_merchant)
app.command()(serve)
app.command()(worker)
app.command()(doctor)

HostOpt = Annotated[str | None, typer.Option(help="Address to listen on")]
PortOpt = Annotated[int | None, typer.Option(help="Port to listen on")]


def _base_url(settings: Settings, host: str | None = None, port: int | None = None) -> str:
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    shown = host or settings.host
    shown = "127.0.0.1" if shown in ("0.0.0.0", "::") else shown
    return f"http://{shown}:{port or settings.port}"


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest version (数据库迁移)."""
    container = build(load_settings())
    pending = db_migrate.pending_revisions(container.engine)
    with Progress(transient=True) as progress:
        bar = progress.add_task("数据库迁移 migrating", total=len(pending) or 1)
        db_migrate.upgrade(container.engine, on_step=lambda _rev: progress.advance(bar))
    where = container.engine.url.render_as_string(hide_password=True)
    typer.echo(f"migrated: {where} at {db_migrate.head_revision()}")


def _world(container: Container, base_url: str, simulators: dict[str, str]) -> dict[str, Any]:
    db_migrate.upgrade(container.engine)
    return open_demo_world(
        container.uow,
        now=container.clock(),
        base_url=base_url,
        seal=container.secrets.seal,
        simulators=simulators,
    )


@app.command("seed-demo")
def seed_demo_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    host: HostOpt = None,
    port: PortOpt = None,
) -> None:
    """Create the demo merchant 右姑娘火锅, then buy its vouchers on the simulators that run."""
    from voucherbridge.cli.demo_stack import simulator_urls, use_demo_environment

    use_demo_environment()
    container = build(with_demo_key(load_settings()))
    base = _base_url(container.settings, host, port)
    data = _world(container, base, simulator_urls(container.settings))
    for note in data["notes"]:
        typer.echo(note, err=True)
    typer.echo(json.dumps(data, ensure_ascii=False) if as_json else banner(data))


@app.command()
def demo(
    host: HostOpt = None,
    port: PortOpt = None,
    simulators: Annotated[
        bool, typer.Option(help="Also run the platform simulators and an outbox worker")
    ] = True,
) -> None:
    """Serve, start the simulators, seed the demo and buy its vouchers; then print where to
    go and what to type (once the server answers)."""
    from voucherbridge.cli import demo_stack

    demo_stack.use_demo_environment()
    container = build(with_demo_key(load_settings()))
    db_migrate.upgrade(container.engine)
    base = _base_url(container.settings, host, port)
    started = demo_stack.start_simulators(container.settings, base) if simulators else []
    if simulators:  # 自助买单 pays on the WeChat simulator's WeChat Pay (its keys, this start's)
        started.append(demo_stack.use_simulated_wechatpay(container.settings))

    def when_serving() -> None:
        if not demo_stack.wait_until_serving(base):
            typer.echo(f"服务未能启动 / the server did not answer at {base}", err=True)
            return
        sims = demo_stack.simulator_urls(container.settings) if simulators else {}
        data = _world(container, base, sims)
        if simulators:
            demo_stack.start_worker()
        world = demo_stack.world_file(container.settings)
        world.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        world.chmod(0o600)  # it holds the terminal keys
        typer.echo(banner(data))
        typer.echo(f"  全部券码与示例消费单 every code and its sample bill: {world}")
        typer.echo(demo_stack.demo_tables(container, data["terminal_key"], base))
        if started:
            typer.echo("平台模拟器 platform simulators:\n" + "\n".join(started))
        for note in data["notes"]:
            typer.echo(note, err=True)
        typer.echo(f"就绪 ready: {base}/")

    threading.Thread(target=when_serving, name="demo-world", daemon=True).start()
    serve(host=host, port=port, workers=1)


@app.command("outbox-retry")
def outbox_retry(
    outbox_id: int,
    merchant_id: Annotated[int, typer.Option(help="Merchant id")] = 1,
) -> None:
    """Put a dead outbox row back in the queue (as the console's retry button does)."""
    from voucherbridge.outbox.service import retry_dead

    container = build(load_settings())
    cli_actor = Actor.operator(merchant_id)
    row = retry_dead(container.uow, actor=cli_actor, outbox_id=outbox_id, now=container.clock())
    typer.echo(f"outbox {row.id}: {row.status}")


@app.command()
def simulate(
    platform: Annotated[str, typer.Argument(help="douyin | meituan | wechat | weimall")],
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: PortOpt = None,
) -> None:
    """Run a local simulator of a platform (try everything with no platform account)."""
    from voucherbridge.cli.demo_stack import SIMULATED, simulator_command

    if platform not in SIMULATED:
        raise typer.BadParameter(f"unknown platform {platform!r}; one of {sorted(SIMULATED)}")
    # The simulator listens where our settings look for the platform (18081, 18082, 18084);
    # WeChat's default is the real API, so its simulator takes its own port (18083).
    configured = urlsplit(getattr(load_settings(), f"{platform}_base_url")).port
    if platform == "wechat" and configured is None:
        configured = 18083
    command = simulator_command(platform, host, port or configured or 0)
    os.execv(command[0], command)


def _domain_failure(exc: DomainError) -> typer.Exit:
    entry = render(exc.code, exc.params)
    typer.echo(f"{exc.code}: {entry}", err=True)
    return typer.Exit(code=1)


PasswordOpt = Annotated[
    str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password")
]


@app.command("create-user")
def create_user(
    username: str,
    role: Annotated[str, typer.Option(help="hq_admin | store_manager | cashier")] = "hq_admin",
    merchant_id: Annotated[int, typer.Option(help="Merchant id")] = 1,
    store_id: Annotated[list[int] | None, typer.Option(help="Store ids (managers)")] = None,
    display_name: Annotated[str, typer.Option(help="Name shown in the console")] = "",
    password: PasswordOpt = "",
) -> None:
    """Create a console user of a merchant (same rules and audit row as the admin API)."""
    container = build(load_settings())
    try:
        user = users.create_user(
            container.uow(write=True),
            actor=Actor.operator(merchant_id),
            username=username,
            password=password,
            role=role,
            store_ids=store_id or [],
            display_name=display_name,
            now=container.clock(),
        )
    except DomainError as exc:
        raise _domain_failure(exc) from exc
    typer.echo(f"created user {user.username} ({user.role}) id={user.id}")


@app.command("create-merchant")
def create_merchant(
    name: str,
    username: Annotated[str, typer.Option(help="The first HQ admin's sign-in name")],
    timezone: Annotated[str, typer.Option(help="IANA zone of the stores")] = "Asia/Shanghai",
    display_name: Annotated[str, typer.Option(help="The admin's name in the console")] = "",
    password: PasswordOpt = "",
) -> None:
    """Create a merchant (商户) and its first HQ admin, who then signs in to the console."""
    container = build(load_settings())
    try:
        made = merchants.create_merchant(
            container.uow(write=True),
            name=name,
            timezone=timezone,
            username=username,
            password=password,
            display_name=display_name,
            now=container.clock(),
        )
    except DomainError as exc:
        raise _domain_failure(exc) from exc
    typer.echo(f"created merchant {made.name} id={made.id}, HQ admin {made.user.username}")


@app.command()
def backup(
    target: Annotated[str, typer.Argument(help="File to write, e.g. backups/vb-2026-11-23.db")],
) -> None:
    """Copy the embedded SQLite database while the service runs (PostgreSQL: pg_dump)."""
    from pathlib import Path

    from voucherbridge.db.backup import BackupNotSupported, backup_sqlite

    settings = load_settings()
    try:
        with Progress(transient=True) as bar:
            task = bar.add_task("备份 backup", total=None)
            size = backup_sqlite(
                settings.database_url,
                Path(target),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except BackupNotSupported as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"backup written: {target} ({size} bytes)")


@app.command("error-catalogue")
def error_catalogue() -> None:
    """Print the error catalogue as a Markdown table (docs/errors.md is this output)."""
    typer.echo(catalogue_markdown(), nl=False)


def main() -> None:  # pragma: no cover - console entry
    os.environ.setdefault("PYTHONUTF8", "1")
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
