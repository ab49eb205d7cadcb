"""``flask lti …``: register learning platforms (an administrator's task) and send grades."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from simshop.db import db
from simshop.messages import error_message
from simshop.services import lti as lti_service


@click.group("lti")
def lti_command() -> None:
    """LTI 1.3: platforms that may launch SimShop."""


@lti_command.command("add-platform")
@click.option(
    "--name", required=True, help="A name for the platform, e.g. the university's Moodle."
)
@click.option("--issuer", required=True, help="The platform's issuer (iss).")
@click.option("--client-id", required=True, help="The client id the platform gave SimShop.")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authorisation URL.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth 2 token URL.")
@click.option("--jwks-url", required=True, help="The platform's public keys (JWKS) URL.")
@click.option(
    "--deployment-id", "deployment_ids", multiple=True, required=True, help="Repeat for each."
)
@with_appcontext
def add_platform(**values: object) -> None:
    """Register a platform and print the addresses to enter on its side."""
    try:
        platform = lti_service.register_platform(db.session, **values)  # type: ignore[arg-type]
    except lti_service.LtiError as exc:
        raise click.ClickException(f"{exc.field or 'platform'}: {error_message(exc)}") from None
    base = current_app.config.get("LTI_TOOL_URL") or "https://<your SimShop host>"
    click.echo(f"Platform {platform.id} registered: {platform.name}")
    click.echo(f"  Login initiation URL: {base}/lti/login")
    click.echo(f"  Redirect (launch) URL: {base}/lti/launch")
    click.echo(f"  Public keys (JWKS) URL: {base}/lti/jwks.json")


@lti_command.command("platforms")
@with_appcontext
def list_platforms() -> None:
    """List the registered platforms."""
    for platform in lti_service.platforms(db.session):
        deployments = ", ".join(platform.deployment_ids)
        status = "" if platform.is_enabled else "\tdisabled"
        click.echo(
            f"{platform.id}\t{platform.name}\t{platform.issuer}\t{platform.client_id}"
            f"\t{deployments}{status}"
        )
