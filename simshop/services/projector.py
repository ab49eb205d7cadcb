"""The classroom projector: its secret link, and the state it polls (cached, with an ETag).

The body changes only when a round changes state, a decision is saved or a team forms; the
cache key (:func:`projector_snapshot`) holds exactly those, so a stale body is never served.

Polls that change nothing are the common case (a projector polls every 5 s all lesson long),
so they are answered without building anything: :func:`fresh_etag` says which body this
worker built for the game within the last few seconds (``recheck_seconds``) and whether the
game's results version (:mod:`simshop.services.live`) is still the one it was built at. A
publish is therefore on every projector at its next poll; a saved decision or a new team
within ``recheck_seconds``. The secret link's token is remembered for as long
(:func:`cached_game_id`): a rotated or disabled link stops at once on the worker that changed
it, and within that time on the others.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import cachetools
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simshop.i18n import team_display_name
from simshop.models import Decision, Game, GameStatus, ProjectorLink, Round, Team, User
from simshop.models.game import as_utc
from simshop.models.user import utcnow
from simshop.services import lifecycle, live
from simshop.services.analysis import english_rival, team_labels
from simshop.services.games import game_news
from simshop.services.leaderboard import PUBLISHED, LRUCache, leaderboard
from simshop.services.uow import unit_of_work

PROJECTOR_NEWS_ITEMS = 4
PROJECTOR_TEAM_CHIPS = 60

projector_cache = LRUCache(256)
TOKEN_TTL_SECONDS = 2.0


@dataclass(frozen=True)
class _Validator:
    etag: str
    results_version: int | None
    until: float  # time.monotonic()


_lock = threading.Lock()
_validators: cachetools.LRUCache[tuple[int, str, int], _Validator] = cachetools.LRUCache(1024)
_tokens: cachetools.TTLCache[str, int] = cachetools.TTLCache(1024, TOKEN_TTL_SECONDS)


def fresh_etag(session: Session, game_id: int, *, locale: str, max_rows: int) -> str | None:
    """The ETag of the projector body this worker built for the game less than
    ``recheck_seconds`` ago, if the game's results version has not moved since; else None
    (the caller builds the state)."""
    with _lock:
        seen = _validators.get((game_id, locale, max_rows))
    if seen is None or seen.until < time.monotonic():
        return None
    if live.results_version(session, game_id) != seen.results_version:
        return None
    return seen.etag


def remembered_etag(game_id: int, *, locale: str, max_rows: int) -> str | None:
    """Like :func:`fresh_etag`, from this worker's memory only: None whenever answering
    would need the database (the results version is not cached right now)."""
    with _lock:
        seen = _validators.get((game_id, locale, max_rows))
    if seen is None or seen.until < time.monotonic():
        return None
    version = live.cached_results_version(game_id)
    if version is None or version != seen.results_version:
        return None
    return seen.etag


def cached_game_id(token: str) -> int | None:
    """The game of a projector token this worker resolved in the last few seconds."""
    with _lock:
        return _tokens.get(token)


def forget_all() -> None:
    """Drop every validator and remembered token of this worker (a new app starts clean)."""
    with _lock:
        _validators.clear()
        _tokens.clear()


def _forget_links(game_id: int) -> None:
    with _lock:
        for token in [t for t, gid in _tokens.items() if gid == game_id]:
            _tokens.pop(token, None)


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
    _forget_links(game.id)
    return link


@unit_of_work
def disable_projector_link(session: Session, game: Game) -> None:
    link = projector_link(session, game)
    if link is not None:
        session.delete(link)
    _forget_links(game.id)


def game_for_projector_token(session: Session, token: str) -> Game | None:
    if not token or len(token) > 64:
        return None
    game_id = session.scalar(select(ProjectorLink.game_id).where(ProjectorLink.token == token))
    if game_id is None:
        return None
    with _lock:
        _tokens[token] = game_id
    return session.get(Game, game_id)


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
    events = game_news(game, scenario_round)[:PROJECTOR_NEWS_ITEMS]
    return [{"round": e.announced_in, "headline": e.text("headline", chinese)} for e in events]


def _activity(session: Session, game: Game, current: RoundLite | None) -> tuple[Any, ...]:
    """What players change between polls: the current round's saved decisions (count,
    latest) and the human teams (count, members)."""
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
    return (saved_count, saved_last, team_count, member_total)


def projector_snapshot(
    session: Session,
    game: Game,
    *,
    locale: str,
    render: Callable[[Game, dict[str, Any]], dict[str, Any]],
    max_rows: int = 20,
    rival: Callable[[str], str] = english_rival,
    recheck_seconds: float = 0.0,
) -> ProjectorSnapshot:
    """The projector state of ``game``, cached by what it depends on.

    The cache key costs three small queries (the game's rounds, one aggregate over the
    current round's decisions, one over its teams); the body is built only when the key is
    new. ``render(game, raw)`` adds the translated labels (the caller's locale) to the raw
    state; ``locale`` is part of the key. Deadlines are sent as ISO times and counted down
    in the browser, so the body does not change every second.

    The projector is a room display: when the game hides rival names, every team on it is
    anonymised (``rival`` labels them in the caller's language).

    For the next ``recheck_seconds`` :func:`fresh_etag` vouches for the returned ETag.
    """
    version = live.results_version(session, game.id)
    rounds = _rounds_lite(session, game)
    current = lifecycle.current_of(rounds)
    last = next((r for r in reversed(rounds) if r.status == PUBLISHED), None)
    activity = _activity(session, game, current)
    key = (
        game.id,
        game.title,
        game.status,
        game.show_rival_names,
        locale,
        max_rows,
        tuple((r.id, r.status, as_utc(r.deadline), r.published_at) for r in (current, last) if r),
        activity,
    )

    def build() -> ProjectorSnapshot:
        return _build_snapshot(session, game, current, last, locale, max_rows, rival, render)

    snapshot = projector_cache.get_or_build(key, build)
    if recheck_seconds > 0:
        seen = _Validator(snapshot.etag, version, time.monotonic() + recheck_seconds)
        with _lock:
            _validators[(game.id, locale, max_rows)] = seen
    return snapshot


def _build_snapshot(
    session: Session,
    game: Game,
    current: RoundLite | None,
    last: RoundLite | None,
    locale: str,
    max_rows: int,
    rival: Callable[[str], str],
    render: Callable[[Game, dict[str, Any]], dict[str, Any]],
) -> ProjectorSnapshot:
    """The projector's body for a new cache key: the raw state, labelled by ``render``, as
    compact JSON with its ETag."""
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


def _round_json(rnd: RoundLite | None, *, current: bool) -> dict[str, Any] | None:
    """The current round (with its state and deadline) or the last published one."""
    if rnd is None:
        return None
    shown: dict[str, Any] = {
        "number": rnd.number,
        "scenario_round": rnd.scenario_round,
        "is_practice": rnd.is_practice,
    }
    if current:
        deadline = as_utc(rnd.deadline)
        shown["status"] = rnd.status
        shown["deadline"] = deadline.isoformat() if deadline else None
    return shown


def _team_chips(
    session: Session, game: Game, current: RoundLite | None, shown: Callable[[int, str], str]
) -> list[dict[str, Any]]:
    """One chip per human team with members: saved teams first, then by name."""
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
    return chips


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
    chips = _team_chips(session, game, current, shown)
    return {
        "game_id": game.id,
        "title": game.title,
        "status": game.status,
        "round": _round_json(current, current=True),
        "published": _round_json(last, current=False),
        "standings": standings,
        "standings_total": len(board.rows) if board else 0,
        "submissions": {
            "saved": sum(1 for c in chips if c["saved"]),
            "total": len(chips),
            "teams": chips[:PROJECTOR_TEAM_CHIPS],
        },
        "news": _news(game, current.scenario_round if current else 1, chinese),
        # The final podium: the top three once the game has ended (empty before).
        "podium": standings[:3] if game.status == GameStatus.ENDED.value else [],
    }
