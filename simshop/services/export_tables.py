"""The export tables: every table's fixed columns (``TABLES``, documented one by one in
``docs/data-dictionary.md``), the :class:`Table` that holds rows, and writing tables as files.

- CSV is UTF-8 **with a BOM** (``utf-8-sig``), so Excel in China opens it as UTF-8.
- Spreadsheet injection: a *string* cell starting with ``=``, ``+``, ``-``, ``@``, a tab, a
  carriage return or NUL is prefixed with ``'`` (ASVS 1.2.10) in CSV and XLSX alike; real
  numbers — negative profits included — stay numbers.

The rows themselves are built by :mod:`simshop.services.exports`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from simshop.engine.accounting import PNL_LINES
from simshop.engine.explain import CAUSES
from simshop.services import product_report, research
from simshop.services.cells import neutralise
from simshop.services.compliance_report import INCIDENT_COLUMNS

ROUND_KEYS = ["round_number", "scenario_round", "is_practice"]
PNL_KEYS = list(PNL_LINES)
CASH_KEYS = [
    "start_cny",
    "end_cny",
    "debt_start_cny",
    "debt_end_cny",
    "borrowed_cny",
    "repaid_cny",
    "overdraft_cny",
    "purchases_cny",
    "frozen_cny",
    "released_cny",
]
OFFER_KEYS = [
    "listed",
    "channel",
    "price_local",
    "ad_budget_cny",
    "adstock_cny",
    "units_demanded",
    "units_sold",
    "units_lost_stockout",
    "units_returned",
    "revenue_cny",
    "market_share",
    "ending_stock",
    "in_transit",
    "rating",
    "reviews",
    "delivery_days",
]
PRICE_KEYS = ["min", "q1", "median", "q3", "max", "mean"]
# A market's round statistics in the research table, in column order.
RESEARCH_STATS = (
    "shoppers",
    "demand",
    "units_sold",
    "units_lost_stockout",
    "offers_listed",
    "revenue_cny",
)
TERM_RESULT_KEYS = [
    "bid_local",
    "daily_budget_local",
    "impressions",
    "clicks",
    "ctr",
    "orders",
    "ad_impressions",
    "ad_clicks",
    "ad_orders",
    "avg_cpc_local",
    "ad_spend_local",
    "ad_spend_cny",
    "ad_sales_local",
    "ad_sales_cny",
    "acos",
    "avg_organic_position",
    "top_of_search_share",
]
"""Columns of ``search_terms`` read from :class:`search_report.TermResult` (ctr and acos
derived there)."""
LISTING_BULLETS = 5
"""Bullet columns of the ``listings`` table (the sheet allows at most five)."""

TABLES: dict[str, list[str]] = {
    "results": ROUND_KEYS
    + ["team_id", "team_name", "decision_source", "rank", "score"]
    + PNL_KEYS
    + [f"cash_{k}" for k in CASH_KEYS]
    + ["units_sold"],
    "offers": ROUND_KEYS + ["team_id", "team_name", "market", "product", "currency"] + OFFER_KEYS,
    "decisions": ROUND_KEYS
    + [
        "team_id",
        "team_name",
        "decision_source",
        "item",
        "market",
        "product",
        "mode",
        "listed",
        "channel",
        "price_local",
        "ad_budget_cny",
        "quantity",
        "amount_cny",
        "requirement",
        "supplier",
        "category",
    ],
    "research": ROUND_KEYS
    + ["market", "product", "currency", *RESEARCH_STATS]
    + [f"price_{k}_local" for k in PRICE_KEYS],
    "shares": ROUND_KEYS + ["market", "product", "team_label", "is_own_team", "market_share"],
    "conditions": ROUND_KEYS
    + [
        "market",
        "category",
        "tariff_rate",
        "platform_fee",
        "vat_rate",
        "fx_cny_per_local_start",
        "fx_cny_per_local_end",
        "fx_cny_per_local_mean",
        "de_minimis_local",
    ],
    "events": ["announced_round", "effective_round", "event_id", "kind", "headline"],
    # Compliance incidents (engine/compliance.py), one row per incident.
    "compliance": ROUND_KEYS + ["team_id", "team_name", *INCIDENT_COLUMNS],
    # Results explained (services/explanations.py): the change from the baseline by cause.
    "explanations": ROUND_KEYS
    + ["team_id", "team_name", "baseline", "profit_before_cny", "profit_after_cny"]
    + ["profit_change_cny"]
    + [f"profit_{c}_cny" for c in CAUSES]
    + ["units_before", "units_after", "units_change"]
    + [f"units_{c}" for c in CAUSES],
    # Per product and round (services/product_report.py): unserved_units only where bought.
    "products": ROUND_KEYS
    + ["team_id", "team_name", "market", "product"]
    + product_report.PRODUCT_KEYS,
    # The team's bought studies and samples (services/research.py).
    "studies": ROUND_KEYS + ["team_id", "team_name"] + research.STUDY_COLUMNS,
    # The search funnel (services/search_report.py): per offer and search term, the public
    # research per market and term, and the listings the teams wrote (user text).
    "search_terms": ROUND_KEYS
    + ["team_id", "team_name", "market", "product", "currency", "term", "term_text"]
    + TERM_RESULT_KEYS,
    "search_research": ROUND_KEYS
    + ["market", "product", "currency", "term", "term_text", "searches", "avg_cpc_local"],
    "listings": ROUND_KEYS
    + ["team_id", "team_name", "market", "product", "title"]
    + [f"bullet_{i}" for i in range(1, LISTING_BULLETS + 1)]
    + ["description", "images", "enhanced", "score", "reasons"],
    # The instructor's round debrief (services/debrief.py), staff only.
    "debrief": [
        "round_number",
        "scenario_round",
        "is_practice",
        "team_id",
        "team_name",
        "is_bot",
        "decision_source",
        "rank",
        "previous_rank",
        "rank_change",
        "profit_cny",
        "previous_profit_cny",
        "profit_change_cny",
        "revenue_cny",
        "units_sold",
        "units_lost_stockout",
        "stockout_share",
        "price_index",
        "advertising_cny",
        "duty_cny",
        "tariff_exposure",
        "lanes",
        "markets",
        "cash_end_cny",
    ],
}
"""Table name -> its columns, in order."""


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[dict[str, Any]]

    def values(self) -> Iterator[list[Any]]:
        for row in self.rows:
            yield [row.get(c) for c in self.columns]


# --------------------------------------------------------------------------- writing


def to_csv(table: Table) -> bytes:
    """One table as CSV: UTF-8 with a BOM, CRLF line ends, neutralised strings."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    for values in table.values():
        writer.writerow(["" if v is None else neutralise(v) for v in values])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(tables: list[Table]) -> bytes:
    """Every table as one sheet of a workbook; header row bold and frozen."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(table.name)
        sheet.append(table.columns)
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for values in table.values():
            sheet.append([_xlsx_cell(v) for v in values])
        for cell in sheet[1]:
            sheet.column_dimensions[cell.column_letter].width = max(10, len(str(cell.value)) + 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):  # openpyxl refuses control characters; strip, then neutralise
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralise(value)


def table_named(tables: list[Table], name: str) -> Table | None:
    return next((t for t in tables if t.name == name), None)
