"""Regenerate the malformed catalogue, supplier and research fixtures:
.venv/bin/python tests/engine/scenario_cases/sourcing/generate_sourcing_cases.py

Each case is the small valid base of ``../generate_cases.py`` plus a catalogue product with
two suppliers and a ``[research]`` section (``valid_sourcing_base.toml``), with one thing
broken; the line numbers in tests/engine/test_catalogue_scenario_cases.py depend on it.
"""

from pathlib import Path

OUT = Path(__file__).parent

# the parent generator writes its files on import: read its BASE without running it
_source = (OUT.parent / "generate_cases.py").read_text(encoding="utf-8")
_base_start = _source.index('BASE = """') + len('BASE = """')
BASE = _source[_base_start : _source.index('"""', _base_start)]

SOURCING = (
    BASE
    + """
[[products]]
id = "desk-lamp"
name = "LED desk lamp"
category = "home"
unit_cost_cny = 38.0
weight_kg = 0.9
reference_price_usd = 27.99
seasonality = [1.1, 1.0, 1.0, 0.9, 0.9, 0.9, 0.9, 1.1, 1.2, 1.0, 1.1, 1.2]

[products.demand_range]
US = [0.4, 1.6]
EU = [0.3, 1.2]

[[products.suppliers]]
id = "ningbo-light"
name = "Ningbo Light Co."
lead_days = 20
quality_range = [0.5, 0.7]
defect_rate_range = [0.01, 0.04]
deposit_share = 0.3
sample_cost_cny = 300.0

[[products.suppliers.tiers]]
min_units = 300
unit_cost_cny = 40.0

[[products.suppliers.tiers]]
min_units = 2000
unit_cost_cny = 34.0

[[products.suppliers]]
id = "shenzhen-bright"
name = "Shenzhen Bright"
lead_days = 40
quality_range = [0.3, 0.6]
defect_rate_range = [0.03, 0.09]
deposit_share = 0.5
sample_cost_cny = 200.0

[[products.suppliers.tiers]]
min_units = 500
unit_cost_cny = 31.0

[research]
min_budget_cny = 1000.0
reference_budget_cny = 5000.0
noise_sd = 0.5
"""
)


def rep(old, new):
    assert SOURCING.count(old) == 1, old
    return SOURCING.replace(old, new)


def product(i):
    return (
        f'\n[[products]]\nid = "p{i}"\nname = "P{i}"\ncategory = "home"\n'
        "unit_cost_cny = 10.0\nweight_kg = 0.5\nreference_price_usd = 9.99\n"
    )


CASES = {
    "demand_range_reversed.toml": rep("US = [0.4, 1.6]", "US = [1.6, 0.4]"),
    "demand_range_zero.toml": rep("EU = [0.3, 1.2]", "EU = [0.0, 1.2]"),
    "demand_range_three_values.toml": rep("US = [0.4, 1.6]", "US = [0.4, 1.0, 1.6]"),
    "demand_range_too_high.toml": rep("US = [0.4, 1.6]", "US = [0.4, 16.0]"),
    "demand_range_bad_market.toml": rep("EU = [0.3, 1.2]", "DE = [0.3, 1.2]"),
    "product_seasonality_short.toml": rep(
        "seasonality = [1.1, 1.0, 1.0, 0.9, 0.9, 0.9, 0.9, 1.1, 1.2, 1.0, 1.1, 1.2]",
        "seasonality = [1.1, 1.0, 1.0]",
    ),
    "supplier_tiers_not_ascending.toml": rep("min_units = 2000", "min_units = 200"),
    "supplier_duplicate_id.toml": rep('id = "shenzhen-bright"', 'id = "ningbo-light"'),
    "supplier_quality_above_one.toml": rep(
        "quality_range = [0.5, 0.7]", "quality_range = [0.5, 1.2]"
    ),
    "supplier_quality_reversed.toml": rep(
        "quality_range = [0.3, 0.6]", "quality_range = [0.6, 0.3]"
    ),
    "supplier_defects_too_high.toml": rep(
        "defect_rate_range = [0.03, 0.09]", "defect_rate_range = [0.03, 0.9]"
    ),
    "supplier_moq_zero.toml": rep("min_units = 300", "min_units = 0"),
    "supplier_negative_lead_days.toml": rep("lead_days = 40", "lead_days = -5"),
    "supplier_deposit_over_one.toml": rep("deposit_share = 0.5", "deposit_share = 1.5"),
    "supplier_without_tiers.toml": rep(
        "[[products.suppliers.tiers]]\nmin_units = 500\nunit_cost_cny = 31.0\n", ""
    ),
    "supplier_unknown_key.toml": rep("sample_cost_cny = 200.0", "sample_cost = 200.0"),
    "too_many_suppliers.toml": SOURCING.replace(
        "\n[research]",
        "".join(
            f'\n[[products.suppliers]]\nid = "extra-{k}"\nname = "Extra {k}"\n\n'
            "[[products.suppliers.tiers]]\nmin_units = 100\nunit_cost_cny = 30.0\n"
            for k in range(3)
        )
        + "\n[research]",
    ),
    "research_negative_budget.toml": rep("min_budget_cny = 1000.0", "min_budget_cny = -1.0"),
    "research_zero_reference.toml": rep(
        "reference_budget_cny = 5000.0", "reference_budget_cny = 0.0"
    ),
    "research_unknown_key.toml": rep("noise_sd = 0.5", "noise = 0.5"),
    "too_many_products.toml": SOURCING.replace(
        "\n[research]", "".join(product(i) for i in range(38)) + "\n[research]"
    ),
}

if __name__ == "__main__":
    for name, text in CASES.items():
        (OUT / name).write_text(text, encoding="utf-8")
    (OUT / "valid_sourcing_base.toml").write_text(SOURCING, encoding="utf-8")
    print(len(CASES), "malformed")
