"""Data lab pages: who may see what, the "what if" POST (CSRF, writes nothing), downloads."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from simshop.db import db
from simshop.models import Decision, Round, RoundResult
from tests.reliability.gamekit import make_user
from tests.services.test_analysis import build_world


def build_lab_world(app):
    with app.app_context():
        w = build_world(db.session, rounds=2)
        make_user(db.session, "other@example.edu", "instructor")
        make_user(db.session, "s099")  # a student of no game
        return {"game": w.game.id, "alpha": w.alpha.id, "beta": w.beta.id}


@pytest.fixture
def seeded(seeded_app):
    """Every test starts from a fresh copy of one world (tests/conftest.py, seeded_app)."""
    return seeded_app("lab-world", build_lab_world)


@pytest.fixture
def app(seeded):
    return seeded[0]


@pytest.fixture
def world(seeded):
    return seeded[1]


def url(world, path=""):
    return f"/games/{world['game']}/lab{path}"


STUDENT_PAGES = [
    "",
    "/research",
    "/research?market=EU",
    "/dashboard",
    "/whatif/2",
    "/export/results.csv",
    "/export.xlsx",
]
STAFF_PAGES = [
    "/debrief",
    "/debrief/2",
    "/debrief/2.csv",
    "/game-export/results.csv",
    "/game-export.xlsx",
    "/teams/{alpha}/dashboard",
]


@pytest.mark.parametrize("path", STUDENT_PAGES + STAFF_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, world, path):
    response = client.get(url(world, path.format(**world)))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", STUDENT_PAGES)
def test_a_team_member_opens_every_team_page(client, auth, world, path):
    auth.login("s001")
    assert client.get(url(world, path)).status_code == 200


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_students_never_reach_staff_pages(client, auth, world, path):
    auth.login("s001")
    assert client.get(url(world, path.format(**world))).status_code == 403


@pytest.mark.parametrize("path", STUDENT_PAGES + STAFF_PAGES)
def test_outsiders_reach_nothing(client, auth, world, path):
    auth.login("s099")
    assert client.get(url(world, path.format(**world))).status_code in (403, 404)


@pytest.mark.parametrize("path", STAFF_PAGES + ["", "/research"])
def test_staff_open_staff_pages_but_other_instructors_do_not(client, auth, world, path):
    auth.login("teacher@example.edu")
    assert client.get(url(world, path.format(**world))).status_code == 200
    auth.logout()
    auth.login("other@example.edu")
    assert client.get(url(world, path.format(**world))).status_code == 404


def test_staff_cannot_open_a_team_of_another_game(client, auth, world):
    auth.login("teacher@example.edu")
    assert client.get(url(world, "/teams/999999/dashboard")).status_code == 404


def test_research_hides_rival_names_from_students(client, auth, world):
    auth.login("s001")
    html = client.get(url(world, "/research?market=US")).get_data(as_text=True)
    assert "Alpha" in html and "Rival A" in html
    assert "Bot 1" not in html and "Beta" not in html
    assert "<svg" in html and "style=" not in html.split("<main", 1)[1]


def test_unknown_market_and_table_are_404(client, auth, world):
    auth.login("s001")
    assert client.get(url(world, "/research?market=XX")).status_code == 404
    assert client.get(url(world, "/export/passwords.csv")).status_code == 404


def test_team_csv_download_is_utf8_with_bom(client, auth, world):
    auth.login("s001")
    response = client.get(url(world, "/export/results.csv"))
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["round_number", "scenario_round", "is_practice"]
    assert {r[rows[0].index("team_id")] for r in rows[1:]} == {str(world["alpha"])}


def counts(app):
    with app.app_context():
        s = db.session
        return (
            s.scalar(select(func.count(RoundResult.id))),
            s.scalar(select(func.count(Decision.id))),
            [tuple(r) for r in s.execute(select(Round.id, Round.status, Round.market_stats))],
            [tuple(r) for r in s.execute(select(RoundResult.id, RoundResult.result))],
        )


def test_whatif_form_is_prefilled_with_the_played_decisions(client, auth, world):
    auth.login("s001")
    html = client.get(url(world, "/whatif/2")).get_data(as_text=True)
    assert 'name="offers.US.earbuds.price_local"' in html
    assert 'value="34.99"' in html


def test_whatif_post_needs_csrf(client, auth, world):
    auth.login("s001")
    response = client.post(url(world, "/whatif/2"), data={"offers.US.earbuds.price_local": "20"})
    assert response.status_code == 400


def test_whatif_replays_a_lower_price_and_saves_nothing(app, client, auth, submit, world):
    auth.login("s001")
    before = counts(app)
    form = {
        "offers.US.earbuds.listed": "y",
        "offers.US.earbuds.price_local": "19.99",
        "offers.US.earbuds.ad_budget_cny": "5000",
        "offers.US.earbuds.channel": "warehouse",
        "factory_orders.earbuds": "800",
        "ship.US.earbuds.air": "800",
    }
    response = submit(url(world, "/whatif/2"), form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert 'id="whatif-result"' in html
    assert counts(app) == before


def test_whatif_with_bad_input_says_where_and_saves_nothing(app, client, auth, submit, world):
    auth.login("s001")
    before = counts(app)
    response = submit(
        url(world, "/whatif/2"),
        {
            "offers.US.earbuds.listed": "y",
            "offers.US.earbuds.price_local": "-3",
        },
    )
    assert response.status_code == 422
    assert 'id="form-errors"' in response.get_data(as_text=True)
    assert counts(app) == before


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Enter a price between"), ("zh-CN", "请输入介于")],
)
def test_whatif_refuses_a_price_outside_the_band_on_its_field(
    app, client, auth, submit, world, language, message
):
    auth.login("s001")
    before = counts(app)
    response = submit(
        url(world, "/whatif/2"),
        {"offers.US.earbuds.listed": "y", "offers.US.earbuds.price_local": "0.0001"},
        headers={"Accept-Language": language},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="d-offers-US-earbuds-price_local-errors"' in html
    assert message in html
    assert counts(app) == before


def test_whatif_of_an_unpublished_round_is_404(client, auth, world):
    auth.login("s001")
    assert client.get(url(world, "/whatif/3")).status_code == 404


def test_debrief_is_printable_and_exports_csv(client, auth, world):
    auth.login("teacher@example.edu")
    html = client.get(url(world, "/debrief/2")).get_data(as_text=True)
    assert 'href="/static/css/print.css" media="print"' in html
    assert "Beta" in html
    data = client.get(url(world, "/debrief/2.csv")).data
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0].startswith("round_number,")


def test_research_names_products_in_chinese_for_chinese_readers(client, auth, world):
    auth.login("s001")
    response = client.get(url(world, "/research"), headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    assert "无线耳机" in response.get_data(as_text=True)


def test_research_names_tariff_categories_in_the_pages_language(client, auth, world, app):
    auth.login("s001")
    html = client.get(url(world, "/research?market=US")).get_data(as_text=True)
    assert "Tariff: Electronics" in html and "Tariff: electronics" not in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post("/lang", data={"locale": "zh_Hans_CN", "next": "/", "csrf_token": token})
    html = client.get(url(world, "/research?market=US")).get_data(as_text=True)
    assert "关税：电子产品" in html and "electronics" not in html
