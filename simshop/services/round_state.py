"""Finding a game's rounds, the state a round starts from, and what a round left.

Read-only helpers shared by processing (:mod:`simshop.services.rounds`), decisions, the
"what if" replay and the pages.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session

from simshop.engine.scenario import Scenario
from simshop.engine.state import TeamState, initial_team_state
from simshop.models import Game, Round, RoundResult, Team
from simshop.services import lifecycle
from simshop.services.games import game_scenario
from simshop.services.lifecycle import PUBLISHED

# --------------------------------------------------------------------------- finding


def rounds_of(session: Session, game: Game) -> list[Round]:
    return list(
        session.scalars(select(Round).where(Round.game_id == game.id).order_by(Round.number))
    )


def current_round(session: Session, game: Game) -> Round | None:
    """The round students work on (the rule: :func:`lifecycle.current_of`)."""
    return lifecycle.current_of(rounds_of(session, game))


def last_published(session: Session, game: Game) -> Round | None:
    return session.scalar(
        select(Round)
        .where(Round.game_id == game.id, Round.status == PUBLISHED)
        .order_by(Round.number.desc())
        .limit(1)
    )


def round_of_game(session: Session, game: Game, round_id: int) -> Round | None:
    rnd = session.get(Round, round_id)
    return rnd if rnd is not None and rnd.game_id == game.id else None


# --------------------------------------------------------------------------- state


def state_source_round(session: Session, rnd: Round) -> Round | None:
    """The round whose results hold the state before ``rnd`` (None: the initial state)."""
    if rnd.number == 1:
        return None
    return session.scalar(select(Round).where(*_source_round(rnd.is_practice)), _source_of(rnd))


def _source_round(practice: bool) -> list[Any]:
    """The rule of :func:`state_source_round` on the rounds table, with the bound
    parameters ``game_id`` and ``number`` (the round before): a practice round is the
    source only of another practice round (after them everything starts afresh)."""
    where = [Round.game_id == bindparam("game_id"), Round.number == bindparam("number")]
    return where if practice else [*where, Round.is_practice.is_(False)]


def _source_of(rnd: Round) -> dict[str, int]:
    return {"game_id": rnd.game_id, "number": rnd.number - 1}


def end_states(session: Session, rnd: Round | None) -> dict[str, TeamState]:
    """Every team's state at the end of ``rnd`` (published results), by team id; nothing
    for no round."""
    if rnd is None:
        return {}
    return {
        str(team_id): TeamState.from_dict(end_state)
        for team_id, end_state in session.execute(
            select(RoundResult.team_id, RoundResult.end_state).where(RoundResult.round_id == rnd.id)
        )
    }


def fresh_team_state(scenario: Scenario, team_id: str, rnd: Round) -> TeamState:
    team = initial_team_state(scenario, team_id)
    team.round_no = rnd.scenario_round - 1
    return team


def team_state_shown(
    session: Session, game: Game, current: Round, team: Team, scenario: Scenario | None = None
) -> TeamState:
    """The team's state as pages show it: after the last published round.

    While a round is being played that is the state before it; once the last round of the
    game is published (``current`` is that round), it is the round's end state, not its
    starting state.
    """
    if current.status == PUBLISHED:
        saved = session.scalar(
            select(RoundResult.end_state).where(
                RoundResult.round_id == current.id, RoundResult.team_id == team.id
            )
        )
        if saved is not None:
            return TeamState.from_dict(saved)
    return team_state_before(session, game, current, team, scenario)


def team_state_before(
    session: Session, game: Game, rnd: Round, team: Team, scenario: Scenario | None = None
) -> TeamState:
    """The team's state at the start of ``rnd`` (what its decisions are checked against):
    its end state in the round :func:`state_source_round` names, else a fresh one. One
    query, and the previous round's row (its market statistics and standings) is not
    loaded: every student page and save of a round after the first asks this."""
    if rnd.number > 1:
        saved = session.scalar(
            _end_state_before(rnd.is_practice), {**_source_of(rnd), "team_id": team.id}
        )
        if saved is not None:
            return TeamState.from_dict(saved)
    return fresh_team_state(scenario or game_scenario(game), team.engine_id, rnd)


@functools.cache
def _end_state_before(practice: bool) -> Select[tuple[Any]]:
    """A team's end state in the round :func:`state_source_round` names, built once."""
    return (
        select(RoundResult.end_state)
        .join(Round, Round.id == RoundResult.round_id)
        .where(*_source_round(practice), RoundResult.team_id == bindparam("team_id"))
    )


def participants(session: Session, game: Game, prev: Round | None) -> list[Team]:
    """Bots, teams with members, and teams that played the previous round."""
    played = select(RoundResult.team_id).where(RoundResult.round_id == (prev.id if prev else -1))
    stmt = (
        select(Team)
        .where(
            Team.game_id == game.id,
            or_(Team.is_bot.is_(True), Team.member_count > 0, Team.id.in_(played)),
        )
        .order_by(Team.id)
    )
    return list(session.scalars(stmt))


# --------------------------------------------------------------------------- results


def team_result(session: Session, rnd: Round, team: Team) -> RoundResult | None:
    return session.scalar(
        select(RoundResult).where(RoundResult.round_id == rnd.id, RoundResult.team_id == team.id)
    )


def review_counts(session: Session, round_id: int) -> dict[str, int]:
    """Engine team id -> the reviews its offers hold after the round (summed over markets and
    products). A team with none has no rating of its own yet: the engine scores it at the
    model's starting rating, which pages show as "—" rather than as something shoppers said."""
    rows = session.execute(
        select(RoundResult.team_id, RoundResult.end_state).where(RoundResult.round_id == round_id)
    )
    return {str(tid): state_reviews(end_state) for tid, end_state in rows}


def state_reviews(end_state: dict | None) -> int:
    """The reviews in a stored team state (``reviews``: market -> product -> count)."""
    per_market = (end_state or {}).get("reviews") or {}
    return int(sum(sum(products.values()) for products in per_market.values()))


def published_rounds(session: Session, game: Game) -> list[Round]:
    return list(
        session.scalars(
            select(Round)
            .where(Round.game_id == game.id, Round.status == PUBLISHED)
            .order_by(Round.number)
        )
    )


def team_names(session: Session, game: Game) -> dict[str, str]:
    """Engine team id -> team name."""
    return {
        str(tid): name
        for tid, name in session.execute(select(Team.id, Team.name).where(Team.game_id == game.id))
    }
