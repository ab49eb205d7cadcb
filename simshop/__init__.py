"""SimShop: a simulation platform for teaching cross-border e-commerce.

Flask and the extensions are imported inside ``create_app`` on purpose: the simulation
engine lives in ``simshop.engine`` and must be importable without pulling in the web stack
(``import simshop.engine`` runs this file first). tests/test_boundaries.py checks it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def shipped_folder(name: str) -> str:
    """A folder shipped beside the package (``scenarios``, ``migrations``): the checkout's
    own, or, for an installed package (``pip install .``), the copy in <prefix>/share/simshop."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.isfile(os.path.join(root, "pyproject.toml")):  # a checkout
        return os.path.join(root, name)
    return os.path.join(sys.prefix, "share", "simshop", name)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web application.

    ``test_config`` replaces ``instance/config.py`` and takes precedence over everything.
    """
    from flask import Flask

    from simshop import db, i18n, numbers, security, vocabulary
    from simshop.cli import register_cli
    from simshop.extensions import csrf, limiter, login_manager, migrate
    from simshop.views import register_blueprints, register_error_handlers, register_request_guards

    app = Flask(__name__, instance_relative_config=True)
    _configure(app, test_config)
    _wrap_wsgi(app)

    db.init_app(app)
    migrate.init_app(app, db.db, directory=shipped_folder("migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    vocabulary.init_app(app)
    numbers.init_app(app)
    security.init_app(app)
    from simshop.services import live, projector

    projector.forget_all()
    from simshop.views import polls

    polls.forget_readers()
    live.configure(
        ttl_seconds=float(app.config["RESULTS_VERSION_TTL"]),
        redis_url=app.config.get("REDIS_URL"),
        prefix=str(app.config.get("REDIS_PREFIX") or "simshop"),
    )

    register_request_guards(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def _configure(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Defaults, then ``instance/config.py`` (not in tests), the environment, then
    ``test_config``; the secret key, database and shipped folders filled in."""
    from simshop import config

    app.config.from_object(config.Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    app.config.update(config.from_environment(os.environ))
    if test_config is not None:
        app.config.update(test_config)

    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.load_or_create_secret_key(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = config.default_database_uri(app.instance_path)
    # The shipped scenario library (read-only); SCENARIOS_DIR may point elsewhere.
    app.config.setdefault("SCENARIOS_DIR", shipped_folder("scenarios"))
    # The quiz question bank (questions/*.toml, read-only).
    app.config.setdefault("QUESTIONS_DIR", shipped_folder("questions"))

    # With Redis, every server counts rate limits in one place (not per process).
    if app.config.get("REDIS_URL") and app.config.get("RATELIMIT_STORAGE_URI") == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
        app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config.get("REDIS_PREFIX", "simshop"))


def _wrap_wsgi(app: Flask) -> None:
    """The WSGI middlewares: trusted proxies' headers, and unchanged projector polls answered
    before Flask runs (outermost)."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    from simshop.views.polls import UnchangedPolls

    app.wsgi_app = UnchangedPolls(  # type: ignore[method-assign]
        app.wsgi_app,
        flask_app=app,
        session_cookie=app.config["SESSION_COOKIE_NAME"],
        locale_cookie=app.config["LOCALE_COOKIE_NAME"],
        max_rows=int(app.config["PROJECTOR_MAX_ROWS"]),
        config=app.config,
    )
