"""One unit of work per service call: commit on success, roll back on any exception.

Services never call ``commit()`` or ``rollback()`` by hand. A use case is either decorated
with :func:`unit_of_work` (its first argument is the session) or wraps the part that writes
in ``with transaction(session):``. A refusal is then simply ``raise SomeError(...)``: the
exception leaves the block, everything written in it is rolled back, and the error reaches
the caller unchanged.

Units nest: a unit of work called inside another one joins it (only the outermost block
commits or rolls back), so a service may call another service's use case and both land in
one transaction.

:func:`end_read` ends a read-only transaction early, before slow work that must hold no lock
(inside a unit of work SQLite's ``BEGIN IMMEDIATE`` takes the write lock with the first read).

On SQLite the outermost unit of work is a write transaction: it begins ``BEGIN IMMEDIATE``
(:func:`simshop.db.write_intent`), after ending any read-only transaction the session was in
(:func:`simshop.db.end_deferred_read`). Everything outside a unit of work (a page view's
reads) runs in deferred transactions, which never take or wait for the write lock.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from simshop.db import end_deferred_read, write_intent

P = ParamSpec("P")
T = TypeVar("T")

_DEPTH = "simshop_uow_depth"


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """Run the block as one transaction: commit when it ends normally, roll back when any
    exception (a refusal, a constraint violation, a crash) leaves it, then re-raise."""
    depth = session.info.get(_DEPTH, 0)
    if depth == 0:
        with write_intent():
            end_deferred_read(session)
            with _counted(session, depth):
                yield session
    else:
        with _counted(session, depth):
            yield session


@contextmanager
def _counted(session: Session, depth: int) -> Iterator[Session]:
    session.info[_DEPTH] = depth + 1
    try:
        yield session
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    else:
        if depth == 0:
            try:
                session.commit()
            except BaseException:
                session.rollback()  # a failed flush leaves the session needing one
                raise
    finally:
        session.info[_DEPTH] = depth


def unit_of_work(fn: Callable[Concatenate[Session, P], T]) -> Callable[Concatenate[Session, P], T]:
    """Decorate a service function whose first argument is the session so that the whole
    call is one :func:`transaction`."""

    @functools.wraps(fn)
    def wrapper(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with transaction(session):
            return fn(session, *args, **kwargs)

    return wrapper


def end_read(session: Session) -> None:
    """End the current read-only transaction without writing anything (a no-op inside a
    unit of work, whose end decides)."""
    if session.info.get(_DEPTH, 0) == 0:
        session.rollback()
