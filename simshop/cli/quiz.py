"""``flask --app simshop quiz check [FILE...]``: validate question bank files.

Like ``scenario check``, it needs no app context or database. Without FILES it checks the
shipped bank (``questions/*.toml``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from simshop import shipped_folder
from simshop.services.quiz_bank import BankInvalid, bank_files, load_bank

EXIT_INVALID = 2


@click.group("quiz")
def quiz() -> None:
    """The quiz question bank: check it before a quiz uses it."""


@quiz.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def check_command(files: tuple[str, ...]) -> None:
    """Validate question FILES (default: the shipped bank); print a summary, or every
    problem found as ``FILE: QUESTION: FIELD: message [code]`` on stderr (exit 2)."""
    paths = [Path(f) for f in files] or bank_files(shipped_folder("questions"))
    try:
        bank = load_bank(paths)
    except BankInvalid as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        noun = "problem" if len(exc.problems) == 1 else "problems"
        click.echo(f"{len(exc.problems)} {noun}; not valid", err=True)
        raise SystemExit(EXIT_INVALID) from None
    kinds = Counter(q.kind for q in bank.questions.values())
    topics = Counter(q.topic for q in bank.questions.values())
    click.echo(f"OK: {len(bank.questions)} questions in {len(bank.files)} files")
    click.echo("  kinds: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    click.echo("  topics: " + ", ".join(f"{k} {n}" for k, n in sorted(topics.items())))
