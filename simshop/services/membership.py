"""Who belongs to a game: its staff (the owner and assistants) and its players.

:func:`membership` is the one answer to "is this user staff of (or playing in) this game";
:func:`member_of_any` applies the same rule to a set of games (a competition's).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload

from simshop.models import Game, GameStaff, Player, Round, StaffRole, User
from simshop.services import lifecycle
from simshop.services.games import GameError
from simshop.services.uow import unit_of_work


@dataclass(frozen=True)
class Membership:
    """How a user belongs to a game: as staff (``owner`` or ``assistant``) or as a player."""

    game: Game
    staff_role: str | None = None
    player: Player | None = None

    @property
    def is_staff(self) -> bool:
        return self.staff_role is not None

    @property
    def is_owner(self) -> bool:
        return self.staff_role == StaffRole.OWNER.value

    @property
    def access(self) -> str:
        """``staff`` or ``player``: what the shared game pages (leaderboard, projector)
        show."""
        return "staff" if self.is_staff else "player"


def membership(session: Session, game_id: int, user: User) -> Membership | None:
    """The one answer to "is this user staff of (or playing in) this game": instructors are
    staff through a ``GameStaff`` row, students players through a ``Player`` row. None for
    anyone else, anonymous visitors and unknown games."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_instructor:
        row = session.execute(
            select(Game, GameStaff.role)
            .join(GameStaff, GameStaff.game_id == Game.id)
            .where(Game.id == game_id, GameStaff.user_id == user.id)
        ).first()
        return _belonging(user, *row, None) if row is not None else None
    found = session.execute(
        select(Game, Player)
        .join(Player, Player.game_id == Game.id)
        .where(Game.id == game_id, Player.user_id == user.id)
        .options(joinedload(Player.team))  # every student page needs it: one query fewer
    ).first()
    return _belonging(user, found[0], None, found[1]) if found is not None else None


def _belonging(
    user: User, game: Game | None, staff_role: str | None, player: Player | None
) -> Membership | None:
    """The rule of :func:`membership` on the rows read: instructors belong to a game through
    their ``GameStaff`` row (its role), students through their ``Player`` row."""
    if game is None:
        return None
    if user.is_instructor:
        return Membership(game, staff_role=staff_role) if staff_role is not None else None
    return Membership(game, player=player) if player is not None else None


@dataclass(frozen=True)
class GameVisit:
    """Who visits a game's page and how they belong to it (:func:`user_with_membership`)."""

    user: User
    membership: Membership | None
    current_round: Round | None
    """The game's current round (:func:`simshop.services.lifecycle.current_of`) when the
    user belongs to the game, else None."""


@functools.cache
def _visit_query() -> Select[Any]:
    """The statement of :func:`user_with_membership`, built once: building it (two aliases
    of the rounds table, their columns adapted) cost more CPU than running it."""
    game_id = bindparam("game_id")
    is_member = or_(GameStaff.id.is_not(None), Player.id.is_not(None))
    current, candidate = aliased(Round), aliased(Round)
    current_id = (
        select(candidate.id)
        .where(candidate.game_id == game_id)
        .order_by(*lifecycle.current_first(candidate.status, candidate.number))
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(User, Game, GameStaff.role, Player, current)
        .outerjoin(GameStaff, and_(GameStaff.user_id == User.id, GameStaff.game_id == game_id))
        .outerjoin(Player, and_(Player.user_id == User.id, Player.game_id == game_id))
        .outerjoin(Player.team)
        .outerjoin(Game, and_(Game.id == game_id, is_member))
        .outerjoin(current, and_(current.game_id == Game.id, current.id == current_id))
        .where(User.id == bindparam("user_id"))
        .options(contains_eager(Player.team))
    )


def user_with_membership(session: Session, user_id: int, game_id: int) -> GameVisit | None:
    """The user with id ``user_id``, their :func:`membership` of game ``game_id`` (by the
    same rule) and, when they belong to it, the game's current round: what a game's page
    needs first, in one round trip instead of three. None when there is no such user."""
    row = session.execute(_visit_query(), {"user_id": user_id, "game_id": game_id}).first()
    if row is None:
        return None
    user, game, staff_role, player, rnd = row
    found = _belonging(user, game, staff_role, player)
    return GameVisit(user, found, rnd if found is not None else None)


def member_of_any(session: Session, user: User | None, game_ids: Any) -> bool:
    """Whether ``user`` is staff of (or playing in) any of ``game_ids`` (ids or a sub-query
    of game ids), by the same rule as :func:`membership`: instructors through a
    ``GameStaff`` row, students through a ``Player`` row."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_instructor:
        rows = select(GameStaff.id).where(
            GameStaff.user_id == user.id, GameStaff.game_id.in_(game_ids)
        )
    else:
        rows = select(Player.id).where(Player.user_id == user.id, Player.game_id.in_(game_ids))
    return bool(session.scalar(select(rows.exists())))


def staff_game(session: Session, game_id: int, user: User) -> Game | None:
    """The game if ``user`` is one of its instructors, else None."""
    found = membership(session, game_id, user)
    return found.game if found is not None and found.is_staff else None


def staff_games_query(user: User) -> Select[tuple[Game]]:
    """The games ``user`` is staff of, newest first (a query to narrow further)."""
    return (
        select(Game)
        .join(GameStaff, GameStaff.game_id == Game.id)
        .where(GameStaff.user_id == user.id)
        .order_by(Game.created_at.desc(), Game.id.desc())
    )


def games_for_staff(session: Session, user: User) -> list[Game]:
    return list(session.scalars(staff_games_query(user)))


def staff_timezone(session: Session, user: User, default: str = "UTC") -> str:
    """The time zone a staff member's own pages use outside any game (scenario drafts):
    that of their most recently created game, so every time they read is in one zone."""
    zone = session.scalar(
        select(Game.timezone)
        .join(GameStaff, GameStaff.game_id == Game.id)
        .where(GameStaff.user_id == user.id)
        .order_by(Game.created_at.desc(), Game.id.desc())
        .limit(1)
    )
    return zone or default


def staff_of(session: Session, game: Game) -> list[GameStaff]:
    stmt = select(GameStaff).where(GameStaff.game_id == game.id).order_by(GameStaff.id)
    return list(session.scalars(stmt))


@unit_of_work
def add_assistant(session: Session, game: Game, login: str) -> User:
    """Make the instructor with ``login`` an assistant of ``game``."""
    user = session.scalar(select(User).where(User.login == login.strip().lower()))
    if user is None or not user.is_instructor or not user.is_active:
        raise GameError("assistant_unknown", "login")
    exists = session.scalar(
        select(GameStaff.id).where(GameStaff.game_id == game.id, GameStaff.user_id == user.id)
    )
    if exists:
        raise GameError("assistant_already", "login")
    session.add(GameStaff(game_id=game.id, user_id=user.id, role=StaffRole.ASSISTANT.value))
    try:
        session.flush()
    except IntegrityError:
        raise GameError("assistant_already", "login") from None
    return user


def players_of(session: Session, game: Game) -> list[Player]:
    stmt = (
        select(Player)
        .join(User, User.id == Player.user_id)
        .where(Player.game_id == game.id)
        .order_by(User.display_name, User.id)
    )
    return list(session.scalars(stmt))
