"""Every shipped event moves at least one bot (issue 13 §9).

Each scenario is played by four bots (a parcel seller, a festival stocker, a rival watcher
and a cost-plus seller) with and without one of its events, same seed. The event must change
at least one bot's decisions (prices, channels, ad budgets, orders or shipments) in some
round. ``news`` events change nothing in the market by definition (headline only), so they
are not listed.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

import pytest

from simshop.engine.headless import play_game
from simshop.engine.scenario import Scenario

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


@functools.cache
def _decisions(stem: str, drop: str | None) -> list[dict]:
    data = tomllib.loads((SCENARIOS_DIR / f"{stem}.toml").read_text(encoding="utf-8"))
    if drop is not None:
        data["events"] = [e for e in data["events"] if e["id"] != drop]
    record = play_game(Scenario.model_validate(data), seed=SEED, bots=BOTS)
    return [r["decisions"] for r in record["rounds"]]


def test_the_list_covers_the_library():
    assert len(EVENTS) >= 30


@pytest.mark.parametrize(("stem", "event"), EVENTS, ids=[f"{s}:{e}" for s, e in EVENTS])
def test_the_event_moves_a_bot(stem, event):
    with_event, without = _decisions(stem, None), _decisions(stem, event)
    moved = [
        (r + 1, tid)
        for r, (a, b) in enumerate(zip(with_event, without, strict=True))
        for tid in a
        if a[tid] != b[tid]
    ]
    assert moved, f"no bot reacts to {event} in {stem}"
