"""One game setting, ``show_rival_names``, governs every page and file that names teams.

With the setting off, a student sees their own team by name and every rival as "Rival A",
"Rival B"… (the same letter on every page); the classroom projector, shown to the whole room,
names no team; staff always see every name. With the setting on, everyone sees names.
"""

from __future__ import annotations

import pytest

from simshop.db import db
from simshop.models import Game
from simshop.services import competitions as competitions_service
from simshop.services import decisions as decisions_service
from simshop.services import projector as projector_service
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import (
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)

pytestmark = pytest.mark.both_backends

NAMES = ("Alpha", "Bravo", "Charlie")


def world(app, show_rival_names: bool) -> dict:
    with app.app_context():
        s = db.session
        teacher = make_user(s, "teacher@example.edu", "instructor")
        game = make_game(s, teacher, show_rival_names=show_rival_names)
        users = [make_user(s, f"s00{i}") for i in range(1, len(NAMES) + 1)]
        for user, name in zip(users, NAMES, strict=True):
            enrol(s, game, user, name)
        first = round_no(s, game, 1)
        schedule_service.open_round(s, game, first)
        alpha = team_named(s, game, "Alpha")
        decisions_service.submit_decision(s, users[0], alpha, first, tutorial_decisions())
        schedule_service.close_round(s, first)
        rounds_service.process_round(s, first.id)
        schedule_service.open_round(s, game, round_no(s, game, 2))
        competition = competitions_service.create_competition(s, teacher, "Cup", is_public=True)
        competitions_service.add_game(s, competition, teacher, game.id)
        projector_service.rotate_projector_link(s, game, teacher)
        return {
            "game": game.id,
            "competition": competition.id,
            "token": projector_service.projector_link(s, db.session.get(Game, game.id)).token,
        }


def pages(client, ids) -> dict[str, str]:
    game = ids["game"]
    return {
        "leaderboard": client.get(f"/games/{game}/leaderboard").get_data(as_text=True),
        "research": client.get(f"/games/{game}/lab/research").get_data(as_text=True),
        "competition": client.get(f"/competitions/{ids['competition']}").get_data(as_text=True),
        "shares": client.get(f"/games/{game}/lab/export/shares.csv").get_data(as_text=True),
    }


def test_with_names_hidden_a_student_sees_only_their_own_team_everywhere(app, client, auth):
    ids = world(app, show_rival_names=False)
    auth.login("s001")
    for page, html in pages(client, ids).items():
        assert "Bravo" not in html and "Charlie" not in html, page
    board = pages(client, ids)["leaderboard"]
    assert "Alpha" in board and "Rival A" in board and "Rival B" in board
    state = client.get(f"/games/{ids['game']}/projector/state").get_json()
    shown = [row["name"] for row in state["standings"]]
    shown += [chip["name"] for chip in state["submissions"]["teams"]]
    assert shown and not set(shown) & set(NAMES)


def test_with_names_hidden_the_projector_link_names_no_team(app, client):
    ids = world(app, show_rival_names=False)
    html = client.get(f"/projector/{ids['token']}").get_data(as_text=True)
    state = client.get(f"/projector/{ids['token']}/state").get_data(as_text=True)
    for name in NAMES:
        assert name not in html and name not in state


def test_the_rival_letters_agree_between_the_leaderboard_and_research(app, client, auth):
    ids = world(app, show_rival_names=False)
    auth.login("s003")  # Charlie: Alpha is Rival A, Bravo is Rival B
    seen = pages(client, ids)
    assert "Charlie" in seen["leaderboard"]
    for page in ("leaderboard", "research"):
        assert "Rival A" in seen[page] and "Alpha" not in seen[page], page


def test_staff_always_see_every_name(app, client, auth):
    ids = world(app, show_rival_names=False)
    auth.login("teacher@example.edu")
    board = client.get(f"/games/{ids['game']}/leaderboard").get_data(as_text=True)
    assert all(name in board for name in NAMES)


def test_with_names_shown_students_see_rivals_names(app, client, auth):
    ids = world(app, show_rival_names=True)
    auth.login("s001")
    seen = pages(client, ids)
    for page in ("leaderboard", "competition"):
        assert all(name in seen[page] for name in NAMES), page
