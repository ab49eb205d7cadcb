"""standings(): min-max normalisation, weights, tie-break."""

from __future__ import annotations

from simshop.engine.scoring import standings

WEIGHTS = {"profit": 0.5, "revenue": 0.5}


def test_min_max_normalisation_and_weighted_score():
    rows = [
        {"team_id": "a", "profit": 100.0, "revenue": 1000.0},
        {"team_id": "b", "profit": 50.0, "revenue": 3000.0},
        {"team_id": "c", "profit": 0.0, "revenue": 2000.0},
    ]
    table = standings(rows, WEIGHTS)
    assert [(r["rank"], r["team_id"], r["score"]) for r in table] == [
        (1, "b", 0.75),
        (2, "a", 0.5),
        (3, "c", 0.25),
    ]
    assert table[0]["normalised"] == {"profit": 0.5, "revenue": 1.0}
    assert table[0]["metrics"] == {"profit": 50.0, "revenue": 3000.0}


def test_all_equal_metric_normalises_to_one():
    rows = [
        {"team_id": "a", "profit": 5.0, "revenue": 1.0},
        {"team_id": "b", "profit": 5.0, "revenue": 1.0},
    ]
    assert [r["score"] for r in standings(rows, WEIGHTS)] == [1.0, 1.0]


def test_ties_break_on_profit_then_team_id():
    rows = [
        {"team_id": "b", "profit": 10.0, "revenue": 0.0},
        {"team_id": "a", "profit": 10.0, "revenue": 0.0},
        {"team_id": "c", "profit": 12.0, "revenue": 0.0},
    ]
    table = standings(rows, {"revenue": 1.0, "profit": 0.0})
    assert [r["team_id"] for r in table] == ["c", "a", "b"]
    assert [r["rank"] for r in table] == [1, 2, 3]
