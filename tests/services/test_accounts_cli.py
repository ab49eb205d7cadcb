"""The account commands: flask --app simshop create-instructor / create-admin / seed-demo."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from simshop.db import db
from simshop.models import Role, User
from simshop.security import verify_password

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

PASSWORD = "granite meadow quartz"


def get_user(app, login):
    with app.app_context():
        return db.session.scalar(select(User).where(User.login == login))


def test_create_instructor_prompts_for_a_password(app, runner):
    result = runner.invoke(
        args=["create-instructor", "--login", "Wang@School.edu", "--name", "Ms Wang"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "Created instructor 'wang@school.edu'" in result.output
    user = get_user(app, "wang@school.edu")
    assert user.role == Role.INSTRUCTOR
    assert user.must_change_password is False
    assert verify_password(user.password_hash, PASSWORD)


def test_create_instructor_prompts_for_every_missing_option(app, runner):
    result = runner.invoke(
        args=["create-instructor"], input=f"chen\nMr Chen\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert get_user(app, "chen").display_name == "Mr Chen"


def test_create_instructor_with_admin_flag_and_create_admin(app, runner):
    runner.invoke(
        args=["create-instructor", "--login", "boss", "--name", "Boss", "--admin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    runner.invoke(
        args=["create-admin", "--login", "boss2", "--name", "Boss 2"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert get_user(app, "boss").role == Role.ADMIN
    assert get_user(app, "boss2").role == Role.ADMIN


def test_create_instructor_can_issue_a_one_time_password(app, runner):
    result = runner.invoke(
        args=["create-instructor", "--login", "li.na", "--name", "Li Na", "--generate-password"]
    )
    assert result.exit_code == 0, result.output
    issued = result.output.strip().rsplit(" ", 1)[-1]
    user = get_user(app, "li.na")
    assert user.must_change_password is True
    assert verify_password(user.password_hash, issued)


def test_create_instructor_refuses_a_taken_login(app, runner, make_user):
    make_user(login="taken")
    result = runner.invoke(
        args=["create-instructor", "--login", "taken", "--name", "X"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 1
    assert "already taken" in result.output


def test_create_instructor_refuses_a_common_password(app, runner):
    result = runner.invoke(
        args=["create-instructor", "--login", "zhou", "--name", "Zhou"],
        input="password123\npassword123\n",
    )
    assert result.exit_code == 1
    assert "too common" in result.output
    assert get_user(app, "zhou") is None


def test_seed_demo_prints_passwords_once_and_only_seeds_an_empty_database(app, runner):
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])

    assert first.exit_code == 0 and second.exit_code == 0
    assert "teacher@example.edu" in first.output
    assert "s2026001" in first.output
    assert "not created" in second.output
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 4


def test_init_db_is_idempotent_and_leaves_the_database_in_wal_mode(app, runner, backend):
    result = runner.invoke(args=["init-db"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        versions = db.session.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(versions) == 1
        if backend != "sqlite":  # the rest is SQLite tuning
            assert db.session.execute(text("SHOW TimeZone")).scalar() == "UTC"
            return
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
