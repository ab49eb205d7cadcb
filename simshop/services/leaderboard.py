"""Leaderboards and the classroom projector: who may see them, and what they show.

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
import hashlib
import secrets
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

import cachetools
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simshop.engine.scoring import METRICS
from simshop.i18n import team_display_name
from simshop.models import (
    Decision,
    Game,
    Player,
    ProjectorLink,
    Round,
    RoundStatus,
    Team,
    User,
)
from simshop.models.game import as_utc
from simshop.models.user import utcnow
from simshop.services import lifecycle
from simshop.services.analysis import english_rival, team_labels
from simshop.services.games import game_scenario
from simshop.services.round_state import review_counts
from simshop.services.uow import unit_of_work

Access = Literal["staff", "player"]
T = TypeVar("T")

PUBLISHED = RoundStatus.PUBLISHED.value
PROJECTOR_NEWS_ITEMS = 4
PROJECTOR_TEAM_CHIPS = 60


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
projector_cache = LRUCache(256)


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


# --------------------------------------------------------------------------- projector link


def projector_link(session: Session, game: Game) -> ProjectorLink | None:
    return session.scalar(select(ProjectorLink).where(ProjectorLink.game_id == game.id))


@unit_of_work
def rotate_projector_link(session: Session, game: Game, user: User) -> ProjectorLink:
    """Give the game a new secret projector token (the old link stops working at once)."""
    link = projector_link(session, game)
    token = secrets.token_urlsafe(24)
    if link is None:
        link = ProjectorLink(game_id=game.id, token=token, created_by_id=user.id)
        session.add(link)
    else:
        link.token = token
        link.created_by_id = user.id
        link.created_at = utcnow()
    return link


@unit_of_work
def disable_projector_link(session: Session, game: Game) -> None:
    link = projector_link(session, game)
    if link is not None:
        session.delete(link)


def game_for_projector_token(session: Session, token: str) -> Game | None:
    if not token or len(token) > 64:
        return None
    game_id = session.scalar(select(ProjectorLink.game_id).where(ProjectorLink.token == token))
    return session.get(Game, game_id) if game_id is not None else None


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
        """Scorecard metrics in display order (those the game weighs, even at 0)."""
        return [m for m in METRICS if m in self.weights] + [
            m for m in self.weights if m not in METRICS
        ]

    @property
    def weight_total(self) -> float:
        return sum(self.weights.values())

    @property
    def top_score(self) -> float:
        return self.rows[0].score if self.rows else 0.0


def _ref(rnd: Round) -> RoundRef:
    return RoundRef(rnd.id, rnd.number, rnd.scenario_round, rnd.is_practice, rnd.published_at)


def published_refs(session: Session, game: Game) -> list[RoundRef]:
    rows = session.execute(
        select(Round.id, Round.number, Round.scenario_round, Round.is_practice, Round.published_at)
        .where(Round.game_id == game.id, Round.status == PUBLISHED)
        .order_by(Round.number)
    )
    return [RoundRef(*row) for row in rows]


def game_weights(game: Game) -> dict[str, float]:
    return dict(game.scoring_weights or game_scenario(game).scoring.as_dict())


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
        chosen.id,
        chosen.published_at,
        previous.id if previous else None,
        previous.published_at if previous else None,
        tuple(sorted(weights.items())),
    )

    def build() -> Leaderboard:
        table = session.scalar(select(Round.standings).where(Round.id == chosen.id)) or []
        before = (
            session.scalar(select(Round.standings).where(Round.id == previous.id))
            if previous
            else None
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

    board = leaderboard_cache.get_or_build(key, build)
    return dataclasses.replace(board, published=published)


# --------------------------------------------------------------------------- projector


@dataclass(frozen=True)
class ProjectorSnapshot:
    """The projector's JSON body and its ETag (a strong validator of the body)."""

    etag: str
    body: bytes
    payload: dict[str, Any]


@dataclass(frozen=True)
class RoundLite:
    """The columns of a round the projector needs (its JSON columns are large: market
    statistics hold a share per team, so they are never loaded per poll)."""

    id: int
    number: int
    scenario_round: int
    is_practice: bool
    status: str
    deadline: datetime | None
    published_at: datetime | None


def _rounds_lite(session: Session, game: Game) -> list[RoundLite]:
    rows = session.execute(
        select(
            Round.id,
            Round.number,
            Round.scenario_round,
            Round.is_practice,
            Round.status,
            Round.deadline,
            Round.published_at,
        )
        .where(Round.game_id == game.id)
        .order_by(Round.number)
    )
    return [RoundLite(*row) for row in rows]


def _news(game: Game, scenario_round: int, chinese: bool) -> list[dict[str, Any]]:
    events = game_scenario(game).announced_events(scenario_round)[:PROJECTOR_NEWS_ITEMS]
    return [{"round": e.announced_in, "headline": e.text("headline", chinese)} for e in events]


def projector_snapshot(
    session: Session,
    game: Game,
    *,
    locale: str,
    render: Callable[[Game, dict[str, Any]], dict[str, Any]],
    max_rows: int = 20,
    rival: Callable[[str], str] = english_rival,
) -> ProjectorSnapshot:
    """The projector state of ``game``, cached by what it depends on.

    The cache key costs three small queries (the game's rounds, one aggregate over the
    current round's decisions, one over its teams); the body is built only when the key is
    new. ``render(game, raw)`` adds the translated labels (the caller's locale) to the raw
    state; ``locale`` is part of the key. Deadlines are sent as ISO times and counted down
    in the browser, so the body does not change every second.

    The projector is a room display: when the game hides rival names, every team on it is
    anonymised (``rival`` labels them in the caller's language).
    """
    rounds = _rounds_lite(session, game)
    current = lifecycle.current_of(rounds)
    last = next((r for r in reversed(rounds) if r.status == PUBLISHED), None)
    saved_count, saved_last = (0, None)
    if current is not None:
        saved_count, saved_last = session.execute(
            select(func.count(Decision.id), func.max(Decision.saved_at)).where(
                Decision.round_id == current.id
            )
        ).one()
    team_count, member_total = session.execute(
        select(func.count(Team.id), func.coalesce(func.sum(Team.member_count), 0)).where(
            Team.game_id == game.id, Team.is_bot.is_(False)
        )
    ).one()
    key = (
        game.id,
        game.title,
        game.status,
        game.show_rival_names,
        locale,
        max_rows,
        tuple((r.id, r.status, as_utc(r.deadline), r.published_at) for r in (current, last) if r),
        saved_count,
        saved_last,
        team_count,
        member_total,
    )

    def build() -> ProjectorSnapshot:
        import json

        labels = None if game.show_rival_names else team_labels(session, game, None, rival=rival)
        raw = _projector_state(
            session,
            game,
            current,
            last,
            chinese=locale.startswith("zh"),
            max_rows=max_rows,
            labels=labels,
        )
        payload = render(game, raw)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        etag = hashlib.sha256(body).hexdigest()[:32]
        return ProjectorSnapshot(etag=etag, body=body, payload=payload)

    return projector_cache.get_or_build(key, build)


def _projector_state(
    session: Session,
    game: Game,
    current: RoundLite | None,
    last: RoundLite | None,
    *,
    chinese: bool,
    max_rows: int,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The raw projector state; ``labels`` (engine team id -> shown name) replace the teams'
    names when the game hides them."""

    def shown(team_id: int, name: str) -> str:
        if labels is not None and str(team_id) in labels:
            return labels[str(team_id)]
        return team_display_name(name)

    board = leaderboard(session, game) if last is not None else None
    standings = [
        {
            "team_id": row.team_id,
            "name": shown(row.team_id, row.team_name),
            "rank": row.rank,
            "change": row.change,
            "score": row.score,
            "profit": row.metrics.get("profit"),
            "is_bot": row.is_bot,
        }
        for row in (board.rows[:max_rows] if board else [])
    ]
    saved_ids: set[int] = set()
    if current is not None:
        saved_ids = set(
            session.scalars(select(Decision.team_id).where(Decision.round_id == current.id))
        )
    teams = session.execute(
        select(Team.id, Team.name)
        .where(Team.game_id == game.id, Team.is_bot.is_(False), Team.member_count > 0)
        .order_by(Team.name, Team.id)
    ).all()
    chips = [{"name": shown(tid, name), "saved": tid in saved_ids} for tid, name in teams]
    chips.sort(key=lambda c: (not c["saved"], c["name"]))
    deadline = as_utc(current.deadline) if current is not None else None
    return {
        "game_id": game.id,
        "title": game.title,
        "status": game.status,
        "round": (
            {
                "number": current.number,
                "scenario_round": current.scenario_round,
                "is_practice": current.is_practice,
                "status": current.status,
                "deadline": deadline.isoformat() if deadline else None,
            }
            if current is not None
            else None
        ),
        "published": (
            {
                "number": last.number,
                "scenario_round": last.scenario_round,
                "is_practice": last.is_practice,
            }
            if last is not None
            else None
        ),
        "standings": standings,
        "standings_total": len(board.rows) if board else 0,
        "submissions": {
            "saved": sum(1 for c in chips if c["saved"]),
            "total": len(chips),
            "teams": chips[:PROJECTOR_TEAM_CHIPS],
        },
        "news": _news(game, current.scenario_round if current else 1, chinese),
    }
