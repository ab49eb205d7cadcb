"""Quizzes: the instructor attaches a set of bank questions to a round with a time window;
each student answers alone, once; scoring is automatic.

- The window is enforced here (on the server): answers are refused before ``opens_at`` and
  from ``closes_at`` on.
- A quiz with parametric questions is answerable only once its round is published: the
  questions are computed from the student's own team's result of that round
  (:func:`simshop.services.quiz_bank.evaluate`). A parametric question that has no value
  for the team (no revenue, nothing sold) is left out of that student's quiz.
- Nothing a student is shown before submitting carries a correct value
  (:class:`AskedQuestion` has none). A submission is final; submitting again returns the
  first one unchanged (also under a race: the unique constraint decides).
- Scoring: single choice right or wrong; multiple choice all-or-nothing (the chosen set
  equals the answer set); numeric within ``tolerance``; parametric within
  ``max(tolerance, tolerance_pct % of |true value|)``. Score = 100 × earned ÷ possible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simshop.engine.conditions import conditions_for_round
from simshop.engine.logistics import landed_cost_cny
from simshop.errors import CodedError
from simshop.models import Game, Player, Round, RoundResult, RoundStatus, User
from simshop.models.assessment import Quiz, QuizSubmission
from simshop.models.game import as_utc
from simshop.models.user import utcnow
from simshop.services.games import game_scenario
from simshop.services.quiz_bank import SHIPPED, Bank, Question, evaluate
from simshop.services.uow import transaction, unit_of_work

MAX_QUESTIONS = 40
MAX_TITLE = 120
SLACK = 1e-9
"""Added to every tolerance so that 57.37 vs 57.38 with a tolerance of 0.01 is not lost to
binary floating point."""


class QuizError(CodedError):
    area = "assessment"


class AnswerErrors(QuizError):
    """Answers that cannot be scored: ``problems`` maps question id -> code."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("answers_invalid")
        self.problems = problems


# --------------------------------------------------------------------------- instructor


@dataclass(frozen=True)
class QuizSpec:
    round_id: int
    title: str
    question_ids: list[str]
    opens_at: datetime
    closes_at: datetime


@unit_of_work
def create_quiz(session: Session, game: Game, user: User, spec: QuizSpec, bank: Bank) -> Quiz:
    title = spec.title.strip()
    if not 1 <= len(title) <= MAX_TITLE:
        raise QuizError("title_length", field="title", max=MAX_TITLE)
    rnd = session.get(Round, spec.round_id)
    if rnd is None or rnd.game_id != game.id:
        raise QuizError("round_unknown", field="round_id")
    ids = list(dict.fromkeys(spec.question_ids))
    if not 1 <= len(ids) <= MAX_QUESTIONS:
        raise QuizError("questions_count", field="question_ids", max=MAX_QUESTIONS)
    unknown = [qid for qid in ids if qid not in bank.questions]
    if unknown:
        raise QuizError("question_unknown", field="question_ids", ids=unknown)
    opens, closes = as_utc(spec.opens_at), as_utc(spec.closes_at)
    assert opens is not None and closes is not None
    if closes <= opens:
        raise QuizError("window_order", field="closes_at")
    quiz = Quiz(
        game_id=game.id,
        round_id=rnd.id,
        title=title,
        question_ids=ids,
        opens_at=opens,
        closes_at=closes,
        created_by_id=user.id,
    )
    session.add(quiz)
    session.flush()
    return quiz


@unit_of_work
def delete_quiz(session: Session, quiz: Quiz) -> None:
    session.delete(quiz)


def quizzes_of(session: Session, game: Game) -> list[Quiz]:
    return list(
        session.scalars(
            select(Quiz).where(Quiz.game_id == game.id).order_by(Quiz.opens_at, Quiz.id)
        )
    )


def quiz_of(session: Session, game: Game, quiz_id: int) -> Quiz | None:
    quiz = session.get(Quiz, quiz_id)
    return quiz if quiz is not None and quiz.game_id == game.id else None


def submissions_of(session: Session, quiz: Quiz) -> list[QuizSubmission]:
    return list(
        session.scalars(
            select(QuizSubmission)
            .where(QuizSubmission.quiz_id == quiz.id)
            .order_by(QuizSubmission.id)
        )
    )


def question_stats(submissions: list[QuizSubmission]) -> dict[str, tuple[int, int]]:
    """Question id -> (students who got it right, students who were asked it)."""
    stats: dict[str, tuple[int, int]] = {}
    for sub in submissions:
        for qid, mark in sub.marks.items():
            right, asked = stats.get(qid, (0, 0))
            stats[qid] = (right + (1 if mark["earned"] else 0), asked + 1)
    return stats


# --------------------------------------------------------------------------- the window


def window(quiz: Quiz, now: datetime | None = None) -> str:
    """``upcoming``, ``open`` or ``closed`` at ``now``."""
    now = now or utcnow()
    opens, closes = as_utc(quiz.opens_at), as_utc(quiz.closes_at)
    assert opens is not None and closes is not None
    if now < opens:
        return "upcoming"
    return "open" if now < closes else "closed"


def is_parametric(quiz: Quiz, bank: Bank) -> bool:
    return any(
        bank.questions[qid].kind == "parametric"
        for qid in quiz.question_ids
        if qid in bank.questions
    )


def waiting_for_results(quiz: Quiz, bank: Bank) -> bool:
    """A quiz on the team's own numbers cannot be answered before its round is published."""
    return is_parametric(quiz, bank) and quiz.round.status != RoundStatus.PUBLISHED.value


# --------------------------------------------------------------------------- the student


@dataclass(frozen=True)
class AskedQuestion:
    """A question as one student is asked it: no correct value in here."""

    question: Question
    market: str | None = None
    product: str | None = None


def _team_result(session: Session, quiz: Quiz, team_id: int | None) -> dict[str, Any] | None:
    if team_id is None:
        return None
    row = session.scalar(
        select(RoundResult).where(
            RoundResult.round_id == quiz.round_id, RoundResult.team_id == team_id
        )
    )
    if row is None:
        return None
    return {**row.result, SHIPPED: shipped_landed(quiz.round, row)}


def shipped_landed(rnd: Round, row: RoundResult) -> dict[str, dict[str, dict[str, float]]]:
    """Market -> product -> units the team shipped in the round and their landed cost
    (unit cost + freight + duty per :func:`landed_cost_cny`, in the round's conditions);
    shipments the engine reduced (too little stock in China) count what left."""
    scenario = game_scenario(rnd.game)
    conditions = conditions_for_round(scenario, rnd.scenario_round)
    reduced = {
        (m["market"], m["product"], m["mode"]): int(m["shipped"])
        for m in row.result.get("messages", [])
        if m.get("kind") == "shipment_reduced"
    }
    out: dict[str, dict[str, dict[str, float]]] = {}
    for ship in row.decisions_used.get("shipments", []):
        key = (ship["market"], ship["product"], ship["mode"])
        units = reduced.get(key, int(ship["quantity"]))
        market = conditions.markets.get(ship["market"])
        if units <= 0 or market is None or market.lane(ship["mode"]) is None:
            continue
        cost = landed_cost_cny(scenario.product(ship["product"]), market, ship["mode"])
        cell = out.setdefault(ship["market"], {}).setdefault(
            ship["product"], {"units": 0.0, "cost_cny": 0.0}
        )
        cell["units"] += units
        cell["cost_cny"] += units * cost
    return out


def _evaluated(session: Session, quiz: Quiz, team_id: int | None, bank: Bank):
    """(question, evaluation or None) for every question of the quiz the bank still has;
    parametric questions without a value for this team are left out."""
    result: dict[str, Any] | None = None
    loaded = False
    for qid in quiz.question_ids:
        question = bank.questions.get(qid)
        if question is None:
            continue
        if question.kind != "parametric":
            yield question, None
            continue
        if not loaded:
            result, loaded = _team_result(session, quiz, team_id), True
        found = evaluate(question, result)
        if found.value is not None:
            yield question, found


def questions_for(session: Session, quiz: Quiz, player: Player, bank: Bank) -> list[AskedQuestion]:
    """The questions this student answers (parametric ones with their parameters only)."""
    return [
        AskedQuestion(q, found.market if found else None, found.product if found else None)
        for q, found in _evaluated(session, quiz, player.team_id, bank)
    ]


def submission_of(session: Session, quiz: Quiz, user: User) -> QuizSubmission | None:
    return session.scalar(
        select(QuizSubmission).where(
            QuizSubmission.quiz_id == quiz.id, QuizSubmission.user_id == user.id
        )
    )


def _check_answer(question: Question, answer: Any) -> str | None:
    """The problem code of an answer of the wrong shape (None: usable)."""
    if answer is None or answer == [] or answer == "":
        return "answer_required"
    if question.kind == "single":
        if not isinstance(answer, int) or not 0 <= answer < len(question.choices):
            return "choice_unknown"
    elif question.kind == "multiple":
        if not isinstance(answer, list) or any(
            not isinstance(i, int) or not 0 <= i < len(question.choices) for i in answer
        ):
            return "choice_unknown"
    elif (
        isinstance(answer, bool) or not isinstance(answer, int | float) or not math.isfinite(answer)
    ):
        return "not_a_number"
    return None


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def mark(question: Question, answer: Any, correct: Any) -> bool:
    """Whether ``answer`` earns the question's points, ``correct`` being the true value."""
    if question.kind == "single":
        return bool(answer == correct)
    if question.kind == "multiple":
        return set(answer) == set(correct)
    tolerance = question.tolerance or 0.0
    if question.kind == "parametric":
        tolerance = max(tolerance, (question.tolerance_pct or 0.0) / 100.0 * abs(correct))
    return abs(float(answer) - float(correct)) <= tolerance + SLACK


def submit(
    session: Session,
    quiz: Quiz,
    player: Player,
    user: User,
    answers: dict[str, Any],
    bank: Bank,
    now: datetime | None = None,
) -> QuizSubmission:
    """Score and store the student's answers (final). A second call returns the first
    submission unchanged. Refusals: ``quiz_not_open``, ``quiz_closed``,
    ``waiting_for_results``, or :class:`AnswerErrors` naming each question at fault
    (nothing is written)."""
    try:
        with transaction(session):
            existing = submission_of(session, quiz, user)
            if existing is not None:
                return existing
            state = window(quiz, now)
            if state != "open":
                raise QuizError("quiz_not_open" if state == "upcoming" else "quiz_closed")
            if waiting_for_results(quiz, bank):
                raise QuizError("waiting_for_results")
            submission = _scored(session, quiz, player, user, answers, bank)
            session.add(submission)
            session.flush()
            return submission
    except IntegrityError:
        # Another request of the same student got there first: theirs is the final one.
        found = submission_of(session, quiz, user)
        if found is None:
            raise
        return found


def _scored(session, quiz, player, user, answers, bank) -> QuizSubmission:
    problems, marks, kept = {}, {}, {}
    earned = possible = 0.0
    for question, found in _evaluated(session, quiz, player.team_id, bank):
        answer = answers.get(question.id)
        problem = _check_answer(question, answer)
        if problem is not None:
            problems[question.id] = problem
            continue
        correct = found.value if found is not None else question.answer
        right = mark(question, answer, correct)
        kept[question.id] = answer
        marks[question.id] = {
            "correct": correct,
            "earned": question.points if right else 0,
            "points": question.points,
            "market": found.market if found else None,
            "product": found.product if found else None,
        }
        possible += question.points
        earned += question.points if right else 0
    if problems:
        raise AnswerErrors(problems)
    return QuizSubmission(
        quiz_id=quiz.id,
        user_id=user.id,
        team_id=player.team_id,
        answers=kept,
        marks=marks,
        earned=earned,
        possible=possible,
        score=round(100.0 * earned / possible, 2) if possible else None,
    )


# --------------------------------------------------------------------------- for the gradebook


def quiz_scores(
    session: Session, game: Game, now: datetime | None = None
) -> dict[int, float | None]:
    """Player user id -> mean quiz score (0..100) over the game's quizzes that have closed
    or that the student submitted; a closed quiz not submitted counts 0. None: no quiz
    counted yet."""
    now = now or utcnow()
    quizzes = quizzes_of(session, game)
    players = session.scalars(select(Player.user_id).where(Player.game_id == game.id)).all()
    subs = {
        (s.quiz_id, s.user_id): s
        for s in session.scalars(
            select(QuizSubmission).where(QuizSubmission.quiz_id.in_([q.id for q in quizzes]))
        )
    }
    scores: dict[int, float | None] = {}
    for user_id in players:
        counted = []
        for quiz in quizzes:
            sub = subs.get((quiz.id, user_id))
            if sub is not None and sub.score is not None:
                counted.append(sub.score)
            elif sub is None and window(quiz, now) == "closed":
                counted.append(0.0)
        scores[user_id] = round(sum(counted) / len(counted), 2) if counted else None
    return scores
