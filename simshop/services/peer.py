"""Peer evaluation: at points the instructor chooses (after a round), each student rates
their teammates (and, if asked, themselves) from 1 to 5 on a few items.

- A student's **own mean** is the mean of every item score their teammates gave them (self
  ratings never count); the **team mean** is the mean of the own means of the team's rated
  members; the **factor** is own mean ÷ team mean, clipped to the game's range (default
  0.8–1.1). Students nobody rated, and teams of one, get 1.0.
- **Flags** (for the instructor only): *self-inflation*, a self-rating at least
  :data:`SELF_INFLATION_GAP` above what the teammates gave; *outlier*, a rating at least
  :data:`OUTLIER_GAP` away from the mean of the other teammates' ratings of the same student
  (when at least two others rated them).
- A student sees only the ratings they gave, never anyone else's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from statistics import fmean

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simshop.models import Game, PeerEvaluation, PeerRating, Player, Round, Team, User
from simshop.models.user import utcnow
from simshop.services.teamwork import AssessmentError, settings_for
from simshop.services.uow import transaction, unit_of_work

PEER_ITEMS = ("contribution", "reliability", "communication", "quality")
SCORE_MIN, SCORE_MAX = 1, 5
SELF_INFLATION_GAP = 1.0
OUTLIER_GAP = 2.0


# --------------------------------------------------------------------------- instructor


def evaluations(session: Session, game: Game) -> list[PeerEvaluation]:
    return list(
        session.scalars(
            select(PeerEvaluation)
            .where(PeerEvaluation.game_id == game.id)
            .order_by(PeerEvaluation.after_round)
        )
    )


def evaluation_of(session: Session, game: Game, evaluation_id: int) -> PeerEvaluation | None:
    found = session.get(PeerEvaluation, evaluation_id)
    return found if found is not None and found.game_id == game.id else None


@unit_of_work
def create_evaluation(
    session: Session, game: Game, after_round: int, items: list[str], include_self: bool
) -> PeerEvaluation:
    """Open a peer evaluation after round ``after_round`` (a round number of the game)."""
    if not 1 <= after_round <= game.total_rounds:
        raise AssessmentError("after_round_range", "after_round", max=game.total_rounds)
    chosen = [item for item in PEER_ITEMS if item in items]
    if not chosen or len(chosen) != len(set(items)):
        raise AssessmentError("items_required", "items")
    exists = session.scalar(
        select(func.count()).where(
            PeerEvaluation.game_id == game.id, PeerEvaluation.after_round == after_round
        )
    )
    if exists:
        raise AssessmentError("evaluation_exists", "after_round")
    evaluation = PeerEvaluation(
        game_id=game.id, after_round=after_round, items=chosen, include_self=include_self
    )
    session.add(evaluation)
    session.flush()
    return evaluation


@unit_of_work
def set_open(session: Session, game: Game, evaluation_id: int, is_open: bool) -> None:
    evaluation = evaluation_of(session, game, evaluation_id)
    if evaluation is None:
        raise AssessmentError("evaluation_unknown")
    evaluation.is_open = is_open


# --------------------------------------------------------------------------- students


def is_available(session: Session, evaluation: PeerEvaluation) -> bool:
    """Open, and the round it follows is published."""
    if not evaluation.is_open:
        return False
    rnd = session.scalar(
        select(Round).where(
            Round.game_id == evaluation.game_id, Round.number == evaluation.after_round
        )
    )
    return rnd is not None and rnd.status == "published"


def teammates(session: Session, team_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Player, Player.user_id == User.id)
            .where(Player.team_id == team_id)
            .order_by(User.display_name, User.id)
        )
    )


def ratees_for(session: Session, evaluation: PeerEvaluation, rater: User, team: Team) -> list[User]:
    """Whom ``rater`` rates: their teammates, and themselves when self-rating is asked."""
    return [
        user
        for user in teammates(session, team.id)
        if user.id != rater.id or evaluation.include_self
    ]


def ratings_given(
    session: Session, evaluation: PeerEvaluation, rater: User
) -> dict[int, dict[str, int]]:
    """The rater's own ratings (ratee id -> item -> score): all a student ever sees."""
    rows = session.scalars(
        select(PeerRating).where(
            PeerRating.evaluation_id == evaluation.id, PeerRating.rater_id == rater.id
        )
    )
    return {row.ratee_id: dict(row.scores) for row in rows}


def submit_ratings(
    session: Session,
    evaluation: PeerEvaluation,
    rater: User,
    team: Team,
    ratings: dict[int, dict[str, int]],
) -> None:
    """Save the rater's ratings of every ratee at once (resubmitting replaces them)."""
    if not is_available(session, evaluation):
        raise AssessmentError("evaluation_closed")
    ratees = ratees_for(session, evaluation, rater, team)
    if not ratees:
        raise AssessmentError("no_teammates")
    checked: dict[int, dict[str, int]] = {}
    for ratee in ratees:
        given = ratings.get(ratee.id, {})
        scores: dict[str, int] = {}
        for item in evaluation.items:
            value = given.get(item)
            if value is None or not SCORE_MIN <= value <= SCORE_MAX:
                raise AssessmentError(
                    "rating_range", f"r{ratee.id}_{item}", low=SCORE_MIN, high=SCORE_MAX
                )
            scores[item] = value
        checked[ratee.id] = scores
    try:
        with transaction(session):
            existing = {
                row.ratee_id: row
                for row in session.scalars(
                    select(PeerRating).where(
                        PeerRating.evaluation_id == evaluation.id,
                        PeerRating.rater_id == rater.id,
                    )
                )
            }
            for ratee_id, scores in checked.items():
                row = existing.get(ratee_id)
                if row is None:
                    row = PeerRating(
                        evaluation_id=evaluation.id,
                        team_id=team.id,
                        rater_id=rater.id,
                        ratee_id=ratee_id,
                        scores=scores,
                    )
                    session.add(row)
                row.scores = scores
                row.submitted_at = utcnow()
    except IntegrityError:  # the same student submitted twice at once: the other one won
        raise AssessmentError("ratings_changed") from None


# --------------------------------------------------------------------------- results


def _all_ratings(session: Session, game: Game) -> list[PeerRating]:
    return list(
        session.scalars(
            select(PeerRating)
            .join(PeerEvaluation, PeerEvaluation.id == PeerRating.evaluation_id)
            .where(PeerEvaluation.game_id == game.id)
        )
    )


def _mean_score(rating: PeerRating) -> float:
    return fmean(rating.scores.values())


def own_means(ratings: list[PeerRating]) -> dict[int, tuple[int, float]]:
    """ratee id -> (team id, mean of the item scores teammates gave them)."""
    scores: dict[int, list[float]] = defaultdict(list)
    teams: dict[int, int] = {}
    for rating in ratings:
        if rating.rater_id == rating.ratee_id:
            continue
        scores[rating.ratee_id].extend(float(v) for v in rating.scores.values())
        teams[rating.ratee_id] = rating.team_id
    return {ratee: (teams[ratee], fmean(values)) for ratee, values in scores.items()}


def factors_from(ratings: list[PeerRating], low: float, high: float) -> dict[int, float]:
    """ratee id -> clip(own mean ÷ team mean, low, high), for every rated student."""
    means = own_means(ratings)
    by_team: dict[int, list[float]] = defaultdict(list)
    for team_id, mean in means.values():
        by_team[team_id].append(mean)
    factors: dict[int, float] = {}
    for ratee, (team_id, mean) in means.items():
        team_mean = fmean(by_team[team_id])
        raw = mean / team_mean if len(by_team[team_id]) > 1 and team_mean > 0 else 1.0
        factors[ratee] = round(min(high, max(low, raw)), 4)
    return factors


def peer_factors(session: Session, game: Game) -> dict[int, float]:
    """Every enrolled student's peer factor (user id -> factor; 1.0 when not rated)."""
    settings = settings_for(session, game)
    factors = factors_from(
        _all_ratings(session, game), settings.peer_factor_min, settings.peer_factor_max
    )
    players = session.scalars(select(Player.user_id).where(Player.game_id == game.id))
    return {user_id: factors.get(user_id, 1.0) for user_id in players}


@dataclass(frozen=True)
class Flag:
    """Something the instructor should look at (never shown to students)."""

    kind: str  # "self_inflation" or "outlier"
    rater_id: int
    ratee_id: int
    given: float
    others: float


def flags_from(ratings: list[PeerRating]) -> list[Flag]:
    by_ratee: dict[tuple[int, int], list[PeerRating]] = defaultdict(list)
    for rating in ratings:
        by_ratee[(rating.evaluation_id, rating.ratee_id)].append(rating)
    flags: list[Flag] = []
    for (_evaluation, ratee), group in sorted(by_ratee.items()):
        peers = [r for r in group if r.rater_id != ratee]
        for rating in sorted(group, key=lambda r: r.rater_id):
            given = _mean_score(rating)
            others = [_mean_score(r) for r in peers if r.rater_id != rating.rater_id]
            if rating.rater_id == ratee:
                if others and given - fmean(others) >= SELF_INFLATION_GAP:
                    flags.append(Flag("self_inflation", ratee, ratee, given, fmean(others)))
            elif len(others) >= 2 and abs(given - fmean(others)) >= OUTLIER_GAP:
                flags.append(Flag("outlier", rating.rater_id, ratee, given, fmean(others)))
    return flags


def flags(session: Session, game: Game) -> list[Flag]:
    return flags_from(_all_ratings(session, game))


def summary(session: Session, game: Game) -> list[tuple[Team, User, int, float | None, float]]:
    """For the instructor: (team, student, ratings received, own mean, factor) per player."""
    ratings = _all_ratings(session, game)
    means = own_means(ratings)
    factors = peer_factors(session, game)
    received: dict[int, int] = defaultdict(int)
    for rating in ratings:
        if rating.rater_id != rating.ratee_id:
            received[rating.ratee_id] += 1
    rows = session.execute(
        select(Team, User)
        .join(Player, Player.team_id == Team.id)
        .join(User, User.id == Player.user_id)
        .where(Team.game_id == game.id)
        .order_by(Team.name, User.display_name)
    )
    return [
        (
            team,
            user,
            received[user.id],
            round(means[user.id][1], 2) if user.id in means else None,
            factors.get(user.id, 1.0),
        )
        for team, user in rows
    ]
