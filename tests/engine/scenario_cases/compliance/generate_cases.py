"""Regenerate the compliance fixtures (from the repository root):
.venv/bin/python tests/engine/scenario_cases/compliance/generate_cases.py

Each case is ``valid_compliance.toml`` (the small valid base of the parent folder plus a
``[[compliance]]`` requirement, a look-alike product and a sweep) with one thing broken; the
expected problems are in tests/engine/test_compliance_scenario.py, whose line numbers
depend on this base, so change it with care.
"""

from pathlib import Path

OUT = Path(__file__).parent
PARENT = (OUT.parent / "valid_base.toml").read_text(encoding="utf-8")

REQUIREMENT = """
[[compliance]]
id = "ce"
name = "CE marking"
market = "EU"
categories = ["electronics"]
cost_cny = 20000.0
rounds_to_obtain = 1
yearly_fee_cny = 1200.0
detection_per_round = 0.2
fine_cny = 5000.0
removal_cny_per_unit = 3.0
"""
IP_RISK = """
[products.ip_risk]
demand_boost = 1.3
claim_per_round = 0.1
"""
SWEEP = """
[[events]]
kind = "compliance_sweep"
id = "sweep"
round = 3
headline = "A sweep"
market = "EU"
detection_multiplier = 2.0
"""
# the look-alike risk belongs to the second product (toy-blocks), the last [[products]]
_products_end = PARENT.index("[[tariffs]]")
BASE = (
    PARENT[:_products_end].rstrip("\n")
    + "\n"
    + IP_RISK
    + "\n"
    + PARENT[_products_end:]
    + SWEEP
    + REQUIREMENT
)


def rep(old, new, count=1):
    assert BASE.count(old) >= 1, old
    return BASE.replace(old, new, count)


NEW = """
[[events]]
kind = "new_requirement"
id = "{id}"
round = 3
headline = "A new rule"
name = "Battery rules"
market = "EU"
cost_cny = 8000.0
detection_per_round = 0.1
{extra}"""


def new(id="battery", extra=""):
    return BASE + NEW.format(id=id, extra=extra)


CASES = {
    "requirement_unknown_market.toml": rep(
        'market = "EU"\ncategories', 'market = "JP"\ncategories'
    ),
    "requirement_unknown_category.toml": rep(
        'categories = ["electronics"]', 'categories = ["furniture"]'
    ),
    "requirement_duplicate_id.toml": BASE + REQUIREMENT,
    "requirement_after_last_round.toml": rep(
        "removal_cny_per_unit = 3.0", "removal_cny_per_unit = 3.0\nstart_round = 9"
    ),
    "requirement_detection_above_one.toml": rep(
        "detection_per_round = 0.2", "detection_per_round = 1.5"
    ),
    "requirement_negative_cost.toml": rep("cost_cny = 20000.0", "cost_cny = -1.0"),
    "requirement_missing_name.toml": rep('name = "CE marking"\n', ""),
    "requirement_unknown_key.toml": rep("fine_cny = 5000.0", "fine = 5000.0"),
    "requirement_rounds_not_whole.toml": rep("rounds_to_obtain = 1", "rounds_to_obtain = 1.5"),
    "new_requirement_not_announced_ahead.toml": new(extra="announce_round = 3\n"),
    "new_requirement_duplicate_id.toml": new(id="ce"),
    "new_requirement_unknown_category.toml": new(extra='categories = ["furniture"]\n'),
    "sweep_without_requirement.toml": rep(
        'market = "EU"\ndetection_multiplier', 'market = "US"\ndetection_multiplier'
    ),
    "sweep_multiplier_below_one.toml": rep(
        "detection_multiplier = 2.0", "detection_multiplier = 0.5"
    ),
    "ip_risk_claim_above_one.toml": rep("claim_per_round = 0.1", "claim_per_round = 2.0"),
    "ip_risk_unknown_key.toml": rep("claim_per_round = 0.1", "claims = 0.1"),
}

if __name__ == "__main__":
    for name, text in CASES.items():
        (OUT / name).write_text(text, encoding="utf-8")
    (OUT / "valid_compliance.toml").write_text(BASE, encoding="utf-8")
    print(len(CASES), "malformed")
