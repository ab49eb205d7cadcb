"""``flask --app simshop scenario check FILE...``: validate scenario files.

Needs no app context or database: it only reads the files, so it also runs from a plain
``python -m`` or a test's :class:`click.testing.CliRunner`.
"""

from __future__ import annotations

import calendar as std_calendar

import click

from simshop.engine.scenario import Scenario
from simshop.engine.scenario_errors import LoadedScenario, ScenarioInvalid, load_scenario_file

EXIT_INVALID = 2


@click.group("scenario")
def scenario() -> None:
    """Scenario files: check them before a game uses them."""


@scenario.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check_command(files: tuple[str, ...]) -> None:
    """Validate scenario FILES; print a summary of each, or every problem found.

    Exits 0 when every file is valid, 2 when any is not (problems go to stderr as
    ``FILE:LINE: key.path: message``).
    """
    invalid = 0
    for index, path in enumerate(files):
        try:
            loaded = load_scenario_file(path)
        except ScenarioInvalid as exc:
            invalid += 1
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            noun = "problem" if len(exc.problems) == 1 else "problems"
            click.echo(f"{path}: {len(exc.problems)} {noun}; not valid", err=True)
            continue
        if index:
            click.echo("")
        click.echo("\n".join(summary_lines(path, loaded)))
    if invalid:
        raise SystemExit(EXIT_INVALID)


def _pct(value: float) -> str:
    return f"{value * 100:g}%"


def summary_lines(path: str, loaded: LoadedScenario) -> list[str]:
    """A one-screen description of a valid scenario: what a reviewer checks first."""
    s: Scenario = loaded.scenario
    cal = s.calendar
    month = std_calendar.month_abbr[cal.start_month]
    lines = [
        f"{path}: OK  (id {s.meta.id}, sha256 {loaded.sha256[:12]})",
        f"  {s.meta.title}" + (f" / {s.meta.title_zh}" if s.meta.title_zh else ""),
        f"  {cal.rounds} rounds x {cal.days_per_round} days from {month}"
        + (f", {cal.practice_rounds} practice" if cal.practice_rounds else "")
        + f"; cash {s.economy.starting_cash_cny:,.0f} CNY, credit {s.economy.credit_line_cny:,.0f}",
        "  markets:",
    ]
    for m in s.markets:
        lanes = ", ".join(f"{ln.mode} {ln.lead_days}d {ln.cost_cny_per_kg:g}/kg" for ln in m.lanes)
        vat = f" VAT {_pct(m.vat_rate)}" if m.vat_rate else ""
        lines.append(
            f"    {m.code:<5} {m.currency} {m.fx_cny_per_local:g} CNY, size {m.size:g}, "
            f"fee {_pct(m.platform_fee)}{vat}; lanes: {lanes}"
        )
    lines.append("  products:")
    for p in s.products:
        sourcing = ""
        if p.demand_range:
            sourcing += f"; demand drawn per game in {', '.join(sorted(p.demand_range))}"
        if p.suppliers:
            sourcing += "; suppliers " + ", ".join(
                f"{x.id} (MOQ {x.moq}, {x.lead_days} d)" for x in p.suppliers
            )
        lines.append(
            f"    {p.id:<14} {p.category:<12} cost {p.unit_cost_cny:g} CNY, {p.weight_kg:g} kg, "
            f"ref ${p.reference_price_usd:g}{sourcing}"
        )
    if s.tariffs:
        tariffs = ", ".join(f"{t.market} {t.category} {_pct(t.rate)}" for t in s.tariffs)
        lines.append(f"  tariffs: {tariffs}")
    if s.requirements():
        lines.append("  compliance:")
        for r in s.requirements():
            lines.append(
                f"    {r.id:<14} {r.market} {', '.join(r.categories)}: cost {r.cost_cny:g} CNY, "
                f"{r.rounds_to_obtain} round(s), fee {r.yearly_fee_cny:g} CNY/year, "
                f"found {_pct(r.detection_per_round)} a round, from round {r.start_round}"
            )
    if s.events:
        lines.append("  events:")
        for event in sorted(s.events, key=lambda e: (e.round, e.announced_in, e.id)):
            announced = (
                f" (news in round {event.announced_in})"
                if event.announced_in != event.round
                else ""
            )
            lines.append(f"    round {event.round:>2}{announced}: {event.kind}: {event.headline}")
    else:
        lines.append("  events: none")
    if s.bots.count:
        lines.append(f"  bots: {s.bots.count} ({', '.join(s.bots.strategies) or 'default'})")
    return lines
