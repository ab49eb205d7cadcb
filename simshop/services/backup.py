"""Backups of the whole database, and restoring one (``flask backup`` / ``flask restore``).

- SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies the database
  page by page while the app keeps running; the copy is a plain SQLite file. Restoring
  copies it back the same way, into the live file.
- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists``, found on
  ``PATH``, in ``SIMSHOP_PG_BINDIR`` or in Debian's ``/usr/lib/postgresql/<version>/bin``
  (newest first). The password goes through ``PGPASSWORD``, never the command line.

A restore replaces everything in the database with the backup: stop the web servers and
tick workers first (the CLI asks for ``--yes``).
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL


class BackupError(RuntimeError):
    """The backup or restore could not be made (the message says why, for operators)."""


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return url.database


def _pg_tool(name: str) -> str:
    bindir = os.environ.get("SIMSHOP_PG_BINDIR")
    candidates = [os.path.join(bindir, name)] if bindir else []
    found = shutil.which(name)
    if found:
        candidates.append(found)

    def version(path: str) -> float:
        try:
            return float(Path(path).parents[1].name)
        except ValueError:
            return 0.0

    candidates += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version, reverse=True)
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    raise BackupError(f"{name} not found (install postgresql-client or set SIMSHOP_PG_BINDIR)")


def _pg_call(tool: str, url: URL, *args: str) -> None:
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    target = plain.render_as_string(hide_password=False)
    done = subprocess.run(
        [_pg_tool(tool), f"--dbname={target}", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")


def backup(engine: Engine, target: Path) -> Path:
    """Write a backup of ``engine``'s database to ``target`` (not overwritten if it exists)."""
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    url = engine.url
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        dest = sqlite3.connect(str(target))
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        _pg_call("pg_dump", url, "--format=custom", "--no-owner", f"--file={target}")
    else:
        raise BackupError(f"no backup method for {url.get_backend_name()}")
    target.chmod(0o600)  # it holds password hashes
    return target


def restore(engine: Engine, source: Path) -> None:
    """Replace ``engine``'s database with the backup in ``source``."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    engine.dispose()  # no pooled connection of ours holds a lock meanwhile
    url = engine.url
    if url.get_backend_name() == "sqlite":
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(_sqlite_path(url))
        try:
            live.execute("PRAGMA busy_timeout=5000")
            backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
    elif url.get_backend_name() == "postgresql":
        _pg_call(
            "pg_restore",
            url,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            str(source),
        )
    else:
        raise BackupError(f"no restore method for {url.get_backend_name()}")
