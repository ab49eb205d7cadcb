"""One game setting, ``show_rival_names``, governs every page and file that names teams.

With the setting off, a student sees their own team by name and every rival as "Rival A",
"Rival B"… (the same letter on every page); the classroom projector, shown to the whole room,
names no team; staff always see every name. With the setting on, everyone sees names.
Results bundles follow the same rule (the anonymised document is what the server signs, so a
player's bundle still verifies).
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from simshop.db import db
from simshop.engine.verify import parse_bundle, verify_bundle
from simshop.models import Game
from simshop.services import competitions as competitions_service
from simshop.services import decisions as decisions_service
from simshop.services import games as games_service
from simshop.services import projector as projector_service
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from simshop.views.lab import TEAM_TABLES
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
        "research.csv": client.get(f"/games/{game}/lab/export/research.csv").get_data(as_text=True),
        "projector": client.get(f"/games/{game}/projector/state").get_data(as_text=True),
    }


def end_game(app, ids) -> None:
    """Players may download bundles once the game has ended."""
    with app.app_context():
        games_service.end_game(db.session, db.session.get(Game, ids["game"]))


def bundle_urls(ids) -> dict[str, str]:
    return {
        "game bundle": f"/games/{ids['game']}/results-bundle.json",
        "competition bundle": f"/competitions/{ids['competition']}/results-bundle.json",
    }


def bundles(client, ids) -> dict[str, bytes]:
    """Both results bundles (200 expected: the game has ended)."""
    out = {}
    for name, url in bundle_urls(ids).items():
        response = client.get(url)
        assert response.status_code == 200, name
        out[name] = response.data
    return out


def team_names(data: bytes) -> list[str]:
    """Every team name a bundle holds: its team lists and the competition ranking."""
    bundle = json.loads(data)
    names = [t["name"] for section in bundle["games"] for t in section["teams"]]
    names += [row["team_name"] for row in bundle.get("competition", {}).get("ranking", [])]
    return names


def verifies(runner, tmp_path, name: str, data: bytes) -> None:
    """The bundle verifies both with the CLI (exit 0) and with the engine module, signed."""
    path = tmp_path / f"{name.replace(' ', '-')}.json"
    path.write_bytes(data)
    result = runner.invoke(args=["verify", str(path)])
    assert result.exit_code == 0, (name, result.output)
    report = verify_bundle(parse_bundle(data))
    assert report.ok and report.signed, name


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


def test_with_names_hidden_a_players_bundles_name_rivals_as_their_pages_do(
    app, client, auth, runner, tmp_path
):
    ids = world(app, show_rival_names=False)
    end_game(app, ids)
    auth.login("s002")  # Bravo: Alpha is Rival A, Charlie is Rival B
    for name, data in bundles(client, ids).items():
        assert b"Alpha" not in data and b"Charlie" not in data, name
        assert "Bravo" in team_names(data) and "Rival A" in team_names(data), name
        verifies(runner, tmp_path, name, data)
    game_teams = json.loads(bundles(client, ids)["game bundle"])["games"][0]["teams"]
    assert [t["name"] for t in game_teams] == ["Rival A", "Bravo", "Rival B"]


def test_with_names_hidden_staff_bundles_have_every_real_name(app, client, auth, runner, tmp_path):
    ids = world(app, show_rival_names=False)
    end_game(app, ids)
    auth.login("teacher@example.edu")
    for name, data in bundles(client, ids).items():
        assert set(NAMES) <= set(team_names(data)), name
        assert not any(n.startswith("Rival ") for n in team_names(data)), name
        verifies(runner, tmp_path, name, data)


def test_with_names_shown_a_players_bundles_have_every_real_name(
    app, client, auth, runner, tmp_path
):
    ids = world(app, show_rival_names=True)
    end_game(app, ids)
    auth.login("s001")
    for name, data in bundles(client, ids).items():
        assert set(NAMES) <= set(team_names(data)), name
        verifies(runner, tmp_path, name, data)


def player_urls(ids, team_ids: list[int]) -> list[str]:
    """Every GET a player can reach that could name a team (pages, files, JSON)."""
    game = f"/games/{ids['game']}"
    urls = [
        "/dashboard",
        "/games",
        game,
        f"{game}/decisions",
        f"{game}/results/1",
        f"{game}/leaderboard",
        f"{game}/projector",
        f"{game}/projector/state",
        f"{game}/lab",
        f"{game}/lab/dashboard",
        f"{game}/lab/research",
        f"{game}/lab/debrief",
        f"{game}/lab/debrief/1",
        f"{game}/lab/debrief/1.csv",
        f"{game}/lab/whatif/1",
        f"{game}/lab/export.xlsx",
        "/competitions",
        f"/competitions/{ids['competition']}",
    ]
    urls += [f"{game}/lab/export/{table}.csv" for table in TEAM_TABLES]
    urls += [f"{game}/lab/teams/{team}/dashboard" for team in team_ids]
    return urls


def readable(data: bytes) -> str:
    """A response as text; an xlsx workbook's XML parts unzipped."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return "".join(book.read(n).decode("utf-8") for n in book.namelist())
    return data.decode("utf-8")


def test_with_names_hidden_no_page_or_file_a_player_reaches_names_a_rival(app, client, auth):
    ids = world(app, show_rival_names=False)
    with app.app_context():
        team_ids = [team_named(db.session, db.session.get(Game, ids["game"]), n).id for n in NAMES]
    auth.login("s001")
    for phase in ("running", "ended"):
        urls = player_urls(ids, team_ids)
        if phase == "ended":
            end_game(app, ids)
            urls += list(bundle_urls(ids).values())
        for url in urls:
            response = client.get(url)
            assert response.status_code < 500, url
            text = readable(response.data)
            assert "Bravo" not in text and "Charlie" not in text, (phase, url)


def test_with_names_hidden_an_anonymous_visitors_competition_bundle_names_no_team(
    app, runner, tmp_path
):
    ids = world(app, show_rival_names=False)
    end_game(app, ids)
    response = app.test_client().get(bundle_urls(ids)["competition bundle"])
    assert response.status_code == 200
    assert not set(team_names(response.data)) & set(NAMES)
    assert all(name.startswith("Rival ") for name in team_names(response.data))
    verifies(runner, tmp_path, "competition bundle", response.data)
