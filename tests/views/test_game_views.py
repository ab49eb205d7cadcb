"""The game pages through the test client: create, join, teams, decisions, results, roster."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from simshop.db import db
from simshop.models import Decision, Game, Player, Round, User
from simshop.models.user import utcnow
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import (
    csrf_from,
    enrol,
    make_game,
    make_user,
    round_no,
    tutorial_form,
)

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


@pytest.fixture
def game_ids(app):
    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        game = make_game(db.session, teacher, bot_count=1)
        enrol(db.session, game, make_user(db.session, "s001"), "Alpha")
        first = round_no(db.session, game, 1)
        schedule_service.open_round(db.session, game, first)
        return {"game": game.id, "round": first.id, "code": game.join_code}


def post(client, url, data=None, page=None, **kwargs):
    token = csrf_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def test_instructor_creates_a_game_from_a_shipped_scenario(app, client, auth):
    with app.app_context():
        make_user(db.session, "teacher@example.edu", "instructor")
    auth.login("teacher@example.edu")
    form = {
        "title": "Class 3",
        "scenario_file": "tutorial.toml",
        "scored_rounds": "4",
        "practice_rounds": "1",
        "schedule": "manual",
        "round_interval_hours": "168",
        "timezone": "Asia/Shanghai",
        "team_min_size": "1",
        "team_max_size": "3",
        "bot_count": "2",
        "bot_strategies": ["cost_plus", "premium"],
        "weight_profit": "0.5",
        "weight_revenue": "0.1",
        "weight_market_share": "0.1",
        "weight_rating": "0.2",
        "weight_roi": "0.1",
        "show_rival_names": "y",
    }
    response = post(client, "/instructor/games/new", form)
    assert response.status_code == 302
    with app.app_context():
        game = db.session.scalar(select(Game).where(Game.title == "Class 3"))
        assert (game.scored_rounds, game.practice_rounds, game.bot_strategies) == (
            4,
            1,
            ["cost_plus", "premium"],
        )
        assert game.scoring_weights["profit"] == 0.5
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert game.join_code in page


def test_a_deadline_schedule_without_a_deadline_is_refused_on_the_field(app, client, auth):
    with app.app_context():
        make_user(db.session, "teacher@example.edu", "instructor")
    auth.login("teacher@example.edu")
    response = post(
        client,
        "/instructor/games/new",
        {
            "title": "X",
            "scenario_file": "tutorial.toml",
            "scored_rounds": "2",
            "practice_rounds": "0",
            "schedule": "deadlines",
            "timezone": "UTC",
            "team_min_size": "1",
            "team_max_size": "3",
            "bot_count": "0",
            "weight_profit": "1",
            "weight_revenue": "0",
            "weight_market_share": "0",
            "weight_rating": "0",
            "weight_roi": "0",
        },
    )
    assert response.status_code == 200
    assert "Enter the first deadline" in response.get_data(as_text=True)


def test_student_joins_with_the_link_and_creates_a_team(app, client, auth, game_ids):
    with app.app_context():
        make_user(db.session, "s002")
    auth.login("s002")
    page = client.get(f"/games/join/{game_ids['code']}").get_data(as_text=True)
    assert game_ids["code"] in page
    response = post(client, "/games/join", {"code": game_ids["code"].lower()})
    assert response.headers["Location"].endswith(f"/games/{game_ids['game']}")
    response = post(
        client,
        f"/games/{game_ids['game']}/teams",
        {"name": "Beta"},
        page=f"/games/{game_ids['game']}",
    )
    assert response.status_code == 302
    home = client.get(f"/games/{game_ids['game']}").get_data(as_text=True)
    assert "Beta" in home and "Round 1" in home


def test_decisions_are_saved_and_shown_with_who_saved_them(app, client, auth, game_ids):
    auth.login("s001")
    url = f"/games/{game_ids['game']}/decisions"
    response = post(client, url, tutorial_form(price_us=31.5))
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'value="31.5"' in page
    assert "Last saved by" in page
    with app.app_context():
        saved = db.session.scalar(select(Decision))
        assert saved.payload["offers"]["US"]["earbuds"]["price_local"] == 31.5


def test_invalid_decisions_show_errors_on_their_fields(app, client, auth, game_ids):
    auth.login("s001")
    url = f"/games/{game_ids['game']}/decisions"
    form = {
        **tutorial_form(),
        "offers.US.earbuds.price_local": "0",
        "ship.US.earbuds.air": "abc",
        "factory_orders.earbuds": "1.5",
    }
    response = post(client, url, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="d-ship-US-earbuds-air-errors"' in html
    assert 'id="d-factory_orders-earbuds-errors"' in html
    form = {**tutorial_form(), "offers.US.earbuds.price_local": "0"}
    html = post(client, url, form).get_data(as_text=True)
    assert 'id="d-offers-US-earbuds-price_local-errors"' in html
    assert "A listed product needs a price above 0." in html
    with app.app_context():
        assert db.session.scalar(select(Decision)) is None


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Enter a price between"), ("zh-CN", "请输入介于")],
)
def test_a_price_outside_the_scenario_band_is_a_field_error_in_each_language(
    app, client, auth, game_ids, language, message
):
    auth.login("s001")
    url = f"/games/{game_ids['game']}/decisions"
    form = {**tutorial_form(), "offers.US.earbuds.price_local": "0.0001"}
    response = post(client, url, form, headers={"Accept-Language": language})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="d-offers-US-earbuds-price_local-errors"' in html
    assert message in html
    with app.app_context():
        assert db.session.scalar(select(Decision)) is None


def test_cash_errors_are_reported_for_the_whole_sheet(app, client, auth, game_ids):
    auth.login("s001")
    url = f"/games/{game_ids['game']}/decisions"
    form = tutorial_form(qty=20000)
    html = post(client, url, form).get_data(as_text=True)
    assert "spend" in html and 'id="form-errors"' in html


def test_saving_after_the_round_closed_gets_409(app, client, auth, game_ids):
    auth.login("s001")
    url = f"/games/{game_ids['game']}/decisions"
    token = csrf_from(client.get(url).get_data(as_text=True))
    with app.app_context():
        rnd = round_no(db.session, db.session.get(Game, game_ids["game"]), 1)
        schedule_service.close_round(db.session, rnd)
    response = client.post(
        url, data={"csrf_token": token, **tutorial_form()}, headers={"Accept-Language": "zh-CN"}
    )
    assert response.status_code == 409
    assert "本回合已关闭" in response.get_data(as_text=True)


def test_results_show_pnl_and_rank_after_processing(app, client, auth, game_ids):
    auth.login("s001")
    post(client, f"/games/{game_ids['game']}/decisions", tutorial_form())
    with app.app_context():
        rnd = round_no(db.session, db.session.get(Game, game_ids["game"]), 1)
        schedule_service.close_round(db.session, rnd)
        rounds_service.process_round(db.session, rnd.id)
    html = client.get(f"/games/{game_ids['game']}/results/1").get_data(as_text=True)
    assert "Net profit" in html and 'id="rank"' in html
    assert client.get(f"/games/{game_ids['game']}/results/2").status_code == 404


def test_roster_upload_reports_bad_rows_and_imports_good_files_once(app, client, auth, game_ids):
    auth.login("teacher@example.edu")
    url = f"/instructor/games/{game_ids['game']}/roster"
    page = f"/instructor/games/{game_ids['game']}/people"
    bad = post(
        client,
        url,
        {"roster": (io.BytesIO(b"name,student_number\nBob,x!\n"), "r.csv")},
        page=page,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    assert 'id="roster-problems"' in bad.get_data(as_text=True)

    good = post(
        client,
        url,
        {"roster": (io.BytesIO(b"name,student_number,team\nAnn,s900,Gamma\n"), "r.csv")},
        page=page,
        content_type="multipart/form-data",
    )
    html = good.get_data(as_text=True)
    assert good.status_code == 200 and good.headers["Cache-Control"] == "no-store"
    assert 'id="issued-passwords"' in html
    token = html.split('name="token" value="')[1].split('"')[0]
    download = post(
        client,
        f"/instructor/games/{game_ids['game']}/roster/credentials",
        {"token": token},
        page=page,
    )
    assert download.mimetype == "text/csv" and b"s900" in download.data
    again = post(
        client,
        f"/instructor/games/{game_ids['game']}/roster/credentials",
        {"token": token},
        page=page,
    )
    assert again.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login == "s900"))
        assert user.must_change_password
        assert db.session.scalar(select(Player).where(Player.user_id == user.id)).team_id


def test_instructor_runs_a_round_from_the_game_page(app, client, auth, game_ids):
    auth.login("teacher@example.edu")
    game_url = f"/instructor/games/{game_ids['game']}"
    base = f"{game_url}/rounds/{game_ids['round']}"
    assert post(client, f"{base}/hold", page=game_url).status_code == 302
    assert post(client, f"{base}/release", page=game_url).status_code == 302
    response = post(client, f"{base}/process", page=game_url, follow_redirects=True)
    assert "Round processed and published" in response.get_data(as_text=True)
    response = post(
        client, f"{base}/reprocess", {"confirmed": "yes"}, page=game_url, follow_redirects=True
    )
    assert "Round processed again" in response.get_data(as_text=True)
    live = client.get(f"{game_url}/live").get_data(as_text=True)
    assert "Alpha" in live
    response = post(
        client, f"{game_url}/staff", {"login": "nobody@x.org"}, page=f"{game_url}/people"
    )
    assert response.status_code == 400
    response = post(
        client, f"{game_url}/end", {"confirmed": "yes"}, page=game_url, follow_redirects=True
    )
    assert "The game has ended." in response.get_data(as_text=True)


def round_status(app, round_id: int) -> str:
    with app.app_context():
        return db.session.get(Round, round_id).status


@pytest.mark.parametrize(
    ("path", "label"),
    [("rounds/{round}/close", "Close"), ("end", "End game")],
)
def test_destructive_actions_ask_for_confirmation_first(app, client, auth, game_ids, path, label):
    auth.login("teacher@example.edu")
    game_url = f"/instructor/games/{game_ids['game']}"
    url = f"{game_url}/{path.format(**game_ids)}"
    game_page = client.get(game_url).get_data(as_text=True)
    assert f'href="{url}"' in game_page  # a link to the confirmation page, not a form

    unconfirmed = post(client, url, page=game_url)
    assert unconfirmed.status_code == 200
    page = unconfirmed.get_data(as_text=True)
    assert f"Yes: {label}" in page and 'name="confirmed" value="yes"' in page
    assert f"Yes: {label}" in client.get(url).get_data(as_text=True)
    assert round_status(app, game_ids["round"]) == "open"

    done = post(client, url, {"confirmed": "yes"}, page=url)
    assert done.status_code == 302
    assert round_status(app, game_ids["round"]) == ("closed" if "close" in path else "cancelled")


def test_an_ended_game_offers_and_accepts_no_round_action(app, client, auth, game_ids):
    auth.login("teacher@example.edu")
    game_url = f"/instructor/games/{game_ids['game']}"
    base = f"{game_url}/rounds/{game_ids['round']}"
    post(client, f"{base}/process", page=game_url)
    assert round_status(app, game_ids["round"]) == "published"
    post(client, f"{game_url}/end", {"confirmed": "yes"}, page=game_url)

    page = client.get(game_url).get_data(as_text=True)
    for label in ("Process again", "Process now", "Open", "Hold", "Reopen", "End game"):
        assert f">{label}<" not in page and f">{label}…<" not in page, label
    response = post(
        client, f"{base}/reprocess", {"confirmed": "yes"}, page=game_url, follow_redirects=True
    )
    assert "Only the latest published round can be processed again" in response.get_data(
        as_text=True
    )
    assert round_status(app, game_ids["round"]) == "published"
    confirm = client.get(f"{base}/reprocess").get_data(as_text=True)
    assert "This is not possible now." in confirm and 'name="confirmed"' not in confirm
    second = round_no_id(app, game_ids["game"], 2)
    post(client, f"{game_url}/rounds/{second}/open", page=game_url)
    assert round_status(app, second) == "cancelled"


def round_no_id(app, game_id: int, number: int) -> int:
    with app.app_context():
        return round_no(db.session, db.session.get(Game, game_id), number).id


def test_a_failed_round_shows_its_error_and_is_retried_after_the_fix(
    app, client, auth, game_ids, monkeypatch
):
    auth.login("teacher@example.edu")
    game_url = f"/instructor/games/{game_ids['game']}"
    base = f"{game_url}/rounds/{game_ids['round']}"

    def poisoned(inputs):
        raise OverflowError("math range error")

    monkeypatch.setattr(rounds_service, "compute_round", poisoned)
    response = post(client, f"{base}/process", page=game_url, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Processing failed: OverflowError: math range error" in page
    assert round_status(app, game_ids["round"]) == "failed"
    assert f'action="{base}/retry"' in page and "Fix and retry" in page
    assert f'action="{base}/process"' not in page

    monkeypatch.undo()
    post(client, f"{base}/retry", page=game_url)
    assert round_status(app, game_ids["round"]) == "closed"
    response = post(client, f"{base}/process", page=game_url, follow_redirects=True)
    assert "Round processed and published" in response.get_data(as_text=True)
    assert round_status(app, game_ids["round"]) == "published"


def test_a_round_orphaned_by_a_dead_worker_is_shown_once_its_lease_expires(
    app, client, auth, game_ids
):
    auth.login("teacher@example.edu")
    game_url = f"/instructor/games/{game_ids['game']}"
    base = f"{game_url}/rounds/{game_ids['round']}"
    with app.app_context():
        rnd = db.session.get(Round, game_ids["round"])
        schedule_service.close_round(db.session, rnd)
        assert rounds_service.claim_round(db.session, rnd.id, "dead-worker", lease_seconds=300)

    live = client.get(game_url).get_data(as_text=True)
    assert "Being processed; if the processor stops, you can take over at" in live
    assert f'action="{base}/process"' not in live

    with app.app_context():
        db.session.execute(
            update(Round)
            .where(Round.id == game_ids["round"])
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    orphaned = client.get(game_url).get_data(as_text=True)
    assert "The processor stopped responding (its lease expired at" in orphaned
    assert f'action="{base}/process"' in orphaned
    response = post(client, f"{base}/process", page=game_url, follow_redirects=True)
    assert "Round processed and published" in response.get_data(as_text=True)
    assert round_status(app, game_ids["round"]) == "published"


def test_the_service_refuses_deadlines_beyond_the_calendar(app):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from simshop.services import games as games_service
    from simshop.services.games import GameError, GameSpec

    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        spec = GameSpec(
            title="X",
            scenario_file="tutorial.toml",
            schedule="deadlines",
            first_deadline=datetime(9999, 12, 31, 23, 59, tzinfo=ZoneInfo("America/New_York")),
            round_interval=timedelta(days=7),
        )
        with pytest.raises(GameError) as info:
            games_service.create_game(
                db.session, teacher, spec, scenarios_dir=app.config["SCENARIOS_DIR"]
            )
        assert (info.value.code, info.value.field) == ("deadline_range", "first_deadline")


def new_game_form(**changes):
    form = {
        "title": "Hostile",
        "scenario_file": "tutorial.toml",
        "scored_rounds": "2",
        "practice_rounds": "0",
        "schedule": "manual",
        "round_interval_hours": "168",
        "timezone": "Asia/Shanghai",
        "team_min_size": "1",
        "team_max_size": "3",
        "bot_count": "0",
        "weight_profit": "1",
        "weight_revenue": "0",
        "weight_market_share": "0",
        "weight_rating": "0",
        "weight_roi": "0",
    }
    return {**form, **changes}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("inf", "Enter a number."),
        ("nan", "Enter a number."),
        ("1e400", "Enter a number."),
        ("1000.5", "Enter a weight from 0 to 1000."),
    ],
)
def test_scoring_weights_must_be_finite_and_bounded(app, client, auth, value, message):
    with app.app_context():
        make_user(db.session, "teacher@example.edu", "instructor")
    auth.login("teacher@example.edu")
    response = post(client, "/instructor/games/new", new_game_form(weight_profit=value))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Game)) is None


def test_the_service_refuses_a_non_finite_weight(app):
    from simshop.services import games as games_service
    from simshop.services.games import GameError, GameSpec

    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        spec = GameSpec(title="X", scenario_file="tutorial.toml")
        spec.scoring_weights = {"profit": float("inf")}
        with pytest.raises(GameError) as info:
            games_service.create_game(
                db.session, teacher, spec, scenarios_dir=app.config["SCENARIOS_DIR"]
            )
        assert (info.value.code, info.value.field) == ("weight_range", "weight_profit")


def test_a_deadline_that_overflows_in_the_games_time_zone_is_a_form_error(app, client, auth):
    with app.app_context():
        make_user(db.session, "teacher@example.edu", "instructor")
    auth.login("teacher@example.edu")
    form = new_game_form(
        schedule="deadlines", timezone="America/New_York", first_deadline="9999-12-31T23:59"
    )
    response = post(client, "/instructor/games/new", form)
    assert response.status_code == 200
    assert "Enter a date from 2000 to 2099." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Game)) is None


def test_a_rounds_deadline_beyond_the_calendar_is_refused_with_a_message(
    app, client, auth, game_ids
):
    auth.login("teacher@example.edu")
    game, rnd = game_ids["game"], game_ids["round"]
    url = f"/instructor/games/{game}/rounds/{rnd}/deadline"
    response = post(client, url, {"deadline": "9999-12-31T23:59"}, page=f"/instructor/games/{game}")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Enter a date from 2000 to 2099." in page


@pytest.mark.parametrize("team_id", ["²", "٣", str(2**64)])
def test_moving_a_player_to_a_unicode_digit_team_is_a_400(app, client, auth, game_ids, team_id):
    with app.app_context():
        player = db.session.scalar(select(Player))
    auth.login("teacher@example.edu")
    game = game_ids["game"]
    url = f"/instructor/games/{game}/players/{player.id}/move"
    response = post(client, url, {"team_id": team_id}, page=f"/instructor/games/{game}/people")
    assert response.status_code == 400


def test_a_roster_of_2000_rows_answers_with_a_progress_page_then_the_tick_imports_it(
    app, client, auth, game_ids, monkeypatch, runner
):
    from simshop.services import roster as roster_service

    def no_hashing(_password: str) -> str:
        raise AssertionError("the request must not hash passwords")

    monkeypatch.setattr(roster_service, "hash_password", no_hashing)
    lines = ["name,student_number,team"] + [f"S {n},s40{n:05d}," for n in range(2000)]
    data = {"roster": (io.BytesIO("\n".join(lines).encode()), "big.csv")}
    auth.login("teacher@example.edu")
    game = game_ids["game"]
    page = f"/instructor/games/{game}/people"
    response = post(client, f"/instructor/games/{game}/roster", data, page=page)
    assert response.status_code == 302
    job_page = response.headers["Location"]
    html = client.get(job_page).get_data(as_text=True)
    assert 'data-status="queued"' in html and 'http-equiv="refresh"' in html
    assert "2000 students" in html

    monkeypatch.setattr(roster_service, "hash_password", lambda p: "fake$" + p)
    result = runner.invoke(args=["tick"])
    assert "roster imports 1" in result.output, result.output
    html = client.get(job_page).get_data(as_text=True)
    assert 'data-status="done"' in html and 'http-equiv="refresh"' not in html
    assert "2000 accounts created" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) >= 2000


def test_a_save_reads_the_student_and_their_team_in_one_query(app, client, auth, game_ids):
    """The user loader of a game's page also reads the user's membership of that game
    (``access.load_session_user``): a save runs no query of its own for the player, the
    team or the game, and the user's query is the one that reads them."""
    from sqlalchemy import event

    auth.login("s001")
    url = f"/games/{game_ids['game']}/decisions"
    token = csrf_from(client.get(url).get_data(as_text=True))
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append(" ".join(statement.split()).lower())

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.post(url, data={"csrf_token": token, **tutorial_form(price_us=29.5)})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 302
    assert response.location.endswith(url)
    reads = [s for s in seen if s.startswith("select")]
    of_users = [s for s in reads if " from users" in s]
    assert len(of_users) == 1
    assert all(f"join {table} " in of_users[0] for table in ("players", "teams", "games"))
    # No other statement reads a player, a team or the game.
    others = [s for s in reads if s not in of_users]
    assert not [s for s in others if " from players" in s or " from teams" in s]
    assert not [s for s in others if " from games" in s or "join games" in s]
    assert [s for s in seen if s.startswith("insert into decisions")]
    with app.app_context():
        saved = db.session.scalar(select(Decision))
        assert saved.payload["offers"]["US"]["earbuds"]["price_local"] == 29.5
