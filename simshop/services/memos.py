"""Memos: a team's strategy memo (before round 1) and reflection (after the game), scored
with the instructor's rubric either by the instructor or by anonymous peer review.

Rules:

- A memo is stored exactly as sent (no trimming, no normalising); at most
  :data:`MEMO_MAX_CHARS` characters; blank memos are refused.
- The strategy memo can be written while the first scored round is scheduled or open; the
  reflection once the game has ended. A memo that has been scored or assigned for review is
  locked.
- Peer review: each team that wrote a memo of the kind reviews ``reviews_per_team`` other
  teams' memos (a cyclic shift of a seeded shuffle: never its own, never the same memo
  twice). A team sees another team's memo only through an assignment, and never the author.
- A memo's score (0..100) is its points over the rubric's maximum: the instructor's scoring
  when there is one, else the mean of the submitted peer reviews.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from statistics import fmean

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simshop.models import (
    Game,
    GameStatus,
    Memo,
    MemoCriterion,
    MemoKind,
    MemoReview,
    Player,
    Round,
    RoundStatus,
    Team,
    User,
)
from simshop.models.user import utcnow
from simshop.services.export_tables import Table, to_csv
from simshop.services.teamwork import AssessmentError, settings_for
from simshop.services.uow import unit_of_work

MEMO_MAX_CHARS = 5000
CRITERION_LABEL_MAX = 120
CRITERION_POINTS_MAX = 100
CRITERIA_MAX = 10
STAFF_REVIEWER = "staff"


def _team_reviewer(team_id: int) -> str:
    return f"team:{team_id}"


# --------------------------------------------------------------------------- writing


def window_open(session: Session, game: Game, kind: MemoKind) -> bool:
    """Whether teams may write this kind of memo now."""
    if kind is MemoKind.REFLECTION:
        return game.status == GameStatus.ENDED
    if game.status == GameStatus.ENDED:
        return False
    first = session.scalar(
        select(Round)
        .where(Round.game_id == game.id, Round.is_practice.is_(False))
        .order_by(Round.number)
        .limit(1)
    )
    return first is not None and first.status in (RoundStatus.SCHEDULED, RoundStatus.OPEN)


def team_memos(session: Session, team: Team) -> dict[str, Memo]:
    memos = session.scalars(select(Memo).where(Memo.team_id == team.id))
    return {memo.kind: memo for memo in memos}


def is_locked(session: Session, memo: Memo) -> bool:
    """Scored or assigned for review: no more edits."""
    found = session.scalar(select(func.count()).where(MemoReview.memo_id == memo.id))
    return bool(found)


def save_memo(session: Session, game: Game, team: Team, user: User, kind: str, body: str) -> Memo:
    """Write or replace the team's memo of ``kind``, stored exactly as ``body``. Two members
    saving the team's first memo at once: the unique (team, kind) refuses the second insert,
    which is then retried as an update (the last save wins, nothing fails)."""
    try:
        return _save_memo(session, game, team, user, kind, body)
    except IntegrityError:
        return _save_memo(session, game, team, user, kind, body)


@unit_of_work
def _save_memo(session: Session, game: Game, team: Team, user: User, kind: str, body: str) -> Memo:
    try:
        memo_kind = MemoKind(kind)
    except ValueError:
        raise AssessmentError("memo_kind_unknown", "kind") from None
    if not body.strip():
        raise AssessmentError("memo_empty", "body")
    if len(body) > MEMO_MAX_CHARS:
        raise AssessmentError("memo_too_long", "body", max=MEMO_MAX_CHARS, length=len(body))
    if not window_open(session, game, memo_kind):
        raise AssessmentError(f"memo_closed_{memo_kind.value}", "body")
    memo = team_memos(session, team).get(memo_kind.value)
    if memo is not None and is_locked(session, memo):
        raise AssessmentError("memo_locked", "body")
    if memo is None:
        memo = Memo(game_id=game.id, team_id=team.id, kind=memo_kind.value, body=body)
        session.add(memo)
    memo.body = body
    memo.updated_by_id = user.id
    memo.updated_at = utcnow()
    session.flush()
    return memo


# --------------------------------------------------------------------------- rubric


def criteria(session: Session, game: Game) -> list[MemoCriterion]:
    return list(
        session.scalars(
            select(MemoCriterion).where(MemoCriterion.game_id == game.id).order_by(MemoCriterion.id)
        )
    )


def _reviews_submitted(session: Session, game: Game) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(MemoReview)
            .join(Memo, Memo.id == MemoReview.memo_id)
            .where(Memo.game_id == game.id, MemoReview.points.is_not(None))
        )
        or 0
    )


@unit_of_work
def add_criterion(session: Session, game: Game, label: str, max_points: int) -> MemoCriterion:
    label = " ".join(label.split())
    if not label or len(label) > CRITERION_LABEL_MAX:
        raise AssessmentError("criterion_label_length", "label", max=CRITERION_LABEL_MAX)
    if not 1 <= max_points <= CRITERION_POINTS_MAX:
        raise AssessmentError("criterion_points_range", "max_points", max=CRITERION_POINTS_MAX)
    if len(criteria(session, game)) >= CRITERIA_MAX:
        raise AssessmentError("criteria_too_many", "label", max=CRITERIA_MAX)
    if _reviews_submitted(session, game):
        raise AssessmentError("rubric_in_use", "label")
    criterion = MemoCriterion(game_id=game.id, label=label, max_points=max_points)
    session.add(criterion)
    session.flush()
    return criterion


@unit_of_work
def delete_criterion(session: Session, game: Game, criterion_id: int) -> None:
    criterion = session.get(MemoCriterion, criterion_id)
    if criterion is None or criterion.game_id != game.id:
        raise AssessmentError("criterion_unknown")
    if _reviews_submitted(session, game):
        raise AssessmentError("rubric_in_use")
    session.delete(criterion)


def _checked_points(session: Session, game: Game, points: dict[int, int]) -> dict[str, int]:
    rubric = criteria(session, game)
    if not rubric:
        raise AssessmentError("rubric_empty")
    checked: dict[str, int] = {}
    for criterion in rubric:
        value = points.get(criterion.id)
        if value is None:
            raise AssessmentError("points_missing", f"c{criterion.id}", criterion=criterion.label)
        if not 0 <= value <= criterion.max_points:
            raise AssessmentError(
                "points_range",
                f"c{criterion.id}",
                criterion=criterion.label,
                max=criterion.max_points,
            )
        checked[str(criterion.id)] = value
    return checked


# --------------------------------------------------------------------------- scoring


def game_memo(session: Session, game: Game, memo_id: int) -> Memo | None:
    memo = session.get(Memo, memo_id)
    return memo if memo is not None and memo.game_id == game.id else None


def memos_of_game(session: Session, game: Game) -> list[tuple[Memo, Team]]:
    rows = session.execute(
        select(Memo, Team)
        .join(Team, Team.id == Memo.team_id)
        .where(Memo.game_id == game.id)
        .order_by(Memo.kind, Team.name)
    )
    return [(memo, team) for memo, team in rows]


def score_memo(session: Session, game: Game, memo_id: int, points: dict[int, int]) -> MemoReview:
    """The instructor's scoring of a memo (replaces an earlier one; two staff scoring at
    once: the second is retried as a replacement)."""
    try:
        return _score_memo(session, game, memo_id, points)
    except IntegrityError:
        return _score_memo(session, game, memo_id, points)


@unit_of_work
def _score_memo(session: Session, game: Game, memo_id: int, points: dict[int, int]) -> MemoReview:
    memo = game_memo(session, game, memo_id)
    if memo is None:
        raise AssessmentError("memo_unknown")
    checked = _checked_points(session, game, points)
    review = session.scalar(
        select(MemoReview).where(
            MemoReview.memo_id == memo.id, MemoReview.reviewer_key == STAFF_REVIEWER
        )
    )
    if review is None:
        review = MemoReview(memo_id=memo.id, reviewer_key=STAFF_REVIEWER)
        session.add(review)
    review.points = checked
    review.submitted_at = utcnow()
    session.flush()
    return review


def _reviewable(session: Session, game: Game, kind: MemoKind) -> list[Memo]:
    return list(
        session.scalars(
            select(Memo).where(Memo.game_id == game.id, Memo.kind == kind.value).order_by(Memo.id)
        )
    )


def assign_peer_reviews(session: Session, game: Game, kind: str) -> int:
    """Assign each team that wrote a memo of ``kind`` the game's number of other teams'
    memos to review; returns the number of assignments. Refused when already assigned (also
    when another click assigned them at the same moment)."""
    try:
        return _assign_peer_reviews(session, game, kind)
    except IntegrityError:
        raise AssessmentError("reviews_already_assigned") from None


@unit_of_work
def _assign_peer_reviews(session: Session, game: Game, kind: str) -> int:
    try:
        memo_kind = MemoKind(kind)
    except ValueError:
        raise AssessmentError("memo_kind_unknown", "kind") from None
    if not criteria(session, game):
        raise AssessmentError("rubric_empty")
    per_team = settings_for(session, game).reviews_per_team
    memos = _reviewable(session, game, memo_kind)
    if len(memos) < per_team + 1:
        raise AssessmentError("not_enough_memos", count=len(memos), needed=per_team + 1)
    memo_ids = [m.id for m in memos]
    already = session.scalar(
        select(func.count()).where(
            MemoReview.memo_id.in_(memo_ids), MemoReview.reviewer_team_id.is_not(None)
        )
    )
    if already:
        raise AssessmentError("reviews_already_assigned")
    order = list(memos)
    random.Random(f"{game.seed}:{memo_kind.value}").shuffle(order)
    count = 0
    for position, reviewer_memo in enumerate(order):
        for shift in range(1, per_team + 1):
            target = order[(position + shift) % len(order)]
            session.add(
                MemoReview(
                    memo_id=target.id,
                    reviewer_team_id=reviewer_memo.team_id,
                    reviewer_key=_team_reviewer(reviewer_memo.team_id),
                )
            )
            count += 1
    return count


@dataclass(frozen=True)
class Assignment:
    """A memo a team reviews, shown under an anonymous label."""

    review: MemoReview
    memo: Memo
    label: str


def assignments_for(session: Session, team: Team) -> list[Assignment]:
    """The memos this team was assigned to review (no author shown: labels A, B, …)."""
    rows = session.execute(
        select(MemoReview, Memo)
        .join(Memo, Memo.id == MemoReview.memo_id)
        .where(MemoReview.reviewer_team_id == team.id)
        .order_by(Memo.kind, MemoReview.id)
    ).all()
    return [
        Assignment(review=review, memo=memo, label=chr(ord("A") + n))
        for n, (review, memo) in enumerate(rows)
    ]


@unit_of_work
def submit_peer_review(
    session: Session, game: Game, team: Team, review_id: int, points: dict[int, int]
) -> MemoReview:
    """The reviewing team's points for an assigned memo (may be revised)."""
    review = session.get(MemoReview, review_id)
    if review is None or review.reviewer_team_id != team.id:
        raise AssessmentError("review_not_assigned")
    review.points = _checked_points(session, game, points)
    review.submitted_at = utcnow()
    session.flush()
    return review


def staff_points(session: Session, memo_id: int) -> dict[str, int]:
    """The points the instructor gave the memo (criterion id as text -> points; {}: none)."""
    review = session.scalar(
        select(MemoReview).where(
            MemoReview.memo_id == memo_id, MemoReview.reviewer_key == STAFF_REVIEWER
        )
    )
    return dict(review.points or {}) if review is not None else {}


def memo_percent(points: dict[str, int] | None, rubric: list[MemoCriterion]) -> float | None:
    """Points over the rubric's maximum, 0..100 (None: not scored or no rubric)."""
    if points is None or not rubric:
        return None
    total = sum(c.max_points for c in rubric)
    return 100.0 * sum(points.get(str(c.id), 0) for c in rubric) / total


def memo_score(reviews: list[MemoReview], rubric: list[MemoCriterion]) -> float | None:
    """The instructor's score when there is one, else the mean of the peer reviews."""
    for review in reviews:
        if review.reviewer_key == STAFF_REVIEWER and review.points is not None:
            return memo_percent(review.points, rubric)
    peers = [memo_percent(r.points, rubric) for r in reviews if r.points is not None]
    scored = [p for p in peers if p is not None]
    return fmean(scored) if scored else None


def team_memo_scores(session: Session, game: Game) -> dict[int, dict[str, float | None]]:
    """team id -> memo kind -> score 0..100 (None: written, not scored yet)."""
    rubric = criteria(session, game)
    reviews: dict[int, list[MemoReview]] = {}
    for review in session.scalars(
        select(MemoReview).join(Memo, Memo.id == MemoReview.memo_id).where(Memo.game_id == game.id)
    ):
        reviews.setdefault(review.memo_id, []).append(review)
    scores: dict[int, dict[str, float | None]] = {}
    for memo in session.scalars(select(Memo).where(Memo.game_id == game.id)):
        scores.setdefault(memo.team_id, {})[memo.kind] = memo_score(
            reviews.get(memo.id, []), rubric
        )
    return scores


def memo_scores(session: Session, game: Game) -> dict[int, float | None]:
    """Each enrolled student's memo grade, 0..100 (user id -> score; None: nothing scored).

    A kind counts once any memo of that kind has a score in the game; then a team that wrote
    no memo of that kind gets 0 for it, and a written memo still waiting for its score is left
    out. The grade is the mean over the kinds that count. Students in no team get None.
    """
    by_team = team_memo_scores(session, game)
    kinds_in_use = {
        kind for team in by_team.values() for kind, score in team.items() if score is not None
    }
    grades: dict[int, float | None] = {}
    for player in session.scalars(select(Player).where(Player.game_id == game.id)):
        if player.team_id is None:
            grades[player.user_id] = None
            continue
        team = by_team.get(player.team_id, {})
        parts: list[float] = []
        for kind in sorted(kinds_in_use):
            if kind not in team:
                parts.append(0.0)
            elif team[kind] is not None:
                parts.append(team[kind])  # type: ignore[arg-type]
        grades[player.user_id] = round(fmean(parts), 2) if parts else None
    return grades


def memos_csv(session: Session, game: Game) -> bytes:
    """Every memo of the game with its score, as CSV (UTF-8 with BOM, neutralised cells)."""
    scores = team_memo_scores(session, game)
    rows = [
        {
            "team_id": team.id,
            "team_name": team.name,
            "kind": memo.kind,
            "score": scores.get(team.id, {}).get(memo.kind),
            "updated_at": memo.updated_at.isoformat(),
            "body": memo.body,
        }
        for memo, team in memos_of_game(session, game)
    ]
    return to_csv(
        Table("memos", ["team_id", "team_name", "kind", "score", "updated_at", "body"], rows)
    )
