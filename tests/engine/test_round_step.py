"""The one round step: seeds from plain values, sheet sources, and bad sheets handled alike."""

from __future__ import annotations

import numpy as np
import pytest

from simshop.engine.bots import STRATEGIES, Strategy, TeamView
from simshop.engine.decisions import DecisionSheet, empty_decisions
from simshop.engine.headless import GameRounds, json_safe, play_game, round_record
from simshop.engine.round_step import (
    BOT,
    CARRIED,
    GIVEN,
    SUBMITTED,
    HumanDecisionError,
    phase_seed,
    play_round,
    round_seed,
)
from simshop.engine.state import initial_state


class OverOrdering(Strategy):
    """A broken bot: orders far more than the scenario allows (and it can pay for)."""

    name = "over_ordering"

    def decide(self, view: TeamView) -> DecisionSheet:
        product = view.scenario.products[0].id
        return DecisionSheet(factory_orders={product: 10**9})


@pytest.fixture
def broken_bot(monkeypatch):
    monkeypatch.setitem(STRATEGIES, OverOrdering.name, OverOrdering)
    return OverOrdering.name


def test_a_scored_round_runs_with_the_game_seed():
    assert phase_seed(1234, practice=False) == 1234


def test_a_practice_round_has_a_seed_of_its_own_that_the_engine_accepts():
    seed = phase_seed(1234, practice=True)
    assert seed != 1234
    assert 0 <= seed < 2**31
    assert seed == phase_seed(1234, practice=True)


def test_round_seed_derives_from_the_phase_seed_and_the_round():
    practice = round_seed(1234, 3, practice=True)
    assert practice.entropy == round_seed(phase_seed(1234, practice=True), 3).entropy
    assert round_seed(1234, 3).entropy == [1234, 3]
    draws = [np.random.Generator(np.random.PCG64(round_seed(1234, n))).random() for n in (1, 2)]
    assert draws[0] != draws[1]


def test_an_invalid_bot_sheet_is_played_as_an_empty_sheet_and_reported(tutorial, broken_bot):
    state = initial_state(tutorial, ["bot", "team"])

    played = play_round(tutorial, state, seed=5, bot_strategies={"bot": broken_bot})

    assert played.sheets["bot"] == empty_decisions()
    assert played.sources == {"bot": BOT, "team": CARRIED}
    assert list(played.rejected_bots) == ["bot"]
    assert [i.code for i in played.rejected_bots["bot"].issues] == ["quantity_too_large"]
    assert played.outcome.state.teams["bot"].last_decisions == empty_decisions()


def test_the_headless_game_plays_on_past_an_invalid_bot_sheet(tutorial_text, broken_bot):
    record = play_game(tutorial_text, seed=5, rounds=2, bots=[broken_bot, "cost_plus"])

    sheets = [r["decisions"]["bot01-over_ordering"] for r in record["rounds"]]
    assert sheets == [empty_decisions().to_dict()] * 2
    assert record["rounds_played"] == 2


def test_a_raw_sheet_is_validated_and_an_invalid_one_carries_over(tutorial):
    state = initial_state(tutorial, ["a", "b", "c"])
    good = {"enter_markets": ["US"]}
    bad = {"borrow_cny": "lots"}

    played = play_round(
        tutorial,
        state,
        seed=5,
        team_sheets={"a": good, "b": bad, "c": DecisionSheet(enter_markets=["US"])},
    )

    assert played.sources == {"a": SUBMITTED, "b": CARRIED, "c": GIVEN}
    assert played.sheets["a"].enter_markets == ["US"]
    assert played.sheets["b"] == empty_decisions()


def test_strict_mode_raises_on_an_invalid_raw_sheet_with_its_location(tutorial):
    state = initial_state(tutorial, ["a"])

    with pytest.raises(HumanDecisionError) as caught:
        play_round(tutorial, state, seed=5, team_sheets={"a": {"borrow_cny": "lots"}}, strict=True)

    assert (caught.value.team_id, caught.value.round_no) == ("a", 1)
    assert str(caught.value).startswith("teams.a.1.borrow_cny: ")


def test_sheets_for_unknown_teams_are_refused(tutorial):
    state = initial_state(tutorial, ["a"])
    with pytest.raises(ValueError, match="unknown teams: z"):
        play_round(tutorial, state, seed=5, bot_strategies={"z": "cost_plus"})


def test_standings_use_the_weights_given(tutorial):
    state = initial_state(tutorial, ["a", "b"])
    only_rating = {"rating": 1.0}

    played = play_round(tutorial, state, seed=5, weights=only_rating)

    assert [sorted(row["metrics"]) for row in played.standings] == [["rating"], ["rating"]]


def test_a_game_played_round_by_round_is_the_headless_game_and_may_stop_early(tutorial):
    """GameRounds yields play_game's rounds, bytes for bytes (it is what play_game iterates),
    carries a given team's plan over like it, and a caller may stop after any round."""
    plan = {1: {"enter_markets": ["US"]}}
    record = play_game(tutorial, seed=11, bots=["cost_plus", "discounter"], human_teams={"t": plan})
    game = GameRounds(tutorial, seed=11, bots=["cost_plus", "discounter"], human_teams={"t": plan})
    played = [json_safe(round_record(p)) for p in game]
    assert played == record["rounds"]
    assert len(played) == tutorial.calendar.rounds >= 2
    assert json_safe(game.state.to_dict()) == record["final_state"]

    first_two = GameRounds(tutorial, seed=11, rounds=5, bots=["cost_plus", "discounter"])
    rounds = iter(first_two)
    next(rounds), next(rounds)
    assert first_two.state.round_no == 2


def test_json_safe_rounds_floats_and_makes_every_container_plain():
    """The game record's conversion, on the exact types it takes a fast path for and on the
    subclasses and tuples that take the general one."""
    value = {
        "plain": [1, "x", True, None, 2.123456789, -1e-9, float("nan"), float("-inf")],
        "numpy": [np.float64(0.1234567891), np.float64("nan"), (1.5, np.float64(2.0000004))],
        3: {4: (7.25,), "nested": [{"deep": 1 / 3}]},
        "empty": [(), {}],
    }
    safe = json_safe(value)
    assert safe == {
        "plain": [1, "x", True, None, 2.123457, 0.0, None, None],
        "numpy": [0.123457, None, [1.5, 2.0]],
        "3": {"4": [7.25], "nested": [{"deep": 0.333333}]},
        "empty": [[], {}],
    }
    assert str(safe["plain"][5]) == "0.0"  # not -0.0
    assert type(safe["numpy"][2]) is list and type(safe["3"]["4"]) is list
