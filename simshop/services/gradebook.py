"""The gradebook: one grade per student from weighted components, times the peer factor,
with an optional curve; previewed by the instructor, then published (students see only
their own grade and its breakdown); exported as CSV and XLSX for learning platforms.

Components (:data:`GRADE_COMPONENTS`, key -> function(session, game) -> user id -> 0..100
or None when the student has no value yet):

- ``game``: the team's percentile in the last published scored round,
  100 × (N − rank) ÷ (N − 1) over the N teams ranked (bots included); 100 when N = 1;
- ``quiz``: :func:`simshop.services.quizzes.quiz_scores`;
- ``forecast``: :func:`simshop.services.forecasts.forecast_scores`;
- ``memo``: :func:`simshop.services.memos.memo_scores` (rubric or peer-review score).

Grade, for each student:

    raw    = Σ w_c · s_c ÷ Σ w_c over the components c the student has a value for
    grade  = min(100, raw × peer factor + shift)

The peer factor comes from :data:`PEER_FACTORS`, :func:`simshop.services.peer.peer_factors`
(1.0 for a student nobody rated). The curve is a
flat shift that lifts the class mean to the instructor's target and never lowers a grade:
``shift = max(0, target − mean(raw × factor))`` over the students with a grade; no curve:
shift = 0. Grades are rounded to 2 decimals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from simshop.errors import CodedError
from simshop.models import Game, Player, Round, RoundResult, RoundStatus, Team, User
from simshop.models.assessment import GradeSettings, PublishedGrade
from simshop.models.user import utcnow
from simshop.services import forecasts, memos, peer, quizzes
from simshop.services.export_tables import Table
from simshop.services.uow import unit_of_work

Component = Callable[[Session, Game], dict[int, float | None]]


def score_percentiles(session: Session, game: Game) -> dict[int, float | None]:
    """User id -> the team's percentile in the last published scored round (see above)."""
    last = session.scalar(
        select(Round)
        .where(
            Round.game_id == game.id,
            Round.status == RoundStatus.PUBLISHED.value,
            Round.is_practice.is_(False),
        )
        .order_by(Round.number.desc())
        .limit(1)
    )
    ranks: dict[int, int] = {}
    if last is not None:
        ranks = {
            team_id: rank
            for team_id, rank in session.execute(
                select(RoundResult.team_id, RoundResult.rank).where(RoundResult.round_id == last.id)
            )
            if rank is not None
        }
    n = len(ranks)
    scores: dict[int, float | None] = {}
    for user_id, team_id in session.execute(
        select(Player.user_id, Player.team_id).where(Player.game_id == game.id)
    ):
        rank = ranks.get(team_id) if team_id is not None else None
        if rank is None:
            scores[user_id] = None
        else:
            scores[user_id] = 100.0 if n == 1 else round(100.0 * (n - rank) / (n - 1), 2)
    return scores


GRADE_COMPONENTS: dict[str, Component] = {
    "game": score_percentiles,
    "quiz": quizzes.quiz_scores,
    "forecast": forecasts.forecast_scores,
    "memo": memos.memo_scores,
}
PEER_FACTORS: Callable[[Session, Game], dict[int, float]] = peer.peer_factors
DEFAULT_WEIGHTS = {"game": 40.0, "quiz": 30.0, "forecast": 10.0, "memo": 20.0}
MAX_WEIGHT = 100.0


class GradebookError(CodedError):
    area = "assessment"


# --------------------------------------------------------------------------- settings


def _stored_settings(session: Session, game: Game) -> GradeSettings | None:
    return session.scalar(select(GradeSettings).where(GradeSettings.game_id == game.id))


def settings_of(session: Session, game: Game) -> GradeSettings:
    """The game's settings (not saved: the defaults when the instructor set none)."""
    found = _stored_settings(session, game)
    if found is not None:
        return found
    return GradeSettings(game_id=game.id, weights=dict(DEFAULT_WEIGHTS), curve_target=None)


@unit_of_work
def save_settings(
    session: Session, game: Game, weights: dict[str, float], curve_target: float | None
) -> GradeSettings:
    for key, value in weights.items():
        if key not in GRADE_COMPONENTS:
            raise GradebookError("component_unknown", field=f"weight_{key}")
        if not 0 <= value <= MAX_WEIGHT:
            raise GradebookError("weight_range", field=f"weight_{key}", max=MAX_WEIGHT)
    if sum(weights.values()) <= 0:
        raise GradebookError("weights_zero", field=f"weight_{next(iter(GRADE_COMPONENTS))}")
    if curve_target is not None and not 0 <= curve_target <= 100:
        raise GradebookError("curve_range", field="curve_target")
    found = _stored_settings(session, game)
    if found is None:
        found = GradeSettings(game_id=game.id, weights={})
        session.add(found)
    found.weights = {key: float(weights.get(key, 0.0)) for key in GRADE_COMPONENTS}
    found.curve_target = curve_target
    session.flush()
    return found


# --------------------------------------------------------------------------- computing


@dataclass
class GradeRow:
    user_id: int
    login: str
    name: str
    student_number: str | None
    email: str | None
    team: str | None
    components: dict[str, float | None]
    factor: float
    raw: float | None
    grade: float | None = None

    def breakdown(self, weights: dict[str, float], shift: float) -> dict[str, Any]:
        return {
            "components": self.components,
            "weights": weights,
            "raw": self.raw,
            "factor": self.factor,
            "shift": shift,
        }


@dataclass
class Gradebook:
    rows: list[GradeRow]
    weights: dict[str, float]
    curve_target: float | None
    shift: float
    class_mean: float | None
    components: list[str] = field(default_factory=lambda: list(GRADE_COMPONENTS))


def weighted(components: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """Σ w·s ÷ Σ w over the components with a value (None: none has one, or all weigh 0)."""
    pairs = [(weights.get(k, 0.0), v) for k, v in components.items() if v is not None]
    total = sum(w for w, _ in pairs)
    if total <= 0:
        return None
    return sum(w * v for w, v in pairs) / total


def curve_shift(values: list[float], target: float | None) -> float:
    """The flat shift that lifts the mean of ``values`` to ``target`` (never negative)."""
    if target is None or not values:
        return 0.0
    return max(0.0, target - sum(values) / len(values))


def compute(session: Session, game: Game) -> Gradebook:
    """Every student's grade with the current settings (the preview)."""
    settings = settings_of(session, game)
    weights = {k: float(settings.weights.get(k, 0.0)) for k in GRADE_COMPONENTS}
    values = {key: fn(session, game) for key, fn in GRADE_COMPONENTS.items()}
    factors = PEER_FACTORS(session, game)
    rows = []
    for _player, user, team in session.execute(
        select(Player, User, Team)
        .join(User, User.id == Player.user_id)
        .outerjoin(Team, Team.id == Player.team_id)
        .where(Player.game_id == game.id)
        .order_by(User.display_name, User.id)
    ):
        components = {key: values[key].get(user.id) for key in GRADE_COMPONENTS}
        factor = float(factors.get(user.id, 1.0))
        raw = weighted(components, weights)
        rows.append(
            GradeRow(
                user_id=user.id,
                login=user.login,
                name=user.display_name,
                student_number=user.student_number,
                email=user.email,
                team=team.name if team is not None else None,
                components=components,
                factor=factor,
                raw=None if raw is None else round(raw, 2),
            )
        )
    factored = [row.raw * row.factor for row in rows if row.raw is not None]
    shift = round(curve_shift(factored, settings.curve_target), 2)
    for row in rows:
        if row.raw is not None:
            row.grade = round(min(100.0, row.raw * row.factor + shift), 2)
    graded = [row.grade for row in rows if row.grade is not None]
    mean = round(sum(graded) / len(graded), 2) if graded else None
    return Gradebook(rows, weights, settings.curve_target, shift, mean)


# --------------------------------------------------------------------------- publishing


@unit_of_work
def publish(session: Session, game: Game) -> int:
    """Publish the current grades (replacing any published before); returns how many."""
    book = compute(session, game)
    session.execute(delete(PublishedGrade).where(PublishedGrade.game_id == game.id))
    now = utcnow()
    count = 0
    for row in book.rows:
        if row.grade is None:
            continue
        session.add(
            PublishedGrade(
                game_id=game.id,
                user_id=row.user_id,
                grade=row.grade,
                breakdown=row.breakdown(book.weights, book.shift),
                published_at=now,
            )
        )
        count += 1
    settings = _stored_settings(session, game)
    if settings is None:
        settings = GradeSettings(
            game_id=game.id, weights=dict(book.weights), curve_target=book.curve_target
        )
        session.add(settings)
    settings.published_at = now
    session.flush()
    return count


def published_grades(session: Session, game: Game) -> dict[int, float]:
    """User id -> the published grade (0..100): what LMS grade passback sends."""
    return {
        user_id: grade
        for user_id, grade in session.execute(
            select(PublishedGrade.user_id, PublishedGrade.grade).where(
                PublishedGrade.game_id == game.id
            )
        )
    }


def published_grade_of(session: Session, game: Game, user: User) -> PublishedGrade | None:
    return session.scalar(
        select(PublishedGrade).where(
            PublishedGrade.game_id == game.id, PublishedGrade.user_id == user.id
        )
    )


# --------------------------------------------------------------------------- export

EXPORT_COLUMNS = [
    "username",
    "email",
    "student_number",
    "full_name",
    "team",
    *(f"{key}_score" for key in GRADE_COMPONENTS),
    "peer_factor",
    "grade",
]
"""Documented in docs/gradebook.md: one row per student; ``grade`` is 0..100."""


def export_table(book: Gradebook) -> Table:
    rows = []
    for row in book.rows:
        values: dict[str, Any] = {
            "username": row.login,
            "email": row.email,
            "student_number": row.student_number,
            "full_name": row.name,
            "team": row.team,
            "peer_factor": row.factor,
            "grade": row.grade,
        }
        for key, value in row.components.items():
            values[f"{key}_score"] = value
        rows.append(values)
    return Table("grades", list(EXPORT_COLUMNS), rows)
