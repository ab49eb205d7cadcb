"""Password hashing, the password policy and HTTP security headers.

Hashing uses argon2id at the OWASP minimum (m=19 MiB, t=2, p=1): about 17 ms per verify on
two cores, so a class of 200 logging in together stays responsive. The parameters are the
app's ``PASSWORD_HASH_PARAMETERS`` (those defaults; the test suite alone sets cheaper ones,
and a hash made with other parameters is upgraded at the next successful login).
The password policy follows OWASP ASVS 5.0 (6.2.x): at least 8 characters, at most 128,
not one of the commonest passwords, no composition rules, no truncation.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable, Mapping
from enum import StrEnum
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, Response, current_app, g, has_app_context, has_request_context

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128

# argon2id at the OWASP minimum; config.Defaults.PASSWORD_HASH_PARAMETERS names the same.
DEFAULT_HASH_PARAMETERS = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
_HASHER_KEY = "simshop.password_hasher"


@functools.cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher_for(parameters: Mapping[str, int]) -> PasswordHasher:
    """The argon2id hasher with these ``time_cost``, ``memory_cost`` (KiB), ``parallelism``."""
    return _hasher(
        int(parameters["time_cost"]), int(parameters["memory_cost"]), int(parameters["parallelism"])
    )


def password_hasher() -> PasswordHasher:
    """The current app's hasher (``PASSWORD_HASH_PARAMETERS``); outside an app, the default."""
    if has_app_context():
        hasher = current_app.extensions.get(_HASHER_KEY)
        if hasher is not None:
            return hasher
    return hasher_for(DEFAULT_HASH_PARAMETERS)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

FRAME_ANCESTORS_KEY = "frame_ancestors"
"""``flask.g`` key: the origins that may frame this response (set by the LTI pages only; see
``simshop/views/lti_frame.py``). Absent or empty: nobody may (``frame-ancestors 'none'`` and
``X-Frame-Options: DENY``)."""


def content_security_policy(
    frame_ancestors: Iterable[str] = (), form_action: Iterable[str] = ()
) -> str:
    """The app's policy, letting ``frame_ancestors`` (checked origins) frame the page and
    forms post to ``form_action`` besides the app itself."""
    policy = CONTENT_SECURITY_POLICY
    ancestors = " ".join(frame_ancestors)
    if ancestors:
        policy = policy.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")
    actions = " ".join(form_action)
    if actions:
        policy = policy.replace("form-action 'self'", f"form-action 'self' {actions}")
    return policy


SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class PasswordProblem(StrEnum):
    """Why a password is refused; views turn these into translated messages."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    TOO_COMMON = "too_common"
    CONTAINS_LOGIN = "contains_login"


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check with the parameters stored in the hash itself (any argon2 variant)."""
    try:
        return password_hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return password_hasher().check_needs_rehash(password_hash)


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_hex(16))


def burn_verify_time(password: str) -> None:
    """Spend as long as a real verify, so unknown logins cannot be told apart by timing."""
    verify_password(_dummy_hash(password_hasher()), password)


@functools.cache
def common_passwords() -> frozenset[str]:
    text = resources.files("simshop.data").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


def password_problem(password: str, *, context_words: Iterable[str] = ()) -> PasswordProblem | None:
    """Return why ``password`` is not acceptable, or None if it is.

    ``context_words`` are things an attacker knows about the account (its login, its name);
    a password equal to one of them is refused like a common password.
    """
    if len(password) < PASSWORD_MIN_LENGTH:
        return PasswordProblem.TOO_SHORT
    if len(password) > PASSWORD_MAX_LENGTH:
        return PasswordProblem.TOO_LONG
    folded = password.casefold()
    if folded in common_passwords():
        return PasswordProblem.TOO_COMMON
    for word in context_words:
        if word and word.strip().casefold() == folded:
            return PasswordProblem.CONTAINS_LOGIN
    return None


def generate_password() -> str:
    """A random password for seeded or instructor-issued accounts (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def set_security_headers(response: Response) -> Response:
    ancestors = g.get(FRAME_ANCESTORS_KEY) if has_request_context() else None
    for name, value in SECURITY_HEADERS.items():
        if ancestors and name == "X-Frame-Options":
            continue  # frame-ancestors decides; X-Frame-Options cannot name origins
        if ancestors and name == "Content-Security-Policy":
            value = content_security_policy(ancestors)
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.extensions[_HASHER_KEY] = hasher_for(app.config["PASSWORD_HASH_PARAMETERS"])
    app.after_request(set_security_headers)
