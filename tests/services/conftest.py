from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from functools import partial
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from simshop.db import db
from simshop.models import Game, Team, User
from tests.services.test_analysis import build_world_ids, world_key

# The rows ``tests/services/test_analysis.py::build_world`` makes, by name.
WORLD_ROWS = {
    "game": Game,
    "teacher": User,
    "alice": User,
    "bob": User,
    "alpha": Team,
    "beta": Team,
}


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """The application's database session, inside an application context."""
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def played_world(seeded_app) -> Iterator[Callable[..., tuple[Session, SimpleNamespace]]]:
    """``played_world(**options)``: ``(session, world)``, a session (inside an application
    context) on a fresh copy of the game ``build_world(session, **options)`` of
    tests/services/test_analysis.py plays, and that world's rows. The game is played once
    per worker, backend and options (``seeded_app``); use it instead of the ``session``
    fixture."""
    with ExitStack() as stack:

        def open_world(**options) -> tuple[Session, SimpleNamespace]:
            app, ids = seeded_app(world_key(**options), partial(build_world_ids, **options))
            stack.enter_context(app.app_context())
            stack.callback(db.session.rollback)
            world = SimpleNamespace(
                **{name: db.session.get(model, ids[name]) for name, model in WORLD_ROWS.items()}
            )
            return db.session, world

        yield open_world
