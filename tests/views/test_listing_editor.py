"""The listing editor and campaign table of the decision form: user text stored exactly and
escaped on the page, limits refused on their field in both languages, bids saved per term,
and the listing's score with its reasons shown after saving."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.models import Decision
from simshop.services import schedule as schedule_service
from simshop.services.games import game_scenario
from tests.reliability.gamekit import (
    csrf_from,
    enrol,
    make_game,
    make_user,
    round_no,
    tutorial_form,
)
from tests.views.test_decision_form import login

pytestmark = pytest.mark.both_backends

BASE = "offers.US.earbuds"
TITLE = 'Wireless earbuds "Pro" <script>alert(1)</script> 无线耳机 🎧'
DESCRIPTION_TYPED = "Line one\r\nLine two & <b>bold</b>\r\n\r\n第三行 ✨"
DESCRIPTION_STORED = "Line one\nLine two & <b>bold</b>\n\n第三行 ✨"


@pytest.fixture
def game_ids(app):
    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        game = make_game(db.session, teacher, bot_count=0, scored_rounds=2)
        enrol(db.session, game, make_user(db.session, "s001", name="Ann"), "Alpha")
        enrol(db.session, game, make_user(db.session, "s002", name="Bo"), "Alpha")
        schedule_service.open_round(db.session, game, round_no(db.session, game, 1))
        terms = [t.id for t in game_scenario(game).product("earbuds").terms()]
        return {"game": game.id, "terms": terms}


def save(client, game_id, form, language="en"):
    url = f"/games/{game_id}/decisions"
    html = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d*)"', html).group(1)
    return client.post(
        url,
        data={"csrf_token": csrf_from(html), "version": version, **form},
        headers={"Accept-Language": language},
    )


def stored_offer(app):
    with app.app_context():
        row = db.session.scalar(select(Decision))
        return None if row is None else row.payload["offers"]["US"]["earbuds"]


def listing_form(**changes) -> dict[str, str]:
    form = {
        **tutorial_form(),
        f"{BASE}.listing.title": TITLE,
        f"{BASE}.listing.bullets.0": "=SUM(A1) battery 30 h",
        f"{BASE}.listing.bullets.2": "  Bluetooth 5.3  ",
        f"{BASE}.listing.description": DESCRIPTION_TYPED,
        f"{BASE}.listing.images": "2",
        f"{BASE}.listing.enhanced": "y",
    }
    form.update(changes)
    return form


def test_a_listing_is_stored_exactly_as_typed(app, game_ids):
    client = login(app, "s001")
    response = save(client, game_ids["game"], listing_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    assert stored_offer(app)["listing"] == {
        "title": TITLE,
        "bullets": ["=SUM(A1) battery 30 h", "  Bluetooth 5.3  "],
        "description": DESCRIPTION_STORED,
        "images": 2,
        "enhanced": True,
    }


def test_the_listing_is_escaped_on_the_page_and_reads_back_the_same(app, game_ids):
    client = login(app, "s001")
    save(client, game_ids["game"], listing_form())
    html = client.get(f"/games/{game_ids['game']}/decisions").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;Pro&#34;" in html or "&quot;Pro&quot;" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    # Saving the page again as it was shown changes nothing.
    assert save(client, game_ids["game"], listing_form()).status_code == 302
    assert stored_offer(app)["listing"]["description"] == DESCRIPTION_STORED


def test_the_score_and_its_reasons_are_shown_after_saving(app, game_ids):
    client = login(app, "s001")
    save(client, game_ids["game"], listing_form())
    html = client.get(f"/games/{game_ids['game']}/decisions").get_data(as_text=True)
    assert 'id="listing-score-US-earbuds"' in html
    assert "Listing score" in html
    assert "2 of 5 bullet points used." in html
    assert "2 images; shoppers expect 7." in html


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "At most 200 characters (this has 201)."),
        ("zh-CN", "最多 200 个字符（当前 201 个）。"),
    ],
)
def test_a_title_too_long_is_refused_on_its_field(app, game_ids, language, message):
    client = login(app, "s001")
    form = listing_form(**{f"{BASE}.listing.title": "x" * 201})
    response = save(client, game_ids["game"], form, language)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    errors = re.search(r'id="d-offers-US-earbuds-listing-title-errors">(.*?)</ul>', html, re.S)
    assert errors and message in errors.group(1)
    assert "x" * 201 in html  # the text stays in the form to be shortened
    assert stored_offer(app) is None


def test_a_bullet_error_lands_on_the_bullet_typed_even_after_an_empty_one(app, game_ids):
    client = login(app, "s001")
    form = listing_form(**{f"{BASE}.listing.bullets.2": "y" * 301})
    response = save(client, game_ids["game"], form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="d-offers-US-earbuds-listing-bullets-2-errors"' in html
    assert 'id="d-offers-US-earbuds-listing-bullets-1-errors"' not in html


def test_bids_and_budgets_are_saved_per_search_term_with_the_automatic_campaign(app, game_ids):
    client = login(app, "s001")
    term = game_ids["terms"][0]
    form = listing_form(
        **{
            f"{BASE}.campaigns.{term}.bid_local": "0.85",
            f"{BASE}.campaigns.{term}.daily_budget_local": "25",
            f"{BASE}.auto_campaign.bid_local": "0.4",
            f"{BASE}.auto_campaign.daily_budget_local": "10",
        }
    )
    assert save(client, game_ids["game"], form).status_code == 302
    offer = stored_offer(app)
    assert offer["campaigns"] == {term: {"bid_local": 0.85, "daily_budget_local": 25.0}}
    assert offer["auto_campaign"] == {"bid_local": 0.4, "daily_budget_local": 10.0}
    html = client.get(f"/games/{game_ids['game']}/decisions").get_data(as_text=True)
    assert f'name="{BASE}.campaigns.{term}.bid_local"' in html
    assert 'value="0.85"' in html


def test_a_negative_bid_is_refused_on_its_field(app, game_ids):
    client = login(app, "s001")
    term = game_ids["terms"][0]
    form = listing_form(**{f"{BASE}.campaigns.{term}.bid_local": "-1"})
    response = save(client, game_ids["game"], form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    field = f"d-offers-US-earbuds-campaigns-{term}-bid_local-errors"
    assert f'id="{field}"' in html
    assert "The amount cannot be negative." in html


def test_a_sheet_without_listing_text_stores_no_listing(app, game_ids):
    client = login(app, "s001")
    assert save(client, game_ids["game"], tutorial_form()).status_code == 302
    offer = stored_offer(app)
    assert "listing" not in offer and "campaigns" not in offer


def test_the_default_listing_is_scored_for_a_listed_offer(app, game_ids):
    client = login(app, "s001")
    save(client, game_ids["game"], tutorial_form())
    html = client.get(f"/games/{game_ids['game']}/decisions").get_data(as_text=True)
    assert "You wrote no listing: shoppers see the product&#39;s name only." in html


def test_a_teammates_newer_listing_is_named_on_the_conflict_page(app, game_ids):
    ann, bo = login(app, "s001"), login(app, "s002")
    url = f"/games/{game_ids['game']}/decisions"
    bo_page = bo.get(url).get_data(as_text=True)
    assert save(ann, game_ids["game"], listing_form()).status_code == 302
    version = re.search(r'name="version" value="(\d*)"', bo_page).group(1)
    mine = listing_form(**{f"{BASE}.listing.title": "Bo's <title>"})
    refused = bo.post(url, data={"csrf_token": csrf_from(bo_page), "version": version, **mine})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "United States · Wireless earbuds · Title" in html
    assert "Bo&#39;s &lt;title&gt;" in html
    assert stored_offer(app)["listing"]["title"] == TITLE


def test_a_bid_beyond_the_limit_names_the_markets_currency(app, game_ids):
    client = login(app, "s001")
    term = game_ids["terms"][0]
    form = listing_form(**{f"{BASE}.campaigns.{term}.bid_local": "1000000000"})
    response = save(client, game_ids["game"], form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    errors = re.search(
        rf'id="d-offers-US-earbuds-campaigns-{term}-bid_local-errors">(.*?)</ul>', html, re.S
    )
    assert errors and re.search(r"At most [\d,.]+ USD\.", errors.group(1))
