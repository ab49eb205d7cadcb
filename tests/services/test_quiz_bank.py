"""The quiz question bank: the shipped questions are valid, cover every topic and cite a
defined source; each malformed fixture in quiz_cases/ is refused with its problem located
(file, question id, field) and coded; the parametric metrics compute from a stored result."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from simshop.cli.quiz import quiz as quiz_cli
from simshop.services.quiz_bank import (
    METRICS,
    TOPICS,
    BankInvalid,
    Question,
    bank_files,
    best_selling,
    evaluate,
    load_bank,
)

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "questions"
CASES = Path(__file__).parent / "quiz_cases"
SOURCE_DEFINITION = re.compile(r"^(?:\| |### )\[([A-Z]\d+)\]", re.MULTILINE)


def shipped():
    return load_bank(bank_files(QUESTIONS))


def test_the_shipped_bank_has_at_least_60_questions_on_every_topic():
    bank = shipped()
    topics = Counter(q.topic for q in bank.questions.values())
    assert len(bank.questions) == 87
    assert set(topics) == set(TOPICS)
    assert min(topics[t] for t in TOPICS if t != "results") >= 7
    kinds = Counter(q.kind for q in bank.questions.values())
    assert kinds == {"single": 38, "numeric": 32, "parametric": 12, "multiple": 5}


def test_every_question_cites_a_source_defined_in_docs_sources():
    defined = set(SOURCE_DEFINITION.findall((ROOT / "docs" / "sources.md").read_text()))
    cited = {q.id: q.source for q in shipped().questions.values()}
    assert {qid: key for qid, key in cited.items() if key not in defined} == {}
    assert {f"Q{n}" for n in range(1, 12)} <= defined


def test_every_question_has_chinese_text_and_chinese_choices():
    han = re.compile(r"[\u4e00-\u9fff]")
    for q in shipped().questions.values():
        assert han.search(q.text_zh), q.id
        assert q.text_zh != q.text_en, q.id
        if q.kind in ("single", "multiple"):
            assert len(q.choices_zh or []) == len(q.choices_en or []), q.id


FIXTURES = [
    ("toml_syntax", "", "", "toml_syntax"),
    ("no_questions", "", "question", "no_questions"),
    ("unknown_table", "", "meta", "extra_forbidden"),
    ("missing_field", "no-chinese", "text_zh", "missing"),
    ("extra_field", "extra-key", "answr", "extra_forbidden"),
    ("bad_id", "Bad Id", "id", "string_pattern_mismatch"),
    ("bad_kind", "bad-kind", "kind", "literal_error"),
    ("bad_topic", "bad-topic", "topic", "literal_error"),
    ("bad_source", "bad-source", "source", "string_pattern_mismatch"),
    ("bad_points", "bad-points", "points", "greater_than_equal"),
    ("choices_count", "one-choice", "choices_en", "choices_count"),
    ("choices_mismatch", "choices-mismatch", "choices_zh", "choices_mismatch"),
    ("answer_out_of_range", "answer-range", "answer", "answer_out_of_range"),
    ("answer_not_index", "answer-list", "answer", "answer_not_index"),
    ("answer_not_list", "multiple-int", "answer", "answer_not_list"),
    ("answer_repeated", "multiple-repeat", "answer", "answer_repeated"),
    ("answer_not_number", "numeric-no-answer", "answer", "answer_not_number"),
    ("tolerance_required", "numeric-no-tolerance", "tolerance", "tolerance_required"),
    ("tolerance_negative", "numeric-negative", "tolerance", "greater_than_equal"),
    ("placeholder_not_parametric", "numeric-placeholder", "text_en", "placeholder_not_parametric"),
    ("metric_unknown", "param-metric", "metric", "metric_unknown"),
    ("market_required", "param-market", "market", "market_required"),
    ("product_required", "param-product", "product", "product_required"),
    ("tolerance_pct_required", "param-tolerance", "tolerance_pct", "tolerance_required"),
    ("answer_computed", "param-answer", "answer", "answer_computed"),
    ("placeholder_unknown", "param-placeholder", "text_en", "placeholder_unknown"),
    ("duplicate_id", "twice", "id", "duplicate_id"),
]


def test_every_fixture_is_in_the_table():
    assert sorted(p.stem for p in CASES.glob("*.toml")) == sorted(f[0] for f in FIXTURES)


@pytest.mark.parametrize(("name", "question", "field", "code"), FIXTURES)
def test_a_malformed_file_is_refused_with_one_located_problem(name, question, field, code):
    path = CASES / f"{name}.toml"
    with pytest.raises(BankInvalid) as caught:
        load_bank([path])
    [problem] = caught.value.problems
    assert (problem.file, problem.question, problem.field, problem.code) == (
        str(path),
        question,
        field,
        code,
    )


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('text_zh = "caf\xe9"'.encode("latin-1"))
    with pytest.raises(BankInvalid) as caught:
        load_bank([path])
    assert [(p.question, p.code) for p in caught.value.problems] == [("", "not_utf8")]


def test_quiz_check_prints_a_summary_of_the_shipped_bank(runner):
    result = runner.invoke(quiz_cli, ["check"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "OK: 87 questions in 5 files"


def test_quiz_check_exits_2_and_names_file_question_and_field(runner):
    path = str(CASES / "choices_mismatch.toml")
    result = runner.invoke(quiz_cli, ["check", path])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}: choices-mismatch: choices_zh: give 2 Chinese choices [choices_mismatch]",
        "1 problem; not valid",
    ]


# --------------------------------------------------------------------------- metrics

RESULT = {
    "pnl": {
        "revenue_cny": 20000.0,
        "profit_cny": 3000.0,
        "advertising_cny": 4000.0,
        "total_costs_cny": 17000.0,
        "cogs_cny": 9000.0,
        "freight_cny": 1500.0,
        "duty_cny": 500.0,
        "search_ads_cny": 2000.0,
    },
    "search": [
        {
            "market": "US",
            "product": "earbuds",
            "term": "a",
            "ad_spend_cny": 600.0,
            "ad_sales_cny": 2400.0,
        },
        {
            "market": "US",
            "product": "earbuds",
            "term": "b",
            "ad_spend_cny": 400.0,
            "ad_sales_cny": 1600.0,
        },
        {
            "market": "EU",
            "product": "earbuds",
            "term": "a",
            "ad_spend_cny": 0.0,
            "ad_sales_cny": 0.0,
        },
    ],
    "offers": [
        {"market": "US", "product": "earbuds", "units_sold": 60, "revenue_cny": 12000.0},
        {"market": "US", "product": "leash", "units_sold": 40, "revenue_cny": 3000.0},
        {"market": "EU", "product": "earbuds", "units_sold": 100, "revenue_cny": 5000.0},
    ],
    "pnl_by_market": {
        "US": {"revenue_cny": 15000.0, "profit_cny": 4200.5},
        "EU": {"revenue_cny": 5000.0, "profit_cny": -350.25},
    },
    "shipped_landed": {
        "US": {"leash": {"units": 300.0, "cost_cny": 6000.0}},
        "EU": {"earbuds": {"units": 100.0, "cost_cny": 5713.0}},
    },
}


def parametric(metric: str, **extra) -> Question:
    return Question.model_validate(
        {
            "id": "own-metric",
            "kind": "parametric",
            "topic": "results",
            "source": "T5",
            "text_en": "x {round}",
            "text_zh": "x {round}",
            "metric": metric,
            "tolerance_pct": 1,
            **extra,
        }
    )


@pytest.mark.parametrize(
    ("metric", "extra", "expected"),
    [
        ("revenue_cny", {}, (None, None, 20000.0)),
        ("profit_cny", {}, (None, None, 3000.0)),
        ("net_margin_pct", {}, (None, None, 15.0)),
        # sponsored search: (600 + 400) / (2,400 + 1,600)
        ("acos_pct", {}, (None, None, 25.0)),
        # all advertising: (4,000 + 2,000) / 20,000
        ("tacos_pct", {}, (None, None, 30.0)),
        ("ad_share_of_costs_pct", {}, (None, None, 23.53)),
        ("landed_cost_per_unit_cny", {}, (None, None, 55.0)),
        # US and EU both sold 100 units: the tie goes to the smaller code, EU.
        ("units_sold_market", {"market": "auto"}, ("EU", None, 100.0)),
        ("units_sold_market", {"market": "US"}, ("US", None, 100.0)),
        ("revenue_market_cny", {"market": "US"}, ("US", None, 15000.0)),
        ("profit_market_cny", {"market": "US"}, ("US", None, 4200.5)),
        ("profit_market_cny", {"market": "auto"}, ("EU", None, -350.25)),
        ("average_price_cny", {"market": "US", "product": "auto"}, ("US", "earbuds", 200.0)),
        # "auto" picks the most shipped market and product for this metric.
        ("shipped_landed_cost_cny", {"market": "auto", "product": "auto"}, ("US", "leash", 20.0)),
        ("shipped_landed_cost_cny", {"market": "EU", "product": "auto"}, ("EU", "earbuds", 57.13)),
    ],
)
def test_a_metric_is_computed_from_the_stored_result(metric, extra, expected):
    found = evaluate(parametric(metric, **extra), RESULT)
    assert (found.market, found.product, found.value) == expected


def test_a_metric_without_a_denominator_has_no_value():
    empty = {"pnl": {"revenue_cny": 0.0, "advertising_cny": 500.0}, "offers": []}
    assert evaluate(parametric("acos_pct"), empty).value is None  # no ad sales
    assert evaluate(parametric("tacos_pct"), empty).value is None  # no revenue
    assert evaluate(parametric("units_sold_market", market="auto"), empty).value is None
    assert evaluate(parametric("revenue_cny"), None).value is None
    # a result stored before profit per market existed
    assert (
        evaluate(
            parametric("profit_market_cny", market="US"), RESULT | {"pnl_by_market": None}
        ).value
        is None
    )


def test_best_selling_product_within_a_market():
    assert best_selling(RESULT, "product", "US") == "earbuds"
    assert best_selling(RESULT, "market") == "EU"
    assert set(METRICS) >= {"acos_pct", "landed_cost_per_unit_cny"}
