"""Leaderboard, classroom projector, projector links and a game's results bundle.

Access (checked on the server for every route):

- leaderboard, projector page and its state endpoint: the game's staff and its players
  (students enrolled in it); anyone else logged in gets 404, anonymous users the login page;
- ``/projector/<token>``: anyone holding the game's secret projector link (no login), so a
  classroom PC can show the projector without an instructor logging in on it;
- projector link page and its POSTs: the game's staff only (students 403, other instructors
  404);
- results bundle: staff at any time, players once the game has ended (403 before), naming
  teams as the leaderboard does for that reader (rivals "Rival A"… when the game hides
  names); signed with the server's key, whose public half ``/.well-known/simshop-bundle-key``
  serves to anyone (no login).
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from simshop.extensions import db, limiter
from simshop.forms.game import ActionForm
from simshop.models import Game
from simshop.services import bundles as bundles_service
from simshop.services import leaderboard as leaderboard_service
from simshop.services import lifecycle, live
from simshop.services import projector as projector_service
from simshop.services.leaderboard import LRUCache
from simshop.views import polls
from simshop.views.access import Need, game_for, membership_for
from simshop.views.lab import rival_label

bp = Blueprint("leaderboard", __name__)

DEFAULT_POLL_SECONDS = 5
DEFAULT_PROJECTOR_ROWS = 20
_rows_cache = LRUCache(64)


def locale_code() -> str:
    return str(get_locale() or "en")


# --------------------------------------------------------------------------- leaderboard


def _rows_html(game: Game, board: leaderboard_service.Leaderboard, names: Any) -> str:
    """The table body, rendered once per (round, locale, names): 500 rows cost ~8 ms to
    render. ``names`` says whose view of the names it is ("all", or the viewer's team when
    the game hides rival names)."""
    assert board.round is not None
    key = (
        game.id,
        game.results_version,  # team renames
        board.round.id,
        board.round.published_at,
        locale_code(),
        len(board.rows),
        names,
    )
    return _rows_cache.get_or_build(
        key, lambda: render_template("leaderboard/_rows.html", board=board)
    )


def _page_etag(game: Game, access: str, own_team: int | None, number: int | None) -> str:
    """What the leaderboard page shows depends on: the game's published results (its results
    version) and settings, the round asked for, who reads it and in which language."""
    parts = (
        game.id,
        game.results_version,
        game.title,
        game.status,
        game.show_rival_names,
        game.timezone,
        sorted((game.scoring_weights or {}).items()),
        number,
        access,
        own_team,
        current_user.id,
        current_user.display_name,
        locale_code(),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


@bp.get("/games/<int:game_id>/leaderboard")
@login_required
def show(game_id: int):
    found = membership_for(game_id, Need.VIEWER)
    game, access = found.game, found.access
    number = request.args.get("round", type=int)
    own_team = None
    if access == "player":
        own_team = leaderboard_service.player_team_id(db.session, game, current_user)
    etag = _page_etag(game, access, own_team, number)
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-cache, private", "Vary": "Cookie"}
    if number is None and not request.query_string:
        _remember_reader(game, polls.LEADERBOARD, etag=etag)
    if request.if_none_match.contains(etag) and not session.get("_flashes"):
        return Response(status=304, headers=headers)  # nothing published since: no standings
    try:
        board = leaderboard_service.leaderboard(db.session, game, number)
    except LookupError:
        abort(404)
    rows = ""
    board = leaderboard_service.as_seen_by(
        db.session, game, board, own_team, staff=access == "staff", rival=rival_label
    )
    if board.round is not None:
        hidden = access != "staff" and not game.show_rival_names
        rows = _rows_html(game, board, ("team", own_team) if hidden else "all")
        if access == "player" and own_team is not None:
            marker = f'<tr data-team="{int(own_team)}">'
            rows = rows.replace(marker, marker[:-1] + ' class="is-self">', 1)
    page = render_template(
        "leaderboard/show.html",
        game=game,
        access=access,
        board=board,
        rows=Markup(rows),  # rendered by Jinja with autoescaping on; see _rows_html
        own_team=own_team,
    )
    return Response(page, mimetype="text/html", headers=headers)


def _remember_reader(game: Game, page: str, *, etag: str | None = None) -> None:
    """This session passed the login and membership checks for ``page`` of ``game``: let
    the poll middleware answer its unchanged polls for the recheck time (views/polls.py).
    The leaderboard's ETag is kept with the results version it was computed from, and
    only while that is the version the worker's cache holds."""
    version = None
    if etag is not None:
        version = live.results_version(db.session, game.id)
        if version != game.results_version:
            return
    polls.remember_reader(
        session.get("_user_id"),
        game.id,
        page,
        locale_code(),
        seconds=_recheck_seconds(),
        etag=etag,
        results_version=version,
    )


# --------------------------------------------------------------------------- projector


def _change_text(change: int | None) -> str:
    if change is None:  # first round of a phase, or a team new in this round
        return "–"
    if change > 0:
        return f"▲{change}"
    if change < 0:
        return f"▼{-change}"
    return "="


def _round_label(info: dict[str, Any] | None) -> str:
    if info is None:
        return ""
    if info["is_practice"]:
        return _("Practice round %(n)s", n=info["scenario_round"])
    return _("Round %(n)s", n=info["scenario_round"])


def projector_payload(game: Game, raw: dict[str, Any]) -> dict[str, Any]:
    """Add what the screen shows as text (in the viewer's language) to the raw state."""
    for row in raw["standings"]:
        row["change_text"] = _change_text(row["change"])
        row["score_text"] = f"{row['score']:.3f}"
        row["profit_text"] = "—" if row["profit"] is None else f"{row['profit']:,.0f}"
    rnd = raw["round"]
    if rnd is not None:
        rnd["label"] = _round_label(rnd)
        rnd["status_label"] = lifecycle.status_explained(rnd["status"])
    if raw["published"] is not None:
        raw["published"]["label"] = _(
            "Standings after %(round)s", round=_round_label(raw["published"])
        )
    raw["podium_label"] = _("Final podium") if raw["podium"] else ""
    more = raw["standings_total"] - len(raw["standings"])
    raw["more_text"] = _("… and %(n)s more teams", n=more) if more > 0 else ""
    subs = raw["submissions"]
    subs["label"] = _("%(saved)s of %(total)s teams have saved decisions", **subs)
    for item in raw["news"]:
        item["round_label"] = _("Round %(n)s", n=item["round"])
    return raw


def _max_rows() -> int:
    return int(current_app.config.get("PROJECTOR_MAX_ROWS", DEFAULT_PROJECTOR_ROWS))


def _snapshot(game: Game) -> projector_service.ProjectorSnapshot:
    return projector_service.projector_snapshot(
        db.session,
        game,
        locale=locale_code(),
        render=projector_payload,
        max_rows=_max_rows(),
        rival=rival_label,
        recheck_seconds=_recheck_seconds(),
    )


def _recheck_seconds() -> float:
    return float(current_app.config.get("PROJECTOR_RECHECK_SECONDS", 0))


def _validator_headers(etag: str) -> dict[str, str]:
    return {
        "ETag": f'"{etag}"',
        "Cache-Control": "no-cache, private",
        "Vary": "Cookie, Accept-Language",
    }


def _not_modified(game_id: int) -> Response | None:
    """304 when the poll's ETag is still current, decided without building the state."""
    if not request.if_none_match or _recheck_seconds() <= 0:
        return None
    etag = projector_service.fresh_etag(
        db.session, game_id, locale=locale_code(), max_rows=_max_rows()
    )
    if etag is None or not request.if_none_match.contains(etag):
        return None
    return Response(status=304, headers=_validator_headers(etag))


def _state_response(game: Game) -> Response:
    snap = _snapshot(game)
    headers = _validator_headers(snap.etag)
    if request.if_none_match.contains(snap.etag):
        return Response(status=304, headers=headers)
    return Response(snap.body, mimetype="application/json", headers=headers)


def _projector_page(game: Game, state_url: str, *, via_link: bool):
    poll = float(current_app.config.get("PROJECTOR_POLL_SECONDS", DEFAULT_POLL_SECONDS))
    snap = _snapshot(game)
    return render_template(
        "projector/projector.html",
        game=game,
        state=snap.payload,
        state_etag=f'"{snap.etag}"',
        state_url=state_url,
        poll_ms=int(poll * 1000),
        via_link=via_link,
    )


@bp.get("/games/<int:game_id>/projector")
@login_required
def projector(game_id: int):
    found = membership_for(game_id, Need.VIEWER)
    game, _access = found.game, found.access
    return _projector_page(
        game, url_for("leaderboard.projector_state", game_id=game.id), via_link=False
    )


@bp.get("/games/<int:game_id>/projector/state")
@login_required
def projector_state(game_id: int):
    found = membership_for(game_id, Need.VIEWER)
    response = _not_modified(found.game.id) or _state_response(found.game)
    if not request.query_string:
        _remember_reader(found.game, polls.PROJECTOR)
    return response


@limiter.request_filter
def _polls_are_not_rate_limited() -> bool:
    """No limit applies to the projector's polls; skipping the limiter's per-request work
    keeps the 304 path cheap."""
    return request.endpoint in POLL_ENDPOINTS


POLL_ENDPOINTS = frozenset({"leaderboard.projector_state", "leaderboard.projector_state_by_link"})


def _game_for_token(token: str) -> Game:
    game = projector_service.game_for_projector_token(db.session, token)
    if game is None:
        abort(404)
    return game


@bp.get("/projector/<token>")
def projector_by_link(token: str):
    game = _game_for_token(token)
    response = current_app.make_response(
        _projector_page(
            game, url_for("leaderboard.projector_state_by_link", token=token), via_link=True
        )
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # keep the token out of referrers
    return response


@bp.get("/projector/<token>/state")
def projector_state_by_link(token: str):
    game_id = projector_service.cached_game_id(token)
    if game_id is not None and (unchanged := _not_modified(game_id)) is not None:
        return unchanged
    return _state_response(_game_for_token(token))


@bp.get("/games/<int:game_id>/projector/link")
@login_required
def projector_link(game_id: int):
    game = game_for(game_id, Need.STAFF)
    link = projector_service.projector_link(db.session, game)
    url = (
        url_for("leaderboard.projector_by_link", token=link.token, _external=True) if link else None
    )
    return render_template("projector/link.html", game=game, link=link, url=url, form=ActionForm())


@bp.post("/games/<int:game_id>/projector/link")
@login_required
def rotate_projector_link(game_id: int):
    game = game_for(game_id, Need.STAFF)
    if not ActionForm().validate_on_submit():
        abort(400)
    projector_service.rotate_projector_link(db.session, game, current_user)
    flash(_("New projector link created. Any older link no longer works."), "success")
    return redirect(url_for("leaderboard.projector_link", game_id=game.id))


@bp.post("/games/<int:game_id>/projector/link/disable")
@login_required
def disable_projector_link(game_id: int):
    game = game_for(game_id, Need.STAFF)
    if not ActionForm().validate_on_submit():
        abort(400)
    projector_service.disable_projector_link(db.session, game)
    flash(_("Projector link switched off."), "success")
    return redirect(url_for("leaderboard.projector_link", game_id=game.id))


# --------------------------------------------------------------------------- bundle


@bp.get("/games/<int:game_id>/results-bundle.json")
@login_required
def bundle(game_id: int):
    found = membership_for(game_id, Need.VIEWER)
    game, access = found.game, found.access
    if not bundles_service.can_download_game_bundle(game, access):
        abort(403)
    own_team = None
    if access == "player":
        own_team = leaderboard_service.player_team_id(db.session, game, current_user)
    key = bundles_service.server_key(current_app.instance_path)
    body = bundles_service.dumps(
        bundles_service.game_bundle(
            db.session, game, key=key, staff=access == "staff", viewer_team_id=own_team
        )
    )
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="simshop-game-{game.id}-results.json"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/.well-known/simshop-bundle-key")
def bundle_key():
    """The public key results bundles are signed with (PEM), for ``verify --key``."""
    pem, fingerprint = bundles_service.server_public_key(current_app.instance_path)
    return Response(
        pem,
        mimetype="application/x-pem-file",
        headers={"X-Key-Fingerprint": fingerprint, "Cache-Control": "public, max-age=3600"},
    )
