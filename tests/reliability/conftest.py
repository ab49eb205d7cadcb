"""Real processes: a migrated SQLite database in a temp folder (or, for tests parametrized
with ``backend="postgresql"``, a database on the throwaway PostgreSQL server), ``flask`` CLI
subprocesses and a gunicorn server with 4 workers on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from simshop import create_app
from simshop.db import db, init_db

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "reliability-test-secret-key-0123456789abcdef"
START_TIMEOUT_S = 120


class LiveDatabase:
    def __init__(self, folder: Path, url: str | None = None, *, migrated: bool = False) -> None:
        self.folder = folder
        self.path = folder / "simshop.sqlite"  # SQLite only
        self.url = url or f"sqlite:///{self.path}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "SECRET_KEY": SECRET,
            "PYTHONPATH": str(ROOT),
        }
        self.app = create_app(
            {"SQLALCHEMY_DATABASE_URI": self.url, "SECRET_KEY": SECRET, "TESTING": False}
        )
        if not migrated:
            with self.app.app_context():
                init_db()

    def flask(self, *args: str, pause_at: str | None = None, **kwargs) -> subprocess.Popen:
        """``flask --app simshop ARGS`` in a subprocess. ``pause_at``: stop for a minute at that
        point of the round-publishing transaction (see tests/reliability/paused_flask.py)."""
        command = [str(BIN / "flask")]
        if pause_at is not None:
            command = [sys.executable, "-m", "tests.reliability.paused_flask", pause_at, "60"]
        return subprocess.Popen(
            [*command, "--app", "simshop", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **kwargs,
        )

    def run_flask(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        proc = self.flask(*args)
        out, err = proc.communicate(timeout=timeout)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def dispose(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def live_db(tmp_path, new_database) -> Iterator[LiveDatabase]:
    live = LiveDatabase(tmp_path, new_database(), migrated=True)
    yield live
    live.dispose()


def free_port() -> int:
    """A free loopback port. Under pytest-xdist each of the first four workers draws from
    its own range below the kernel's ephemeral ports (32768 and up), so servers started by
    tests on two workers at once never race for the same port."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and worker[2:].isdigit() and int(worker[2:]) < 4:
        first = 20000 + 3000 * int(worker[2:])
        for port in random.sample(range(first, first + 3000), 3000):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, live: LiveDatabase, workers: int = 4) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = live.folder / "gunicorn.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--backlog",
                "512",
                "--timeout",
                "60",
                # The app is imported once and the workers forked from it (about 2.4 s of
                # CPU each to import otherwise). It opens no database connection before
                # the fork (tests/views/test_app_factory.py).
                "--preload",
                # as `make run`: no control socket in ~/.gunicorn shared between servers
                "--no-control-socket",
                "simshop:create_app()",
            ],
            cwd=ROOT,
            env=live.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends all of it at once
        )
        # Generous: four workers importing the app on a machine busy with other test workers.
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/login", timeout=10).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        log = self.log()
        self.stop()
        raise RuntimeError("gunicorn did not start:\n" + log)

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        """Kill the server and its workers at once (SIGKILL to its process group). The test
        has read what it needed; a graceful stop took about 2 s per server here, each of
        the five processes tearing down the imported app."""
        if self.proc.poll() is None:
            # (suppressed: it may be gone between poll() and killpg())
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()  # reaped here, not reported later as a leaked subprocess
        self._log.close()


@pytest.fixture
def gunicorn_factory(live_db):
    servers: list[Server] = []

    def start(workers: int = 4) -> Server:
        live_db.dispose()  # the test process holds no connection while workers write
        server = Server(live_db, workers)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# Under pytest-xdist the tests of this folder run on one worker, one after another
# (tests/scheduling.py), so two storms never compete for the same cores.
