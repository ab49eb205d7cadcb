"""A NUL byte typed into a form is an error on that field, in the page's language; the form
re-renders and nothing is saved. In the URL or a query parameter it stays a 400 page."""

from __future__ import annotations

import inspect
import re

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select

import simshop.forms.auth
import simshop.forms.game
import simshop.forms.lab
import simshop.forms.scenario
import simshop.views.competitions
from simshop.db import db
from simshop.forms.base import AppForm
from simshop.models import Decision, Game, Team
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import (
    csrf_from,
    enrol,
    make_game,
    make_user,
    round_no,
    tutorial_form,
)
from tests.views.test_newcomer_pages import NEW_GAME

PASSWORD = "plum orchard seventeen"
EN = "Text cannot contain a NUL character (U+0000)."
ZH = "文本不能包含 NUL 字符（U+0000）。"


def field_errors(html: str, field_id: str) -> list[str]:
    block = re.search(
        rf'<ul class="field__errors" id="{re.escape(field_id)}-errors">(.*?)</ul>', html, re.S
    )
    return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


def login_as(app, name):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"login": name, "password": PASSWORD, "csrf_token": token})
    return client


@pytest.fixture
def world(app):
    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        game = make_game(db.session, teacher, bot_count=1, scored_rounds=2)
        enrol(db.session, game, make_user(db.session, "s001", name="Ann"), "Alpha")
        schedule_service.open_round(db.session, game, round_no(db.session, game, 1))
        return {"game": game.id}


@pytest.mark.parametrize(("language", "message"), [("en", EN), ("zh-CN", ZH)])
def test_the_login_form_shows_the_nul_on_the_login_field(app, world, language, message):
    client = app.test_client()
    headers = {"Accept-Language": language}
    token = csrf_from(client.get("/login", headers=headers).get_data(as_text=True))
    response = client.post(
        "/login",
        data={"login": "s0\x0001", "password": PASSWORD, "csrf_token": token},
        headers=headers,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200  # the form again, not an error page
    assert field_errors(html, "login") == [message]
    assert 'value="s001"' in html  # what was typed, without the NUL
    assert client.get("/dashboard").status_code == 302  # not signed in


def test_the_new_game_form_shows_the_nul_on_the_title_and_creates_nothing(app, world):
    client = login_as(app, "teacher@example.edu")
    token = csrf_from(client.get("/instructor/games/new").get_data(as_text=True))
    response = client.post(
        "/instructor/games/new", data={**NEW_GAME, "title": "Class\x00 3", "csrf_token": token}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_errors(html, "title") == [EN]
    assert field_errors(html, "scenario_file") == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Game)) == 1  # the fixture's


def test_the_decision_form_shows_the_nul_on_the_price_and_saves_nothing(app, world):
    client = login_as(app, "s001")
    url = f"/games/{world['game']}/decisions"
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d*)"', page).group(1)
    form = {**tutorial_form(), "offers.US.earbuds.price_local": "2\x004.99"}
    response = client.post(url, data={"csrf_token": csrf_from(page), "version": version, **form})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "d-offers-US-earbuds-price_local") == [EN]
    with app.app_context():
        assert db.session.scalar(select(Decision)) is None


def test_a_value_read_without_a_form_is_refused_naming_its_field(app, world):
    client = login_as(app, "teacher@example.edu")
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.name == "Alpha"))
        team_id = team.id
    people = client.get(f"/instructor/games/{world['game']}/people").get_data(as_text=True)
    response = client.post(
        f"/instructor/games/{world['game']}/teams/{team_id}/rename",
        data={"csrf_token": csrf_from(people), "name": "Be\x00ta"},
    )
    assert response.status_code == 400
    assert "“name” contains a NUL character" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Team, team_id).name == "Alpha"


def test_a_nul_in_a_query_parameter_is_still_a_400_page(client):
    response = client.get("/login?next=%2Fa%00b")
    assert response.status_code == 400
    assert "“next” contains a NUL character" in response.get_data(as_text=True)


def test_every_form_class_is_an_app_form():
    modules = [
        simshop.forms.auth,
        simshop.forms.game,
        simshop.forms.lab,
        simshop.forms.scenario,
        simshop.views.competitions,
    ]
    forms = [
        cls
        for module in modules
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__
    ]
    assert len(forms) >= 15
    assert [cls.__name__ for cls in forms if not issubclass(cls, AppForm)] == []
