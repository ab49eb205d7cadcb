"""Compliance on the web: buying certificates on the decision page (errors on their box,
unknown ids refused), the warning for a listing that lacks one, incidents on the results
page, the data lab's compliance tab (a student sees only the own team) and its export."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.engine import verify
from simshop.engine.decisions import DecisionErrors
from simshop.models import Decision, Game, RoundResult, Team, User
from simshop.services import bundles
from simshop.services import decisions as decisions_service
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from simshop.services.round_state import team_state_before
from tests.reliability.gamekit import csrf_from, enrol, make_game, make_user, round_no, team_named

pytestmark = pytest.mark.both_backends

SCENARIO = "eu-compliance-2025.toml"


def us_sheet(certificates=(), enter=True) -> dict:
    sheet = {
        "offers": {
            "US": {
                "earbuds": {
                    "listed": True,
                    "price_local": 34.99,
                    "ad_budget_cny": 2000.0,
                    "channel": "warehouse",
                }
            }
        },
        "factory_orders": {"earbuds": 300},
        "shipments": [{"product": "earbuds", "market": "US", "mode": "air", "quantity": 300}],
    }
    if enter:
        sheet["enter_markets"] = ["US"]
    if certificates:
        sheet["certificates"] = list(certificates)
    return sheet


def build(app, *, played: int = 0):
    """A game of eu-compliance-2025 with Alpha (s001) and Beta (s002) and one bot; rounds
    1..``played`` published (Alpha lists earbuds in the US and buys FCC in round 1), the next
    round open."""
    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        game = make_game(db.session, teacher, scenario_file=SCENARIO, bot_count=1)
        alice, bob = make_user(db.session, "s001"), make_user(db.session, "s002")
        enrol(db.session, game, alice, "Alpha")
        enrol(db.session, game, bob, "Beta")
        alpha = team_named(db.session, game, "Alpha")
        for n in range(1, played + 1):
            rnd = round_no(db.session, game, n)
            schedule_service.open_round(db.session, game, rnd)
            sheet = us_sheet(certificates=["us-fcc"] if n == 1 else (), enter=n == 1)
            decisions_service.submit_decision(db.session, alice, alpha, rnd, sheet)
            schedule_service.close_round(db.session, rnd)
            assert rounds_service.process_round(db.session, rnd.id, explain=False).published
        schedule_service.open_round(db.session, game, round_no(db.session, game, played + 1))
        beta = team_named(db.session, game, "Beta")
        return {"game": game.id, "alpha": alpha.id, "beta": beta.id}


def login(app, name):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={"login": name, "password": "plum orchard seventeen", "csrf_token": csrf_from(page)},
    )
    return client


def save(client, url, form):
    html = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d*)"', html).group(1)
    return client.post(url, data={"csrf_token": csrf_from(html), "version": version, **form})


FORM = {
    "market.US": "y",
    "offers.US.earbuds.listed": "y",
    "offers.US.earbuds.price_local": "34.99",
    "offers.US.earbuds.ad_budget_cny": "2000",
    "offers.US.earbuds.channel": "warehouse",
    "factory_orders.earbuds": "300",
    "ship.US.earbuds.air": "300",
}


def saved_payload(app):
    with app.app_context():
        return db.session.scalar(select(Decision)).payload


def test_the_decision_page_lists_each_requirement_with_cost_time_fee_and_status(app):
    ids = build(app)
    html = login(app, "s001").get(f"/games/{ids['game']}/decisions").get_data(as_text=True)
    row = re.search(r'<tr id="requirement-us-fcc".*?</tr>', html, flags=re.S).group(0)
    assert "FCC equipment authorization" in row and "United States" in row
    assert "¥25,000" in row and ">2<" in row  # cost and rounds to obtain
    assert "Missing" in row and 'name="certificates.us-fcc"' in row
    gpsr = re.search(r'<tr id="requirement-eu-gpsr".*?</tr>', html, flags=re.S).group(0)
    assert "from round 2" in gpsr  # announced, not yet in force
    assert 'id="compliance-warnings"' not in html  # nothing listed yet


def test_buying_a_certificate_saves_it_and_a_listing_without_one_is_warned(app):
    ids = build(app)
    client = login(app, "s001")
    url = f"/games/{ids['game']}/decisions"
    assert save(client, url, FORM).status_code == 302
    html = client.get(url).get_data(as_text=True)
    warning = re.search(r'id="compliance-warnings".*?</div>', html, flags=re.S).group(0)
    assert "Wireless earbuds listed in United States without “FCC equipment authorization”" in (
        warning
    )
    assert save(client, url, {**FORM, "certificates.us-fcc": "y"}).status_code == 302
    assert saved_payload(app)["certificates"] == ["us-fcc"]
    html = client.get(url).get_data(as_text=True)
    assert re.search(r'name="certificates.us-fcc"[^>]*checked', html)
    assert "FCC equipment authorization”: it may be found" in html  # obtaining takes 2 rounds


def test_an_unknown_certificate_is_ignored_by_the_form_and_refused_by_the_service(app):
    ids = build(app)
    client = login(app, "s001")
    url = f"/games/{ids['game']}/decisions"
    assert save(client, url, {**FORM, "certificates.no-such-thing": "y"}).status_code == 302
    assert "certificates" not in saved_payload(app)
    with app.app_context():
        game = db.session.get(Game, ids["game"])
        alice = db.session.scalar(select(User).where(User.login == "s001"))
        alpha = db.session.get(Team, ids["alpha"])
        rnd = round_no(db.session, game, 1)
        with pytest.raises(DecisionErrors) as exc:
            decisions_service.submit_decision(
                db.session, alice, alpha, rnd, us_sheet(certificates=["no-such-thing"])
            )
    assert [(i.loc, i.code) for i in exc.value.issues] == [
        (("certificates", 0), "unknown_requirement")
    ]


def test_a_certificate_being_obtained_cannot_be_bought_again_and_the_error_is_on_its_box(app):
    ids = build(app, played=1)
    client = login(app, "s001")
    url = f"/games/{ids['game']}/decisions"
    html = client.get(url).get_data(as_text=True)
    row = re.search(r'<tr id="requirement-us-fcc".*?</tr>', html, flags=re.S).group(0)
    assert "Being obtained" in row and "ready in round 3" in row
    assert 'name="certificates.us-fcc"' not in row  # nothing to buy
    form = {k: v for k, v in FORM.items() if k != "market.US"}
    response = save(client, url, {**form, "certificates.us-fcc": "y"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = re.search(r'id="d-certificates-us-fcc-errors">(.*?)</ul>', page, flags=re.S)
    assert "already holds FCC equipment authorization or is obtaining it" in errors.group(1)


def test_results_show_the_compliance_lines_of_the_pnl(app):
    ids = build(app, played=1)
    html = login(app, "s001").get(f"/games/{ids['game']}/results/1").get_data(as_text=True)
    assert "Compliance (certificates and fees)" in html and "¥25,000" in html
    assert "Compliance penalties (fines and removals)" in html


def plant_incidents(app, ids):
    """Give each of Alpha's and Beta's stored results one incident."""
    rows = {
        "alpha": {
            "market": "US",
            "product": "earbuds",
            "requirement": "us-fcc",
            "day": 4,
            "kind": "delisted",
            "units_stranded": 120,
            "cost_cny": 840.0,
        },
        "beta": {
            "market": "EU",
            "product": "toy-blocks",
            "requirement": "eu-ce",
            "day": 9,
            "kind": "fine",
            "units_stranded": 0,
            "cost_cny": 20000.0,
        },
    }
    with app.app_context():
        for name, row in rows.items():
            for rr in db.session.scalars(
                select(RoundResult).where(RoundResult.team_id == ids[name])
            ):
                rr.result = {**rr.result, "compliance": [row]}
        db.session.commit()


def test_the_lab_tab_shows_the_own_teams_incidents_only(app):
    ids = build(app, played=1)
    plant_incidents(app, ids)
    client = login(app, "s001")
    page = client.get(f"/games/{ids['game']}/lab/compliance")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    incidents = re.search(r'id="incidents".*?</section>', html, flags=re.S).group(0)
    assert "FCC equipment authorization" in incidents and "¥840" in incidents
    assert "CE marking" not in incidents and "¥20,000" not in incidents
    assert re.search(r'id="incident-count">1<', html)
    assert "FCC equipment authorization · United States · held from round 3" in html
    other = client.get(f"/games/{ids['game']}/lab/teams/{ids['beta']}/compliance")
    assert other.status_code in (403, 404)
    csv_text = client.get(f"/games/{ids['game']}/lab/export/compliance.csv").get_data(as_text=True)
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("round_number,scenario_round,is_practice,team_id,team_name,market")
    assert len(lines) == 2 and ",us-fcc,4,delisted,120,840.0,0.0" in lines[1]


def test_staff_see_any_teams_compliance(app):
    ids = build(app, played=1)
    plant_incidents(app, ids)
    client = login(app, "teacher@example.edu")
    html = client.get(f"/games/{ids['game']}/lab/teams/{ids['beta']}/compliance").get_data(
        as_text=True
    )
    assert "CE marking and declaration of conformity" in html and "¥20,000" in html


def test_a_scenario_without_compliance_says_so_on_the_tab(app):
    with app.app_context():
        teacher = make_user(db.session, "teacher@example.edu", "instructor")
        game = make_game(db.session, teacher)
        enrol(db.session, game, make_user(db.session, "s001"), "Alpha")
        game_id = game.id
    html = login(app, "s001").get(f"/games/{game_id}/lab/compliance").get_data(as_text=True)
    assert 'id="no-compliance"' in html


def test_team_state_before_the_next_round_holds_the_certificate(app):
    ids = build(app, played=1)
    with app.app_context():
        game = db.session.get(Game, ids["game"])
        state = team_state_before(
            db.session, game, round_no(db.session, game, 2), db.session.get(Team, ids["alpha"])
        )
    assert state.certificates == {"us-fcc": 3}


def test_the_what_if_replay_keeps_the_certificates_the_team_bought(app):
    ids = build(app, played=1)
    html = login(app, "s001").get(f"/games/{ids['game']}/lab/whatif/1").get_data(as_text=True)
    assert re.search(r'name="certificates.us-fcc"[^>]*checked', html)


def test_the_plan_counts_the_certificates_in_the_cash_spent_at_the_start(app):
    ids = build(app)
    client = login(app, "s001")
    html = client.get(f"/games/{ids['game']}/decisions").get_data(as_text=True)
    response = client.post(
        f"/games/{ids['game']}/decisions",
        data={
            "csrf_token": csrf_from(html),
            "version": "0",
            "action": "plan",
            **FORM,
            "certificates.us-fcc": "y",
        },
    )
    cash = re.search(r'id="plan-cash">(.*?)</table>', response.get_data(as_text=True), re.S)
    assert re.search(r"− Certificates</th><td>CN¥25,000</td>", cash.group(1))


def test_a_compliance_games_results_bundle_verifies_clean(app):
    ids = build(app, played=2)
    with app.app_context():
        data = json.loads(
            bundles.dumps(bundles.game_bundle(db.session, db.session.get(Game, ids["game"])))
        )
    report = verify.verify_bundle(data)
    assert report.mismatches == []
    assert (report.rounds, report.team_rounds) == (2, 6)


def test_the_dashboard_stacks_the_compliance_costs_with_the_others(app):
    ids = build(app, played=1)
    html = login(app, "s001").get(f"/games/{ids['game']}/lab/dashboard").get_data(as_text=True)
    row = re.search(r"<th scope=\"row\">Compliance \(certificates and fees\)</th>(.*?)</tr>", html)
    assert row and "CN¥25,000" in row.group(1)


def test_the_debrief_names_a_teams_compliance_incidents(app):
    ids = build(app, played=2)
    plant_incidents(app, ids)
    client = login(app, "teacher@example.edu")
    html = client.get(f"/games/{ids['game']}/lab/debrief/2").get_data(as_text=True)
    assert "had 1 compliance incident, penalties" in html


def test_the_compliance_section_reads_in_chinese(app):
    ids = build(app, played=1)
    client = login(app, "s001")
    headers = {"Accept-Language": "zh-CN"}
    html = client.get(f"/games/{ids['game']}/decisions", headers=headers).get_data(as_text=True)
    section = re.search(
        r'<fieldset class="card dsection" id="compliance">.*?</fieldset>', html, re.S
    )
    assert "合规与认证" in section.group(0) and "FCC 认证" in section.group(0)
    assert "办理中" in section.group(0) and "第 3 回合办妥" in section.group(0)
    lab = client.get(f"/games/{ids['game']}/lab/compliance", headers=headers).get_data(as_text=True)
    assert "自第 3 回合起持有" in lab


def test_the_lab_tab_and_its_export_show_the_stock_written_off(app):
    ids = build(app, played=1)
    with app.app_context():
        rr = db.session.scalar(select(RoundResult).where(RoundResult.team_id == ids["alpha"]))
        row = {
            "market": "US",
            "product": "earbuds",
            "requirement": "us-fcc",
            "day": 4,
            "kind": "delisted",
            "units_stranded": 120,
            "cost_cny": 840.0,
            "written_off_cny": 5400.0,
        }
        pnl = {**rr.result["pnl"], "stock_written_off_cny": 5400.0}
        rr.result = {**rr.result, "compliance": [row], "pnl": pnl}
        db.session.commit()
    client = login(app, "s001")
    html = client.get(f"/games/{ids['game']}/lab/compliance").get_data(as_text=True)
    assert re.search(r'id="written-off-total">CN¥5,400<', html)
    incidents = re.search(r'id="incidents".*?</section>', html, flags=re.S).group(0)
    assert "Stock written off (CN¥)" in incidents and "CN¥5,400" in incidents
    results = client.get(f"/games/{ids['game']}/results/1").get_data(as_text=True)
    assert "Stock written off (destroyed)" in results
    csv_text = client.get(f"/games/{ids['game']}/lab/export/compliance.csv").get_data(as_text=True)
    header, first = csv_text.lstrip("\ufeff").splitlines()[:2]
    values = dict(zip(header.split(","), first.split(","), strict=True))
    assert (values["cost_cny"], values["written_off_cny"]) == ("840.0", "5400.0")
