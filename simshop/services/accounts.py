"""Accounts: registration, instructors, authentication, passwords and session revocation.

Every function takes the SQLAlchemy session explicitly and commits (or rolls back) exactly
one transaction. Errors are raised as ``AccountError`` subclasses carrying a machine code;
the web and CLI layers turn them into messages in the user's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simshop.errors import CodedError
from simshop.ids import parse_id
from simshop.models import Role, User
from simshop.security import (
    PasswordProblem,
    burn_verify_time,
    generate_password,
    hash_password,
    password_needs_rehash,
    password_problem,
    verify_password,
)
from simshop.services.uow import end_read, transaction, unit_of_work

LOGIN_MAX_LENGTH = 254
DISPLAY_NAME_MAX_LENGTH = 80
STUDENT_NUMBER_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


class AccountError(CodedError):
    """Base class for refusals; ``field`` names the form field at fault, if any."""

    area = "account"


class InvalidLoginError(AccountError):
    field = "login"


class LoginTakenError(AccountError):
    field = "login"


class InvalidDisplayNameError(AccountError):
    field = "display_name"


class WeakPasswordError(AccountError):
    field = "password"

    def __init__(self, problem: PasswordProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


class WrongPasswordError(AccountError):
    field = "current_password"


@dataclass(frozen=True)
class ParsedLogin:
    login: str
    email: str | None
    student_number: str | None


def normalize_login(raw: str) -> str:
    return raw.strip().lower()


def parse_login(raw: str) -> ParsedLogin:
    """Accept a student number (letters, digits, ``.``, ``_``, ``-``; 3–40) or an email.

    Raises ``InvalidLoginError`` for anything else.
    """
    login = normalize_login(raw)
    if not login or len(login) > LOGIN_MAX_LENGTH:
        raise InvalidLoginError("length")
    if "@" in login:
        try:
            result = validate_email(login, check_deliverability=False)
        except EmailNotValidError as exc:
            raise InvalidLoginError("email") from exc
        email = result.normalized.lower()
        return ParsedLogin(login=email, email=email, student_number=None)
    if not STUDENT_NUMBER_RE.match(login):
        raise InvalidLoginError("student_number")
    return ParsedLogin(login=login, email=None, student_number=login)


def _clean_display_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name or len(name) > DISPLAY_NAME_MAX_LENGTH:
        raise InvalidDisplayNameError("length")
    return name


def _check_password(password: str, *, login: str, display_name: str) -> None:
    problem = password_problem(password, context_words=(login, display_name))
    if problem is not None:
        raise WeakPasswordError(problem)


def _insert_user(session: Session, user: User) -> User:
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise LoginTakenError("duplicate") from exc
    return user


def login_exists(session: Session, login: str) -> bool:
    stmt = select(User.id).where(User.login == normalize_login(login))
    return session.scalar(stmt) is not None


@unit_of_work
def register_student(session: Session, *, login: str, display_name: str, password: str) -> User:
    """Create a student account. Raises an ``AccountError`` and writes nothing on refusal."""
    parsed = parse_login(login)
    name = _clean_display_name(display_name)
    _check_password(password, login=parsed.login, display_name=name)
    if login_exists(session, parsed.login):
        raise LoginTakenError("exists")
    user = User(
        login=parsed.login,
        display_name=name,
        email=parsed.email,
        student_number=parsed.student_number,
        role=Role.STUDENT.value,
        password_hash=hash_password(password),
    )
    return _insert_user(session, user)


@unit_of_work
def create_instructor(
    session: Session,
    *,
    login: str,
    display_name: str,
    password: str | None = None,
    email: str | None = None,
    admin: bool = False,
) -> tuple[User, str | None]:
    """Create an instructor (or administrator).

    Without ``password`` a random one is generated, returned, and must be changed at first
    login (ASVS 6.4.1). Returns ``(user, generated_password_or_None)``.
    """
    parsed = parse_login(login)
    name = _clean_display_name(display_name)
    generated = None
    if password is None:
        password = generated = generate_password()
    else:
        _check_password(password, login=parsed.login, display_name=name)
    if email:
        email = parse_login(email).email
    if login_exists(session, parsed.login):
        raise LoginTakenError("exists")
    user = User(
        login=parsed.login,
        display_name=name,
        email=email or parsed.email,
        student_number=None,
        role=(Role.ADMIN if admin else Role.INSTRUCTOR).value,
        password_hash=hash_password(password),
        must_change_password=generated is not None,
    )
    return _insert_user(session, user), generated


def authenticate(session: Session, login: str, password: str) -> User | None:
    """Return the active user with this login and password, or None.

    Unknown logins cost as much time as wrong passwords. A hash made with older argon2
    parameters is upgraded on a successful login (the only write, its own transaction).
    """
    user = session.scalar(select(User).where(User.login == normalize_login(login)))
    stored_hash, active = (user.password_hash, user.is_active) if user else ("", False)
    # argon2 takes tens of milliseconds: end the read first, so no snapshot is held meanwhile.
    end_read(session)
    if user is None:
        burn_verify_time(password)
        return None
    if not verify_password(stored_hash, password) or not active:
        return None
    if password_needs_rehash(stored_hash):
        new_hash = hash_password(password)
        with transaction(session):
            user.password_hash = new_hash
    return user


@unit_of_work
def change_password(
    session: Session, user: User, *, current_password: str, new_password: str
) -> User:
    """Replace the password after checking the current one.

    Bumps ``session_version``, so every other session of this user ends; the caller starts
    a fresh session for the current browser.
    """
    if not verify_password(user.password_hash, current_password):
        raise WrongPasswordError("mismatch")
    _check_password(new_password, login=user.login, display_name=user.display_name)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.session_version = User.session_version + 1
    session.flush()
    session.refresh(user)
    return user


@unit_of_work
def logout_everywhere(session: Session, user_id: int) -> None:
    """End every session of this user by bumping their session version (SQL-side)."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )


def parse_session_token(user_token: str) -> tuple[int, int] | None:
    """``(user id, session version)`` from the ``"<id>:<session_version>"`` token stored in
    a session cookie (None when malformed)."""
    user_id_text, sep, version_text = user_token.partition(":")
    user_id, version = parse_id(user_id_text), parse_id(version_text)
    if not sep or user_id is None or version is None:
        return None
    return user_id, version


def session_still_valid(user: User | None, version: int) -> bool:
    """Whether a session of ``version`` still belongs to ``user``: the user exists, is
    active, and has not logged out everywhere or changed their password since."""
    return user is not None and user.is_active and user.session_version == version


def load_user_for_session(session: Session, user_token: str) -> User | None:
    """Resolve the ``"<id>:<session_version>"`` token stored in a session cookie.

    Returns None when the token is malformed, the user is gone or disabled, or the session
    version no longer matches (the user logged out or changed their password since).
    """
    parts = parse_session_token(user_token)
    if parts is None:
        return None
    user = session.get(User, parts[0])
    return user if session_still_valid(user, parts[1]) else None


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


DEMO_STUDENTS = (
    ("s2026001", "Li Wei"),
    ("s2026002", "Zhang Min"),
    ("s2026003", "Chen Jing"),
)
DEMO_INSTRUCTOR = ("teacher@example.edu", "Demo Instructor")


@dataclass(frozen=True)
class IssuedCredential:
    login: str
    password: str
    role: str


@unit_of_work
def seed_demo_accounts(session: Session) -> list[IssuedCredential]:
    """Create one instructor and a few students with random passwords.

    Does nothing (returns ``[]``) when any user exists, so it never touches a real class.
    """
    if count_users(session) > 0:
        return []
    issued: list[IssuedCredential] = []
    accounts = [(DEMO_INSTRUCTOR, Role.INSTRUCTOR)] + [(s, Role.STUDENT) for s in DEMO_STUDENTS]
    for (login, name), role in accounts:
        password = generate_password()
        parsed = parse_login(login)
        session.add(
            User(
                login=parsed.login,
                display_name=name,
                email=parsed.email,
                student_number=parsed.student_number,
                role=role.value,
                password_hash=hash_password(password),
            )
        )
        issued.append(IssuedCredential(login=parsed.login, password=password, role=role.value))
    return issued
