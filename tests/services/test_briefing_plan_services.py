"""The briefing and plan services: the round students work on, the game's size setting and
last round's sales; nothing written by a plan."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from simshop.db import db
from simshop.models import Decision, Game, Team
from simshop.services import briefing as briefing_service
from simshop.services import plan as plan_service
from simshop.services import round_state
from simshop.services.games import game_scenario
from tests.services.test_analysis import build_world

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


def build_world_ids(app) -> dict[str, int]:
    with app.app_context():
        world = build_world(db.session, rounds=2, bots=1)
        return {"game": world.game.id, "alpha": world.alpha.id}


@pytest.fixture
def seeded(seeded_app):
    """Every test starts from a fresh copy of one world (tests/conftest.py, seeded_app)."""
    return seeded_app("briefing-plan-world", build_world_ids)


@pytest.fixture
def app(seeded):
    return seeded[0]


@pytest.fixture
def world(session, seeded):
    ids = seeded[1]
    return SimpleNamespace(
        game=session.get(Game, ids["game"]), alpha=session.get(Team, ids["alpha"])
    )


def test_the_briefing_is_for_the_current_round_with_only_the_news_out_by_then(session, world):
    current = round_state.current_round(session, world.game)
    brief = briefing_service.game_briefing(session, world.game)
    assert brief.round_no == current.scenario_round == 3
    announced = {e.id for e in brief.announced}
    scenario_events = {e.id: e for e in game_scenario(world.game).events}
    assert announced == {i for i, e in scenario_events.items() if e.announced_in <= 3}
    assert any(e.announced_in > 3 for e in scenario_events.values())


def test_the_instructor_switches_exact_sizes_on_and_off(session, world):
    assert briefing_service.game_briefing(session, world.game).exact_sizes is False
    briefing_service.set_briefing_sizes(session, world.game, exact=True)
    session.expire_all()
    brief = briefing_service.game_briefing(session, world.game)
    assert brief.exact_sizes is True
    assert all(p.shoppers_per_round > 0 for m in brief.markets for p in m.products)


def test_plan_inputs_carry_last_rounds_sales_and_a_plan_writes_nothing(session, world):
    inputs = plan_service.plan_inputs(session, world.game, world.alpha)
    last = round_state.team_result(
        session, round_state.last_published(session, world.game), world.alpha
    )
    sold = {(r["market"], r["product"]): r["units_sold"] for r in last.result["offers"]}
    assert inputs.last_sales == sold and sum(sold.values()) > 0
    assert inputs.state.round_no == 2
    before = session.scalar(select(func.count(Decision.id)))
    plan = plan_service.sheet_plan(inputs, {"borrow_cny": 1000.0})
    assert (plan.round_no, plan.cash.borrow_cny, plan.offers) == (3, 1000.0, [])
    assert session.scalar(select(func.count(Decision.id))) == before
