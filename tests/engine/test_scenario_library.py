"""The shipped scenarios play to the end without absurdities, and each shock shows.

Every scenario in ``scenarios/`` is played with its bots (three seats: cost_plus, discounter,
premium) for all its rounds. Sanity bounds checked on every round:

- no NaN or infinity anywhere in a round's results or the end state;
- no negative stock (overseas, in transit, in China), ``units_sold <= demand <= shoppers``;
- market shares in [0, 1], summing to at most 1 per market and product;
- every listed price, in CNY, between 0.25x and 8x the product's reference price;
- per team and round: profit at most revenue, a loss no larger than starting cash plus the
  credit line, cash never negative and debt within the credit line; ratings within 1-5.

Shocks: for a chosen event, the same scenario is re-validated with that event removed from the
parsed data and played with the same seed; the event's target must move the right way in its
market and round (tariff -> duties and prices; Red Sea -> lead days, freight and arrival
days; festival -> shoppers; exchange rate -> CNY earned per unit of local revenue; platform
fee -> commission share; parcel rules -> a direct-parcel seller's duty or sales).
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from simshop.engine.headless import GameRounds, play_game
from simshop.engine.results import RoundOutcome
from simshop.engine.scenario import Scenario
from simshop.engine.scenario_errors import load_scenario_file

SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"
SHIPPED = sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))
SEED = 20250402
USD_CNY = 7.107  # CFETS 1 Sep 2025 (docs/sources.md [S43]); only scales the price bounds
PARCEL_SELLER = "parcel-seller"


@dataclass(frozen=True)
class Played:
    scenario: Scenario
    record: dict[str, Any]
    rounds: tuple[RoundOutcome, ...]

    def round(self, round_no: int) -> RoundOutcome:
        return self.rounds[round_no - 1]


def parcel_seller_plan(market: str, price_local: float, rounds: int) -> dict[int, dict]:
    """A team that sells earbuds in ``market`` only by direct parcel from China."""
    sheet = {
        "offers": {
            market: {
                "earbuds": {
                    "listed": True,
                    "price_local": price_local,
                    "ad_budget_cny": 3000.0,
                    "channel": "parcel",
                }
            }
        },
        "factory_orders": {"earbuds": 800},
    }
    plan = {r: dict(sheet) for r in range(1, rounds + 1)}
    plan[1]["enter_markets"] = [market]
    return plan


def scenario_data(stem: str, drop_event: str | None) -> Scenario:
    """A shipped scenario, parsed, optionally without one event."""
    data = tomllib.loads((SCENARIOS_DIR / f"{stem}.toml").read_text(encoding="utf-8"))
    if drop_event is not None:
        before = len(data["events"])
        data["events"] = [e for e in data["events"] if e["id"] != drop_event]
        assert len(data["events"]) == before - 1, f"no event {drop_event!r} in {stem}"
    return Scenario.model_validate(data)


def parcel_humans(scenario: Scenario, parcel: tuple | None) -> dict[str, dict[int, dict]] | None:
    if parcel is None:
        return None
    return {PARCEL_SELLER: parcel_seller_plan(*parcel, scenario.calendar.rounds)}


@functools.cache
def played(stem: str) -> Played:
    """Play a shipped scenario with its bots to the end and keep every round's result."""
    scenario = scenario_data(stem, None)
    results: list[RoundOutcome] = []
    record = play_game(scenario, seed=SEED, on_round=lambda r, _table: results.append(r))
    return Played(scenario, record, tuple(results))


class PlayedSoFar:
    """A shipped scenario's game played only as far as a check reads it: ``round(n)`` plays
    up to round ``n`` (the same rounds, bytes for bytes, as :func:`play_game`). A shock's
    check reads a few rounds near its event, so the games it compares stop there."""

    def __init__(self, scenario: Scenario, parcel: tuple | None) -> None:
        self._rounds = iter(
            GameRounds(scenario, seed=SEED, human_teams=parcel_humans(scenario, parcel))
        )
        self._outcomes: list[RoundOutcome] = []

    def round(self, round_no: int) -> RoundOutcome:
        while len(self._outcomes) < round_no:
            self._outcomes.append(next(self._rounds).outcome)
        return self._outcomes[round_no - 1]


Game = Played | PlayedSoFar
"""What a shock's check compares: both have ``round(n)``."""


@functools.cache
def played_so_far(stem: str, drop_event: str | None, parcel: tuple | None) -> Game:
    """The game a shock compares (optionally without one event, optionally with a parcel
    seller given as ``(market, price_local)``); the whole baseline game when it is that."""
    if drop_event is None and parcel is None:
        return played(stem)
    return PlayedSoFar(scenario_data(stem, drop_event), parcel)


# --------------------------------------------------------------------------- sanity


def numbers(value: Any, path: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from numbers(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from numbers(v, f"{path}[{i}]")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, float(value)


@pytest.mark.parametrize("stem", SHIPPED)
def test_scenario_plays_to_the_end_with_bots(stem: str) -> None:
    game = played(stem)
    assert game.record["rounds_played"] == game.scenario.calendar.rounds
    assert len(game.record["teams"]) == game.scenario.bots.count
    assert game.record["standings"]


@pytest.mark.parametrize("stem", SHIPPED)
def test_no_nan_or_infinity_anywhere(stem: str) -> None:
    game = played(stem)
    for result in game.rounds:
        raw = {"result": result.to_dict(), "state": result.state.to_dict()}
        bad = [path for path, x in numbers(raw) if not math.isfinite(x)]
        assert bad == [], f"round {result.round_no}"
    assert [p for p, x in numbers(game.record) if not math.isfinite(x)] == []


@pytest.mark.parametrize("stem", SHIPPED)
def test_stock_demand_and_shares_are_consistent(stem: str) -> None:
    for result in played(stem).rounds:
        for market, products in result.markets.items():
            for product, stats in products.items():
                where = f"round {result.round_no} {market} {product}"
                assert 0 <= stats["units_sold"] <= stats["demand"], where
                if stats["shoppers"] is None:  # a catalogue product's hidden demand
                    assert played(stem).scenario.product(product).demand_range, where
                else:
                    assert stats["demand"] <= stats["shoppers"], where
                assert stats["units_lost_stockout"] >= 0, where
                shares = stats["shares"].values()
                assert all(0.0 <= s <= 1.0 for s in shares), where
                assert sum(shares) <= 1.0 + 1e-6, where
        for team in result.teams.values():
            assert all(q >= 0 for q in team.china_stock.values())
            for offer in team.offers:
                assert offer["ending_stock"] >= 0 and offer["in_transit"] >= 0
                assert 0.0 <= offer["market_share"] <= 1.0


@pytest.mark.parametrize("stem", SHIPPED)
def test_prices_stay_within_sane_bounds(stem: str) -> None:
    game = played(stem)
    for result in game.rounds:
        for team in result.teams.values():
            for offer in team.offers:
                if not offer["listed"]:
                    continue
                fx = result.conditions.markets[offer["market"]].fx_cny_per_local[0]
                reference_cny = game.scenario.product(offer["product"]).reference_price_usd
                ratio = offer["price_local"] * fx / (reference_cny * USD_CNY)
                assert 0.25 <= ratio <= 8.0, (result.round_no, team.team_id, offer)


@pytest.mark.parametrize("stem", SHIPPED)
def test_profits_cash_and_ratings_stay_within_sane_bounds(stem: str) -> None:
    game = played(stem)
    economy = game.scenario.economy
    worst_loss = economy.starting_cash_cny + economy.credit_line_cny
    for result in game.rounds:
        for team in result.teams.values():
            pnl, cash = team.pnl, team.cash
            assert pnl["profit_cny"] <= pnl["revenue_cny"] + 0.01
            assert pnl["profit_cny"] >= -worst_loss
            assert cash["end_cny"] >= -0.01
            assert cash["debt_end_cny"] <= economy.credit_line_cny + 0.01
            for offer in team.offers:
                assert 1.0 <= offer["rating"] <= 5.0


# --------------------------------------------------------------------------- shocks


def total(result: RoundOutcome, line: str) -> float:
    return sum(team.pnl[line] for team in result.teams.values())


def shoppers(result: RoundOutcome, market: str) -> int:
    return sum(stats["shoppers"] for stats in result.markets[market].values())


def cny_per_local_earned(result: RoundOutcome, market: str) -> float:
    """CNY revenue per unit of local-currency revenue in a market, over all offers."""
    cny = local = 0.0
    for team in result.teams.values():
        for offer in team.offers:
            if offer["market"] != market or offer["revenue_cny"] <= 0:
                continue
            units = result.markets[market][offer["product"]]["units_sold"]
            cny += offer["revenue_cny"]
            local += offer["price_local"] * units * offer["market_share"]
    assert local > 0, f"nothing sold in {market}"
    return cny / local


def check_reciprocal_tariff(with_: Game, without: Game) -> None:
    a, b = with_.round(3), without.round(3)
    for category, rate in a.conditions.markets["US"].tariffs.items():
        assert rate == pytest.approx(b.conditions.markets["US"].tariffs[category] + 1.25)
    assert total(a, "duty_cny") > 2 * total(b, "duty_cny")
    for product, stats in a.markets["US"].items():
        assert stats["price_local"]["median"] > b.markets["US"][product]["price_local"]["median"]


def check_de_minimis_china(with_: Game, without: Game) -> None:
    assert without.round(4).teams[PARCEL_SELLER].pnl["duty_cny"] == 0.0
    assert with_.round(4).teams[PARCEL_SELLER].pnl["duty_cny"] > 0.0
    assert with_.round(3).teams[PARCEL_SELLER].pnl["duty_cny"] == 0.0  # not before its round


def check_cape_routing(with_: Game, without: Game) -> None:
    for round_no in (3, 4, 5):
        for market in ("EU", "UK"):
            a = with_.round(round_no).conditions.markets[market].lanes["sea"]
            b = without.round(round_no).conditions.markets[market].lanes["sea"]
            assert a.lead_days == b.lead_days + 12
            assert a.cost_cny_per_kg == pytest.approx(b.cost_cny_per_kg * 2.15)
    assert total(with_.round(3), "freight_cny") > total(without.round(3), "freight_cny")

    def mean_sea_arrival_day(game: Game) -> float:
        days = [
            arrival["day"]
            for team in game.round(4).teams.values()
            for arrival in team.arrivals
            if arrival["market"] == "EU" and arrival["mode"] == "sea"
        ]
        return sum(days) / len(days)

    assert mean_sea_arrival_day(with_) > mean_sea_arrival_day(without)


def check_transpacific(with_: Game, without: Game) -> None:
    a = with_.round(3).conditions.markets["US"].lanes["sea"]
    b = without.round(3).conditions.markets["US"].lanes["sea"]
    assert (a.lead_days, a.cost_cny_per_kg) == (b.lead_days, pytest.approx(b.cost_cny_per_kg * 1.3))
    assert total(with_.round(3), "freight_cny") > total(without.round(3), "freight_cny")


def check_more_shoppers(market: str, round_no: int) -> Callable[[Game, Game], None]:
    def check(with_: Game, without: Game) -> None:
        assert shoppers(with_.round(round_no), market) > shoppers(without.round(round_no), market)

    return check


def check_fewer_shoppers(market: str, round_no: int) -> Callable[[Game, Game], None]:
    def check(with_: Game, without: Game) -> None:
        assert shoppers(with_.round(round_no), market) < shoppers(without.round(round_no), market)

    return check


def check_euro_rally(with_: Game, without: Game) -> None:
    assert cny_per_local_earned(with_.round(2), "EU") == pytest.approx(
        cny_per_local_earned(without.round(2), "EU"), rel=1e-4
    )
    rise = cny_per_local_earned(with_.round(5), "EU") / cny_per_local_earned(without.round(5), "EU")
    assert rise == pytest.approx(1.10, rel=1e-3)
    a = with_.round(4).conditions.markets["EU"].fx_cny_per_local
    assert a[-1] == pytest.approx(7.532 * 1.10)


def check_rouble_slide(with_: Game, without: Game) -> None:
    # The slide runs over rounds 5-7, so round 8 earns the full -15 %.
    fall = cny_per_local_earned(with_.round(8), "RU") / cny_per_local_earned(without.round(8), "RU")
    assert fall == pytest.approx(0.85, rel=1e-3)

    def ru_revenue_cny(game: Game) -> float:
        teams = game.round(8).teams.values()
        return sum(o["revenue_cny"] for t in teams for o in t.offers if o["market"] == "RU")

    assert ru_revenue_cny(with_) < ru_revenue_cny(without)


def check_ozon_fee(with_: Game, without: Game) -> None:
    a, b = with_.round(4), without.round(4)
    assert a.conditions.markets["RU"].platform_fee == pytest.approx(
        b.conditions.markets["RU"].platform_fee + 0.04
    )
    share_a = total(a, "commission_cny") / total(a, "revenue_cny")
    share_b = total(b, "commission_cny") / total(b, "revenue_cny")
    assert share_a > share_b


def check_sea_parcel_ban(with_: Game, without: Game) -> None:
    a = with_.round(3).teams[PARCEL_SELLER]
    b = without.round(3).teams[PARCEL_SELLER]
    assert b.pnl["revenue_cny"] > 0
    assert a.pnl["revenue_cny"] == 0
    assert any(m.get("reason") == "channel_closed" for m in a.messages)


def check_mexico_courier_duty(with_: Game, without: Game) -> None:
    a = with_.round(4).teams[PARCEL_SELLER].pnl["duty_cny"]
    b = without.round(4).teams[PARCEL_SELLER].pnl["duty_cny"]
    assert a > b > 0
    assert with_.round(3).teams[PARCEL_SELLER].pnl["duty_cny"] == pytest.approx(
        without.round(3).teams[PARCEL_SELLER].pnl["duty_cny"]
    )


def check_tariff(market: str, round_no: int, points: float, categories: tuple[str, ...] = ()):
    """The event moves the market's tariff stack by ``points`` from its round, and the duty
    paid in that round the same way."""

    def check(with_: Game, without: Game) -> None:
        a = with_.round(round_no).conditions.markets[market].tariffs
        b = without.round(round_no).conditions.markets[market].tariffs
        for category in categories or tuple(a):
            assert a[category] == pytest.approx(max(0.0, b[category] + points)), category
        before = with_.round(round_no - 1).conditions.markets[market].tariffs
        assert before == without.round(round_no - 1).conditions.markets[market].tariffs
        more, less = (
            total(with_.round(round_no), "duty_cny"),
            total(without.round(round_no), "duty_cny"),
        )
        assert (more > less) if points > 0 else (more < less)

    return check


def check_lane(markets: tuple[str, ...], rounds: tuple[int, ...], days: int, multiplier: float):
    def check(with_: Game, without: Game) -> None:
        for round_no in rounds:
            for market in markets:
                a = with_.round(round_no).conditions.markets[market].lanes["sea"]
                b = without.round(round_no).conditions.markets[market].lanes["sea"]
                assert a.lead_days == b.lead_days + days
                assert a.cost_cny_per_kg == pytest.approx(b.cost_cny_per_kg * multiplier)
        first = rounds[0]
        assert total(with_.round(first), "freight_cny") > total(without.round(first), "freight_cny")

    return check


def check_storage_multiplier(market: str, round_no: int, multiplier: float):
    def check(with_: Game, without: Game) -> None:
        a = with_.round(round_no).conditions.markets[market]
        b = without.round(round_no).conditions.markets[market]
        assert a.storage_cny_per_unit_day == pytest.approx(b.storage_cny_per_unit_day * multiplier)
        assert total(with_.round(round_no), "storage_cny") > total(
            without.round(round_no), "storage_cny"
        )

    return check


def check_fba_fee_rise(with_: Game, without: Game) -> None:
    """From round 2 every unit a US warehouse ships costs 23 + 1.78 CNY, to the cent."""
    fee = {"US": 23.0 + 1.78, "EU": 25.0}
    assert with_.round(1).conditions.markets["US"].fulfilment_cny_per_unit == 23.0
    assert without.round(2).conditions.markets["US"].fulfilment_cny_per_unit == 23.0
    for team in with_.round(2).teams.values():
        expected = sum(
            o["units_sold"] * fee[o["market"]] for o in team.offers if o["channel"] == "warehouse"
        )
        assert team.pnl["fulfilment_cny"] == pytest.approx(expected, abs=0.005)
    assert total(with_.round(2), "fulfilment_cny") > total(without.round(2), "fulfilment_cny")


def check_ieepa_refund(with_: Game, without: Game) -> None:
    """Round 6 pays back 20 % of the customs value duty was paid on in rounds 1-3 (at most
    the duty), to the cent, as income and cash; without the event nothing is paid back."""
    for team_id, team in with_.round(6).teams.items():
        records = with_.round(5).state.teams[team_id].duty_paid
        expected = sum(
            min(0.20 * r["customs_value_cny"], r["duty_cny"])
            for r in records
            if r["market"] == "US" and 1 <= r["round"] <= 3
        )
        assert team.pnl["duty_refund_cny"] == pytest.approx(round(expected, 2), abs=0.001)
        assert team.pnl["duty_refund_cny"] > 0
    assert total(with_.round(6), "duty_refund_cny") > 0
    assert all("duty_refund_cny" not in t.pnl for t in without.round(6).teams.values())
    assert all(t.duty_paid == [] for t in without.round(5).state.teams.values())


def check_parcel_category_duty(round_no: int, with_eur: float, without_eur: float):
    """A direct-parcel seller of earbuds to the EU pays the flat duty per item (EUR x fx)."""

    def check(with_: Game, without: Game) -> None:
        for game, eur in ((with_, with_eur), (without, without_eur)):
            result = game.round(round_no)
            seller = result.teams[PARCEL_SELLER]
            units = sum(o["units_sold"] for o in seller.offers if o["market"] == "EU")
            fx = result.conditions.markets["EU"].fx_cny_per_local[0]
            assert units > 0
            assert seller.pnl["duty_cny"] == pytest.approx(units * eur * fx, abs=0.01)

    return check


# (scenario, event id, parcel seller (market, price) or None, check)
SHOCKS = [
    ("us-tariffs-2025", "reciprocal-145", None, check_reciprocal_tariff),
    ("us-tariffs-2025", "de-minimis-china", ("US", 34.99), check_de_minimis_china),
    ("red-sea", "cape-routing", None, check_cape_routing),
    ("red-sea", "transpacific-squeeze", None, check_transpacific),
    ("festivals", "ru-11-11", None, check_more_shoppers("RU", 3)),
    ("festivals", "sea-11-11", None, check_more_shoppers("SEA", 3)),
    ("festivals", "us-black-friday", None, check_more_shoppers("US", 3)),
    ("festivals", "ramadan-start", None, check_more_shoppers("ME", 6)),
    ("festivals", "eid-peak-week", None, check_more_shoppers("ME", 7)),
    ("festivals", "us-after-christmas", None, check_fewer_shoppers("US", 4)),
    ("currency-swings", "euro-rally", None, check_euro_rally),
    ("currency-swings", "rouble-slide", None, check_rouble_slide),
    ("new-markets", "ozon-fee-rise-1", None, check_ozon_fee),
    ("new-markets", "sea-parcel-ban", ("SEA", 250.0), check_sea_parcel_ban),
    ("new-markets", "mexico-courier-duty", ("LATAM", 600.0), check_mexico_courier_duty),
    ("us-2026", "fba-fees-2026", None, check_fba_fee_rise),
    ("us-2026", "ieepa-void", None, check_tariff("US", 4, -0.20)),
    ("us-2026", "section-122", None, check_tariff("US", 4, 0.10)),
    ("us-2026", "ieepa-refunds", None, check_ieepa_refund),
    ("us-2026", "section-122-expires", None, check_tariff("US", 9, -0.10)),
    ("us-2026", "q4-storage", None, check_storage_multiplier("US", 11, 3.2)),
    ("europe-2026", "france-2-euro", ("EU", 32.0), check_parcel_category_duty(3, 0.34, 0.0)),
    ("europe-2026", "eu-3-euro", ("EU", 32.0), check_parcel_category_duty(7, 3.0, 0.34)),
    ("europe-2026", "eu-q4-storage", None, check_storage_multiplier("EU", 10, 3.2)),
    ("red-sea-2025", "cape-routing-2025", None, check_lane(("EU", "UK"), (1, 4, 7), 12, 1.5)),
    ("red-sea-2025", "july-sinkings", None, check_lane(("EU", "UK"), (2, 3), 0, 1.1)),
    ("red-sea-2025", "partial-suez-return", None, check_lane(("EU", "UK"), (8, 10), 10, 1.3)),
    ("red-sea-2025", "busan-deal", None, check_tariff("US", 6, -0.10)),
    (
        "mexico-japan-2026",
        "mexico-tariffs-2026",
        None,
        check_tariff("LATAM", 4, 0.35, ("apparel", "home")),
    ),
    ("mexico-japan-2026", "us-busan", None, check_tariff("US", 2, -0.10)),
    ("mexico-japan-2026", "us-ruling", None, check_tariff("US", 6, -0.10)),
    ("mexico-japan-2026", "us-section-122-expires", None, check_tariff("US", 11, -0.10)),
]


@pytest.mark.parametrize(
    ("stem", "event_id", "parcel", "check"), SHOCKS, ids=[f"{s}:{e}" for s, e, _, _ in SHOCKS]
)
def test_shock_moves_its_market(stem: str, event_id: str, parcel: tuple | None, check) -> None:
    check(played_so_far(stem, None, parcel), played_so_far(stem, event_id, parcel))


def test_every_shipped_scenario_loads_through_the_file_loader() -> None:
    for stem in SHIPPED:
        assert load_scenario_file(SCENARIOS_DIR / f"{stem}.toml").scenario.meta.id == stem
