"""Configuration defaults, environment overrides and the generated secret key.

Order of precedence (lowest first): the defaults below, ``instance/config.py`` (optional),
environment variables, then the ``test_config`` mapping given to ``create_app``.
Secrets never live in code: ``SECRET_KEY`` comes from the environment or from
``instance/secret_key``, which is generated on first run.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

SECRET_KEY_FILENAME = "secret_key"
DATABASE_FILENAME = "simshop.sqlite"


class Defaults:
    """Settings every deployment starts from. Only UPPERCASE attributes are loaded."""

    # Filled in by create_app: from the environment or instance/secret_key.
    SECRET_KEY: str | None = None
    # Filled in by create_app: sqlite:///<instance>/simshop.sqlite unless DATABASE_URL is set.
    SQLALCHEMY_DATABASE_URI: str | None = None

    # argon2id for passwords, at the OWASP minimum (m=19 MiB, t=2, p=1; simshop/security.py).
    # Hashes made with other parameters are upgraded at the next successful login.
    PASSWORD_HASH_PARAMETERS: dict[str, int] = {
        "time_cost": 2,
        "memory_cost": 19456,
        "parallelism": 1,
    }

    # Cookies: not readable from JS, not sent on cross-site subrequests.
    SESSION_COOKIE_NAME = "simshop_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    LOCALE_COOKIE_NAME = "simshop_locale"

    # Uploads (scenario files, rosters) are small; refuse anything bigger early.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024

    # Our forms give explicit, translated messages for every validator.
    WTF_I18N_ENABLED = False
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    # Every app states it: Flask-Limiter keeps the last app's choice as the default for the next.
    RATELIMIT_ENABLED = True
    # Naming the in-memory store explicitly states the choice (and silences
    # Flask-Limiter's warning). It counts per process: use redis:// with several workers.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    # Failed logins (never successful ones) per account: past the limit the account is
    # locked until the window has passed; a correct password then logs in and clears the
    # count. Sprayed logins are limited by the failures per client address.
    LOGIN_FAILURE_LIMIT = "10 per minute"
    LOGIN_ADDRESS_FAILURE_LIMIT = "50 per 10 minutes"
    # Join-code tries per logged-in user; registrations per client address.
    JOIN_RATE_LIMIT = "20 per 10 minutes"
    REGISTER_RATE_LIMIT = "60 per hour"
    # Reverse proxies in front of SimShop that set X-Forwarded-For/-Proto/-Host (nginx,
    # a load balancer): 0 trusts none (direct exposure), 1 = one nginx. The limits above
    # key on the client address, so behind a proxy this must be set or every client
    # shares the proxy's address.
    TRUSTED_PROXIES = 0

    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    # A pooled PostgreSQL connection idle this long is pinged before use (simshop/db.py).
    DB_PING_AFTER_IDLE_SECONDS = 2.0

    # The classroom projector polls its update endpoint this often (seconds; ETag/304 makes
    # an unchanged poll cheap) and shows at most this many teams.
    PROJECTOR_POLL_SECONDS = 5
    PROJECTOR_MAX_ROWS = 20
    # How long a worker answers an unchanged projector poll with 304 from memory before it
    # looks at the database again (saved decisions, teams, round states). A publish is seen
    # sooner: through the results version (services/live.py), cached RESULTS_VERSION_TTL.
    PROJECTOR_RECHECK_SECONDS = 2.0
    RESULTS_VERSION_TTL = 1.0

    # Shared state for several app servers (redis://host:6379/0): the rate-limit counters
    # (unless RATELIMIT_STORAGE_URI names another store) and the results versions. Keys
    # start with REDIS_PREFIX, so several SimShop sites may share one Redis.
    REDIS_URL: str | None = None
    REDIS_PREFIX = "simshop"

    # LTI 1.3: the tool's private key (PEM), generated on first use; None: instance/
    # lti_private_key.pem. LTI_TOOL_URL (e.g. https://simshop.example.edu) is only used by
    # ``flask lti add-platform`` to print the addresses to give the platform.
    LTI_PRIVATE_KEY_PATH: str | None = None
    # Login initiations per client address (each stores a launch state).
    LTI_LOGIN_RATE_LIMIT = "60 per minute"
    LTI_TOOL_URL: str | None = None


def _as_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Return the settings that environment variables override."""
    overrides: dict[str, Any] = {}
    if environ.get("SECRET_KEY"):
        overrides["SECRET_KEY"] = environ["SECRET_KEY"]
    if environ.get("DATABASE_URL"):
        url = environ["DATABASE_URL"]
        # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants a driver too.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgres://")
        overrides["SQLALCHEMY_DATABASE_URI"] = url
    if environ.get("TRUSTED_PROXIES"):
        overrides["TRUSTED_PROXIES"] = int(environ["TRUSTED_PROXIES"])
    if environ.get("REDIS_URL"):
        overrides["REDIS_URL"] = environ["REDIS_URL"]
    if environ.get("REDIS_PREFIX"):
        overrides["REDIS_PREFIX"] = environ["REDIS_PREFIX"]
    if environ.get("RATELIMIT_STORAGE_URI"):
        overrides["RATELIMIT_STORAGE_URI"] = environ["RATELIMIT_STORAGE_URI"]
    if environ.get("SESSION_COOKIE_SECURE"):
        secure = _as_bool(environ["SESSION_COOKIE_SECURE"])
        overrides["SESSION_COOKIE_SECURE"] = secure
        overrides["REMEMBER_COOKIE_SECURE"] = secure
    return overrides


def create_once(path: str, content: bytes) -> bytes:
    """The bytes of ``path``, writing ``content`` there first (mode 0600) if it is missing.

    Several gunicorn workers may start at once on a fresh instance folder, so the file is
    written to a private temporary file and hard-linked into place: exactly one worker's
    content wins and every worker reads that same content.
    """
    if not os.path.exists(path):
        tmp_path = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            # If another process won the race, its file is the one everybody uses.
            with contextlib.suppress(FileExistsError):
                os.link(tmp_path, path)
        finally:
            os.unlink(tmp_path)
    with open(path, "rb") as handle:
        return handle.read()


def load_or_create_secret_key(instance_path: str) -> str:
    """Read ``instance/secret_key``, creating it (mode 0600) with a random key if missing
    (:func:`create_once`)."""
    path = os.path.join(instance_path, SECRET_KEY_FILENAME)
    fresh = (secrets.token_hex(32) + "\n").encode("ascii")
    key = create_once(path, fresh).decode("ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds a secret key that is too short; delete it to regenerate")
    return key


def default_database_uri(instance_path: str) -> str:
    return "sqlite:///" + os.path.join(instance_path, DATABASE_FILENAME)
