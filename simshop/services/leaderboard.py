"""Leaderboards: who may see them, and what they show (the classroom projector:
:mod:`simshop.services.projector`).

The standings of a round are computed once, by the engine's pure
:func:`simshop.engine.scoring.standings` with the game's weights, when the round is
published (services/rounds.py stores them in ``Round.standings``). This module only reads
them, adds names and rank changes, and caches what it built: a leaderboard changes only
when a round is published (or re-processed), the projector only when a round changes state,
a decision is saved or a team forms.

Caches are small per-process LRU maps keyed by everything the answer depends on, so a
stale entry is never *served*: it is simply never asked for again and falls out.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

import cachetools
from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.engine.scoring import METRICS, OPTIONAL_METRICS
from simshop.models import (
    Game,
    Player,
    Round,
    RoundStatus,
    Team,
    User,
)
from simshop.services.analysis import english_rival, team_labels
from simshop.services.games import game_scenario
from simshop.services.round_state import review_counts

Access = Literal["staff", "player"]
T = TypeVar("T")

PUBLISHED = RoundStatus.PUBLISHED.value


class LRUCache:
    """Get-or-build over a :class:`cachetools.LRUCache`, under a lock (gunicorn sync workers
    are single-threaded, the dev server and the tests are not)."""

    def __init__(self, maxsize: int = 128) -> None:
        self._items: cachetools.LRUCache[Hashable, Any] = cachetools.LRUCache(maxsize)
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                return self._items[key]  # reading marks it recently used
        value = build()  # outside the lock: two threads may build the same value once each
        with self._lock:
            self._items[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


leaderboard_cache = LRUCache(64)


# --------------------------------------------------------------------------- access


def as_seen_by(
    session: Session,
    game: Game,
    board: Leaderboard,
    viewer_team_id: int | None,
    *,
    staff: bool,
    rival: Callable[[str], str] = english_rival,
) -> Leaderboard:
    """``board`` with each team named as this viewer may see it (:func:`team_labels`)."""
    if staff or game.show_rival_names:
        return board
    labels = team_labels(session, game, viewer_team_id, rival=rival)
    rows = [
        dataclasses.replace(r, team_name=labels.get(str(r.team_id), r.team_name))
        for r in board.rows
    ]
    return dataclasses.replace(board, rows=rows)


def player_team_id(session: Session, game: Game, user: User) -> int | None:
    return session.scalar(
        select(Player.team_id).where(Player.game_id == game.id, Player.user_id == user.id)
    )


# --------------------------------------------------------------------------- leaderboard


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    change: int | None
    """Places gained since the previous round of the same phase (+ up, - down); None when
    the team did not play that round or there is none."""
    team_id: int
    team_name: str
    is_bot: bool
    score: float
    metrics: dict[str, float]
    normalised: dict[str, float]
    reviews: int | None = None
    """Reviews the team's offers hold after the round; 0 means its ``rating`` metric is the
    engine's starting rating, not a rating shoppers gave (shown as "—"). None if unknown."""


@dataclass(frozen=True)
class RoundRef:
    id: int
    number: int
    scenario_round: int
    is_practice: bool
    published_at: datetime | None


@dataclass(frozen=True)
class Leaderboard:
    game_id: int
    round: RoundRef | None
    previous: RoundRef | None
    rows: list[LeaderRow]
    weights: dict[str, float]
    published: list[RoundRef] = field(default_factory=list)

    @property
    def metrics(self) -> list[str]:
        """Scorecard metrics in display order (those the game weighs, even at 0, but an
        optional metric only when it has weight)."""
        return [
            m
            for m in METRICS
            if m in self.weights and (m not in OPTIONAL_METRICS or self.weights[m] > 0)
        ] + [m for m in self.weights if m not in METRICS]

    @property
    def weight_total(self) -> float:
        return sum(self.weights.values())

    @property
    def top_score(self) -> float:
        return self.rows[0].score if self.rows else 0.0


def published_refs(session: Session, game: Game) -> list[RoundRef]:
    rows = session.execute(
        select(Round.id, Round.number, Round.scenario_round, Round.is_practice, Round.published_at)
        .where(Round.game_id == game.id, Round.status == PUBLISHED)
        .order_by(Round.number)
    )
    return [RoundRef(*row) for row in rows]


def game_weights(game: Game) -> dict[str, float]:
    return dict(game.scoring_weights or game_scenario(game).scoring.as_dict())


def _build_leaderboard(
    session: Session,
    game: Game,
    chosen: RoundRef,
    previous: RoundRef | None,
    weights: dict[str, float],
) -> Leaderboard:
    """The rows of ``chosen``'s stored standings, named, with rank changes since ``previous``."""
    table = session.scalar(select(Round.standings).where(Round.id == chosen.id)) or []
    before = (
        session.scalar(select(Round.standings).where(Round.id == previous.id)) if previous else None
    )
    old_rank = {str(r["team_id"]): int(r["rank"]) for r in before or []}
    reviews = review_counts(session, chosen.id)
    teams = {
        str(tid): (name, is_bot)
        for tid, name, is_bot in session.execute(
            select(Team.id, Team.name, Team.is_bot).where(Team.game_id == game.id)
        )
    }
    rows = []
    for entry in table:
        tid = str(entry["team_id"])
        name, is_bot = teams.get(tid, (tid, False))
        rank = int(entry["rank"])
        rows.append(
            LeaderRow(
                rank=rank,
                change=old_rank[tid] - rank if tid in old_rank else None,
                team_id=int(tid),
                team_name=name,
                is_bot=bool(is_bot),
                score=float(entry["score"]),
                metrics=dict(entry.get("metrics", {})),
                normalised=dict(entry.get("normalised", {})),
                reviews=reviews.get(tid),
            )
        )
    return Leaderboard(game.id, chosen, previous, rows, weights)


def leaderboard(session: Session, game: Game, round_number: int | None = None) -> Leaderboard:
    """The standings after a published round (default: the latest), with each team's rank
    change since the previous published round of the same phase (practice or scored).

    Raises LookupError when ``round_number`` is not a published round of the game."""
    published = published_refs(session, game)
    weights = game_weights(game)
    if not published:
        if round_number is not None:
            raise LookupError(round_number)
        return Leaderboard(game.id, None, None, [], weights, [])
    if round_number is None:
        chosen = published[-1]
    else:
        chosen = next((r for r in published if r.number == round_number), None)
        if chosen is None:
            raise LookupError(round_number)
    previous = next(
        (
            r
            for r in published
            if r.number == chosen.number - 1 and r.is_practice == chosen.is_practice
        ),
        None,
    )
    key = (
        game.id,
        game.results_version,  # names on the board change without a publish (renames)
        chosen.id,
        chosen.published_at,
        previous.id if previous else None,
        previous.published_at if previous else None,
        tuple(sorted(weights.items())),
    )

    board = leaderboard_cache.get_or_build(
        key, lambda: _build_leaderboard(session, game, chosen, previous, weights)
    )
    return dataclasses.replace(board, published=published)
