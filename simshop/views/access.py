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

from flask import Blueprint, abort, current_app
from flask_login import current_user, login_required

from simshop.extensions import db, login_manager
from simshop.models import Competition, Game, Player, Round, ScenarioDraft, Team
from simshop.services import competitions as competitions_service
from simshop.services import membership as membership_service
from simshop.services import round_state
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


def membership_for(game_id: int, need: Need) -> Membership:
    """The current user's membership of the game, if it meets ``need`` (else 403/404)."""
    require_role(need)
    found = membership_service.membership(db.session, game_id, current_user)
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
