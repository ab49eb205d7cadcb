"""Every route in ``app.url_map`` against every kind of visitor (OWASP ASVS 8.2.1, 8.2.2).

POLICY lists each endpoint's rule. The sweep FAILS when a route exists that POLICY does not
cover: whoever adds a route adds its line here.

- public: anyone
- login: any logged-in user
- instructor: logged-in instructors (students get 403)
- staff: instructors of *that* game (students 403, other instructors 403/404)
- player: students enrolled in *that* game, and only their own team's objects (403/404)
- owner: the instructor who owns *that* scenario (students 403, other instructors 404)
- admin: site administrators only (students and instructors 403)
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from werkzeug.routing import IntegerConverter, PathConverter, Rule, UnicodeConverter

from simshop.db import db
from simshop.models import RosterJob
from simshop.models.user import utcnow
from simshop.services import competitions as competitions_service
from simshop.services import quizzes as quizzes_service
from simshop.services import rounds as rounds_service
from simshop.services import scenarios as scenarios_service
from simshop.services import schedule as schedule_service
from simshop.services.quiz_bank import shipped_bank
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
    # The briefing: the game's players (from joining) and its staff. The plan: a member's
    # own team; staff name the team with ?team= (tests/views/test_briefing_and_plan.py).
    "student.briefing": "player",
    "student.plan": "player",
    "student.season": "player",
    "instructor.games": "instructor",
    "instructor.new_game": "instructor",
    "instructor.game": "staff",
    "instructor.live": "staff",
    "instructor.people": "staff",
    "instructor.roster": "staff",
    "instructor.credentials": "staff",
    "instructor.roster_job": "staff",
    "instructor.move_player": "staff",
    "instructor.rename_team": "staff",
    "instructor.delete_team": "staff",
    "instructor.add_staff": "staff",
    "instructor.round_action": "staff",
    "instructor.process": "staff",
    "instructor.reprocess": "staff",
    "instructor.deadline": "staff",
    "instructor.end": "staff",
    "instructor.briefing_sizes": "staff",
    "instructor.reopen": "staff",
    "instructor.round_results": "staff",
    # data lab (views/lab.py): team pages of the signed-in student's own team; staff pages
    "lab.index": "player",
    "lab.research": "player",
    "lab.dashboard": "player",
    "lab.whatif_round": "player",
    # the search-term report: a student's own team; the game's staff see every team
    "lab.search_terms": "player",
    "lab.export_csv": "player",
    "lab.export_xlsx": "player",
    "lab.studies": "player",
    "lab.products": "player",
    "lab.team_dashboard": "staff",
    "lab.team_products": "staff",
    "lab.team_studies": "staff",
    "lab.team_season": "staff",
    "lab.compliance": "player",
    "lab.team_compliance": "staff",
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
    # assessment (views/assessment.py): quizzes, forecasts, the gradebook
    "assessment.quizzes_admin": "staff",
    "assessment.quiz_admin": "staff",
    "assessment.delete_quiz": "staff",
    "assessment.gradebook_admin": "staff",
    "assessment.publish_grades": "staff",
    "assessment.gradebook_csv": "staff",
    "assessment.gradebook_xlsx": "staff",
    "assessment.my_quizzes": "player",
    "assessment.take_quiz": "player",
    "assessment.forecast": "player",
    "assessment.my_grade": "player",
    # memos and peer evaluation (views/assessment.py): the student's own team; staff pages
    "teamwork.memos": "player",
    "teamwork.review": "player",
    "teamwork.peer": "player",
    "teamwork.rate": "player",
    "teamwork.staff": "staff",
    "teamwork.settings": "staff",
    "teamwork.add_criterion": "staff",
    "teamwork.delete_criterion": "staff",
    "teamwork.score": "staff",
    "teamwork.assign": "staff",
    "teamwork.create_evaluation": "staff",
    "teamwork.toggle_evaluation": "staff",
    "teamwork.memos_csv": "staff",
    # LTI 1.3 (views/lti.py): the platform's login and launch need no session (they are
    # checked by the signed token, state and nonce); the JWKS is public; deep linking is for
    # instructors; a game's course links for its staff.
    "lti.login": "public",
    "lti.launch": "public",
    "lti.jwks": "public",
    # the framed launch's landing page asks whether its session came back; the new-window
    # continuation carries its own signed single-use token (tests/views/test_lti_frame.py)
    "lti.session_check": "public",
    "lti.continue_in_window": "public",
    "lti.deep_link": "instructor",
    "lti.links": "staff",
    "lti.sync": "staff",
    "lti.send_grades": "staff",
    # the administrator's page of learning platforms (views/lti_admin.py)
    "lti_admin.platforms": "admin",
    "lti_admin.new_platform": "admin",
    "lti_admin.edit_platform": "admin",
    "lti_admin.disable_platform": "admin",
    "lti_admin.enable_platform": "admin",
}
DENIED = (403, 404)


@pytest.fixture
def seeded(seeded_app):
    """Every test starts from a fresh copy of one world, built once per worker and backend
    (tests/conftest.py, seeded_app)."""
    return seeded_app("access-sweep-world", build_world)


@pytest.fixture
def app(seeded):
    return seeded[0]


@pytest.fixture
def world(seeded):
    return seeded[1]


def build_world(app) -> dict:
    """Two games of two instructors, each with one student team and a published round."""
    with app.app_context():
        session = db.session
        ids = {}
        make_user(session, "admin@example.edu", "admin")
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
                "job_id": make_roster_job(session, teacher, game),
                "quiz_id": make_quiz(session, teacher, game, first),
                **make_assessment(session, game, player),
            }
        return ids


def make_assessment(session, game, player) -> dict:
    """A rubric criterion, a memo, a peer evaluation and an LTI course link of the game."""
    from simshop.models import LtiLink, LtiPlatform, Memo, MemoReview
    from simshop.services import memos as memos_service
    from simshop.services import peer as peer_service

    criterion = memos_service.add_criterion(session, game, "Analysis", 5)
    memo = Memo(game_id=game.id, team_id=player.team_id, kind="strategy", body="Plan")
    session.add(memo)
    session.flush()
    review = MemoReview(memo_id=memo.id, reviewer_team_id=player.team_id, reviewer_key="x")
    platform = LtiPlatform(
        name="LMS",
        issuer=f"https://lms-{game.id}.example.edu",
        client_id="c",
        auth_login_url="https://lms.example.edu/auth",
        auth_token_url="https://lms.example.edu/token",
        jwks_url="https://lms.example.edu/jwks",
        deployment_ids=["d"],
    )
    session.add_all([review, platform])
    session.flush()
    link = LtiLink(platform_id=platform.id, game_id=game.id, deployment_id="d", context_id="c1")
    session.add(link)
    session.commit()
    evaluation = peer_service.create_evaluation(session, game, 1, ["contribution"], False)
    return {
        "criterion_id": criterion.id,
        "memo_id": memo.id,
        "review_id": review.id,
        "evaluation_id": evaluation.id,
        "kind": "strategy",
        "link_id": link.id,
        "platform_id": platform.id,
    }


def make_roster_job(session, teacher, game) -> int:
    job = RosterJob(game_id=game.id, created_by_id=teacher.id, csv_text="name\n", total=0)
    session.add(job)
    session.commit()
    return job.id


def make_quiz(session, teacher, game, rnd) -> int:
    now = utcnow()
    spec = quizzes_service.QuizSpec(
        rnd.id,
        "Quiz",
        ["own-tacos", "fob-risk-transfer"],
        now - timedelta(hours=1),
        now + timedelta(hours=1),
    )
    bank = shipped_bank(SCENARIOS_DIR.parent / "questions")
    return quizzes_service.create_quiz(session, game, teacher, spec, bank).id


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
        if POLICY[rule.endpoint] in ("instructor", "staff", "owner", "admin"):
            response = request(client, method, url_for_rule(rule, world["a"]))
            assert response.status_code == 403, (rule.rule, method, response.status_code)


def test_only_administrators_reach_admin_pages(app, client, world):
    admin_rules = [(r, m) for r, m in routes(app) if POLICY[r.endpoint] == "admin"]
    assert admin_rules
    login(client, "teacher-a@example.edu")
    for rule, method in admin_rules:
        response = request(client, method, url_for_rule(rule, world["a"]))
        assert response.status_code == 403, (rule.rule, method, response.status_code)
    client.post("/logout", data={"csrf_token": csrf_from(_page(client))})
    login(client, "admin@example.edu")
    for rule, method in admin_rules:
        if method == "GET":
            assert client.get(url_for_rule(rule, world["a"])).status_code == 200, rule.rule


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


# --------------------------------------------------------------------------- hostile values
# Every route, as each kind of visitor, with ids beyond 64 bits and Unicode digits in its
# URL, and NUL bytes, Unicode digits and huge numbers in every query and form field the
# app's pages name: never a 5xx (a 404, a 400 or a form error instead).

HUGE = str(2**64)
HOSTILE_IDS = (2**64, 2**63)
HOSTILE_VALUES = ("a\x00b", "\x00=1+1", "²", "٣", HUGE, "9999-12-31T23:59", "1e400", "nan")
QUERY_NAMES = ("round", "market", "kind", "next", "scenario", "page", "product")


def field_names(client, app, values) -> set[str]:
    """Every input, select and textarea name on the GET pages this visitor can open."""
    names = {"csrf_token", "team_id", "login", "password", "code", "name", "deadline"}
    pattern = re.compile(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"')
    for rule, method in routes(app):
        if method == "GET" and rule.endpoint != "static":
            response = client.get(url_for_rule(rule, values))
            if response.status_code == 200 and response.mimetype == "text/html":
                names.update(pattern.findall(response.get_data(as_text=True)))
    return names


def hostile_urls(rule: Rule, values: dict) -> list[str]:
    urls = []
    converters = rule._converters  # argument -> converter (rule defaults have none)
    ints = [a for a, c in converters.items() if isinstance(c, IntegerConverter)]
    for big in HOSTILE_IDS:
        if ints:
            urls.append(url_for_rule(rule, {**values, **dict.fromkeys(ints, big)}))
    base = url_for_rule(rule, values)
    for arg in ints:
        # a Unicode digit where the id goes: "/games/²" (isdigit() is true, int() fails)
        digits = url_for_rule(rule, {**values, arg: 987654321})
        urls.append(digits.replace("987654321", "²", 1))
    strings = [a for a, c in converters.items() if type(c) in (UnicodeConverter, PathConverter)]
    for arg in strings:
        urls.append(url_for_rule(rule, {**values, arg: "x\x00y"}))
    for value in ("a\x00b", "²", HUGE):
        urls.append(base + "?" + urlencode(dict.fromkeys(QUERY_NAMES, value)))
    return urls


@pytest.mark.parametrize("visitor", [None, "student-a", "teacher-a@example.edu"])
def test_hostile_ids_digits_and_nul_bytes_never_get_a_5xx(app, client, world, visitor):
    if visitor:
        login(client, visitor)
    values = {**world["a"], "token": "no-such-link"}
    names = field_names(client, app, values) - {"csrf_token"}
    token = csrf_from(_page(client))
    failures = []
    for rule, method in routes(app):
        if rule.endpoint in ("static", "auth.logout"):
            continue
        for url in hostile_urls(rule, values):
            response = client.get(url) if method == "GET" else client.post(url, data={})
            if response.status_code >= 500:
                failures.append((method, url, response.status_code))
        if method != "POST":
            continue
        for value in HOSTILE_VALUES:
            data = {"csrf_token": token, **dict.fromkeys(names, value)}
            response = client.post(url_for_rule(rule, values), data=data)
            if response.status_code >= 500:
                failures.append((method, rule.rule, value, response.status_code))
    assert failures == []


def test_an_id_beyond_64_bits_is_404_even_anonymously(client, world):
    assert client.get(f"/games/{2**64}/leaderboard").status_code == 404
    assert client.get(f"/games/{2**64}").status_code == 404
    assert client.get(f"/games/{2**63 - 1}").status_code == 302  # to the login page


def test_a_nul_byte_in_a_form_is_an_error_on_its_field(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"login": "student\x00-a", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 200  # the form again (tests/views/test_nul_fields.py)
    assert "Text cannot contain a NUL character (U+0000)." in response.get_data(as_text=True)


# --------------------------------------------------------------------------- hidden draws
# A catalogue game's hidden draws (each product's demand weight per market, each supplier's
# true quality and defect rate: engine.catalogue.realise) must never reach a page, an
# export or a bundle, for any visitor, before the game ends; a supplier's truth appears
# only to the team that bought its sample (and to the staff, in that team's results).

SAMPLED = ("item-03", "fast")


@pytest.fixture
def catalogue_app(app_factory):
    """An app of its own, without the sweep's world."""
    return app_factory()


@pytest.fixture
def catalogue_world(catalogue_app, tmp_path):
    """One catalogue game, two student teams and two bots: Buyers bought a sample of
    SAMPLED and a study, Lookers bought nothing; round 1 is published."""
    from simshop.services import decisions as decisions_service
    from simshop.services import games as games_service
    from tests.catalogue_kit import FILE_NAME, catalogue_dir

    with catalogue_app.app_context():
        session = db.session
        teacher = make_user(session, "teacher-c@example.edu", "instructor")
        spec = games_service.GameSpec(
            title="Catalogue",
            scenario_file=FILE_NAME,
            scored_rounds=3,
            practice_rounds=0,
            bot_count=2,
            seed=20260101,
        )
        game = games_service.create_game(
            session, teacher, spec, scenarios_dir=catalogue_dir(tmp_path / "scenarios")
        )
        buyer = make_user(session, "student-buyer")
        player = enrol(session, game, buyer, "Buyers")
        enrol(session, game, make_user(session, "student-looker"), "Lookers")
        first = round_no(session, game, 1)
        schedule_service.open_round(session, game, first)
        raw = {
            "enter_markets": ["US"],
            "suppliers": {"item-03": "fast"},
            "samples": [{"product": SAMPLED[0], "supplier": SAMPLED[1]}],
            "research": [{"market": "US", "category": "toys", "budget_cny": 5000.0}],
            "factory_orders": {"item-03": 300},
            "offers": {"US": {"item-03": {"listed": True, "price_local": 29.99}}},
        }
        buyers = team_named(session, game, "Buyers")
        decisions_service.submit_decision(session, buyer, buyers, first, raw)
        schedule_service.close_round(session, first)
        rounds_service.process_round(session, first.id)
        scenario = games_service.game_scenario(game)
        return {
            "values": {
                "game_id": game.id,
                "round_id": first.id,
                "player_id": player.id,
                "team_id": buyers.id,
                "number": 1,
                "code": game.join_code,
            },
            "lookers_id": team_named(session, game, "Lookers").id,
            "scenario": scenario,
            "seed": game.seed,
        }


def bodies(client, app, values: dict) -> list[tuple[str, str]]:
    """(url, text) of every GET route this visitor can open with ``values`` (every export
    table; XLSX workbooks unzipped): what the visitor can read."""
    import io
    import zipfile

    from simshop.views.lab import TEAM_TABLES

    out = []
    for rule, method in routes(app):
        if method != "GET" or rule.endpoint == "static":
            continue
        if not rule.arguments <= {*values, "table"}:
            continue
        tables = TEAM_TABLES if "table" in rule.arguments else (None,)
        for table in tables:
            url = url_for_rule(rule, {**values, "table": table})
            response = client.get(url)
            if response.status_code != 200:
                continue
            data = response.get_data()
            if data[:2] == b"PK":
                with zipfile.ZipFile(io.BytesIO(data)) as book:
                    text = "".join(book.read(n).decode("utf-8") for n in book.namelist())
            else:
                text = data.decode("utf-8", errors="replace")
            out.append((url, text))
    return out


def leaks(pages, hidden: dict[str, list[str]], allowed: set[str]) -> list[tuple[str, str]]:
    return [
        (url, name)
        for url, text in pages
        for name, forms in hidden.items()
        if name not in allowed and any(form in text for form in forms)
    ]


def exact_forms(hidden: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each hidden value's texts without its 4-decimal and percent roundings."""
    return {
        name: [f for f in forms if not re.fullmatch(r"\d+\.\d{4}|[\d.]+%", f)]
        for name, forms in hidden.items()
    }


def test_no_route_shows_a_hidden_draw_a_visitor_did_not_buy(catalogue_app, catalogue_world):
    from tests.catalogue_kit import hidden_values

    app, client = catalogue_app, catalogue_app.test_client()

    hidden = hidden_values(catalogue_world["scenario"], catalogue_world["seed"])
    assert len(hidden) == 30 * 2 + 30 * 2 * 2  # demand per market, two truths per supplier
    bought = {f"quality {SAMPLED[0]} {SAMPLED[1]}", f"defects {SAMPLED[0]} {SAMPLED[1]}"}
    values = catalogue_world["values"]
    seen = 0
    for visitor, allowed, own in (
        (None, set(), values),
        ("student-looker", set(), {**values, "team_id": catalogue_world["lookers_id"]}),
        ("student-buyer", bought, values),
        ("teacher-c@example.edu", bought, values),
    ):
        client.get("/")
        if visitor:
            login(client, visitor)
        pages = bodies(client, app, own)
        seen += len(pages)
        # A visitor who bought studies reads noisy readings rounded to 4 decimals: there a
        # hidden value's 4-decimal form would match by chance, so only its exact forms count.
        searched = hidden if allowed == set() else exact_forms(hidden)
        assert leaks(pages, searched, allowed) == [], visitor
        if visitor == "student-buyer":
            # the search finds what is there: the sample's truth in the buyer's exports
            mine = {name: hidden[name] for name in bought}
            assert {name for _, name in leaks(pages, mine, set())} == bought
        if visitor:
            client.post("/logout", data={"csrf_token": csrf_from(_page(client))})
    assert seen > 60  # the sweep really read the game's pages, exports and bundles
