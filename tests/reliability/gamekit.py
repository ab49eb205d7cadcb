"""Builders shared by the games tests (services, views, reliability, browser) and the bench.

Plain functions over an explicit session, in the style of CTFd's ``gen_team``: each builds
what a test needs and nothing more.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from flask import g, session
from flask_login import login_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.db import db
from simshop.models import Game, Player, Round, Team, User
from simshop.security import password_hasher
from simshop.services import games as games_service
from simshop.services import teams as teams_service

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS_DIR = ROOT / "scenarios"
PASSWORD = "plum orchard seventeen"


def password_hash(password: str = PASSWORD) -> str:
    """One argon2 hash per password and parameters, reused for every generated user (hashing
    costs ~17 ms each with the production parameters): the current app's parameters (the
    tests' cheap ones in test apps), else the production defaults."""
    return _hash(password, password_hasher())


@functools.cache
def _hash(password: str, hasher: Any) -> str:
    return hasher.hash(password)


def make_user(session: Session, login: str, role: str = "student", name: str | None = None) -> User:
    user = User(
        login=login.lower(),
        display_name=name or login.title(),
        role=role,
        password_hash=password_hash(),
    )
    session.add(user)
    session.commit()
    return user


def make_game(session: Session, owner: User, **spec: Any) -> Game:
    values: dict[str, Any] = {
        "title": "Test game",
        "scenario_file": "tutorial.toml",
        "scored_rounds": 3,
        "practice_rounds": 0,
        "bot_count": 0,
        "seed": 20260101,
    }
    values.update(spec)
    return games_service.create_game(
        session, owner, games_service.GameSpec(**values), scenarios_dir=SCENARIOS_DIR
    )


def enrol(session: Session, game: Game, user: User, team_name: str | None = None) -> Player:
    """Join ``user`` to ``game``; with ``team_name``, into that team (created if needed)."""
    player = teams_service.join_game(session, user, game.join_code)
    if team_name is not None:
        team = session.query(Team).filter_by(game_id=game.id, name=team_name).one_or_none()
        if team is None:
            teams_service.create_team(session, player, team_name)
        else:
            teams_service.join_team(session, player, team.id)
    session.refresh(player)
    return player


def team_named(session: Session, game: Game, name: str) -> Team:
    return session.query(Team).filter_by(game_id=game.id, name=name).one()


def round_no(session: Session, game: Game, number: int) -> Round:
    return session.query(Round).filter_by(game_id=game.id, number=number).one()


def tutorial_decisions(price_us: float = 34.99, ad_cny: float = 5000.0, qty: int = 800) -> dict:
    """A valid first-round sheet for scenarios/tutorial.toml: enter the US, list earbuds,
    order and ship stock by air."""
    return {
        "enter_markets": ["US"],
        "offers": {
            "US": {
                "earbuds": {
                    "listed": True,
                    "price_local": price_us,
                    "ad_budget_cny": ad_cny,
                    "channel": "warehouse",
                }
            }
        },
        "factory_orders": {"earbuds": qty},
        "shipments": [{"product": "earbuds", "market": "US", "mode": "air", "quantity": qty}],
    }


CSRF_RE = __import__("re").compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def tutorial_form(price_us: float = 34.99, qty: int = 500) -> dict[str, str]:
    """The decision form fields (HTML names) of :func:`tutorial_decisions`."""
    return {
        "market.US": "y",
        "offers.US.earbuds.listed": "y",
        "offers.US.earbuds.price_local": str(price_us),
        "offers.US.earbuds.ad_budget_cny": "5000",
        "offers.US.earbuds.channel": "warehouse",
        "factory_orders.earbuds": str(qty),
        "ship.US.earbuds.air": str(qty),
    }


def signed_in(app: Any, logins: list[str]) -> list[tuple[str, str]]:
    """Each user's (``logins``, in order) session cookie, as if they had just logged in, and
    a CSRF token for it, made in this process with ``app``'s secret key (a server with the
    same key accepts them).

    For the storms, whose subject is saving, not logging in: 200 logins cost 200 argon2
    checks (about 17 ms of CPU each) and 200 page loads for the tokens. The login form has
    tests of its own (tests/views/test_auth_views.py, tests/browser/test_auth_flow.py)."""
    serializer = app.session_interface.get_signing_serializer(app)
    credentials = []
    with app.app_context():
        users = {u.login: u for u in db.session.scalars(select(User).where(User.login.in_(logins)))}
        for login in logins:
            user = users[login]
            with app.test_request_context("/"):
                g.pop("csrf_token", None)  # g outlives the request here (the app context)
                login_user(user)
                session.permanent = True  # as services' log-in does
                token = generate_csrf()
                credentials.append((serializer.dumps(dict(session)), token))
        db.session.remove()
    return credentials


def signed_in_http(app: Any, logins: list[str]) -> list[tuple[Any, str]]:
    """:func:`signed_in` as a ``requests`` session per user, sending its session cookie,
    with the CSRF token for its forms."""
    import requests

    name = app.config["SESSION_COOKIE_NAME"]
    out = []
    for cookie, token in signed_in(app, logins):
        http = requests.Session()
        http.headers["Cookie"] = f"{name}={cookie}"
        out.append((http, token))
    return out
