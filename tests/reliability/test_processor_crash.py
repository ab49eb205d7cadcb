"""A processor killed (SIGKILL) in the middle of publishing leaves nothing behind; the next
tick after the lease expires completes the round exactly once, with the same results as an
uninterrupted run.

The processor is the real ``flask process-round`` in a subprocess, stopped inside its
publishing transaction by tests/reliability/paused_flask.py; the ticks after it run the same
commands in the test's process. The lease does not run out on
the clock (a loaded machine would make that race): the test moves its end into the past,
which is what time passing does to it."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from simshop.db import db
from simshop.models import Round, RoundResult
from simshop.models.user import utcnow
from simshop.services import decisions as decisions_service
from simshop.services import schedule as schedule_service
from tests.reliability.conftest import LiveDatabase
from tests.reliability.gamekit import (
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)


def closed_round(live_db) -> int:
    with live_db.app.app_context():
        session = db.session
        teacher = make_user(session, "teacher@example.edu", "instructor")
        game = make_game(session, teacher, bot_count=6)
        for i in range(4):
            student = make_user(session, f"s{i:05d}")
            enrol(session, game, student, f"Team {i}")
            first = round_no(session, game, 1)
            if i == 0:
                schedule_service.open_round(session, game, first)
            decisions_service.submit_decision(
                session,
                student,
                team_named(session, game, f"Team {i}"),
                first,
                tutorial_decisions(price_us=30.0 + i),
            )
        schedule_service.close_round(session, first)
        return first.id


def results(live: LiveDatabase, round_id: int):
    with live.app.app_context():
        rows = db.session.execute(
            select(
                RoundResult.team_id,
                RoundResult.result,
                RoundResult.end_state,
                RoundResult.rank,
                RoundResult.score,
            )
            .where(RoundResult.round_id == round_id)
            .order_by(RoundResult.team_id)
        ).all()
        rnd = db.session.get(Round, round_id)
        summary = (rnd.status, rnd.standings, rnd.market_stats)
        db.session.remove()
    return [tuple(r) for r in rows], summary


def copy_database(live_db, tmp_path) -> LiveDatabase:
    target = tmp_path / "copy"
    target.mkdir()
    source = sqlite3.connect(live_db.path)
    dest = sqlite3.connect(target / "simshop.sqlite")
    source.backup(dest)
    source.close()
    dest.close()
    return LiveDatabase(target, migrated=True)  # a copy of a migrated database


def run_cli(live: LiveDatabase, *args: str):
    """``flask ARGS`` in this process: the same command code as in a subprocess, without
    starting Python and the app again (about 2.4 s each). Only the processor that is
    killed needs a process of its own."""
    result = live.app.test_cli_runner().invoke(args=list(args))
    live.dispose()
    return result


def expire_lease(live: LiveDatabase, round_id: int) -> None:
    with live.app.app_context():
        db.session.execute(
            update(Round)
            .where(Round.id == round_id)
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        db.session.remove()


def wait_for(proc, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen += line
        if text in line:
            return
        if proc.poll() is not None and not line:
            break
    raise AssertionError(f"never saw {text!r}; stderr:\n{seen}")


@pytest.mark.slow
@pytest.mark.parametrize("pause_at", ["rows", "publish"])
def test_a_killed_processor_leaves_nothing_and_tick_finishes_the_round_once(
    live_db, tmp_path, pause_at
):
    round_id = closed_round(live_db)
    live_db.dispose()
    clean = copy_database(live_db, tmp_path)

    proc = live_db.flask("process-round", str(round_id), "--no-explain", pause_at=pause_at)
    wait_for(proc, f"paused at {pause_at}")
    proc.kill()  # SIGKILL, mid-transaction
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()

    rows, (status, standings, _) = results(live_db, round_id)
    assert (rows, status, standings) == ([], "processing", None)

    # Every processor publishes only (--no-explain): the explanation, computed after the
    # publishing transaction, is not what this test is about.
    early = run_cli(live_db, "tick", "--no-explain")  # the dead processor's lease still runs
    assert early.exit_code == 0, early.output
    assert "processed 0" in early.output
    assert results(live_db, round_id)[0] == []

    expire_lease(live_db, round_id)
    late = run_cli(live_db, "tick", "--no-explain")
    assert late.exit_code == 0, late.output
    assert f"processed 1 [{round_id}]" in late.output
    again = run_cli(live_db, "tick", "--no-explain")
    assert "processed 0" in again.output

    uninterrupted = run_cli(clean, "process-round", str(round_id), "--no-explain")
    assert uninterrupted.exit_code == 0, uninterrupted.output
    recovered_rows, recovered = results(live_db, round_id)
    clean_rows, reference = results(clean, round_id)
    clean.dispose()
    assert len(recovered_rows) == 10
    assert recovered_rows == clean_rows
    assert recovered == reference
    with live_db.app.app_context():
        rnd = db.session.get(Round, round_id)
        assert (rnd.status, rnd.process_count) == ("published", 2)
        assert (
            db.session.scalar(
                select(func.count(RoundResult.id)).where(RoundResult.round_id == round_id)
            )
            == 10
        )
