"""Results explained: why a team's profit (and units sold) changed from the previous round.

The change is split into eight causes (:data:`CAUSES`) by replaying the round with groups of
inputs set back to the previous round's and averaging the marginal effects over the orders
in which the groups can be switched (Shapley). Replays use the one market step
(:func:`simshop.engine.market.simulate_round`) with mixed conditions and the random streams
of either round (:mod:`simshop.engine.seeds`), so every replay is as deterministic as the
round itself.

The game and its cost (documented in ``docs/engine.md``, "Results explained"):

- Market-wide causes (``tariffs`` — tariffs, fees, freight and market rules; ``fx``;
  ``demand`` — season and demand events; ``chance`` — the round's random streams) and the
  teams' own groups applied to *every* team at once (prices, advertising, stock and
  shipping) form a shared game of up to seven players: one replay per coalition serves all
  teams, and a player whose inputs did not change is dropped (its Shapley value is exactly
  zero, the null-player property), so a round replays ``2^k`` worlds for ``k`` changed
  groups. This part is exact Shapley.
- Each team's own share of the three team groups is its leave-one-out effect: the round as
  it happened, with only that team's prices (advertising, stock and shipping) set back.
  What remains of the shared effect of the three groups is ``rivals`` (the other teams'
  moves plus the interaction of the team's own moves with them). That costs at most three
  replays per team (fewer when a group did not change for the team).
- The parts add up to the change exactly: the shared game is efficient, ``rivals`` is the
  remainder, and :func:`to_cents` allocates the rounding so the cents add up too.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from simshop.engine.conditions import MarketConditions, RoundConditions
from simshop.engine.market import simulate_totals
from simshop.engine.results import RoundOutcome
from simshop.engine.scenario import Scenario
from simshop.engine.sheet import DecisionSheet, Offer, empty_decisions
from simshop.engine.state import GameState, TeamState

PRICES, ADVERTISING, STOCK, RIVALS = "prices", "advertising", "stock", "rivals"
TARIFFS, FX, DEMAND, CHANCE = "tariffs", "fx", "demand", "chance"
CAUSES = (PRICES, ADVERTISING, STOCK, RIVALS, TARIFFS, FX, DEMAND, CHANCE)
"""The eight causes, in the order the waterfall shows them."""
TEAM_GROUPS = (PRICES, ADVERTISING, STOCK)
MARKET_GROUPS = (TARIFFS, FX, DEMAND, CHANCE)

_FX_FIELDS = frozenset({"fx_cny_per_local"})
_DEMAND_FIELDS = frozenset({"seasonality", "demand_windows"})
_FIXED_FIELDS = frozenset({"code", "currency"})
_TARIFF_FIELDS = frozenset(f.name for f in dataclasses.fields(MarketConditions)) - (
    _FX_FIELDS | _DEMAND_FIELDS | _FIXED_FIELDS
)
"""Tariff stacks, parcel rules, platform fees and VAT, warehouse fees, lanes (lead days and
freight), market rules and duty records: the costs and rules of selling in a market."""


@dataclass
class RoundSide:
    """One side of the comparison: a round's inputs.

    ``state`` is the state before the round, ``sheets`` the sheet each team played,
    ``conditions`` the round's market conditions and ``stream_round`` the round whose random
    streams it drew."""

    state: GameState
    sheets: dict[str, DecisionSheet]
    conditions: RoundConditions
    stream_round: int


@dataclass
class TeamExplanation:
    """One team's explanation: the change and its parts, money in cents, units whole."""

    team_id: str
    profit_before_cents: int
    profit_after_cents: int
    profit_parts_cents: dict[str, int]
    units_before: int
    units_after: int
    units_parts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "profit_before_cents": self.profit_before_cents,
            "profit_after_cents": self.profit_after_cents,
            "profit_parts_cents": {c: self.profit_parts_cents[c] for c in CAUSES},
            "units_before": self.units_before,
            "units_after": self.units_after,
            "units_parts": {c: self.units_parts[c] for c in CAUSES},
        }


@dataclass
class RoundExplanation:
    teams: dict[str, TeamExplanation]
    replays: int
    """How many worlds were replayed (for the benchmark)."""
    changed: list[str] = field(default_factory=list)
    """The shared groups whose inputs changed."""


# --------------------------------------------------------------------------- mixing inputs


def _shift_state(team: TeamState, rounds: int) -> TeamState:
    """A team's state moved ``rounds`` later in the calendar (shipments keep their lead)."""
    if rounds == 0:
        return team
    transit = [
        dataclasses.replace(
            s, shipped_round=s.shipped_round + rounds, arrive_round=s.arrive_round + rounds
        )
        for s in team.in_transit
    ]
    return dataclasses.replace(team, round_no=team.round_no + rounds, in_transit=transit)


def _offer_keys(*sheets: DecisionSheet) -> list[tuple[str, str]]:
    keys = {(code, pid) for s in sheets for code, by in s.offers.items() for pid in by}
    return sorted(keys)


def _offer(sheet: DecisionSheet, code: str, pid: str) -> Offer | None:
    return sheet.offers.get(code, {}).get(pid)


def _mix_sheet(base: DecisionSheet, prices: DecisionSheet, ads: DecisionSheet) -> DecisionSheet:
    """``base`` (stock, shipping, markets, borrowing) with the listings and prices of
    ``prices`` and the advertising of ``ads``."""
    if base is prices and base is ads:
        return base
    offers: dict[str, dict[str, Offer]] = {}
    for code, pid in _offer_keys(base, prices, ads):
        p, a = _offer(prices, code, pid), _offer(ads, code, pid)
        offer = Offer(
            listed=p.listed if p is not None else False,
            price_local=p.price_local if p is not None else 0.0,
            channel=p.channel if p is not None else "warehouse",
            ad_budget_cny=a.ad_budget_cny if a is not None else 0.0,
            listing=p.listing if p is not None else None,
            campaigns=a.campaigns if a is not None else {},
            auto_campaign=a.auto_campaign if a is not None else None,
        )
        offers.setdefault(code, {})[pid] = offer
    return base.model_copy(update={"offers": offers})


def _price_part(sheet: DecisionSheet) -> list[tuple[Any, ...]]:
    return [
        (code, pid, o.listed, o.price_local, o.channel, o.listing)
        for code, by in sorted(sheet.offers.items())
        for pid, o in sorted(by.items())
    ]


def _ad_part(sheet: DecisionSheet) -> list[tuple[Any, ...]]:
    return [
        (code, pid, o.ad_budget_cny, sorted(o.campaigns.items()), o.auto_campaign)
        for code, by in sorted(sheet.offers.items())
        for pid, o in sorted(by.items())
        if o.ad_budget_cny or o.campaigns or o.auto_campaign is not None
    ]


def _stock_part(team: TeamState, sheet: DecisionSheet) -> tuple[Any, ...]:
    rest = sheet.model_copy(update={"offers": {}}).to_dict()
    return (team.to_dict(), rest)


def _mix_conditions(
    cur: RoundConditions, prev: RoundConditions, groups: frozenset[str]
) -> RoundConditions:
    """``cur`` with the fields of the market groups not in ``groups`` taken from ``prev``."""
    back: set[str] = set()
    if TARIFFS not in groups:
        back |= _TARIFF_FIELDS
    if FX not in groups:
        back |= _FX_FIELDS
    if DEMAND not in groups:
        back |= _DEMAND_FIELDS
    if not back:
        return cur
    markets = {
        code: dataclasses.replace(mc, **{f: getattr(prev.markets[code], f) for f in back})
        if code in prev.markets
        else mc
        for code, mc in cur.markets.items()
    }
    month = cur.month if DEMAND in groups else prev.month
    return dataclasses.replace(cur, markets=markets, month=month)


class _Replayer:
    """Builds and plays the mixed worlds of one comparison."""

    def __init__(self, scenario: Scenario, seed: int, prev: RoundSide, cur: RoundSide) -> None:
        self.scenario, self.seed, self.prev, self.cur = scenario, seed, prev, cur
        self.team_ids = sorted(cur.state.teams)
        shift = cur.state.round_no - prev.state.round_no
        self.prev_states: dict[str, TeamState] = {}
        self.prev_sheets: dict[str, DecisionSheet] = {}
        for tid in self.team_ids:
            old = prev.state.teams.get(tid)
            self.prev_states[tid] = (
                _shift_state(old, shift) if old is not None else cur.state.teams[tid]
            )
            self.prev_sheets[tid] = prev.sheets.get(tid) or empty_decisions()
        self.cur_sheets = {tid: cur.sheets.get(tid) or empty_decisions() for tid in self.team_ids}
        self.replays = 0

    def team_changed(self, tid: str) -> dict[str, bool]:
        old_sheet, new_sheet = self.prev_sheets[tid], self.cur_sheets[tid]
        return {
            PRICES: _price_part(old_sheet) != _price_part(new_sheet),
            ADVERTISING: _ad_part(old_sheet) != _ad_part(new_sheet),
            STOCK: _stock_part(self.prev_states[tid], old_sheet)
            != _stock_part(self.cur.state.teams[tid], new_sheet),
        }

    def market_changed(self) -> dict[str, bool]:
        cur, prev = self.cur.conditions, self.prev.conditions
        out = {CHANCE: self.cur.stream_round != self.prev.stream_round}
        for group, names in ((TARIFFS, _TARIFF_FIELDS), (FX, _FX_FIELDS), (DEMAND, _DEMAND_FIELDS)):
            out[group] = any(
                code not in prev.markets
                or any(getattr(mc, f) != getattr(prev.markets[code], f) for f in names)
                for code, mc in cur.markets.items()
            )
        return out

    def team_inputs(self, tid: str, groups: Iterable[str]) -> tuple[TeamState, DecisionSheet]:
        g = set(groups)
        new = {x: x in g for x in TEAM_GROUPS}
        if all(new.values()):
            return self.cur.state.teams[tid], self.cur_sheets[tid]
        if not any(new.values()):
            return self.prev_states[tid], self.prev_sheets[tid]

        def pick(x: str) -> DecisionSheet:
            return self.cur_sheets[tid] if new[x] else self.prev_sheets[tid]

        state = self.cur.state.teams[tid] if new[STOCK] else self.prev_states[tid]
        return state, _mix_sheet(pick(STOCK), pick(PRICES), pick(ADVERTISING))

    def play(
        self, groups: frozenset[str], focus: tuple[str, frozenset[str]] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Profit (CNY) and units sold per team (in :attr:`team_ids` order) in the world
        where ``groups`` are this round's and the rest the previous round's; ``focus`` =
        (team, its own groups) overrides one team's own groups."""
        states: dict[str, TeamState] = {}
        sheets: dict[str, DecisionSheet] = {}
        for tid in self.team_ids:
            own = focus[1] if focus is not None and focus[0] == tid else groups
            states[tid], sheets[tid] = self.team_inputs(tid, own)
        cond = _mix_conditions(self.cur.conditions, self.prev.conditions, groups)
        stream = self.cur.stream_round if CHANCE in groups else self.prev.stream_round
        state = GameState(round_no=self.cur.state.round_no, teams=states)
        team_ids, profit, units = simulate_totals(
            self.scenario, state, sheets, self.seed, conditions=cond, stream_round=stream
        )
        self.replays += 1
        if team_ids != self.team_ids:
            order = [team_ids.index(t) for t in self.team_ids]
            profit, units = profit[order], units[order]
        return profit, units


# --------------------------------------------------------------------------- Shapley


def shapley(players: Sequence[str], value: Mapping[frozenset[str], np.ndarray]) -> dict[str, Any]:
    """Exact Shapley values of ``players`` given the value of every coalition (arrays, so
    many games are solved at once)."""
    n = len(players)
    out: dict[str, Any] = {}
    for p in players:
        others = [q for q in players if q != p]
        total: Any = 0.0
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for coalition in combinations(others, size):
                s = frozenset(coalition)
                total = total + weight * (value[s | {p}] - value[s])
        out[p] = total
    return out


def to_cents(total_cents: int, parts: Mapping[str, float]) -> dict[str, int]:
    """Parts (in cents, float) rounded to whole cents so that they add up to
    ``total_cents`` exactly: each is rounded down and the missing cents go one each to the
    parts with the largest remainders (ties: the earlier part); should float error leave
    more to place than there are parts, the largest part takes the rest."""
    floors = {k: math.floor(v) for k, v in parts.items()}
    names = list(parts)
    order = sorted(names, key=lambda k: (-(parts[k] - floors[k]), names.index(k)))
    missing = total_cents - sum(floors.values())
    for k in order[: max(min(missing, len(order)), 0)]:
        floors[k] += 1
    rest = total_cents - sum(floors.values())
    if rest:
        floors[max(names, key=lambda k: abs(parts[k]))] += rest
    return floors


def explain_round(
    scenario: Scenario, seed: int, prev: RoundSide, cur: RoundSide
) -> RoundExplanation:
    """Explain every team's change in profit and units from ``prev`` to ``cur`` (see the
    module text). ``seed`` is the phase seed both sides ran with. Teams are those of
    ``cur``; a team missing from ``prev`` is compared with doing nothing from its state."""
    rp = _Replayer(scenario, seed, prev, cur)
    team_changed = {tid: rp.team_changed(tid) for tid in rp.team_ids}
    market_changed = rp.market_changed()
    players = [g for g in TEAM_GROUPS if any(c[g] for c in team_changed.values())] + [
        g for g in MARKET_GROUPS if market_changed[g]
    ]
    fixed = frozenset(g for g in (*TEAM_GROUPS, *MARKET_GROUPS) if g not in players)
    # unchanged groups are the same on both sides: play them as this round's
    worlds: dict[frozenset[str], tuple[np.ndarray, np.ndarray]] = {}
    for size in range(len(players) + 1):
        for coalition in combinations(players, size):
            worlds[frozenset(coalition)] = rp.play(frozenset(coalition) | fixed)
    full = frozenset(players)
    shared_profit = shapley(players, {s: w[0] for s, w in worlds.items()})
    shared_units = shapley(players, {s: w[1] for s, w in worlds.items()})
    everything = full | fixed
    teams: dict[str, TeamExplanation] = {}
    for i, tid in enumerate(rp.team_ids):
        own_profit: dict[str, float] = {}
        own_units: dict[str, float] = {}
        for g in TEAM_GROUPS:
            if not team_changed[tid][g]:
                own_profit[g] = own_units[g] = 0.0
                continue
            profit, units = rp.play(everything, focus=(tid, everything - {g}))
            own_profit[g] = float(worlds[full][0][i] - profit[i])
            own_units[g] = float(worlds[full][1][i] - units[i])
        teams[tid] = _team_explanation(
            tid,
            i,
            worlds[frozenset()],
            worlds[full],
            shared_profit,
            shared_units,
            own_profit,
            own_units,
        )
    return RoundExplanation(teams=teams, replays=rp.replays, changed=players)


def _team_explanation(
    tid: str,
    i: int,
    before: tuple[np.ndarray, np.ndarray],
    after: tuple[np.ndarray, np.ndarray],
    shared_profit: Mapping[str, Any],
    shared_units: Mapping[str, Any],
    own_profit: Mapping[str, float],
    own_units: Mapping[str, float],
) -> TeamExplanation:
    def parts(
        shared: Mapping[str, Any], own: Mapping[str, float], scale: float
    ) -> dict[str, float]:
        def value(g: str) -> float:
            return float(shared[g][i]) * scale if g in shared else 0.0

        out = {g: own[g] * scale for g in TEAM_GROUPS}
        out[RIVALS] = sum(value(g) for g in TEAM_GROUPS) - sum(out.values())
        for g in MARKET_GROUPS:
            out[g] = value(g)
        return {c: out[c] for c in CAUSES}

    p_before = round(float(before[0][i]) * 100)
    p_after = round(float(after[0][i]) * 100)
    u_before = round(float(before[1][i]))
    u_after = round(float(after[1][i]))
    return TeamExplanation(
        team_id=tid,
        profit_before_cents=p_before,
        profit_after_cents=p_after,
        profit_parts_cents=to_cents(p_after - p_before, parts(shared_profit, own_profit, 100.0)),
        units_before=u_before,
        units_after=u_after,
        units_parts=to_cents(u_after - u_before, parts(shared_units, own_units, 1.0)),
    )


def play_for_explanation(
    scenario: Scenario, seed: int, bots: Mapping[str, str], rounds: int
) -> list[tuple[RoundSide, RoundOutcome]]:
    """Play ``rounds`` rounds of a game of bots and return each round's side and outcome
    (for tests and the benchmark; the app builds sides from stored results)."""
    from simshop.engine.conditions import conditions_for_round
    from simshop.engine.round_step import play_round
    from simshop.engine.state import initial_state

    state = initial_state(scenario, list(bots))
    history: list[dict[str, Any]] = []
    own: dict[str, list[dict[str, Any]]] = {tid: [] for tid in bots}
    played_rounds = []
    for round_no in range(1, rounds + 1):
        played = play_round(
            scenario,
            state,
            seed=seed,
            bot_strategies=bots,
            market_history=history,
            own_results=own,
        )
        side = RoundSide(state, played.sheets, conditions_for_round(scenario, round_no), round_no)
        played_rounds.append((side, played.outcome))
        state = played.outcome.state
        history.append(played.outcome.markets)
        for tid, result in played.outcome.teams.items():
            own[tid].append(result.to_dict())
    return played_rounds


def no_action_side(cur: RoundSide) -> RoundSide:
    """The baseline of a phase's first round: the same state, market and luck, and every
    team doing nothing (no listings, no advertising, no orders, no shipments)."""
    return RoundSide(
        cur.state,
        {tid: empty_decisions() for tid in cur.state.teams},
        cur.conditions,
        cur.stream_round,
    )


def _direction(before: float, after: float) -> str:
    return "up" if after > before else "down" if after < before else "changed"


def market_changes(prev: RoundConditions, cur: RoundConditions) -> dict[str, dict[str, str]]:
    """Per market group, the markets whose conditions changed and which way: ``tariffs`` —
    "up"/"down" by the sum of the tariff stack (else "changed": fees, freight or rules);
    ``fx`` — "up" when the local currency is worth more CNY on average; ``demand`` — by
    seasonality and demand events. Markets are in scenario order; for sentences."""
    out: dict[str, dict[str, str]] = {TARIFFS: {}, FX: {}, DEMAND: {}}
    for code, mc in cur.markets.items():
        old = prev.markets.get(code)
        if old is None:
            continue
        if any(getattr(mc, f) != getattr(old, f) for f in _TARIFF_FIELDS):
            out[TARIFFS][code] = _direction(sum(old.tariffs.values()), sum(mc.tariffs.values()))
        if mc.fx_cny_per_local != old.fx_cny_per_local:
            out[FX][code] = _direction(
                sum(old.fx_cny_per_local) / len(old.fx_cny_per_local),
                sum(mc.fx_cny_per_local) / len(mc.fx_cny_per_local),
            )
        if any(getattr(mc, f) != getattr(old, f) for f in _DEMAND_FIELDS):
            out[DEMAND][code] = _direction(_demand_level(old), _demand_level(mc))
    return out


def _demand_level(mc: MarketConditions) -> float:
    level = mc.seasonality
    for window in mc.demand_windows:
        level *= window.multiplier ** ((window.last_day - window.first_day + 1) / 30)
    return level
