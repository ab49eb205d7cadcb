"""The new-game spec check (one pydantic model): every problem at once, each on its field."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from simshop.engine.bots import BOT_STRATEGIES
from simshop.engine.scenario import MAX_SCORING_WEIGHT, parse_scenario_text
from simshop.models.user import utcnow
from simshop.services.game_spec import GameSpec, spec_problems


@pytest.fixture(scope="module")
def tutorial():
    return parse_scenario_text(Path("scenarios/tutorial.toml").read_text(encoding="utf-8"))


def problems(spec, scenario):
    return [(p.code, p.field, p.params) for p in spec_problems(spec, scenario)]


def test_a_good_spec_takes_the_scenarios_values_for_what_it_leaves_out(tutorial):
    spec = GameSpec(title="  Spring   class ", scenario_file="tutorial.toml")
    assert spec_problems(spec, tutorial) == []
    assert spec.title == "Spring class"
    assert (spec.scored_rounds, spec.practice_rounds, spec.bot_count) == (6, 0, 3)
    assert spec.bot_strategies == ["cost_plus", "discounter", "premium"]
    assert spec.scoring_weights == {
        "profit": 0.4,
        "revenue": 0.15,
        "market_share": 0.15,
        "rating": 0.15,
        "roi": 0.15,
        "tacos": 0.0,
        "listing_quality": 0.0,
    }


def test_given_weights_replace_the_scenarios_one_by_one(tutorial):
    spec = GameSpec(title="T", scenario_file="x", scoring_weights={"profit": 2, "roi": 0.0})
    assert spec_problems(spec, tutorial) == []
    assert spec.scoring_weights["profit"] == 2.0
    assert spec.scoring_weights["roi"] == 0.0
    assert spec.scoring_weights["revenue"] == 0.15


def test_every_problem_is_reported_at_once_each_on_its_form_field(tutorial):
    spec = GameSpec(
        title=" ",
        scenario_file="x",
        scored_rounds=7,
        practice_rounds=9,
        schedule="deadlines",
        first_deadline=None,
        round_interval=timedelta(minutes=1),
        timezone="Mars/Olympus",
        team_min_size=3,
        team_max_size=2,
        bot_count=51,
        bot_strategies=["cheater", "premium"],
        scoring_weights={"profit": -1, "revenue": math.nan, "luck": 1},
    )
    assert problems(spec, tutorial) == [
        ("title_length", "title", {"max": 120}),
        ("rounds_range", "scored_rounds", {"max": 6}),
        ("practice_range", "practice_rounds", {"max": 5}),
        ("interval_too_short", "round_interval_hours", {}),
        ("deadline_required", "first_deadline", {}),
        ("timezone_unknown", "timezone", {}),
        ("team_size_range", "team_max_size", {"max": 12}),
        ("bot_count_range", "bot_count", {"max": 50}),
        ("bot_strategy_unknown", "bot_strategies", {"strategy": "cheater"}),
        ("weight_negative", "weight_profit", {"key": "profit"}),
        ("weight_range", "weight_revenue", {"key": "revenue", "max": MAX_SCORING_WEIGHT}),
        ("weight_unknown", "scoring", {"key": "luck"}),
    ]


@pytest.mark.parametrize("value", [math.inf, -math.inf, MAX_SCORING_WEIGHT + 1, "3", True])
def test_a_weight_must_be_a_finite_number_up_to_the_maximum(tutorial, value):
    spec = GameSpec(title="T", scenario_file="x", scoring_weights={"roi": value})
    assert problems(spec, tutorial) == [
        ("weight_range", "weight_roi", {"key": "roi", "max": MAX_SCORING_WEIGHT})
    ]


def test_the_largest_weight_is_accepted(tutorial):
    spec = GameSpec(title="T", scenario_file="x", scoring_weights={"roi": MAX_SCORING_WEIGHT})
    assert spec_problems(spec, tutorial) == []


def test_all_weights_zero_is_refused_on_the_profit_weight(tutorial):
    spec = GameSpec(
        title="T",
        scenario_file="x",
        scoring_weights=dict.fromkeys(["profit", "revenue", "market_share", "rating", "roi"], 0),
    )
    assert problems(spec, tutorial) == [("weights_zero", "weight_profit", {})]


def test_deadlines_beyond_the_calendar_are_refused_not_crashed_on(tutorial):
    first = datetime(9999, 12, 20, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    spec = GameSpec(title="T", scenario_file="x", schedule="deadlines", first_deadline=first)
    assert problems(spec, tutorial) == [("deadline_range", "first_deadline", {})]


def test_a_deadline_must_be_aware_and_in_the_future(tutorial):
    naive = datetime(2030, 1, 1, 12, 0)
    past = utcnow() - timedelta(hours=1)
    for first, code in [(naive, "deadline_required"), (past, "deadline_past")]:
        spec = GameSpec(title="T", scenario_file="x", schedule="deadlines", first_deadline=first)
        assert problems(spec, tutorial) == [(code, "first_deadline", {})]


def test_an_interval_counts_only_on_a_deadline_schedule(tutorial):
    spec = GameSpec(title="T", scenario_file="x", round_interval=timedelta(0))
    assert spec_problems(spec, tutorial) == []
    spec = GameSpec(
        title="T",
        scenario_file="x",
        schedule="deadlines",
        first_deadline=datetime.now(UTC) + timedelta(days=1),
        round_interval=timedelta(minutes=4),
    )
    assert problems(spec, tutorial) == [("interval_too_short", "round_interval_hours", {})]


def test_an_unknown_schedule_and_a_wrong_type_are_located(tutorial):
    spec = GameSpec(title="T", scenario_file="x", schedule="weekly", team_min_size="2")
    assert problems(spec, tutorial) == [
        ("schedule_unknown", "schedule", {}),
        ("value_invalid", "team_min_size", {}),
        ("team_size_range", "team_max_size", {"max": 12}),
    ]


def test_no_strategy_chosen_takes_the_scenarios_or_else_every_one(tutorial):
    spec = GameSpec(title="T", scenario_file="x", bot_strategies=[])
    assert spec_problems(spec, tutorial) == []
    assert spec.bot_strategies == ["cost_plus", "discounter", "premium"]
    bare = tutorial.model_copy(update={"bots": tutorial.bots.model_copy(update={"strategies": []})})
    spec = GameSpec(title="T", scenario_file="x")
    assert spec_problems(spec, bare) == []
    assert spec.bot_strategies == list(BOT_STRATEGIES)
