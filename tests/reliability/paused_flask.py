"""The ``flask`` command line with a pause inside the round-publishing transaction, so a test
can kill the process there (tests/reliability/test_processor_crash.py)::

    python -m tests.reliability.paused_flask POINT SECONDS FLASK-ARGS...

``POINT`` is where to stop, with the transaction still open:

- ``rows``: right after the first INSERT of result rows (``round_results``);
- ``publish``: right after the fencing UPDATE that marks the round published, before the
  commit: every result row is written and the round says "published".

The pause is an SQLAlchemy event listener installed here, in the test process's child: the
application itself has no test hook. It prints ``paused at POINT`` to stderr, then sleeps.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from flask.cli import main as flask_main
from sqlalchemy import event
from sqlalchemy.engine import Engine

POINTS = ("rows", "publish")


def is_pause_point(point: str, statement: str, parameters: Any) -> bool:
    sql = " ".join(statement.split()).lower()
    if point == "rows":
        return sql.startswith("insert into round_results")
    return sql.startswith("update rounds set status=") and "published" in repr(parameters)


def install_pause(point: str, seconds: float) -> None:
    if point not in POINTS:
        raise SystemExit(f"unknown pause point {point!r}; expected one of {POINTS}")

    def after_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if is_pause_point(point, statement, parameters):
            print(f"paused at {point}", file=sys.stderr, flush=True)
            time.sleep(seconds)

    event.listen(Engine, "after_cursor_execute", after_cursor_execute)


if __name__ == "__main__":
    point, seconds, *flask_args = sys.argv[1:]
    install_pause(point, float(seconds))
    sys.argv = ["flask", *flask_args]
    flask_main()
