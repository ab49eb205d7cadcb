"""``flask --app simshop …`` commands."""

from __future__ import annotations

import importlib

from flask import Flask

# (module, attribute) pairs of commands that other parts of SimShop provide. A module that
# does not exist yet is skipped; an error inside an existing module is not hidden.
OPTIONAL_COMMANDS = (
    ("simshop.cli.simulate", "simulate"),
    ("simshop.cli.scenario", "scenario"),
    ("simshop.cli.quiz", "quiz"),
    ("simshop.cli.games", "tick_command"),
    ("simshop.cli.games", "process_round_command"),
    ("simshop.cli.games", "seed_demo_game_command"),
    ("simshop.cli.verify", "verify_command"),
    ("simshop.cli.verify", "bundle_key_command"),
    ("simshop.cli.lti", "lti_command"),
    ("simshop.cli.backup", "backup_command"),
    ("simshop.cli.backup", "restore_command"),
)


def register_cli(app: Flask) -> None:
    from simshop.cli import accounts

    for command in accounts.COMMANDS:
        app.cli.add_command(command)

    for module_name, attribute in OPTIONAL_COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        app.cli.add_command(getattr(module, attribute))
