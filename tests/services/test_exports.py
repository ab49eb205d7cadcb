"""Exports: UTF-8 with BOM, formulas neutralised, numbers kept, every column documented."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from simshop.db import db
from simshop.models import Game, Team, User
from simshop.services import exports
from tests.services.test_analysis import build_world

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

DICTIONARY = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"
EVIL = '=HYPERLINK("x")'


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def build_exports_world(app):
    with app.app_context():
        session = db.session
        w = build_world(session, rounds=2)
        session.execute(update(Team).where(Team.id == w.alpha.id).values(name=EVIL))
        session.commit()
        return {name: obj.id for name, obj in vars(w).items()}


@pytest.fixture
def seeded(seeded_app):
    """Every test starts from a fresh copy of one world (tests/conftest.py, seeded_app)."""
    return seeded_app("exports-world", build_exports_world)


@pytest.fixture
def app(seeded):
    return seeded[0]


@pytest.fixture
def world(session, seeded):
    ids = seeded[1]
    return SimpleNamespace(
        game=session.get(Game, ids["game"]),
        **{name: session.get(User, ids[name]) for name in ("teacher", "alice", "bob")},
        **{name: session.get(Team, ids[name]) for name in ("alpha", "beta")},
    )


def test_every_exported_column_is_in_the_data_dictionary():
    text = DICTIONARY.read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (\w+)\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S))
    for table, columns in exports.TABLES.items():
        assert table in sections, f"no section for table {table}"
        documented = re.findall(r"^\| `(\w+)` \|", sections[table], flags=re.M)
        assert documented == columns, f"{table}: columns and dictionary differ"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Alpha", "Alpha"),
        (-42.5, -42.5),
        (0, 0),
        (True, True),
        (None, None),
    ],
)
def test_neutralise_only_touches_formula_like_strings(value, expected):
    assert exports.neutralise(value) == expected


def test_team_csv_has_bom_header_and_inert_team_name(session, world):
    tables = exports.team_export(session, world.game, world.alpha)
    rows = read_csv(exports.to_csv(exports.table_named(tables, "results")))
    assert rows[0] == exports.TABLES["results"]
    name = rows[0].index("team_name")
    assert len(rows) == 3  # header and two rounds
    assert {r[name] for r in rows[1:]} == {"'" + EVIL}
    profit = rows[0].index("profit_cny")
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", r[profit]) for r in rows[1:])


def test_xlsx_keeps_names_as_text_and_numbers_as_numbers(session, world):
    tables = exports.team_export(session, world.game, world.alpha)
    book = load_workbook(io.BytesIO(exports.to_xlsx(tables)))
    assert book.sheetnames == [t.name for t in tables]
    sheet = book["results"]
    header = [c.value for c in sheet[1]]
    assert header == exports.TABLES["results"]
    name_col = header.index("team_name") + 1
    profit_col = header.index("profit_cny") + 1
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row=row, column=name_col)
        assert cell.data_type != "f"
        assert cell.value == "'" + EVIL
        assert sheet.cell(row=row, column=profit_col).data_type == "n"


def test_a_team_export_holds_only_its_own_results_and_anonymous_rivals(session, world):
    tables = exports.team_export(session, world.game, world.alpha)
    results = exports.table_named(tables, "results")
    assert {r["team_id"] for r in results.rows} == {world.alpha.id}
    assert {r["team_id"] for r in exports.table_named(tables, "decisions").rows} == {world.alpha.id}
    labels = {r["team_label"] for r in exports.table_named(tables, "shares").rows}
    assert EVIL in labels
    assert all(label == EVIL or label.startswith("Rival ") for label in labels)
    announced = {r["announced_round"] for r in exports.table_named(tables, "events").rows}
    assert max(announced) <= 2


def test_a_game_export_holds_every_team_with_real_names(session, world):
    tables = exports.game_export(session, world.game)
    names = {r["team_name"] for r in exports.table_named(tables, "results").rows}
    assert {EVIL, "Beta"} <= names
    labels = {r["team_label"] for r in exports.table_named(tables, "shares").rows}
    assert not any(label.startswith("Rival ") for label in labels)


def test_decision_rows_cover_offers_orders_and_shipments(session, world):
    rows = exports.table_named(exports.team_export(session, world.game, world.alpha), "decisions")
    items = {r["item"] for r in rows.rows}
    assert {"enter_market", "offer", "factory_order", "shipment"} <= items
