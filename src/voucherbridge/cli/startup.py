"""Settings as the commands load them: a refused configuration is a message and exit code 2,
not a traceback; the demo's own secret key, kept beside the demo database."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from pydantic import ValidationError

from voucherbridge.config import DEV_SECRET, Settings
from voucherbridge.core.crypto import read_or_create_key
from voucherbridge.db.backup import BackupNotSupported, sqlite_path

KEY_ENV = "VOUCHERBRIDGE_SECRET_KEY"
KEY_FILE_SUFFIX = ".secret-key"


def load_settings() -> Settings:
    """The settings from the environment, or exit 2 saying what is wrong with them."""
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            cause = (error.get("ctx") or {}).get("error")
            where = ".".join(str(part) for part in error["loc"])
            shown = (
                str(cause)
                if cause is not None
                else f"VOUCHERBRIDGE_{where.upper()}: {error['msg']}"
            )
            typer.echo(shown, err=True)
        raise typer.Exit(2) from None


def demo_key_file(settings: Settings) -> Path:
    """`<database file>.secret-key` beside a SQLite database; in the working directory else."""
    try:
        db_path = sqlite_path(settings.database_url).resolve()
    except BackupNotSupported:  # PostgreSQL (or memory): no file to keep it beside
        return Path("voucherbridge" + KEY_FILE_SUFFIX).resolve()
    return db_path.with_name(db_path.name + KEY_FILE_SUFFIX)


def with_demo_key(settings: Settings) -> Settings:
    """`settings` with this install's own random key in place of the published default.

    Platform secrets sealed in the demo database stay readable across restarts because the key
    is kept in a file (owner-only) beside it. It is also put in this process's environment:
    the server (uvicorn builds the app from the environment) and the worker thread read it
    there. A key the operator set is used as it is and no file is made."""
    if settings.secret_key != DEV_SECRET:
        return settings
    key = read_or_create_key(demo_key_file(settings))
    os.environ[KEY_ENV] = key
    return settings.model_copy(update={"secret_key": key})
