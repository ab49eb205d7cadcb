"""Shared fixtures, in the style of the Flask tutorial (flaskr).

- ``app``: an application on a fresh temporary SQLite file, a copy of one file migrated with
  Alembic once per session (``sqlite_template``); in modules marked ``both_backends``, each
  test runs twice: ``[sqlite]`` and ``[postgresql]`` (a fresh copy of a migrated template
  database on a throwaway server, see tests/pg.py).
- ``client`` / ``runner``: Flask's test client and CLI runner.
- ``make_user``: a factory fixture; ``make_user(role="instructor")`` returns a saved User.
- ``auth``: ``auth.login(login, password)`` / ``auth.logout()`` through the real forms.
- ``submit``: POST a form with a valid CSRF token taken from a page, like a browser would.

CSRF protection stays on in tests so that every form is exercised the way browsers use it.
"""

from __future__ import annotations

import copy
import itertools
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.test import TestResponse

from simshop import create_app
from simshop.db import db, init_db
from simshop.models import User
from tests.pg import (
    TEMPLATE_DB,
    pg_cluster,  # noqa: F401 - the session's PostgreSQL server (a fixture)
)
from tests.reliability.gamekit import password_hash
from tests.scheduling import pytest_xdist_make_scheduler  # noqa: F401 - an xdist hook
from tests.speedups import SHARED_TEMPLATE_CODE, memoize_url_builders, use_memory_tmpdir

use_memory_tmpdir()
memoize_url_builders()

DEFAULT_PASSWORD = "plum orchard seventeen"
# Test apps hash passwords with argon2id at the library's minimum cost (8 KiB, one pass):
# the suite logs in about 500 times, at ~17 ms of CPU each with the production parameters.
# Still a real argon2id hash, verified and upgraded by the production code paths;
# tests/services/test_password_hashing.py pins the production defaults.
TEST_HASH_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}

CSRF_INPUT_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


BACKENDS = ("sqlite", "postgresql")


def database_uri(database: str) -> str:
    """An SQLAlchemy URL as is, or a file path for SQLite."""
    return database if "://" in database else f"sqlite:///{database}"


def make_test_config(database: str, **overrides: object) -> dict[str, object]:
    config: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_uri(database),
        "PASSWORD_HASH_PARAMETERS": TEST_HASH_PARAMETERS,
    }
    config.update(overrides)
    return config


def build_app(database: str, *, migrate: bool = True, **overrides: object) -> Flask:
    """Create an app on ``database`` (an SQLite file path or a URL) and migrate it to the
    latest schema (``migrate=False``: it already is)."""
    app = create_app(make_test_config(database, **overrides))
    app.jinja_env.bytecode_cache = SHARED_TEMPLATE_CODE
    if migrate:
        with app.app_context():
            init_db()
    return app


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests of modules marked ``both_backends`` on SQLite and on PostgreSQL."""
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_backends"
    ):
        metafunc.parametrize(
            "backend",
            ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)],
            indirect=True,
        )


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database the test runs on: ``sqlite`` unless parametrized (``both_backends``, or
    ``@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)``)."""
    name = getattr(request, "param", "sqlite")
    assert name in BACKENDS, name
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated with Alembic once per session (per xdist worker: each has its
    own base temp folder); every test that needs a migrated database gets a copy of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "simshop.sqlite"
    dispose(build_app(str(path)))
    # The last connection closed checkpoints the WAL into the file: the file alone is the
    # database (its journal mode, WAL, is stored in the file and survives the copy).
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the template's WAL was not checkpointed"
    return path


class DatabaseFactory:
    """Fresh databases for one test: SQLite files in ``tmp_path`` (copies of the session's
    migrated template file), or PostgreSQL databases copied from the session's migrated
    template database (dropped when the test ends)."""

    def __init__(self, backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
        self.backend = backend
        self.tmp_path = tmp_path
        self.request = request
        self.numbers = itertools.count(1)
        self.created: list[str] = []

    def __call__(self, *, migrated: bool = True, copy_of: str | None = None) -> str:
        """A new database's URL; ``migrated``: already at the latest schema, else empty;
        ``copy_of``: a copy of that snapshot (``DatabaseSnapshots``) instead."""
        n = next(self.numbers)
        if self.backend == "sqlite":
            path = self.tmp_path / ("simshop.sqlite" if n == 1 else f"app{n}.sqlite")
            if copy_of is not None:
                shutil.copyfile(copy_of, path)
            elif migrated:
                shutil.copyfile(self.request.getfixturevalue("sqlite_template"), path)
            return database_uri(str(path))
        cluster = self.request.getfixturevalue("pg_cluster")
        name = cluster.create_database(copy_of or (TEMPLATE_DB if migrated else "template0"))
        self.created.append(name)
        return cluster.url(name)

    def snapshot(self, url: str, name: str) -> str:
        """Keep a copy of the database at ``url`` (no connection may be open) for the rest
        of the session; returns what ``copy_of`` takes."""
        if self.backend == "sqlite":
            source = Path(url.removeprefix("sqlite:///"))
            wal = source.with_name(source.name + "-wal")
            assert not wal.exists() or wal.stat().st_size == 0, "a connection is still open"
            kept = self.request.getfixturevalue("database_snapshots").folder / f"{name}.sqlite"
            shutil.copyfile(source, kept)
            return str(kept)
        cluster = self.request.getfixturevalue("pg_cluster")
        return cluster.create_database(url.rsplit("/", 1)[1])

    def drop_all(self) -> None:
        if self.created:
            cluster = self.request.getfixturevalue("pg_cluster")
            for name in self.created:
                cluster.drop_database(name)


@pytest.fixture
def new_database(backend: str, tmp_path, request) -> Iterator[DatabaseFactory]:
    """``new_database(migrated=True)``: the URL of a fresh database on this test's backend."""
    factory = DatabaseFactory(backend, tmp_path, request)
    yield factory
    factory.drop_all()


class DatabaseSnapshots:
    """Seeded databases kept for the session (per xdist worker and backend): a fixture
    that builds an expensive world (a game with published rounds) builds it once, and every
    later test gets a fresh copy of the result (a file copy, or ``CREATE DATABASE ...
    TEMPLATE``) and the same plain value (ids), so each test still starts from the same,
    untouched state."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: dict[tuple[str, str], tuple[str, object]] = {}

    def database(
        self,
        factory: DatabaseFactory,
        key: str,
        build: Callable[[Flask], object],
        config: dict[str, object],
    ) -> tuple[str, object]:
        """A database seeded by ``build(app)`` and what ``build`` returned: built on first
        use, a copy of the kept snapshot afterwards. ``build`` returns plain data only."""
        taken = self.taken.get((factory.backend, key))
        if taken is not None:
            source, value = taken
            return factory(copy_of=source), copy.deepcopy(value)
        url = factory()
        app = build_app(url, migrate=False, **config)
        try:
            value = build(app)
        finally:
            dispose(app)
        name = f"snapshot_{len(self.taken) + 1}"
        self.taken[(factory.backend, key)] = (factory.snapshot(url, name), value)
        return url, copy.deepcopy(value)


@pytest.fixture(scope="session")
def database_snapshots(tmp_path_factory: pytest.TempPathFactory) -> DatabaseSnapshots:
    return DatabaseSnapshots(tmp_path_factory.mktemp("snapshots"))


@pytest.fixture
def seeded_app(
    new_database: DatabaseFactory, app_config, database_snapshots: DatabaseSnapshots
) -> Iterator[Callable[[str, Callable[[Flask], object]], tuple[Flask, object]]]:
    """``seeded_app(key, build)``: ``(app, value)``, an app on a fresh copy of the database
    ``build(app)`` seeded (once per worker and backend for ``key``) and ``build``'s value.
    A module overrides ``app`` with it to start every test from an expensive world."""
    apps: list[Flask] = []

    def create(key: str, build: Callable[[Flask], object]) -> tuple[Flask, object]:
        url, value = database_snapshots.database(new_database, key, build, app_config)
        app = build_app(url, migrate=False, **app_config)
        apps.append(app)
        return app, value

    yield create
    for app in apps:
        dispose(app)


@pytest.fixture
def app_config() -> dict[str, object]:
    """Extra settings for the ``app`` fixture; override this fixture in a module to change them."""
    return {}


@pytest.fixture
def app(new_database: DatabaseFactory, app_config) -> Iterator[Flask]:
    app = build_app(new_database(), migrate=False, **app_config)
    yield app
    dispose(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def csrf_token_from(html: str) -> str:
    match = CSRF_INPUT_RE.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def get_csrf_token(client: FlaskClient, page: str = "/login") -> str:
    """The CSRF token a browser would see on ``page`` (every page has one in its header)."""
    response = client.get(page)
    try:
        return csrf_token_from(response.get_data(as_text=True))
    finally:
        response.close()


@pytest.fixture
def submit(client: FlaskClient) -> Callable[..., TestResponse]:
    """POST ``data`` to ``url`` with a CSRF token read from ``page`` (default: ``url``)."""

    def post(
        url: str,
        data: dict[str, str] | None = None,
        *,
        page: str | None = None,
        follow_redirects: bool = False,
        **kwargs: object,
    ) -> TestResponse:
        token = get_csrf_token(client, page or url)
        form = {"csrf_token": token, **(data or {})}
        return client.post(url, data=form, follow_redirects=follow_redirects, **kwargs)

    return post


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Return a function that saves a user and returns it (detached, attributes loaded)."""
    numbers = itertools.count(1)

    def create(
        role: str = "student",
        *,
        login: str | None = None,
        display_name: str | None = None,
        password: str = DEFAULT_PASSWORD,
        **fields: object,
    ) -> User:
        n = next(numbers)
        login = (login or f"{role}{n:03d}").lower()
        with app.app_context():
            user = User(
                login=login,
                display_name=display_name or f"Test {role.title()} {n}",
                role=role,
                password_hash=password_hash(password),  # one hash per password (cached)
                **fields,
            )
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return create


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(
        self, login: str, password: str = DEFAULT_PASSWORD, *, follow_redirects: bool = False
    ) -> TestResponse:
        token = get_csrf_token(self._client, "/login")
        return self._client.post(
            "/login",
            data={"login": login, "password": password, "csrf_token": token},
            follow_redirects=follow_redirects,
        )

    def logout(self, *, follow_redirects: bool = False) -> TestResponse:
        token = get_csrf_token(self._client, "/dashboard")
        return self._client.post(
            "/logout", data={"csrf_token": token}, follow_redirects=follow_redirects
        )


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def default_password() -> str:
    """The password ``make_user`` and ``auth.login`` use unless told otherwise."""
    return DEFAULT_PASSWORD


# Test modules cannot import from conftest reliably (several conftest.py files share that
# module name), so the helpers are also offered as fixtures.


@pytest.fixture
def csrf_token() -> Callable[[FlaskClient, str], str]:
    """``csrf_token(client, page)``: the token a browser would see on ``page``."""
    return get_csrf_token


@pytest.fixture
def auth_for() -> Callable[[FlaskClient], AuthActions]:
    """``auth_for(other_client)``: AuthActions for a second browser."""
    return AuthActions


def dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_factory(new_database: DatabaseFactory) -> Iterator[Callable[..., Flask]]:
    """``app_factory(**config)``: another migrated app, on its own temporary database."""
    apps: list[Flask] = []

    def create(**overrides: object) -> Flask:
        app = build_app(new_database(), migrate=False, **overrides)
        apps.append(app)
        return app

    yield create
    for app in apps:
        dispose(app)
