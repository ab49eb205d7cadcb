"""``flask --app simshop verify BUNDLE``: recompute a results bundle and report mismatches.

Exit status: 0 when every round, result and ranking matches; 1 when something differs
(each difference is printed with its game, round, team, field, the bundle's value and the
recomputed one); 2 when the file is not a readable results bundle.
"""

from __future__ import annotations

import sys
import time

import click

from simshop.services.bundles import BundleFormatError, load_bundle, verify_bundle

MAX_LINES = 200


@click.command("verify")
@click.argument("bundle", type=click.Path(dir_okay=False, path_type=str))
@click.option("--max-lines", default=MAX_LINES, show_default=True, help="Mismatches to print.")
def verify_command(bundle: str, max_lines: int) -> None:
    """Recompute every round of a results bundle (.json or .zip) with the engine and compare."""
    started = time.perf_counter()
    try:
        data = load_bundle(bundle)
        report = verify_bundle(data)
    except BundleFormatError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    elapsed = time.perf_counter() - started
    for sha in sorted(set(report.scenario_sha256)):
        click.echo(f"scenario sha256 (of the text in the bundle): {sha}")
    click.echo(
        f"checked {report.games} game(s), {report.rounds} round(s), "
        f"{report.team_rounds} team results, {report.ranking_rows} combined ranking rows "
        f"in {elapsed:.2f} s"
    )
    if report.ok:
        click.echo("OK: every recomputed value matches the bundle.")
        sys.exit(0)
    for mismatch in report.mismatches[:max_lines]:
        click.echo(f"MISMATCH {mismatch.describe()}")
    hidden = len(report.mismatches) - max_lines
    if hidden > 0:
        click.echo(f"... and {hidden} more")
    click.echo(f"FAILED: {len(report.mismatches)} mismatch(es).", err=True)
    sys.exit(1)
