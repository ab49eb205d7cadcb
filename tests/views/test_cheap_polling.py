"""Polls that change nothing cost no database work (issue 18, point 2).

``Game.results_version`` counts changes to published results (publish, re-processing, team
renames). The projector's state answers an unchanged poll with 304 from what the worker
remembers (no SQL at all on the secret link) and rebuilds at once after a publish; the
leaderboard page answers 304 from the results version without loading any standings.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from simshop.db import db
from simshop.models import Game, User
from simshop.services import accounts, live
from simshop.services import decisions as decisions_service
from simshop.services import games as games_service
from simshop.services import projector as projector_service
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from simshop.services import teams as teams_service
from simshop.views import polls
from tests.reliability.gamekit import enrol, make_game, make_user, round_no, team_named
from tests.reliability.gamekit import tutorial_decisions as sheet

pytestmark = pytest.mark.both_backends


@pytest.fixture
def app_config():
    # Nothing expires by the clock during a test (a slow machine must not change the answer).
    return {"PROJECTOR_RECHECK_SECONDS": 600.0, "RESULTS_VERSION_TTL": 600.0}


@pytest.fixture
def game_id(app):
    """Round 1 published, round 2 open, two student teams, a projector link."""
    with app.app_context():
        s = db.session
        teacher = make_user(s, "teacher@example.edu", "instructor")
        game = make_game(s, teacher)
        enrol(s, game, make_user(s, "s001"), "Alpha")
        enrol(s, game, make_user(s, "s002"), "Beta")
        publish(s, game, 1)
        schedule_service.open_round(s, game, round_no(s, game, 2))
        projector_service.rotate_projector_link(s, game, teacher)
        return game.id


def publish(s, game, number):
    rnd = round_no(s, game, number)
    if rnd.status == "scheduled":
        schedule_service.open_round(s, game, rnd)
    schedule_service.close_round(s, rnd)
    rounds_service.process_round(s, rnd.id)


@pytest.fixture
def sql(app):
    """The SQL statements run while ``on`` is set."""
    seen: list[str] = []
    state = {"on": False}

    def record(_conn, _cursor, statement, *_args):
        if state["on"]:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen, state
    event.remove(engine, "before_cursor_execute", record)


def version(app, game_id):
    with app.app_context():
        return db.session.get(Game, game_id).results_version


def test_publishing_reprocessing_and_renaming_each_bump_the_results_version(app, game_id):
    assert version(app, game_id) == 1  # round 1 was published once
    with app.app_context():
        s = db.session
        game = s.get(Game, game_id)
        publish(s, game, 2)
    assert version(app, game_id) == 2
    with app.app_context():
        s = db.session
        game = s.get(Game, game_id)
        schedule_service.unpublish_for_reprocessing(s, game, round_no(s, game, 2))
    assert version(app, game_id) == 3
    with app.app_context():
        s = db.session
        game = s.get(Game, game_id)
        teams_service.rename_team(s, game, team_named(s, game, "Alpha").id, "Aleph")
        assert live.results_version(s, game_id) == 4  # this worker's cache learnt it at commit
    assert version(app, game_id) == 4


def test_ending_and_reopening_the_game_each_bump_the_results_version(app, game_id):
    """The projector's podium follows the game's status, so a status change is news too."""
    with app.app_context():
        games_service.end_game(db.session, db.session.get(Game, game_id))
    assert version(app, game_id) == 2
    with app.app_context():
        games_service.reopen_game(db.session, db.session.get(Game, game_id))
    assert version(app, game_id) == 3


def test_a_refused_change_bumps_nothing(app, game_id):
    with app.app_context():
        s = db.session
        game = s.get(Game, game_id)
        with pytest.raises(Exception, match="cannot_reprocess|team_name_taken"):
            teams_service.rename_team(s, game, team_named(s, game, "Alpha").id, "Beta")
        assert live.results_version(s, game_id) == 1
    assert version(app, game_id) == 1


def token_of(app, game_id):
    with app.app_context():
        s = db.session
        return projector_service.projector_link(s, s.get(Game, game_id)).token


def test_an_unchanged_poll_of_the_secret_link_runs_no_sql(app, game_id, sql):
    seen, state = sql
    anonymous = app.test_client()
    url = f"/projector/{token_of(app, game_id)}/state"
    first = anonymous.get(url)
    assert first.status_code == 200
    state["on"] = True
    again = anonymous.get(url, headers={"If-None-Match": first.headers["ETag"]})
    state["on"] = False
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    assert seen == []
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"):
        assert again.headers[name] == first.headers[name]
    assert again.headers["Vary"] == first.headers["Vary"]
    chinese = anonymous.get(
        url, headers={"If-None-Match": first.headers["ETag"], "Accept-Language": "zh-CN"}
    )
    assert chinese.status_code == 200  # another language, another body
    assert chinese.get_json()["published"]["label"] != first.get_json()["published"]["label"]


def test_a_publish_is_on_the_projector_at_the_next_poll(app, game_id):
    anonymous = app.test_client()
    url = f"/projector/{token_of(app, game_id)}/state"
    first = anonymous.get(url)
    assert first.get_json()["published"]["label"] == "Standings after Round 1"
    with app.app_context():
        s = db.session
        publish(s, s.get(Game, game_id), 2)
    after = anonymous.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert after.get_json()["published"]["label"] == "Standings after Round 2"


def test_a_saved_decision_waits_for_the_recheck(app, game_id):
    anonymous = app.test_client()
    url = f"/projector/{token_of(app, game_id)}/state"
    first = anonymous.get(url)
    assert first.get_json()["submissions"]["label"] == "0 of 2 teams have saved decisions"
    with app.app_context():
        s = db.session
        game = s.get(Game, game_id)
        alice = s.query(User).filter_by(login="s001").one()
        decisions_service.submit_decision(
            s, alice, team_named(s, game, "Alpha"), round_no(s, game, 2), sheet()
        )
    etag = {"If-None-Match": first.headers["ETag"]}
    assert anonymous.get(url, headers=etag).status_code == 304  # within the recheck time
    app.config["PROJECTOR_RECHECK_SECONDS"] = 0
    now = anonymous.get(url, headers=etag)
    assert now.status_code == 200
    assert now.get_json()["submissions"]["label"] == "1 of 2 teams have saved decisions"


def test_a_rotated_link_stops_at_once_on_this_worker(app, client, auth, game_id):
    anonymous = app.test_client()
    old = token_of(app, game_id)
    first = anonymous.get(f"/projector/{old}/state")
    with app.app_context():
        s = db.session
        game = s.get(Game, game_id)
        projector_service.rotate_projector_link(s, game, game.owner)
    gone = anonymous.get(
        f"/projector/{old}/state", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert gone.status_code == 404


def test_the_leaderboard_answers_304_without_loading_standings(app, client, auth, game_id, sql):
    seen, state = sql
    auth.login("s001")
    url = f"/games/{game_id}/leaderboard"
    first = client.get(url)
    assert first.status_code == 200 and "Alpha" in first.get_data(as_text=True)
    state["on"] = True
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    state["on"] = False
    assert again.status_code == 304 and again.data == b""
    assert [s for s in seen if "standings" in s or "round_results" in s] == []

    with app.app_context():
        s = db.session
        game = s.get(Game, game_id)
        teams_service.rename_team(s, game, team_named(s, game, "Alpha").id, "Aleph")
    renamed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert renamed.status_code == 200 and "Aleph" in renamed.get_data(as_text=True)
    assert renamed.headers["ETag"] != first.headers["ETag"]


def test_each_reader_gets_its_own_leaderboard_validator(app, client, auth, game_id):
    auth.login("s001")
    alpha = client.get(f"/games/{game_id}/leaderboard").headers["ETag"]
    auth.logout()
    auth.login("teacher@example.edu")
    staff = client.get(f"/games/{game_id}/leaderboard", headers={"If-None-Match": alpha})
    assert staff.status_code == 200 and staff.headers["ETag"] != alpha


# --------------------------------------------------------------- signed-in polls (middleware)


def signed_in_poll(app, client, auth, game_id, page, login="s001"):
    """Log in, fetch ``page`` once through Flask; returns (url, first response)."""
    auth.login(login)
    url = f"/games/{game_id}/{page}"
    first = client.get(url)
    assert first.status_code == 200
    return url, first


@pytest.mark.parametrize("page", ["projector/state", "leaderboard"])
def test_an_unchanged_signed_in_poll_runs_no_sql(app, client, auth, game_id, sql, page):
    url, first = signed_in_poll(app, client, auth, game_id, page)
    flask_answer = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert flask_answer.status_code == 304  # Flask answered this one: it remembers the reader
    seen, state = sql
    state["on"] = True
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    state["on"] = False
    assert again.status_code == 304 and again.data == b""
    assert seen == []
    assert again.headers["ETag"] == first.headers["ETag"]
    for name, value in flask_answer.headers.items():
        if name != "Set-Cookie":
            assert again.headers[name] == value, name
    # The session cookie is refreshed as Flask does for a permanent session, and still works.
    refreshed = again.headers["Set-Cookie"]
    for attribute in ("Expires=", "HttpOnly", "Path=/", "SameSite=Lax"):
        assert attribute in refreshed and attribute in flask_answer.headers["Set-Cookie"]
    assert client.get(f"/games/{game_id}").status_code == 200


def test_logging_out_stops_the_signed_in_304_at_once(app, client, auth, game_id):
    url, first = signed_in_poll(app, client, auth, game_id, "projector/state")
    etag = {"If-None-Match": first.headers["ETag"]}
    assert client.get(url, headers=etag).status_code == 304
    cookie = client.get_cookie("simshop_session").value
    auth.logout()
    replay = app.test_client()
    replay.set_cookie("simshop_session", cookie)
    answer = replay.get(url, headers=etag)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_logout_elsewhere_stops_the_signed_in_304_within_the_recheck(
    app, client, auth, game_id, monkeypatch
):
    """Another worker or host ends the session (the session version in the database): this
    worker answers from memory only until its recheck time has passed, then asks Flask."""
    url, first = signed_in_poll(app, client, auth, game_id, "leaderboard")
    etag = {"If-None-Match": first.headers["ETag"]}
    with app.app_context():
        user_id = db.session.query(User).filter_by(login="s001").one().id
        accounts.logout_everywhere(db.session, user_id)
    assert client.get(url, headers=etag).status_code == 304  # remembered, not yet rechecked
    later = polls.time.monotonic() + app.config["PROJECTOR_RECHECK_SECONDS"] + 1
    monkeypatch.setattr(polls.time, "monotonic", lambda: later)
    answer = client.get(url, headers=etag)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_forged_or_foreign_session_goes_to_flask(app, client, auth, game_id, sql):
    url, first = signed_in_poll(app, client, auth, game_id, "projector/state")
    etag = {"If-None-Match": first.headers["ETag"]}
    cookie = client.get_cookie("simshop_session").value
    forged = app.test_client()
    forged.set_cookie("simshop_session", cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB"))
    assert forged.get(url, headers=etag).status_code == 302  # bad signature: not logged in


def test_a_session_from_another_browser_is_marked_non_fresh_as_flask_login_does(
    app, client, auth, game_id, sql
):
    url, first = signed_in_poll(app, client, auth, game_id, "projector/state")
    etag = {"If-None-Match": first.headers["ETag"]}
    assert client.get(url, headers=etag).status_code == 304
    seen, state = sql
    state["on"] = True
    other = client.get(url, headers={**etag, "User-Agent": "another browser"})
    state["on"] = False
    assert other.status_code == 304 and seen == []
    with client.session_transaction() as sess:
        assert sess["_fresh"] is False and sess["_user_id"]
    app.config["PROJECTOR_RECHECK_SECONDS"] = 0  # Flask itself: the same answer
    again = client.get(url, headers={**etag, "User-Agent": "a third browser"})
    assert again.status_code == 304
    with client.session_transaction() as sess:
        assert sess["_fresh"] is False and sess["_user_id"]


def test_a_reader_is_remembered_per_user_and_game(app, client, auth, game_id):
    url, first = signed_in_poll(app, client, auth, game_id, "leaderboard")
    auth.logout()
    with app.app_context():
        make_user(db.session, "s099")  # not in the game
    auth.login("s099")
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 404


def test_a_flashed_message_is_shown_not_answered_from_memory(app, client, auth, game_id):
    url, first = signed_in_poll(app, client, auth, game_id, "leaderboard")
    etag = {"If-None-Match": first.headers["ETag"]}
    assert client.get(url, headers=etag).status_code == 304
    with client.session_transaction() as sess:
        sess["_flashes"] = [("info", "Hello there")]
    shown = client.get(url, headers=etag)
    assert shown.status_code == 200 and "Hello there" in shown.get_data(as_text=True)


def test_an_expired_session_cookie_goes_to_flask(app, client, auth, game_id, monkeypatch):
    url, first = signed_in_poll(app, client, auth, game_id, "projector/state")
    etag = {"If-None-Match": first.headers["ETag"]}
    assert client.get(url, headers=etag).status_code == 304  # the cookie is remembered now
    cookie = client.get_cookie("simshop_session").value
    replay = app.test_client()
    replay.set_cookie("simshop_session", cookie)
    assert replay.get(url, headers=etag).status_code == 304
    lifetime = app.permanent_session_lifetime.total_seconds()
    later = polls.time.time() + lifetime + 5  # patches time.time for Flask too
    monkeypatch.setattr(polls.time, "time", lambda: later)
    expired = replay.get(url, headers=etag)
    assert expired.status_code == 302 and "/login" in expired.headers["Location"]
