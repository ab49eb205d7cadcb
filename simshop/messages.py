"""Every refusal's words: one table per area, one formatter.

Services raise :class:`simshop.errors.CodedError` subclasses that carry a ``code`` (and
``params``, and the form ``field`` at fault); the web and CLI layers turn them into text in
the user's language with :func:`error_message` (or :func:`message_for` on one table). The
decision sheet's issues come from the engine and are worded in ``forms/game.py``
(``DECISION_MESSAGES``), through the same formatter.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from simshop.errors import CodedError
from simshop.security import PasswordProblem

GENERIC_MESSAGE = _l("This value is not accepted.")

# --------------------------------------------------------------------------- game

GAME_MESSAGES = {
    "title_length": _l("Enter a title of at most %(max)s characters."),
    "rounds_range": _l("This scenario has %(max)s rounds: choose 1 to %(max)s."),
    "practice_range": _l("Choose 0 to %(max)s practice rounds."),
    "schedule_unknown": _l("Choose a schedule."),
    "deadline_required": _l("Enter the first deadline for a deadline schedule."),
    "deadline_past": _l("The deadline must be in the future."),
    "deadline_range": _l("The deadlines of this game would fall beyond the calendar."),
    "interval_too_short": _l("Leave at least 5 minutes between deadlines."),
    "timezone_unknown": _l("Choose a time zone from the list."),
    "team_size_range": _l("Team sizes must be 1 to %(max)s, smallest first."),
    "bot_count_range": _l("Choose 0 to %(max)s bot teams."),
    "bot_strategy_unknown": _l("Unknown bot strategy: %(strategy)s."),
    "weight_unknown": _l("Unknown scoring weight."),
    "weight_negative": _l("Weights cannot be negative."),
    "weight_range": _l("Enter a weight from 0 to %(max)s."),
    "weights_zero": _l("At least one scoring weight must be above 0."),
    "scenario_unknown": _l("Choose a scenario from the list."),
    "not_instructor": _l("Only instructors can create games."),
    "assistant_unknown": _l("No instructor has this login."),
    "assistant_already": _l("This instructor already runs this game."),
    "game_ended": _l("This game has ended."),
    "game_not_ended": _l("This game has not ended."),
    "join_code_unknown": _l("No game has this join code. Check it with your instructor."),
    "instructors_cannot_play": _l("Instructors cannot join games as players."),
    "team_name_length": _l("Enter a team name of at most %(max)s characters."),
    "team_name_taken": _l(
        "Another team in this game already has this name (names differing only in capitals "
        "or spaces count as the same)."
    ),
    "team_not_empty": _l("Only a team with no members and no results can be deleted."),
    "team_full": _l("This team is full (at most %(max)s members)."),
    "team_unknown": _l("There is no such team in this game."),
    "team_changed": _l("Your team changed meanwhile. Reload the page and try again."),
    "already_in_team": _l("You are already in a team."),
    "team_locked": _l("The game has started: ask your instructor to move you."),
    "player_unknown": _l("This student is not in this game."),
    "round_not_open": _l(
        "This round is closed: decisions can no longer be saved. Your last saved decisions count."
    ),
    "cannot_open": _l("This round cannot be opened now: the previous round is not published."),
    "cannot_close": _l("Only an open round can be closed."),
    "cannot_hold": _l("Only an open or closed round can be held."),
    "cannot_release": _l("This round is not held."),
    "cannot_reopen": _l("Only a closed or failed round can be reopened."),
    "cannot_retry": _l("Only a failed round can be retried."),
    "cannot_process": _l(
        "This round cannot be processed now: it is not open or closed, it is being processed, "
        "or the game has ended."
    ),
    "processing_failed": _l(
        "Processing failed: %(error)s. The round is marked failed: fix the cause (for example "
        "reopen the round so teams can correct their decisions), then choose Fix and retry."
    ),
    "cannot_set_deadline": _l("The deadline of this round can no longer be changed."),
    "cannot_reprocess": _l(
        "Only the latest published round can be processed again, before the next is processed."
    ),
    "lease_lost": _l("Another processor took this round over; its results count."),
    "not_processable": _l("This round is not closed, or it is being processed right now."),
}

ROSTER_MESSAGES = {
    "not_utf8": _l("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."),
    "empty_file": _l("The file is empty."),
    "bad_csv": _l("This line is not valid CSV (check the quotes)."),
    "missing_column": _l("The header has no such column."),
    "no_rows": _l("The file has a header but no students."),
    "too_many_rows": _l("At most %(max)s students per file."),
    "required": _l("This value is missing."),
    "nul_character": _l("This value contains a NUL character (U+0000); remove it."),
    "too_long": _l("At most %(max)s characters."),
    "student_number_invalid": _l(
        "“%(value)s” is not a valid student number (3–40 letters, digits, . _ -)."
    ),
    "repeated": _l("The same student number is on row %(first_row)s."),
    "not_a_student": _l("This login belongs to an instructor account."),
    "already_in_team": _l("This student is already in team “%(team)s”."),
    "bot_team": _l("“%(team)s” is a bot team."),
    "team_full": _l("Team “%(team)s” would have more than %(max)s members."),
}

# --------------------------------------------------------------------------- accounts

PASSWORD_MESSAGES = {
    PasswordProblem.TOO_SHORT: _l("Use at least 8 characters."),
    PasswordProblem.TOO_LONG: _l("Use at most 128 characters."),
    PasswordProblem.TOO_COMMON: _l(
        "This password is too common and easy to guess. Choose another one, "
        "for example a few unrelated words."
    ),
    PasswordProblem.CONTAINS_LOGIN: _l("Your password must not be your login or your name."),
}

LOGIN_MESSAGES = {
    "email": _l("Enter a valid email address, such as name@example.com."),
    "student_number": _l(
        "A student number has 3 to 40 letters, digits, dots, dashes or underscores."
    ),
    "length": _l("Enter your student number or email address."),
}


# --------------------------------------------------------------------------- competitions, data lab

COMPETITION_MESSAGES = {
    "not_instructor": _l("Only instructors can organise competitions."),
    "not_organiser": _l("Only the organiser can change this competition."),
    "title_length": _l("Give the competition a title of at most %(max)s characters."),
    "game_unknown": _l("Choose one of your own games."),
    "game_already": _l("“%(game)s” is already in this competition."),
    "scenario_mismatch": _l(
        "“%(game)s” plays a different scenario (SHA-256 %(sha)s…) from the games already in "
        "this competition (%(expected)s…). Every game in a competition must play exactly "
        "the same scenario file, so their results can be compared."
    ),
}


LAB_MESSAGES = {
    "round_not_published": _l("This round has no published results yet."),
    "team_not_in_round": _l("Your team did not play this round, so it cannot be replayed."),
}


def message_for(messages: dict[str, Any], code: str, params: dict[str, Any] | None = None) -> str:
    """The translated message for ``code`` with ``params`` filled in."""
    template = messages.get(code)
    if template is None:
        return str(GENERIC_MESSAGE)
    try:
        return str(template) % {k: _fmt(v) for k, v in (params or {}).items()}
    except (KeyError, TypeError, ValueError):
        return str(template).replace("%%", "%")


def _fmt(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return value


AREA_MESSAGES: dict[str, dict[Any, Any]] = {
    "game": GAME_MESSAGES,
    "roster": ROSTER_MESSAGES,
    "account": {**LOGIN_MESSAGES, **PASSWORD_MESSAGES},
    "competition": COMPETITION_MESSAGES,
    "lab": LAB_MESSAGES,
}


def error_message(exc: CodedError) -> str:
    """The translated text of a refusal, from its area's table."""
    return message_for(AREA_MESSAGES.get(exc.area, {}), exc.code, exc.params)
