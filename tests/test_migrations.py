"""Alembic migrations on SQLite and PostgreSQL (reference test C20): upgrade, downgrade and
upgrade again from an empty database give the models' schema; stepping revisions down and
back up loses no row of a table that stays."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from simshop import create_app
from simshop.db import db
from simshop.models import Player, Team
from simshop.services import competitions as competitions_service
from simshop.services import decisions as decisions_service
from simshop.services import forecasts as forecasts_service
from simshop.services import gradebook as gradebook_service
from simshop.services import projector as projector_service
from simshop.services import quizzes as quizzes_service
from simshop.services import roster as roster_service
from simshop.services import rounds as rounds_service
from simshop.services import scenarios as scenarios_service
from simshop.services import schedule as schedule_service
from simshop.services.quiz_bank import shipped_bank
from tests.reliability.gamekit import (
    SCENARIOS_DIR,
    enrol,
    make_game,
    make_user,
    round_no,
    tutorial_decisions,
)

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


@pytest.fixture
def empty_app(new_database) -> Iterator[Flask]:
    """An app on a database without any table (not even alembic_version)."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "migrations-test-secret-key-0123456789abcdef",
            "SQLALCHEMY_DATABASE_URI": new_database(migrated=False),
        }
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def revisions(app: Flask) -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def schema() -> dict[str, object]:
    """Tables with their columns, indexes, unique constraints and foreign keys."""
    inspector = inspect(db.engine)
    return {
        name: (
            [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)],
            sorted(i["name"] for i in inspector.get_indexes(name)),
            sorted(u["name"] or "" for u in inspector.get_unique_constraints(name)),
            sorted(f["name"] or "" for f in inspector.get_foreign_keys(name)),
        )
        for name in sorted(inspector.get_table_names())
    }


def differences_from_models() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade_from_an_empty_database(empty_app):
    assert tables() == set()

    upgrade()
    assert tables() == set(db.metadata.tables) | {"alembic_version"}
    assert differences_from_models() == []
    first = schema()

    downgrade(revision="base")
    assert tables() == {"alembic_version"}

    upgrade()
    assert schema() == first
    assert differences_from_models() == []


def seed() -> None:
    """A row in every table: a played-in game with a saved decision and a published round,
    an imported roster, a queued roster job, a projector link, a competition and a scenario
    draft."""
    session = db.session
    teacher = make_user(session, "teacher@example.edu", "instructor")
    game = make_game(session, teacher, bot_count=1)
    student = make_user(session, "s001")
    enrol(session, game, student, "Alpha")
    first = round_no(session, game, 1)
    schedule_service.open_round(session, game, first)
    team = session.scalars(select(Team).where(Team.name == "Alpha")).one()
    decisions_service.submit_decision(session, student, team, first, tutorial_decisions())
    schedule_service.close_round(session, first)
    rounds_service.process_round(session, first.id)
    roster = b"name,student_number,team\nLi Wei,s2026002,Beta\n"
    roster_service.import_roster(session, game, roster, teacher)
    rows = [f"Student {n},s30{n:05d}," for n in range(roster_service.INLINE_ROWS + 1)]
    big = ("name,student_number,team\n" + "\n".join(rows) + "\n").encode()
    roster_service.import_or_queue(session, game, big, teacher)  # a queued roster job
    projector_service.rotate_projector_link(session, game, teacher)
    competition = competitions_service.create_competition(session, teacher, "Spring cup")
    competitions_service.add_game(session, competition, teacher, game.id)
    tutorial = (SCENARIOS_DIR / "tutorial.toml").read_text(encoding="utf-8")
    scenarios_service.copy_scenario(session, teacher, tutorial)
    seed_assessment(session, game, teacher, student, team)
    seed_assessment_and_lti(session, game, team, student)


def seed_assessment(session, game, teacher, student, team) -> None:
    """A quiz with a submission, a forecast, grade settings and a published grade."""
    bank = shipped_bank(SCENARIOS_DIR.parent / "questions")
    now = datetime.now(UTC)
    spec = quizzes_service.QuizSpec(
        round_no(session, game, 1).id,
        "Quiz",
        ["own-revenue"],
        now - timedelta(hours=1),
        now + timedelta(hours=1),
    )
    quiz = quizzes_service.create_quiz(session, game, teacher, spec, bank)
    player = session.scalars(select(Player).where(Player.user_id == student.id)).one()
    quizzes_service.submit(session, quiz, player, student, {"own-revenue": 1.0}, bank)
    second = round_no(session, game, 2)
    schedule_service.open_round(session, game, second)
    forecasts_service.save_forecast(session, second, team, student, ["US"], {"US": 5}, 10.0)
    gradebook_service.save_settings(session, game, {"game": 1.0}, None)
    gradebook_service.publish(session, game)


def seed_assessment_and_lti(session, game, team, student) -> None:
    """Memos, rubric, reviews, peer ratings and the LTI tables."""
    from datetime import timedelta

    from simshop.models import (
        AssessmentSettings,
        LtiAccount,
        LtiLaunchState,
        LtiLink,
        LtiPlatform,
        Memo,
        MemoCriterion,
        MemoReview,
        PeerEvaluation,
        PeerRating,
    )
    from simshop.models.user import utcnow

    memo = Memo(game_id=game.id, team_id=team.id, kind="strategy", body="Plan")
    criterion = MemoCriterion(game_id=game.id, label="Analysis", max_points=5)
    evaluation = PeerEvaluation(game_id=game.id, after_round=1, items=["contribution"])
    platform = LtiPlatform(
        name="LMS",
        issuer="https://lms.example.edu",
        client_id="c",
        auth_login_url="https://lms.example.edu/auth",
        auth_token_url="https://lms.example.edu/token",
        jwks_url="https://lms.example.edu/jwks",
        deployment_ids=["d"],
    )
    session.add_all([AssessmentSettings(game_id=game.id), memo, criterion, evaluation, platform])
    session.flush()
    session.add_all(
        [
            MemoReview(memo_id=memo.id, reviewer_key="staff", points={str(criterion.id): 4}),
            PeerRating(
                evaluation_id=evaluation.id,
                team_id=team.id,
                rater_id=student.id,
                ratee_id=student.id,
                scores={"contribution": 4},
            ),
            LtiLaunchState(
                state="s", nonce="n", platform_id=platform.id, expires_at=utcnow() + timedelta(1)
            ),
            LtiAccount(platform_id=platform.id, subject="sub-1", user_id=student.id),
            LtiLink(platform_id=platform.id, game_id=game.id, deployment_id="d", context_id="c"),
        ]
    )
    session.commit()


def snapshot(names: set[str]) -> dict[str, list[dict]]:
    with db.engine.connect() as conn:
        return {
            name: [
                dict(row._mapping)
                for row in conn.execute(text(f"SELECT * FROM {name} ORDER BY id"))
            ]
            for name in sorted(names)
        }


def as_of(before: dict[str, list[dict]], now: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """``before`` cut down to the tables and columns that exist ``now`` (a revision that
    adds a column drops it again on the way down)."""
    out = {}
    for name, rows in now.items():
        columns = set(rows[0]) if rows else set()
        out[name] = [{k: v for k, v in row.items() if k in columns} for row in before[name]]
    return out


def test_stepping_down_and_back_up_keeps_every_row_of_the_tables_that_stay(empty_app):
    upgrade()
    seed()
    db.session.remove()
    data_tables = set(db.metadata.tables)
    before = snapshot(data_tables)
    assert all(before.values()), {name: len(rows) for name, rows in before.items()}

    # Each revision down and back up on its own, from the newest: the tables that stay keep
    # every row (the columns that exist at each step; a later revision's columns come back
    # with their own step).
    order = revisions(empty_app)
    for target, above in zip(reversed(order[:-1]), reversed(order[1:]), strict=True):
        downgrade(revision=target)
        left = tables() & data_tables
        now = snapshot(left)
        assert now == as_of(before, now), target
        upgrade(revision=above)
        again = snapshot(left)
        assert again == as_of(before, again), above
        downgrade(revision=target)
    # From the first revision all the way back up: every table of the first revision is
    # whole again, every column of every row.
    bottom = tables() & data_tables
    assert "users" in bottom
    upgrade()
    assert snapshot(bottom) == {name: before[name] for name in bottom}
