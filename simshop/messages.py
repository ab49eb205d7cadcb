"""Every refusal's words: one table per area, one formatter.

Services raise :class:`simshop.errors.CodedError` subclasses that carry a ``code`` (and
``params``, and the form ``field`` at fault); the web and CLI layers turn them into text in
the user's language with :func:`error_message` (or :func:`message_for` on one table). The
decision sheet's issues come from the engine and are worded here too
(``DECISION_MESSAGES``), through the same formatter.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from simshop.errors import CodedError
from simshop.numbers import money, percent
from simshop.security import PasswordProblem

GENERIC_MESSAGE = _l("This value is not accepted.")

# --------------------------------------------------------------------------- decisions

# The engine's decision-sheet issues (:class:`simshop.engine.decisions.DecisionIssue` codes).
DECISION_MESSAGES = {
    "missing": _l("This value is missing."),
    "unknown_field": _l("This field is not part of the decision sheet."),
    "invalid_choice": _l("Choose one of the options."),
    "invalid_type": _l("Enter a number."),
    "not_a_number": _l("Enter a number."),
    "not_a_whole_number": _l("Enter a whole number of units."),
    "unknown_market": _l("%(market)s is not a market in this scenario."),
    "unknown_product": _l("%(product)s is not a product in this scenario."),
    "already_entered": _l("Your team is already in %(market)s."),
    "not_entered": _l("Enter the market %(market)s first (tick “Enter this round”)."),
    "price_not_positive": _l("A listed product needs a price above 0."),
    "price_out_of_range": _l("Enter a price between %(min)s and %(max)s %(currency)s."),
    "quantity_too_large": _l("At most %(max)s units."),
    "amount_too_large": _l("At most %(max)s."),
    "negative_amount": _l("The amount cannot be negative."),
    "no_parcel_lane": _l("%(market)s has no direct parcel lane."),
    "negative_quantity": _l("A quantity cannot be negative."),
    "quantity_not_positive": _l("Ship at least 1 unit."),
    "no_lane": _l("%(market)s has no %(mode)s lane."),
    "channel_closed": _l("The %(mode)s lane to %(market)s is closed this round."),
    "exceeds_stock": _l(
        "Only %(available)s units are in China (stock plus this round's order); "
        "the shipments ask for %(requested)s."
    ),
    "credit_exceeded": _l("Only %(available)s of credit is left."),
    "repay_exceeds_debt": _l("Your team owes only %(debt)s."),
    "insufficient_cash": _l(
        "These decisions spend %(spend)s up front but your team has %(available)s "
        "(cash plus borrowing)."
    ),
    "below_min_price": _l("The price is below the market's minimum price."),
    "unknown_requirement": _l("%(requirement)s is not a compliance requirement in this scenario."),
    "duplicate_certificate": _l("%(requirement)s is chosen twice."),
    "already_certified": _l("Your team already holds %(requirement)s or is obtaining it."),
    "below_moq": _l(
        "This supplier's minimum order quantity (MOQ) is %(min_units)s units: order 0 or at "
        "least %(min_units)s."
    ),
    "unknown_supplier": _l("%(supplier)s is not a supplier of %(product)s."),
    "no_suppliers": _l("%(product)s has no suppliers to choose from."),
    "research_unavailable": _l("This scenario sells no market studies."),
    "unknown_category": _l("No product has the category %(category)s."),
    "budget_too_small": _l("A study costs at least %(min)s."),
    "duplicate_study": _l("A study of %(category)s in %(market)s is already ordered."),
    # listings and search campaigns (issue 15)
    "text_too_long": _l("At most %(max)s characters (this has %(length)s)."),
    "invalid_text": _l("Remove the control characters from this text."),
    "too_many_bullets": _l("At most %(max)s bullet points."),
    "images_out_of_range": _l("Enter 0 to %(max)s images."),
    "amount_too_large_local": _l("At most %(max)s %(currency)s."),
    "unknown_search_term": _l("“%(term)s” is not a search term of this product."),
}


DECISION_YUAN_PARAMS = {
    "amount_too_large": ("max",),
    "budget_too_small": ("min",),
    "credit_exceeded": ("available",),
    "repay_exceeds_debt": ("debt",),
    "insufficient_cash": ("spend", "available"),
}
"""The decision issues' parameters that are amounts of yuan: shown with the locale's sign
(:func:`decision_message`)."""


def decision_message(code: str, params: dict[str, Any] | None = None) -> str:
    """The translated text of one decision-sheet issue, its yuan amounts as money."""
    shown = dict(params or {})
    for key in DECISION_YUAN_PARAMS.get(code, ()):
        if isinstance(shown.get(key), int | float):
            shown[key] = money(shown[key], "CNY")
    return message_for(DECISION_MESSAGES, code, shown)


# The reasons of a listing's score (:data:`simshop.engine.listing.REASON_CODES`).
LISTING_REASON_MESSAGES = {
    "default_listing": _l("You wrote no listing: shoppers see the product's name only."),
    "title_missing_term": _l("The title lacks the search term “%(term)s”."),
    "term_in_bullets_only": _l(
        "“%(term)s” is only in the bullet points; in the title it counts more."
    ),
    "term_in_description_only": _l(
        "“%(term)s” is only in the description; in the title or bullet points it counts more."
    ),
    "term_in_english_only": _l(
        "“%(term)s” matches in English only: %(penalty)s less relevance in this market."
    ),
    "bullets_used": _l("%(used)s of %(of)s bullet points used."),
    "images": _l("%(have)s images; shoppers expect %(expected)s."),
    "no_description": _l("No description."),
    "enhanced_content": _l("No enhanced content."),
    "title_too_long": _l(
        "The title has %(length)s characters: over %(max)s reads as keyword stuffing."
    ),
    "repeated_words": _l("Words repeated in the title (keyword stuffing): %(words)s."),
    "unrelated_words": _l("Words of other products in the title (keyword stuffing): %(words)s."),
}


def listing_reason(reason: dict[str, Any]) -> Markup:
    """One reason of a listing's score in the page's language (word lists joined, the
    English penalty as a percentage). Search terms and title words stay as the shopper types
    them, so they are marked ``translate="no"``; everything else is escaped."""
    params = dict(reason.get("params") or {})
    if isinstance(params.get("words"), list):
        params["words"] = Markup(", ").join(_as_typed(w) for w in params["words"])
    if "term" in params:
        params["term"] = _as_typed(params["term"])
    if isinstance(params.get("penalty"), int | float):
        params["penalty"] = percent(params["penalty"], 0)
    template = Markup.escape(str(LISTING_REASON_MESSAGES.get(str(reason.get("code")), "")))
    if not template:
        return Markup.escape(str(GENERIC_MESSAGE))
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return template


def _as_typed(text: Any) -> Markup:
    return Markup('<span translate="no">{}</span>').format(text)


# --------------------------------------------------------------------------- scenarios

# A scenario file's problems (:class:`simshop.engine.scenario_errors.ScenarioProblem` codes).
PROBLEM_MESSAGES: dict[str, Any] = {
    "missing": _l("This is required."),
    "extra_forbidden": _l("Unknown key “%(key)s”."),
    "greater_than": _l("Must be greater than %(gt)s."),
    "greater_than_equal": _l("Must be at least %(ge)s."),
    "less_than": _l("Must be less than %(lt)s."),
    "less_than_equal": _l("Must be at most %(le)s."),
    "too_short": _l("Give at least %(min_length)s."),
    "too_long": _l("Give at most %(max_length)s."),
    "int_type": _l("Enter a whole number."),
    "int_from_float": _l("Enter a whole number."),
    "float_type": _l("Enter a number."),
    "finite_number": _l("Enter a finite number (not inf or nan)."),
    "nul_character": _l("Text cannot contain a NUL character (U+0000)."),
    "string_type": _l("Enter text."),
    "bool_type": _l("Enter true or false."),
    "bad_identifier": _l(
        "Use lowercase letters, digits, “-” or “_”, starting with a letter (at most 48 characters)."
    ),
    "bad_currency": _l("A currency is three capital letters, e.g. USD."),
    "bad_market_code": _l("Choose one of the market codes: %(expected)s."),
    "literal_error": _l("Choose one of: %(expected)s."),
    "lane_repeated": _l("Each lane mode may appear once in a market; repeated: %(modes)s."),
    "unknown_strategy": _l("Unknown bot strategy %(unknown)s; choose from %(known)s."),
    "no_scoring_weight": _l("At least one scoring weight must be positive."),
    "announce_after_effect": _l(
        "The news cannot come after the round the event takes effect (round %(round)s)."
    ),
    "one_of_required": _l("Give exactly one of “%(first)s” or “%(second)s”."),
    "one_of_exclusive": _l("Give only one of “%(first)s” or “%(second)s”, not both."),
    "days_out_of_order": _l(
        "The last day (%(last_day)s) cannot be before the first day (%(first_day)s)."
    ),
    "rule_missing": _l("Give at least one rule: a minimum price, a closed lane or a listing cap."),
    "fee_change_missing": _l("Give a fulfilment change, a storage multiplier or both."),
    "refund_rounds_out_of_order": _l(
        "The last round of paid duty (%(paid_to_round)s) cannot be before the first "
        "(%(paid_from_round)s)."
    ),
    "refund_before_payment": _l(
        "A refund in round %(round)s can only return duty paid before it: the last round of "
        "paid duty must be earlier."
    ),
    "more_categories_than_items": _l(
        "A parcel cannot hold more tariff categories (%(categories)s) than items (%(items)s)."
    ),
    "duplicate_market": _l("Market %(market)s is already in this scenario."),
    "search_shares_over_one": _l("The search terms' shares add up to %(total)s, more than 1."),
    "duplicate_search_term": _l("The search term id “%(term)s” is used twice."),
    "attention_length": _l(
        "Give one attention weight per slot: %(slots)s (%(sponsored)s sponsored + "
        "%(organic)s organic), not %(given)s."
    ),
    "currency_fx_mismatch": _l("%(currency)s is already priced at %(fx)s CN¥ in another market."),
    "duplicate_product": _l("The product id “%(product)s” is already used."),
    "duplicate_tariff": _l(
        "There is already a tariff for market %(market)s and category “%(category)s”."
    ),
    "unknown_market": _l("“%(market)s” is not a market in this scenario (markets: %(known)s)."),
    "unknown_category": _l(
        "No product has the category “%(category)s” (categories: %(known)s, or * for all)."
    ),
    "unnamed_category": _l(
        "The category “%(category)s” has no name in [categories] (named: %(known)s)."
    ),
    "duplicate_event": _l("The event id “%(event)s” is already used."),
    "unknown_currency": _l("No market in this scenario uses %(currency)s (currencies: %(known)s)."),
    "lane_not_in_market": _l("Market %(market)s has no “%(mode)s” lane."),
    "event_after_last_round": _l("Round %(round)s is after the last round (%(rounds)s)."),
    "day_past_round": _l("Day %(day)s is past the round's %(days_per_round)s days."),
    "too_many_practice_rounds": _l(
        "%(practice_rounds)s practice rounds leave no scored round (rounds: %(rounds)s)."
    ),
    "id_taken": _l("You already have a scenario with the id “%(id)s”; choose another id."),
    "too_large": _l("The file is %(size)s bytes; a scenario may be at most %(max)s bytes."),
    "not_utf8": _l("The file is not UTF-8 text; save it as UTF-8 and upload it again."),
    "toml_syntax": _l("TOML syntax error: %(detail)s"),
    "empty_file": _l("The file has no settings."),
    "too_deep": _l("Tables and arrays are nested more than %(max)s levels deep."),
    "unknown_event_kind": _l("Unknown event kind “%(kind)s”; the kinds are: %(known)s."),
    "missing_event_kind": _l("An event needs a “kind”, one of: %(known)s."),
    "requirement_not_announced": _l(
        "A new requirement must be announced before round %(round)s, the round it starts."
    ),
    "duplicate_requirement": _l("The requirement id “%(requirement)s” is already used."),
    "requirement_after_last_round": _l("Round %(round)s is after the last round (%(rounds)s)."),
    "sweep_without_requirement": _l(
        "No requirement of market %(market)s covers these categories: the sweep could find nothing."
    ),
    "range_reversed": _l("The low end of the range (%(low)s) is above its high end (%(high)s)."),
    "range_not_positive": _l("A demand range must start above 0."),
    "demand_range_too_high": _l("A demand weight is at most 10."),
    "range_above_one": _l("Quality is at most 1."),
    "defect_rate_too_high": _l("A defect rate is at most 0.5."),
    "tiers_not_ascending": _l("List the price tiers by rising minimum units; got %(mins)s."),
    "duplicate_supplier": _l("The supplier id “%(supplier)s” is already used for this product."),
}


# --------------------------------------------------------------------------- game

GAME_MESSAGES = {
    "value_invalid": GENERIC_MESSAGE,
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
    "url_too_long": _l("An address can have at most %(max)s characters."),
    "origin_invalid": _l(
        "%(origin)s is not an origin such as https://lms.example.edu (https, no path; http is "
        "accepted only on this computer)."
    ),
    "handoff_used": _l(
        "This link to continue in a new window was already used or has expired. Start again "
        "from your course."
    ),
    "state_cookie_blocked": _l(
        "Your browser blocked SimShop's cookies inside the course page, so the launch cannot be "
        "checked. Ask your instructor to set the SimShop link to open in a new window, or allow "
        "cookies for this site."
    ),
    "platform_disabled": _l(
        "The learning platform %(name)s is disabled here. Ask the SimShop administrator."
    ),
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
    "no_grade_column": _l(
        "The course link has no grade column, and the course did not offer SimShop its "
        "line-items service to create one."
    ),
    "grade_range": _l("A grade must be from 0 to 100."),
}


ASSESSMENT_MESSAGES = {
    "title_length": _l("Enter a title of at most %(max)s characters."),
    "round_unknown": _l("Choose a round of this game."),
    "questions_count": _l("Choose 1 to %(max)s questions."),
    "question_unknown": _l("These questions are not in the bank: %(ids)s."),
    "window_order": _l("The quiz must close after it opens."),
    "quiz_not_open": _l("This quiz is not open yet."),
    "quiz_closed": _l("This quiz has closed: answers are no longer accepted."),
    "waiting_for_results": _l(
        "This quiz asks about your team's results: it opens once the round is published."
    ),
    "answers_invalid": _l("Some answers cannot be used: see the questions marked below."),
    "forecast_closed": _l("Forecasts can be saved only while the round is open."),
    "market_unknown": _l("This game has no such market."),
    "units_range": _l("Enter a whole number from 0 to %(max)s."),
    "profit_range": _l("This profit is out of range."),
    "forecast_empty": _l("Enter at least one forecast."),
    "component_unknown": _l("Unknown grade component."),
    "weight_range": _l("Enter a weight from 0 to %(max)s."),
    "weights_zero": _l("At least one weight must be above 0."),
    "curve_range": _l("Enter a target mean from 0 to 100."),
}


ANSWER_MESSAGES = {
    "answer_required": _l("Answer this question."),
    "choice_unknown": _l("Choose one of the options."),
    "not_a_number": _l("Enter a number."),
}


# --------------------------------------------------------------------------- plan

PLAN_MESSAGES = {
    "no_stock": _l(
        "%(product)s in %(market)s is listed but has no stock there and none lands this round."
    ),
    "stock_short": _l(
        "%(product)s in %(market)s: %(stock)s units this round, but you sold %(sold)s last "
        "round. The stock may not last the round."
    ),
    "lands_after_round": _l(
        "A shipment of %(product)s to %(market)s lands in round %(round)s, day %(day)s: "
        "after this round ends."
    ),
    "below_break_even": _l(
        "%(product)s in %(market)s is priced below its break-even price of %(break_even)s."
    ),
    "insufficient_cash": _l(
        "This plan spends %(short)s more than your cash plus new borrowing: it cannot be saved."
    ),
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
    "assessment": ASSESSMENT_MESSAGES,
    "teamwork": TEAMWORK_MESSAGES,
    "lti": LTI_MESSAGES,
}


def error_message(exc: CodedError) -> str:
    """The translated text of a refusal, from its area's table."""
    return message_for(AREA_MESSAGES.get(exc.area, {}), exc.code, exc.params)
