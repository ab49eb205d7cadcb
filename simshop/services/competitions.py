"""Competitions: several games of one scenario ranked together.

An organiser (an instructor) creates a competition and adds games they are staff of. Every
game must play the same scenario snapshot (the same SHA-256 of the scenario text): the
first game added fixes it, in one guarded UPDATE, so two games of different scenarios added
at the same moment cannot both get in.

The combined ranking (:func:`simshop.engine.scoring.combined_standings`, pure) is the fair
rule stated on the page:

1. **Same point in the game.** Games run at their own pace, so every game is compared after
   the same scored round: the latest scored round that *every* game in the competition has
   published (the "common round"). Cumulative profit after round 3 is not compared with
   cumulative profit after round 6.
2. **Same scorecard.** The weights are the scenario's own scoring weights (identical in every
   game, since the snapshot is identical), not any one game's custom weights.
3. **Market share relative to an equal split.** A team's market share is multiplied by the
   number of teams (bots included) in its game: 1.0 means "its fair share". Without this a
   team in a 5-team game (about 20 % each) would beat every team in a 30-team game (about
   3 %) on share alone.
4. **One pool.** Then each metric is min-max normalised across ALL ranked teams of ALL
   games (lowest 0, highest 1; all equal: 1) and the score is the weighted sum: exactly the
   engine's :func:`~simshop.engine.scoring.standings`, tie-break included (higher profit,
   then the earlier game and team).
5. Bot teams play in their games (they shape the market) but are not ranked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simshop.engine.scoring import GameAtRound, combined_standings, entry_key
from simshop.engine.state import GameState
from simshop.errors import CodedError
from simshop.models import (
    Competition,
    CompetitionGame,
    Game,
    GameStatus,
    Round,
    RoundStatus,
    Team,
    User,
)
from simshop.services.analysis import english_rival, team_labels
from simshop.services.games import game_scenario
from simshop.services.leaderboard import LRUCache
from simshop.services.membership import member_of_any, membership, staff_game, staff_games_query
from simshop.services.round_state import end_states
from simshop.services.uow import unit_of_work

TITLE_MAX_LENGTH = 120
ranking_cache = LRUCache(32)


class CompetitionError(CodedError):
    """A refused competition operation: ``code`` says why (views translate it)."""

    area = "competition"


# --------------------------------------------------------------------------- managing


@unit_of_work
def create_competition(
    session: Session, organiser: User, title: str, *, is_public: bool = False
) -> Competition:
    if not organiser.is_instructor:
        raise CompetitionError("not_instructor")
    title = " ".join((title or "").split())
    if not title or len(title) > TITLE_MAX_LENGTH:
        raise CompetitionError("title_length", max=TITLE_MAX_LENGTH)
    competition = Competition(title=title, organiser_id=organiser.id, is_public=is_public)
    session.add(competition)
    return competition


def organised_by(session: Session, user: User) -> list[Competition]:
    return list(
        session.scalars(
            select(Competition)
            .where(Competition.organiser_id == user.id)
            .order_by(Competition.created_at.desc(), Competition.id.desc())
        )
    )


def organised_competition(session: Session, competition_id: int, user: User) -> Competition | None:
    """The competition if ``user`` organises it, else None."""
    competition = session.get(Competition, competition_id)
    if competition is None or competition.organiser_id != user.id or not user.is_instructor:
        return None
    return competition


def games_of(session: Session, competition: Competition) -> list[Game]:
    return list(
        session.scalars(
            select(Game)
            .join(CompetitionGame, CompetitionGame.game_id == Game.id)
            .where(CompetitionGame.competition_id == competition.id)
            .order_by(CompetitionGame.id)
        )
    )


def can_view(session: Session, competition: Competition, user: User | None) -> bool:
    """Public: anyone. Private: the organiser, and the staff and players of its games."""
    if competition.is_public:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if competition.organiser_id == user.id:
        return True
    member_games = select(CompetitionGame.game_id).where(
        CompetitionGame.competition_id == competition.id
    )
    return member_of_any(session, user, member_games)


def viewable_competition(
    session: Session, competition_id: int, user: User | None
) -> Competition | None:
    competition = session.get(Competition, competition_id)
    if competition is None or not can_view(session, competition, user):
        return None
    return competition


def can_download_bundle(session: Session, competition: Competition, user: User | None) -> bool:
    """The organiser at any time; every other viewer once every game in it has ended
    (mid-competition, other teams' decision sheets would be a leak)."""
    if not can_view(session, competition, user):
        return False
    if (
        user is not None
        and getattr(user, "is_authenticated", False)
        and competition.organiser_id == user.id
    ):
        return True
    games = games_of(session, competition)
    return bool(games) and all(g.status == GameStatus.ENDED.value for g in games)


def addable_games(session: Session, competition: Competition, user: User) -> list[Game]:
    """Games ``user`` is staff of, not yet in the competition, of its scenario (any
    scenario while the competition is empty)."""
    inside = select(CompetitionGame.game_id).where(CompetitionGame.competition_id == competition.id)
    stmt = staff_games_query(user).where(Game.id.not_in(inside))
    if competition.scenario_sha256 is not None:
        stmt = stmt.where(Game.scenario_sha256 == competition.scenario_sha256)
    return list(session.scalars(stmt))


@unit_of_work
def add_game(session: Session, competition: Competition, user: User, game_id: int) -> Game:
    """Add one of ``user``'s games. Refuses a game of another scenario (``scenario_mismatch``)
    and games ``user`` is not staff of (``game_unknown``: we do not say whether it exists)."""
    if competition.organiser_id != user.id:
        raise CompetitionError("not_organiser")
    game = staff_game(session, game_id, user)
    if game is None:
        raise CompetitionError("game_unknown")
    fixed = session.execute(
        update(Competition)
        .where(
            Competition.id == competition.id,
            or_(
                Competition.scenario_sha256.is_(None),
                Competition.scenario_sha256 == game.scenario_sha256,
            ),
        )
        .values(scenario_sha256=game.scenario_sha256)
        .execution_options(synchronize_session=False)
    )
    if (fixed.rowcount or 0) != 1:
        raise CompetitionError(
            "scenario_mismatch",
            game=game.title,
            sha=game.scenario_sha256[:12],
            expected=(competition.scenario_sha256 or "")[:12],
        )
    title = game.title
    session.add(CompetitionGame(competition_id=competition.id, game_id=game.id))
    try:
        session.flush()
    except IntegrityError:
        raise CompetitionError("game_already", game=title) from None
    session.refresh(competition)
    return game


@unit_of_work
def remove_game(session: Session, competition: Competition, user: User, game_id: int) -> None:
    if competition.organiser_id != user.id:
        raise CompetitionError("not_organiser")
    removed = session.execute(
        delete(CompetitionGame).where(
            CompetitionGame.competition_id == competition.id, CompetitionGame.game_id == game_id
        )
    )
    if (removed.rowcount or 0) != 1:
        raise CompetitionError("game_unknown")
    left = session.scalar(
        select(CompetitionGame.id).where(CompetitionGame.competition_id == competition.id)
    )
    if left is None:  # empty again: any scenario may start it
        session.execute(
            update(Competition)
            .where(Competition.id == competition.id)
            .values(scenario_sha256=None)
            .execution_options(synchronize_session=False)
        )
    session.refresh(competition)


@unit_of_work
def set_public(session: Session, competition: Competition, user: User, is_public: bool) -> None:
    if competition.organiser_id != user.id:
        raise CompetitionError("not_organiser")
    competition.is_public = is_public


# --------------------------------------------------------------------------- ranking


@dataclass
class CombinedRanking:
    scenario_round: int | None
    """The common scored round the games are compared at (None: not every game has a
    published scored round yet)."""
    weights: dict[str, float]
    rows: list[dict[str, Any]]
    games: list[tuple[Game, int | None]] = field(default_factory=list)
    """Each game with its latest published scored round (scenario numbering)."""
    reviews: dict[str, int] = field(default_factory=dict)
    """Row ``team_id`` -> the reviews the team's offers hold at the common round; 0 means
    its ``rating`` is the engine's starting rating, shown as "—"."""


def _latest_scored(session: Session, game: Game) -> Round | None:
    return session.scalar(
        select(Round)
        .where(
            Round.game_id == game.id,
            Round.status == RoundStatus.PUBLISHED.value,
            Round.is_practice.is_(False),
        )
        .order_by(Round.number.desc())
        .limit(1)
    )


def game_at_round(session: Session, game: Game, scenario_round: int) -> GameAtRound | None:
    rnd = session.scalar(
        select(Round).where(
            Round.game_id == game.id,
            Round.scenario_round == scenario_round,
            Round.is_practice.is_(False),
            Round.status == RoundStatus.PUBLISHED.value,
        )
    )
    if rnd is None:
        return None
    teams = end_states(session, rnd)
    names: dict[str, str] = {}
    bots: set[str] = set()
    for team_id, name, is_bot in session.execute(
        select(Team.id, Team.name, Team.is_bot).where(Team.game_id == game.id)
    ):
        names[str(team_id)] = name
        if is_bot:
            bots.add(str(team_id))
    return GameAtRound(
        game_id=game.id,
        game_title=game.title,
        scenario=game_scenario(game),
        state=GameState(round_no=scenario_round, teams=dict(sorted(teams.items()))),
        team_names=names,
        bot_ids=frozenset(bots),
    )


def combined_ranking(session: Session, competition: Competition) -> CombinedRanking:
    games = games_of(session, competition)
    latest = [(g, _latest_scored(session, g)) for g in games]
    listed = [(g, r.scenario_round if r else None) for g, r in latest]
    weights = game_scenario(games[0]).scoring.as_dict() if games else {}
    if not games or any(r is None for _, r in latest):
        return CombinedRanking(None, dict(weights), [], listed)
    common = min(r.scenario_round for _, r in latest if r is not None)
    key = (
        competition.id,
        common,
        tuple((g.id, r.id if r else None, r.published_at if r else None) for g, r in latest),
    )

    def build() -> tuple[list[dict[str, Any]], dict[str, int]]:
        entries = [e for g in games if (e := game_at_round(session, g, common)) is not None]
        table = combined_standings(entries, weights)
        # Beside the engine's figures (which the bundle signs unchanged): the reviews behind
        # each rating, keyed like the rows' ``team_id`` (0: the starting rating, shown "—").
        reviews = {
            entry_key(e.game_id, tid): sum(sum(p.values()) for p in team.reviews.values())
            for e in entries
            for tid, team in e.state.teams.items()
        }
        return table, reviews

    # Only plain rows are cached (never ORM objects: they belong to one session).
    rows, reviews = ranking_cache.get_or_build(key, build)
    return CombinedRanking(common, dict(weights), rows, listed, reviews)


def rows_as_seen_by(
    session: Session,
    rows: list[dict[str, Any]],
    user: User | None,
    rival: Callable[[str], str] = english_rival,
) -> list[dict[str, Any]]:
    """The combined rows with each team named as ``user`` may see it: per game, by
    :func:`team_labels` (the game's staff see names; a player sees their own team's name;
    everyone else sees rivals of a game that hides names as "Rival A"…). New dicts: the
    cached rows are never changed."""
    labels: dict[int, dict[str, str] | None] = {}
    out = []
    for row in rows:
        game_id = int(row["game_id"])
        if game_id not in labels:
            labels[game_id] = labels_as_seen_by(session, game_id, user, rival)
        names = labels[game_id]
        team = str(row["team"])
        out.append({**row, "team_name": names.get(team, row["team_name"])} if names else row)
    return out


def labels_as_seen_by(
    session: Session,
    game_id: int,
    user: User | None,
    rival: Callable[[str], str] = english_rival,
) -> dict[str, str] | None:
    """Team id -> the name ``user`` sees in this game (:func:`team_labels`); None when
    they see every real name (names shown, or the game's staff)."""
    game = session.get(Game, game_id)
    if game is None or game.show_rival_names:
        return None
    found = membership(session, game_id, user) if user is not None else None
    if found is not None and found.is_staff:
        return None
    own = found.player.team_id if found is not None and found.player is not None else None
    return team_labels(session, game, own, rival=rival)
