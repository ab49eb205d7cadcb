"""LTI 1.3 end to end against a test platform on a real local port (tests/lti_platform.py):
login initiation, launch, deep linking, roster sync (NRPS) and grade passback (AGS), and
the refusals the security framework requires, each with a clear page."""

from __future__ import annotations

import html
import os
import re
import stat
import time
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import func, select

from simshop.db import db
from simshop.models import LtiAccount, LtiLaunchState, LtiLink, Player, User
from simshop.models.user import utcnow
from simshop.services import lti as lti_service
from simshop.services import memos as memos_service
from tests.lti_platform import INSTRUCTOR, LEARNER, TestPlatform
from tests.reliability.gamekit import make_game, make_user

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

FORM_FIELD = re.compile(r'name="(id_token|state)" value="([^"]*)"')


@pytest.fixture
def app_config(tmp_path):
    return {"LTI_PRIVATE_KEY_PATH": str(tmp_path / "keys" / "lti_private_key.pem")}


@pytest.fixture
def platform(app, client):
    lms = TestPlatform()
    with app.app_context():
        lti_service.register_platform(db.session, **lms.registration())
    lms.tool_keys = KeySet.import_key_set(client.get("/lti/jwks.json").get_json())
    yield lms
    lms.close()


@pytest.fixture
def game(app, platform):
    """A game of teacher@example.edu; the platform knows a learner and that instructor."""
    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        created = make_game(db.session, teacher)
        game_id = created.id
    custom = {"simshop_game_id": str(game_id)}
    platform.users["learner-1"] = {"sub": "stu-1", "roles": [LEARNER], "custom": custom}
    platform.users["teacher-1"] = {"sub": "tea-1", "roles": [INSTRUCTOR], "custom": custom}
    platform.users["deep-1"] = {
        "sub": "tea-1",
        "roles": [INSTRUCTOR],
        "message_type": "LtiDeepLinkingRequest",
    }
    return game_id


def login_initiation(client, platform, hint: str):
    """The platform's first request; returns SimShop's redirect to the platform."""
    return client.get(
        "/lti/login",
        query_string={
            "iss": platform.issuer,
            "login_hint": hint,
            "target_link_uri": "http://localhost/lti/launch",
            "client_id": platform.client_id,
            "lti_deployment_id": platform.deployment_id,
        },
    )


def authorise(location: str) -> dict[str, str]:
    """Follow SimShop's redirect to the platform's auth endpoint (over the network) and read
    the self-posting form it answers with."""
    with urllib.request.urlopen(location, timeout=10) as response:
        page = response.read().decode()
    return dict(FORM_FIELD.findall(page))


def launch(client, platform, hint: str):
    redirect = login_initiation(client, platform, hint)
    assert redirect.status_code == 302
    form = authorise(redirect.headers["Location"])
    return client.post("/lti/launch", data=form), form


def page_text(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(text).split())


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --------------------------------------------------------------------------- launches


def test_login_initiation_redirects_to_the_platform_with_state_and_nonce(client, platform, game):
    response = login_initiation(client, platform, "learner-1")
    assert response.status_code == 302
    location = urllib.parse.urlsplit(response.headers["Location"])
    query = dict(urllib.parse.parse_qsl(location.query))
    assert f"{location.scheme}://{location.netloc}{location.path}" == platform.url + "/auth"
    assert {k: query[k] for k in query if k not in ("state", "nonce")} == {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": "simshop-tool",
        "redirect_uri": "http://localhost/lti/launch",
        "login_hint": "learner-1",
    }
    assert len(query["state"]) >= 40 and len(query["nonce"]) >= 40
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"simshop_lti_state={query['state']};")
    assert "HttpOnly" in cookie and "Path=/lti/launch" in cookie


def test_a_learner_launch_lands_in_the_game_enrolled(app, client, platform, game):
    response, _form = launch(client, platform, "learner-1")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/games/{game}"
    home = client.get(f"/games/{game}")
    assert home.status_code == 200
    assert "Lin Wei" in home.get_data(as_text=True)
    with app.app_context():
        account = db.session.scalar(select(LtiAccount))
        assert account.subject == "stu-1"
        user = db.session.get(User, account.user_id)
        assert (user.role, user.display_name, user.email) == (
            "student",
            "Lin Wei",
            "stu-1@example.edu",
        )
        assert db.session.scalar(select(Player.game_id).where(Player.user_id == user.id)) == game
        link = db.session.scalar(select(LtiLink))
        assert (link.game_id, link.context_id, link.context_title) == (
            game,
            "course-101",
            "Cross-border e-commerce 101",
        )
        assert link.memberships_url == platform.url + "/nrps/course-101"
        assert link.lineitem_url == platform.url + "/ags/course-101/lineitems/1?type=simshop"


def test_a_second_launch_reuses_the_account(app, client, platform, game):
    launch(client, platform, "learner-1")
    response, _form = launch(client, platform, "learner-1")
    assert response.headers["Location"] == f"/games/{game}"
    assert count(app, LtiAccount) == 1
    assert count(app, Player) == 1


def test_an_instructor_of_the_game_lands_on_its_staff_page(app, client, platform, game):
    with app.app_context():
        teacher = db.session.scalar(select(User).where(User.login == "teacher@example.edu"))
        platform_id = lti_service.platforms(db.session)[0].id
        # The course's instructor is the game's owner (linked once, e.g. by an administrator).
        db.session.add(LtiAccount(platform_id=platform_id, subject="tea-1", user_id=teacher.id))
        db.session.commit()
    response, _form = launch(client, platform, "teacher-1")
    assert response.headers["Location"] == f"/instructor/games/{game}"
    assert client.get(f"/instructor/games/{game}").status_code == 200


def test_an_instructor_who_is_not_staff_is_refused_and_can_then_be_added(
    app, client, platform, game
):
    response, _form = launch(client, platform, "teacher-1")
    assert response.status_code == 400
    assert "not an instructor of this game" in page_text(response), page_text(response)
    with app.app_context():
        account = db.session.scalar(select(LtiAccount))
        login = account.user.login
        assert (account.subject, account.user.role) == ("tea-1", "instructor")
    assert (
        "You are not an instructor of this game. Ask its owner to add you as an assistant "
        f"with the login {login}." in page_text(response)
    )
    with app.app_context():
        from simshop.models import Game
        from simshop.services import membership as membership_service

        membership_service.add_assistant(db.session, db.session.get(Game, game), login)
    again, _form = launch(client, platform, "teacher-1")
    assert again.headers["Location"] == f"/instructor/games/{game}"


def direct_launch(client, platform, hint: str, **token_overrides):
    """Log in through SimShop (state cookie and stored nonce), then post a token of our own
    making (as an attacker would) with that state."""
    redirect = login_initiation(client, platform, hint)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirect.headers["Location"]).query))
    user = platform.users[hint]
    token = platform.id_token(nonce=query["nonce"], **{**user, **token_overrides})
    return client.post("/lti/launch", data={"id_token": token, "state": query["state"]})


def refused(app, response, message: str) -> None:
    assert response.status_code == 400
    text = page_text(response)
    assert "LTI launch refused" in text
    assert message in text
    assert count(app, LtiAccount) == 0
    assert count(app, Player) == 0


def test_a_forged_token_is_refused(app, client, platform, game):
    forger = RSAKey.generate_key(2048, parameters={"kid": "platform-key-1"}, private=True)
    response = direct_launch(client, platform, "learner-1", key=forger)
    refused(app, response, "signature does not match the platform's keys: it was forged or altered")


def test_a_key_rotated_under_the_same_kid_is_fetched_again(app, client, platform, game):
    """The tool caches a platform's keys; a platform that replaces its key but keeps the
    kid (or a new platform at an address an old one used) must not be refused as forged."""
    launch(client, platform, "learner-1")  # the old key is now cached
    platform.key = RSAKey.generate_key(
        2048, parameters={"kid": "platform-key-1", "alg": "RS256"}, private=True
    )
    response, _form = launch(client, platform, "learner-1")
    assert response.status_code == 302, page_text(response)
    assert response.headers["Location"] == f"/games/{game}"


def test_a_token_signed_with_an_unpublished_key_is_refused(app, client, platform, game):
    stranger = RSAKey.generate_key(2048, parameters={"kid": "other-key"}, private=True)
    response = direct_launch(client, platform, "learner-1", key=stranger)
    refused(app, response, "The platform publishes no key named other-key.")


def test_an_expired_token_is_refused(app, client, platform, game):
    old = int(time.time()) - 3 * 3600
    response = direct_launch(client, platform, "learner-1", iat=old, exp=old + 300)
    refused(app, response, "The launch token has expired.")


def test_a_wrong_audience_is_refused(app, client, platform, game):
    response = direct_launch(client, platform, "learner-1", aud="another-tool")
    refused(app, response, "issued for another tool (wrong audience)")


def test_several_audiences_need_the_tool_as_authorised_party(app, client, platform, game):
    response = direct_launch(
        client, platform, "learner-1", aud=["simshop-tool", "another-tool"], azp="another-tool"
    )
    refused(app, response, "wrong audience")


def test_a_replayed_launch_is_refused(app, client, platform, game):
    first, form = launch(client, platform, "learner-1")
    assert first.status_code == 302
    client.set_cookie("simshop_lti_state", form["state"], path="/lti/launch")
    again = client.post("/lti/launch", data=form)
    assert again.status_code == 400
    assert "This launch was already used (a replayed launch)." in page_text(again)


def test_a_replayed_nonce_with_a_fresh_state_is_refused(app, client, platform, game):
    _first, old = launch(client, platform, "learner-1")
    redirect = login_initiation(client, platform, "learner-1")
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirect.headers["Location"]).query))[
        "state"
    ]
    response = client.post("/lti/launch", data={"id_token": old["id_token"], "state": state})
    assert response.status_code == 400
    assert "nonce does not belong to this launch (a replay)" in page_text(response)


def test_a_launch_from_another_browser_is_refused(app, client, platform, game):
    redirect = login_initiation(client, platform, "learner-1")
    form = authorise(redirect.headers["Location"])
    other_browser = app.test_client()
    response = other_browser.post("/lti/launch", data=form)
    refused(app, response, "This launch does not belong to this browser")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"iss": "https://evil.example"}, "comes from another platform"),
        ({"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "other"}, "deployment other"),
        (
            {"https://purl.imsglobal.org/spec/lti/claim/version": "1.1"},
            "LTI version 1.1 is not supported",
        ),
        ({"https://purl.imsglobal.org/spec/lti/claim/message_type": "Unknown"}, "type Unknown"),
        ({"https://purl.imsglobal.org/spec/lti/claim/resource_link": {}}, "claim resource_link"),
        ({"iat": int(time.time()) + 3600}, "issued in the future"),
    ],
)
def test_claims_the_specification_requires_are_checked(
    app, client, platform, game, override, message
):
    refused(app, direct_launch(client, platform, "learner-1", **override), message)


def test_a_login_from_an_unregistered_platform_is_refused(client):
    response = client.get(
        "/lti/login",
        query_string={"iss": "https://unknown.example", "login_hint": "x", "target_link_uri": "x"},
    )
    assert response.status_code == 400
    assert (
        "No learning platform with the issuer https://unknown.example is registered here."
        in page_text(response)
    )


def test_the_launch_endpoint_takes_no_csrf_token_and_checks_its_own_state(client, platform, game):
    response = client.post("/lti/launch", data={"id_token": "x", "state": "y"})
    assert response.status_code == 400
    assert "does not belong to this browser" in page_text(response)  # our check, not CSRF's


# --------------------------------------------------------------------------- keys


def test_the_tool_key_is_generated_private_and_only_its_public_half_is_published(app, client):
    keys = client.get("/lti/jwks.json").get_json()["keys"]
    assert len(keys) == 1
    assert set(keys[0]) == {"kty", "n", "e", "kid", "alg", "use"}
    path = app.config["LTI_PRIVATE_KEY_PATH"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, "rb") as handle:
        assert keys[0]["kid"] == RSAKey.import_key(handle.read()).thumbprint()


# --------------------------------------------------------------------------- deep linking


def test_deep_linking_puts_a_chosen_game_in_the_course(app, client, platform, game, submit):
    with app.app_context():
        teacher = db.session.scalar(select(User).where(User.login == "teacher@example.edu"))
        platform_id = lti_service.platforms(db.session)[0].id
        db.session.add(LtiAccount(platform_id=platform_id, subject="tea-1", user_id=teacher.id))
        db.session.commit()
    response, _form = launch(client, platform, "deep-1")
    assert response.headers["Location"] == "/lti/deep-link"
    answer = submit("/lti/deep-link", {"game_id": str(game)})
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert f'action="{platform.url}/deep-link-return"' in body
    assert f"form-action 'self' {platform.url};" in answer.headers["Content-Security-Policy"]
    token = re.search(r'name="JWT" value="([^"]+)"', body).group(1)
    claims = jwt.decode(token, platform.tool_keys, algorithms=["RS256"]).claims
    assert (claims["iss"], claims["aud"]) == ("simshop-tool", platform.issuer)
    assert (
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    )
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data"
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"] == [
        {
            "type": "ltiResourceLink",
            "title": "Test game",
            "url": "http://localhost/lti/launch",
            "custom": {"simshop_game_id": str(game)},
            "lineItem": {"scoreMaximum": 100, "label": "Test game"},
            "window": {"targetName": "simshop"},
        }
    ]
    # The request is used up: posting again is refused.
    assert submit("/lti/deep-link", {"game_id": str(game)}, page="/dashboard").status_code == 400


def test_a_student_cannot_deep_link(app, client, platform, game):
    platform.users["deep-student"] = {
        "sub": "stu-9",
        "roles": [LEARNER],
        "message_type": "LtiDeepLinkingRequest",
    }
    response, _form = launch(client, platform, "deep-student")
    assert response.status_code == 400
    assert "Only instructors can add a SimShop game to a course." in page_text(response)


# --------------------------------------------------------------------------- services


def the_link(app) -> LtiLink:
    with app.app_context():
        link = db.session.scalar(select(LtiLink))
        db.session.expunge(link)
        return link


def test_roster_sync_enrols_the_courses_learners(app, client, platform, game):
    launch(client, platform, "learner-1")
    platform.members = [
        {"user_id": "stu-1", "roles": [LEARNER], "name": "Lin Wei", "status": "Active"},
        {"user_id": "stu-2", "roles": [LEARNER], "name": "Mei Chen"},
        {"user_id": "tea-1", "roles": [INSTRUCTOR], "name": "Prof. Zhao"},
        {"user_id": "stu-3", "roles": [LEARNER], "name": "Gone", "status": "Inactive"},
    ]
    key = lti_service.tool_key(app.config["LTI_PRIVATE_KEY_PATH"])
    with app.app_context():
        link = db.session.scalar(select(LtiLink))
        report = lti_service.sync_roster(db.session, link, key)
        names = sorted(
            db.session.scalars(select(User.display_name).join(Player, Player.user_id == User.id))
        )
    assert report == lti_service.RosterSync(created=1, enrolled=1, skipped_instructors=1)
    assert names == ["Lin Wei", "Mei Chen"]
    assert [r["page"] for r in platform.roster_requests] == ["1", "2"]
    assert platform.roster_requests[0]["accept"] == (
        "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    )
    assert platform.token_requests[-1]["scope"] == lti_service.SCOPE_MEMBERSHIPS


def test_the_staff_page_syncs_the_roster(app, client, platform, game, auth, submit):
    launch(client, platform, "learner-1")
    platform.members = [{"user_id": "stu-2", "roles": [LEARNER], "name": "Mei Chen"}]
    client.delete_cookie("simshop_session")
    auth.login("teacher@example.edu")
    link = the_link(app)
    page = client.get(f"/lti/games/{game}")
    assert "Cross-border e-commerce 101" in page.get_data(as_text=True)
    response = submit(
        f"/lti/games/{game}/links/{link.id}/sync", page=f"/lti/games/{game}", follow_redirects=True
    )
    assert (
        "Roster synchronised: 1 accounts created, 1 students enrolled, 0 instructors left out."
        in page_text(response)
    )


def test_grades_are_posted_to_the_courses_grade_column(app, client, platform, game):
    launch(client, platform, "learner-1")
    with app.app_context():
        student = db.session.scalar(select(LtiAccount)).user
        outsider = make_user(db.session, "walk-in")
        key = lti_service.tool_key(app.config["LTI_PRIVATE_KEY_PATH"])
        link = db.session.scalar(select(LtiLink))
        result = lti_service.post_grades(
            db.session, link, {student.id: 87.456, outsider.id: 50.0}, key
        )
        outsider_id = outsider.id
    assert result == lti_service.GradePassback(sent=1, without_account=[outsider_id])
    assert len(platform.scores) == 1
    score = platform.scores[0]
    assert {k: v for k, v in score.items() if k != "timestamp"} == {
        "userId": "stu-1",
        "scoreGiven": 87.46,
        "scoreMaximum": 100,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", score["timestamp"])
    assert platform.score_requests == [
        {
            "path": "/ags/course-101/lineitems/1/scores?type=simshop",
            "content_type": "application/vnd.ims.lis.v1.score+json",
            "scope": lti_service.SCOPE_SCORE,
        }
    ]


def test_memo_grades_travel_to_the_course(app, client, platform, game):
    """The passback takes any ``user id -> 0..100`` table: here the memo grades."""
    launch(client, platform, "learner-1")
    with app.app_context():
        from simshop.models import Game
        from simshop.services import teams as teams_service

        game_row = db.session.get(Game, game)
        student = db.session.scalar(select(LtiAccount)).user
        player = teams_service.player_for(db.session, game, student)
        teams_service.create_team(db.session, player, "Panda")
        db.session.refresh(player)
        criterion = memos_service.add_criterion(db.session, game_row, "Analysis", 8)
        memo = memos_service.save_memo(
            db.session, game_row, player.team, student, "strategy", "Plan"
        )
        memos_service.score_memo(db.session, game_row, memo.id, {criterion.id: 6})
        grades = memos_service.memo_scores(db.session, game_row)
        key = lti_service.tool_key(app.config["LTI_PRIVATE_KEY_PATH"])
        link = db.session.scalar(select(LtiLink))
        lti_service.post_grades(
            db.session, link, {k: v for k, v in grades.items() if v is not None}, key
        )
    assert [(s["userId"], s["scoreGiven"]) for s in platform.scores] == [("stu-1", 75.0)]


def test_a_link_without_a_grade_column_creates_one_once_and_reuses_it(app, client, platform, game):
    platform.offer_lineitem = False
    launch(client, platform, "learner-1")
    with app.app_context():
        link = db.session.scalar(select(LtiLink))
        assert (link.lineitem_url, lti_service.can_create_grade_column(link)) == (None, True)
        student = db.session.scalar(select(LtiAccount)).user_id
        key = lti_service.tool_key(app.config["LTI_PRIVATE_KEY_PATH"])
        first = lti_service.post_grades(db.session, link, {student: 80.0}, key)
        second = lti_service.post_grades(db.session, link, {student: 90.0}, key)
        stored = db.session.scalar(select(LtiLink)).lineitem_url
    column = f"{platform.url}/ags/course-101/lineitems/100"
    assert (first.sent, second.sent, stored) == (1, 1, column)
    assert platform.lineitems == [
        {
            "id": column,
            "scoreMaximum": 100,
            "label": "Test game",
            "resourceId": f"simshop-game-{game}",
            "tag": "simshop-grade",
        }
    ]
    assert platform.lineitem_requests == [  # looked for an earlier column, then created it
        {
            "method": "GET",
            "query": {"resource_id": f"simshop-game-{game}"},
            "content_type": None,
            "accept": lti_service.LINEITEMS_TYPE,
            "scope": lti_service.SCOPE_LINEITEM,
        },
        {
            "method": "POST",
            "query": {},
            "content_type": lti_service.LINEITEM_TYPE,
            "accept": lti_service.LINEITEM_TYPE,
            "scope": lti_service.SCOPE_LINEITEM,
        },
    ]
    assert [r["path"] for r in platform.score_requests] == [
        "/ags/course-101/lineitems/100/scores?",
        "/ags/course-101/lineitems/100/scores?",
    ]
    assert [s["scoreGiven"] for s in platform.scores] == [80.0, 90.0]
    # A later launch that names no column keeps the one SimShop created.
    launch(client, platform, "learner-1")
    with app.app_context():
        assert db.session.scalar(select(LtiLink)).lineitem_url == column


def test_a_column_created_before_is_found_instead_of_created_again(app, client, platform, game):
    platform.offer_lineitem = False
    launch(client, platform, "learner-1")
    column = f"{platform.url}/ags/course-101/lineitems/7"
    platform.lineitems = [
        {"id": f"{platform.url}/ags/course-101/lineitems/6", "resourceId": "another-tool"},
        {"id": column, "resourceId": f"simshop-game-{game}", "scoreMaximum": 100},
    ]
    with app.app_context():
        link = db.session.scalar(select(LtiLink))
        key = lti_service.tool_key(app.config["LTI_PRIVATE_KEY_PATH"])
        assert lti_service.ensure_grade_column(db.session, link, key) == column
    assert [r["method"] for r in platform.lineitem_requests] == ["GET"]
    assert len(platform.lineitems) == 2


def test_without_a_column_or_the_line_items_scope_grades_are_refused(app, client, platform, game):
    platform.offer_lineitem = False
    launch(client, platform, "learner-1")
    with app.app_context():
        link = db.session.scalar(select(LtiLink))
        link.scopes = [lti_service.SCOPE_SCORE]
        db.session.commit()
        key = lti_service.tool_key(app.config["LTI_PRIVATE_KEY_PATH"])
        with pytest.raises(lti_service.LtiError) as error:
            lti_service.post_grades(db.session, link, {1: 50.0}, key)
    assert error.value.code == "no_grade_column"
    assert platform.lineitem_requests == [] and platform.score_requests == []


def test_a_platform_that_refuses_the_token_is_reported(app, client, platform, game):
    launch(client, platform, "learner-1")
    platform.client_id = "renamed-on-the-platform"
    with app.app_context():
        link = db.session.scalar(select(LtiLink))
        key = lti_service.tool_key(app.config["LTI_PRIVATE_KEY_PATH"])
        with pytest.raises(lti_service.LtiError) as error:
            lti_service.post_grades(db.session, link, {1: 50.0}, key)
    assert error.value.code == "service_refused"
    assert error.value.params == {"url": platform.url + "/token", "status": 400}


# --------------------------------------------------------------------------- registration


def test_an_administrator_registers_a_platform_from_the_command_line(app, runner):
    result = runner.invoke(
        args=[
            "lti",
            "add-platform",
            "--name",
            "Moodle",
            "--issuer",
            "https://moodle.example.edu",
            "--client-id",
            "abc",
            "--auth-login-url",
            "https://moodle.example.edu/auth",
            "--auth-token-url",
            "https://moodle.example.edu/token",
            "--jwks-url",
            "https://moodle.example.edu/jwks",
            "--deployment-id",
            "1",
            "--deployment-id",
            "2",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Platform 1 registered: Moodle" in result.output
    listed = runner.invoke(args=["lti", "platforms"])
    assert listed.output == "1\tMoodle\thttps://moodle.example.edu\tabc\t1, 2\n"


def test_a_plain_http_platform_address_is_refused(app, runner):
    result = runner.invoke(
        args=[
            "lti",
            "add-platform",
            "--name",
            "Moodle",
            "--issuer",
            "https://moodle.example.edu",
            "--client-id",
            "abc",
            "--auth-login-url",
            "http://moodle.example.edu/auth",
            "--auth-token-url",
            "https://moodle.example.edu/token",
            "--jwks-url",
            "https://moodle.example.edu/jwks",
            "--deployment-id",
            "1",
        ]
    )
    assert result.exit_code == 1
    assert "auth_login_url: http://moodle.example.edu/auth is not an https address" in result.output


def test_a_launch_after_the_state_expired_is_refused(app, client, platform, game):
    redirect = login_initiation(client, platform, "learner-1")
    form = authorise(redirect.headers["Location"])
    later = utcnow() + timedelta(minutes=11)
    with app.app_context(), pytest.raises(lti_service.LtiError) as error:
        lti_service.validate_launch(
            db.session,
            id_token=form["id_token"],
            state=form["state"],
            cookie_state=form["state"],
            now=later,
        )
    assert error.value.code == "state_expired"


def test_launch_states_are_purged_a_day_after_they_expire(app, client, platform, game):
    login_initiation(client, platform, "learner-1")
    params = {"iss": platform.issuer, "login_hint": "x", "target_link_uri": "x"}
    with app.app_context():
        lti_service.begin_login(
            db.session, params, "http://localhost/lti/launch", now=utcnow() + timedelta(days=2)
        )
        assert db.session.scalar(select(func.count()).select_from(LtiLaunchState)) == 1


def test_the_staff_page_sends_the_published_grades(
    app, client, platform, game, auth, submit, monkeypatch
):
    launch(client, platform, "learner-1")
    client.delete_cookie("simshop_session")
    auth.login("teacher@example.edu")
    link = the_link(app)
    url, page = f"/lti/games/{game}/links/{link.id}/grades", f"/lti/games/{game}"
    nothing = submit(url, page=page, follow_redirects=True)
    assert "Publish the grades in the gradebook first." in page_text(nothing)
    assert platform.scores == []
    with app.app_context():
        student_id = db.session.scalar(select(LtiAccount.user_id))
    monkeypatch.setattr(lti_service, "published_grades", lambda session, g: {student_id: 91.0})
    response = submit(url, page=page, follow_redirects=True)
    assert "Grades sent to the course: 1; 0 students never opened SimShop" in page_text(response)
    assert [(s["userId"], s["scoreGiven"]) for s in platform.scores] == [("stu-1", 91.0)]


def test_a_disabled_account_cannot_launch(app, client, platform, game):
    launch(client, platform, "learner-1")
    client.delete_cookie("simshop_session")
    with app.app_context():
        db.session.scalar(select(LtiAccount)).user.is_active = False
        db.session.commit()
    response, _form = launch(client, platform, "learner-1")
    assert response.status_code == 400
    assert "Your SimShop account is disabled. Ask your instructor." in page_text(response)
    assert client.get(f"/games/{game}").status_code == 302  # not logged in
