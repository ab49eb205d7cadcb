"""The scenario editor's product form with catalogue fields: demand ranges per market and
suppliers are edited and kept, and the scenario check's problems land on their boxes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.models import ScenarioDraft, User
from simshop.services import scenarios as service
from tests.catalogue_kit import catalogue_toml
from tests.reliability.gamekit import make_user


@pytest.fixture
def draft_id(app, auth):
    with app.app_context():
        make_user(db.session, "teacher@example.edu", "instructor")
        owner = db.session.scalar(select(User).where(User.login == "teacher@example.edu"))
        draft_id = service.copy_scenario(db.session, owner, catalogue_toml()).id
    auth.login("teacher@example.edu")
    return draft_id


def product(app, draft_id, index=3):
    with app.app_context():
        return service.scenario_of(db.session.get(ScenarioDraft, draft_id)).products[index]


def shown_form(client, url) -> dict[str, str]:
    """The form's fields as the page fills them (text inputs and selected options)."""
    html = client.get(url).get_data(as_text=True)
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    values.pop("csrf_token", None)
    return values


def field_errors(response, field_id: str) -> str:
    html = response.get_data(as_text=True)
    match = re.search(rf'id="{re.escape(field_id)}"(.*?)</td>', html, re.S)
    errors = re.search(r'<ul class="field__errors">(.*?)</ul>', match.group(1), re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", errors.group(1)).split()) if errors else ""


def test_saving_a_catalogue_product_unchanged_keeps_every_part_of_it(app, client, draft_id, submit):
    before = product(app, draft_id)
    url = f"/scenarios/{draft_id}/products/3"
    response = submit(url, shown_form(client, url))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert product(app, draft_id) == before  # suppliers, ranges, seasonality all kept


def test_a_supplier_and_a_demand_range_are_edited(app, client, draft_id, submit):
    url = f"/scenarios/{draft_id}/products/3"
    form = shown_form(client, url)
    form.update(
        {
            "demand_range-US-low": "0.5",
            "demand_range-US-high": "3",
            "suppliers-1-lead_days": "25",
            "suppliers-1-tiers-1-min_units": "2000",
            "suppliers-1-tiers-1-unit_cost_cny": "20.5",
            "suppliers-2-id": "new-mill",
            "suppliers-2-name": "New Mill",
            "suppliers-2-tiers-0-min_units": "100",
            "suppliers-2-tiers-0-unit_cost_cny": "40",
        }
    )
    assert submit(url, form).status_code == 302
    edited = product(app, draft_id)
    assert edited.demand_range["US"] == [0.5, 3.0]
    cheap = edited.supplier("cheap")
    assert cheap.lead_days == 25
    assert [(t.min_units, t.unit_cost_cny) for t in cheap.tiers] == [(500, 23.2), (2000, 20.5)]
    assert edited.supplier("new-mill").moq == 100
    assert [s.id for s in edited.suppliers] == ["fast", "cheap", "new-mill"]


def test_problems_land_on_their_boxes_and_nothing_is_saved(app, client, draft_id, submit):
    before = product(app, draft_id)
    url = f"/scenarios/{draft_id}/products/3"
    form = shown_form(client, url)
    form.update(
        {
            "demand_range-EU-low": "2",
            "demand_range-EU-high": "1",  # reversed
            "suppliers-0-quality_range-high": "",  # one end only
            "suppliers-1-tiers-1-min_units": "100",  # below the first tier
            "suppliers-1-tiers-1-unit_cost_cny": "19",
        }
    )
    response = submit(url, form)
    assert response.status_code == 200
    assert field_errors(response, "suppliers-0-quality_range-high") == (
        "Give both ends of the range, or neither."
    )
    assert product(app, draft_id) == before
    form["suppliers-0-quality_range-high"] = "0.75"
    response = submit(url, form)
    assert response.status_code == 200
    assert field_errors(response, "suppliers-1-tiers-0-min_units") == (
        "List the price tiers by rising minimum units; got 500, 100."
    )
    assert product(app, draft_id) == before
    form["suppliers-1-tiers-1-min_units"] = "2000"
    response = submit(url, form)
    assert response.status_code == 200
    assert field_errors(response, "demand_range-EU-low") == (
        "The low end of the range (2) is above its high end (1)."
    )
    assert product(app, draft_id) == before


def settings_form(client, url) -> dict[str, object]:
    """The settings form as the page fills it: text inputs, text areas, ticked boxes."""
    html = client.get(url).get_data(as_text=True)
    values: dict[str, object] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                values.setdefault(name.group(1), []).append(value.group(1) if value else "y")
        else:
            values[name.group(1)] = value.group(1) if value else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        values[name] = text.strip()
    return values


def research_settings(app, draft_id):
    with app.app_context():
        return service.scenario_of(db.session.get(ScenarioDraft, draft_id)).research


def test_the_research_settings_are_edited_located_and_can_be_left_out(
    app, client, draft_id, submit
):
    url = f"/scenarios/{draft_id}/settings"
    form = settings_form(client, url)
    assert form["research-use"] == ["y"] and form["research-min_budget_cny"] == "1,000"
    form["research-noise_sd"] = "9"
    response = submit(url, form)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    errors = re.search(r'id="research-noise_sd-errors">(.*?)</ul>', html, re.S).group(1)
    assert "Must be at most 5" in errors
    assert research_settings(app, draft_id).noise_sd == 0.5
    form["research-noise_sd"] = "0.8"
    assert submit(url, form).status_code == 302
    assert research_settings(app, draft_id).noise_sd == 0.8
    del form["research-use"]
    assert submit(url, form).status_code == 302
    assert research_settings(app, draft_id) is None
