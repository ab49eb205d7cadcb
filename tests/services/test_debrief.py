"""The round debrief: every team, movers against the previous round, reasons, CSV table."""

from __future__ import annotations

import pytest

from simshop.services import debrief, exports
from tests.reliability.gamekit import round_no

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


def test_the_first_round_has_no_movers_and_every_team_a_row(played_world):
    session, w = played_world(rounds=1)
    report = debrief.round_debrief(session, w.game, round_no(session, w.game, 1))
    assert report.previous is None
    assert report.rank_movers == [] and report.profit_movers == []
    assert {r.name for r in report.rows} >= {"Alpha", "Beta"}
    assert [r.rank for r in report.rows] == sorted(r.rank for r in report.rows)


def test_movers_compare_with_the_previous_round_and_name_reasons(played_world):
    session, w = played_world(rounds=2)
    rnd = round_no(session, w.game, 2)
    report = debrief.round_debrief(session, w.game, rnd)
    assert report.previous is not None and report.previous.number == 1
    assert report.profit_movers, "someone's profit changed between rounds 1 and 2"
    top = report.profit_movers[0]
    assert abs(top.profit_change_cny) == max(abs(r.profit_change_cny) for r in report.rows)
    alpha = next(r for r in report.rows if r.name == "Alpha")
    assert alpha.lanes == ["air"]  # Alpha ships its stock by air every round
    assert ("lanes", {"lanes": ["air"]}) in alpha.reasons
    assert any(e["kind"] == "event_effective" for e in report.events)  # the tariff doubling


def test_the_debrief_table_has_the_documented_columns(played_world):
    session, w = played_world(rounds=2)
    table = debrief.debrief_table(
        debrief.round_debrief(session, w.game, round_no(session, w.game, 2))
    )
    assert table.columns == exports.TABLES["debrief"]
    assert len(table.rows) == len({r["team_id"] for r in table.rows}) >= 4
    assert exports.to_csv(table).startswith(b"\xef\xbb\xbf")
