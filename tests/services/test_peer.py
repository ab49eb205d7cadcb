"""Peer evaluation: ratings of teammates become a clipped individual factor; self-inflation
and outliers are flagged for the instructor."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from simshop.models import PeerRating
from simshop.services import peer
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from simshop.services.teamwork import AssessmentError, save_settings
from tests.reliability.gamekit import enrol, make_game, make_user, round_no

pytestmark = pytest.mark.both_backends


@pytest.fixture
def game(session):
    teacher = make_user(session, "teacher@example.edu", "instructor")
    return make_game(session, teacher, team_max_size=4)


@pytest.fixture
def alpha(session, game):
    """Team Alpha: ann, ben, cai; round 1 published."""
    players = {
        name: enrol(session, game, make_user(session, name), "Alpha")
        for name in ("ann", "ben", "cai")
    }
    first = round_no(session, game, 1)
    schedule_service.open_round(session, game, first)
    schedule_service.close_round(session, first)
    rounds_service.process_round(session, first.id)
    return players


def rate(session, evaluation, players, rater, marks: dict[str, int]):
    """``rater`` gives each named teammate ``marks[name]`` on every item."""
    p = players[rater]
    peer.submit_ratings(
        session,
        evaluation,
        p.user,
        p.team,
        {
            players[name].user_id: dict.fromkeys(evaluation.items, mark)
            for name, mark in marks.items()
        },
    )


def test_the_factor_is_own_mean_over_team_mean_clipped(session, game, alpha):
    evaluation = peer.create_evaluation(session, game, 1, ["contribution", "reliability"], False)
    rate(session, evaluation, alpha, "ann", {"ben": 4, "cai": 2})
    rate(session, evaluation, alpha, "ben", {"ann": 5, "cai": 2})
    rate(session, evaluation, alpha, "cai", {"ann": 5, "ben": 4})
    # own means: ann 5, ben 4, cai 2; team mean 11/3: ann 1.3636 -> 1.1, ben 1.0909, cai 0.8
    assert peer.peer_factors(session, game) == {
        alpha["ann"].user_id: 1.1,
        alpha["ben"].user_id: 1.0909,
        alpha["cai"].user_id: 0.8,
    }
    save_settings(
        session,
        game,
        memo_scoring="instructor",
        reviews_per_team=2,
        peer_factor_min=0.5,
        peer_factor_max=1.5,
    )
    assert peer.peer_factors(session, game)[alpha["ann"].user_id] == 1.3636
    assert peer.peer_factors(session, game)[alpha["cai"].user_id] == 0.5455


def test_students_nobody_rated_keep_factor_one(session, game, alpha):
    peer.create_evaluation(session, game, 1, ["contribution"], False)
    loner = enrol(session, game, make_user(session, "dai"), "Solo")
    factors = peer.peer_factors(session, game)
    assert factors == dict.fromkeys([p.user_id for p in alpha.values()] + [loner.user_id], 1.0)


def test_self_ratings_never_count_but_inflation_is_flagged(session, game, alpha):
    evaluation = peer.create_evaluation(session, game, 1, ["contribution"], True)
    rate(session, evaluation, alpha, "ann", {"ann": 5, "ben": 3, "cai": 3})
    rate(session, evaluation, alpha, "ben", {"ann": 3, "ben": 3, "cai": 3})
    rate(session, evaluation, alpha, "cai", {"ann": 3, "ben": 3, "cai": 3})
    assert set(peer.peer_factors(session, game).values()) == {1.0}
    flags = peer.flags(session, game)
    ann = alpha["ann"].user_id
    assert flags == [peer.Flag("self_inflation", ann, ann, 5.0, 3.0)]


def test_a_rating_far_from_the_others_is_flagged_as_an_outlier(session, game, alpha):
    dai = enrol(session, game, make_user(session, "dai"), "Alpha")
    players = {**alpha, "dai": dai}
    evaluation = peer.create_evaluation(session, game, 1, ["reliability"], False)
    rate(session, evaluation, players, "ann", {"ben": 1, "cai": 4, "dai": 4})
    rate(session, evaluation, players, "cai", {"ann": 4, "ben": 4, "dai": 4})
    rate(session, evaluation, players, "dai", {"ann": 4, "ben": 4, "cai": 4})
    assert peer.flags(session, game) == [
        peer.Flag("outlier", alpha["ann"].user_id, alpha["ben"].user_id, 1.0, 4.0)
    ]


def test_resubmitting_replaces_the_ratings(session, game, alpha):
    evaluation = peer.create_evaluation(session, game, 1, ["contribution"], False)
    rate(session, evaluation, alpha, "ann", {"ben": 2, "cai": 2})
    rate(session, evaluation, alpha, "ann", {"ben": 5, "cai": 3})
    assert session.scalar(select(func.count()).select_from(PeerRating)) == 2
    assert peer.ratings_given(session, evaluation, alpha["ann"].user) == {
        alpha["ben"].user_id: {"contribution": 5},
        alpha["cai"].user_id: {"contribution": 3},
    }


def test_a_missing_or_out_of_range_score_is_refused_naming_the_field(session, game, alpha):
    evaluation = peer.create_evaluation(session, game, 1, ["contribution"], False)
    ann, ben, cai = (alpha[n] for n in ("ann", "ben", "cai"))
    with pytest.raises(AssessmentError) as error:
        peer.submit_ratings(
            session,
            evaluation,
            ann.user,
            ann.team,
            {ben.user_id: {"contribution": 6}, cai.user_id: {"contribution": 3}},
        )
    assert (error.value.code, error.value.field) == ("rating_range", f"r{ben.user_id}_contribution")
    with pytest.raises(AssessmentError) as missing:
        peer.submit_ratings(
            session, evaluation, ann.user, ann.team, {ben.user_id: {"contribution": 3}}
        )
    assert missing.value.field == f"r{cai.user_id}_contribution"
    assert session.scalar(select(func.count()).select_from(PeerRating)) == 0


def test_a_closed_evaluation_or_one_after_an_unpublished_round_is_refused(session, game, alpha):
    later = peer.create_evaluation(session, game, 2, ["contribution"], False)
    ann = alpha["ann"]
    with pytest.raises(AssessmentError) as early:
        rate(session, later, alpha, "ann", {"ben": 3, "cai": 3})
    assert early.value.code == "evaluation_closed"
    now = peer.create_evaluation(session, game, 1, ["contribution"], False)
    peer.set_open(session, game, now.id, False)
    with pytest.raises(AssessmentError) as closed:
        rate(session, now, alpha, "ann", {"ben": 3, "cai": 3})
    assert closed.value.code == "evaluation_closed"
    assert peer.ratings_given(session, now, ann.user) == {}


def test_evaluation_settings_are_checked(session, game):
    with pytest.raises(AssessmentError) as rounds:
        peer.create_evaluation(session, game, 4, ["contribution"], False)
    assert (rounds.value.code, rounds.value.params) == ("after_round_range", {"max": 3})
    with pytest.raises(AssessmentError) as items:
        peer.create_evaluation(session, game, 1, ["charisma"], False)
    assert (items.value.code, items.value.field) == ("items_required", "items")
    with pytest.raises(AssessmentError) as factor:
        save_settings(
            session,
            game,
            memo_scoring="instructor",
            reviews_per_team=2,
            peer_factor_min=1.2,
            peer_factor_max=1.1,
        )
    assert (factor.value.code, factor.value.field) == ("factor_min_range", "peer_factor_min")
