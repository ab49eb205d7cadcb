"""Catalogue, supplier and research sections of a scenario file: every problem located.

Each fixture in ``scenario_cases/sourcing/`` is ``valid_sourcing_base.toml`` (the small valid
base plus a catalogue product with two suppliers and a ``[research]`` section) with one thing
broken (``generate_sourcing_cases.py`` writes them). ``flask scenario check`` reports the
same problems (it loads through the same function).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from simshop.cli.scenario import scenario as scenario_cli
from simshop.engine.scenario_errors import ScenarioInvalid, load_scenario_file

CASES_DIR = Path(__file__).parent / "scenario_cases" / "sourcing"

# (file, code, loc, line, message fragment)
CASES = [
    (
        "demand_range_bad_market.toml",
        "bad_market_code",
        "products[2].demand_range.DE",
        83,
        'got string "DE"',
    ),
    (
        "demand_range_reversed.toml",
        "range_reversed",
        "products[2].demand_range.US",
        82,
        "low end (1.6) is above its high end (0.4)",
    ),
    (
        "demand_range_three_values.toml",
        "too_long",
        "products[2].demand_range.US",
        82,
        "at most 2 items, not 3",
    ),
    (
        "demand_range_too_high.toml",
        "demand_range_too_high",
        "products[2].demand_range.US",
        82,
        "at most 10; got 16.0",
    ),
    (
        "demand_range_zero.toml",
        "range_not_positive",
        "products[2].demand_range.EU",
        83,
        "must start above 0",
    ),
    (
        "product_seasonality_short.toml",
        "too_short",
        "products[2].seasonality",
        79,
        "at least 12 items, not 3",
    ),
    (
        "research_negative_budget.toml",
        "greater_than_equal",
        "research.min_budget_cny",
        116,
        "greater than or equal to 0",
    ),
    (
        "research_unknown_key.toml",
        "extra_forbidden",
        "research.noise",
        118,
        "did you mean 'noise_sd'",
    ),
    (
        "research_zero_reference.toml",
        "greater_than",
        "research.reference_budget_cny",
        117,
        "greater than 0",
    ),
    (
        "supplier_defects_too_high.toml",
        "defect_rate_too_high",
        "products[2].suppliers[1].defect_rate_range",
        107,
        "at most 0.5; got 0.9",
    ),
    (
        "supplier_deposit_over_one.toml",
        "less_than_equal",
        "products[2].suppliers[1].deposit_share",
        108,
        "less than or equal to 1",
    ),
    (
        "supplier_duplicate_id.toml",
        "duplicate_supplier",
        "products[2].suppliers[1].id",
        103,
        "'ningbo-light' is used twice",
    ),
    (
        "supplier_moq_zero.toml",
        "greater_than_equal",
        "products[2].suppliers[0].tiers[0].min_units",
        95,
        "greater than or equal to 1",
    ),
    (
        "supplier_negative_lead_days.toml",
        "greater_than_equal",
        "products[2].suppliers[1].lead_days",
        105,
        "got integer -5",
    ),
    (
        "supplier_quality_above_one.toml",
        "range_above_one",
        "products[2].suppliers[0].quality_range",
        89,
        "quality is at most 1; got 1.2",
    ),
    (
        "supplier_quality_reversed.toml",
        "range_reversed",
        "products[2].suppliers[1].quality_range",
        106,
        "low end (0.6) is above its high end (0.3)",
    ),
    (
        "supplier_tiers_not_ascending.toml",
        "tiers_not_ascending",
        "products[2].suppliers[0].tiers",
        94,
        "rising min_units; got 300, 200",
    ),
    (
        "supplier_unknown_key.toml",
        "extra_forbidden",
        "products[2].suppliers[1].sample_cost",
        109,
        "did you mean 'sample_cost_cny'",
    ),
    (
        "supplier_without_tiers.toml",
        "missing",
        "products[2].suppliers[1].tiers",
        102,
        "'tiers' is missing",
    ),
    ("too_many_products.toml", "too_long", "products", 43, "at most 40 items, not 41"),
    ("too_many_suppliers.toml", "too_long", "products[2].suppliers", 85, "at most 4 items, not 5"),
]


def test_the_sourcing_base_is_valid_and_has_a_catalogue_product() -> None:
    scenario = load_scenario_file(CASES_DIR / "valid_sourcing_base.toml").scenario
    lamp = scenario.product("desk-lamp")
    assert lamp.demand_range == {"US": [0.4, 1.6], "EU": [0.3, 1.2]}
    assert [s.id for s in lamp.suppliers] == ["ningbo-light", "shenzhen-bright"]
    assert lamp.suppliers[0].moq == 300
    assert scenario.research is not None and scenario.research.noise_sd == 0.5


def test_every_sourcing_fixture_has_an_expectation() -> None:
    on_disk = {p.name for p in CASES_DIR.glob("*.toml")} - {"valid_sourcing_base.toml"}
    assert on_disk == {case[0] for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_a_broken_catalogue_section_gives_one_located_problem(case: tuple) -> None:
    name, code, loc, line, fragment = case
    with pytest.raises(ScenarioInvalid) as excinfo:
        load_scenario_file(CASES_DIR / name)
    (problem,) = excinfo.value.problems
    assert (problem.code, problem.loc, problem.line) == (code, loc, line)
    assert fragment in problem.message


def test_scenario_check_prints_the_located_supplier_problem() -> None:
    path = CASES_DIR / "supplier_tiers_not_ascending.toml"
    result = CliRunner().invoke(scenario_cli, ["check", str(path)])
    assert result.exit_code != 0
    assert (
        f"{path}:94: products[2].suppliers[0].tiers: tiers must be listed by rising "
        "min_units; got 300, 200"
    ) in result.output


def test_scenario_check_summarises_a_catalogue_product() -> None:
    path = CASES_DIR / "valid_sourcing_base.toml"
    result = CliRunner().invoke(scenario_cli, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        "desk-lamp      home         cost 38 CNY, 0.9 kg, ref $27.99; demand drawn per game "
        "in EU, US; suppliers ningbo-light (MOQ 300, 20 d), shenzhen-bright (MOQ 500, 40 d)"
    ) in result.output
