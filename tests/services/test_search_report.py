"""The search-term report: a team reads only its own funnel rows, staff read every team's,
research is the published market statistics, and derived rates are None (not 0) when their
denominator is zero. Funnel rows are written into the stored results by hand, in the
engine's contract shape (engine/results.py ``search``, ``listings``, ``search_terms``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.models import Game, Round, RoundResult, Team
from simshop.services import exports, search_report
from simshop.services.analysis import published_rounds
from simshop.services.games import game_scenario
from tests.services.test_analysis import build_world

pytestmark = pytest.mark.both_backends

EVIL_TITLE = '=HYPERLINK("http://x")<script>alert(1)</script> "耳机" 🎧'
DESCRIPTION = "Line one\nLine two: 中文 & <b>bold</b>"


def funnel_row(term: str, scale: int, **extra) -> dict:
    """One ``search`` row of the engine contract (US earbuds), ``scale`` times a base."""
    row = {
        "market": "US",
        "product": "earbuds",
        "term": term,
        "impressions": 1000 * scale,
        "clicks": 4 * scale,
        "orders": scale,
        "ad_impressions": 300 * scale,
        "ad_clicks": 2 * scale,
        "ad_orders": scale,
        "ad_spend_local": 1.5 * scale,
        "ad_spend_cny": 10.8 * scale,
        "ad_sales_local": 6.0 * scale,
        "ad_sales_cny": 43.2 * scale,
        "avg_cpc_local": 0.75,
        "avg_organic_position": 3.5,
        "top_of_search_share": 0.25,
    }
    row.update(extra)
    return row


def head_term(game: Game) -> str:
    """The first search term of the scenario's earbuds (a real term, so the decision form's
    campaign table shows its row); the second term of the rows is one the scenario lacks."""
    return game_scenario(game).product("earbuds").terms()[0].id


def add_funnel(session, game: Game, alpha: Team, beta: Team) -> None:
    """Alpha and Beta get funnel rows (Beta's are ten times Alpha's) in every published
    round; Alpha played a listing and a campaign on the product's head term (its first in
    the scenario); each round publishes research on two terms."""
    head = head_term(game)
    for rnd in published_rounds(session, game):
        n = rnd.number
        for team, scale in ((alpha, n), (beta, 10 * n)):
            rr = session.scalar(
                select(RoundResult).where(
                    RoundResult.round_id == rnd.id, RoundResult.team_id == team.id
                )
            )
            rows = [
                funnel_row(head, scale),
                funnel_row(
                    "earbuds-for-running",
                    scale,
                    impressions=0,
                    clicks=0,
                    orders=0,
                    ad_impressions=0,
                    ad_clicks=0,
                    ad_orders=0,
                    ad_spend_local=0.0,
                    ad_spend_cny=0.0,
                    ad_sales_local=0.0,
                    ad_sales_cny=0.0,
                    avg_cpc_local=None,
                    avg_organic_position=None,
                    top_of_search_share=0.0,
                ),
            ]
            listing = {
                "market": "US",
                "product": "earbuds",
                "score": 60 + n,
                "relevance": {head: 0.9},
                "reasons": [{"code": "few_images", "params": {"images": 2, "expected": 7}}],
            }
            rr.result = {**rr.result, "search": rows, "listings": [listing]}
            if team.id == alpha.id:
                sheet = dict(rr.decisions_used)
                offers = {m: dict(ps) for m, ps in (sheet.get("offers") or {}).items()}
                offers.setdefault("US", {})
                offers["US"]["earbuds"] = {
                    **offers["US"].get("earbuds", {}),
                    "listing": {
                        "title": EVIL_TITLE,
                        "bullets": ["-1 battery", "Bluetooth 5.3"],
                        "description": DESCRIPTION,
                        "images": 2,
                        "enhanced": False,
                    },
                    "campaigns": {head: {"bid_local": 0.9, "daily_budget_local": 20.0}},
                }
                rr.decisions_used = {**sheet, "offers": offers}
        stats = {m: dict(ps) for m, ps in (rnd.market_stats or {}).items()}
        stats["US"] = {**stats.get("US", {})}
        stats["US"]["earbuds"] = {
            **stats["US"].get("earbuds", {}),
            "search_terms": {
                head: {"searches": 12000 * n, "avg_cpc_local": 0.8},
                "earbuds-for-running": {"searches": 900, "avg_cpc_local": None},
            },
        }
        rnd.market_stats = stats
    session.commit()


def bot_ids(session, game: Game) -> set[int]:
    """The game's bot teams: the engine writes their funnel rows (they list and bid)."""
    return set(session.scalars(select(Team.id).where(Team.game_id == game.id, Team.is_bot)))


def build_search_world(app):
    with app.app_context():
        w = build_world(db.session, rounds=2)
        add_funnel(db.session, w.game, w.alpha, w.beta)
        ids = {name: obj.id for name, obj in vars(w).items()}
        return {**ids, "bots": sorted(bot_ids(db.session, w.game))}


@pytest.fixture
def seeded(seeded_app):
    return seeded_app("search-world", build_search_world)


@pytest.fixture
def app(seeded):
    return seeded[0]


@pytest.fixture
def world(session, seeded):
    ids = seeded[1]
    return SimpleNamespace(
        game=session.get(Game, ids["game"]),
        alpha=session.get(Team, ids["alpha"]),
        beta=session.get(Team, ids["beta"]),
    )


def test_a_team_reads_only_its_own_rows(session, world):
    report = search_report.search_report(session, world.game, team=world.alpha, staff=False)
    assert [r.number for r in report.rounds] == [1, 2]
    assert report.chosen.number == 2
    assert {o.team_id for o in report.offers} == {world.alpha.id}
    [offer] = report.offers
    latest = offer.for_round(report.chosen)
    assert [(r.term, r.impressions, r.clicks) for r in latest] == [
        (head_term(world.game), 2000, 8),
        ("earbuds-for-running", 0, 0),
    ]


def test_staff_read_every_teams_rows(session, world):
    report = search_report.search_report(session, world.game, team=None, staff=True)
    teams = {o.team_id for o in report.offers}
    assert teams == {world.alpha.id, world.beta.id} | bot_ids(session, world.game)


def test_a_student_report_needs_a_team(session, world):
    with pytest.raises(ValueError):
        search_report.search_report(session, world.game, team=None, staff=False)


def test_derived_rates_and_the_played_bid(session, world):
    report = search_report.search_report(
        session, world.game, team=world.alpha, staff=False, round_number=1
    )
    assert report.chosen.number == 1
    head, empty = report.offers[0].for_round(report.chosen)
    assert head.ctr == pytest.approx(4 / 1000)
    assert head.acos == pytest.approx(1.5 / 6.0)
    assert (head.bid_local, head.daily_budget_local) == (0.9, 20.0)
    assert (empty.ctr, empty.acos, empty.avg_cpc_local) == (None, None, None)
    assert (empty.bid_local, empty.avg_organic_position) == (None, None)


def test_an_unknown_round_falls_back_to_the_latest(session, world):
    report = search_report.search_report(
        session, world.game, team=world.alpha, staff=False, round_number=99
    )
    assert report.chosen.number == 2


def test_research_is_the_published_search_volume_per_round(session, world):
    report = search_report.search_report(session, world.game, team=world.alpha, staff=False)
    research = report.research_for("US", "earbuds")
    head = head_term(world.game)
    found = {(t.round.number, t.term): t for t in research}
    assert {key: t.searches for key, t in found.items()} == {
        (1, "earbuds-for-running"): 900,
        (1, head): 12000,
        (2, "earbuds-for-running"): 900,
        (2, head): 24000,
    }
    assert [t.round.number for t in research] == [1, 1, 2, 2]
    assert found[(1, head)].band == (10_000, 100_000)
    assert found[(1, "earbuds-for-running")].band == (100, 1_000)


@pytest.mark.parametrize(
    ("searches", "band"),
    [
        (0, (0, 100)),
        (99, (0, 100)),
        (100, (100, 1000)),
        (270_566, (100_000, 1_000_000)),
        (10**8, (10_000_000, None)),
        (None, None),
    ],
)
def test_volume_bands_hold_their_lower_bound(searches, band):
    assert search_report.volume_band(searches) == band


def test_the_decision_context_is_last_rounds_rows_and_latest_research(session, world):
    context = search_report.decision_context(session, world.game, world.alpha)
    assert context.last_round.number == 2
    head = head_term(world.game)
    row = context.result("US", "earbuds", head)
    assert (row.impressions, row.ad_spend_local) == (2000, 3.0)
    assert context.listings[("US", "earbuds")]["score"] == 62
    assert context.volume("US", "earbuds", head).searches == 24000
    assert context.result("US", "earbuds", "no-such-term") is None


def test_exports_hold_the_funnel_the_research_and_the_listing_text_exactly(session, world):
    tables = {t.name: t for t in exports.team_export(session, world.game, world.alpha)}
    terms = tables["search_terms"].rows
    assert {r["team_id"] for r in terms} == {world.alpha.id}
    first = next(r for r in terms if r["term"] == head_term(world.game))
    assert (first["round_number"], first["currency"], first["term_text"]) == (
        1,
        "USD",
        game_scenario(world.game).product("earbuds").terms()[0].text,
    )
    assert first["ctr"] == pytest.approx(0.004) and first["acos"] == pytest.approx(0.25)
    research = tables["search_research"].rows
    us_earbuds = [r for r in research if (r["market"], r["product"]) == ("US", "earbuds")]
    assert len(us_earbuds) == 4  # two terms in each of two rounds
    assert {r["market"] for r in research} == {"US", "EU"}  # every market's research
    [listing, _second] = tables["listings"].rows
    assert listing["title"] == EVIL_TITLE
    assert listing["description"] == DESCRIPTION
    assert (listing["bullet_1"], listing["bullet_2"], listing["bullet_3"]) == (
        "-1 battery",
        "Bluetooth 5.3",
        None,
    )
    assert (listing["score"], listing["reasons"]) == (61, "few_images")


def test_the_game_export_holds_every_teams_funnel(session, world):
    tables = {t.name: t for t in exports.game_export(session, world.game)}
    teams = {r["team_id"] for r in tables["search_terms"].rows}
    assert teams == {world.alpha.id, world.beta.id} | bot_ids(session, world.game)


def test_listing_text_is_neutralised_in_csv(session, world):
    tables = {t.name: t for t in exports.team_export(session, world.game, world.alpha)}
    text = exports.to_csv(tables["listings"]).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'-1 battery" in text
    assert ",=HYPERLINK" not in text


def test_round_rows_come_from_published_rounds_only(session, world):
    unpublished = session.scalar(
        select(Round).where(Round.game_id == world.game.id, Round.number == 3)
    )
    assert unpublished.status != "published"
    report = search_report.search_report(session, world.game, team=world.alpha, staff=False)
    assert {r.round.number for o in report.offers for r in o.rows} == {1, 2}
