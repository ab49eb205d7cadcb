"""create_app: configuration sources and the generated secret key."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import text

from simshop import config, create_app


def test_secret_key_is_generated_once_with_private_permissions(tmp_path):
    first = config.load_or_create_secret_key(str(tmp_path))
    second = config.load_or_create_secret_key(str(tmp_path))

    assert first == second
    assert len(first) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temp files left


def test_a_truncated_secret_key_file_is_refused(tmp_path):
    (tmp_path / "secret_key").write_text("short\n")
    with pytest.raises(RuntimeError, match="too short"):
        config.load_or_create_secret_key(str(tmp_path))


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://?from=env")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")

    app = create_app({"TESTING": True})

    assert app.config["SECRET_KEY"] == "k" * 40
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite")
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://?from=env"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_heroku_style_postgres_urls_get_a_driver():
    overrides = config.from_environment({"DATABASE_URL": "postgres://u:p@db/simshop"})
    assert overrides["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/simshop"


def test_defaults_are_safe(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert not app.debug


@pytest.mark.both_backends
def test_building_the_app_opens_no_database_connection(new_database, backend):
    """gunicorn ``--preload`` (the reliability tests' servers) builds the app once and forks
    the workers from it: a connection opened before the fork would be shared by every
    worker. Building the app opens none: its pool holds no connection, in or out."""
    from simshop.db import db

    app = create_app(
        {"SECRET_KEY": "f" * 64, "SQLALCHEMY_DATABASE_URI": new_database(), "TESTING": True}
    )
    with app.app_context():
        pool = db.engine.pool
        assert (pool.checkedin(), pool.checkedout()) == (0, 0)
        db.session.execute(text("SELECT 1"))  # the control: a query does open one
        db.session.remove()
        assert pool.checkedin() == 1
        db.engine.dispose()
