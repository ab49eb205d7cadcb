"""``flask backup FILE`` and ``flask restore FILE --yes`` (see services/backup.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from simshop.db import db
from simshop.services import backup as backup_service


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Copy the whole database to TARGET while SimShop keeps running (SQLite: online backup
    API; PostgreSQL: pg_dump, custom format)."""
    try:
        written = backup_service.backup(db.engine, target)
    except backup_service.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written: {written} ({written.stat().st_size} bytes)")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm: everything in the database is replaced.")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace the whole database with the backup in SOURCE. Stop the web servers and tick
    workers first."""
    if not yes:
        raise click.ClickException("restore replaces every game and account: add --yes")
    db.session.remove()
    try:
        backup_service.restore(db.engine, source)
    except backup_service.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Database restored from {source}")
