"""The students' briefing and the live plan of the decision form, through the test client."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from simshop.db import db
from simshop.engine.conditions import conditions_for_round
from simshop.engine.plan import plan_round
from simshop.engine.sheet import DecisionSheet
from simshop.models import Decision, Game
from simshop.services import games as games_service
from simshop.services import round_state
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import (
    csrf_from,
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
    tutorial_form,
)

pytestmark = pytest.mark.both_backends


@pytest.fixture
def ids(app):
    """A tutorial game with round 1 open: team Alpha (Ann), team Beta (Bo), Cy joined
    without a team; another instructor's game with its student Di."""
    with app.app_context():
        s = db.session
        teacher = make_user(s, "teacher@example.edu", "instructor")
        game = make_game(s, teacher)
        enrol(s, game, make_user(s, "ann", name="Ann"), "Alpha")
        enrol(s, game, make_user(s, "bo", name="Bo"), "Beta")
        enrol(s, game, make_user(s, "cy", name="Cy"))
        schedule_service.open_round(s, game, round_no(s, game, 1))
        other = make_game(s, make_user(s, "other@example.edu", "instructor"), title="Other")
        enrol(s, other, make_user(s, "di", name="Di"), "Delta")
        return {
            "game": game.id,
            "alpha": team_named(s, game, "Alpha").id,
            "beta": team_named(s, game, "Beta").id,
            "other": other.id,
        }


def login(app, name, lang=None):
    client = app.test_client()
    headers = {"Accept-Language": lang} if lang else {}
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang or "en"
    page = client.get("/login", headers=headers).get_data(as_text=True)
    client.post(
        "/login",
        data={"login": name, "password": "plum orchard seventeen", "csrf_token": csrf_from(page)},
    )
    return client


def decisions_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Decision))


# --------------------------------------------------------------------------- briefing


def test_a_student_without_a_team_reads_the_briefing_with_sizes_as_an_index(app, ids):
    html = login(app, "cy").get(f"/games/{ids['game']}/briefing").get_data(as_text=True)
    assert "Welcome to your first cross-border store." in html
    assert "1 USD = 7.1070 yuan" in html
    assert "index 100" in html and "largest market = 100" in html
    assert "Shoppers this round" not in html
    assert "Round 1 of 6 · March · 30 days per round" in html


def test_the_briefing_is_in_chinese_for_a_chinese_reader(app, ids):
    client = login(app, "ann", lang="zh-CN")
    html = client.get(f"/games/{ids['game']}/briefing").get_data(as_text=True)
    assert "欢迎开设你的第一家跨境网店。" in html
    assert "Welcome to your first" not in html
    assert "1 USD = 7.1070 yuan" not in html  # the sentence itself is translated


def test_staff_switch_the_briefing_to_exact_sizes(app, ids):
    client = login(app, "teacher@example.edu")
    url = f"/games/{ids['game']}/briefing"
    page = client.get(url).get_data(as_text=True)
    assert 'id="save-briefing-sizes"' in page
    response = client.post(
        f"/instructor/games/{ids['game']}/briefing-sizes",
        data={"csrf_token": csrf_from(page), "exact": "y"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Game, ids["game"]).briefing_exact_sizes is True
    student = login(app, "ann").get(url).get_data(as_text=True)
    assert "Shoppers this round" in student
    assert 'id="save-briefing-sizes"' not in student


def test_the_briefing_never_shows_news_not_yet_announced(app):
    with app.app_context():
        s = db.session
        game = make_game(
            s, make_user(s, "t2@example.edu", "instructor"), scenario_file="us-tariffs-2025.toml"
        )
        enrol(s, game, make_user(s, "eve", name="Eve"), "Echo")
        game_id = game.id
    html = login(app, "eve").get(f"/games/{game_id}/briefing").get_data(as_text=True)
    assert "US puts a 10 % &#39;fentanyl&#39; tariff on all Chinese goods" in html
    assert "145 %" not in html  # announced in round 3


def test_the_briefing_is_for_the_games_players_and_staff_only(app, ids):
    url = f"/games/{ids['game']}/briefing"
    assert login(app, "di").get(url).status_code == 404
    assert login(app, "other@example.edu").get(url).status_code == 404
    assert app.test_client().get(url).status_code == 302
    student = login(app, "ann")
    page = student.get(url).get_data(as_text=True)
    response = student.post(
        f"/instructor/games/{ids['game']}/briefing-sizes",
        data={"csrf_token": csrf_from(page), "exact": "y"},
    )
    assert response.status_code == 403


def test_the_team_home_links_to_the_briefing(app, ids):
    html = login(app, "ann").get(f"/games/{ids['game']}").get_data(as_text=True)
    assert f'href="/games/{ids["game"]}/briefing"' in html


# --------------------------------------------------------------------------- plan


def plan_url(ids, form, **extra):
    return f"/games/{ids['game']}/plan?" + urlencode({**form, **extra})


def test_the_plan_endpoint_returns_the_engines_plan_of_the_typed_values(app, ids):
    response = login(app, "ann").get(plan_url(ids, tutorial_form(price_us=30.0, qty=400)))
    assert response.status_code == 200
    data = response.get_json()
    with app.app_context():
        game = db.session.get(Game, ids["game"])
        scenario = games_service.game_scenario(game)
        team = team_named(db.session, game, "Alpha")
        rnd = round_state.current_round(db.session, game)
        state = round_state.team_state_before(db.session, game, rnd, team, scenario)
    sheet = DecisionSheet.model_validate(tutorial_decisions(price_us=30.0, qty=400))
    expected = plan_round(scenario, conditions_for_round(scenario, 1), state, sheet)
    assert data["plan"] == json.loads(json.dumps(expected.to_dict()))
    [offer] = data["plan"]["offers"]
    assert (offer["market"], offer["product"], offer["mode"]) == ("US", "earbuds", "air")
    assert set(data) == {"plan", "warnings", "html"}
    assert 'id="plan-panel"' in data["html"]
    assert decisions_count(app) == 0


def test_a_value_that_cannot_be_read_gets_a_located_error_not_a_500(app, ids):
    form = {**tutorial_form(), "offers.US.earbuds.price_local": "abc"}
    response = login(app, "ann").get(plan_url(ids, form))
    assert response.status_code == 422
    assert response.get_json() == {
        "errors": [
            {
                "field": "offers.US.earbuds.price_local",
                "id": "d-offers-US-earbuds-price_local",
                "label": "United States · Wireless earbuds · Price",
                "message": "Enter a number.",
            }
        ]
    }


def test_the_plan_is_for_the_teams_members_and_the_games_staff(app, ids):
    form = tutorial_form()
    ann = login(app, "ann")
    assert ann.get(plan_url(ids, form)).status_code == 200
    assert ann.get(plan_url(ids, form, team=ids["beta"])).status_code == 404
    assert login(app, "cy").get(plan_url(ids, form)).status_code == 404  # no team yet
    assert login(app, "di").get(plan_url(ids, form)).status_code == 404
    teacher = login(app, "teacher@example.edu")
    assert teacher.get(plan_url(ids, form)).status_code == 404  # which team?
    assert teacher.get(plan_url(ids, form, team=ids["beta"])).status_code == 200
    other = login(app, "other@example.edu")
    assert other.get(plan_url(ids, form, team=ids["beta"])).status_code == 404
    assert app.test_client().get(plan_url(ids, form)).status_code == 302


def test_check_my_plan_without_javascript_shows_the_same_panel_and_saves_nothing(app, ids):
    client = login(app, "ann")
    url = f"/games/{ids['game']}/decisions"
    page = client.get(url).get_data(as_text=True)
    assert 'id="check-plan"' in page and "js/plan.js" in page
    version = re.search(r'name="version" value="(\d*)"', page).group(1)
    form = {**tutorial_form(price_us=30.0, qty=400), "csrf_token": csrf_from(page)}
    response = client.post(url, data={**form, "version": version, "action": "plan"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    panel = client.get(plan_url(ids, tutorial_form(price_us=30.0, qty=400))).get_json()["html"]
    assert panel.strip() in html
    assert 'value="30"' in html  # the typed values stay in the form
    assert decisions_count(app) == 0


def test_check_my_plan_with_a_bad_value_shows_the_error_on_its_field(app, ids):
    client = login(app, "ann")
    url = f"/games/{ids['game']}/decisions"
    page = client.get(url).get_data(as_text=True)
    form = {**tutorial_form(), "ship.US.earbuds.air": "many", "csrf_token": csrf_from(page)}
    response = client.post(url, data={**form, "version": "0", "action": "plan"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="d-ship-US-earbuds-air-errors"' in html
    assert 'id="plan-panel"' not in html
    assert decisions_count(app) == 0
