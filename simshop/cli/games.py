"""Game commands: ``tick`` (for cron or a systemd timer), ``process-round`` and
``seed-demo-game``.

``tick`` closes rounds whose deadline passed, processes closed rounds (and rounds whose
processor died, once their lease expired) and opens the next round of deadline-mode games.
Run it every minute::

    * * * * *  cd /srv/simshop && .venv/bin/flask --app simshop tick

or as long-lived workers (``tick --loop``, one tick every ``--interval`` seconds; systemd
units in deploy/). Several workers, on one host or many, share the due rounds: each round is
claimed by exactly one of them (services/rounds.claim_next_round). SIGTERM or Ctrl-C stops a
worker after the round it is processing.
"""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask.cli import with_appcontext

from simshop.db import db
from simshop.services import decisions as decisions_service
from simshop.services import round_state
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from simshop.services.uow import end_read, transaction

log = logging.getLogger(__name__)

_lease_option = click.option(
    "--lease-seconds",
    type=float,
    default=rounds_service.DEFAULT_LEASE_SECONDS,
    show_default=True,
    help="How long a processor owns a round before another may take it over.",
)

_explain_option = click.option(
    "--explain/--no-explain",
    default=True,
    show_default=True,
    help="Explain published rounds (the students' 'why' pages). With --no-explain a "
    "worker only publishes; a tick without it explains what is left, so when many games "
    "are due at once, processing workers publish every round first.",
)


@click.command("tick")
@_lease_option
@click.option("--loop", is_flag=True, help="Keep ticking until SIGTERM or Ctrl-C.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="With --loop: seconds between ticks that found nothing to do.",
)
@_explain_option
@with_appcontext
def tick_command(lease_seconds: float, loop: bool, interval: float, explain: bool) -> None:
    """Close due rounds, process closed ones, open the next ones, explain published rounds
    still without an explanation; run queued roster imports."""
    from simshop.services import roster as roster_service

    stop = threading.Event()
    if loop:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    while True:
        try:
            report = schedule_service.tick(db.session, lease_seconds=lease_seconds, explain=explain)
            jobs = roster_service.run_roster_jobs(db.session)
        except Exception:
            if not loop:
                raise
            # A long-lived worker outlives a database hiccup: whatever it had claimed is
            # taken over when its lease expires; it tries again after the interval.
            log.exception("tick failed; trying again in %s s", interval)
            db.session.rollback()
            if stop.wait(interval):
                return
            continue
        busy = (
            report.closed
            or report.processed
            or report.failed
            or report.opened
            or report.explained
            or jobs
        )
        if not loop or busy:
            click.echo(
                f"closed {report.closed}; processed {len(report.processed)} "
                f"{report.processed}; failed {report.failed}; busy {report.skipped}; "
                f"opened {report.opened}; explained {report.explained}; "
                f"roster imports {len(jobs)} {jobs}",
            )
        if not loop or stop.wait(0 if busy else interval):
            return


@click.command("process-round")
@click.argument("round_id", type=int)
@_lease_option
@_explain_option
@with_appcontext
def process_round_command(round_id: int, lease_seconds: float, explain: bool) -> None:
    """Process one closed round now (exit 1 if it is not processable)."""
    outcome = rounds_service.process_round(
        db.session, round_id, lease_seconds=lease_seconds, explain=explain
    )
    if not outcome.claimed:
        raise click.ClickException(
            f"round {round_id} is not closed, or another processor holds its lease"
        )
    click.echo(
        f"round {round_id} published: {outcome.teams} teams in {outcome.elapsed_ms} ms "
        + " ".join(f"{k}={v * 1000:.0f}ms" for k, v in outcome.timings.items())
    )


DEMO_TITLE = "Demo class: first steps"
DEMO_TEAMS = {"Dragon Trading": ("s2026001", "s2026002"), "Silk Road Supply": ("s2026003",)}


def _demo_sheet(round_number: int, price: float, market: str) -> dict:
    """A plausible sheet for scenarios/tutorial.toml."""
    sheet: dict = {
        "offers": {
            market: {
                "earbuds": {"listed": True, "price_local": price, "ad_budget_cny": 6000.0},
                "toy-blocks": {
                    "listed": True,
                    "price_local": round(price * 0.8, 2),
                    "ad_budget_cny": 3000.0,
                },
            }
        },
        "factory_orders": {"earbuds": 700, "toy-blocks": 500},
        "shipments": [
            {"product": "earbuds", "market": market, "mode": "air", "quantity": 700},
            {"product": "toy-blocks", "market": market, "mode": "air", "quantity": 500},
        ],
    }
    if round_number == 1:
        sheet["enter_markets"] = [market]
    return sheet


def _demo_account(session, login: str, name: str, role, issued: list[tuple[str, str]]):
    """The demo user ``login``, created with a fresh password (added to ``issued``) when
    missing."""
    from sqlalchemy import select

    from simshop.models import User
    from simshop.security import generate_password, hash_password

    with transaction(session):
        user = session.scalar(select(User).where(User.login == login))
        if user is None:
            password = generate_password()
            user = User(
                login=login,
                display_name=name,
                role=role.value,
                email=login if "@" in login else None,
                student_number=None if "@" in login else login,
                password_hash=hash_password(password),
            )
            session.add(user)
            issued.append((login, password))
    return user


def _play_demo_rounds(session, game, teams: dict, members: dict, rounds_played: int) -> None:
    """Two teams decide, and the first ``rounds_played`` rounds are published; the next one
    is left open for the students."""
    plans = {"Dragon Trading": (33.99, "US"), "Silk Road Supply": (31.5, "EU")}
    for rnd in round_state.rounds_of(session, game)[: rounds_played + 1]:
        schedule_service.open_round(session, game, rnd)
        if rnd.number > rounds_played:
            break
        for team_name, (price, market) in plans.items():
            decisions_service.submit_decision(
                session,
                members[team_name],
                teams[team_name],
                rnd,
                _demo_sheet(rnd.number, price + rnd.number, market),
            )
        schedule_service.close_round(session, rnd)
        rounds_service.process_round(session, rnd.id)


def seed_demo_game(session, rounds_played: int = 2):
    """Create the demo game and play ``rounds_played`` rounds; returns (game, issued
    credentials as (login, password)) or None when it exists already."""
    from sqlalchemy import select

    from simshop.models import Game, Role, Team, User
    from simshop.services import accounts
    from simshop.services import games as games_service
    from simshop.services import teams as teams_service

    if session.scalar(select(Game.id).where(Game.title == DEMO_TITLE)) is not None:
        end_read(session)
        return None
    issued: list[tuple[str, str]] = []

    def account(login: str, name: str, role: Role) -> User:
        return _demo_account(session, login, name, role, issued)

    instructor = account(*accounts.DEMO_INSTRUCTOR, Role.INSTRUCTOR)
    names = dict(accounts.DEMO_STUDENTS)
    spec = games_service.GameSpec(
        title=DEMO_TITLE,
        scenario_file="tutorial.toml",
        bot_count=3,
        practice_rounds=0,
        seed=2026,
    )
    from flask import current_app

    game = games_service.create_game(
        session, instructor, spec, scenarios_dir=current_app.config["SCENARIOS_DIR"]
    )
    teams: dict[str, Team] = {}
    members: dict[str, User] = {}
    for team_name, logins in DEMO_TEAMS.items():
        for login in logins:
            user = account(login, names.get(login, login), Role.STUDENT)
            player = teams_service.join_game(session, user, game.join_code)
            if team_name in teams:
                teams_service.join_team(session, player, teams[team_name].id)
            else:
                teams[team_name] = teams_service.create_team(session, player, team_name)
                members[team_name] = user
    _play_demo_rounds(session, game, teams, members, rounds_played)
    return game, issued


@click.command("seed-demo-game")
@click.option("--rounds-played", default=2, show_default=True, help="Rounds to play at once.")
@with_appcontext
def seed_demo_game_command(rounds_played: int) -> None:
    """Create a demo game (the demo instructor, students in two teams, three bots, rounds
    already played, the next one open), unless it exists. Reuses ``seed-demo`` accounts."""
    result = seed_demo_game(db.session, rounds_played=rounds_played)
    if result is None:
        click.echo("The demo game exists already; nothing created.")
        return
    game, issued = result
    click.echo(f"Demo game {game.title!r} created: join code {game.join_code}.")
    if issued:
        click.echo("New accounts (passwords shown only this once):")
        for login, password in issued:
            click.echo(f"  {login:<24}  {password}")


COMMANDS = (tick_command, process_round_command, seed_demo_game_command)
