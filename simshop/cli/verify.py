"""``flask --app simshop verify BUNDLE`` and ``flask --app simshop bundle-key``.

``verify`` checks a results bundle with :mod:`simshop.engine.verify`: the signature, then
every round, result and ranking recomputed by the engine. Exit status: 0 when the bundle is
signed (by the ``--key`` given, if any) and every recomputed value matches; 1 when something
differs, the signature is bad or by another key, or the bundle is unsigned (unless
``--allow-unsigned``: then only the recomputed values are checked, and team names, titles and
publication times are unproven); 2 when the file or the key is not readable or not a results
bundle (each with a one-line message, never a traceback).

``bundle-key`` prints the server's public key (PEM) and its fingerprint, generating the key
pair in the instance folder on first use.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from simshop.engine.verify import (
    BundleFormatError,
    VerifyReport,
    load_bundle,
    read_public_key_pem,
    verify_bundle,
)
from simshop.services.bundles import server_public_key

MAX_LINES = 200
SIGNATURE_LINES = {
    "valid": "signature: valid, key {key_id}",
    "invalid": "signature: INVALID (the bundle was changed after it was signed)",
    "other_key": "signature: valid but by another key ({key_id}), not the --key given",
    "absent": "signature: none (team names, titles and publication times are unproven)",
}


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _print_mismatches(report: VerifyReport, max_lines: int) -> None:
    for mismatch in report.mismatches[:max_lines]:
        click.echo(f"MISMATCH {mismatch.describe()}")
    hidden = len(report.mismatches) - max_lines
    if hidden > 0:
        click.echo(f"... and {hidden} more")


@click.command("verify")
@click.argument("bundle", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The server's public key (PEM, from bundle-key or /.well-known/simshop-bundle-key); "
    "the bundle must be signed by it.",
)
@click.option("--allow-unsigned", is_flag=True, help="Accept a bundle without a signature.")
@click.option("--max-lines", default=MAX_LINES, show_default=True, help="Mismatches to print.")
def verify_command(
    bundle: str, key_file: Path | None, allow_unsigned: bool, max_lines: int
) -> None:
    """Check a results bundle (.json or .zip): its signature, and every round recomputed."""
    started = time.perf_counter()
    try:
        trusted = None
        if key_file is not None:
            try:
                trusted = read_public_key_pem(key_file.read_bytes())
            except OSError as exc:
                raise BundleFormatError(f"{key_file}: cannot read: {exc.strerror}") from None
        report = verify_bundle(load_bundle(bundle), trusted_key=trusted)
    except BundleFormatError as exc:
        _fail(str(exc))
        return
    elapsed = time.perf_counter() - started
    for sha in sorted(set(report.scenario_sha256)):
        click.echo(f"scenario sha256 (of the text in the bundle): {sha}")
    click.echo(SIGNATURE_LINES[report.signature].format(key_id=report.key_id))
    click.echo(
        f"checked {report.games} game(s), {report.rounds} round(s), "
        f"{report.team_rounds} team results, {report.ranking_rows} combined ranking rows "
        f"in {elapsed:.2f} s"
    )
    _print_mismatches(report, max_lines)
    if not report.ok:
        click.echo(f"FAILED: {len(report.mismatches)} mismatch(es).", err=True)
        sys.exit(1)
    if report.signature == "absent" and (key_file is not None or not allow_unsigned):
        click.echo("FAILED: the bundle is not signed (--allow-unsigned to accept).", err=True)
        sys.exit(1)
    click.echo("OK: every recomputed value matches the bundle.")
    sys.exit(0)


@click.command("bundle-key")
@with_appcontext
def bundle_key_command() -> None:
    """Print the public key results bundles are signed with, and its fingerprint."""
    pem, fingerprint = server_public_key(current_app.instance_path)
    click.echo(pem.decode("ascii"), nl=False)
    click.echo(f"fingerprint: {fingerprint}")
