"""Forecasts: before a round closes, a team may forecast its units sold and its profit per
market and its net profit; after processing, the forecast is scored against the published
result. A market's profit is its contribution in the result's ``pnl_by_market`` (see
docs/engine.md, *Profit per market*): the costs no market carries are not in it.

Accuracy = max(0, 1 − MAPE), MAPE being the mean over the forecast items (each market's
units and profit, and the net profit, when given) of the absolute percentage error
|F − A| ÷ |A|. When the
actual A is 0 the error is 0 if the forecast is also 0, else 1 (100 %): a percentage of
zero is undefined, and forecasting sales where none happened is a full miss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.errors import CodedError
from simshop.models import Game, Player, Round, RoundResult, RoundStatus, Team, User
from simshop.models.assessment import Forecast
from simshop.models.game import as_utc
from simshop.models.user import utcnow
from simshop.services.uow import unit_of_work

MAX_UNITS = 10_000_000
MAX_PROFIT_CNY = 1e12


class ForecastError(CodedError):
    area = "assessment"


@unit_of_work
def save_forecast(
    session: Session,
    rnd: Round,
    team: Team,
    user: User,
    markets: list[str],
    units: dict[str, int | None],
    profit_cny: float | None,
    profits: dict[str, float | None] | None = None,
) -> Forecast:
    """Save (or replace) the team's forecast for the open round ``rnd``. ``units`` maps
    market codes of the game to a whole number ≥ 0, ``profits`` to a profit in CNY (either
    None: no forecast of it for that market)."""
    deadline = as_utc(rnd.deadline)
    if rnd.status != RoundStatus.OPEN.value or (deadline is not None and utcnow() >= deadline):
        raise ForecastError("forecast_closed")
    clean: dict[str, int] = {}
    for code, value in units.items():
        if code not in markets:
            raise ForecastError("market_unknown", field=f"units-{code}")
        if value is None:
            continue
        if not 0 <= value <= MAX_UNITS:
            raise ForecastError("units_range", field=f"units-{code}", max=MAX_UNITS)
        clean[code] = int(value)
    clean_profits: dict[str, float] = {}
    for code, amount in (profits or {}).items():
        if code not in markets:
            raise ForecastError("market_unknown", field=f"profit-{code}")
        if amount is None:
            continue
        if abs(amount) > MAX_PROFIT_CNY:
            raise ForecastError("profit_range", field=f"profit-{code}")
        clean_profits[code] = round(float(amount), 2)
    if profit_cny is not None and abs(profit_cny) > MAX_PROFIT_CNY:
        raise ForecastError("profit_range", field="profit_cny")
    if not clean and not clean_profits and profit_cny is None:
        raise ForecastError("forecast_empty")
    forecast = forecast_of(session, rnd, team)
    if forecast is None:
        forecast = Forecast(round_id=rnd.id, team_id=team.id, units={})
        session.add(forecast)
    forecast.units = clean
    forecast.profit_by_market = clean_profits or None
    forecast.profit_cny = None if profit_cny is None else round(float(profit_cny), 2)
    forecast.saved_by_id = user.id
    forecast.saved_at = utcnow()
    session.flush()
    return forecast


def forecast_of(session: Session, rnd: Round, team: Team) -> Forecast | None:
    return session.scalar(
        select(Forecast).where(Forecast.round_id == rnd.id, Forecast.team_id == team.id)
    )


@dataclass(frozen=True)
class Item:
    key: str
    """A market code (``measure`` units or profit), or ``"profit"`` (the net profit)."""
    forecast: float
    actual: float
    error: float
    """The absolute percentage error as a fraction (0.25 = 25 %)."""
    measure: str = "units"
    """``units`` (units sold in the market ``key``) or ``profit`` (the market's profit, or
    the net profit when ``key`` is ``"profit"``)."""


@dataclass(frozen=True)
class Comparison:
    items: list[Item]
    accuracy: float
    """max(0, 1 − MAPE), 0..1."""


def percentage_error(forecast: float, actual: float) -> float:
    if actual == 0:
        return 0.0 if forecast == 0 else 1.0
    return abs(forecast - actual) / abs(actual)


def actual_units(result: dict[str, Any], market: str) -> float:
    return float(
        sum(o.get("units_sold", 0) or 0 for o in result.get("offers", []) if o["market"] == market)
    )


def actual_profit(result: dict[str, Any], market: str) -> float:
    """The market's profit contribution in ``result`` (CNY); 0 for a market without a row."""
    row = (result.get("pnl_by_market") or {}).get(market) or {}
    return float(row.get("profit_cny", 0.0) or 0.0)


def compare(forecast: Forecast, result: dict[str, Any]) -> Comparison | None:
    """The forecast beside the actuals, and its accuracy (None: nothing was forecast).
    Items by market (units, then profit), then the net profit."""
    items = []
    profits = forecast.profit_by_market or {}
    for code in sorted(set(forecast.units) | set(profits)):
        if code in forecast.units:
            units, actual = float(forecast.units[code]), actual_units(result, code)
            items.append(Item(code, units, actual, percentage_error(units, actual)))
        if code in profits:
            amount, actual = float(profits[code]), actual_profit(result, code)
            items.append(Item(code, amount, actual, percentage_error(amount, actual), "profit"))
    if forecast.profit_cny is not None:
        actual = float(result.get("pnl", {}).get("profit_cny", 0.0))
        items.append(
            Item(
                "profit",
                forecast.profit_cny,
                actual,
                percentage_error(forecast.profit_cny, actual),
                "profit",
            )
        )
    if not items:
        return None
    mape = sum(item.error for item in items) / len(items)
    return Comparison(items, max(0.0, 1.0 - mape))


def comparison_for(
    session: Session, rnd: Round, team: Team, result: RoundResult
) -> Comparison | None:
    forecast = forecast_of(session, rnd, team)
    return compare(forecast, result.result) if forecast is not None else None


def forecast_scores(session: Session, game: Game) -> dict[int, float | None]:
    """Player user id -> the team's mean forecast accuracy (0..100) over the scored rounds
    it has a published result for; a round without a forecast counts 0. None: no such
    round yet (or the student is in no team)."""
    rows = session.execute(
        select(RoundResult.team_id, RoundResult.result, Forecast)
        .join(Round, Round.id == RoundResult.round_id)
        .outerjoin(
            Forecast,
            (Forecast.round_id == RoundResult.round_id) & (Forecast.team_id == RoundResult.team_id),
        )
        .where(
            Round.game_id == game.id,
            Round.status == RoundStatus.PUBLISHED.value,
            Round.is_practice.is_(False),
        )
    ).all()
    per_team: dict[int, list[float]] = {}
    for team_id, result, forecast in rows:
        found = compare(forecast, result) if forecast is not None else None
        per_team.setdefault(team_id, []).append(found.accuracy if found else 0.0)
    scores: dict[int, float | None] = {}
    for user_id, team_id in session.execute(
        select(Player.user_id, Player.team_id).where(Player.game_id == game.id)
    ):
        values = per_team.get(team_id) if team_id is not None else None
        scores[user_id] = round(100.0 * sum(values) / len(values), 2) if values else None
    return scores
