"""The decision form as a newcomer meets it: numbers read by locale, every error on one
submit, teammates' saves never lost silently, and the team home after the last round."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.models import Decision, Game, Player, RoundResult
from simshop.services import round_state
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import (
    csrf_from,
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_form,
)

pytestmark = pytest.mark.both_backends


@pytest.fixture
def game_ids(app):
    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        game = make_game(db.session, teacher, bot_count=1, scored_rounds=2)
        enrol(db.session, game, make_user(db.session, "s001", name="Ann"), "Alpha")
        enrol(db.session, game, make_user(db.session, "s002", name="Bo"), "Alpha")
        first = round_no(db.session, game, 1)
        schedule_service.open_round(db.session, game, first)
        return {"game": game.id, "round": first.id}


def login(app, login_name):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "login": login_name,
            "password": "plum orchard seventeen",
            "csrf_token": csrf_from(page),
        },
    )
    return client


def save(client, url, form, page_html=None):
    html = page_html or client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d*)"', html).group(1)
    return client.post(url, data={"csrf_token": csrf_from(html), "version": version, **form})


def saved_price(app):
    with app.app_context():
        row = db.session.scalar(select(Decision))
        return None if row is None else row.payload["offers"]["US"]["earbuds"]["price_local"]


def test_one_submit_shows_typing_and_rule_errors_together(app, game_ids):
    client = login(app, "s001")
    url = f"/games/{game_ids['game']}/decisions"
    form = {
        **tutorial_form(),
        "offers.US.earbuds.price_local": "0",
        "ship.US.earbuds.air": "abc",
        "factory_orders.earbuds": "1.5",
    }
    response = save(client, url, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="d-ship-US-earbuds-air-errors"' in html
    assert 'id="d-factory_orders-earbuds-errors"' in html
    assert 'id="d-offers-US-earbuds-price_local-errors"' in html
    assert "A listed product needs a price above 0." in html
    assert saved_price(app) is None


def test_a_decimal_comma_is_refused_with_both_readings_offered(app, game_ids):
    client = login(app, "s001")
    url = f"/games/{game_ids['game']}/decisions"
    response = save(client, url, {**tutorial_form(), "offers.US.earbuds.price_local": "24,99"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“24,99” is ambiguous: did you mean “24.99” or “2,499”?" in html
    assert saved_price(app) is None


@pytest.mark.parametrize(
    ("typed", "price"), [("２４.９９", 24.99), ("٢٤.٥", 24.5), ("1,234.5", 1234.5)]
)
def test_unicode_digits_and_grouping_are_read_as_their_values(app, game_ids, typed, price):
    client = login(app, "s001")
    url = f"/games/{game_ids['game']}/decisions"
    response = save(client, url, {**tutorial_form(), "offers.US.earbuds.price_local": typed})
    assert response.status_code == 302
    assert saved_price(app) == price


def test_a_teammates_newer_save_is_not_overwritten_silently(app, game_ids):
    ann, bo = login(app, "s001"), login(app, "s002")
    url = f"/games/{game_ids['game']}/decisions"
    bo_page = bo.get(url).get_data(as_text=True)  # Bo opens the form first
    assert save(ann, url, tutorial_form(price_us=30.0)).status_code == 302

    refused = save(bo, url, tutorial_form(price_us=40.0), page_html=bo_page)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert saved_price(app) == 30.0
    assert "Ann saved these decisions at" in html
    assert "Your value (not saved)" in html and "<td>30</td><td>40</td>" in html
    assert 'value="40"' in html  # Bo's own values stay in the form

    overwrite = save(bo, url, tutorial_form(price_us=40.0), page_html=html)
    assert overwrite.status_code == 302
    assert saved_price(app) == 40.0


def test_round_one_does_not_promise_a_carry_over(app, game_ids):
    client = login(app, "s001")
    form = client.get(f"/games/{game_ids['game']}/decisions").get_data(as_text=True)
    home = client.get(f"/games/{game_ids['game']}").get_data(as_text=True)
    assert "carry over" not in form and "carry over" not in home
    assert "it lists nothing and orders nothing this round" in form


def test_team_home_after_the_last_round_shows_its_end_state(app, game_ids):
    client = login(app, "s001")
    url = f"/games/{game_ids['game']}/decisions"
    assert save(client, url, tutorial_form()).status_code == 302
    with app.app_context():
        game = db.session.get(Game, game_ids["game"])
        for number in (1, 2):
            rnd = round_no(db.session, game, number)
            if number == 2:
                schedule_service.open_round(db.session, game, rnd)
            schedule_service.close_round(db.session, rnd)
            rounds_service.process_round(db.session, rnd.id)
        last = round_no(db.session, game, 2)
        alpha = team_named(db.session, game, "Alpha")
        end = db.session.scalar(
            select(RoundResult.end_state).where(
                RoundResult.round_id == last.id, RoundResult.team_id == alpha.id
            )
        )
        start = round_state.team_state_before(db.session, game, last, alpha)
    assert round(end["cash_cny"]) != round(start.cash_cny)
    home = client.get(f"/games/{game_ids['game']}").get_data(as_text=True)
    assert f"{round(end['cash_cny']):,}" in home
    assert f"{round(start.cash_cny):,}" not in home
    # Amounts in sentences carry the yuan sign; headings name it; the code never shows.
    money = r"-?CN¥\d{1,3}(?:,\d{3})*(?:\.\d\d)?"
    assert re.search(rf": revenue {money}, profit {money}, rank \d of \d\.", home)
    assert "Cash (CN¥)" in home and "CNY" not in home


def test_team_home_links_to_leaving_the_team_before_the_game_starts(app):
    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        game = make_game(db.session, teacher)
        enrol(db.session, game, make_user(db.session, "s001"), "Alpha")
        game_id = game.id
    client = login(app, "s001")
    home = client.get(f"/games/{game_id}").get_data(as_text=True)
    assert f'action="/games/{game_id}/team/leave"' in home
    response = client.post(f"/games/{game_id}/team/leave", data={"csrf_token": csrf_from(home)})
    assert response.status_code == 302
    with app.app_context():
        player = db.session.scalar(select(Player).where(Player.game_id == game_id))
        assert player.team_id is None


def test_a_listing_without_reviews_shows_no_rating(app, game_ids):
    client = login(app, "s001")
    url = f"/games/{game_ids['game']}/decisions"
    # Priced far above every rival: listed, but nobody buys, so nobody reviews it.
    assert save(client, url, tutorial_form(price_us=899.0)).status_code == 302
    with app.app_context():
        rnd = round_no(db.session, db.session.get(Game, game_ids["game"]), 1)
        schedule_service.close_round(db.session, rnd)
        rounds_service.process_round(db.session, rnd.id)
        alpha = team_named(db.session, db.session.get(Game, game_ids["game"]), "Alpha")
        offer = db.session.scalar(
            select(RoundResult.result).where(
                RoundResult.round_id == rnd.id, RoundResult.team_id == alpha.id
            )
        )["offers"][0]
    assert (offer["listed"], offer["reviews"]) == (True, 0)
    html = client.get(f"/games/{game_ids['game']}/results/1").get_data(as_text=True)
    row = html[html.index('<td class="num">', html.index("899")) :]
    last_cell = re.findall(r'<td class="num">(.*?)</td>', row.split("</tr>")[0])[-1]
    assert last_cell == "—"
    assert '<td class="num">$899.00</td>' in html
    assert "(0)" not in html
