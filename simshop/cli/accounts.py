"""Database and account commands: init-db, seed-demo, create-instructor, create-admin."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from simshop.db import db, init_db
from simshop.messages import PASSWORD_MESSAGES
from simshop.services import accounts


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database if needed and migrate it to the latest schema."""
    init_db()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create demo accounts with random passwords, only if there are no users yet."""
    issued = accounts.seed_demo_accounts(db.session)
    if not issued:
        click.echo("Users already exist; demo accounts not created.")
        return
    click.echo("")
    click.echo("Demo accounts created. The passwords are shown only this once:")
    for credential in issued:
        click.echo(f"  {credential.role:<10}  {credential.login:<24}  {credential.password}")
    click.echo("")


def _create(login: str, name: str, email: str | None, password: str | None, admin: bool) -> None:
    try:
        user, generated = accounts.create_instructor(
            db.session,
            login=login,
            display_name=name,
            password=password,
            email=email,
            admin=admin,
        )
    except accounts.LoginTakenError as exc:
        raise click.ClickException(f"The login {login!r} is already taken.") from exc
    except accounts.InvalidLoginError as exc:
        raise click.ClickException(
            f"{login!r} is not a valid login: use an email address or a username of "
            "3 to 40 letters, digits, dots, dashes or underscores."
        ) from exc
    except accounts.InvalidDisplayNameError as exc:
        raise click.ClickException("The name must be 1 to 80 characters.") from exc
    except accounts.WeakPasswordError as exc:
        raise click.ClickException(str(PASSWORD_MESSAGES[exc.problem])) from exc
    click.echo(f"Created {user.role} {user.login!r} ({user.display_name}).")
    if generated:
        click.echo(f"Temporary password (shown only this once; must be changed): {generated}")


def _account_options(command):
    command = click.option(
        "--generate-password",
        is_flag=True,
        help="Issue a random password that must be changed at first login, instead of asking.",
    )(command)
    command = click.option("--email", default=None, help="Contact email, if the login is not one.")(
        command
    )
    command = click.option("--name", prompt="Display name", help="Name shown in the app.")(command)
    command = click.option(
        "--login", prompt="Login (email or username)", help="What they log in with."
    )(command)
    return command


def _ask_password(generate: bool) -> str | None:
    if generate:
        return None
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.command("create-instructor")
@_account_options
@click.option("--admin", is_flag=True, help="Give the account the admin role.")
@with_appcontext
def create_instructor_command(
    login: str, name: str, email: str | None, generate_password: bool, admin: bool
) -> None:
    """Create an instructor account (there is no default account or password)."""
    _create(login, name, email, _ask_password(generate_password), admin)


@click.command("create-admin")
@_account_options
@with_appcontext
def create_admin_command(login: str, name: str, email: str | None, generate_password: bool) -> None:
    """Create an administrator account."""
    _create(login, name, email, _ask_password(generate_password), admin=True)


COMMANDS = (init_db_command, seed_demo_command, create_instructor_command, create_admin_command)
