"""Every scenario of the library opens, previews, copies into an editable draft whose event
forms all open, and starts a game; the 2026 event kinds are edited through their forms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

from simshop.db import db
from simshop.engine.scenario import EVENT_KINDS
from simshop.engine.scenario_errors import load_scenario_file
from simshop.models import ScenarioDraft, User
from simshop.services import scenarios as service
from tests.reliability.gamekit import make_game, make_user
from tests.views.test_scenarios import field_errors, stored, text_of

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
STEMS = sorted(p.stem for p in LIBRARY.glob("*.toml"))
TUTORIAL = (LIBRARY / "tutorial.toml").read_text()


@pytest.fixture
def teacher(app, auth):
    with app.app_context():
        make_user(db.session, "teacher@example.edu", "instructor")
    auth.login("teacher@example.edu")


def owner() -> User:
    return db.session.scalar(select(User).where(User.login == "teacher@example.edu"))


def test_the_library_has_ten_scenarios_from_2023_to_2026():
    assert len(STEMS) >= 10
    assert {"us-2026", "europe-2026", "red-sea-2025", "mexico-japan-2026"} <= set(STEMS)


@pytest.mark.parametrize("stem", STEMS)
def test_a_library_scenario_shows_previews_and_copies_into_an_editable_draft(
    app, client, teacher, submit, stem
):
    scenario = load_scenario_file(LIBRARY / f"{stem}.toml").scenario
    assert str(escape(scenario.meta.title)) in text_of(client.get(f"/scenarios/library/{stem}"))
    preview = client.get(f"/scenarios/library/{stem}/preview")
    assert preview.status_code == 200
    assert preview.get_data(as_text=True).count("<svg") == 3
    response = submit(f"/scenarios/library/{stem}/copy", page="/scenarios/")
    assert response.status_code == 302
    with app.app_context():
        draft = db.session.scalars(select(ScenarioDraft).order_by(ScenarioDraft.id.desc())).first()
        draft_id = draft.id
    for index, event in enumerate(scenario.events):
        page = client.get(f"/scenarios/{draft_id}/events/{index}")
        assert page.status_code == 200, event.id
        assert f'value="{event.id}"' in page.get_data(as_text=True)


@pytest.mark.parametrize("stem", STEMS)
def test_a_library_scenario_starts_a_game(app, stem):
    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        rounds = load_scenario_file(LIBRARY / f"{stem}.toml").scenario.calendar.rounds
        game = make_game(db.session, teacher, scenario_file=f"{stem}.toml", scored_rounds=rounds)
        assert game.scenario_text == (LIBRARY / f"{stem}.toml").read_text("utf-8")


# --------------------------------------------------------------------------- the new kinds


@pytest.fixture
def draft_id(app, teacher):
    with app.app_context():
        return service.copy_scenario(db.session, owner(), TUTORIAL).id


def test_every_event_kind_offers_its_form(client, draft_id):
    for kind in EVENT_KINDS:
        assert client.get(f"/scenarios/{draft_id}/events/new?kind={kind}").status_code == 200


COMMON = {"announce_round": "", "headline_zh": "", "body": "", "body_zh": ""}


def test_adding_a_warehouse_fee_change(app, draft_id, submit):
    form = {**COMMON, "id": "fba-2026", "round": "2", "headline": "FBA fees rise",
            "market": "US", "fulfilment_add_cny": "1.78", "storage_multiplier": "",
            "duration_rounds": ""}  # fmt: skip
    response = submit(f"/scenarios/{draft_id}/events/new?kind=warehouse_fee_change", form)
    assert response.status_code == 302
    [event] = service.scenario_of(stored(app, draft_id)).events
    assert (event.kind, event.fulfilment_add_cny, event.storage_multiplier) == (
        "warehouse_fee_change",
        1.78,
        None,
    )
    assert event.duration_rounds is None


def test_a_fee_change_without_a_fee_is_refused(app, draft_id, submit):
    form = {**COMMON, "id": "nothing", "round": "2", "headline": "Nothing", "market": "US",
            "fulfilment_add_cny": "", "storage_multiplier": "", "duration_rounds": "2"}  # fmt: skip
    response = submit(f"/scenarios/{draft_id}/events/new?kind=warehouse_fee_change", form)
    assert response.status_code == 200
    assert "Give a fulfilment change, a storage multiplier or both." in text_of(response)
    assert service.scenario_of(stored(app, draft_id)).events == []


def refund_form(**changes: str) -> dict[str, str]:
    form = {**COMMON, "id": "refund", "round": "4", "headline": "Duty refunded", "market": "US",
            "categories": "*", "paid_from_round": "1", "paid_to_round": "3", "share": "",
            "rate": "0.2"}  # fmt: skip
    form.update(changes)
    return form


def test_adding_a_duty_refund(app, draft_id, submit):
    response = submit(f"/scenarios/{draft_id}/events/new?kind=duty_refund", refund_form())
    assert response.status_code == 302
    [event] = service.scenario_of(stored(app, draft_id)).events
    assert (event.kind, event.paid_from_round, event.paid_to_round, event.rate, event.share) == (
        "duty_refund",
        1,
        3,
        0.2,
        None,
    )


def test_a_refund_of_duty_not_yet_paid_is_refused_on_its_field(app, draft_id, submit):
    url = f"/scenarios/{draft_id}/events/new?kind=duty_refund"
    response = submit(url, refund_form(paid_to_round="4"))
    assert response.status_code == 200
    assert field_errors(response, "paid_to_round") == (
        "A refund in round 4 can only return duty paid before it: the last round of paid duty "
        "must be earlier."
    )
    response = submit(url, refund_form(share="0.5"))
    assert field_errors(response, "rate") == "Give only one of “share” or “rate”, not both."
    assert service.scenario_of(stored(app, draft_id)).events == []


def test_adding_a_parcel_duty_per_category(app, draft_id, submit):
    form = {**COMMON, "id": "eu-3", "round": "3", "headline": "EUR 3 per category",
            "market": "EU", "duty_per_category_local": "3", "max_value_local": "150",
            "categories_per_parcel": "1", "items_per_parcel": "1"}  # fmt: skip
    response = submit(f"/scenarios/{draft_id}/events/new?kind=parcel_category_duty", form)
    assert response.status_code == 302
    [event] = service.scenario_of(stored(app, draft_id)).events
    assert (event.market, event.duty_per_category_local, event.max_value_local) == (
        "EU",
        3.0,
        150.0,
    )
    bad = {**form, "id": "eu-3b", "categories_per_parcel": "3", "items_per_parcel": "2"}
    response = submit(f"/scenarios/{draft_id}/events/new?kind=parcel_category_duty", bad)
    assert field_errors(response, "categories_per_parcel") == (
        "A parcel cannot hold more tariff categories (3) than items (2)."
    )


# --------------------------------------------------------------------------- a refund, seen


def test_a_team_sees_its_duty_refund_in_results_dashboard_and_debrief(app, client, auth):
    """us-2026: a team that lands earbuds by air in rounds 1-3 gets back 20 % of their
    customs value in round 6, on its own line."""
    from tests.reliability.gamekit import enrol, team_named
    from tests.services.test_analysis import play_rounds

    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        game = make_game(db.session, teacher, scenario_file="us-2026.toml", scored_rounds=6,
                         bot_count=1)  # fmt: skip
        alice = make_user(db.session, "s001")
        enrol(db.session, game, alice, "Alpha")
        alpha = team_named(db.session, game, "Alpha")
        play_rounds(db.session, game, alice, alpha, 6)
        game_id = game.id
    auth.login("s001")

    def refunded(number: int) -> float:
        page = text_of(client.get(f"/games/{game_id}/results/{number}"))
        return float(re.search(r"Duty refunded CN¥([\d,.]+)", page).group(1).replace(",", ""))

    assert refunded(5) == 0.0
    assert refunded(6) > 0.0
    assert "Duty refunded" in text_of(client.get(f"/games/{game_id}/lab/dashboard"))
    auth.logout()
    auth.login("teacher@example.edu")
    debrief = text_of(client.get(f"/games/{game_id}/lab/debrief/6"))
    assert re.search(r"Team Alpha got back CN¥[\d,.]+ of duty paid in United States", debrief)
