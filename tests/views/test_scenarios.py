"""Scenario authoring pages through the test client (CSRF on)."""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from simshop.db import db
from simshop.engine.scenario_errors import load_scenario_bytes
from simshop.models import ScenarioDraft, User
from simshop.services import scenarios as service
from tests.reliability.gamekit import make_user

TUTORIAL = (Path(__file__).resolve().parents[2] / "scenarios" / "tutorial.toml").read_text()


@pytest.fixture
def teacher(app, auth):
    with app.app_context():
        make_user(db.session, "teacher@example.edu", "instructor")
    auth.login("teacher@example.edu")


@pytest.fixture
def draft_id(app, teacher):
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.login == "teacher@example.edu"))
        return service.copy_scenario(db.session, owner, TUTORIAL).id


def stored(app, draft_id: int) -> ScenarioDraft:
    with app.app_context():
        draft = db.session.get(ScenarioDraft, draft_id)
        db.session.expunge(draft)
        return draft


def text_of(response) -> str:
    """Visible text with tags removed and whitespace collapsed (not raw HTML)."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def field_errors(response, field_id: str) -> str:
    html = response.get_data(as_text=True)
    match = re.search(
        rf'<ul class="field__errors" id="{re.escape(field_id)}-errors">(.*?)</ul>', html, re.S
    )
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) if match else ""


# --------------------------------------------------------------------------- access


def test_students_get_403_everywhere(app, client, auth, submit):
    with app.app_context():
        make_user(db.session, "s001")
    auth.login("s001")
    assert client.get("/scenarios/").status_code == 403
    assert client.get("/scenarios/library/tutorial").status_code == 403
    assert submit("/scenarios/library/tutorial/copy", page="/dashboard").status_code == 403


def test_another_instructors_scenario_is_404(app, client, teacher, submit):
    with app.app_context():
        other = make_user(db.session, "other@example.edu", "instructor")
        theirs = service.copy_scenario(db.session, other, TUTORIAL).id
    for url in (
        f"/scenarios/{theirs}",
        f"/scenarios/{theirs}/download",
        f"/scenarios/{theirs}/markets/0",
    ):
        assert client.get(url).status_code == 404, url
    assert submit(f"/scenarios/{theirs}/delete", page="/scenarios/").status_code == 404


def test_the_list_shows_the_library_and_own_scenarios(client, draft_id):
    page = text_of(client.get("/scenarios/"))
    assert "First steps: selling earbuds and toys to the US and Europe" in page
    assert "Copy of First steps" in page


# --------------------------------------------------------------------------- view, download


def test_a_scenario_page_shows_markets_products_tariffs_and_the_timeline(client, teacher):
    page = text_of(client.get("/scenarios/library/us-tariffs-2025"))
    assert "USD" in page and "Sea freight" in page
    assert "Round 3" in page and "Tariff change" in page


def test_headlines_are_shown_in_chinese_when_the_page_is(client, teacher, submit):
    submit("/lang", {"locale": "zh_Hans_CN", "next": "/scenarios/"}, page="/scenarios/")
    page = text_of(client.get("/scenarios/library/us-tariffs-2025"))
    scenario = service.shipped_scenario(Path("scenarios"), "us-tariffs-2025").scenario
    headline_zh = next(e.headline_zh for e in scenario.events if e.headline_zh)
    assert headline_zh in page.replace("&#34;", '"').replace("&#39;", "'")


def test_categories_are_named_in_the_pages_language(client, teacher, submit):
    """Tariff and product rows name the category by its translated name, not its id."""
    html = client.get("/scenarios/library/us-tariffs-2025").get_data(as_text=True)
    assert "<td>Electronics</td>" in html and "<code>electronics</code>" not in html
    submit("/lang", {"locale": "zh_Hans_CN", "next": "/scenarios/"}, page="/scenarios/")
    html = client.get("/scenarios/library/us-tariffs-2025").get_data(as_text=True)
    assert "<td>电子产品</td>" in html and "electronics" not in html


def test_download_is_an_attachment_of_the_stored_text(app, client, draft_id):
    response = client.get(f"/scenarios/{draft_id}/download")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "copy-of-tutorial.toml" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True) == stored(app, draft_id).toml_text


def test_a_shipped_download_is_the_file(client, teacher):
    response = client.get("/scenarios/library/tutorial/download")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.get_data(as_text=True) == TUTORIAL
    response.close()


# --------------------------------------------------------------------------- copy, upload


def test_copying_a_shipped_scenario_opens_the_copy(app, client, teacher, submit):
    response = submit("/scenarios/library/tutorial/copy", page="/scenarios/")
    assert response.status_code == 302
    with app.app_context():
        draft = db.session.scalar(select(ScenarioDraft))
    assert response.headers["Location"] == f"/scenarios/{draft.id}"
    assert draft.slug == "copy-of-tutorial"


def test_a_copy_without_a_csrf_token_is_refused(app, client, teacher):
    assert client.post("/scenarios/library/tutorial/copy").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScenarioDraft)) == 0


def test_uploading_a_valid_file(app, client, teacher, submit):
    response = submit(
        "/scenarios/upload",
        {"file": (io.BytesIO(TUTORIAL.encode()), "tutorial.toml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ScenarioDraft.toml_text)) == TUTORIAL


def test_an_invalid_upload_lists_file_line_key_and_message_and_saves_nothing(
    app, client, teacher, submit
):
    broken = TUTORIAL.replace(
        "platform_fee = 0.15            # Amazon most", "platform_fee = 0.95  #"
    )
    response = submit(
        "/scenarios/upload",
        {"file": (io.BytesIO(broken.encode()), "mine.toml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = text_of(response)
    line = broken.splitlines().index("platform_fee = 0.95  # categories 15 % [S21]") + 1
    assert f"mine.toml {line} markets[0].platform_fee Must be at most 0.6." in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScenarioDraft)) == 0


def test_upload_errors_are_translated(client, teacher, submit):
    submit("/lang", {"locale": "zh_Hans_CN", "next": "/scenarios/upload"}, page="/scenarios/")
    response = submit(
        "/scenarios/upload",
        {"file": (io.BytesIO(b"[meta]\nid = 'x'\n"), "x.toml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "calendar" in text_of(response)


def test_an_upload_without_a_file_is_refused_on_the_field(client, teacher, submit):
    response = submit("/scenarios/upload", {})
    assert field_errors(response, "file") == "Choose a file to upload."


# --------------------------------------------------------------------------- edit forms


def settings_form(**changes: str) -> dict[str, str]:
    form = {
        "info-id": "copy-of-tutorial",
        "info-title": "Spring class",
        "info-title_zh": "",
        "info-description": "",
        "info-description_zh": "",
        "info-author": "Me",
        "calendar-rounds": "6",
        "calendar-days_per_round": "30",
        "calendar-practice_rounds": "0",
        "calendar-start_month": "3",
        "economy-starting_cash_cny": "600000",
        "economy-credit_line_cny": "200000",
        "economy-interest_rate_per_round": "0.01",
        "economy-china_storage_cny_per_unit_round": "0.2",
        "bots-count": "3",
        "bots-strategies": "premium",
        "scoring-profit": "0.4",
        "scoring-revenue": "0.15",
        "scoring-market_share": "0.15",
        "scoring-rating": "0.15",
        "scoring-roi": "0.15",
    }
    form.update(changes)
    return form


def test_saving_the_settings(app, client, draft_id, submit):
    response = submit(f"/scenarios/{draft_id}/settings", settings_form())
    assert response.status_code == 302
    scenario = service.scenario_of(stored(app, draft_id))
    assert scenario.meta.title == "Spring class"
    assert scenario.bots.strategies == ["premium"]


def test_the_settings_edit_the_students_briefing_in_both_languages(app, client, draft_id, submit):
    page = client.get(f"/scenarios/{draft_id}/settings").get_data(as_text=True)
    assert "Welcome to your first cross-border store." in page  # the copied tutorial's story
    changes = {"info-briefing": "A quiet spring.", "info-briefing_zh": "平静的春天。"}
    assert submit(f"/scenarios/{draft_id}/settings", settings_form(**changes)).status_code == 302
    meta = service.scenario_of(stored(app, draft_id)).meta
    assert (meta.briefing, meta.briefing_zh) == ("A quiet spring.", "平静的春天。")


def test_settings_errors_go_to_their_fields_and_nothing_is_saved(app, client, draft_id, submit):
    before = stored(app, draft_id).toml_text
    response = submit(
        f"/scenarios/{draft_id}/settings",
        settings_form(**{"calendar-practice_rounds": "6", "economy-starting_cash_cny": "lots"}),
    )
    assert response.status_code == 200
    assert field_errors(response, "economy-starting_cash_cny") == "Enter a number."
    response = submit(
        f"/scenarios/{draft_id}/settings",
        settings_form(
            **{"calendar-rounds": "5", "calendar-practice_rounds": "5", "info-id": "Bad Id"}
        ),
    )
    assert field_errors(response, "calendar-practice_rounds") == (
        "5 practice rounds leave no scored round (rounds: 5)."
    )
    assert field_errors(response, "info-id").startswith("Use lowercase letters")
    assert stored(app, draft_id).toml_text == before


def test_settings_errors_in_chinese(app, client, draft_id, submit):
    submit("/lang", {"locale": "zh_Hans_CN", "next": "/scenarios/"}, page="/scenarios/")
    response = submit(f"/scenarios/{draft_id}/settings", settings_form(**{"calendar-rounds": "99"}))
    assert field_errors(response, "calendar-rounds") != ""


def market_form(**changes: str) -> dict[str, str]:
    form = {
        "code": "EU",
        "name": "European Union",
        "currency": "EUR",
        "fx_cny_per_local": "8.313",
        "size": "64",
        "price_sensitivity": "1.1",
        "platform_fee": "12",  # percent
        "vat_rate": "20",
        "vat_seller_remits": "y",
        "entry_fee_cny": "0",
        "fulfilment_cny_per_unit": "25",
        "storage_cny_per_unit_day": "0.03",
        "warehouse_delivery_days": "2",
        "de_minimis_local": "150",
        "parcel_duty_rate": "0",
        "parcel_duty_per_item_local": "0",
        "lanes-rail-use": "y",
        "lanes-rail-lead_days": "18",
        "lanes-rail-cost_cny_per_kg": "10.7",
        "lanes-air-use": "y",
        "lanes-air-lead_days": "8",
        "lanes-air-cost_cny_per_kg": "42.6",
    }
    form.update({f"seasonality-{i}": "1.0" for i in range(12)})
    form.update(changes)
    return form


def test_editing_a_market_and_its_lanes(app, client, draft_id, submit):
    response = submit(f"/scenarios/{draft_id}/markets/1", market_form())
    assert response.status_code == 302
    eu = service.scenario_of(stored(app, draft_id)).market("EU")
    assert eu.platform_fee == 0.12
    assert [lane.mode for lane in eu.lanes] == ["rail", "air"]


def test_the_customs_basis_and_price_level_are_edited_and_kept(app, client, draft_id, submit):
    form = market_form(customs_basis="FOB", price_index="1.25", refund_admin_fee_share="0.1")
    response = submit(f"/scenarios/{draft_id}/markets/1", form)
    assert response.status_code == 302
    eu = service.scenario_of(stored(app, draft_id)).market("EU")
    assert (eu.customs_basis, eu.price_index, eu.refund_admin_fee_share) == ("FOB", 1.25, 0.1)
    page = client.get(f"/scenarios/{draft_id}/markets/1").get_data(as_text=True)
    assert re.search(r'<option[^>]*selected[^>]*value="FOB"|<option value="FOB" selected', page)


def test_rates_are_typed_and_shown_as_percentages_with_bounds_in_percent(
    app, client, draft_id, submit
):
    page = text_of(client.get(f"/scenarios/{draft_id}/markets/1"))
    assert "(the scenario file stores the fraction 0.15)" in page
    response = submit(f"/scenarios/{draft_id}/markets/1", market_form(platform_fee="95"))
    assert response.status_code == 200
    assert field_errors(response, "platform_fee") == "Must be at most 60."
    assert submit(f"/scenarios/{draft_id}/markets/1", market_form()).status_code == 302
    form = client.get(f"/scenarios/{draft_id}/markets/1").get_data(as_text=True)
    assert re.search(r'name="platform_fee"[^>]*value="12"', form)


def test_an_event_after_the_last_round_is_refused_on_its_round(app, client, draft_id, submit):
    url = f"/scenarios/{draft_id}/events/new?kind=tariff_change"
    response = submit(url, tariff_event_form(round="40"))
    assert response.status_code == 200
    assert field_errors(response, "round").startswith("Round 40 is after the last round")
    assert service.scenario_of(stored(app, draft_id)).events == []


def test_a_lane_error_is_shown_on_that_lane(app, client, draft_id, submit):
    response = submit(
        f"/scenarios/{draft_id}/markets/1", market_form(**{"lanes-air-lead_days": "500"})
    )
    assert response.status_code == 200
    assert "Must be at most 120." in text_of(response)
    html = response.get_data(as_text=True)
    assert re.search(r'field--invalid">\s*<input[^>]*id="lanes-air-lead_days"', html)


def test_a_market_without_lanes_is_refused(app, client, draft_id, submit):
    form = market_form()
    del form["lanes-rail-use"], form["lanes-air-use"]
    response = submit(f"/scenarios/{draft_id}/markets/1", form)
    assert "markets[1].lanes: Give at least 1." in text_of(response)


def tariff_event_form(**changes: str) -> dict[str, str]:
    form = {
        "id": "us-hike",
        "round": "3",
        "announce_round": "",
        "headline": "US tariffs rise ten points",
        "headline_zh": "美国关税上调十个百分点",
        "body": "",
        "body_zh": "",
        "market": "US",
        "categories": "*",
        "rate": "",
        "add_points": "0.1",
        "label": "",
    }
    form.update(changes)
    return form


def test_adding_a_tariff_event(app, client, draft_id, submit):
    url = f"/scenarios/{draft_id}/events/new?kind=tariff_change"
    response = submit(url, tariff_event_form())
    assert response.status_code == 302
    [event] = service.scenario_of(stored(app, draft_id)).events
    assert (event.kind, event.market, event.add_points, event.rate) == (
        "tariff_change",
        "US",
        0.1,
        None,
    )
    page = text_of(client.get(f"/scenarios/{draft_id}/events"))
    assert "Round 3" in page and "US tariffs rise ten points" in page


def test_an_event_with_both_rate_and_points_is_refused_on_the_field(app, client, draft_id, submit):
    url = f"/scenarios/{draft_id}/events/new?kind=tariff_change"
    response = submit(url, tariff_event_form(rate="30", round="9"))
    assert response.status_code == 200
    assert (
        field_errors(response, "add_points") == "Give only one of “rate” or “add_points”, not both."
    )
    assert service.scenario_of(stored(app, draft_id)).events == []


def test_an_event_after_the_last_round_is_refused_on_the_round(app, client, draft_id, submit):
    url = f"/scenarios/{draft_id}/events/new?kind=news"
    response = submit(url, {"id": "late", "round": "9", "headline": "Late news"})
    assert field_errors(response, "round") == "Round 9 is after the last round (6)."


def test_every_event_kind_has_a_form(client, draft_id):
    for kind in (
        "tariff_change",
        "de_minimis",
        "shipping_disruption",
        "fx_move",
        "demand_shock",
        "platform_fee_change",
        "market_rule",
        "news",
    ):
        assert client.get(f"/scenarios/{draft_id}/events/new?kind={kind}").status_code == 200


def test_editing_a_product_and_a_tariff(app, client, draft_id, submit):
    product = {
        "id": "earbuds",
        "name": "Earbuds Pro",
        "name_zh": "",
        "category": "electronics",
        "unit_cost_cny": "50",
        "weight_kg": "0.15",
        "base_quality": "0.6",
        "return_rate": "10",
        "reference_price_usd": "39.99",
        "demand_weight": "1",
    }
    assert submit(f"/scenarios/{draft_id}/products/0", product).status_code == 302
    tariff = {"market": "US", "category": "electronics", "rate": "50", "label": "x"}
    assert submit(f"/scenarios/{draft_id}/tariffs/0", tariff).status_code == 302
    scenario = service.scenario_of(stored(app, draft_id))
    assert scenario.product("earbuds").reference_price_usd == 39.99
    assert scenario.tariffs[0].rate == 0.5


def test_a_duplicate_tariff_is_refused(app, client, draft_id, submit):
    tariff = {"market": "US", "category": "toys", "rate": "50", "label": ""}
    response = submit(f"/scenarios/{draft_id}/tariffs/0", tariff)
    assert response.status_code == 200
    assert "There is already a tariff for market US and category “toys”." in text_of(response)


def test_deleting_an_item_that_others_need_is_refused(app, client, draft_id, submit):
    before = stored(app, draft_id).toml_text
    response = submit(
        f"/scenarios/{draft_id}/markets/1/delete", page=f"/scenarios/{draft_id}/markets"
    )
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Not deleted" in page and "tariffs[2].market" in page
    assert stored(app, draft_id).toml_text == before


def test_deleting_a_tariff(app, client, draft_id, submit):
    response = submit(
        f"/scenarios/{draft_id}/tariffs/3/delete", page=f"/scenarios/{draft_id}/tariffs"
    )
    assert response.status_code == 302
    assert len(service.scenario_of(stored(app, draft_id)).tariffs) == 3


def test_an_item_past_the_end_is_404(client, draft_id):
    assert client.get(f"/scenarios/{draft_id}/tariffs/4").status_code == 404


def test_the_edit_pages_warn_that_an_uploaded_files_comments_are_lost(app, client, teacher, submit):
    submit(
        "/scenarios/upload",
        {"file": (io.BytesIO(TUTORIAL.encode()), "t.toml")},
        content_type="multipart/form-data",
    )
    with app.app_context():
        draft_id = db.session.scalar(select(ScenarioDraft.id))
    assert "comments and layout are lost" in text_of(client.get(f"/scenarios/{draft_id}/settings"))


def test_deleting_a_scenario(app, client, draft_id, submit):
    response = submit(f"/scenarios/{draft_id}/delete", page=f"/scenarios/{draft_id}")
    assert response.headers["Location"] == "/scenarios/"
    with app.app_context():
        assert db.session.get(ScenarioDraft, draft_id) is None


# --------------------------------------------------------------------------- preview


def test_the_preview_shows_standings_and_charts(client, draft_id):
    page = client.get(f"/scenarios/{draft_id}/preview").get_data(as_text=True)
    assert page.count("<svg") == 3
    assert "Bot 1 · cost plus" in page  # bot01-cost_plus, named like a game's bot teams
    assert "<script" not in page


def test_a_scenario_too_large_to_preview_is_refused_without_running(
    client, draft_id, teacher, monkeypatch
):
    def never(*_args):
        raise AssertionError("the preview must not run")

    monkeypatch.setattr(service, "_preview", never)
    monkeypatch.setattr(service, "MAX_PREVIEW_WORK", 719)  # the tutorial's is 720
    response = client.get(f"/scenarios/{draft_id}/preview")
    assert response.headers["Location"] == f"/scenarios/{draft_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "too large to preview on the server (720 market-product-days; at most 719)" in page
    shipped = client.get("/scenarios/library/tutorial/preview")
    assert shipped.headers["Location"] == "/scenarios/library/tutorial"


def test_the_preview_size_is_counted_in_market_product_days(client, draft_id):
    with client.application.app_context():
        scenario = service.scenario_of(db.session.get(ScenarioDraft, draft_id))
    # tutorial: 6 rounds x 30 days x 2 markets x 2 products
    assert service.preview_work(scenario) == 720
    assert service.preview_allowed(scenario)


def test_a_repeated_preview_is_served_from_the_cache(client, draft_id):
    service._preview.cache_clear()
    for _ in range(2):
        assert client.get(f"/scenarios/{draft_id}/preview").status_code == 200
    info = service._preview.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_a_downloaded_draft_uploads_again(app, client, draft_id, submit):
    text = client.get(f"/scenarios/{draft_id}/download").data
    assert load_scenario_bytes(text).scenario.meta.id == "copy-of-tutorial"
    assert tomllib.loads(text.decode())["meta"]["id"] == "copy-of-tutorial"


def upload_draft(app, submit, text: str) -> int:
    response = submit(
        "/scenarios/upload",
        {"file": (io.BytesIO(text.encode()), "mine.toml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        return db.session.scalar(select(ScenarioDraft.id).order_by(ScenarioDraft.id.desc()))


def test_a_scenario_names_its_own_categories_and_an_unnamed_id_shows_as_the_id(
    app, client, teacher, submit
):
    own = TUTORIAL.replace('category = "toys"', 'category = "board-games"').replace(
        '[categories.toys]\nname = "Toys"\nname_zh = "玩具"',
        '[categories.board-games]\nname = "Board games"\nname_zh = "桌游"',
    )
    named = upload_draft(app, submit, own.replace('id = "tutorial"', 'id = "named"', 1))
    bare = own[: own.index("# How the tariff categories are shown")]
    bare = bare.replace('"board-games"', '"furniture"').replace('id = "tutorial"', 'id = "bare"', 1)
    unnamed = upload_draft(app, submit, bare)
    html = client.get(f"/scenarios/{named}").get_data(as_text=True)
    assert "<td>Board games</td>" in html and "<td>Electronics</td>" in html
    html = client.get(f"/scenarios/{unnamed}").get_data(as_text=True)
    assert '<td><code translate="no">furniture</code></td>' in html
    assert "<td>Electronics</td>" in html  # the app's own label where the scenario has none
    submit("/lang", {"locale": "zh_Hans_CN", "next": "/scenarios/"}, page="/scenarios/")
    html = client.get(f"/scenarios/{named}").get_data(as_text=True)
    assert "<td>桌游</td>" in html and "<td>电子产品</td>" in html
