"""Every shipped event moves at least one bot (issue 13 §9).

Each scenario is played by four bots (a parcel seller, a festival stocker, a rival watcher
and a cost-plus seller) with and without one of its events, same seed. The event must change
at least one bot's decisions (prices, channels, ad budgets, orders or shipments) in some
round. ``news`` events change nothing in the market by definition (headline only), so they
are not listed.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from pathlib import Path

import pytest

from simshop.engine.bots import make_view
from simshop.engine.conditions import conditions_for_round, round_news
from simshop.engine.headless import GameRounds, json_safe, play_game
from simshop.engine.scenario import Scenario
from simshop.engine.state import initial_state

SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"
BOTS = ["parcel_seller", "festival_stocker", "rival_watcher", "cost_plus"]
SEED = 20250402


def _events() -> list[tuple[str, str]]:
    out = []
    for path in sorted(SCENARIOS_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        out += [(path.stem, e["id"]) for e in data.get("events", []) if e["kind"] != "news"]
    return out


EVENTS = _events()


def _scenario(stem: str, drop: str | None) -> Scenario:
    data = tomllib.loads((SCENARIOS_DIR / f"{stem}.toml").read_text(encoding="utf-8"))
    if drop is not None:
        data["events"] = [e for e in data["events"] if e["id"] != drop]
    return Scenario.model_validate(data)


@functools.cache
def _decisions(stem: str) -> list[dict]:
    """Each round's decisions of the scenario's whole game, with all its events."""
    record = play_game(_scenario(stem, None), seed=SEED, bots=BOTS)
    return [r["decisions"] for r in record["rounds"]]


def _moved_bots(stem: str, drop: str) -> list[tuple[int, str]]:
    """(round, bot) whose decisions differ without event ``drop``, in the first round where
    any does: the game without the event is played only up to there (the rounds are the
    same, bytes for bytes, as ``play_game``'s record)."""
    rounds = GameRounds(_scenario(stem, drop), seed=SEED, bots=BOTS)
    for with_event, played in zip(_decisions(stem), rounds, strict=True):
        without = json_safe({tid: sheet.to_dict() for tid, sheet in played.sheets.items()})
        moved = [
            (played.outcome.round_no, tid) for tid in with_event if with_event[tid] != without[tid]
        ]
        if moved:
            return moved
    return []


def test_the_list_covers_the_library():
    assert len(EVENTS) >= 30


@pytest.mark.parametrize(("stem", "event"), EVENTS, ids=[f"{s}:{e}" for s, e in EVENTS])
def test_the_event_moves_a_bot(stem, event):
    assert _moved_bots(stem, event), f"no bot reacts to {event} in {stem}"


@pytest.mark.parametrize(
    ("stem", "event"), [("festivals", "prime-day-recap")], ids=["festivals:news"]
)
def test_a_headline_moves_no_bot(stem, event):
    """The comparison can fail: without a ``news`` event (a headline, nothing in the market)
    every bot decides the same in every round. (Parametrised so that it shares the
    scenario's worker and baseline game, tests/scheduling.py.)"""
    assert _moved_bots(stem, event) == []


SHIPPED = sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))


@pytest.mark.parametrize("stem", SHIPPED)
def test_a_bot_sees_every_announced_headline_once_in_order(stem):
    """A bot's view holds the news of every round up to its own: the events announced in
    each round, by effective round then file order, each once. ``round_news`` reads them
    without computing the markets' conditions; it answers what ``conditions_for_round``
    carries."""
    sc = _scenario(stem, None)
    team = initial_state(sc, ["t"]).teams["t"]
    seen: list[dict] = []
    for round_no in range(1, sc.calendar.rounds + 1):
        announced = [e for e in sc.events if e.announced_in == round_no]
        expected = tuple(
            {"id": e.id, "kind": e.kind, "headline": e.headline, "effective_round": e.round}
            for e in sorted(announced, key=lambda e: e.round)  # stable: file order in a round
        )
        assert round_news(sc, round_no) == expected
        assert conditions_for_round(sc, round_no).news == expected
        seen += expected
        view = make_view(sc, dataclasses.replace(team, round_no=round_no - 1), 1)
        assert view.news == seen
    in_game = [e.id for e in sc.events if e.announced_in <= sc.calendar.rounds]
    assert sorted(n["id"] for n in seen) == sorted(in_game)
