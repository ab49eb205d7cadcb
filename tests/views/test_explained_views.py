"""Results explained and the end of the game, through the pages (test client)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.engine.explain import CAUSES
from simshop.models import Game, GameStatus, RoundExplanation, RoundResult, TeamExplanation, User
from simshop.services import decisions as decisions_service
from simshop.services import games as games_service
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

CAUSE_WORDS = (
    "Your prices",
    "Your advertising",
    "Your stock and shipping",
    "Rivals' moves",
    "Tariffs, fees and freight",
    "Exchange rates",
    "Season and demand",
    "Chance",
)


def play(app, game_id: int, number: int, *, explain: bool = True, price: float = 34.99):
    """The student saves a sheet for round ``number``; the round is closed and processed."""
    with app.app_context():
        game = db.session.get(Game, game_id)
        rnd = round_no(db.session, game, number)
        if rnd.status == "scheduled":
            schedule_service.open_round(db.session, game, rnd)
        student = db.session.scalar(select(User).filter_by(login="s001"))
        team = team_named(db.session, game, "Alpha")
        sheet = tutorial_decisions(price_us=price)
        if number > 1:
            sheet.pop("enter_markets")
        decisions_service.submit_decision(db.session, student, team, rnd, sheet)
        schedule_service.close_round(db.session, rnd)
        outcome = rounds_service.process_round(db.session, rnd.id, explain=explain)
        assert outcome.published
        return rnd.id


@pytest.fixture
def game_id(app):
    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        game = make_game(db.session, teacher, bot_count=1, scored_rounds=2)
        enrol(db.session, game, make_user(db.session, "s001"), "Alpha")
        return game.id


def test_after_processing_the_student_sees_why_the_profit_changed(app, client, auth, game_id):
    play(app, game_id, 1)
    auth.login("s001")
    html = client.get(f"/games/{game_id}/results/1").get_data(as_text=True)
    assert 'id="explanation"' in html and '<svg class="chart"' in html
    assert "The first round is compared with doing nothing in it" in html
    for word in CAUSE_WORDS:
        assert word in html
    assert "Your own price changes: +" in html or "Your own price changes: −" in html


def test_the_parts_stored_add_up_to_the_change(app, game_id):
    round_id = play(app, game_id, 1)
    with app.app_context():
        head = db.session.scalar(
            select(RoundExplanation).where(RoundExplanation.round_id == round_id)
        )
        assert head.baseline == "no_action"
        rows = db.session.scalars(
            select(TeamExplanation).where(TeamExplanation.round_id == round_id)
        ).all()
        assert len(rows) == 2  # Alpha and the bot
        for row in rows:
            change = row.profit_after_cents - row.profit_before_cents
            assert sum(row.profit_parts_cents.values()) == change
            assert sum(row.units_parts.values()) == row.units_after - row.units_before


def test_the_round_is_visible_while_its_explanation_is_being_computed(app, client, auth, game_id):
    round_id = play(app, game_id, 1, explain=False)
    auth.login("s001")
    html = client.get(f"/games/{game_id}/results/1").get_data(as_text=True)
    assert "Net profit" in html
    assert "The explanation is being computed." in html
    with app.app_context():
        report = schedule_service.tick(db.session)
    assert report.explained == [round_id]
    html = client.get(f"/games/{game_id}/results/1").get_data(as_text=True)
    assert "The explanation is being computed." not in html
    assert '<svg class="chart"' in html


def test_chinese_pages_explain_in_chinese_with_yuan_signs(app, client, auth, game_id):
    play(app, game_id, 1)
    auth.login("s001")
    html = client.get(f"/games/{game_id}/results/1", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True
    )
    assert "利润为什么变化" in html
    assert "¥" in html


def test_the_last_round_ends_the_game_and_the_season_page_reviews_it(app, client, auth, game_id):
    play(app, game_id, 1)
    with app.app_context():
        assert db.session.get(Game, game_id).status == GameStatus.RUNNING.value
    play(app, game_id, 2, price=39.99)
    with app.app_context():
        game = db.session.get(Game, game_id)
        assert game.status == GameStatus.ENDED.value and game.ended_at is not None
    auth.login("s001")
    home = client.get(f"/games/{game_id}").get_data(as_text=True)
    assert 'id="final-result"' in home and "Final cash:" in home
    season = client.get(f"/games/{game_id}/season")
    assert season.status_code == 200
    html = season.get_data(as_text=True)
    assert "Season review" in html and 'id="trajectory"' in html
    assert html.count('<tr><th scope="row"><a href="/games/') == 2  # two rounds
    assert 'id="best-decisions"' in html and 'id="worst-decisions"' in html
    assert "Final standings" in html
    results2 = client.get(f"/games/{game_id}/results/2").get_data(as_text=True)
    assert "Compared with the previous round" in results2


def test_the_instructor_reopens_an_ended_game_only_after_confirming(app, client, auth, game_id):
    play(app, game_id, 1)
    play(app, game_id, 2)
    auth.login("teacher@example.edu")
    url = f"/instructor/games/{game_id}/reopen"
    page = client.get(url).get_data(as_text=True)
    assert "Yes: Reopen game" in page
    token = csrf_from(page)
    unconfirmed = client.post(url, data={"csrf_token": token})
    assert unconfirmed.status_code == 200
    with app.app_context():
        assert db.session.get(Game, game_id).status == GameStatus.ENDED.value
    done = client.post(url, data={"csrf_token": token, "confirmed": "yes"})
    assert done.status_code == 302
    with app.app_context():
        game = db.session.get(Game, game_id)
        assert game.status == GameStatus.RUNNING.value and game.ended_at is None


def test_the_debrief_shows_every_teams_explanation(app, client, auth, game_id):
    play(app, game_id, 1)
    auth.login("teacher@example.edu")
    html = client.get(f"/games/{game_id}/lab/debrief/1").get_data(as_text=True)
    assert "Results explained: change in profit by cause (CN¥)" in html
    assert html.count('<svg class="chart"') >= 2
    assert "Why the profit changed" in html


def test_news_never_announces_an_event_after_the_games_last_round(app):
    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        game = make_game(db.session, teacher, scenario_file="red-sea.toml", scored_rounds=5)
        announced = games_service.game_scenario(game).announced_events(5)
        assert [e.round for e in announced if e.round > 5] == [6]  # announced in round 5
        news = games_service.game_news(game, 5)
        assert news == [e for e in announced if e.round <= 5]


def test_the_projector_shows_a_final_podium_once_the_game_has_ended(app, client, auth, game_id):
    play(app, game_id, 1)
    auth.login("teacher@example.edu")
    running = client.get(f"/games/{game_id}/projector").get_data(as_text=True)
    assert 'data-field="podium"' not in running
    play(app, game_id, 2)
    ended = client.get(f"/games/{game_id}/projector").get_data(as_text=True)
    assert 'data-field="podium"' in ended and "Final podium" in ended
    assert ended.count('class="pj-podium__step ') == 2  # two teams: Alpha and the bot
    state = client.get(f"/games/{game_id}/projector/state").get_json()
    assert [row["rank"] for row in state["podium"]] == [1, 2]


def test_round_two_is_explained_against_the_published_round_one_to_the_cent(app, game_id):
    first = play(app, game_id, 1)
    second = play(app, game_id, 2, price=39.99)
    with app.app_context():
        published = {
            (rr.round_id, rr.team_id): round(rr.result["pnl"]["profit_cny"] * 100)
            for rr in db.session.scalars(select(RoundResult))
        }
        head = db.session.scalar(
            select(RoundExplanation).where(RoundExplanation.round_id == second)
        )
        assert head.baseline == "previous"
        rows = db.session.scalars(
            select(TeamExplanation).where(TeamExplanation.round_id == second)
        ).all()
        assert len(rows) == 2
        for row in rows:
            assert row.profit_before_cents == published[(first, row.team_id)]
            assert row.profit_after_cents == published[(second, row.team_id)]
            assert sum(row.profit_parts_cents.values()) == (
                published[(second, row.team_id)] - published[(first, row.team_id)]
            )


def test_the_team_export_holds_its_explanations(app, client, auth, game_id):
    play(app, game_id, 1)
    auth.login("s001")
    response = client.get(f"/games/{game_id}/lab/export/explanations.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 1  # the team's own row only
    row = rows[0]
    assert row["baseline"] == "no_action" and row["round_number"] == "1"
    parts = [float(row[f"profit_{c}_cny"]) for c in CAUSES]
    assert round(sum(parts), 2) == float(row["profit_change_cny"])
    units = [int(row[f"units_{c}"]) for c in CAUSES]
    assert sum(units) == int(row["units_change"])


def test_staff_read_any_teams_season_review_from_the_data_lab(app, client, auth, game_id):
    play(app, game_id, 1)
    play(app, game_id, 2)
    with app.app_context():
        team = team_named(db.session, db.session.get(Game, game_id), "Alpha")
    auth.login("teacher@example.edu")
    html = client.get(f"/games/{game_id}/lab/teams/{team.id}/season").get_data(as_text=True)
    assert 'id="trajectory"' in html and "Final standings" in html
    assert f"/games/{game_id}/lab/debrief/2?team={team.id}#explanation" in html
    auth.logout()
    auth.login("s001")
    assert client.get(f"/games/{game_id}/lab/teams/{team.id}/season").status_code == 403


@pytest.mark.parametrize("budget, inline", [(60, True), (2, False)])
def test_process_now_explains_while_the_instructor_waits_only_a_small_round(
    app, client, auth, game_id, monkeypatch, budget, inline
):
    """Tutorial has 2 markets and this game 2 teams (Alpha and a bot): 4 team-markets. With
    room for them the round is explained in the request; with a budget of 2 team-markets
    (1 team) it is published at once, the instructor is told, and tick explains it."""
    monkeypatch.setattr(schedule_service, "INLINE_EXPLAIN_TEAM_MARKETS", budget)
    with app.app_context():
        game = db.session.get(Game, game_id)
        assert schedule_service.inline_explain_teams(game) == budget // 2
        rnd = round_no(db.session, game, 1)
        schedule_service.open_round(db.session, game, rnd)
        round_id = rnd.id
    auth.login("teacher@example.edu")
    token = csrf_from(client.get(f"/instructor/games/{game_id}").get_data(as_text=True))
    done = client.post(
        f"/instructor/games/{game_id}/rounds/{round_id}/process",
        data={"csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Round processed and published" in done
    told = "Their explanations are computed by the round clock (flask tick)" in done
    with app.app_context():
        stored = db.session.scalar(
            select(RoundExplanation).where(RoundExplanation.round_id == round_id)
        )
        assert (stored is not None, told) == (inline, not inline)
        if not inline:
            assert schedule_service.tick(db.session).explained == [round_id]


def test_the_inline_budget_divides_by_the_scenarios_markets(app):
    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        festivals = make_game(db.session, teacher, scenario_file="festivals.toml")
        tutorial = make_game(db.session, teacher)
        assert schedule_service.inline_explain_teams(festivals) == 12  # 5 markets
        assert schedule_service.inline_explain_teams(tutorial) == 30  # 2 markets
