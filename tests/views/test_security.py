"""CSRF, session revocation, headers, cookies, rate limiting and error pages."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from simshop.db import db
from simshop.models import User
from simshop.security import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

EXPECTED_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

REGISTRATION = {
    "display_name": "Li Wei",
    "login": "s2026500",
    "password": "bamboo kite thunder",
    "confirm": "bamboo kite thunder",
}


def user_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def session_cookie(client) -> str:
    cookie = client.get_cookie("simshop_session")
    assert cookie is not None
    return cookie.value


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_post_without_a_valid_csrf_token_is_refused_and_writes_nothing(app, client, token):
    client.get("/register")
    data = dict(REGISTRATION)
    if token is not None:
        data["csrf_token"] = token

    response = client.post("/register", data=data)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Bad request" in page
    assert "reload the page" in page
    assert "Traceback" not in page
    assert user_count(app) == 0


def test_csrf_token_of_another_session_is_refused(app, client, csrf_token):
    other = app.test_client()
    foreign_token = csrf_token(other, "/register")
    client.get("/register")

    response = client.post("/register", data={**REGISTRATION, "csrf_token": foreign_token})

    assert response.status_code == 400
    assert user_count(app) == 0


@pytest.mark.parametrize("path", ["/logout", "/lang", "/login", "/password"])
def test_every_post_route_requires_csrf(client, auth, make_user, path):
    make_user(login="s2026501")
    auth.login("s2026501")
    response = client.post(path, data={"locale": "en"})
    assert response.status_code == 400


def test_logout_ends_the_session_on_the_server(app, client, auth, make_user):
    make_user(login="s2026502")
    auth.login("s2026502")
    stolen = session_cookie(client)
    assert client.get("/dashboard").status_code == 200

    auth.logout()

    replay = app.test_client()
    replay.set_cookie("simshop_session", stolen)
    response = replay.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_changing_the_password_ends_other_sessions(app, client, auth, auth_for, submit, make_user):
    make_user(login="s2026503")
    other_device = app.test_client()
    auth_for(other_device).login("s2026503")
    assert other_device.get("/dashboard").status_code == 200
    auth.login("s2026503")

    submit(
        "/password",
        {
            "current_password": "plum orchard seventeen",
            "new_password": "cobalt river seventy",
            "confirm": "cobalt river seventy",
        },
    )

    assert client.get("/dashboard").status_code == 200
    assert other_device.get("/dashboard").status_code == 302


def test_disabled_users_lose_their_session(app, client, auth, make_user):
    user = make_user(login="s2026504")
    auth.login("s2026504")
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()

    assert client.get("/dashboard").status_code == 302


def test_login_starts_a_new_session(client, auth, make_user):
    make_user(login="s2026505")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"

    auth.login("s2026505")

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].endswith(":1")


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/no-such-page"])
def test_security_headers_on_html_responses(client, path):
    response = client.get(path)
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers[name] == value


def test_security_headers_on_static_files(client):
    with client.get("/static/css/app.css") as response:
        assert response.status_code == 200
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers[name] == value


def test_session_cookie_is_httponly_and_samesite_lax(client, auth, make_user):
    make_user(login="s2026506")
    response = auth.login("s2026506")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_login_attempts_are_rate_limited_with_a_clear_message(client, auth, make_user):
    make_user(login="s2026507")
    for _ in range(10):
        assert auth.login("s2026507", "wrong password").status_code == 200

    response = auth.login("s2026507", "wrong password")

    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many attempts" in page
    assert "wait a minute" in page
    # Other accounts are not locked out by someone hammering this one.
    make_user(login="s2026508")
    assert auth.login("s2026508").status_code == 302


def test_rate_limit_page_is_translated(client, csrf_token):
    for _ in range(11):
        response = client.post(
            "/login",
            data={"login": "x", "password": "y", "csrf_token": csrf_token(client, "/login")},
            headers={"Accept-Language": "zh-CN"},
        )
    assert response.status_code == 429
    assert "尝试次数过多" in response.get_data(as_text=True)


def test_not_found_page_is_generic(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page
    assert "Werkzeug" not in page and "Traceback" not in page


def test_requests_over_the_size_limit_are_refused(client):
    response = client.post("/login", data={"login": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_unexpected_errors_show_a_generic_page_without_a_traceback(app_factory):
    app = app_factory(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom", headers={"Accept-Language": "zh-CN"})

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "出错了" in page
    assert "secret internals" not in page and "Traceback" not in page
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    ("code", "title"), [(403, "Access denied"), (409, "Conflict"), (418, "Bad request")]
)
def test_other_http_errors_get_the_generic_page(app_factory, code, title):
    from flask import abort

    app = app_factory()

    @app.get("/fail")
    def fail():
        abort(code)

    response = app.test_client().get("/fail")

    assert response.status_code == code
    assert title in response.get_data(as_text=True)
