"""The round lifecycle, stated once: states, actions, guards, labels and the current round.

::

    scheduled -open-> open -close-> closed -claim-> processing -publish-> published
                       |  \\          |  ^  \\                \\
                       |   hold       |  |   reopen -> open   fail -> failed -retry-> closed
                       |     \\        |  |                             \\
                       |      held <--'  '---- reprocess (latest published round)
                       '-- release: back to where it was held from
    anything not yet processed -cancel-> cancelled   (when the instructor ends the game)

:data:`TRANSITIONS` is the table; the guarded ``UPDATE``\\s in ``services/schedule.py`` and
``services/rounds.py`` take their from-states from it (:func:`sources`), the game page asks
:func:`allowed_actions` which buttons to show, and every label comes from
:data:`STATUS_LABELS`. Pure: no database session; :func:`allowed_actions` reads the round's
plain attributes and its game (``rnd.game.status``, ``rnd.game.rounds``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import case

from simshop.models.game import GameStatus, RoundStatus

SCHEDULED = RoundStatus.SCHEDULED.value
OPEN = RoundStatus.OPEN.value
CLOSED = RoundStatus.CLOSED.value
PROCESSING = RoundStatus.PROCESSING.value
PUBLISHED = RoundStatus.PUBLISHED.value
HELD = RoundStatus.HELD.value
FAILED = RoundStatus.FAILED.value
CANCELLED = RoundStatus.CANCELLED.value


R = TypeVar("R", bound=Any)


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def lease_expired(rnd: Any, now: datetime) -> bool:
    """A round left in 'processing' by a worker that died: its lease ran out."""
    until = _as_utc(getattr(rnd, "lease_until", None))
    return rnd.status == PROCESSING and (until is None or until < now)


def _previous_published(rnd: Any, now: datetime) -> bool:
    if rnd.number == 1:
        return True
    siblings = {r.number: r for r in rnd.game.rounds}
    prev = siblings.get(rnd.number - 1)
    return prev is not None and prev.status == PUBLISHED


def _latest_started(rnd: Any, now: datetime) -> bool:
    """No later round is being processed or published (so this one may be redone)."""
    return not any(
        r.number > rnd.number and r.status in (PROCESSING, PUBLISHED) for r in rnd.game.rounds
    )


def _orphaned_or_not_processing(rnd: Any, now: datetime) -> bool:
    return rnd.status != PROCESSING or lease_expired(rnd, now)


Guard = Callable[[Any, datetime], bool]


@dataclass(frozen=True)
class Transition:
    """``action`` moves a round from any of ``sources`` to ``target`` (None: the status does
    not change, or depends on the round, e.g. release). ``guard`` is checked on top of the
    source state; ``instructor`` actions are buttons on the game page and are refused once
    the game has ended; the others are the system's own (processing, ending the game)."""

    action: str
    sources: tuple[str, ...]
    target: str | None
    guard: Guard | None = None
    instructor: bool = True
    confirm: bool = False
    """Destructive or irreversible: the page asks for confirmation first."""


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("open", (SCHEDULED,), OPEN, _previous_published),
        Transition("close", (OPEN,), CLOSED, confirm=True),
        Transition("process", (OPEN, CLOSED, PROCESSING), PUBLISHED, _orphaned_or_not_processing),
        Transition("hold", (OPEN, CLOSED), HELD),
        Transition("release", (HELD,), None),
        Transition("reopen", (CLOSED, FAILED), OPEN),
        Transition("retry", (FAILED,), CLOSED),
        Transition("deadline", (SCHEDULED, OPEN, HELD), None),
        Transition("reprocess", (PUBLISHED,), CLOSED, _latest_started, confirm=True),
        # The system's own moves.
        Transition("claim", (CLOSED, PROCESSING), PROCESSING, instructor=False),
        Transition("publish", (PROCESSING,), PUBLISHED, instructor=False),
        Transition("fail", (PROCESSING,), FAILED, instructor=False),
        Transition("deadline_close", (OPEN,), CLOSED, instructor=False),
        Transition("cancel", (SCHEDULED, OPEN, CLOSED, HELD, FAILED), CANCELLED, instructor=False),
    )
}

INSTRUCTOR_ACTIONS = tuple(a for a, t in TRANSITIONS.items() if t.instructor)
CONFIRM_ACTIONS = frozenset(a for a, t in TRANSITIONS.items() if t.confirm) | {
    "end_game",
    "reopen_game",
}


def sources(action: str) -> tuple[str, ...]:
    """The states ``action`` may start from (what its guarded UPDATE checks)."""
    return TRANSITIONS[action].sources


def needs_running_game(action: str) -> bool:
    """Instructor actions are refused once the game has ended."""
    return TRANSITIONS[action].instructor


def allows(rnd: Any, action: str, *, now: datetime | None = None) -> bool:
    """Whether ``action`` may be taken on ``rnd`` now (source state, game, guard)."""
    transition = TRANSITIONS[action]
    now = now or datetime.now(UTC)
    if rnd.status not in transition.sources:
        return False
    if transition.instructor and rnd.game.status == GameStatus.ENDED.value:
        return False
    return transition.guard is None or transition.guard(rnd, now)


def allowed_actions(rnd: Any, *, now: datetime | None = None) -> list[str]:
    """The instructor actions the game page offers for ``rnd``, in table order."""
    return [a for a in INSTRUCTOR_ACTIONS if allows(rnd, a, now=now)]


# --------------------------------------------------------------------------- current round

CURRENT_ORDER = (OPEN, HELD, FAILED, CLOSED, PROCESSING)


def current_of(rounds: Sequence[R]) -> R | None:
    """The round students work on, from a game's rounds in number order: the open (else
    held, failed, closed, processing) one, else the next scheduled one, else the last one."""
    for status in CURRENT_ORDER:
        for rnd in rounds:
            if rnd.status == status:
                return rnd
    for rnd in rounds:
        if rnd.status == SCHEDULED:
            return rnd
    return rounds[-1] if rounds else None


def current_first(status: Any, number: Any) -> tuple[Any, Any]:
    """:func:`current_of` as an SQL ``ORDER BY`` over a round table's ``status`` and
    ``number`` columns: the first row is the current round (the same rule, for a query that
    reads the current round with other things in one round trip; the two are tested to
    agree)."""
    ranks = {s: i for i, s in enumerate((*CURRENT_ORDER, SCHEDULED))}
    rank = case(ranks, value=status, else_=len(ranks))
    # Within a rank the lowest number first; among the rest (published, cancelled) the last.
    return rank, case((status.in_(list(ranks)), number), else_=-number)


# --------------------------------------------------------------------------- labels

STATUS_LABELS = {
    SCHEDULED: _l("scheduled"),
    OPEN: _l("open"),
    CLOSED: _l("closed"),
    PROCESSING: _l("processing"),
    PUBLISHED: _l("published"),
    HELD: _l("held"),
    FAILED: _l("failed"),
    CANCELLED: _l("cancelled"),
    GameStatus.SETUP.value: _l("not started"),
    GameStatus.RUNNING.value: _l("running"),
    GameStatus.ENDED.value: _l("ended"),
}
"""Short labels of round and game states (badges)."""

STATUS_EXPLAINED = {
    SCHEDULED: _l("not open yet"),
    OPEN: _l("open for decisions"),
    CLOSED: _l("closed, waiting for results"),
    PROCESSING: _l("computing results"),
    PUBLISHED: _l("results published"),
    HELD: _l("on hold"),
    FAILED: _l("waiting for the instructor"),
    CANCELLED: _l("cancelled"),
}
"""What a state means to a class watching the projector."""

ACTION_LABELS = {
    "open": _l("Open"),
    "close": _l("Close"),
    "process": _l("Process now"),
    "hold": _l("Hold"),
    "release": _l("Release"),
    "reopen": _l("Reopen"),
    "retry": _l("Fix and retry"),
    "reprocess": _l("Process again"),
    "end_game": _l("End game"),
    "reopen_game": _l("Reopen game"),
}

ACTION_DONE = {
    "open": _l("Round opened."),
    "close": _l("Round closed."),
    "hold": _l("Round held."),
    "release": _l("Round released."),
    "reopen": _l("Round reopened."),
    "retry": _l("Round back to closed: process it again when ready."),
}

CONFIRM_TEXTS = {
    "close": _l("Teams can no longer change their decisions for this round."),
    "reprocess": _l(
        "The published results of this round are deleted and computed again from the saved "
        "decisions. Students see the new results."
    ),
    "end_game": _l(
        "Rounds not yet processed are cancelled and no decision is accepted any more. "
        "Students see their final results. You can reopen the game later, deliberately."
    ),
    "reopen_game": _l(
        "The game runs again: rounds cancelled when it ended are scheduled again and round "
        "actions come back. Students see the game running, not finished. Publishing its last "
        "round ends it again."
    ),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def status_explained(status: str) -> str:
    return str(STATUS_EXPLAINED.get(status, status))
