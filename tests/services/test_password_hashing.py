"""Passwords are hashed with argon2id at the OWASP minimum in production; the test suite's
cheaper parameters (tests/conftest.py) exist only in test apps."""

from __future__ import annotations

from argon2 import PasswordHasher

from simshop import create_app
from simshop.config import Defaults
from simshop.security import (
    DEFAULT_HASH_PARAMETERS,
    burn_verify_time,
    hash_password,
    password_needs_rehash,
    verify_password,
)

PASSWORD = "amber lantern harbour"
PRODUCTION_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"


def test_the_production_parameters_are_argon2id_at_the_owasp_minimum():
    assert Defaults.PASSWORD_HASH_PARAMETERS == {
        "time_cost": 2,
        "memory_cost": 19456,
        "parallelism": 1,
    }
    assert DEFAULT_HASH_PARAMETERS == Defaults.PASSWORD_HASH_PARAMETERS


def test_an_app_without_overrides_hashes_with_the_production_parameters(tmp_path):
    app = create_app(
        {
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.sqlite'}",
        }
    )
    with app.app_context():
        stored = hash_password(PASSWORD)
        assert stored.startswith(PRODUCTION_PREFIX)
        assert verify_password(stored, PASSWORD)
        assert not password_needs_rehash(stored)


def test_outside_an_app_the_production_parameters_apply():
    stored = hash_password(PASSWORD)
    assert stored.startswith(PRODUCTION_PREFIX)
    assert not password_needs_rehash(stored)


def test_test_apps_hash_cheaply_and_production_apps_ask_to_upgrade_those_hashes(app, tmp_path):
    with app.app_context():
        cheap = hash_password(PASSWORD)
        assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
        assert not password_needs_rehash(cheap)
        burn_verify_time(PASSWORD)  # a dummy hash with the app's own parameters
    assert verify_password(cheap, PASSWORD)  # a hash carries its own parameters
    assert password_needs_rehash(cheap)  # outside the test app: production parameters


def test_a_hash_made_with_other_parameters_still_verifies_everywhere(app):
    older = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with app.app_context():
        assert verify_password(older, PASSWORD)
        assert not verify_password(older, "wrong password")
        assert password_needs_rehash(older)
