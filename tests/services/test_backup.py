"""``flask backup`` and ``flask restore``: a game restored from a backup is the game that was
backed up, row for row, and what happened after the backup is gone (issue 18, point 6)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.models import Decision, Game, Round, RoundResult, Team, User
from simshop.services import decisions as decisions_service
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


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of the tables that make up a game, as plain tuples."""
    tables = {
        "users": (User, ("id", "login", "password_hash", "session_version")),
        "games": (Game, ("id", "title", "status", "seed", "scenario_sha256", "results_version")),
        "teams": (Team, ("id", "game_id", "name", "member_count", "is_bot")),
        "rounds": (Round, ("id", "game_id", "number", "status", "standings", "market_stats")),
        "decisions": (Decision, ("id", "round_id", "team_id", "payload")),
        "round_results": (RoundResult, ("id", "round_id", "team_id", "result", "rank", "score")),
    }
    with app.app_context():
        out = {}
        for name, (model, columns) in tables.items():
            cols = [getattr(model, c) for c in columns]
            out[name] = [tuple(r) for r in db.session.execute(select(*cols).order_by(cols[0]))]
        db.session.remove()
    return out


@pytest.fixture
def played(app):
    """A game with two student teams and two bots, round 1 published, round 2 open with a
    saved decision."""
    with app.app_context():
        s = db.session
        teacher = make_user(s, "teacher@example.edu", "instructor")
        game = make_game(s, teacher, bot_count=2)
        alice = make_user(s, "s001")
        enrol(s, game, alice, "Alpha")
        enrol(s, game, make_user(s, "s002"), "Beta")
        first = round_no(s, game, 1)
        schedule_service.open_round(s, game, first)
        decisions_service.submit_decision(
            s, alice, team_named(s, game, "Alpha"), first, tutorial_decisions()
        )
        schedule_service.close_round(s, first)
        rounds_service.process_round(s, first.id)
        second = round_no(s, game, 2)
        schedule_service.open_round(s, game, second)
        sheet = tutorial_decisions(price_us=29.0)
        del sheet["enter_markets"]  # in the US since round 1
        decisions_service.submit_decision(s, alice, team_named(s, game, "Alpha"), second, sheet)
        game_id = game.id
        db.session.remove()
    return game_id


def test_a_restored_game_is_identical_to_the_backed_up_one(app, runner, played, tmp_path):
    before = snapshot(app)
    target = tmp_path / "nightly" / "simshop.backup"
    made = runner.invoke(args=["backup", str(target)])
    assert made.exit_code == 0, made.output
    assert "Backup written" in made.output and target.stat().st_mode & 0o777 == 0o600

    with app.app_context():  # life goes on after the backup: round 2 published, a new game
        s = db.session
        game = s.get(Game, played)
        schedule_service.close_round(s, round_no(s, game, 2))
        rounds_service.process_round(s, round_no(s, game, 2).id)
        make_game(s, s.scalar(select(User).where(User.login == "teacher@example.edu")))
        db.session.remove()
    assert snapshot(app) != before

    refused = runner.invoke(args=["restore", str(target)])
    assert refused.exit_code == 1 and "add --yes" in refused.output
    restored = runner.invoke(args=["restore", str(target), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert snapshot(app) == before
    assert len(before["round_results"]) == 4 and len(before["decisions"]) == 2


def test_a_backup_never_overwrites_a_file(app, runner, played, tmp_path):
    target = tmp_path / "simshop.backup"
    target.write_text("keep me")
    made = runner.invoke(args=["backup", str(target)])
    assert made.exit_code == 1 and "exists already" in made.output
    assert target.read_text() == "keep me"
