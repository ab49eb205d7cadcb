"""LTI launches inside the course's frame: only the launch's answers and the pages a framed
launch leads to may be framed, only by the platform's origins; the framed session's cookie
is SameSite=None; Secure; Partitioned over https; a browser that blocks it continues in a new
window with a single-use token. Everything else keeps frame-ancestors 'none'."""

from __future__ import annotations

import html
import re
import urllib.request

import pytest
from joserfc.jwk import KeySet
from sqlalchemy import select

from simshop.db import db
from simshop.models import LtiAccount, LtiPlatform, User
from simshop.services import lti as lti_service
from tests.lti_platform import INSTRUCTOR, LEARNER, TestPlatform
from tests.reliability.gamekit import make_game, make_user

pytestmark = pytest.mark.both_backends

FORM_FIELD = re.compile(r'name="(id_token|state)" value="([^"]*)"')
FRAMED = {"Sec-Fetch-Dest": "iframe"}
TOP = {"Sec-Fetch-Dest": "document"}
NOBODY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
NOBODY += "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"


@pytest.fixture
def app_config(tmp_path):
    return {"LTI_PRIVATE_KEY_PATH": str(tmp_path / "keys" / "lti_private_key.pem")}


@pytest.fixture
def lms(app, client):
    platform = TestPlatform()
    with app.app_context():
        lti_service.register_platform(db.session, **platform.registration())
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        game_id = make_game(db.session, teacher).id
    platform.tool_keys = KeySet.import_key_set(client.get("/lti/jwks.json").get_json())
    platform.users["learner-1"] = {
        "sub": "stu-1",
        "roles": [LEARNER],
        "custom": {"simshop_game_id": str(game_id)},
    }
    platform.game_id = game_id
    yield platform
    platform.close()


def launch(client, lms, headers, base_url="http://localhost"):
    start = client.get(
        "/lti/login",
        base_url=base_url,
        query_string={
            "iss": lms.issuer,
            "login_hint": "learner-1",
            "target_link_uri": f"{base_url}/lti/launch",
        },
        headers=headers,
    )
    assert start.status_code == 302
    with urllib.request.urlopen(start.headers["Location"], timeout=10) as answer:
        form = dict(FORM_FIELD.findall(answer.read().decode()))
    return client.post("/lti/launch", data=form, headers=headers, base_url=base_url)


def frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return policy.split("frame-ancestors ", 1)[1]


def hidden_token(response) -> str:
    return html.unescape(
        re.search(r'name="token" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    )


def test_a_top_level_launch_is_never_framed(client, lms):
    response = launch(client, lms, TOP)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/games/{lms.game_id}"
    home = client.get(f"/games/{lms.game_id}", headers=TOP)
    assert home.headers["Content-Security-Policy"] == NOBODY
    assert home.headers["X-Frame-Options"] == "DENY"


def test_a_framed_launch_answers_with_a_landing_page_the_platform_may_frame(client, lms):
    response = launch(client, lms, FRAMED)
    assert response.status_code == 200
    assert frame_ancestors(response) == lms.url  # http://127.0.0.1:<port>, the issuer's origin
    assert "X-Frame-Options" not in response.headers
    page = response.get_data(as_text=True)
    assert f'data-target="/games/{lms.game_id}"' in page
    assert 'action="/lti/continue" target="_blank"' in page
    assert client.get("/lti/session").get_json() == {"signed_in": True}


def test_the_pages_of_a_framed_session_may_be_framed_by_that_platform_only(app, client, lms):
    launch(client, lms, FRAMED)
    for url in (f"/games/{lms.game_id}", f"/games/{lms.game_id}/leaderboard", "/dashboard"):
        response = client.get(url, headers=FRAMED)
        assert response.status_code == 200, url
        assert frame_ancestors(response) == lms.url, url
        assert "X-Frame-Options" not in response.headers, url
    password = client.get("/password", headers=FRAMED)  # account pages: never framed
    assert password.status_code == 200
    assert password.headers["Content-Security-Policy"] == NOBODY
    assert password.headers["X-Frame-Options"] == "DENY"
    with app.app_context():
        platform = db.session.scalar(select(LtiPlatform))
        platform.frame_origins = ["https://lms.example.edu", "https://cdn.lms.example.edu"]
        db.session.commit()
    framed = client.get(f"/games/{lms.game_id}", headers=FRAMED)
    assert frame_ancestors(framed) == "https://lms.example.edu https://cdn.lms.example.edu"


def test_disabling_the_platform_ends_the_framing(app, client, lms):
    launch(client, lms, FRAMED)
    with app.app_context():
        lti_service.set_platform_enabled(db.session, db.session.scalar(select(LtiPlatform)), False)
    response = client.get(f"/games/{lms.game_id}", headers=FRAMED)
    assert response.headers["Content-Security-Policy"] == NOBODY
    assert response.headers["X-Frame-Options"] == "DENY"


def test_other_sessions_and_visitors_are_never_framed(client, lms, auth):
    assert client.get("/login", headers=FRAMED).headers["X-Frame-Options"] == "DENY"
    auth.login("teacher@example.edu")
    response = client.get(f"/instructor/games/{lms.game_id}", headers=FRAMED)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == NOBODY


def cookie_header(response, name: str) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_over_https_the_framed_session_cookie_is_samesite_none_secure_partitioned(client, lms):
    response = launch(client, lms, FRAMED, base_url="https://localhost")
    assert response.status_code == 200
    cookie = cookie_header(response, "simshop_session")
    assert "; Secure" in cookie and "; SameSite=None" in cookie and "; Partitioned" in cookie
    later = client.get(f"/games/{lms.game_id}", headers=FRAMED, base_url="https://localhost")
    assert later.status_code == 200


def test_over_https_a_top_level_session_cookie_stays_lax(client, lms):
    response = launch(client, lms, TOP, base_url="https://localhost")
    cookie = cookie_header(response, "simshop_session")
    assert "; SameSite=Lax" in cookie and "Partitioned" not in cookie
    start = client.get(
        "/lti/login",
        base_url="https://localhost",
        query_string={"iss": lms.issuer, "login_hint": "learner-1", "target_link_uri": "x"},
    )
    state_cookie = cookie_header(start, "simshop_lti_state")
    assert "; SameSite=None" in state_cookie and "; Partitioned" in state_cookie


def test_blocked_cookies_continue_in_a_new_window_once(app, client, lms):
    landing = launch(client, lms, FRAMED)
    token = hidden_token(landing)
    window = app.test_client()  # the new window: the frame's cookies never reached it
    assert window.get("/lti/session").get_json() == {"signed_in": False}
    response = window.post("/lti/continue", data={"token": token}, headers=TOP)
    assert (response.status_code, response.headers["Location"]) == (302, f"/games/{lms.game_id}")
    assert window.get(f"/games/{lms.game_id}").status_code == 200
    assert window.get("/lti/session").get_json() == {"signed_in": True}
    again = app.test_client().post("/lti/continue", data={"token": token})
    assert again.status_code == 400
    assert "already used or has expired" in again.get_data(as_text=True)


def test_a_forged_or_altered_handoff_token_is_refused(app, client, lms):
    token = hidden_token(launch(client, lms, FRAMED))
    for bad in ("", "not-a-token", token[:-2] + ("AA" if not token.endswith("AA") else "BB")):
        response = app.test_client().post("/lti/continue", data={"token": bad})
        assert response.status_code == 400, bad


def test_a_framed_launch_without_its_state_cookie_says_the_cookies_are_blocked(client, lms):
    start = client.get(
        "/lti/login",
        query_string={"iss": lms.issuer, "login_hint": "learner-1", "target_link_uri": "x"},
        headers=FRAMED,
    )
    with urllib.request.urlopen(start.headers["Location"], timeout=10) as answer:
        form = dict(FORM_FIELD.findall(answer.read().decode()))
    client.delete_cookie("simshop_lti_state", path="/lti/launch")
    response = client.post("/lti/launch", data=form, headers=FRAMED)
    assert response.status_code == 400
    assert "blocked SimShop" in response.get_data(as_text=True).replace("&#39;", "'")
    assert frame_ancestors(response) == lms.url  # the course's frame can show why


def test_deep_linking_in_the_frame_may_post_back_to_the_course_from_the_frame(
    app, client, lms, submit
):
    with app.app_context():
        teacher = db.session.scalar(select(User).where(User.login == "teacher@example.edu"))
        platform = db.session.scalar(select(LtiPlatform))
        db.session.add(LtiAccount(platform_id=platform.id, subject="tea-1", user_id=teacher.id))
        db.session.commit()
    lms.users["deep-1"] = {
        "sub": "tea-1",
        "roles": [INSTRUCTOR],
        "message_type": "LtiDeepLinkingRequest",
    }
    start = client.get(
        "/lti/login",
        query_string={"iss": lms.issuer, "login_hint": "deep-1", "target_link_uri": "x"},
        headers=FRAMED,
    )
    with urllib.request.urlopen(start.headers["Location"], timeout=10) as answer:
        form = dict(FORM_FIELD.findall(answer.read().decode()))
    landing = client.post("/lti/launch", data=form, headers=FRAMED)
    assert 'data-target="/lti/deep-link"' in landing.get_data(as_text=True)
    picker = client.get("/lti/deep-link", headers=FRAMED)
    assert frame_ancestors(picker) == lms.url
    answer = submit("/lti/deep-link", {"game_id": str(lms.game_id)})
    policy = answer.headers["Content-Security-Policy"]
    assert f"form-action 'self' {lms.url};" in policy
    assert policy.endswith(f"frame-ancestors {lms.url}")
    assert "X-Frame-Options" not in answer.headers
