from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from simshop.db import db


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """The application's database session, inside an application context."""
    with app.app_context():
        yield db.session
        db.session.rollback()
