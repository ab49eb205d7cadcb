"""The scenario editor offers the compliance event kinds: a new requirement, then a sweep
in its market; a sweep that could find nothing is refused with the reason on the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.models import User
from simshop.services import scenarios as service
from tests.reliability.gamekit import make_user
from tests.views.test_scenarios import stored, text_of

TUTORIAL = (Path(__file__).resolve().parents[2] / "scenarios" / "tutorial.toml").read_text()
COMMON = {"announce_round": "", "headline_zh": "", "body": "", "body_zh": ""}


@pytest.fixture
def draft_id(app, auth):
    with app.app_context():
        make_user(db.session, "teacher@example.edu", "instructor")
    auth.login("teacher@example.edu")
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.login == "teacher@example.edu"))
        return service.copy_scenario(db.session, owner, TUTORIAL).id


SWEEP = {**COMMON, "id": "sweep", "round": "3", "headline": "A sweep", "market": "US",
         "detection_multiplier": "2", "duration_rounds": "1"}  # fmt: skip


def test_a_sweep_without_a_requirement_to_enforce_is_refused(app, draft_id, submit):
    response = submit(f"/scenarios/{draft_id}/events/new?kind=compliance_sweep", SWEEP)
    assert response.status_code == 200
    assert "No requirement of market US covers these categories" in text_of(response)
    assert service.scenario_of(stored(app, draft_id)).events == []


def test_adding_a_new_requirement_then_a_sweep(app, draft_id, submit):
    requirement = {**COMMON, "id": "us-fcc", "round": "2", "headline": "FCC checks",
                   "name": "FCC authorization", "name_zh": "FCC 认证", "market": "US",
                   "cost_cny": "25000", "rounds_to_obtain": "2", "yearly_fee_cny": "0",
                   "detection_per_round": "0.1", "fine_cny": "5000",
                   "removal_cny_per_unit": "7"}  # fmt: skip
    response = submit(f"/scenarios/{draft_id}/events/new?kind=new_requirement", requirement)
    assert response.status_code == 302, text_of(response)
    response = submit(f"/scenarios/{draft_id}/events/new?kind=compliance_sweep", SWEEP)
    assert response.status_code == 302, text_of(response)
    scenario = service.scenario_of(stored(app, draft_id))
    [rule] = scenario.requirements()
    assert (rule.id, rule.start_round, rule.cost_cny, rule.rounds_to_obtain) == (
        "us-fcc",
        2,
        25000.0,
        2,
    )
    assert scenario.events[1].kind == "compliance_sweep"
    assert scenario.events[1].detection_multiplier == 2.0


def test_editing_a_look_alike_product_keeps_its_ip_risk():
    data = {"products": [{"id": "dupe", "name": "Dupe", "ip_risk": {"claim_per_round": 0.1}}]}
    service.put_item(data, "products", 0, {"id": "dupe", "name": "Look-alike"})
    assert data["products"] == [
        {"id": "dupe", "name": "Look-alike", "ip_risk": {"claim_per_round": 0.1}}
    ]
