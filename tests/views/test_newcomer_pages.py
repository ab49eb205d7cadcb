"""Pages a newcomer meets: the next steps after creating a game, every tab on the people
page, links from the dashboard, forgiving URLs, and teams the instructor tidies up."""

from __future__ import annotations

import io
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.models import Game, Team, User
from simshop.models.game import as_utc
from simshop.services import scenarios as scenarios_service
from simshop.services import teams as teams_service
from tests.reliability.gamekit import SCENARIOS_DIR, csrf_from, enrol, make_user

NEW_GAME = {
    "title": "Class 3",
    "scenario_file": "tutorial.toml",
    "scored_rounds": "4",
    "practice_rounds": "0",
    "schedule": "manual",
    "round_interval_hours": "168",
    "timezone": "Asia/Shanghai",
    "team_min_size": "1",
    "team_max_size": "3",
    "bot_count": "2",
    "bot_strategies": ["cost_plus"],
    "weight_profit": "0.5",
    "weight_revenue": "0.1",
    "weight_market_share": "0.1",
    "weight_rating": "0.2",
    "weight_roi": "0.1",
}


@pytest.fixture
def teacher(app, auth):
    with app.app_context():
        make_user(db.session, "teacher@example.edu", "instructor")
    auth.login("teacher@example.edu")


def post_new_game(client, form):
    token = csrf_from(client.get("/instructor/games/new").get_data(as_text=True))
    return client.post("/instructor/games/new", data={"csrf_token": token, **form})


def test_a_new_game_says_what_to_do_next(app, client, teacher):
    response = post_new_game(client, NEW_GAME)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="what-next"' in page
    with app.app_context():
        game = db.session.scalar(select(Game))
        assert f"/games/join/{game.join_code}" in page
        assert f'href="/instructor/games/{game.id}/people#roster"' in page
        assert 'href="#rounds"' in page and 'id="rounds"' in page


def test_every_problem_of_the_new_game_form_shows_on_one_submit(app, client, teacher):
    form = {
        **NEW_GAME,
        "title": "",  # the form's own check
        "scored_rounds": "39",  # the scenario's calendar (service check)
        "team_min_size": "4",  # bigger than the largest team (service check)
        "schedule": "deadlines",  # without a first deadline (service check)
        "weight_roi": "abc",  # not a number
    }
    response = post_new_game(client, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for field in ("title", "scored_rounds", "team_max_size", "first_deadline", "weight_roi"):
        assert f'id="{field}-errors"' in html or f'id="{field}-error"' in html, field
    with app.app_context():
        assert db.session.scalar(select(Game)) is None


def test_the_people_page_shows_every_game_tab(app, client, teacher):
    post_new_game(client, NEW_GAME)
    with app.app_context():
        game_id = db.session.scalar(select(Game.id))
    rounds = client.get(f"/instructor/games/{game_id}").get_data(as_text=True)
    people = client.get(f"/instructor/games/{game_id}/people").get_data(as_text=True)

    def tabs(html):
        start = html.index('<nav class="subnav"')
        return re.findall(r'href="([^"]+)"', html[start : html.index("</nav>", start)])

    assert len(tabs(people)) == 13  # rounds, people, quizzes, gradebook, memos, LMS, briefing, ...
    assert tabs(people) == tabs(rounds)


def test_the_dashboard_links_to_scenarios_and_competitions_take_a_trailing_slash(client, teacher):
    assert 'href="/scenarios' in client.get("/dashboard").get_data(as_text=True)
    assert client.get("/competitions/").status_code == 200
    assert client.get("/competitions").status_code == 200


def test_an_instructor_renames_and_deletes_an_empty_team(app, client, teacher):
    post_new_game(client, {**NEW_GAME, "bot_count": "0"})
    with app.app_context():
        game = db.session.scalar(select(Game))
        player = enrol(db.session, game, make_user(db.session, "s001"), "Alpha")
        teams_service.leave_team(db.session, player)
        team_id = db.session.scalar(select(Team.id))
        game_id = game.id
    page = client.get(f"/instructor/games/{game_id}/people").get_data(as_text=True)
    token = csrf_from(page)
    assert f"/instructor/games/{game_id}/teams/{team_id}/rename" in page
    client.post(
        f"/instructor/games/{game_id}/teams/{team_id}/rename",
        data={"csrf_token": token, "name": "Omega"},
    )
    with app.app_context():
        assert db.session.scalar(select(Team.name)) == "Omega"
    client.post(f"/instructor/games/{game_id}/teams/{team_id}/delete", data={"csrf_token": token})
    with app.app_context():
        assert db.session.scalar(select(Team)) is None


def test_scenario_drafts_show_times_in_the_instructors_game_time_zone(app, client, teacher):
    post_new_game(client, NEW_GAME)  # Asia/Shanghai
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.login == "teacher@example.edu"))
        text = (SCENARIOS_DIR / "tutorial.toml").read_text(encoding="utf-8")
        draft = scenarios_service.copy_scenario(db.session, owner, text)
        shanghai = as_utc(draft.updated_at).astimezone(ZoneInfo("Asia/Shanghai"))
    page = client.get("/scenarios/").get_data(as_text=True)
    assert f"{shanghai:%Y-%m-%d %H:%M} Asia/Shanghai" in page
    assert " UTC</td>" not in page


def test_the_roster_report_counts_in_proper_english(app, client, teacher):
    post_new_game(client, NEW_GAME)
    with app.app_context():
        game_id = db.session.scalar(select(Game.id))
    page = client.get(f"/instructor/games/{game_id}/people").get_data(as_text=True)
    response = client.post(
        f"/instructor/games/{game_id}/roster",
        data={
            "csrf_token": csrf_from(page),
            "roster": (io.BytesIO(b"name,student_number,team\nAnn,s900,Gamma\n"), "r.csv"),
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert "1 account created, 0 existing accounts enrolled, 1 team created." in html


def test_a_new_games_briefing_shows_sizes_as_an_index_unless_ticked(app, client, teacher):
    form_page = client.get("/instructor/games/new").get_data(as_text=True)
    assert 'name="briefing_exact_sizes"' in form_page
    post_new_game(client, NEW_GAME)
    post_new_game(client, {**NEW_GAME, "title": "Class 4", "briefing_exact_sizes": "y"})
    with app.app_context():
        games = db.session.scalars(select(Game).order_by(Game.id)).all()
        assert [(g.title, g.briefing_exact_sizes) for g in games] == [
            ("Class 3", False),
            ("Class 4", True),
        ]
