"""Several long-lived tick workers (``flask tick --loop``) share the due rounds of many games,
and one of them killed (SIGKILL) mid-publish loses nothing (issue 18, point 5).

Worker A stops inside its first publishing transaction (tests/reliability/paused_flask.py)
and is killed there; worker B, started beside it, processes every other round and, once A's
lease has expired, A's round too. Every round ends published exactly once (one claim each,
two for A's), with results identical to an uninterrupted computation of the same inputs.
On PostgreSQL B claims past A's locked row (``FOR UPDATE SKIP LOCKED``); on SQLite B waits
for the write lock A holds until A dies.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from simshop.db import db
from simshop.models import Round, RoundResult
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import make_game, make_user, round_no
from tests.reliability.test_processor_crash import wait_for

GAMES = 8
BOTS = 3
LEASE_S = "3"


def due_rounds(live_db) -> list[int]:
    """GAMES games of BOTS bot teams, each with round 1 closed (due for processing)."""
    with live_db.app.app_context():
        session = db.session
        teacher = make_user(session, "teacher@example.edu", "instructor")
        ids = []
        for i in range(GAMES):
            game = make_game(session, teacher, title=f"Game {i}", bot_count=BOTS, seed=100 + i)
            first = round_no(session, game, 1)
            schedule_service.open_round(session, game, first)
            schedule_service.close_round(session, first)
            ids.append(first.id)
        return ids


def stored(live_db, round_ids):
    with live_db.app.app_context():
        s = db.session
        rounds = {r.id: (r.status, r.process_count) for r in s.scalars(select(Round))}
        rows = {
            rid: [
                (r.team_id, r.result, r.end_state, r.rank, r.score)
                for r in s.scalars(
                    select(RoundResult)
                    .where(RoundResult.round_id == rid)
                    .order_by(RoundResult.team_id)
                )
            ]
            for rid in round_ids
        }
        s.remove()
    return {rid: rounds[rid] for rid in round_ids}, rows


def recomputed(live_db, round_id):
    """The round's results computed again from its inputs, as an uninterrupted run would."""
    with live_db.app.app_context():
        computed = rounds_service.compute_round(
            rounds_service.load_round_inputs(db.session, round_id)
        )
        db.session.remove()
    return [
        (row["team_id"], row["result"], row["end_state"], row["rank"], row["score"])
        for row in computed.rows
    ]


def published_count(live_db, round_ids) -> int:
    with live_db.app.app_context():
        n = db.session.scalar(
            select(func.count(Round.id)).where(Round.id.in_(round_ids), Round.status == "published")
        )
        db.session.remove()
    return int(n or 0)


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)
def test_workers_share_due_rounds_and_a_killed_one_loses_nothing(live_db, backend):
    round_ids = due_rounds(live_db)
    live_db.dispose()
    # Publishing workers (--no-explain): the explanations are not what this test is about
    # (tests/services/test_explanation_claims.py shares them between workers).
    loop = ("tick", "--loop", "--interval", "0.2", "--lease-seconds", LEASE_S, "--no-explain")
    a = live_db.flask(*loop, pause_at="publish")
    b = None
    try:
        wait_for(a, "paused at publish", timeout=120)
        b = live_db.flask(*loop)
        time.sleep(0.5)  # B at work beside A, which holds its transaction open
        a.kill()  # SIGKILL inside the publishing transaction
        a.wait()
        deadline = time.monotonic() + 180
        while published_count(live_db, round_ids) < GAMES and time.monotonic() < deadline:
            assert b.poll() is None, b.stderr.read()
            time.sleep(0.3)
        b.terminate()  # SIGTERM: the loop ends after the round in hand
        out, err = b.communicate(timeout=60)
        assert b.returncode == 0, err
    finally:
        for proc in (a, b):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc is not None:
                for stream in (proc.stdout, proc.stderr):
                    if stream and not stream.closed:
                        stream.close()

    states, rows = stored(live_db, round_ids)
    assert sorted(status for status, _ in states.values()) == ["published"] * GAMES
    claims = sorted(count for _, count in states.values())
    assert claims == [1] * (GAMES - 1) + [2]  # A's round: claimed by A, then by B
    for rid in round_ids:
        assert len(rows[rid]) == BOTS
        assert rows[rid] == recomputed(live_db, rid)
