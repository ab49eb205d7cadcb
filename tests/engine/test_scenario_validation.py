"""Scenario files: every problem is reported, located (key path and line) and coded.

Each malformed fixture in ``scenario_cases/`` is the small valid ``valid_base.toml`` with one
thing broken (``scenario_cases/generate_cases.py`` writes them). The table below gives, per
file, the expected problem: its code, key path, line and a fragment of the message.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from simshop.cli.scenario import scenario as scenario_cli
from simshop.engine.scenario import EVENT_KINDS, MAX_SCENARIO_BYTES, Scenario, cross_check
from simshop.engine.scenario_errors import (
    ScenarioInvalid,
    ScenarioProblem,
    TomlLocator,
    load_scenario_bytes,
    load_scenario_file,
    load_scenario_text,
)

CASES_DIR = Path(__file__).parent / "scenario_cases"
SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"
SHIPPED = sorted(SCENARIOS_DIR.glob("*.toml"))

# (file, code, loc, line, message fragment[, number of problems in the file])
CASES = [
    (
        "announce_after_effect.toml",
        "announce_after_effect",
        "events[0].announce_round",
        68,
        "cannot be after",
    ),
    ("bad_currency.toml", "bad_currency", "markets[1].currency", 33, "three capital letters"),
    ("bad_identifier.toml", "bad_identifier", "products[1].id", 52, "lowercase letters"),
    ("bad_market_code.toml", "bad_market_code", "markets[1].code", 31, 'got string "DE"'),
    (
        "boolean_for_number.toml",
        "int_type",
        "calendar.rounds",
        6,
        "expected a whole number, got boolean",
    ),
    ("comments_only.toml", "empty_file", "", None, "no settings"),
    ("day_past_round.toml", "day_past_round", "events[1].last_day", 80, "past the round's 30 days"),
    ("deeply_nested.toml", "too_deep", "meta.a.b.c.d.e.f.g.h.i", 72, "nested more than 10 levels"),
    ("deeply_nested_arrays.toml", "too_deep", "", 2, "nested more than 10 levels"),
    (
        "disruption_on_missing_lane.toml",
        "lane_not_in_market",
        "events[1].mode",
        78,
        "has no 'air' lane",
    ),
    ("duplicate_event_id.toml", "duplicate_event", "events[1].id", 74, "'hike' is used twice"),
    ("duplicate_market.toml", "duplicate_market", "markets[1].code", 31, "'US' is listed twice"),
    (
        "duplicate_product_id.toml",
        "duplicate_product",
        "products[1].id",
        52,
        "'earbuds' is used twice",
    ),
    ("duplicate_tariff.toml", "duplicate_tariff", "tariffs[1]", 72, "already given"),
    ("empty.toml", "empty_file", "", None, "no settings"),
    (
        "event_after_last_round.toml",
        "event_after_last_round",
        "events[1].round",
        75,
        "after the last round (4)",
    ),
    ("events_not_an_array.toml", "list_type", "events", 1, "expected an array"),
    (
        "fee_out_of_range.toml",
        "less_than_equal",
        "markets[0].platform_fee",
        18,
        "less than or equal to 0.6",
    ),
    ("float_for_integer.toml", "int_type", "calendar.rounds", 6, "got number 4.5"),
    ("lane_repeated.toml", "lane_repeated", "markets[0].lanes", 20, "repeated: sea"),
    (
        "last_day_before_first_day.toml",
        "days_out_of_order",
        "events[1].last_day",
        80,
        "cannot be before first_day",
    ),
    ("market_rule_empty.toml", "rule_missing", "events[1]", 72, "at least one of"),
    ("missing_event_kind.toml", "missing_event_kind", "events[1]", 72, "needs a 'kind'"),
    (
        "missing_lane_lead_days.toml",
        "missing",
        "markets[1].lanes[0].lead_days",
        38,
        "'lead_days' is missing",
    ),
    ("missing_meta_title.toml", "missing", "meta.title", 1, "'title' is missing"),
    (
        "negative_lead_days.toml",
        "greater_than_equal",
        "markets[0].lanes[1].lead_days",
        27,
        "got integer -3",
    ),
    (
        "negative_price.toml",
        "greater_than_equal",
        "products[1].reference_price_usd",
        57,
        "greater than or equal to 0.01",
    ),
    (
        "huge_market_size.toml",
        "less_than_equal",
        "markets[1].size",
        35,
        "less than or equal to 1000",
    ),
    ("infinite_cash.toml", "finite_number", "economy.starting_cash_cny", 10, "finite number"),
    ("nan_lane_cost.toml", "finite_number", "markets[0].lanes[0].cost_cny_per_kg", 23, "finite"),
    ("tiny_fx_rate.toml", "greater_than_equal", "markets[1].fx_cny_per_local", 34, "0.00001"),
    ("nul_in_title.toml", "nul_character", "meta.title", 3, "NUL character"),
    ("huge_scoring_weight.toml", "finite_number", "scoring.profit", 73, "finite number"),
    (
        "neither_rate_nor_points.toml",
        "one_of_required",
        "events[0]",
        64,
        "exactly one of 'rate' or 'add_points'",
    ),
    ("non_utf8.toml", "not_utf8", "", 53, "not UTF-8"),
    (
        "practice_rounds_too_many.toml",
        "too_many_practice_rounds",
        "calendar.practice_rounds",
        8,
        "no scored round",
    ),
    ("rate_and_add_points.toml", "one_of_exclusive", "events[0].add_points", 70, "not both"),
    (
        "seasonality_11_values.toml",
        "too_short",
        "markets[1].seasonality",
        37,
        "at least 12 items, not 11",
    ),
    (
        "string_for_number.toml",
        "float_type",
        "products[0].unit_cost_cny",
        47,
        'expected a number, got string "45"',
    ),
    ("syntax_error.toml", "toml_syntax", "", 35, "TOML syntax error"),
    ("syntax_unclosed_table.toml", "toml_syntax", "", 5, "TOML syntax error"),
    ("unknown_bot_strategy.toml", "unknown_strategy", "bots.strategies", 73, "random_walk"),
    (
        "unknown_category_in_event.toml",
        "unknown_category",
        "events[1].categories[0]",
        78,
        "'furniture'",
    ),
    (
        "unknown_currency_in_event.toml",
        "unknown_currency",
        "events[1].currency",
        77,
        "no market here uses 'GBP'",
    ),
    (
        "unknown_event_kind.toml",
        "unknown_event_kind",
        "events[1].kind",
        73,
        "the kinds are: tariff_change",
    ),
    (
        "unknown_key_typo.toml",
        "extra_forbidden",
        "markets[1].platfrom_fee",
        36,
        "did you mean 'platform_fee'",
        2,
    ),
    (
        "unknown_market_in_event.toml",
        "unknown_market",
        "events[1].market",
        77,
        "'JP' is not a market",
    ),
    (
        "unknown_market_in_tariff.toml",
        "unknown_market",
        "tariffs[0].market",
        60,
        "'UK' is not a market",
    ),
    ("unknown_top_level_table.toml", "extra_forbidden", "marketz", 72, "did you mean 'markets'"),
    (
        "warehouse_fee_change_empty.toml",
        "fee_change_missing",
        "events[1]",
        72,
        "needs fulfilment_add_cny or storage_multiplier",
    ),
    (
        "refund_of_duty_not_yet_paid.toml",
        "refund_before_payment",
        "events[1].paid_to_round",
        79,
        "can only return duty paid before it",
    ),
    (
        "refund_rounds_out_of_order.toml",
        "refund_rounds_out_of_order",
        "events[1].paid_to_round",
        79,
        "cannot be before paid_from_round (2)",
    ),
    (
        "refund_share_and_rate.toml",
        "one_of_exclusive",
        "events[1].rate",
        80,
        "'share' or 'rate', not both",
    ),
    (
        "refund_unknown_category.toml",
        "unknown_category",
        "events[1].categories[0]",
        78,
        "no product has category 'furniture'",
    ),
    (
        "parcel_duty_more_categories_than_items.toml",
        "more_categories_than_items",
        "events[1].categories_per_parcel",
        80,
        "cannot exceed items_per_parcel (2.0)",
    ),
    (
        "parcel_duty_negative.toml",
        "greater_than_equal",
        "events[1].duty_per_category_local",
        78,
        "greater than or equal to 0",
    ),
    (
        "zero_scoring_weights.toml",
        "no_scoring_weight",
        "scoring",
        72,
        "at least one scoring weight",
    ),
    (
        "search_shares_over_one.toml",
        "search_shares_over_one",
        "products[1].search_terms",
        59,
        "shares add up to 1.2, more than 1",
    ),
    (
        "duplicate_search_term.toml",
        "duplicate_search_term",
        "products[1].search_terms",
        59,
        "'blocks' is used twice",
    ),
    (
        "bad_search_intent.toml",
        "literal_error",
        "products[1].search_terms[0].intent",
        63,
        "'generic', 'long_tail' or 'brand'",
    ),
    (
        "negative_min_cpc.toml",
        "greater_than_equal",
        "products[1].search_terms[0].min_cpc_usd",
        64,
        "greater than or equal to 0",
    ),
    (
        "attention_length.toml",
        "attention_length",
        "markets[1].search.attention",
        46,
        "one weight per slot (5: 2 sponsored + 3 organic), got 2",
    ),
]


def problems_of(path: Path) -> list[ScenarioProblem]:
    with pytest.raises(ScenarioInvalid) as excinfo:
        load_scenario_file(path)
    return excinfo.value.problems


def test_the_base_of_the_cases_is_valid() -> None:
    assert load_scenario_file(CASES_DIR / "valid_base.toml").scenario.meta.id == "case"


def test_every_fixture_has_an_expectation() -> None:
    on_disk = {p.name for p in CASES_DIR.glob("*.toml")} - {"valid_base.toml"}
    assert on_disk == {case[0] for case in CASES}
    assert len(on_disk) >= 30


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_malformed_file_gives_a_located_problem(case: tuple) -> None:
    name, code, loc, line, fragment, *rest = case
    problems = problems_of(CASES_DIR / name)
    assert len(problems) == (rest[0] if rest else 1), [str(p) for p in problems]
    matching = [p for p in problems if p.code == code]
    assert matching, [str(p) for p in problems]
    problem = matching[0]
    assert (problem.loc, problem.line) == (loc, line)
    assert fragment in problem.message
    assert problem.file == str(CASES_DIR / name)


def test_a_ten_megabyte_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_bytes(b"# padding\n" * 1_000_000)
    (problem,) = problems_of(big)
    assert problem.code == "too_large"
    assert "at most 1,000,000 bytes" in problem.message
    assert problem.params == {"size": 10_000_000, "max": MAX_SCENARIO_BYTES}


def test_oversized_text_and_bytes_are_refused_too() -> None:
    text = "#" * (MAX_SCENARIO_BYTES + 1)
    for load in (lambda: load_scenario_text(text), lambda: load_scenario_bytes(text.encode())):
        with pytest.raises(ScenarioInvalid) as excinfo:
            load()
        assert [p.code for p in excinfo.value.problems] == ["too_large"]


def test_a_million_brackets_do_not_raise_recursion_error() -> None:
    with pytest.raises(ScenarioInvalid) as excinfo:
        load_scenario_text("x = " + "[" * 400_000 + "]" * 400_000)
    assert [p.code for p in excinfo.value.problems] == ["too_deep"]


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = (CASES_DIR / "valid_base.toml").read_text(encoding="utf-8")
    text = text.replace("rounds = 4", "rounds = 2")  # the event in round 2 is still fine
    text = text.replace('currency = "EUR"', 'currency = "eur"')
    text = text.replace("lead_days = 25", 'lead_days = "25"')
    text += '\n[[events]]\nkind = "news"\nid = "late"\nround = 3\nheadline = "Too late"\n'
    text += '\n[[events]]\nkind = "fx_move"\nid = "yen"\nround = 2\nheadline = "Yen"\n'
    text += 'currency = "JPY"\nchange = 0.1\n'
    with pytest.raises(ScenarioInvalid) as excinfo:
        load_scenario_text(text, "many.toml")
    found = [(p.code, p.loc) for p in excinfo.value.problems]
    assert found == [
        ("int_type", "markets[0].lanes[0].lead_days"),
        ("bad_currency", "markets[1].currency"),
        ("event_after_last_round", "events[1].round"),
        ("unknown_currency", "events[2].currency"),
    ]


def test_errors_inside_an_event_are_located_without_the_kind_name() -> None:
    text = (CASES_DIR / "valid_base.toml").read_text(encoding="utf-8")
    text = text.replace("add_points = 0.10", 'add_points = "ten"')
    with pytest.raises(ScenarioInvalid) as excinfo:
        load_scenario_text(text, "ev.toml")
    (problem,) = excinfo.value.problems
    assert (problem.code, problem.loc, problem.line) == ("float_type", "events[0].add_points", 70)


def test_unknown_kind_lists_every_kind() -> None:
    (problem,) = problems_of(CASES_DIR / "unknown_event_kind.toml")
    assert problem.params["known"] == list(EVENT_KINDS)
    for kind in EVENT_KINDS:
        assert kind in problem.message


def test_problem_prints_as_file_line_path_message() -> None:
    (problem,) = problems_of(CASES_DIR / "duplicate_market.toml")
    assert str(problem) == (
        f"{CASES_DIR / 'duplicate_market.toml'}:31: markets[1].code: market 'US' is listed twice"
    )


def test_problem_params_let_the_web_layer_translate() -> None:
    (problem,) = problems_of(CASES_DIR / "event_after_last_round.toml")
    assert problem.params == {"round": 7, "rounds": 4}


def test_loaded_scenario_keeps_text_and_sha256_of_the_bytes() -> None:
    path = SCENARIOS_DIR / "tutorial.toml"
    loaded = load_scenario_file(path)
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert loaded.text == path.read_text(encoding="utf-8")


def test_a_utf8_bom_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + (CASES_DIR / "valid_base.toml").read_bytes()
    assert load_scenario_bytes(data, "bom.toml").scenario.meta.id == "case"


def test_plain_model_validation_still_rejects_cross_reference_problems() -> None:
    """Engine callers that validate dicts directly get the cross-checks too."""
    import tomllib

    data = tomllib.loads((CASES_DIR / "unknown_market_in_event.toml").read_text(encoding="utf-8"))
    with pytest.raises(ValidationError, match="'JP' is not a market"):
        Scenario.model_validate(data)


def test_locator_numbers_nested_arrays_within_their_parent() -> None:
    text = "[[a]]\nx = 1\n[[a.b]]\ny = 1\n[[a.b]]\ny = 2\n[[a]]\n[[a.b]]\ny = 3\n"
    locator = TomlLocator(text)
    assert locator.line_of(("a", 0, "b", 1, "y")) == 6
    assert locator.line_of(("a", 1, "b", 0, "y")) == 9
    assert locator.line_of(("a", 1, "missing")) == 7
    assert locator.line_of(("nowhere",)) is None


def test_locator_skips_multiline_strings_and_arrays() -> None:
    text = 'd = """\nfake = 1\n"""\nxs = [\n  1,\n  2,\n]\nreal = 2\n'
    locator = TomlLocator(text)
    assert locator.line_of(("fake",)) is None
    assert locator.line_of(("xs", 1)) == 4
    assert locator.line_of(("real",)) == 8


# --------------------------------------------------------------------------- shipped library


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scenario_is_valid_and_bilingual(path: Path) -> None:
    scenario = load_scenario_file(path).scenario
    assert scenario.meta.id == path.stem
    assert cross_check(scenario) == []
    assert scenario.meta.title_zh and scenario.meta.description and scenario.meta.description_zh
    for market in scenario.markets:
        assert market.name_zh, market.code
    for product in scenario.products:
        assert product.name_zh, product.id
    for event in scenario.events:
        assert event.headline_zh and event.body and event.body_zh, event.id
    assert set(scenario.bots.strategies) == {"cost_plus", "discounter", "premium"}


NUMBER_KEYS_WITHOUT_SOURCE = {
    # Game design choices, not facts about the world.
    "rounds", "days_per_round", "practice_rounds", "round", "announce_round", "count",
    "profit", "revenue", "market_share", "rating", "roi", "demand_weight", "first_day", "last_day",
}  # fmt: skip


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_number_in_a_shipped_scenario_cites_its_source(path: Path) -> None:
    missing = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        key, eq, value = line.partition("=")
        value = value.split("#")[0].strip()
        if not eq or key.strip() in NUMBER_KEYS_WITHOUT_SOURCE or key.startswith("#"):
            continue
        if not value or not (value[0].isdigit() or value[0] in "-[") or value.startswith('["'):
            continue
        comment = line.partition("#")[2]
        if not (CITATION.search(comment) or "Est." in comment):
            missing.append(f"{path.name}:{number}: {line.strip()}")
    assert missing == []


SOURCES_DOC = SCENARIOS_DIR.parent / "docs" / "sources.md"
CITATION = re.compile(r"\[([A-Z]\d+)\]")
SOURCE_DEFINITION = re.compile(r"^(?:\| |### )\[([A-Z]\d+)\]", re.MULTILINE)


def defined_source_keys() -> set[str]:
    """The keys docs/sources.md defines: a table row or a heading that starts with ``[KEY]``."""
    return set(SOURCE_DEFINITION.findall(SOURCES_DOC.read_text(encoding="utf-8")))


def cited_source_keys(text: str) -> list[tuple[int, str]]:
    """(line, key) of every ``[KEY]`` cited in a comment of a scenario file."""
    return [
        (number, key)
        for number, line in enumerate(text.splitlines(), start=1)
        for key in CITATION.findall(line.partition("#")[2])
    ]


def test_docs_sources_defines_each_key_once_with_a_source() -> None:
    keys = SOURCE_DEFINITION.findall(SOURCES_DOC.read_text(encoding="utf-8"))
    assert len(keys) == len(set(keys))
    assert {"S1", "S43", "S110", "F4", "F7", "F17", "F20", "T2", "T6", "T7"} <= set(keys)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_cited_source_key_is_defined_in_docs_sources(path: Path) -> None:
    defined = defined_source_keys()
    cited = cited_source_keys(path.read_text(encoding="utf-8"))
    assert cited, "a shipped scenario cites its sources"
    assert [f"{path.name}:{n}: [{key}]" for n, key in cited if key not in defined] == []


OUTSIDE_FILES = ("domain.md", "operator-craft.md", "shared/reference")


def outside_citations(text: str) -> list[int]:
    """Lines that cite a reference file kept outside this repository."""
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if any(name in line for name in OUTSIDE_FILES)
    ]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_no_scenario_cites_a_file_outside_the_project(path: Path) -> None:
    assert outside_citations(path.read_text(encoding="utf-8")) == []


def test_an_undefined_key_or_an_outside_file_is_caught() -> None:
    text = "size = 64.0  # [S999]\nrate = 0.1  # domain.md §6 [T6]\n"
    assert [key for _, key in cited_source_keys(text) if key not in defined_source_keys()] == [
        "S999"
    ]
    assert cited_source_keys(text) == [(1, "S999"), (2, "T6")]
    assert outside_citations(text) == [2]


def test_the_library_has_the_six_scenarios() -> None:
    assert {p.stem for p in SHIPPED} >= {
        "tutorial", "us-tariffs-2025", "red-sea", "new-markets", "festivals", "currency-swings",
    }  # fmt: skip


# --------------------------------------------------------------------------- CLI


def test_cli_check_prints_a_summary_and_exits_0() -> None:
    result = CliRunner().invoke(scenario_cli, ["check", str(SCENARIOS_DIR / "red-sea.toml")])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Round the Cape: the Red Sea closure" in out
    assert "EU    EUR 8.313 CNY" in out and "sea 35d" in out
    assert "storage-box" in out
    assert "8 rounds x 30 days" in out
    assert "round  3 (news in round 2): shipping_disruption: Europe-bound ships" in out


def test_cli_check_accepts_several_files() -> None:
    files = [str(SCENARIOS_DIR / "tutorial.toml"), str(SCENARIOS_DIR / "festivals.toml")]
    result = CliRunner().invoke(scenario_cli, ["check", *files])
    assert result.exit_code == 0, result.output
    assert result.stdout.count(": OK") == 2


def test_cli_check_lists_every_error_on_stderr_and_exits_2() -> None:
    bad = CASES_DIR / "unknown_key_typo.toml"
    good = SCENARIOS_DIR / "tutorial.toml"
    result = CliRunner().invoke(scenario_cli, ["check", str(good), str(bad)])
    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert errors == [
        f"{bad}:30: markets[1].platform_fee: required key 'platform_fee' is missing",
        f"{bad}:36: markets[1].platfrom_fee: unknown key 'platfrom_fee'; did you mean "
        "'platform_fee'?",
        f"{bad}: 2 problems; not valid",
    ]
    assert "tutorial.toml: OK" in result.stdout


def test_cli_check_reports_a_missing_file() -> None:
    result = CliRunner().invoke(scenario_cli, ["check", "no/such/file.toml"])
    assert result.exit_code == 2
    assert "no/such/file.toml: cannot read the file" in result.stderr


def test_news_is_only_what_has_been_announced_newest_first():
    scenario = load_scenario_file(SCENARIOS_DIR / "us-tariffs-2025.toml").scenario
    seen = scenario.announced_events(3)
    assert seen and all(e.announced_in <= 3 for e in seen)
    assert {e.id for e in seen} == {e.id for e in scenario.events if e.announced_in <= 3}
    rounds = [e.announced_in for e in seen]
    assert rounds == sorted(rounds, reverse=True)
    assert scenario.announced_events(0) == []


def test_event_text_falls_back_to_english_when_no_chinese_is_written():
    scenario = load_scenario_file(SCENARIOS_DIR / "us-tariffs-2025.toml").scenario
    event = scenario.events[0]
    assert event.text("headline", chinese=True) == event.headline_zh != ""
    untranslated = event.model_copy(update={"headline_zh": ""})
    assert untranslated.text("headline", chinese=True) == event.headline
    assert event.text("headline", chinese=False) == event.headline


def test_a_dotted_key_of_150000_parts_is_refused_before_toml_parses_it(monkeypatch) -> None:
    import simshop.engine.scenario_errors as scenario_errors

    def never(_text: str) -> None:
        raise AssertionError("tomllib must not see this file")

    monkeypatch.setattr(scenario_errors.tomllib, "loads", never)
    text = (CASES_DIR / "valid_base.toml").read_text() + "a" + ".a" * 150_000 + " = 1\n"
    assert len(text.encode()) > 300_000
    with pytest.raises(ScenarioInvalid) as excinfo:
        load_scenario_text(text, "dotted.toml")
    (problem,) = excinfo.value.problems
    assert (problem.code, problem.line) == ("too_deep", text.count("\n"))


def test_dots_in_text_comments_and_numbers_are_not_mistaken_for_deep_keys() -> None:
    text = (
        (CASES_DIR / "valid_base.toml")
        .read_text()
        .replace(
            'title = "A small valid scenario"',
            'title = "A small valid scenario"\ndescription = "' + "e.g. a.b " * 100 + '"',
        )
    )
    text += "# " + "a.b.c " * 100 + "\n[scoring]\nprofit = 1.5\nrevenue = 0.25\n"
    assert text.count(".") > 300
    assert load_scenario_text(text, "ok.toml").scenario.scoring.profit == 1.5


def test_a_scenario_naming_its_categories_must_name_every_one_its_products_use():
    text = Path("scenarios/tutorial.toml").read_text(encoding="utf-8")
    start = text.index("[categories.toys]")
    text = text[:start].rstrip() + "\n"  # electronics named, toys not
    # The toy product's own line: the first 'category = "toys"' is the second product's.
    toy_line = text.splitlines().index('category = "toys"') + 1
    assert text.splitlines()[toy_line - 4] == 'id = "toy-blocks"'
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario_text(text, "t.toml")
    assert [(p.code, p.loc, p.line, p.params) for p in caught.value.problems] == [
        (
            "unnamed_category",
            "products[1].category",
            toy_line,
            {"category": "toys", "known": ["electronics"]},
        )
    ]


def test_without_a_categories_section_any_category_is_accepted():
    text = Path("scenarios/tutorial.toml").read_text(encoding="utf-8")
    text = text[: text.index("# How the tariff categories are shown")]
    assert load_scenario_text(text, "t.toml").scenario.categories == {}
