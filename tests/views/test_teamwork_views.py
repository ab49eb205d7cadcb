"""Memo and peer evaluation pages: what each student and the staff may see and do."""

from __future__ import annotations

import html
import re

import pytest

from simshop.db import db
from simshop.models import Game
from simshop.services import memos as memos_service
from simshop.services import peer as peer_service
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import enrol, make_game, make_user, round_no

SECRET_PLAN = "Our secret plan: undercut Alpha in the US"


@pytest.fixture
def world(app):
    """Alpha (ann, ben), Beta (cai), Gamma (dai); round 1 open; ids by name."""
    with app.app_context():
        session = db.session
        teacher = make_user(session, "teacher@example.edu", "instructor")
        game = make_game(session, teacher, team_max_size=3)
        players = {}
        for name, team in (("ann", "Alpha"), ("ben", "Alpha"), ("cai", "Beta"), ("dai", "Gamma")):
            players[name] = enrol(session, game, make_user(session, name), team)
        schedule_service.open_round(session, game, round_no(session, game, 1))
        return {
            "game": game.id,
            **{name: p.user_id for name, p in players.items()},
            **{f"{name}_team": p.team_id for name, p in players.items()},
        }


def text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def write(submit, game_id: int, body: str, **headers):
    return submit(f"/games/{game_id}/memos", {"kind": "strategy", "body": body}, headers=headers)


def test_a_student_writes_the_team_memo_and_sees_it_escaped(client, auth, submit, world):
    auth.login("ann")
    body = "<script>alert(1)</script>\r\nUS first & then EU"
    response = write(submit, world["game"], body)
    assert response.status_code == 302
    page = client.get(f"/games/{world['game']}/memos").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_a_memo_over_the_limit_is_refused_in_english_and_in_chinese(client, auth, submit, world):
    auth.login("ann")
    long_body = "x" * 5001
    english = write(submit, world["game"], long_body)
    assert english.status_code == 400
    assert (
        "A memo may have at most 5000 characters; this one has 5001. Shorten it and save again."
        in text(english)
    )
    chinese = write(submit, world["game"], long_body, **{"Accept-Language": "zh-CN"})
    assert chinese.status_code == 400
    assert "备忘录最多 5000 个字符，当前为 5001 个。请删减后再保存。" in text(chinese)


def test_a_team_never_sees_another_teams_memo_unless_assigned_to_review_it(
    app, client, auth, submit, world
):
    with app.app_context():
        game = db.session.get(Game, world["game"])
        memos_service.add_criterion(db.session, game, "Analysis", 5)
    auth.login("cai")
    write(submit, world["game"], SECRET_PLAN)
    auth.logout()
    auth.login("ann")
    write(submit, world["game"], "Alpha's plan")
    assert SECRET_PLAN not in text(client.get(f"/games/{world['game']}/memos"))
    auth.logout()
    auth.login("dai")
    write(submit, world["game"], "Gamma's plan")
    auth.logout()
    with app.app_context():
        game = db.session.get(Game, world["game"])
        assert memos_service.assign_peer_reviews(db.session, game, "strategy") == 6
    auth.login("ann")
    page = text(client.get(f"/games/{world['game']}/memos"))
    # Alpha reviews both other memos, anonymously.
    assert SECRET_PLAN in page and "Gamma's plan" in page
    assert "Memo A" in page and "Memo B" in page
    assert "Beta" not in page and "cai" not in page.lower().split()


def test_a_review_not_assigned_to_the_team_is_404(app, client, auth, submit, world):
    with app.app_context():
        game = db.session.get(Game, world["game"])
        memos_service.add_criterion(db.session, game, "Analysis", 5)
    for name in ("ann", "cai", "dai"):
        auth.login(name)
        write(submit, world["game"], f"Plan of {name}")
        auth.logout()
    with app.app_context():
        game = db.session.get(Game, world["game"])
        memos_service.assign_peer_reviews(db.session, game, "strategy")
        beta = db.session.get(type(game.teams[0]), world["cai_team"])
        foreign = memos_service.assignments_for(db.session, beta)[0].review.id
    auth.login("ann")
    response = submit(
        f"/games/{world['game']}/memos/reviews/{foreign}", {}, page=f"/games/{world['game']}/memos"
    )
    assert response.status_code == 404


def publish_round_1(app, world):
    with app.app_context():
        game = db.session.get(Game, world["game"])
        first = round_no(db.session, game, 1)
        schedule_service.close_round(db.session, first)
        rounds_service.process_round(db.session, first.id)
        return peer_service.create_evaluation(db.session, game, 1, ["contribution"], True).id


def test_students_rate_teammates_and_never_see_others_ratings(app, client, auth, submit, world):
    evaluation = publish_round_1(app, world)
    auth.login("ann")
    page = f"/games/{world['game']}/peer"
    response = submit(
        f"/games/{world['game']}/peer/{evaluation}",
        {f"r{world['ann']}_contribution": "5", f"r{world['ben']}_contribution": "2"},
        page=page,
    )
    assert response.status_code == 302
    own = client.get(page).get_data(as_text=True)
    assert re.search(
        rf'name="r{world["ben"]}_contribution">.*?<option selected value="2">', own, re.S
    )
    auth.logout()
    auth.login("ben")
    theirs = client.get(page).get_data(as_text=True)
    # ben sees an empty sheet, never ann's marks
    assert re.findall(r'<option selected value="([^"]*)">', theirs) == ["", ""]


def test_a_missing_rating_is_a_located_error(app, client, auth, submit, world):
    evaluation = publish_round_1(app, world)
    auth.login("ann")
    response = submit(
        f"/games/{world['game']}/peer/{evaluation}",
        {f"r{world['ann']}_contribution": "4"},
        page=f"/games/{world['game']}/peer",
    )
    assert response.status_code == 400
    assert "Rate every item from 1 to 5." in text(response)


def test_staff_see_factors_and_flags_students_do_not(app, client, auth, submit, world):
    evaluation = publish_round_1(app, world)
    auth.login("ann")
    submit(
        f"/games/{world['game']}/peer/{evaluation}",
        {f"r{world['ann']}_contribution": "5", f"r{world['ben']}_contribution": "3"},
        page=f"/games/{world['game']}/peer",
    )
    auth.logout()
    auth.login("ben")
    submit(
        f"/games/{world['game']}/peer/{evaluation}",
        {f"r{world['ann']}_contribution": "3", f"r{world['ben']}_contribution": "3"},
        page=f"/games/{world['game']}/peer",
    )
    assert client.get(f"/games/{world['game']}/assessment").status_code == 403
    auth.logout()
    auth.login("teacher@example.edu")
    page = text(client.get(f"/games/{world['game']}/assessment"))
    assert "Ann rated themselves 5.0; teammates gave 3.0." in page
    assert "Alpha Ann 1 3.00 1.00" in page


def test_staff_score_a_memo_with_their_rubric(app, client, auth, submit, world):
    auth.login("cai")
    write(submit, world["game"], "=cmd|' /C calc'!A0")
    auth.logout()
    auth.login("teacher@example.edu")
    staff = f"/games/{world['game']}/assessment"
    assert submit(f"{staff}/criteria", {"label": "Analysis", "max_points": "8"}).status_code == 302
    bad = submit(f"{staff}/criteria", {"label": "Depth", "max_points": "0"}, page=staff)
    assert bad.status_code == 400 and "Enter 1 to 100." in text(bad)
    with app.app_context():
        game = db.session.get(Game, world["game"])
        memo_id = memos_service.memos_of_game(db.session, game)[0][0].id
        criterion_id = memos_service.criteria(db.session, game)[0].id
    response = submit(
        f"{staff}/memos/{memo_id}/score", {f"memo{memo_id}-c{criterion_id}": "6"}, page=staff
    )
    assert response.status_code == 302
    with app.app_context():
        game = db.session.get(Game, world["game"])
        assert memos_service.memo_scores(db.session, game)[world["cai"]] == 75.0
    csv_text = client.get(f"{staff}/memos.csv").get_data().decode("utf-8-sig")
    assert f"{world['cai_team']},Beta,strategy,75.0," in csv_text
    assert "'=cmd|' /C calc'!A0" in csv_text


def test_a_rating_out_of_range_is_refused_in_the_students_language(
    app, client, auth, submit, world
):
    evaluation = publish_round_1(app, world)
    auth.login("ann")
    response = submit(
        f"/games/{world['game']}/peer/{evaluation}",
        {f"r{world['ann']}_contribution": "9", f"r{world['ben']}_contribution": "²"},
        page=f"/games/{world['game']}/peer",
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 400
    assert "请为每一项打 1 到 5 分。" in text(response)


def test_an_unknown_memo_kind_is_a_bad_request(client, auth, submit, world):
    auth.login("ann")
    response = submit(f"/games/{world['game']}/memos", {"kind": "manifesto", "body": "Plan"})
    assert response.status_code == 400


def test_staff_switch_to_peer_review_and_assign_it(app, client, auth, submit, world):
    for name in ("ann", "cai", "dai"):
        auth.login(name)
        write(submit, world["game"], f"Plan of {name}")
        auth.logout()
    auth.login("teacher@example.edu")
    staff = f"/games/{world['game']}/assessment"
    submit(f"{staff}/criteria", {"label": "Analysis", "max_points": "5"}, page=staff)
    settings = {
        "memo_scoring": "peer",
        "reviews_per_team": "2",
        "peer_factor_min": "0.8",
        "peer_factor_max": "1.1",
    }
    assert submit(f"{staff}/settings", settings, page=staff).status_code == 302
    too_low = submit(f"{staff}/settings", {**settings, "peer_factor_min": "0.2"}, page=staff)
    assert too_low.status_code == 400
    assert "The lowest peer factor must be from 0.50 to 1.00." in text(too_low)
    response = submit(f"{staff}/reviews/strategy", page=staff, follow_redirects=True)
    assert "6 peer reviews assigned." in text(response)
    again = submit(f"{staff}/reviews/strategy", page=staff, follow_redirects=True)
    assert "Peer reviews of these memos are already assigned." in text(again)
