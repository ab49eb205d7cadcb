from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from simshop.models import Role, User
from simshop.security import DEFAULT_HASH_PARAMETERS, PasswordProblem, verify_password
from simshop.services import accounts

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

STRONG = "amber lantern harbour"


def user_count(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def test_register_student_with_student_number(session):
    user = accounts.register_student(
        session, login="  S2026-042 ", display_name="  Li   Wei ", password=STRONG
    )
    assert (user.login, user.student_number, user.email) == ("s2026-042", "s2026-042", None)
    assert user.display_name == "Li Wei"
    assert user.role == Role.STUDENT
    assert user.session_version == 1
    assert verify_password(user.password_hash, STRONG)
    assert user.password_hash.startswith("$argon2id$")


def test_register_student_with_email_stores_it_lowercased(session):
    user = accounts.register_student(
        session, login="Wei.Li@Example.EDU", display_name="Li Wei", password=STRONG
    )
    assert (user.login, user.email, user.student_number) == (
        "wei.li@example.edu",
        "wei.li@example.edu",
        None,
    )


def test_register_refuses_duplicate_login_case_insensitively(session):
    accounts.register_student(session, login="s001", display_name="A", password=STRONG)
    with pytest.raises(accounts.LoginTakenError):
        accounts.register_student(session, login="S001", display_name="B", password=STRONG)
    assert user_count(session) == 1


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", PasswordProblem.TOO_SHORT),
        ("x" * 129, PasswordProblem.TOO_LONG),
        ("password123", PasswordProblem.TOO_COMMON),
        ("QWERTYUIOP", PasswordProblem.TOO_COMMON),
        ("s2026001", PasswordProblem.CONTAINS_LOGIN),
    ],
)
def test_register_refuses_weak_passwords_and_writes_nothing(session, password, problem):
    with pytest.raises(accounts.WeakPasswordError) as excinfo:
        accounts.register_student(
            session, login="s2026001", display_name="Li Wei", password=password
        )
    assert excinfo.value.problem == problem
    assert user_count(session) == 0


def test_long_passphrases_without_composition_rules_are_accepted(session):
    password = "all lowercase words are fine " * 4  # 116 characters, no digits or symbols
    user = accounts.register_student(session, login="s002", display_name="A", password=password)
    assert verify_password(user.password_hash, password)


@pytest.mark.parametrize("login", ["a@", "no spaces@x.org", "ab", "bad login", "x/y", ""])
def test_register_refuses_malformed_logins(session, login):
    with pytest.raises(accounts.InvalidLoginError):
        accounts.register_student(session, login=login, display_name="A", password=STRONG)
    assert user_count(session) == 0


def test_authenticate_accepts_the_right_password_only(session):
    accounts.register_student(session, login="s003", display_name="A", password=STRONG)
    assert accounts.authenticate(session, "S003", STRONG).login == "s003"
    assert accounts.authenticate(session, "s003", STRONG + "x") is None
    assert accounts.authenticate(session, "nobody", STRONG) is None


def test_authenticate_refuses_disabled_accounts(session):
    user = accounts.register_student(session, login="s004", display_name="A", password=STRONG)
    user.is_active = False
    session.commit()
    assert accounts.authenticate(session, "s004", STRONG) is None


# The production parameters, not the test suite's cheap ones (tests/conftest.py).
@pytest.mark.parametrize("app_config", [{"PASSWORD_HASH_PARAMETERS": DEFAULT_HASH_PARAMETERS}])
def test_authenticate_upgrades_hashes_made_with_older_parameters(session):
    user = accounts.register_student(session, login="s005", display_name="A", password=STRONG)
    old_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    user.password_hash = old_hasher.hash(STRONG)
    session.commit()

    accounts.authenticate(session, "s005", STRONG)

    session.refresh(user)
    assert "$m=19456,t=2,p=1$" in user.password_hash
    assert verify_password(user.password_hash, STRONG)


def test_change_password_replaces_hash_and_ends_other_sessions(session):
    user = accounts.register_student(session, login="s006", display_name="A", password=STRONG)
    old_token = user.get_id()

    accounts.change_password(
        session, user, current_password=STRONG, new_password="violet engine morning"
    )

    assert verify_password(user.password_hash, "violet engine morning")
    assert user.session_version == 2
    assert accounts.load_user_for_session(session, old_token) is None
    assert accounts.load_user_for_session(session, user.get_id()).id == user.id


def test_change_password_requires_the_current_password(session):
    user = accounts.register_student(session, login="s007", display_name="A", password=STRONG)
    with pytest.raises(accounts.WrongPasswordError):
        accounts.change_password(
            session, user, current_password="wrong one!", new_password="violet engine morning"
        )
    session.refresh(user)
    assert verify_password(user.password_hash, STRONG)
    assert user.session_version == 1


def test_logout_everywhere_invalidates_issued_session_tokens(session):
    user = accounts.register_student(session, login="s008", display_name="A", password=STRONG)
    token = user.get_id()
    assert accounts.load_user_for_session(session, token) is not None

    accounts.logout_everywhere(session, user.id)

    assert accounts.load_user_for_session(session, token) is None


@pytest.mark.parametrize("token", ["", "1", "1:", ":1", "x:1", "1:x", "999:1", "1:1:1"])
def test_load_user_for_session_rejects_malformed_or_unknown_tokens(session, token):
    assert accounts.load_user_for_session(session, token) is None


def test_create_instructor_with_generated_password_must_change_it(session):
    user, generated = accounts.create_instructor(
        session, login="teacher@school.edu", display_name="Ms Wang"
    )
    assert user.role == Role.INSTRUCTOR
    assert user.must_change_password is True
    assert generated and len(generated) >= 16
    assert verify_password(user.password_hash, generated)


def test_create_instructor_as_admin_with_chosen_password(session):
    user, generated = accounts.create_instructor(
        session, login="root-admin", display_name="Admin", password=STRONG, admin=True
    )
    assert (user.role, generated, user.must_change_password) == (Role.ADMIN, None, False)


def test_seed_demo_accounts_only_seeds_an_empty_database(session):
    issued = accounts.seed_demo_accounts(session)

    assert [c.role for c in issued] == ["instructor", "student", "student", "student"]
    assert len({c.password for c in issued}) == 4
    for credential in issued:
        assert accounts.authenticate(session, credential.login, credential.password)
    assert accounts.seed_demo_accounts(session) == []
    assert user_count(session) == 4
