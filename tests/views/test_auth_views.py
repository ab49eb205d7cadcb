"""Register, log in, log out and change password through the web forms."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from simshop.db import db
from simshop.models import User
from simshop.security import verify_password

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

NEW_PASSWORD = "cobalt river seventy"


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def registration(**overrides: str) -> dict[str, str]:
    data = {
        "display_name": "Li Wei",
        "login": "s2026100",
        "password": "bamboo kite thunder",
        "confirm": "bamboo kite thunder",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("path", ["/dashboard", "/password"])
def test_login_required(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=" + path.replace("/", "%2F")


def test_register_creates_a_student_who_then_logs_in(app, client, submit, auth):
    response = submit("/register", registration())

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert auth.login("s2026100", "bamboo kite thunder").status_code == 302
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Hello, Li Wei" in page
    assert "Student" in page
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login == "s2026100"))
        assert user.role == "student"
        assert user.student_number == "s2026100"


def test_register_with_email_login(app, submit):
    response = submit("/register", registration(login="Li.Wei@Uni.edu.cn"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.email)) == "li.wei@uni.edu.cn"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"display_name": ""}, "This field is required."),
        ({"login": ""}, "This field is required."),
        ({"login": "li@"}, "Enter a valid email address"),
        ({"login": "not a number"}, "A student number has 3 to 40 letters"),
        ({"password": "short", "confirm": "short"}, "Use at least 8 characters."),
        ({"password": "password123", "confirm": "password123"}, "This password is too common"),
        ({"password": "s2026100", "confirm": "s2026100"}, "must not be your login"),
        ({"confirm": "something else"}, "The passwords do not match."),
        ({"display_name": "x" * 81}, "Use at most 80 characters."),
    ],
)
def test_register_shows_field_errors_and_writes_nothing(app, submit, overrides, message):
    response = submit("/register", registration(**overrides))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert 'class="field field--invalid"' in page
    assert user_count(app) == 0


def test_register_with_a_taken_login_creates_nothing_and_does_not_say_so(
    app, client, submit, make_user
):
    make_user(login="s2026100")

    response = submit("/register", registration(login="S2026100"))

    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert "already registered" not in client.get("/login").get_data(as_text=True)
    assert user_count(app) == 1


def test_login_and_logout(client, auth, make_user):
    make_user(login="s2026200", display_name="Zhang Min")

    response = auth.login("s2026200")
    assert response.headers["Location"] == "/dashboard"
    assert "Hello, Zhang Min" in client.get("/dashboard").get_data(as_text=True)

    response = auth.logout(follow_redirects=True)
    assert "You have been logged out." in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


@pytest.mark.parametrize(
    ("login", "password"),
    [("s2026200", "wrong password"), ("nobody", "plum orchard seventeen"), ("", "")],
)
def test_login_refuses_bad_credentials_with_a_field_message(
    client, auth, make_user, login, password
):
    make_user(login="s2026200")

    response = auth.login(login, password)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Wrong student number, email or password." in page or "This field is required." in page
    assert client.get("/dashboard").status_code == 302


def test_login_is_case_insensitive_on_the_login(client, auth, make_user):
    make_user(login="s2026201")
    assert auth.login("  S2026201 ").status_code == 302


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/password", "/password"),
        ("//evil.example/steal", "/dashboard"),
        ("https://evil.example/", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
    ],
)
def test_login_redirects_to_a_local_next_page_only(
    submit, make_user, default_password, next_url, expected
):
    make_user(login="s2026202")
    response = submit(
        f"/login?next={next_url}",
        {"login": "s2026202", "password": default_password},
        page="/login",
    )
    assert response.headers["Location"] == expected


def test_change_password(app, client, auth, submit, make_user, default_password):
    make_user(login="s2026300")
    auth.login("s2026300")

    response = submit(
        "/password",
        {
            "current_password": default_password,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )

    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200  # this browser stays logged in
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login == "s2026300"))
        assert verify_password(user.password_hash, NEW_PASSWORD)
    auth.logout()
    assert auth.login("s2026300").status_code == 200  # the old password no longer works
    assert auth.login("s2026300", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong password", NEW_PASSWORD, NEW_PASSWORD, "That is not your current password."),
        (None, "12345678", "12345678", "This password is too common"),
        (None, "short", "short", "Use at least 8 characters."),
        (None, NEW_PASSWORD, "different words", "The passwords do not match."),
        (None, None, None, "Choose a password different from the current one."),
        (None, "Test Student 1", "Test Student 1", "must not be your login or your name"),
    ],
)
def test_change_password_field_errors(
    app, auth, submit, make_user, default_password, current, new, confirm, message
):
    make_user(login="s2026301", display_name="Test Student 1")
    auth.login("s2026301")

    response = submit(
        "/password",
        {
            "current_password": current or default_password,
            "new_password": new or default_password,
            "confirm": confirm or default_password,
        },
    )

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login == "s2026301"))
        assert verify_password(user.password_hash, default_password)
        assert user.session_version == 1


def test_a_user_with_an_issued_password_must_change_it_first(client, auth, make_user):
    make_user("instructor", login="teacher@school.edu", must_change_password=True)
    auth.login("teacher@school.edu")

    response = client.get("/dashboard")

    assert response.status_code == 302
    assert response.headers["Location"] == "/password"


def test_dashboard_greets_instructors_with_their_role(client, auth, make_user):
    make_user("instructor", login="wang@school.edu", display_name="Ms Wang")
    auth.login("wang@school.edu")

    page = client.get("/dashboard").get_data(as_text=True)

    assert "Hello, Ms Wang" in page
    assert "Instructor" in page
    assert "Scenarios" in page


def test_logged_in_users_skip_the_login_and_register_pages(client, auth, make_user):
    make_user(login="s2026400")
    auth.login("s2026400")
    assert client.get("/login").headers["Location"] == "/dashboard"
    assert client.get("/register").headers["Location"] == "/dashboard"
    assert client.get("/").headers["Location"] == "/dashboard"
