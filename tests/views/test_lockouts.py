"""Lock-outs and guessing (OWASP ASVS 6.3.1, 2.4.1): failed logins are counted per account
(never successful ones), with a short lock that a correct password after the window
clears; sprayed logins are limited per client address (the real one behind a stated number
of trusted proxies); join codes and registration are rate-limited; registration never
says whether a student number is already registered."""

from __future__ import annotations

import limits.storage.memory
import pytest
from sqlalchemy import func, select

from simshop.db import db
from simshop.models import User
from tests.reliability.gamekit import csrf_from

pytestmark = pytest.mark.both_backends

WRONG = "not the password"


class Clock:
    """Stands in for the ``time`` module of the limits' in-memory storage."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    return fake


def fail(auth, login: str, times: int) -> list[int]:
    return [auth.login(login, WRONG).status_code for _ in range(times)]


def test_only_failures_count_and_a_correct_password_clears_them(auth, make_user, clock):
    make_user(login="s2026601")
    assert fail(auth, "s2026601", 9) == [200] * 9
    assert auth.login("s2026601").status_code == 302
    auth.logout()
    # the nine failures were cleared: nine more are still answered, not locked
    assert fail(auth, "s2026601", 9) == [200] * 9


def test_a_locked_account_opens_after_the_window_with_the_correct_password(auth, make_user, clock):
    make_user(login="s2026602")
    assert fail(auth, "s2026602", 10) == [200] * 10
    assert auth.login("s2026602").status_code == 429  # locked, even with the right password
    clock.now += 61
    assert auth.login("s2026602").status_code == 302


def test_logins_sprayed_from_one_address_are_limited(
    app, client, auth, make_user, clock, default_password
):
    app.config["LOGIN_ADDRESS_FAILURE_LIMIT"] = "5 per 10 minutes"
    for n in range(5):
        assert auth.login(f"s20266{n:02d}", WRONG).status_code == 200
    make_user(login="s2026699")
    assert auth.login("s2026699").status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    token = csrf_of(other)
    response = other.post(
        "/login", data={"login": "s2026699", "password": default_password, "csrf_token": token}
    )
    assert response.status_code == 302


def csrf_of(client) -> str:
    return csrf_from(client.get("/login").get_data(as_text=True))


def spray(app, forwarded_for: str, times: int) -> list[int]:
    client = app.test_client()
    token = csrf_of(client)
    return [
        client.post(
            "/login",
            data={"login": f"s20267{n:02d}", "password": WRONG, "csrf_token": token},
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code
        for n in range(times)
    ]


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 1}])
def test_behind_a_trusted_proxy_each_client_address_counts_apart(app, clock):
    app.config["LOGIN_ADDRESS_FAILURE_LIMIT"] = "3 per 10 minutes"
    assert spray(app, "203.0.113.1", 4) == [200, 200, 200, 429]
    assert spray(app, "203.0.113.2", 1) == [200]


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(app, clock):
    app.config["LOGIN_ADDRESS_FAILURE_LIMIT"] = "3 per 10 minutes"
    assert spray(app, "203.0.113.1", 3) == [200, 200, 200]
    assert spray(app, "203.0.113.2", 1) == [429]  # a forged header does not reset it


def test_join_code_tries_are_rate_limited(app, client, auth, make_user, clock):
    app.config["JOIN_RATE_LIMIT"] = "3 per 10 minutes"
    make_user(login="s2026801")
    auth.login("s2026801")
    token = csrf_from(client.get("/games/join").get_data(as_text=True))
    codes = [
        client.post("/games/join", data={"code": f"NOPE{n}", "csrf_token": token}).status_code
        for n in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_registration_is_rate_limited(app, client, clock):
    app.config["REGISTER_RATE_LIMIT"] = "2 per hour"
    token = csrf_of(client)
    answers = [
        client.post(
            "/register",
            data={
                "display_name": "Li Wei",
                "login": f"s20269{n:02d}",
                "password": "bamboo kite thunder",
                "confirm": "bamboo kite thunder",
                "csrf_token": token,
            },
        ).status_code
        for n in range(3)
    ]
    assert answers == [302, 302, 429]


def test_registration_answers_the_same_for_a_taken_and_a_new_number(app, make_user, clock):
    make_user(login="s2026950")
    answers = []
    for login in ("s2026950", "s2026951"):
        client = app.test_client()
        token = csrf_of(client)
        response = client.post(
            "/register",
            data={
                "display_name": "Li Wei",
                "login": login,
                "password": "bamboo kite thunder",
                "confirm": "bamboo kite thunder",
                "csrf_token": token,
            },
        )
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "already registered" not in page
        answers.append((response.status_code, response.headers["Location"], "ready" in page))
    assert answers[0] == answers[1] == (302, "/login", True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": False}])
def test_with_rate_limiting_switched_off_logins_work_and_nothing_locks(auth, make_user):
    """An operator may switch the limiter off: the login page then has no failure counters
    (and no lockout) instead of failing."""
    make_user(login="s2026609")
    assert fail(auth, "s2026609", 12) == [200] * 12
    assert auth.login("s2026609").status_code == 302
