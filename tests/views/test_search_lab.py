"""The data lab's "Search terms" tab and its exports: a student sees only their own team's
funnel, staff see every team's, user text is escaped on the page and neutralised in files."""

from __future__ import annotations

import csv
import io

import pytest

from simshop.db import db
from simshop.models import Game
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import make_user, round_no
from tests.services.test_search_report import EVIL_TITLE, build_search_world

pytestmark = pytest.mark.both_backends


def build_world_with_outsiders(app):
    ids = build_search_world(app)
    with app.app_context():
        make_user(db.session, "other@example.edu", "instructor")
    return ids


@pytest.fixture
def seeded(seeded_app):
    return seeded_app("search-lab-world", build_world_with_outsiders)


@pytest.fixture
def app(seeded):
    return seeded[0]


@pytest.fixture
def world(seeded):
    return seeded[1]


def page(client, world, query=""):
    return client.get(f"/games/{world['game']}/lab/search-terms{query}")


def test_a_student_sees_their_own_funnel_and_the_public_research(client, auth, world):
    auth.login("s001")
    response = page(client, world)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="offer-{world["alpha"]}-US-earbuds"' in html
    assert f'id="offer-{world["beta"]}-US-earbuds"' not in html
    assert "2,000" in html and "20,000" not in html  # Alpha's impressions, not Beta's
    assert 'id="research-US-earbuds"' in html and "24,000" in html
    assert html.count("<svg") >= 3  # clicks/orders, ACoS, searches by round
    assert "Beta" not in html


def test_the_round_can_be_chosen(client, auth, world):
    auth.login("s001")
    html = page(client, world, "?round=1").get_data(as_text=True)
    assert "1,000" in html and "2,000" not in html.split('id="research"')[0]


def test_staff_see_every_team_with_real_names(client, auth, world):
    auth.login("teacher@example.edu")
    html = page(client, world).get_data(as_text=True)
    assert f'id="offer-{world["alpha"]}-US-earbuds"' in html
    assert f'id="offer-{world["beta"]}-US-earbuds"' in html
    assert "Alpha" in html and "Beta" in html


def test_other_instructors_and_anonymous_visitors_are_kept_out(client, auth, world):
    assert page(client, world).status_code == 302
    auth.login("other@example.edu")
    assert page(client, world).status_code == 404


@pytest.mark.parametrize(("language", "heading"), [("en", "Search terms"), ("zh-CN", "搜索词")])
def test_the_tab_is_translated(client, auth, world, language, heading):
    auth.login("s001")
    html = client.get(
        f"/games/{world['game']}/lab/search-terms", headers={"Accept-Language": language}
    ).get_data(as_text=True)
    assert f'<h1 class="page-header__title">{heading}</h1>' in html


def test_the_students_csv_holds_their_rows_and_neutralised_titles(client, auth, world):
    auth.login("s001")
    terms = client.get(f"/games/{world['game']}/lab/export/search_terms.csv")
    rows = list(csv.reader(io.StringIO(terms.data.decode("utf-8-sig"))))
    assert {r[rows[0].index("team_id")] for r in rows[1:]} == {str(world["alpha"])}
    listings = client.get(f"/games/{world['game']}/lab/export/listings.csv")
    rows = list(csv.reader(io.StringIO(listings.data.decode("utf-8-sig"))))
    titles = [r[rows[0].index("title")] for r in rows[1:]]
    assert titles == ["'" + EVIL_TITLE, "'" + EVIL_TITLE]


def test_the_xlsx_export_has_the_search_sheets(client, auth, world):
    from openpyxl import load_workbook

    auth.login("s001")
    data = client.get(f"/games/{world['game']}/lab/export.xlsx").data
    book = load_workbook(io.BytesIO(data))
    assert {"search_terms", "search_research", "listings"} <= set(book.sheetnames)
    assert book["listings"]["H2"].value == "'" + EVIL_TITLE


def test_staff_download_every_teams_funnel(client, auth, world):
    auth.login("teacher@example.edu")
    data = client.get(f"/games/{world['game']}/lab/game-export/search_terms.csv").data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    teams = {r[rows[0].index("team_id")] for r in rows[1:]}
    assert teams == {str(t) for t in (world["alpha"], world["beta"], *world["bots"])}


def test_the_campaign_table_shows_last_rounds_results_and_the_volume_band(app, client, auth, world):
    with app.app_context():
        game = db.session.get(Game, world["game"])
        schedule_service.open_round(db.session, game, round_no(db.session, game, 3))
    auth.login("s001")
    html = client.get(f"/games/{world['game']}/decisions").get_data(as_text=True)
    table = html.split('id="campaigns-US-earbuds"', 1)[1].split("</table>", 1)[0]
    head_row = table.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "10,000–100,000" in head_row  # 24,000 searches in round 2's research
    assert ">0.80<" in head_row  # the market's average cost per click
    assert ">2,000<" in head_row and ">8<" in head_row  # impressions and clicks
    assert ">3.00<" in head_row and "25.0%" in head_row  # ad spend and ACoS
    assert "Last round's listing score: 62.0" in html


def test_the_what_if_form_holds_the_listing_played_escaped(client, auth, world):
    auth.login("s001")
    html = client.get(f"/games/{world['game']}/lab/whatif/2").get_data(as_text=True)
    assert 'name="offers.US.earbuds.listing.title"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_staff_can_look_at_one_team_with_its_charts(client, auth, world):
    auth.login("teacher@example.edu")
    html = page(client, world, f"?team={world['beta']}").get_data(as_text=True)
    assert f'id="offer-{world["beta"]}-US-earbuds"' in html
    assert f'id="offer-{world["alpha"]}-US-earbuds"' not in html
    assert html.count("<svg") >= 3
    assert page(client, world, "?team=999999").status_code == 404
    assert page(client, world, "?team=abc").status_code == 404


def test_a_student_cannot_pick_another_team(client, auth, world):
    auth.login("s001")
    html = page(client, world, f"?team={world['beta']}").get_data(as_text=True)
    assert f'id="offer-{world["alpha"]}-US-earbuds"' in html
    assert f'id="offer-{world["beta"]}-US-earbuds"' not in html
    assert 'id="team-filter"' not in html
