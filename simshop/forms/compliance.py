"""The compliance part of the decision form: which certificates to start obtaining, and
what the page shows about each requirement (cost, time, fee, the team's status, listings
that lack it).

The decision form (:class:`simshop.forms.game.DecisionForm`) calls the hooks here: one
checkbox per requirement of the scenario, named ``certificates.<requirement id>``; the
engine's issues at ``("certificates", i)`` land on the checkbox of the i-th chosen id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simshop.engine.compliance import certificate_status
from simshop.engine.scenario import ANY_CATEGORY, Requirement, Scenario
from simshop.engine.sheet import DecisionSheet
from simshop.engine.state import TeamState
from simshop.i18n import localized_name

if TYPE_CHECKING:  # pragma: no cover
    from simshop.forms.game import DecisionField, DecisionForm

SECTION_COMPLIANCE = "compliance"
PREFIX = "certificates."


def field_name(requirement_id: str) -> str:
    return PREFIX + requirement_id


def add_certificate_fields(form: DecisionForm, v: Callable[..., Any]) -> None:
    """One checkbox per requirement of the scenario (``[[compliance]]`` and the
    ``new_requirement`` events), in scenario order."""
    from simshop.forms.game import DecisionField

    for rule in form.scenario.requirements():
        name = field_name(rule.id)
        form.fields[name] = DecisionField(
            name,
            "checkbox",
            v(name, False),
            SECTION_COMPLIANCE,
            market=rule.market,
            key="certificate",
        )


def certificate_values(sheet: DecisionSheet) -> dict[str, Any]:
    """The form values of a sheet's certificates."""
    return {field_name(rid): True for rid in sheet.certificates}


def chosen_certificates(scenario: Scenario, fields: Mapping[str, DecisionField]) -> list[str]:
    """The requirement ids ticked, in scenario order."""
    return [
        rule.id
        for rule in scenario.requirements()
        if (f := fields.get(field_name(rule.id))) is not None and f.value
    ]


def with_requirement_names(scenario: Scenario, params: dict[str, Any]) -> dict[str, Any]:
    """An issue's parameters with a requirement id replaced by its name in the page's
    language (an unknown id stays as it is)."""
    rid = params.get("requirement")
    rule = next((r for r in scenario.requirements() if r.id == rid), None)
    return {**params, "requirement": localized_name(rule)} if rule is not None else params


def certificate_field_for(form: DecisionForm, loc: tuple) -> DecisionField | None:
    """The checkbox an engine issue at ``("certificates", i)`` is about."""
    if len(loc) < 2 or not isinstance(loc[1], int):
        return None
    chosen = chosen_certificates(form.scenario, form.fields)
    if loc[1] >= len(chosen):
        return None
    return form.fields.get(field_name(chosen[loc[1]]))


@dataclass
class RequirementRow:
    """One requirement as the decision page shows it."""

    rule: Requirement
    status: str
    """``held``, ``in_progress`` or ``missing`` in the round being decided."""
    ready_round: int | None
    """The round from which the team holds it (None when it has not bought it)."""
    in_force: bool
    """Enforced in the round being decided (else it starts later)."""
    relevant: bool
    """The team is in (or entering) its market."""
    lacking: list[str] = field(default_factory=list)
    """Products the form lists in its market that need it and are not covered this round."""
    field: DecisionField | None = None


def requirement_rows(form: DecisionForm, round_no: int) -> list[RequirementRow]:
    """Every requirement with the team's status for ``round_no`` and the listed offers of the
    form (its current values) that lack it; relevant markets first, then scenario order."""
    sc, team = form.scenario, form.team
    entering = {
        m.code
        for m in sc.markets
        if (f := form.fields.get(f"market.{m.code}")) is not None
        and f.value
        and m.code not in team.entered_markets
    }
    markets = set(team.entered_markets) | entering
    rows = []
    for rule in sc.requirements():
        status = certificate_status(team, rule.id, round_no)
        chosen = form.fields.get(field_name(rule.id))
        covered = status == "held" or (
            chosen is not None and chosen.value and rule.rounds_to_obtain == 0
        )
        lacking = []
        if rule.in_force(round_no) and not covered:
            for product in sc.products:
                listed = form.fields.get(f"offers.{rule.market}.{product.id}.listed")
                if listed is not None and listed.value and _covers(rule, product.category):
                    lacking.append(product.id)
        rows.append(
            RequirementRow(
                rule,
                status,
                team.certificates.get(rule.id),
                rule.in_force(round_no),
                rule.market in markets,
                lacking,
                chosen,
            )
        )
    return sorted(rows, key=lambda r: not r.relevant)


def _covers(rule: Requirement, category: str) -> bool:
    return ANY_CATEGORY in rule.categories or category in rule.categories


def team_round(team: TeamState) -> int:
    """The round a team's decisions are for."""
    return team.round_no + 1
