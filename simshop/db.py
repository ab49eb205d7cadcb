"""Database setup: the declarative base, the Flask-SQLAlchemy handle and SQLite tuning.

SQLite settings follow SQLAlchemy's pysqlite "serializable isolation" recipe: the driver's
own transaction handling is switched off and SQLAlchemy's ``begin`` event starts each
transaction itself. A write transaction (one opened by the unit of work,
:func:`simshop.services.uow.transaction`, which marks it with :func:`write_intent`) starts
with ``BEGIN IMMEDIATE``, so a read-then-write transaction waits for the write lock (up to the
busy timeout) instead of failing with "database is locked" halfway through. Every other
transaction (a page view's reads) starts with a deferred ``BEGIN``: under WAL it reads a
snapshot and never waits for, or blocks, a writer.
WAL is switched on once, when the database is initialised (``init_db``): running that
PRAGMA on every new connection races when several workers open a fresh file together.

PostgreSQL sessions run in UTC (``SET TIME ZONE 'UTC'`` on connect): timestamps are stored
as instants either way, but PostgreSQL hands them back in the session's time zone, which is
the server's (often the school's, e.g. Asia/Shanghai). In UTC they read back like SQLite's,
so exports, bundles and comparisons do not depend on where the server stands.

A pooled PostgreSQL connection that sat idle for ``DB_PING_AFTER_IDLE_SECONDS`` is pinged
before it is handed out (:func:`ping_idle_connections`), so a restarted database server
costs no request an error. SQLAlchemy's ``pool_pre_ping`` would ping on *every* checkout:
one more round trip per request, about 0.2 ms of the app's CPU on this machine, while a
connection used a moment ago is alive.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, MetaData, event, exc
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

# Named constraints make Alembic's batch mode (SQLite ALTER TABLE) and PostgreSQL agree.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 5000


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def _on_sqlite_connect(dbapi_conn: Any, _connection_record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_sqlite_begin).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the app or the
    # OS loses nothing and corrupts nothing; a power cut may lose the last commits. FULL made
    # every save wait for the disk (~30 ms here), which queues a deadline storm.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# True while the code running in this thread (or task) is inside a unit of work: the next
# SQLite transaction it begins is a write transaction.
_WRITE_INTENT: ContextVar[bool] = ContextVar("simshop_write_intent", default=False)
# Set on the connection (its ``info``) when its current transaction began IMMEDIATE.
IMMEDIATE = "simshop_immediate"


@contextmanager
def write_intent() -> Iterator[None]:
    """Within the block, SQLite transactions begin ``BEGIN IMMEDIATE`` (the write lock)."""
    token = _WRITE_INTENT.set(True)
    try:
        yield
    finally:
        _WRITE_INTENT.reset(token)


_CHANGES_AT_BEGIN = "simshop_changes_at_begin"


def _on_sqlite_begin(conn: Any) -> None:
    immediate = _WRITE_INTENT.get()
    conn.info[IMMEDIATE] = immediate
    conn.info[_CHANGES_AT_BEGIN] = conn.connection.dbapi_connection.total_changes
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def end_deferred_read(session: Session) -> None:
    """Before a write transaction starts in ``session``: end the deferred (read-only) SQLite
    transaction it may be in, so the write begins afresh with ``BEGIN IMMEDIATE``.

    Upgrading a deferred read to a write fails at once with "database is locked" (SQLite
    does not wait: the snapshot it read may be stale) whenever another connection wrote in
    between. Nothing is lost by ending it: objects it loaded are reloaded on next access.
    It is left alone when it is not SQLite, already IMMEDIATE, or holds changes (pending
    objects or rows already written: it then holds the write lock already).
    """
    if isinstance(session, scoped_session):  # Flask-SQLAlchemy's db.session
        session = session()
    if not session.in_transaction():
        return
    conn = session.connection()
    if conn.dialect.name != "sqlite" or conn.info.get(IMMEDIATE, True):
        return
    if session.new or session.dirty or session.deleted:
        return
    if conn.connection.dbapi_connection.total_changes != conn.info.get(_CHANGES_AT_BEGIN):
        return
    session.rollback()


def configure_sqlite(engine: Engine) -> None:
    """Install the pragmas and the transaction begin (IMMEDIATE for writes, deferred for
    reads) on an SQLite engine (no-op elsewhere)."""
    if engine.dialect.name != "sqlite":
        return
    if not event.contains(engine, "connect", _on_sqlite_connect):
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)


def _on_postgresql_connect(dbapi_conn: Any, _connection_record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.close()
    dbapi_conn.commit()  # SET outlives the transaction; end it so the pool gets it idle


def configure_postgresql(engine: Engine) -> None:
    """Run every PostgreSQL session in UTC (no-op elsewhere)."""
    if engine.dialect.name != "postgresql":
        return
    if not event.contains(engine, "connect", _on_postgresql_connect):
        event.listen(engine, "connect", _on_postgresql_connect)


_CHECKED_IN_AT = "simshop_checked_in_at"
_PINGING: weakref.WeakSet[Engine] = weakref.WeakSet()


def ping_idle_connections(engine: Engine, after_seconds: float) -> None:
    """Ping a pooled connection on checkout when it was last returned more than
    ``after_seconds`` ago (no-op for SQLite, whose connections cannot drop). A failed ping
    invalidates the pool and the checkout retries with a new connection, as
    ``pool_pre_ping`` does; a connection returned more recently is handed out as it is."""
    if engine.dialect.name == "sqlite" or engine in _PINGING:
        return
    _PINGING.add(engine)
    dialect = engine.dialect

    def ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_CHECKED_IN_AT)
        if returned is None or time.monotonic() - returned < after_seconds:
            return  # new (it has just answered), or used a moment ago
        try:
            dialect.do_ping(dbapi_conn)
        except Exception as error:
            raise exc.InvalidatePoolError(f"ping of an idle connection failed: {error}") from error

    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", ping_if_idle)


def _note_checkin(_dbapi_conn: Any, record: Any) -> None:
    if record is not None:
        record.info[_CHECKED_IN_AT] = time.monotonic()


def enable_wal(engine: Engine) -> str | None:
    """Switch an SQLite file database to WAL; the mode persists in the file.

    Returns the journal mode now in force, or None for non-SQLite databases.
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if mode.lower() != "wal":
            mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        cursor.close()
    finally:
        raw.close()
    return str(mode).lower()


def init_app(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            configure_sqlite(engine)
            configure_postgresql(engine)
            ping_idle_connections(engine, app.config["DB_PING_AFTER_IDLE_SECONDS"])


def init_db() -> None:
    """Create the database if needed and migrate it to the latest schema.

    Must run inside an application context. Safe to run again: Alembic only applies
    missing revisions.
    """
    from flask_migrate import upgrade

    enable_wal(db.engine)
    upgrade()
