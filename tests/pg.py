"""A throwaway PostgreSQL server for the tests, in the style of Indico's test fixtures
(``indico/testing/fixtures/database.py``).

``initdb`` creates a cluster in a temporary folder; the server listens on a Unix socket in
that folder and on a free loopback port (password login), with ``fsync``,
``full_page_writes`` and ``synchronous_commit`` off: nothing needs to survive a crash.
One template database is migrated with Alembic once per test session, and every test gets
its own copy (``CREATE DATABASE ... TEMPLATE``, a few milliseconds), dropped afterwards.
The server is stopped and its folder deleted when the session ends, also after failures.
Debian's own cluster and service are never touched.

As root, ``initdb`` and ``postgres`` run as the ``postgres`` system user (the server refuses
to run as root). Without the server binaries (Debian: ``apt-get install postgresql``, found
in ``/usr/lib/postgresql/<version>/bin``, or ``SIMSHOP_PG_BINDIR``) or without psycopg, the
PostgreSQL tests are skipped with the reason, except when ``CI`` is true: then they fail,
so CI cannot pass by skipping them.

The server runs in the Asia/Shanghai time zone (a classroom's), so code that relies on the
database session being in UTC shows up here.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER_TIMEZONE = "Asia/Shanghai"
TEMPLATE_DB = "simshop_template"
SETTINGS = {
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "max_connections": "200",
    "shared_buffers": "64MB",
    "timezone": SERVER_TIMEZONE,
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",  # tests provoke constraint errors on purpose
}


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def unavailable(reason: str) -> None:
    """Skip locally; fail on CI (``CI=true``), so a missing PostgreSQL cannot go unnoticed."""
    reason = f"PostgreSQL tests need {reason}"
    if on_ci():
        pytest.fail(f"{reason} (CI=true: failing instead of skipping)", pytrace=False)
    pytest.skip(reason)


def find_bindir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``; the newest Debian one."""
    if os.environ.get("SIMSHOP_PG_BINDIR"):  # only this one, when given
        candidates = [Path(os.environ["SIMSHOP_PG_BINDIR"])]
    else:
        candidates = find_installed()
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def find_installed() -> list[Path]:
    candidates = []
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    debian.sort(key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    candidates.extend(Path(p) for p in reversed(debian))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    return candidates


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """A private PostgreSQL server: ``start()``, ``create_database()``, ``url()``, ``stop()``."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.password = secrets.token_hex(16)
        # Not under pytest's tmp_path: that is private to the current user, and the server
        # may run as another one (postgres).
        self.folder = Path(tempfile.mkdtemp(prefix="simshop-pg-"))
        self.data = self.folder / "data"
        self.socket_dir = self.folder / "socket"
        self.log = self.folder / "postgres.log"
        self._names = itertools.count(1)
        self._started = False
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.folder, ignore_errors=True)
                unavailable("a 'postgres' system user to run the server as (running as root)")
            self.run_as = ["runuser", "-u", "postgres", "--"]
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        self.folder.chmod(0o700)

    def _run(self, *args: str) -> None:
        completed = subprocess.run(
            [*self.run_as, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if completed.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(args)} failed ({completed.returncode}):\n"
                f"{completed.stdout}{completed.stderr}{log}"
            )

    def start(self) -> None:
        pwfile = self.folder / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.run_as:
            shutil.chown(pwfile, "postgres")
        pwfile.chmod(0o600)
        try:
            self._run(
                str(self.bindir / "initdb"),
                "--pgdata",
                str(self.data),
                "--username",
                "postgres",
                "--pwfile",
                str(pwfile),
                "--auth-local",
                "trust",
                "--auth-host",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-sync",
            )
        finally:
            pwfile.unlink()
        self._run("mkdir", "-m", "0700", str(self.socket_dir))
        options = " ".join(f"-c {key}={value}" for key, value in SETTINGS.items())
        options += f" -c listen_addresses=127.0.0.1 -c port={self.port}"
        options += f" -c unix_socket_directories={self.socket_dir}"
        self._started = True
        self._run(
            str(self.bindir / "pg_ctl"),
            "start",
            "--pgdata",
            str(self.data),
            "--log",
            str(self.log),
            "--wait",
            "--timeout",
            "60",
            "--options",
            options,
        )

    def stop(self) -> None:
        try:
            if self._started and (self.data / "postmaster.pid").exists():
                self._run(
                    str(self.bindir / "pg_ctl"),
                    "stop",
                    "--pgdata",
                    str(self.data),
                    "--mode",
                    "immediate",
                    "--wait",
                )
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement as the superuser, outside a transaction (CREATE DATABASE)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password=self.password,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)

    def create_database(self, template: str = "template0") -> str:
        name = f"simshop_{os.getpid()}_{next(self._names)}"
        # FILE_COPY copies the template's files instead of WAL-logging every page: much
        # faster for small databases (and the checkpoint it needs is cheap with fsync off).
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_cluster() -> PostgresCluster:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg (pip install -r requirements.txt)")
    bindir = find_bindir()
    if bindir is None:
        unavailable(
            "the server binaries (initdb, pg_ctl, postgres): apt-get install postgresql, "
            "or set SIMSHOP_PG_BINDIR"
        )
    cluster = PostgresCluster(bindir)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """The session's PostgreSQL server with a migrated template database, started on first
    use (so a run without PostgreSQL tests never starts one)."""
    cluster = start_cluster()
    try:
        from simshop import create_app
        from simshop.db import db, init_db

        cluster.execute(f'CREATE DATABASE "{TEMPLATE_DB}" TEMPLATE template0')
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "pg-template-secret-key-0123456789abcdef",
                "SQLALCHEMY_DATABASE_URI": cluster.url(TEMPLATE_DB),
            }
        )
        with app.app_context():
            init_db()
            db.session.remove()
            db.engine.dispose()  # a template must have no connections while it is copied
        yield cluster
    finally:
        cluster.stop()
