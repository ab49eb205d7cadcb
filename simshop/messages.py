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

# ------------------------------------------------------ teamwork (memos, peer evaluation)

TEAMWORK_MESSAGES = {
    "memo_kind_unknown": _l("Choose a strategy memo or a reflection."),
    "memo_empty": _l("Write the memo before saving it."),
    "memo_too_long": _l(
        "A memo may have at most %(max)s characters; this one has %(length)s. Shorten it and "
        "save again."
    ),
    "memo_closed_strategy": _l("The strategy memo can only be written before round 1 is closed."),
    "memo_closed_reflection": _l("The reflection can only be written once the game has ended."),
    "memo_locked": _l("This memo has been scored or sent for review and can no longer change."),
    "memo_unknown": _l("There is no such memo in this game."),
    "criterion_label_length": _l("Enter a criterion of 1 to %(max)s characters."),
    "criterion_points_range": _l("A criterion is worth 1 to %(max)s points."),
    "criteria_too_many": _l("A rubric has at most %(max)s criteria."),
    "criterion_unknown": _l("There is no such criterion in this rubric."),
    "rubric_in_use": _l("Memos have been scored with this rubric: it can no longer change."),
    "rubric_empty": _l("Add at least one rubric criterion first."),
    "points_missing": _l("Give points for “%(criterion)s”."),
    "points_range": _l("“%(criterion)s” takes 0 to %(max)s points."),
    "not_enough_memos": _l(
        "Peer review needs at least %(needed)s memos of this kind; there are %(count)s."
    ),
    "reviews_already_assigned": _l("Peer reviews of these memos are already assigned."),
    "review_not_assigned": _l("Your team was not asked to review this memo."),
    "memo_scoring_unknown": _l("Choose who scores the memos."),
    "reviews_per_team_range": _l("Each team reviews 1 to %(max)s memos."),
    "factor_min_range": _l("The lowest peer factor must be from %(low)s to %(high)s."),
    "factor_max_range": _l("The highest peer factor must be from %(low)s to %(high)s."),
    "after_round_range": _l("Choose a round from 1 to %(max)s."),
    "items_required": _l("Choose at least one item to rate."),
    "evaluation_exists": _l("There is already a peer evaluation after this round."),
    "evaluation_unknown": _l("There is no such peer evaluation in this game."),
    "evaluation_closed": _l(
        "This peer evaluation is not open: it opens once its round is published, until the "
        "instructor closes it."
    ),
    "no_teammates": _l("You have no teammates to rate."),
    "rating_range": _l("Rate every item from %(low)s to %(high)s."),
    "ratings_changed": _l("Your ratings were saved from another window. Reload and check them."),
}

# --------------------------------------------------------------------------- LTI

LTI_MESSAGES = {
    "url_invalid": _l("%(url)s is not an https address (http is accepted only on this computer)."),
    "field_required": _l("This value is required (at most 255 characters)."),
    "platform_exists": _l("This platform and client id are already registered."),
    "platform_unknown": _l("No learning platform with the issuer %(issuer)s is registered here."),
    "platform_ambiguous": _l(
        "Several registrations share the issuer %(issuer)s and the platform sent no client id."
    ),
    "login_param_missing": _l("The platform's login request has no “%(param)s”."),
    "deployment_unknown": _l(
        "The deployment %(deployment)s of this platform is not registered here."
    ),
    "launch_incomplete": _l("The launch did not include a signed token and a state."),
    "state_mismatch": _l(
        "This launch does not belong to this browser (its state does not match). Start again "
        "from your course."
    ),
    "state_unknown": _l("This launch was not started here. Start again from your course."),
    "state_used": _l(
        "This launch was already used (a replayed launch). Start again from your course."
    ),
    "state_expired": _l("This launch took too long and expired. Start again from your course."),
    "token_malformed": _l("The launch token is not a valid signed token."),
    "token_algorithm": _l("The launch token is signed with %(alg)s; only RS256 is accepted."),
    "token_kid_missing": _l("The launch token does not name its signing key."),
    "token_kid_unknown": _l("The platform publishes no key named %(kid)s."),
    "token_signature": _l(
        "The launch token's signature does not match the platform's keys: it was forged or altered."
    ),
    "token_expired": _l("The launch token has expired. Start again from your course."),
    "token_not_yet_valid": _l("The launch token was issued in the future; check the clocks."),
    "wrong_issuer": _l("The launch token comes from another platform than the one registered."),
    "wrong_audience": _l("The launch token was issued for another tool (wrong audience)."),
    "nonce_mismatch": _l("The launch token's nonce does not belong to this launch (a replay)."),
    "version_unsupported": _l("LTI version %(version)s is not supported; SimShop needs 1.3.0."),
    "message_type_unknown": _l("SimShop cannot handle LTI messages of type %(message_type)s."),
    "claim_missing": _l("The launch token lacks the required claim %(claim)s."),
    "jwks_unavailable": _l("The platform's keys could not be read from %(url)s."),
    "game_unknown": _l(
        "This course link names no SimShop game. Ask your instructor to link the game again."
    ),
    "not_staff": _l(
        "You are not an instructor of this game. Ask its owner to add you as an assistant "
        "with the login %(login)s."
    ),
    "account_disabled": _l("Your SimShop account is disabled. Ask your instructor."),
    "deep_link_instructors_only": _l("Only instructors can add a SimShop game to a course."),
    "deep_link_expired": _l("Start adding the game again from your course."),
    "service_unavailable": _l("The platform could not be reached at %(url)s."),
    "service_refused": _l("The platform refused the request to %(url)s (HTTP %(status)s)."),
    "service_bad_answer": _l("The platform's answer from %(url)s could not be understood."),
    "no_memberships_service": _l("The course did not offer its roster to SimShop."),
    "no_grade_column": _l("The course link has no grade column."),
    "grade_range": _l("A grade must be from 0 to 100."),
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
    "teamwork": TEAMWORK_MESSAGES,
    "lti": LTI_MESSAGES,
}


def error_message(exc: CodedError) -> str:
    """The translated text of a refusal, from its area's table."""
    return message_for(AREA_MESSAGES.get(exc.area, {}), exc.code, exc.params)
