"""What cannot run here (Docker, systemd) is checked statically: the Dockerfile (non-root, the
lock file, a health check on /readyz), compose (PostgreSQL, migrate, API, worker, proxy, with
their health checks and start order) and the systemd units (SIGTERM, the production commands)."""

from __future__ import annotations

import configparser
import json
import re
from pathlib import Path
from typing import Any

import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_dockerfile_is_slim_non_root_from_the_lock_with_a_readiness_health_check():
    parsed = DockerfileParser(path=str(ROOT / "Dockerfile"))
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", parsed.baseimage)
    steps = parsed.structure
    users = [s["value"] for s in steps if s["instruction"] == "USER"]
    assert users, "no USER: the service would run as root"
    assert users[-1] not in ("root", "0")
    runs = " ".join(s["value"] for s in steps if s["instruction"] == "RUN")
    assert "requirements.lock" in runs
    assert re.search(r"useradd .*voucherbridge", runs)
    copies = " ".join(s["value"] for s in steps if s["instruction"] == "COPY")
    assert "requirements.lock" in copies
    [health] = [s["value"] for s in steps if s["instruction"] == "HEALTHCHECK"]
    assert "/readyz" in health
    # the user is switched after everything that needs root
    last_run = max(s["startline"] for s in steps if s["instruction"] == "RUN")
    assert next(s for s in steps if s["instruction"] == "USER")["startline"] > last_run
    assert parsed.envs["VOUCHERBRIDGE_ENVIRONMENT"] == "production"
    assert json.loads(parsed.cmd)[:2] == ["voucherbridge", "serve"]  # exec form: gets SIGTERM


def test_compose_runs_postgres_migrate_api_worker_and_a_proxy_with_health_checks():
    services = _compose()["services"]
    assert {"db", "migrate", "api", "worker", "proxy"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert any("/var/lib/postgresql/data" in v for v in services["db"]["volumes"])
    api, worker, migrate = services["api"], services["worker"], services["migrate"]
    assert "/readyz" in " ".join(api["healthcheck"]["test"])
    assert api["command"][:2] == ["voucherbridge", "serve"]
    assert "--workers" in api["command"]
    assert worker["command"][:2] == ["voucherbridge", "worker"]
    assert "--concurrency" in worker["command"]
    # the worker has no HTTP port: the image's /readyz probe is replaced
    assert "/readyz" not in " ".join(worker["healthcheck"]["test"])
    assert migrate["command"] == ["voucherbridge", "migrate"]
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        env = services[name]["environment"]
        assert env["VOUCHERBRIDGE_ENVIRONMENT"] == "production"
        assert env["VOUCHERBRIDGE_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert ":?" in env["VOUCHERBRIDGE_SECRET_KEY"]  # compose refuses to start without it
        assert services[name]["stop_grace_period"]
    proxy = services["proxy"]
    assert proxy["image"].startswith(("caddy", "nginx"))
    assert proxy["depends_on"]["api"]["condition"] == "service_healthy"
    assert "443:443" in proxy["ports"]
    assert "ports" not in api  # only the proxy is reachable from outside
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy api:8000" in caddyfile
    assert "/metrics" in caddyfile  # not served to the internet


def test_systemd_units_run_the_production_commands_and_stop_with_sigterm():
    for unit, command in (
        ("voucherbridge.service", "serve"),
        ("voucherbridge-worker.service", "worker"),
    ):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(ROOT / "deploy" / unit, encoding="utf-8")
        service = parser["Service"]
        assert f"voucherbridge {command}" in service["ExecStart"]
        assert service["KillSignal"] == "SIGTERM"
        assert service["User"] == "voucherbridge"
        assert service["EnvironmentFile"] == "/etc/voucherbridge/env"
        assert int(service["TimeoutStopSec"]) >= 30
        assert parser["Install"]["WantedBy"] == "multi-user.target"


def test_the_production_guide_covers_what_an_operator_needs():
    guide = (ROOT / "docs" / "production.md").read_text(encoding="utf-8")
    for needed in (
        "VOUCHERBRIDGE_SECRET_KEY",
        "TLS",
        "pg_dump",
        "pg_restore",
        "voucherbridge migrate",
        "voucherbridge doctor",
        "--workers",
        "--concurrency",
        "/readyz",
        "/metrics",
        "X-Request-ID",
    ):
        assert needed in guide, needed
