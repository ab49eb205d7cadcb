"""The quiz question bank: bilingual TOML files in ``questions/``, validated with every
problem located (file, question id, field), and the parametric metrics.

A file holds an array of ``[[question]]`` tables. Every question has an ``id`` (unique over
the whole bank), a ``kind``, a ``topic``, a ``source`` (a key of ``docs/sources.md``, such as
``Q3`` or ``S96``), ``text_en`` and ``text_zh``, and optionally ``points`` (default 1):

- ``single``: ``choices_en`` / ``choices_zh`` (2 to 6, the same number) and ``answer``, the
  0-based index of the right choice;
- ``multiple``: the same choices and ``answer``, a list of distinct indexes (all-or-nothing:
  the chosen set must equal the answer set);
- ``numeric``: ``answer`` (a number) and ``tolerance`` (absolute, ≥ 0); ``unit_en`` /
  ``unit_zh`` optional;
- ``parametric``: ``metric`` (a key of :data:`METRICS`), ``market`` / ``product`` when the
  metric needs them (a code, or ``"auto"``: the team's best-selling one that round),
  ``tolerance_pct`` (relative, > 0) and optionally ``tolerance`` (absolute floor). The text
  may use ``{round}``, ``{market}`` and ``{product}``. The true value is computed from the
  student's own team's published result (:func:`evaluate`), so every team's answer differs.

Nothing here touches Flask or the database: the metrics read a stored result dictionary
(``RoundResult.result``), which is what makes them testable alone.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

QUESTION_ID = r"^[a-z0-9][a-z0-9-]{1,63}$"
SOURCE_KEY = re.compile(r"^[SFTQ][0-9]{1,3}$")
MAX_BANK_FILE_BYTES = 512 * 1024
TOPICS = (
    "incoterms",
    "customs_valuation",
    "de_minimis",
    "vat_ioss",
    "landed_cost",
    "platform_fees",
    "acos",
    "exchange_risk",
    "compliance",
    "results",
)
PLACEHOLDERS = ("round", "market", "product")

# --------------------------------------------------------------------------- metrics

Result = dict[str, Any]


def _pnl(result: Result, line: str) -> float:
    return float(result.get("pnl", {}).get(line, 0.0) or 0.0)


def _ratio_pct(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator * 100.0


def _offers(result: Result, market: str | None = None, product: str | None = None):
    for offer in result.get("offers", []):
        if market is not None and offer.get("market") != market:
            continue
        if product is not None and offer.get("product") != product:
            continue
        yield offer


def _units(result: Result, market: str | None = None, product: str | None = None) -> float:
    return float(sum(o.get("units_sold", 0) or 0 for o in _offers(result, market, product)))


def _revenue(result: Result, market: str | None = None, product: str | None = None) -> float:
    return float(sum(o.get("revenue_cny", 0.0) or 0.0 for o in _offers(result, market, product)))


@dataclass(frozen=True)
class Metric:
    """One parametric quantity: its needs (market, product) and how to compute it.
    ``auto`` says what ``"auto"`` picks: the best-selling market/product (``"sold"``) or
    the most shipped one this round (``"shipped"``)."""

    needs_market: bool
    needs_product: bool
    compute: Callable[[Result, str | None, str | None], float | None]
    auto: str = "sold"


SHIPPED = "shipped_landed"
"""Key the quiz service adds to a result for :data:`METRICS` ``shipped_landed_cost_cny``:
market -> product -> {"units": shipped, "cost_cny": landed cost of those units}, from the
team's shipments of the round and the round's conditions (never stored)."""


def _shipped(result: Result) -> dict[str, dict[str, dict[str, float]]]:
    shipped: dict[str, dict[str, dict[str, float]]] = result.get(SHIPPED) or {}
    return shipped


def _shipped_landed(result: Result, market: str | None, product: str | None) -> float | None:
    row = _shipped(result).get(market or "", {}).get(product or "")
    if not row or not row.get("units"):
        return None
    return float(row["cost_cny"]) / float(row["units"])


def _search_acos(result: Result) -> float | None:
    rows = result.get("search") or []
    spend = sum(float(row.get("ad_spend_cny", 0.0) or 0.0) for row in rows)
    sales = sum(float(row.get("ad_sales_cny", 0.0) or 0.0) for row in rows)
    return _ratio_pct(spend, sales)


def _market_profit(result: Result, market: str | None) -> float | None:
    markets = result.get("pnl_by_market")
    if not isinstance(markets, dict):
        return None
    return float((markets.get(market or "") or {}).get("profit_cny", 0.0) or 0.0)


METRICS: dict[str, Metric] = {
    "revenue_cny": Metric(False, False, lambda r, m, p: _pnl(r, "revenue_cny")),
    "profit_cny": Metric(False, False, lambda r, m, p: _pnl(r, "profit_cny")),
    "net_margin_pct": Metric(
        False,
        False,
        lambda r, m, p: _ratio_pct(_pnl(r, "profit_cny"), _pnl(r, "revenue_cny")),
    ),
    # Sponsored search: ad spend over the sales the ads brought (the search funnel's rows;
    # none without ad sales, e.g. results stored before the funnel existed).
    "acos_pct": Metric(False, False, lambda r, m, p: _search_acos(r)),
    # All advertising (display budgets and sponsored search) over all revenue: TACoS.
    "tacos_pct": Metric(
        False,
        False,
        lambda r, m, p: _ratio_pct(
            _pnl(r, "advertising_cny") + _pnl(r, "search_ads_cny"), _pnl(r, "revenue_cny")
        ),
    ),
    "ad_share_of_costs_pct": Metric(
        False,
        False,
        lambda r, m, p: _ratio_pct(_pnl(r, "advertising_cny"), _pnl(r, "total_costs_cny")),
    ),
    # Goods, freight and duty over the units sold: the landed cost per unit sold.
    "landed_cost_per_unit_cny": Metric(
        False,
        False,
        lambda r, m, p: (
            None
            if _units(r) == 0
            else (_pnl(r, "cogs_cny") + _pnl(r, "freight_cny") + _pnl(r, "duty_cny")) / _units(r)
        ),
    ),
    # Unit cost + freight + duty per unit of a product the team shipped to a market this
    # round (the landed cost of logistics.landed_cost_cny, weighted over the lanes used).
    "shipped_landed_cost_cny": Metric(True, True, _shipped_landed, auto="shipped"),
    "units_sold_market": Metric(True, False, lambda r, m, p: _units(r, m)),
    "revenue_market_cny": Metric(True, False, lambda r, m, p: _revenue(r, m)),
    # The market's profit contribution (results before profit per market have none).
    "profit_market_cny": Metric(True, False, lambda r, m, p: _market_profit(r, m)),
    "average_price_cny": Metric(
        True,
        True,
        lambda r, m, p: None if _units(r, m, p) == 0 else _revenue(r, m, p) / _units(r, m, p),
    ),
}


def best_selling(result: Result, key: str, market: str | None = None) -> str | None:
    """The market (``key="market"``) or product with the most units sold in ``result``
    (within ``market`` for products); ties go to the smaller code. None if nothing sold."""
    totals: dict[str, float] = {}
    for offer in _offers(result, market):
        totals[offer[key]] = totals.get(offer[key], 0.0) + float(offer.get("units_sold", 0) or 0)
    return _largest(totals)


def most_shipped(result: Result, key: str, market: str | None = None) -> str | None:
    """Like :func:`best_selling`, by units shipped this round (:data:`SHIPPED`)."""
    totals: dict[str, float] = {}
    for code, products in _shipped(result).items():
        if market is not None and code != market:
            continue
        for pid, row in products.items():
            name = code if key == "market" else pid
            totals[name] = totals.get(name, 0.0) + float(row.get("units", 0))
    return _largest(totals)


def _largest(totals: dict[str, float]) -> str | None:
    ranked = [(-units, code) for code, units in totals.items() if units > 0]
    return min(ranked)[1] if ranked else None


@dataclass(frozen=True)
class Evaluated:
    """A parametric question for one team: the parameters it was asked with and the true
    value (None when the metric is undefined for this team, e.g. no revenue)."""

    market: str | None
    product: str | None
    value: float | None


def evaluate(question: Question, result: Result | None) -> Evaluated:
    """The true value of a parametric question from the team's stored round result."""
    assert question.metric is not None
    metric = METRICS[question.metric]
    if result is None:
        return Evaluated(None, None, None)
    pick = most_shipped if metric.auto == "shipped" else best_selling
    market = question.market if metric.needs_market else None
    if market == "auto":
        market = pick(result, "market")
    product = question.product if metric.needs_product else None
    if product == "auto":
        product = pick(result, "product", market)
    if (metric.needs_market and market is None) or (metric.needs_product and product is None):
        return Evaluated(market, product, None)
    value = metric.compute(result, market, product)
    if value is None or not math.isfinite(value):
        return Evaluated(market, product, None)
    return Evaluated(market, product, round(value, 2))


# --------------------------------------------------------------------------- schema

Text = Annotated[str, Field(min_length=1, max_length=1000)]
ChoiceText = Annotated[str, Field(min_length=1, max_length=200)]
Unit = Annotated[str, Field(max_length=20)]


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=QUESTION_ID)]
    kind: Literal["single", "multiple", "numeric", "parametric"]
    topic: Literal[TOPICS]  # type: ignore[valid-type]
    source: Annotated[str, Field(pattern=SOURCE_KEY.pattern)]
    text_en: Text
    text_zh: Text
    points: Annotated[int, Field(ge=1, le=10)] = 1
    choices_en: list[ChoiceText] | None = None
    choices_zh: list[ChoiceText] | None = None
    answer: int | float | list[int] | None = None
    tolerance: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    tolerance_pct: Annotated[float, Field(gt=0, le=50, allow_inf_nan=False)] | None = None
    unit_en: Unit = ""
    unit_zh: Unit = ""
    metric: str | None = None
    market: Annotated[str, Field(pattern=r"^([A-Z]{2,5}|auto)$")] | None = None
    product: Annotated[str, Field(pattern=r"^([a-z0-9_-]{1,40}|auto)$")] | None = None

    @model_validator(mode="after")
    def _by_kind(self) -> Question:
        for problem in kind_problems(self):
            raise problem  # the first one; the loader reports it located
        return self

    @property
    def choices(self) -> list[tuple[str, str]]:
        return list(zip(self.choices_en or [], self.choices_zh or [], strict=True))


class BankRule(ValueError):
    """A rule of one question kind broken: the field at fault and a stable code."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(f"{field}|{code}|{message}")
        self.field, self.code, self.message = field, code, message


def kind_problems(q: Question) -> Iterable[BankRule]:
    if q.kind in ("single", "multiple"):
        yield from _choice_problems(q)
    elif q.kind == "numeric":
        if not isinstance(q.answer, int | float) or isinstance(q.answer, bool):
            yield BankRule("answer", "answer_not_number", "a numeric question needs a number")
        elif not math.isfinite(q.answer):
            yield BankRule("answer", "answer_not_number", "the answer must be finite")
        if q.tolerance is None:
            yield BankRule("tolerance", "tolerance_required", "give the tolerance (≥ 0)")
    else:
        yield from _parametric_problems(q)
    if q.kind != "parametric" and re.search(r"\{(round|market|product)\}", q.text_en + q.text_zh):
        yield BankRule("text_en", "placeholder_not_parametric", "only parametric texts use {…}")


def _choice_problems(q: Question) -> Iterable[BankRule]:
    en, zh = q.choices_en or [], q.choices_zh or []
    if not 2 <= len(en) <= 6:
        yield BankRule("choices_en", "choices_count", "give 2 to 6 choices")
        return
    if len(zh) != len(en):
        yield BankRule("choices_zh", "choices_mismatch", f"give {len(en)} Chinese choices")
        return
    indexes = [q.answer] if q.kind == "single" else q.answer
    if q.kind == "single" and (not isinstance(q.answer, int) or isinstance(q.answer, bool)):
        yield BankRule("answer", "answer_not_index", "give the index of the right choice")
        return
    if q.kind == "multiple" and (not isinstance(q.answer, list) or not q.answer):
        yield BankRule("answer", "answer_not_list", "give a list of the right choices' indexes")
        return
    assert isinstance(indexes, list)
    if any(not 0 <= i < len(en) for i in indexes):
        yield BankRule("answer", "answer_out_of_range", f"indexes run from 0 to {len(en) - 1}")
    elif len(set(indexes)) != len(indexes):
        yield BankRule("answer", "answer_repeated", "an index is repeated")


def _parametric_problems(q: Question) -> Iterable[BankRule]:
    metric = METRICS.get(q.metric or "")
    if metric is None:
        yield BankRule("metric", "metric_unknown", f"choose one of: {', '.join(METRICS)}")
        return
    if metric.needs_market and q.market is None:
        yield BankRule("market", "market_required", "this metric needs a market (or auto)")
    if metric.needs_product and q.product is None:
        yield BankRule("product", "product_required", "this metric needs a product (or auto)")
    if q.tolerance_pct is None:
        yield BankRule("tolerance_pct", "tolerance_required", "give tolerance_pct (> 0)")
    if q.answer is not None:
        yield BankRule("answer", "answer_computed", "a parametric answer is computed; remove it")
    for name in re.findall(r"\{([^{}]*)\}", q.text_en + q.text_zh):
        if name not in PLACEHOLDERS:
            yield BankRule("text_en", "placeholder_unknown", f"unknown placeholder {{{name}}}")


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class BankProblem:
    """One thing wrong with a question file: where (file, question id, field) and why."""

    file: str
    question: str
    field: str
    code: str
    message: str

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.question, self.field) if part)
        return f"{where}: {self.message} [{self.code}]"


class BankInvalid(Exception):
    def __init__(self, problems: list[BankProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


@dataclass
class Bank:
    questions: dict[str, Question] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    """File name -> the ids of its questions, in file order."""


def _pydantic_problems(name: str, qid: str, exc: ValidationError) -> list[BankProblem]:
    problems = []
    for error in exc.errors():
        loc = ".".join(str(part) for part in error["loc"])
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, BankRule):
            problems.append(BankProblem(name, qid, cause.field, cause.code, cause.message))
        else:
            problems.append(BankProblem(name, qid, loc, error["type"], error["msg"]))
    return problems


def parse_file(name: str, data: bytes) -> tuple[list[Question], list[BankProblem]]:
    """The questions of one file and the problems found in it."""
    if len(data) > MAX_BANK_FILE_BYTES:
        return [], [BankProblem(name, "", "", "too_large", "the file is larger than 512 KB")]
    try:
        doc = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return [], [BankProblem(name, "", "", "not_utf8", "the file is not UTF-8 text")]
    except tomllib.TOMLDecodeError as exc:
        return [], [BankProblem(name, "", "", "toml_syntax", str(exc))]
    extra = sorted(set(doc) - {"question"})
    problems = [BankProblem(name, "", key, "extra_forbidden", "unknown table") for key in extra]
    raw = doc.get("question")
    if not isinstance(raw, list) or not raw:
        problems.append(BankProblem(name, "", "question", "no_questions", "no [[question]]"))
        return [], problems
    questions = []
    for index, item in enumerate(raw):
        qid = str(item.get("id") or f"#{index + 1}")
        try:
            questions.append(Question.model_validate(item))
        except ValidationError as exc:
            problems.extend(_pydantic_problems(name, qid, exc))
    return questions, problems


def load_bank(paths: Iterable[str | Path]) -> Bank:
    """Every question of the files; raises :class:`BankInvalid` listing every problem
    (including an id used twice in the bank)."""
    bank, problems = Bank(), []
    for path in sorted(Path(p) for p in paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(BankProblem(str(path), "", "", "unreadable", str(exc.strerror)))
            continue
        questions, found = parse_file(str(path), data)
        problems.extend(found)
        bank.files[path.name] = []
        for q in questions:
            if q.id in bank.questions:
                problems.append(
                    BankProblem(str(path), q.id, "id", "duplicate_id", "id used twice in the bank")
                )
                continue
            bank.questions[q.id] = q
            bank.files[path.name].append(q.id)
    if problems:
        raise BankInvalid(problems)
    return bank


def bank_files(directory: str | Path) -> list[Path]:
    return sorted(Path(directory).glob("*.toml"))


_CACHE: dict[str, Bank] = {}


def shipped_bank(directory: str | Path) -> Bank:
    """The bank of a directory, loaded once per process (the files ship with the code)."""
    key = str(Path(directory).resolve())
    if key not in _CACHE:
        _CACHE[key] = load_bank(bank_files(directory))
    return _CACHE[key]
