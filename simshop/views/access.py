"""Who may load which game, team or round: one module for every blueprint.

Every route that touches a game loads it through :func:`game_for` with a named need, and
its rounds and teams through :func:`round_of` and :func:`team_of`. One rule for the answer:

- anonymous visitors: the login page (``login_required`` on the route or blueprint);
- a role that can never have the need (a student on a staff page, anyone but an
  administrator on an admin page): **403**, as on every instructor page;
- the right role but not this game (another instructor's game, a game the student is not
  enrolled in, a team that is not theirs, a round or team of another game): **404**, so
  ids do not tell whether a game exists.

The same rule for competitions (:func:`organised_competition`, :func:`viewable_competition`)
and scenarios (:func:`own_draft`, :func:`shipped_scenario`). The answer to "is this user
staff of this game" is :func:`simshop.services.membership.membership`.
"""

from __future__ import annotations

from enum import StrEnum

from flask import Blueprint, abort, current_app, g, request
from flask_login import current_user, login_required

from simshop.extensions import db, login_manager
from simshop.models import Competition, Game, Player, Round, ScenarioDraft, Team, User
from simshop.services import accounts, round_state
from simshop.services import competitions as competitions_service
from simshop.services import membership as membership_service
from simshop.services import scenarios as scenarios_service
from simshop.services.membership import Membership


class Need(StrEnum):
    INSTRUCTOR = "instructor"
    """Any instructor (pages that belong to no game yet: new game, competitions)."""
    VIEWER = "viewer"
    """Staff of the game or a student enrolled in it (leaderboard, projector)."""
    PLAYER = "player"
    """A student enrolled in the game, in a team or not yet."""
    MEMBER = "member"
    """A student in one of the game's teams (their own team's pages)."""
    STAFF = "staff"
    """An instructor of the game: its owner or an assistant."""
    OWNER = "owner"
    """The instructor who created the game."""
    ADMIN = "admin"
    """A site administrator."""


_INSTRUCTOR_NEEDS = (Need.INSTRUCTOR, Need.STAFF, Need.OWNER)
_STUDENT_NEEDS = (Need.PLAYER, Need.MEMBER)


def require_role(need: Need) -> None:
    """403 when the signed-in user's role can never meet ``need``."""
    if need in _INSTRUCTOR_NEEDS and not current_user.is_instructor:
        abort(403)
    if need is Need.ADMIN and not current_user.is_admin:
        abort(403)


_PREFETCHED = "simshop_prefetched_membership"
_CURRENT_ROUND = "simshop_prefetched_current_round"
_NOT_PREFETCHED = object()


def load_session_user(user_token: str) -> User | None:
    """Flask-Login's user loader: the session's user (None when the session is no longer
    valid, :func:`simshop.services.accounts.load_user_for_session`).

    On a game's pages (a route with a ``game_id``) the same query also reads how the user
    belongs to that game and the game's current round
    (:func:`simshop.services.membership.user_with_membership`), kept for this request's
    :func:`membership_for` and :func:`current_round`: two round trips to the database fewer
    on every game page, a student's saves included."""
    game_id = (request.view_args or {}).get("game_id")
    if type(game_id) is not int:
        return accounts.load_user_for_session(db.session, user_token)
    parts = accounts.parse_session_token(user_token)
    if parts is None:
        return None
    visit = membership_service.user_with_membership(db.session, parts[0], game_id)
    if visit is None or not accounts.session_still_valid(visit.user, parts[1]):
        return None
    setattr(g, _PREFETCHED, (visit.user.id, game_id, visit.membership))
    if visit.membership is not None:
        setattr(g, _CURRENT_ROUND, (game_id, visit.current_round))
    return visit.user


def _prefetched_membership(game_id: int) -> Membership | None | object:
    """The membership the user loader read for this game in this request, once (a second
    call reads it again: the request may have changed it since)."""
    saved = g.pop(_PREFETCHED, None)
    if saved is None:
        return _NOT_PREFETCHED
    user_id, for_game, member = saved
    if for_game != game_id or user_id != current_user.id:
        return _NOT_PREFETCHED
    return member


def current_round(game: Game) -> Round | None:
    """The game's current round (:func:`simshop.services.round_state.current_round`): the
    one the user loader read with the user in this request, once, unless
    :func:`forget_current_round` was called since; else read now."""
    saved = g.pop(_CURRENT_ROUND, None)
    if saved is not None and saved[0] == game.id:
        return saved[1]
    return round_state.current_round(db.session, game)


def forget_current_round() -> None:
    """The request changed rounds (closed an overdue one): :func:`current_round` reads
    again."""
    g.pop(_CURRENT_ROUND, None)


def membership_for(game_id: int, need: Need) -> Membership:
    """The current user's membership of the game, if it meets ``need`` (else 403/404)."""
    require_role(need)
    found = _prefetched_membership(game_id)
    if found is _NOT_PREFETCHED:
        found = membership_service.membership(db.session, game_id, current_user)
    assert found is None or isinstance(found, Membership)
    if need is Need.ADMIN:
        game = db.session.get(Game, game_id)
        if game is None:
            abort(404)
        return found or Membership(game)
    if found is None:
        abort(404)
    if need in _INSTRUCTOR_NEEDS and not found.is_staff:
        abort(404)
    if need is Need.OWNER and not found.is_owner:
        abort(403)  # an assistant knows the game exists
    if need in _STUDENT_NEEDS and found.player is None:
        abort(404)
    if need is Need.MEMBER and (found.player is None or found.player.team_id is None):
        abort(404)
    return found


def game_for(game_id: int, need: Need) -> Game:
    """The game, if the current user meets ``need`` in it (else 403/404)."""
    return membership_for(game_id, need).game


def enrolment(game_id: int) -> tuple[Game, Player]:
    """The game and the current student's enrolment in it (404 when not enrolled)."""
    found = membership_for(game_id, Need.PLAYER)
    assert found.player is not None
    return found.game, found.player


def round_of(game: Game, round_id: int) -> Round:
    """One of the game's rounds (404 for another game's round or no such round)."""
    rnd = round_state.round_of_game(db.session, game, round_id)
    if rnd is None:
        abort(404)
    return rnd


def team_of(game: Game, team_id: int, *, bots: bool = True) -> Team:
    """One of the game's teams (404 for another game's team, or a bot when ``bots`` is
    False)."""
    team = db.session.get(Team, team_id)
    if team is None or team.game_id != game.id or (team.is_bot and not bots):
        abort(404)
    return team


def organised_competition(competition_id: int) -> Competition:
    """A competition the current instructor organises (students 403, anyone else 404)."""
    require_role(Need.INSTRUCTOR)
    competition = competitions_service.organised_competition(
        db.session, competition_id, current_user
    )
    if competition is None:
        abort(404)
    return competition


def viewable_competition(competition_id: int) -> Competition:
    """A competition the current visitor may see: a public one for anyone; a private one
    for its organiser and its games' staff and players (anonymous visitors: the login
    page; anyone else 404)."""
    user = current_user if current_user.is_authenticated else None
    competition = competitions_service.viewable_competition(db.session, competition_id, user)
    if competition is None:
        if user is None and db.session.get(Competition, competition_id) is not None:
            # A private competition: its players and staff must log in to see it.
            abort(login_manager.unauthorized())
        abort(404)
    return competition


def own_draft(draft_id: int) -> ScenarioDraft:
    """One of the current instructor's scenario drafts (any draft for an administrator;
    404 otherwise). The role check is :func:`instructors_only` on the blueprint."""
    draft = scenarios_service.draft_for(db.session, draft_id, current_user)
    if draft is None:
        abort(404)
    return draft


def shipped_scenario(name: str) -> scenarios_service.ShippedScenario:
    """A shipped (read-only) scenario of the library by file name (404 when unknown)."""
    shipped = scenarios_service.shipped_scenario(current_app.config["SCENARIOS_DIR"], name)
    if shipped is None:
        abort(404)
    return shipped


def instructors_only(bp: Blueprint) -> None:
    """Every route of ``bp`` needs a logged-in instructor (anonymous: the login page)."""

    @bp.before_request
    @login_required
    def _require_instructor() -> None:
        require_role(Need.INSTRUCTOR)
