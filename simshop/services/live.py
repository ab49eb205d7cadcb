"""Per-game version counters, so pages that poll learn "nothing changed" almost for free.

``Game.results_version`` counts the changes to a game's published results: every publish,
every round taken back for re-processing, every rename or removal of a team shown on them.
The writing unit of work bumps it SQL-side (:func:`bump_results_version`, ``SET v = v + 1``,
so concurrent bumps never lose one); the new value becomes visible when that transaction
commits.

Readers go through :func:`results_version`, a cache in two layers:

- every worker keeps a value it read for ``RESULTS_VERSION_TTL`` seconds (1 s by default),
  so a classroom full of projectors polling costs one lookup per second per worker;
- with ``REDIS_URL`` configured, Redis holds the current value for every server: a bump
  raises it right after its commit (never lowers it: servers' bumps may arrive out of
  order), a reader that finds nothing fills it from the database with ``SET NX`` (a reader
  that read the old value before the commit can therefore never overwrite the new one).
  Without Redis, or if Redis fails, the database answers.

A publish is thus seen by every server within the local TTL, far below a poll interval.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import cachetools
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from simshop.models import Game

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 1.0
REDIS_TTL_SECONDS = 300  # a bump that died between commit and Redis heals after this
_PENDING = "simshop_results_versions"
# Raise the stored value, never lower it: two servers' bumps may reach Redis out of order.
_RAISE_TO = """
local current = redis.call('GET', KEYS[1])
if not current or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return 1
"""


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.local: cachetools.TTLCache[int, int] = cachetools.TTLCache(4096, DEFAULT_TTL_SECONDS)
        self.redis: Any = None
        self.prefix = "simshop"


_state = _State()


def configure(*, ttl_seconds: float, redis_url: str | None, prefix: str = "simshop") -> None:
    """Set the local TTL and the Redis server (None: none). Called by ``create_app``."""
    with _state.lock:
        _state.local = cachetools.TTLCache(4096, ttl_seconds)
        _state.prefix = prefix
        _state.redis = None
        if redis_url:
            import redis

            _state.redis = redis.Redis.from_url(
                redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
            )


def redis_client() -> Any:
    """The configured Redis client, or None."""
    return _state.redis


def _key(game_id: int) -> str:
    return f"{_state.prefix}:results_version:{game_id}"


def _redis_call(action: str, *args: Any, **kwargs: Any) -> Any:
    client = _state.redis
    if client is None:
        return None
    try:
        return getattr(client, action)(*args, **kwargs)
    except Exception:  # Redis down or slow: the database answers instead
        log.warning("redis %s failed; using the database", action, exc_info=True)
        return None


def cached_results_version(game_id: int) -> int | None:
    """The game's results version if this worker holds a fresh one, else None."""
    with _state.lock:
        return _state.local.get(game_id)


def results_version(session: Session, game_id: int) -> int | None:
    """The game's results version (None: no such game), at most the local TTL old."""
    with _state.lock:
        cached = _state.local.get(game_id)
    if cached is not None:
        return cached
    raw = _redis_call("get", _key(game_id))
    value = int(raw) if raw is not None else None
    if value is None:
        value = session.scalar(select(Game.results_version).where(Game.id == game_id))
        if value is None:
            return None
        _redis_call("set", _key(game_id), value, nx=True, ex=REDIS_TTL_SECONDS)
    with _state.lock:
        _state.local[game_id] = value
    return value


def bump_results_version(session: Session, game_id: int) -> None:
    """Count one change to the game's published results. Call inside the unit of work that
    makes the change; caches learn the new value once it commits."""
    new = session.scalar(
        update(Game)
        .where(Game.id == game_id)
        .values(results_version=Game.results_version + 1)
        .returning(Game.results_version)
        .execution_options(synchronize_session=False)
    )
    if new is not None:
        session.info.setdefault(_PENDING, {})[game_id] = new


def forget(game_id: int | None = None) -> None:
    """Drop this worker's cached versions (one game's, or all)."""
    with _state.lock:
        if game_id is None:
            _state.local.clear()
        else:
            _state.local.pop(game_id, None)


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    for game_id, value in session.info.pop(_PENDING, {}).items():
        with _state.lock:
            _state.local[game_id] = value
        _redis_call("eval", _RAISE_TO, 1, _key(game_id), value, REDIS_TTL_SECONDS)


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)
