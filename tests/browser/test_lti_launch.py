"""An LTI 1.3 launch in Chromium: the course (a test platform on its own local port) sends
the student to SimShop's login initiation, the platform's authorisation page posts the signed
launch back, and the student lands in the game, enrolled and logged in."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest
from joserfc.jwk import KeySet
from playwright.sync_api import expect

from simshop.db import db
from simshop.services import lti as lti_service
from tests.browser.conftest import ARTIFACTS
from tests.lti_platform import LEARNER, TestPlatform
from tests.reliability.gamekit import make_game, make_user


@pytest.fixture
def platform(live_server, tmp_path):
    live_server.app.config["LTI_PRIVATE_KEY_PATH"] = str(tmp_path / "lti_private_key.pem")
    lms = TestPlatform(client_id="browser-tool", deployment_id="browser-deployment")
    with live_server.app.app_context():
        lti_service.register_platform(db.session, **lms.registration())
    with urllib.request.urlopen(live_server.url + "/lti/jwks.json", timeout=10) as response:
        lms.tool_keys = KeySet.import_key_set(json.load(response))
    yield lms
    lms.close()


def test_a_launch_from_the_course_lands_the_student_in_the_game(page, live_server, platform):
    with live_server.app.app_context():
        teacher = make_user(db.session, "lti-browser-teacher@example.edu", "instructor")
        game = make_game(db.session, teacher, title="LTI class game")
        game_id = game.id
    platform.users["browser-learner"] = {
        "sub": "browser-student-1",
        "roles": [LEARNER],
        "custom": {"simshop_game_id": str(game_id)},
        "name": "Wang Fang",
    }
    query = urllib.parse.urlencode(
        {
            "iss": platform.issuer,
            "login_hint": "browser-learner",
            "target_link_uri": live_server.url + "/lti/launch",
            "client_id": "browser-tool",
        }
    )
    page.goto(f"/lti/login?{query}")
    page.wait_for_url(f"**/games/{game_id}")
    expect(page.locator("h1")).to_have_text("LTI class game")
    expect(page.locator(".user-chip")).to_have_text("Wang Fang")
    assert [r["login_hint"] for r in platform.auth_requests] == ["browser-learner"]
    # Logged in for the rest of the visit: the student's game list names the game.
    page.goto("/games")
    expect(page.get_by_text("LTI class game")).to_be_visible()


def test_a_launch_inside_the_course_frame_shows_the_game_in_the_frame(
    page, live_server, platform, page_problems
):
    with live_server.app.app_context():
        teacher = make_user(db.session, "lti-frame-teacher@example.edu", "instructor")
        game_id = make_game(db.session, teacher, title="Framed class game").id
    platform.users["frame-learner"] = {
        "sub": "frame-student-1",
        "roles": [LEARNER],
        "custom": {"simshop_game_id": str(game_id)},
        "name": "Zhao Lei",
    }
    login = (
        live_server.url
        + "/lti/login?"
        + urllib.parse.urlencode(
            {
                "iss": platform.issuer,
                "login_hint": "frame-learner",
                "target_link_uri": live_server.url + "/lti/launch",
                "client_id": "browser-tool",
            }
        )
    )
    page.goto(platform.url + "/course?" + urllib.parse.urlencode({"src": login}))
    tool = page.frame_locator("#tool")
    # The landing page finds its session cookie and goes on to the game inside the frame.
    expect(tool.locator("h1")).to_have_text("Framed class game")
    expect(tool.locator(".user-chip")).to_have_text("Zhao Lei")
    frame = page.frame(url=f"{live_server.url}/games/{game_id}")
    assert frame is not None
    page.screenshot(path=str(ARTIFACTS / "lti-framed-launch.png"), full_page=True)

    # A page SimShop never lets a course frame (the password form), even for this session:
    # the browser refuses to show it.
    page.goto(
        platform.url + "/course?" + urllib.parse.urlencode({"src": live_server.url + "/password"})
    )
    page.wait_for_timeout(500)
    expect(page.frame_locator("#tool").locator("form")).to_have_count(0)
    refused = [e for e in page_problems.console_errors if "frame" in e.lower()]
    assert refused and len(refused) == len(page_problems.console_errors)
    page_problems.console_errors.clear()  # the refusal above is what this test expects


def test_a_course_on_another_site_whose_frame_gets_no_cookies_is_told_why(
    page, live_server, platform, page_problems
):
    """The course page on ``localhost`` frames SimShop on ``127.0.0.1``: another site, so
    Chromium keeps no SameSite=Lax cookie of the frame (plain http cannot use SameSite=None).
    The launch cannot be checked, and the frame says why and what to do."""
    course_origin = platform.url.replace("127.0.0.1", "localhost")
    with live_server.app.app_context():
        registered = lti_service.platforms(db.session)[-1]
        lti_service.update_platform(
            db.session,
            registered,
            **{**platform.registration(), "frame_origins": [course_origin]},
        )
    platform.users["blocked-learner"] = {
        "sub": "blocked-student-1",
        "roles": [LEARNER],
        "custom": {"simshop_game_id": "1"},
    }
    login = (
        live_server.url
        + "/lti/login?"
        + urllib.parse.urlencode(
            {
                "iss": platform.issuer,
                "login_hint": "blocked-learner",
                "target_link_uri": live_server.url + "/lti/launch",
                "client_id": "browser-tool",
            }
        )
    )
    page.goto(course_origin + "/course?" + urllib.parse.urlencode({"src": login}))
    tool = page.frame_locator("#tool")
    expect(tool.locator("main")).to_contain_text(
        "Your browser blocked SimShop's cookies inside the course page"
    )
    page.screenshot(path=str(ARTIFACTS / "lti-framed-cookies-blocked.png"), full_page=True)
    # The refused launch answers 400, which Chromium logs: expected here.
    assert page_problems.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
    ]
    page_problems.console_errors.clear()
