"""Compliance sections of a scenario: every rule has a malformed fixture with a located,
coded problem (``scenario_cases/compliance/``, written by its ``generate_cases.py``), and
``flask scenario check`` reports them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner

from simshop.cli.scenario import scenario as scenario_cli
from simshop.engine.scenario import NewRequirement, Requirement
from simshop.engine.scenario_errors import ScenarioInvalid, load_scenario_file

CASES_DIR = Path(__file__).parent / "scenario_cases" / "compliance"
VALID = CASES_DIR / "valid_compliance.toml"


def generated_cases() -> dict[str, str]:
    """The cases the generator writes (loaded by path: it is not a package module)."""
    spec = importlib.util.spec_from_file_location(
        "compliance_cases", CASES_DIR / "generate_cases.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.CASES)


# (file, code, loc, line, message fragment[, number of problems in the file])
CASES = [
    (
        "ip_risk_claim_above_one.toml",
        "less_than_equal",
        "products[1].ip_risk.claim_per_round",
        61,
        "less than or equal to 1",
    ),
    (
        "ip_risk_unknown_key.toml",
        "extra_forbidden",
        "products[1].ip_risk.claims",
        61,
        "unknown key 'claims'",
        2,
    ),
    (
        "new_requirement_duplicate_id.toml",
        "duplicate_requirement",
        "events[2].id",
        98,
        "requirement id 'ce' is used twice",
    ),
    (
        "new_requirement_not_announced_ahead.toml",
        "requirement_not_announced",
        "events[2].announce_round",
        105,
        "must be announced before round 3",
    ),
    (
        "new_requirement_unknown_category.toml",
        "unknown_category",
        "events[2].categories[0]",
        105,
        "no product has category 'furniture'",
    ),
    (
        "requirement_after_last_round.toml",
        "requirement_after_last_round",
        "compliance[0].start_round",
        95,
        "start_round 9 is after the last round (4)",
    ),
    (
        "requirement_detection_above_one.toml",
        "less_than_equal",
        "compliance[0].detection_per_round",
        92,
        "less than or equal to 1",
    ),
    (
        "requirement_duplicate_id.toml",
        "duplicate_requirement",
        "compliance[1].id",
        97,
        "requirement id 'ce' is used twice",
    ),
    ("requirement_missing_name.toml", "missing", "compliance[0].name", 84, "'name' is missing"),
    (
        "requirement_negative_cost.toml",
        "greater_than_equal",
        "compliance[0].cost_cny",
        89,
        "greater than or equal to 0",
    ),
    (
        "requirement_rounds_not_whole.toml",
        "int_type",
        "compliance[0].rounds_to_obtain",
        90,
        "expected a whole number, got number 1.5",
    ),
    (
        "requirement_unknown_category.toml",
        "unknown_category",
        "compliance[0].categories[0]",
        88,
        "no product has category 'furniture'",
    ),
    (
        "requirement_unknown_key.toml",
        "extra_forbidden",
        "compliance[0].fine",
        93,
        "did you mean 'fine_cny'?",
    ),
    (
        "requirement_unknown_market.toml",
        "unknown_market",
        "compliance[0].market",
        87,
        "'JP' is not a market in this scenario",
        2,  # and the EU sweep now has no requirement to enforce
    ),
    (
        "sweep_multiplier_below_one.toml",
        "greater_than_equal",
        "events[1].detection_multiplier",
        82,
        "greater than or equal to 1",
    ),
    (
        "sweep_without_requirement.toml",
        "sweep_without_requirement",
        "events[1].market",
        81,
        "no requirement of market 'US'",
    ),
]


def test_the_compliance_base_is_valid_and_has_every_section():
    scenario = load_scenario_file(VALID).scenario
    assert [r.id for r in scenario.requirements()] == ["ce"]
    assert scenario.product("toy-blocks").ip_risk is not None
    assert scenario.has_compliance()


def test_every_compliance_fixture_has_an_expectation_and_a_generator():
    on_disk = {p.name for p in CASES_DIR.glob("*.toml")} - {VALID.name}
    generated = generated_cases()
    assert on_disk == {case[0] for case in CASES} == set(generated)
    for name, text in generated.items():
        assert (CASES_DIR / name).read_text(encoding="utf-8") == text, name


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_malformed_compliance_gives_a_located_problem(case: tuple) -> None:
    name, code, loc, line, fragment, *rest = case
    with pytest.raises(ScenarioInvalid) as excinfo:
        load_scenario_file(CASES_DIR / name)
    problems = excinfo.value.problems
    assert len(problems) == (rest[0] if rest else 1), [str(p) for p in problems]
    problem = next(p for p in problems if p.code == code)
    assert (problem.loc, problem.line) == (loc, line)
    assert fragment in problem.message


def test_cli_check_reports_the_compliance_problems():
    bad = CASES_DIR / "sweep_without_requirement.toml"
    result = CliRunner().invoke(scenario_cli, ["check", str(VALID), str(bad)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{bad}:81: events[1].market: no requirement of market 'US' covers these categories: "
        "the sweep could find nothing",
        f"{bad}: 1 problem; not valid",
    ]
    assert f"{VALID}: OK" in result.stdout
    assert (
        "    ce             EU electronics: cost 20000 CNY, 1 round(s), fee 1200 CNY/year, "
        "found 20% a round, from round 1"
    ) in result.stdout.splitlines()


def test_a_new_requirement_event_is_a_requirement_from_its_round():
    event = NewRequirement.model_validate(
        {
            "kind": "new_requirement",
            "id": "battery",
            "round": 3,
            "headline": "Battery rules",
            "name": "Battery regulation",
            "market": "EU",
            "cost_cny": 8000.0,
            "detection_per_round": 0.1,
        }
    )
    assert event.announced_in == 2
    assert event.requirement() == Requirement(
        id="battery",
        name="Battery regulation",
        market="EU",
        cost_cny=8000.0,
        detection_per_round=0.1,
        start_round=3,
    )
