"""A game's assessment settings (memo scoring mode, peer review count, peer factor range),
shared by :mod:`simshop.services.memos` and :mod:`simshop.services.peer`."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simshop.errors import CodedError
from simshop.models import AssessmentSettings, Game, MemoScoring
from simshop.services.uow import unit_of_work

FACTOR_MIN_RANGE = (0.5, 1.0)
FACTOR_MAX_RANGE = (1.0, 1.5)
REVIEWS_PER_TEAM_MAX = 5


class AssessmentError(CodedError):
    """A refused memo, rubric, review or peer evaluation operation."""

    area = "teamwork"


def _stored(session: Session, game: Game) -> AssessmentSettings | None:
    return session.scalar(select(AssessmentSettings).where(AssessmentSettings.game_id == game.id))


def settings_for(session: Session, game: Game) -> AssessmentSettings:
    """The game's settings; the defaults (instructor scoring, factor 0.8–1.1) until saved."""
    found = _stored(session, game)
    if found is not None:
        return found
    return AssessmentSettings(
        game_id=game.id,
        memo_scoring=MemoScoring.INSTRUCTOR.value,
        reviews_per_team=2,
        peer_factor_min=0.8,
        peer_factor_max=1.1,
    )


def save_settings(
    session: Session,
    game: Game,
    *,
    memo_scoring: str,
    reviews_per_team: int,
    peer_factor_min: float,
    peer_factor_max: float,
) -> AssessmentSettings:
    """Save the settings; each bad value is refused naming its field (two staff saving the
    first settings at once: the second is retried as an update)."""
    values = {
        "memo_scoring": memo_scoring,
        "reviews_per_team": reviews_per_team,
        "peer_factor_min": peer_factor_min,
        "peer_factor_max": peer_factor_max,
    }
    try:
        return _save_settings(session, game, **values)
    except IntegrityError:
        return _save_settings(session, game, **values)


@unit_of_work
def _save_settings(
    session: Session,
    game: Game,
    *,
    memo_scoring: str,
    reviews_per_team: int,
    peer_factor_min: float,
    peer_factor_max: float,
) -> AssessmentSettings:
    if memo_scoring not in {m.value for m in MemoScoring}:
        raise AssessmentError("memo_scoring_unknown", "memo_scoring")
    if not 1 <= reviews_per_team <= REVIEWS_PER_TEAM_MAX:
        raise AssessmentError(
            "reviews_per_team_range", "reviews_per_team", max=REVIEWS_PER_TEAM_MAX
        )
    low, high = FACTOR_MIN_RANGE
    if not (math.isfinite(peer_factor_min) and low <= peer_factor_min <= high):
        raise AssessmentError("factor_min_range", "peer_factor_min", low=low, high=high)
    low, high = FACTOR_MAX_RANGE
    if not (math.isfinite(peer_factor_max) and low <= peer_factor_max <= high):
        raise AssessmentError("factor_max_range", "peer_factor_max", low=low, high=high)
    settings = _stored(session, game)
    if settings is None:
        settings = AssessmentSettings(game_id=game.id)
        session.add(settings)
    settings.memo_scoring = memo_scoring
    settings.reviews_per_team = reviews_per_team
    settings.peer_factor_min = peer_factor_min
    settings.peer_factor_max = peer_factor_max
    return settings
