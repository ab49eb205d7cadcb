"""Every route in ``app.url_map`` against every kind of visitor (OWASP ASVS 8.2.1, 8.2.2).

POLICY lists each endpoint's rule. The sweep FAILS when a route exists that POLICY does not
cover: whoever adds a route adds its line here.

- public: anyone
- login: any logged-in user
- instructor: logged-in instructors (students get 403)
- staff: instructors of *that* game (students 403, other instructors 403/404)
- player: students enrolled in *that* game, and only their own team's objects (403/404)
- owner: the instructor who owns *that* scenario (students 403, other instructors 404)
"""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from simshop.db import db
from simshop.services import competitions as competitions_service
from simshop.services import rounds as rounds_service
from simshop.services import scenarios as scenarios_service
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import (
    PASSWORD,
    SCENARIOS_DIR,
    csrf_from,
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
)

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

POLICY = {
    "static": "public",
    "main.index": "public",
    "main.set_language": "public",
    "auth.login": "public",
    "auth.register": "public",
    "main.dashboard": "login",
    "auth.logout": "login",
    "auth.change_password": "login",
    "student.games": "login",
    "student.join": "login",
    "student.home": "player",
    "student.create_team": "player",
    "student.join_team": "player",
    "student.leave_team": "player",
    "student.decisions": "player",
    "student.results": "player",
    "instructor.games": "instructor",
    "instructor.new_game": "instructor",
    "instructor.game": "staff",
    "instructor.live": "staff",
    "instructor.people": "staff",
    "instructor.roster": "staff",
    "instructor.credentials": "staff",
    "instructor.move_player": "staff",
    "instructor.rename_team": "staff",
    "instructor.delete_team": "staff",
    "instructor.add_staff": "staff",
    "instructor.round_action": "staff",
    "instructor.process": "staff",
    "instructor.reprocess": "staff",
    "instructor.deadline": "staff",
    "instructor.end": "staff",
    "instructor.round_results": "staff",
    # data lab (views/lab.py): team pages of the signed-in student's own team; staff pages
    "lab.index": "player",
    "lab.research": "player",
    "lab.dashboard": "player",
    "lab.whatif_round": "player",
    "lab.export_csv": "player",
    "lab.export_xlsx": "player",
    "lab.team_dashboard": "staff",
    "lab.game_export_csv": "staff",
    "lab.game_export_xlsx": "staff",
    "lab.debrief_round": "staff",
    "lab.debrief_csv": "staff",
    "scenarios.index": "instructor",
    "scenarios.upload": "instructor",
    "scenarios.shipped": "instructor",
    "scenarios.shipped_download": "instructor",
    "scenarios.shipped_copy": "instructor",
    "scenarios.shipped_preview": "instructor",
    "scenarios.show": "owner",
    "scenarios.download": "owner",
    "scenarios.copy": "owner",
    "scenarios.delete": "owner",
    "scenarios.preview": "owner",
    "scenarios.settings": "owner",
    "scenarios.section": "owner",
    "scenarios.add_item": "owner",
    "scenarios.edit_item": "owner",
    "scenarios.delete_item": "owner",
    # leaderboard, projector, competitions (views/leaderboard.py, views/competitions.py).
    # "player" here: the game's players *and* staff. Bundles are "staff": players get them
    # only once the game has ended (403 before). The secret projector link needs no login.
    "leaderboard.show": "player",
    "leaderboard.projector": "player",
    "leaderboard.projector_state": "player",
    "leaderboard.projector_by_link": "public",
    "leaderboard.projector_state_by_link": "public",
    "leaderboard.projector_link": "staff",
    "leaderboard.rotate_projector_link": "staff",
    "leaderboard.disable_projector_link": "staff",
    "leaderboard.bundle": "staff",
    "leaderboard.bundle_key": "public",
    # A private competition (as in the fixture) is for its organiser and its games' staff
    # and players; "owner" = its organiser. Public ones: tests/views/test_competitions_views.py
    "competitions.index": "instructor",
    "competitions.create": "instructor",
    "competitions.show": "player",
    "competitions.bundle": "staff",
    "competitions.add_game": "owner",
    "competitions.remove_game": "owner",
    "competitions.visibility": "owner",
}
DENIED = (403, 404)


@pytest.fixture
def world(app):
    """Two games of two instructors, each with one student team and a published round."""
    with app.app_context():
        session = db.session
        ids = {}
        for side in ("a", "b"):
            teacher = make_user(session, f"teacher-{side}@example.edu", "instructor")
            game = make_game(session, teacher)
            student = make_user(session, f"student-{side}")
            player = enrol(session, game, student, f"Team {side}")
            first = round_no(session, game, 1)
            schedule_service.open_round(session, game, first)
            schedule_service.close_round(session, first)
            rounds_service.process_round(session, first.id)
            ids[side] = {
                "game_id": game.id,
                "round_id": first.id,
                "player_id": player.id,
                "team_id": team_named(session, game, f"Team {side}").id,
                "number": 1,
                "code": game.join_code,
                "action": "close",
                "filename": "css/app.css",
                "table": "results",
                "draft_id": scenarios_service.copy_scenario(
                    session, teacher, (SCENARIOS_DIR / "tutorial.toml").read_text()
                ).id,
                "name": "tutorial",
                "section": "markets",
                "index": 0,
                "competition_id": make_competition(session, teacher, game),
            }
        return ids


def make_competition(session, teacher, game) -> int:
    competition = competitions_service.create_competition(session, teacher, "Cup")
    competitions_service.add_game(session, competition, teacher, game.id)
    return competition.id


def url_for_rule(rule: Rule, values: dict) -> str:
    return rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def request(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    token = csrf_from(_page(client))
    return client.post(url, data={"csrf_token": token})


def _page(client) -> str:
    response = client.get("/dashboard")
    if response.status_code != 200:
        response = client.get("/login")
    return response.get_data(as_text=True)


def login(client, name: str) -> None:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"login": name, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_every_route_has_a_policy(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - set(POLICY)) == [], "add these endpoints to POLICY"
    assert sorted(set(POLICY) - endpoints) == [], "remove these endpoints from POLICY"


def test_anonymous_visitors_are_sent_to_login(app, client, world):
    for rule, method in routes(app):
        if POLICY[rule.endpoint] == "public":
            continue
        response = request(client, method, url_for_rule(rule, world["a"]))
        assert response.status_code in (302, 401, 404), (rule.rule, method)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"], (rule.rule, method)


def test_students_get_403_on_instructor_pages(app, client, world):
    login(client, "student-a")
    for rule, method in routes(app):
        if POLICY[rule.endpoint] in ("instructor", "staff", "owner"):
            response = request(client, method, url_for_rule(rule, world["a"]))
            assert response.status_code == 403, (rule.rule, method, response.status_code)


def test_students_never_reach_another_team_or_game(app, client, world):
    login(client, "student-a")
    other_team_here = {**world["a"], "team_id": world["b"]["team_id"]}
    for rule, method in routes(app):
        if POLICY[rule.endpoint] != "player":
            continue
        for values in (world["b"], other_team_here if "team_id" in rule.arguments else None):
            if values is None:
                continue
            response = request(client, method, url_for_rule(rule, values))
            assert response.status_code in DENIED, (rule.rule, method, response.status_code)


def test_instructors_never_reach_another_instructors_game(app, client, world):
    login(client, "teacher-a@example.edu")
    mixed = {
        **world["a"],
        "round_id": world["b"]["round_id"],
        "player_id": world["b"]["player_id"],
        "team_id": world["b"]["team_id"],
    }
    for rule, method in routes(app):
        if POLICY[rule.endpoint] != "staff":
            continue
        for values in (world["b"], mixed):
            if not rule.arguments & {"round_id", "player_id", "team_id"} and values is mixed:
                continue
            response = request(client, method, url_for_rule(rule, values))
            assert response.status_code in DENIED, (rule.rule, method, response.status_code)


def test_instructors_never_reach_another_instructors_scenario(app, client, world):
    login(client, "teacher-a@example.edu")
    for rule, method in routes(app):
        if POLICY[rule.endpoint] == "owner":
            response = request(client, method, url_for_rule(rule, world["b"]))
            assert response.status_code == 404, (rule.rule, method, response.status_code)


def test_each_side_reaches_its_own_pages(app, client, world):
    login(client, "teacher-a@example.edu")
    for rule, method in routes(app):
        if POLICY[rule.endpoint] in ("staff", "instructor", "owner") and method == "GET":
            assert client.get(url_for_rule(rule, world["a"])).status_code == 200, rule.rule
    client.post("/logout", data={"csrf_token": csrf_from(_page(client))})
    login(client, "student-a")
    for rule, method in routes(app):
        if POLICY[rule.endpoint] == "player" and method == "GET":
            assert client.get(url_for_rule(rule, world["a"])).status_code == 200, rule.rule
