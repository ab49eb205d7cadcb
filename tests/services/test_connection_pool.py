"""Pooled PostgreSQL connections are pinged only after sitting idle (simshop/db.py).

SQLAlchemy's ``pool_pre_ping`` pinged on every checkout: one round trip more per request. A
connection returned a moment ago is handed out as it is; one idle past
``DB_PING_AFTER_IDLE_SECONDS`` is pinged first, and when the database dropped it (a restart,
an idle timeout) the pool reconnects and the request is served as usual.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from simshop.extensions import db

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]


def _pings(app, monkeypatch) -> list[object]:
    seen: list[object] = []
    with app.app_context():
        dialect = db.engine.dialect
    real = dialect.do_ping

    def counted(dbapi_conn):
        seen.append(dbapi_conn)
        return real(dbapi_conn)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return seen


def _backend_pid(app) -> int:
    with app.app_context():
        try:
            return db.session.scalar(text("SELECT pg_backend_pid()"))
        finally:
            db.session.remove()


def _drop(app, pid: int) -> None:
    """The database server ends the pooled connection ``pid`` (from a connection of its own)."""
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    try:
        with other.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        other.dispose()


@pytest.mark.parametrize("app_config", [{"DB_PING_AFTER_IDLE_SECONDS": 60.0}])
def test_a_connection_used_a_moment_ago_is_not_pinged(app, monkeypatch):
    pings = _pings(app, monkeypatch)
    first = _backend_pid(app)
    for _ in range(5):
        assert _backend_pid(app) == first  # the same pooled connection, every time
    assert pings == []


@pytest.mark.parametrize("app_config", [{"DB_PING_AFTER_IDLE_SECONDS": 0.0}])
def test_an_idle_connection_is_pinged_and_a_dropped_one_replaced(app, monkeypatch):
    pings = _pings(app, monkeypatch)
    first = _backend_pid(app)
    assert pings == []  # a new connection has just answered: no ping
    assert _backend_pid(app) == first
    assert len(pings) == 1  # returned, then idle past the limit (0 s): pinged

    _drop(app, first)  # as a restart or an idle timeout would
    replaced = _backend_pid(app)  # the ping fails, the pool reconnects: no error
    assert replaced != first
    assert len(pings) == 2


@pytest.mark.parametrize("app_config", [{"DB_PING_AFTER_IDLE_SECONDS": 60.0}])
def test_without_the_ping_a_dropped_connection_fails_the_request(app, monkeypatch):
    """The control: the replacement above is the ping's doing."""
    first = _backend_pid(app)
    _drop(app, first)
    with pytest.raises(Exception, match="terminat|closed|connection"):
        _backend_pid(app)
    assert _backend_pid(app) != first  # SQLAlchemy then invalidates the pool
