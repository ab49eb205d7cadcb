"""Leaderboard, projector (page, JSON state with ETag/304, secret link) and game bundles."""

from __future__ import annotations

import json
import re

import pytest

from simshop.db import db
from simshop.models import Game, Player, User
from simshop.services import decisions as decisions_service
from simshop.services import games as games_service
from simshop.services import leaderboard as lb
from simshop.services import projector as projector_service
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import (
    csrf_from,
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


@pytest.fixture
def seeded(seeded_app):
    """Every test starts from a fresh copy of one world (tests/conftest.py, seeded_app)."""
    return seeded_app("leaderboard-views", build_world)


@pytest.fixture
def app(seeded):
    return seeded[0]


@pytest.fixture
def ids(seeded):
    return seeded[1]


def build_world(app):
    """A game with one bot and two student teams; round 1 published, round 2 open."""
    with app.app_context():
        s = db.session
        teacher = make_user(s, "teacher@example.edu", "instructor")
        make_user(s, "other@example.edu", "instructor")
        make_user(s, "outsider")
        game = make_game(s, teacher, title="Class <3", bot_count=1)
        alice = make_user(s, "s001")
        enrol(s, game, alice, "Alpha")
        enrol(s, game, make_user(s, "s002"), "<b>Beta</b>")
        first = round_no(s, game, 1)
        schedule_service.open_round(s, game, first)
        decisions_service.submit_decision(
            s, alice, team_named(s, game, "Alpha"), first, tutorial_decisions()
        )
        schedule_service.close_round(s, first)
        rounds_service.process_round(s, first.id)
        schedule_service.open_round(s, game, round_no(s, game, 2))
        return {"game": game.id, "alpha": team_named(s, game, "Alpha").id}


def alpha_user(session) -> int:
    return session.query(Player).join(User).filter(User.login == "s001").one().user_id


def post(client, url, data=None, page=None, **kwargs):
    token = csrf_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def test_players_see_the_leaderboard_with_their_team_marked_and_the_rule(client, auth, ids):
    auth.login("s001")
    response = client.get(f"/games/{ids['game']}/leaderboard")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<tr data-team="{ids["alpha"]}" class="is-self">' in html
    assert "&lt;b&gt;Beta&lt;/b&gt;" in html and "<b>Beta</b>" not in html
    assert "How the score is computed" in html
    assert "min–max normalisation" in html
    assert "higher cumulative profit" in html
    assert "Cumulative profit (CN¥)" in html and ">ROI<" in html
    assert "weight 0.4" in html


def test_staff_see_the_leaderboard_without_a_marked_row(client, auth, ids):
    auth.login("teacher@example.edu")
    html = client.get(f"/games/{ids['game']}/leaderboard").get_data(as_text=True)
    assert 'class="is-self"' not in html
    assert "Projector link for a classroom PC" in html


@pytest.mark.parametrize(
    ("login", "status"), [("outsider", 404), ("other@example.edu", 404), (None, 302)]
)
@pytest.mark.parametrize(
    "path",
    ["leaderboard", "projector", "projector/state", "results-bundle.json", "projector/link"],
)
def test_outsiders_are_kept_out(client, auth, ids, login, status, path):
    if login:
        auth.login(login)
    response = client.get(f"/games/{ids['game']}/{path}")
    if path == "projector/link" and login == "outsider":
        status = 403  # a student asking for an instructor page
    assert response.status_code == status
    if status == 302:
        assert "/login" in response.headers["Location"]


def test_unknown_round_is_404(client, auth, ids):
    auth.login("s001")
    assert client.get(f"/games/{ids['game']}/leaderboard?round=9").status_code == 404


def test_projector_state_answers_304_until_something_changes(app, client, auth, ids):
    app.config["PROJECTOR_RECHECK_SECONDS"] = 0  # look at the database on every poll
    auth.login("s001")
    url = f"/games/{ids['game']}/projector/state"
    first = client.get(url)
    etag = first.headers["ETag"]
    state = first.get_json()
    assert first.status_code == 200 and etag.startswith('"')
    assert state["round"]["label"] == "Round 2" and state["round"]["status"] == "open"
    assert state["published"]["label"] == "Standings after Round 1"
    assert [row["rank"] for row in state["standings"]] == [1, 2, 3]
    assert state["submissions"]["label"] == "0 of 2 teams have saved decisions"

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""

    with app.app_context():
        s = db.session
        game = s.get(Game, ids["game"])
        alpha = team_named(s, game, "Alpha")
        rnd = round_no(s, game, 2)
        sheet = tutorial_decisions()
        del sheet["enter_markets"]
        decisions_service.submit_decision(s, s.get(User, alpha_user(s)), alpha, rnd, sheet)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["submissions"]["label"] == "1 of 2 teams have saved decisions"


def test_projector_page_has_the_poll_interval_and_no_inline_script(app, client, auth, ids):
    app.config["PROJECTOR_POLL_SECONDS"] = 1.5
    auth.login("teacher@example.edu")
    response = client.get(f"/games/{ids['game']}/projector")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-poll-ms="1500"' in html
    assert '<script src="/static/js/projector.js"></script>' in html
    assert "<script>" not in html and "style=" not in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_secret_link_opens_the_projector_without_login_and_can_be_rotated(
    app, client, auth, ids
):
    auth.login("teacher@example.edu")
    page = f"/games/{ids['game']}/projector/link"
    assert "has no projector link" in client.get(page).get_data(as_text=True)
    assert post(client, page).status_code == 302
    with app.app_context():
        first = projector_service.projector_link(
            db.session, db.session.get(Game, ids["game"])
        ).token
    assert f"/projector/{first}" in client.get(page).get_data(as_text=True)
    auth.logout()

    anonymous = app.test_client()
    shown = anonymous.get(f"/projector/{first}")
    assert shown.status_code == 200 and "Class &lt;3" in shown.get_data(as_text=True)
    assert shown.headers["Referrer-Policy"] == "no-referrer"
    assert anonymous.get(f"/projector/{first}/state").get_json()["title"] == "Class <3"

    auth.login("teacher@example.edu")
    post(client, page)  # rotate
    assert anonymous.get(f"/projector/{first}").status_code == 404
    assert anonymous.get(f"/projector/{first}/state").status_code == 404
    post(client, f"{page}/disable", page=page)
    with app.app_context():
        assert (
            projector_service.projector_link(db.session, db.session.get(Game, ids["game"])) is None
        )


def test_projector_link_posts_need_csrf_and_staff(client, auth, ids):
    auth.login("teacher@example.edu")
    assert client.post(f"/games/{ids['game']}/projector/link").status_code == 400
    auth.logout()
    auth.login("other@example.edu")
    page = "/dashboard"
    assert post(client, f"/games/{ids['game']}/projector/link", page=page).status_code == 404
    auth.logout()
    auth.login("s001")
    assert post(client, f"/games/{ids['game']}/projector/link", page=page).status_code == 403


def test_players_get_the_bundle_only_after_the_game_ended(app, client, auth, ids):
    auth.login("s001")
    url = f"/games/{ids['game']}/results-bundle.json"
    assert client.get(url).status_code == 403
    with app.app_context():
        games_service.end_game(db.session, db.session.get(Game, ids["game"]))
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["format"] == "simshop-results-bundle"
    assert [r["number"] for r in data["games"][0]["rounds"]] == [1]


def test_staff_get_the_bundle_at_any_time(client, auth, ids):
    auth.login("teacher@example.edu")
    response = client.get(f"/games/{ids['game']}/results-bundle.json")
    assert response.status_code == 200
    assert json.loads(response.data)["games"][0]["game"]["id"] == ids["game"]


def _row_cells(html: str, marker: str) -> list[str]:
    """The text of every cell in the table row holding ``marker``."""
    row = next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if marker in r)
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def test_a_team_without_reviews_shows_no_rating(app, client, auth, ids):
    """Beta sold nothing in round 1, so it has no reviews: the engine's starting rating is
    not shown as if shoppers gave it (leaderboard, instructor standings, student results)."""
    with app.app_context():
        beta = team_named(db.session, db.session.get(Game, ids["game"]), "<b>Beta</b>").id
    auth.login("teacher@example.edu")
    board = client.get(f"/games/{ids['game']}/leaderboard").get_data(as_text=True)
    metrics = ["profit", "revenue", "market_share", "rating", "roi"]
    beta_cells = _row_cells(board, f'data-team="{beta}"')[4:]
    alpha_cells = _row_cells(board, f'data-team="{ids["alpha"]}"')[4:]
    assert beta_cells[metrics.index("rating")].startswith("—+")
    assert re.fullmatch(r"\d\.\d\d\+\d\.\d{3}", alpha_cells[metrics.index("rating")])

    page = client.get(f"/instructor/games/{ids['game']}").get_data(as_text=True)
    standings = page.split('class="table standings"')[1]
    assert _row_cells(standings, "&lt;b&gt;Beta&lt;/b&gt;</td>")[-1] == "—"
    assert re.fullmatch(r"\d\.\d\d", _row_cells(standings, ">Alpha</td>")[-1])

    auth.logout()
    auth.login("s001")
    page = client.get(f"/games/{ids['game']}/results/1").get_data(as_text=True)
    results = page.split('class="table standings"')[1]
    assert _row_cells(results, "&lt;b&gt;Beta&lt;/b&gt;</td>")[-1] == "—"


def test_yuan_summaries_carry_the_yuan_sign(app, client, auth, ids):
    """Profit and revenue under "(CN¥)" headings are shown with the yuan sign and, from 1,000 up,
    without fen: the leaderboard, the standings and the team's own results and home."""
    from simshop.numbers import money

    with app.app_context():
        game = db.session.get(Game, ids["game"])
        row = next(r for r in lb.leaderboard(db.session, game).rows if r.team_id == ids["alpha"])
    with app.test_request_context():
        profit = money(row.metrics["profit"], "CNY")
        revenue = money(row.metrics["revenue"], "CNY")
    # English CLDR writes the yuan as "CN¥" (Chinese pages: "¥"); no fen from 1,000 up.
    assert re.fullmatch(r"-?CN¥\d{1,3}(,\d{3})+", revenue), revenue

    auth.login("s001")
    board = client.get(f"/games/{ids['game']}/leaderboard").get_data(as_text=True)
    cells = _row_cells(board, f'data-team="{ids["alpha"]}"')[4:]
    assert cells[0].startswith(profit + "+") and cells[1].startswith(revenue + "+")

    page = client.get(f"/games/{ids['game']}/results/1").get_data(as_text=True)
    standings = page.split('class="table standings"')[1]
    assert _row_cells(standings, ">Alpha</td>")[3:5] == [profit, revenue]
    assert f'<td class="num">{profit}</td>' in page.split('class="table pnl"')[1]
