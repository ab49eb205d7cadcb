"""Explaining published rounds with several workers: a claim per round, like the processing
lease, so no two workers compute one round's explanation and every round is explained once
(issue 18, point 5)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from simshop.db import db
from simshop.models import Round, RoundExplanation, TeamExplanation
from simshop.models.user import utcnow
from simshop.services import explanations
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from simshop.services.uow import end_read
from tests.reliability.gamekit import make_game, make_user, round_no

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

GAMES = 4


@pytest.fixture
def published(session) -> list[int]:
    """GAMES games of two bot teams, round 1 of each published without its explanation."""
    teacher = make_user(session, "teacher@example.edu", "instructor")
    ids = []
    for i in range(GAMES):
        game = make_game(session, teacher, title=f"Game {i}", bot_count=2, seed=40 + i)
        first = round_no(session, game, 1)
        schedule_service.open_round(session, game, first)
        schedule_service.close_round(session, first)
        assert rounds_service.process_round(session, first.id, explain=False).published
        ids.append(first.id)
    return ids


@pytest.fixture
def computed(monkeypatch) -> list[int]:
    """The round of every explanation computed, in order (each computation also takes 50 ms,
    so workers started together overlap)."""
    calls: list[int] = []
    lock = threading.Lock()
    real = explanations.compute

    def counting(inputs):
        with lock:
            calls.append(inputs.round_id)
        time.sleep(0.05)
        return real(inputs)

    monkeypatch.setattr(explanations, "compute", counting)
    return calls


def stored(session) -> dict[int, tuple[int, int]]:
    """Per round: (explanation heads, team rows) stored."""
    heads = dict(
        session.execute(
            select(RoundExplanation.round_id, func.count()).group_by(RoundExplanation.round_id)
        ).all()
    )
    rows = dict(
        session.execute(
            select(TeamExplanation.round_id, func.count()).group_by(TeamExplanation.round_id)
        ).all()
    )
    end_read(session)
    return {rid: (heads[rid], rows.get(rid, 0)) for rid in heads}


def test_a_round_another_worker_claimed_is_passed_over_and_not_computed(
    session, published, computed
):
    first, second = published[:2]
    assert explanations.claim_next_explanation(session, "worker-a") == first
    assert explanations.claim_next_explanation(session, "worker-b") == second
    assert explanations.explain_published_round(session, first, "worker-b") is None
    assert computed == []
    assert explanations.explain_published_round(session, first, "worker-a", claimed=True) >= 0
    assert explanations.explain_published_round(session, second, "worker-b", claimed=True) >= 0
    assert computed == [first, second]
    assert stored(session) == {first: (1, 2), second: (1, 2)}
    owners = session.execute(
        select(Round.explain_owner, Round.explain_until).where(Round.id.in_([first, second]))
    ).all()
    assert owners == [(None, None), (None, None)]  # storing released the claims


def test_an_expired_claim_is_taken_over_and_the_late_worker_stores_nothing(session, published):
    first = published[0]
    assert explanations.claim_explanation(session, first, "worker-a")
    assert not explanations.claim_explanation(session, first, "worker-b")
    expired = utcnow() + timedelta(seconds=explanations.EXPLAIN_LEASE_SECONDS + 1)
    assert explanations.claim_explanation(session, first, "worker-b", now=expired)
    inputs = explanations.load_inputs(session, first)
    end_read(session)
    result, context = explanations.compute(inputs)
    assert not explanations.store(session, inputs, result, context, 1, "worker-a")
    assert stored(session) == {}
    assert explanations.store(session, inputs, result, context, 1, "worker-b")
    assert stored(session) == {first: (1, 2)}
    assert not explanations.claim_explanation(session, first, "worker-c", now=expired)


def test_a_worker_that_failed_gives_its_claim_up_for_the_next_tick(session, published, monkeypatch):
    first = published[0]

    def broken(inputs):
        raise RuntimeError("replay crashed")

    monkeypatch.setattr(explanations, "compute", broken)
    with pytest.raises(RuntimeError, match="replay crashed"):
        explanations.explain_published_round(session, first, "worker-a")
    monkeypatch.undo()
    assert explanations.explain_pending(session, "worker-b") == published
    assert stored(session) == {rid: (1, 2) for rid in published}


def test_workers_explaining_at_once_compute_every_round_exactly_once(app, published, computed):
    workers = 3
    start = threading.Barrier(workers)
    done: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with app.app_context():
                start.wait()
                done[name] = explanations.explain_pending(db.session, name)
                db.session.remove()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(computed) == published
    assert sorted(rid for rids in done.values() for rid in rids) == published
    with app.app_context():
        assert stored(db.session) == {rid: (1, 2) for rid in published}
        assert explanations.explain_pending(db.session, "worker-late") == []


def test_no_explain_workers_only_publish_and_a_plain_tick_explains_after(session, runner):
    """``tick --no-explain`` and ``process-round --no-explain``: publishing workers that
    leave every explanation to a tick without the flag (many games due at once)."""
    teacher = make_user(session, "teacher@example.edu", "instructor")
    closed = []
    for i in range(3):
        game = make_game(session, teacher, title=f"Game {i}", bot_count=2, seed=60 + i)
        first = round_no(session, game, 1)
        schedule_service.open_round(session, game, first)
        schedule_service.close_round(session, first)
        closed.append(first.id)
    end_read(session)

    def explained() -> int:
        count = session.scalar(select(func.count(RoundExplanation.id)))
        end_read(session)
        return int(count or 0)

    one = runner.invoke(args=["process-round", str(closed[0]), "--no-explain"])
    assert one.exit_code == 0, one.output
    assert "published" in one.output
    rest = runner.invoke(args=["tick", "--no-explain"])
    assert rest.exit_code == 0, rest.output
    assert f"processed 2 {closed[1:]}" in rest.output
    assert "explained []" in rest.output
    assert explained() == 0
    statuses = session.scalars(select(Round.status).where(Round.id.in_(closed))).all()
    assert sorted(statuses) == ["published"] * 3
    end_read(session)

    plain = runner.invoke(args=["tick"])
    assert plain.exit_code == 0, plain.output
    assert f"explained {sorted(closed)}" in plain.output
    assert explained() == 3
