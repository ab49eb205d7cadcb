"""The decision page with a 30-product catalogue: the team picks what it carries (public
facts only), only carried products get offer rows, a supplier per product, samples and
research studies saved in the sheet, listing caps shown."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.models import Decision
from simshop.services import games as games_service
from simshop.services import schedule as schedule_service
from tests.catalogue_kit import FILE_NAME, catalogue_dir, hidden_values
from tests.reliability.gamekit import csrf_from, enrol, make_user, round_no

pytestmark = pytest.mark.both_backends

SEED = 20260101


@pytest.fixture
def game_id(app, tmp_path):
    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        spec = games_service.GameSpec(
            title="Catalogue",
            scenario_file=FILE_NAME,
            scored_rounds=3,
            practice_rounds=0,
            bot_count=0,
            seed=SEED,
        )
        game = games_service.create_game(
            db.session, teacher, spec, scenarios_dir=catalogue_dir(tmp_path / "scenarios")
        )
        enrol(db.session, game, make_user(db.session, "s001", name="Ann"), "Alpha")
        schedule_service.open_round(db.session, game, round_no(db.session, game, 1))
        return game.id


def login(app, name):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={"login": name, "password": "plum orchard seventeen", "csrf_token": csrf_from(page)},
    )
    return client


def post(client, url, form, *, action=None):
    html = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d*)"', html).group(1)
    data = {"csrf_token": csrf_from(html), "version": version, "assortment": "shown", **form}
    if action:
        data["action"] = action
    return client.post(url, data=data)


def saved_payload(app):
    with app.app_context():
        return db.session.scalar(select(Decision)).payload


def test_a_new_team_sees_the_catalogue_and_no_offer_rows(app, game_id):
    html = login(app, "s001").get(f"/games/{game_id}/decisions").get_data(as_text=True)
    assert html.count('name="carry.item-') == 30
    assert 'name="offers.US.item-00.price_local"' not in html
    assert 'name="factory_orders.item-00"' not in html
    assert 'name="ship.US.item-00.sea"' not in html
    assert "Tick the products your team carries" in html
    # public facts: category, weight, reference price, the toys' peak months
    assert "Item 01" in html and "0.15 kg" in html and "<td>Dec</td>" in html
    # the supplier's advertised terms, not its drawn quality
    assert "from 200 units: CN¥20</li>" in html and "0.35–0.75" in html


def test_carrying_two_products_shows_their_rows_only(app, game_id):
    client = login(app, "s001")
    url = f"/games/{game_id}/decisions"
    response = post(client, url, {"carry.item-03": "y", "carry.item-04": "y"}, action="plan")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for pid in ("item-03", "item-04"):
        assert f'name="offers.US.{pid}.price_local"' in html
        assert f'name="factory_orders.{pid}"' in html
    assert 'name="offers.US.item-05.price_local"' not in html
    assert "MOQ 200 units, 10 lead days" in html


def test_saving_keeps_only_carried_products_with_their_suppliers_samples_and_studies(app, game_id):
    client = login(app, "s001")
    url = f"/games/{game_id}/decisions"
    form = {
        "market.US": "y",
        "carry.item-03": "y",
        "suppliers.item-03": "cheap",
        "samples.item-03.fast": "y",
        "factory_orders.item-03": "600",
        "offers.US.item-03.listed": "y",
        "offers.US.item-03.price_local": "29.99",
        # typed for a product the team does not carry: dropped
        "offers.US.item-05.listed": "y",
        "offers.US.item-05.price_local": "19.99",
        "research.0.market": "EU",
        "research.0.category": "toys",
        "research.0.budget_cny": "5000",
    }
    response = post(client, url, form)
    assert response.status_code == 302, response.get_data(as_text=True)
    payload = saved_payload(app)
    assert payload["suppliers"] == {"item-03": "cheap"}
    assert payload["samples"] == [{"product": "item-03", "supplier": "fast"}]
    assert payload["research"] == [{"budget_cny": 5000.0, "category": "toys", "market": "EU"}]
    assert list(payload["offers"]["US"]) == ["item-03"]
    assert payload["factory_orders"] == {"item-03": 600}
    html = client.get(url).get_data(as_text=True)
    assert 'name="offers.US.item-03.price_local"' in html
    assert re.search(r'name="carry.item-03"[^>]*checked', html)


def test_a_half_filled_study_is_an_error_on_its_field(app, game_id):
    client = login(app, "s001")
    response = post(client, f"/games/{game_id}/decisions", {"research.1.budget_cny": "3000"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="d-research-1-market-errors"' in html
    assert "Choose the market to study." in html
    assert "Choose the product category to study." in html


def test_the_page_shows_no_hidden_draw(app, game_id):
    with app.app_context():
        from simshop.models import Game

        scenario = games_service.game_scenario(db.session.get(Game, game_id))
    client = login(app, "s001")
    html = client.get(f"/games/{game_id}/decisions").get_data(as_text=True)
    leaked = [
        (name, text)
        for name, texts in hidden_values(scenario, SEED).items()
        for text in texts
        if text in html
    ]
    assert leaked == []


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("en", "minimum order quantity (MOQ) is 500 units: order 0 or at least 500."),
        ("zh_Hans_CN", "该供应商的起订量（MOQ）为 500 件：请下单 0 件或至少 500 件。"),
    ],
)
def test_an_order_below_the_chosen_suppliers_moq_is_refused_on_its_field(
    app, game_id, locale, message
):
    client = login(app, "s001")
    client.set_cookie("simshop_locale", locale)
    form = {"carry.item-03": "y", "suppliers.item-03": "cheap", "factory_orders.item-03": "300"}
    response = post(client, f"/games/{game_id}/decisions", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    errors = re.search(r'id="d-factory_orders-item-03-errors">(.*?)</ul>', html, re.S).group(1)
    assert message in errors
    with app.app_context():
        assert db.session.scalar(select(Decision)) is None


def play_first_round(app, game_id, client):
    """Ann's team enters the US, carries item-03 from "fast", buys its sample and a study of
    US toys; the round is processed and published."""
    from simshop.models import Game, Round
    from simshop.services import rounds as rounds_service

    form = {
        "market.US": "y",
        "carry.item-03": "y",
        "suppliers.item-03": "fast",
        "samples.item-03.fast": "y",
        "factory_orders.item-03": "400",
        "offers.US.item-03.listed": "y",
        "offers.US.item-03.price_local": "29.99",
        "research.0.market": "US",
        "research.0.category": "toys",
        "research.0.budget_cny": "5000",
    }
    assert post(client, f"/games/{game_id}/decisions", form).status_code == 302
    with app.app_context():
        game = db.session.get(Game, game_id)
        first = db.session.scalar(select(Round).where(Round.game_id == game_id, Round.number == 1))
        schedule_service.close_round(db.session, first)
        rounds_service.process_round(db.session, first.id)
        return games_service.game_scenario(game)


def test_the_research_page_shows_the_bought_study_and_sample_only(app, game_id):
    from simshop.engine.catalogue import supplier_truth
    from tests.catalogue_kit import hidden_draws

    client = login(app, "s001")
    scenario = play_first_round(app, game_id, client)
    html = client.get(f"/games/{game_id}/lab/studies").get_data(as_text=True)
    assert "United States · Toys" in html
    assert "Bought in Round 1 for CN¥5,000" in html
    toys = [p for p in scenario.products if p.category == "toys"]
    table = re.search(r'class="table table--compact reading-table">(.*?)</table>', html, re.S)
    assert table.group(1).count('<th scope="row">') == len(toys) == 15
    # the sample's finding is the supplier's true quality, drawn for this game
    draws = hidden_draws(scenario, SEED)
    quality, defects = draws["suppliers"][("item-03", "fast")]
    assert (quality, defects) != supplier_truth(scenario, "item-03", "fast")  # a real draw
    samples = re.search(r'id="samples">(.*?)</section>', html, re.S).group(1)
    assert f'<td class="num">{quality:.2f}</td>' in samples
    assert 'id="study-2"' not in html
    # the decision page shows the finding on that supplier's card, and only there
    decisions = client.get(f"/games/{game_id}/decisions").get_data(as_text=True)
    found = f"Your sample (Round 1): quality {quality:.2f}, defect rate {defects * 100:.1f}%"
    assert decisions.count(found) == 1
    card = re.search(r'id="suppliers-item-03"(.*?)</details>', decisions, re.S).group(1)
    assert found in card.split("Yiwu Budget Factory")[0]


def test_the_product_report_sums_the_teams_own_results(app, game_id):
    client = login(app, "s001")
    play_first_round(app, game_id, client)
    with app.app_context():
        from simshop.models import RoundResult

        result = db.session.scalar(select(RoundResult).where(RoundResult.decision_source != "bot"))
        rows = [r for r in result.result["products"] if r["product"] == "item-03"]
    html = client.get(f"/games/{game_id}/lab/products").get_data(as_text=True)
    table = re.search(r'id="product-table">(.*?)</table>', html, re.S).group(1)
    row = re.search(r'<th scope="row">Item 03</th>(.*?)</tr>', table, re.S).group(1)
    cells = re.findall(r'<td class="num">(.*?)</td>', row)
    units = sum(r["units_sold"] for r in rows)
    margin = sum(r["margin_cny"] for r in rows)
    assert cells[0] == f"{units:,}"
    assert cells[2] == (f"-CN¥{-margin:,.0f}" if margin < 0 else f"CN¥{margin:,.0f}"), cells
    # the team studied US toys: its study's estimate of unserved demand for each toy
    assert re.fullmatch(r"[\d,]+", cells[4])
    assert table.count('<th scope="row">') == 1  # only what the team carries
    left = re.search(r'id="unserved-table">(.*?)</table>', html, re.S).group(1)
    assert left.count('<th scope="row">') == 14  # the other toys it studied


def test_a_what_if_with_the_played_decisions_replays_the_same_profit(app, game_id):
    client = login(app, "s001")
    play_first_round(app, game_id, client)
    url = f"/games/{game_id}/lab/whatif/1"
    html = client.get(url).get_data(as_text=True)
    assert 'name="offers.US.item-05.price_local"' not in html  # only what the team carries
    fields = re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)
    checked = re.findall(r'<input type="checkbox" name="([^"]+)"[^>]*value="y" checked', html)
    selects = re.findall(
        r'<select[^>]*name="([^"]+)"[^>]*>.*?<option value="([^"]*)" selected', html, re.S
    )
    form = {**dict(fields), **dict(selects), **dict.fromkeys(checked, "y")}
    # a browser sends only the ticked checkboxes (listed, markets, enhanced listing content…)
    for name in re.findall(r'<input type="checkbox" name="([^"]+)"', html):
        if name not in checked:
            form.pop(name, None)
    response = client.post(url, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    row = re.search(r'id="compare-profit">(.*?)</tr>', page, re.S).group(1)
    actual, whatif = re.findall(r'<td class="num">([^<]*)</td>', row)[:2]
    assert actual == whatif


def test_the_teams_export_holds_its_products_studies_and_sample(app, game_id):
    import csv
    import io

    client = login(app, "s001")
    play_first_round(app, game_id, client)

    def table(name):
        data = client.get(f"/games/{game_id}/lab/export/{name}.csv").get_data()
        return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))

    studies = table("studies")
    readings = {(r["kind"], r["reading"]) for r in studies}
    assert ("study", "unserved") in readings and ("study", "price_band_listings") in readings
    assert len({r["product"] for r in studies if r["kind"] == "study"}) == 15  # US toys
    assert [
        (r["product"], r["supplier"], r["reading"]) for r in studies if r["kind"] == "sample"
    ] == [
        ("item-03", "fast", "quality"),
        ("item-03", "fast", "defect_rate"),
        ("item-03", "fast", "cost_cny"),
    ]
    products = table("products")
    assert {(r["market"], r["product"]) for r in products if r["margin_cny"]} == {("US", "item-03")}


def test_the_debrief_sums_revenue_and_margin_per_product(app, game_id):
    client = login(app, "s001")
    play_first_round(app, game_id, client)
    teacher = login(app, "teacher@example.edu")
    html = teacher.get(f"/games/{game_id}/lab/debrief/1").get_data(as_text=True)
    section = re.search(r'id="products">(.*?)</section>', html, re.S).group(1)
    row = re.search(r'<th scope="row">Item 03</th>(.*?)</tr>', section, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row)[0] == "1"  # one team sells it


@pytest.mark.parametrize(
    "value", ["a\x00b", "\x00=1+1", "²", "٣", str(2**64), "1e400", "nan", "-5"]
)
def test_hostile_values_in_every_sourcing_field_are_errors_not_crashes(app, game_id, value):
    client = login(app, "s001")
    url = f"/games/{game_id}/decisions"
    html = client.get(url).get_data(as_text=True)
    names = set(re.findall(r'<(?:input|select)[^>]*\sname="([^"]+)"', html)) - {"csrf_token"}
    assert {"carry.item-00", "suppliers.item-00", "research.0.budget_cny"} <= names
    for action in (None, "plan"):
        response = post(client, url, dict.fromkeys(names - {"version"}, value), action=action)
        assert response.status_code in (200, 302, 409, 422), (action, response.status_code)


def test_listing_more_products_than_the_cap_is_refused_on_the_extra_ones(app, tmp_path):
    """The shipped product-selection scenario caps each market at 5 listed products."""
    from tests.reliability.gamekit import SCENARIOS_DIR

    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        spec = games_service.GameSpec(
            title="Selection",
            scenario_file="product-selection.toml",
            scored_rounds=3,
            practice_rounds=0,
            bot_count=0,
            seed=SEED,
        )
        game = games_service.create_game(db.session, teacher, spec, scenarios_dir=SCENARIOS_DIR)
        enrol(db.session, game, make_user(db.session, "s001", name="Ann"), "Alpha")
        schedule_service.open_round(db.session, game, round_no(db.session, game, 1))
        scenario = games_service.game_scenario(game)
        game_id, market = game.id, scenario.markets[0].code
        products = [p.id for p in scenario.products[:6]]
    client = login(app, "s001")
    url = f"/games/{game_id}/decisions"
    assert "Listing cap: at most 5 products in this market (you list 0)." in (
        client.get(url).get_data(as_text=True)
    )
    form = {f"market.{market}": "y"}
    for pid in products:
        form |= {
            f"carry.{pid}": "y",
            f"offers.{market}.{pid}.listed": "y",
            f"offers.{market}.{pid}.price_local": "30",
        }
    response = post(client, url, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    errors = re.findall(r'id="d-offers-[^"]*-listed-errors"', html)
    assert errors == [f'id="d-offers-{market}-{products[5]}-listed-errors"']
    assert "At most 5 products may be listed in this market this round." in html


def test_the_staff_read_a_teams_bought_research(app, game_id):
    from simshop.models import Team

    play_first_round(app, game_id, login(app, "s001"))
    with app.app_context():
        team_id = db.session.scalar(select(Team.id).where(Team.name == "Alpha"))
    teacher = login(app, "teacher@example.edu")
    html = teacher.get(f"/games/{game_id}/lab/teams/{team_id}/studies").get_data(as_text=True)
    assert "United States · Toys" in html and 'id="samples"' in html
    assert "Buy a study" not in html
    index = teacher.get(f"/games/{game_id}/lab").get_data(as_text=True)
    assert f"/lab/teams/{team_id}/studies" in index and f"/lab/teams/{team_id}/products" in index
