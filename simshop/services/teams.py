"""Players and teams: join a game with its code, create or join a team, move students.

Team sizes are enforced with SQL-side guarded updates (``UPDATE teams SET member_count =
member_count + 1 WHERE id = :t AND member_count < :max``), so two students racing for the
last seat cannot both get it, on SQLite or PostgreSQL. Refusals raise
:class:`simshop.services.games.GameError`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simshop.models import Game, GameStatus, Player, RoundResult, Team, User
from simshop.models.game import team_name_key
from simshop.services.games import GameError, game_by_code
from simshop.services.live import bump_results_version
from simshop.services.uow import transaction, unit_of_work

TEAM_NAME_MAX_LENGTH = 60


def player_for(session: Session, game_id: int, user: User) -> Player | None:
    """The user's enrolment in the game, or None."""
    return session.scalar(
        select(Player).where(Player.game_id == game_id, Player.user_id == user.id)
    )


def games_for_player(session: Session, user: User) -> list[tuple[Game, Player]]:
    stmt = (
        select(Game, Player)
        .join(Player, Player.game_id == Game.id)
        .where(Player.user_id == user.id)
        .order_by(Game.created_at.desc(), Game.id.desc())
    )
    return [(g, p) for g, p in session.execute(stmt)]


def join_game(session: Session, user: User, code: str) -> Player:
    """Enrol a student in the game with this join code (again: returns the enrolment)."""
    if user.is_instructor:
        raise GameError("instructors_cannot_play", "code")
    game_id = None
    try:
        with transaction(session):
            game = game_by_code(session, code)
            if game is None:
                raise GameError("join_code_unknown", "code")
            game_id = game.id
            existing = player_for(session, game.id, user)
            if existing is not None:
                return existing
            if game.status == GameStatus.ENDED:
                raise GameError("game_ended", "code")
            player = Player(game_id=game.id, user_id=user.id)
            session.add(player)
            return player
    except IntegrityError:  # the same student joined twice at once
        found = player_for(session, game_id, user) if game_id is not None else None
        if found is None:
            raise
        return found


def _clean_team_name(raw: str) -> str:
    name = " ".join(unicodedata.normalize("NFKC", raw).split())
    if not name or len(name) > TEAM_NAME_MAX_LENGTH:
        raise GameError("team_name_length", "name", max=TEAM_NAME_MAX_LENGTH)
    return name


def _take_seat(session: Session, game: Game, team_id: int) -> None:
    result = session.execute(
        update(Team)
        .where(
            Team.id == team_id,
            Team.game_id == game.id,
            Team.is_bot.is_(False),
            Team.member_count < game.team_max_size,
        )
        .values(member_count=Team.member_count + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise GameError("team_full", "team", max=game.team_max_size)


def _leave_seat(session: Session, team_id: int) -> None:
    session.execute(
        update(Team)
        .where(Team.id == team_id, Team.member_count > 0)
        .values(member_count=Team.member_count - 1)
        .execution_options(synchronize_session=False)
    )


def _set_team(session: Session, player: Player, old: int | None, new: int | None) -> None:
    """Move the player from ``old`` to ``new``; refuses if someone moved them meanwhile."""
    cond = Player.team_id.is_(None) if old is None else Player.team_id == old
    result = session.execute(
        update(Player)
        .where(Player.id == player.id, cond)
        .values(team_id=new)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise GameError("team_changed", "team")


@unit_of_work
def create_team(session: Session, player: Player, name: str) -> Team:
    """Create a team in the player's game with the player as its first member."""
    game = session.get(Game, player.game_id)
    assert game is not None
    if game.status == GameStatus.ENDED:
        raise GameError("game_ended")
    if player.team_id is not None:
        raise GameError("already_in_team", "name")
    clean = _clean_team_name(name)
    taken = session.scalar(
        select(Team.id).where(Team.game_id == game.id, Team.name_key == team_name_key(clean))
    )
    if taken is not None:
        raise GameError("team_name_taken", "name")
    team = Team(game_id=game.id, name=clean, member_count=0)
    session.add(team)
    try:
        session.flush()
    except IntegrityError:
        raise GameError("team_name_taken", "name") from None
    _take_seat(session, game, team.id)
    _set_team(session, player, None, team.id)
    session.refresh(team)
    session.refresh(player)
    return team


@unit_of_work
def rename_team(session: Session, game: Game, team_id: int, name: str) -> Team:
    """The instructor renames a student team of ``game`` (names stay unique by
    :func:`team_name_key`)."""
    team = session.get(Team, team_id)
    if team is None or team.game_id != game.id or team.is_bot:
        raise GameError("team_unknown", "team")
    clean = _clean_team_name(name)
    taken = session.scalar(
        select(Team.id).where(
            Team.game_id == game.id, Team.name_key == team_name_key(clean), Team.id != team.id
        )
    )
    if taken is not None:
        raise GameError("team_name_taken", "name")
    team.name = clean
    try:
        session.flush()
    except IntegrityError:
        raise GameError("team_name_taken", "name") from None
    bump_results_version(session, game.id)  # the name shows on published results
    return team


@unit_of_work
def delete_empty_team(session: Session, game: Game, team_id: int) -> None:
    """The instructor deletes a student team that has no members and no results.

    One guarded DELETE: a student joining at the same moment, or a round published for the
    team, makes it change no row and the team stays.
    """
    result = session.execute(
        delete(Team)
        .where(
            Team.id == team_id,
            Team.game_id == game.id,
            Team.is_bot.is_(False),
            Team.member_count == 0,
            ~exists().where(RoundResult.team_id == Team.id),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        team = session.get(Team, team_id)
        if team is None or team.game_id != game.id or team.is_bot:
            raise GameError("team_unknown", "team")
        raise GameError("team_not_empty", "team")


@unit_of_work
def join_team(session: Session, player: Player, team_id: int) -> Team:
    """Put the player (in no team yet) into ``team_id`` of the same game, if it has room."""
    game = session.get(Game, player.game_id)
    assert game is not None
    if game.status == GameStatus.ENDED:
        raise GameError("game_ended")
    team = session.get(Team, team_id)
    if team is None or team.game_id != game.id or team.is_bot:
        raise GameError("team_unknown", "team")
    if player.team_id is not None:
        raise GameError("already_in_team", "team")
    _take_seat(session, game, team.id)
    _set_team(session, player, None, team.id)
    session.refresh(player)
    return team


@unit_of_work
def leave_team(session: Session, player: Player) -> None:
    """Leave the team; only before the game starts (afterwards the instructor moves people,
    so nobody can hop between teams to read rivals' decisions)."""
    game = session.get(Game, player.game_id)
    assert game is not None
    if game.status != GameStatus.SETUP:
        raise GameError("team_locked")
    if player.team_id is None:
        return
    old = player.team_id
    _set_team(session, player, old, None)
    _leave_seat(session, old)
    session.refresh(player)


@unit_of_work
def move_player(session: Session, game: Game, player_id: int, team_id: int | None) -> Player:
    """The instructor moves a student to another team (or out of every team)."""
    player = session.get(Player, player_id)
    if player is None or player.game_id != game.id:
        raise GameError("player_unknown", "player")
    old = player.team_id
    if old == team_id:
        return player
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None or team.game_id != game.id or team.is_bot:
            raise GameError("team_unknown", "team")
        _take_seat(session, game, team_id)
    _set_team(session, player, old, team_id)
    if old is not None:
        _leave_seat(session, old)
    session.refresh(player)
    return player


@dataclass(frozen=True)
class TeamRow:
    team: Team
    members: list[User]


def teams_with_members(session: Session, game: Game) -> list[TeamRow]:
    """Every team of the game with its members, bots last."""
    teams = list(
        session.scalars(select(Team).where(Team.game_id == game.id).order_by(Team.is_bot, Team.id))
    )
    members: dict[int, list[User]] = {t.id: [] for t in teams}
    rows = session.execute(
        select(Player.team_id, User)
        .join(User, User.id == Player.user_id)
        .where(Player.game_id == game.id, Player.team_id.is_not(None))
        .order_by(User.display_name, User.id)
    )
    for team_id, user in rows:
        members.setdefault(team_id, []).append(user)
    return [TeamRow(t, members.get(t.id, [])) for t in teams]


def team_members(session: Session, team: Team) -> list[User]:
    """The students in ``team``, by name."""
    return list(
        session.scalars(
            select(User)
            .join(Player, Player.user_id == User.id)
            .where(Player.team_id == team.id)
            .order_by(User.display_name, User.id)
        )
    )
