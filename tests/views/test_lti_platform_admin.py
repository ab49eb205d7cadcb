"""The administrator's page of learning platforms: list, add, edit, disable and enable them,
with every address checked and each refusal on its field. A disabled platform's logins,
launches and services are refused."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from simshop.db import db
from simshop.models import LtiPlatform
from simshop.services import lti as lti_service

pytestmark = pytest.mark.both_backends

GOOD = {
    "name": "University Moodle",
    "issuer": "https://moodle.example.edu",
    "client_id": "abc123",
    "auth_login_url": "https://moodle.example.edu/mod/lti/auth.php",
    "auth_token_url": "https://moodle.example.edu/mod/lti/token.php",
    "jwks_url": "https://moodle.example.edu/mod/lti/certs.php",
    "deployment_ids": "1\n 2 \n\n1",
    "frame_origins": "",
}


@pytest.fixture
def admin(make_user, auth):
    make_user("admin", login="root@example.edu")
    auth.login("root@example.edu")


def text_of(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def errors_of(response) -> dict[str, list[str]]:
    """Field id -> its error messages on the page."""
    page = response.get_data(as_text=True)
    found = re.findall(r'<ul class="field__errors" id="([\w-]+)-errors">(.*?)</ul>', page, re.S)
    return {
        field: [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", items)]
        for field, items in found
    }


def stored(app) -> list[LtiPlatform]:
    with app.app_context():
        rows = list(db.session.scalars(select(LtiPlatform).order_by(LtiPlatform.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def test_an_administrator_adds_a_platform(app, client, admin, submit):
    assert "No learning platform is registered yet." in text_of(client.get("/admin/lti/platforms"))
    response = submit("/admin/lti/platforms/new", GOOD, follow_redirects=True)
    assert "Platform saved." in text_of(response)
    (platform,) = stored(app)
    assert (platform.name, platform.issuer, platform.client_id) == (
        "University Moodle",
        "https://moodle.example.edu",
        "abc123",
    )
    assert platform.deployment_ids == ["1", "2"]  # one per line, trimmed, once each
    assert platform.frame_origins is None and platform.disabled_at is None
    listing = text_of(client.get("/admin/lti/platforms"))
    assert "University Moodle https://moodle.example.edu abc123 1, 2 enabled" in listing
    assert "/lti/login" in listing and "/lti/jwks.json" in listing


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "auth_login_url",
            "http://moodle.example.edu/auth",
            "http://moodle.example.edu/auth is not an https address "
            "(http is accepted only on this computer).",
        ),
        ("jwks_url", "", "Enter an address."),
        ("deployment_ids", " \n ", "Enter at least one deployment id."),
        ("name", "", "Enter a name."),
        (
            "frame_origins",
            "https://lms.example.edu/course/1",
            "https://lms.example.edu/course/1 is not an origin such as https://lms.example.edu "
            "(https, no path; http is accepted only on this computer).",
        ),
        (
            "frame_origins",
            "https://lms.example.edu 'unsafe-inline'",
            "https://lms.example.edu 'unsafe-inline' is not an origin such as "
            "https://lms.example.edu (https, no path; http is accepted only on this computer).",
        ),
    ],
)
def test_bad_values_are_errors_on_their_field_and_nothing_is_saved(
    app, client, admin, submit, field, value, message
):
    response = submit("/admin/lti/platforms/new", {**GOOD, field: value})
    assert response.status_code == 422
    assert errors_of(response) == {field: [message]}
    assert stored(app) == []


def test_the_same_issuer_and_client_id_cannot_be_registered_twice(app, client, admin, submit):
    submit("/admin/lti/platforms/new", GOOD)
    response = submit("/admin/lti/platforms/new", {**GOOD, "name": "Again"})
    assert errors_of(response) == {
        "client_id": ["This platform and client id are already registered."]
    }
    assert len(stored(app)) == 1


def test_an_administrator_edits_a_platform(app, client, admin, submit):
    submit("/admin/lti/platforms/new", GOOD)
    (platform,) = stored(app)
    url = f"/admin/lti/platforms/{platform.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'value="https://moodle.example.edu/mod/lti/certs.php"' in page
    changed = {
        **GOOD,
        "jwks_url": "https://moodle.example.edu/keys",
        "deployment_ids": "7",
        "frame_origins": "https://Moodle.Example.edu/\nhttp://localhost:8080",
    }
    assert submit(url, changed).status_code == 302
    (platform,) = stored(app)
    assert platform.jwks_url == "https://moodle.example.edu/keys"
    assert platform.deployment_ids == ["7"]
    assert platform.frame_origins == ["https://moodle.example.edu", "http://localhost:8080"]
    bad = submit(url, {**changed, "auth_token_url": "ftp://moodle.example.edu/token"})
    assert bad.status_code == 422 and list(errors_of(bad)) == ["auth_token_url"]
    assert stored(app)[0].auth_token_url == GOOD["auth_token_url"]


def test_disabling_refuses_the_platforms_logins_and_enabling_accepts_them(
    app, client, admin, submit
):
    submit("/admin/lti/platforms/new", GOOD)
    (platform,) = stored(app)
    login = {"iss": GOOD["issuer"], "login_hint": "x", "target_link_uri": "https://t/"}
    assert client.get("/lti/login", query_string=login).status_code == 302
    response = submit(
        f"/admin/lti/platforms/{platform.id}/disable",
        page="/admin/lti/platforms",
        follow_redirects=True,
    )
    assert "University Moodle is disabled: its launches are refused." in text_of(response)
    assert "1, 2 disabled Enable" in text_of(response)
    assert stored(app)[0].disabled_at is not None
    refused = client.get("/lti/login", query_string=login)
    assert refused.status_code == 400
    assert (
        "The learning platform University Moodle is disabled here. Ask the SimShop "
        "administrator." in text_of(refused)
    )
    submit(f"/admin/lti/platforms/{platform.id}/enable", page="/admin/lti/platforms")
    assert stored(app)[0].disabled_at is None
    assert client.get("/lti/login", query_string=login).status_code == 302


def test_a_disable_without_the_csrf_token_changes_nothing(app, client, admin, submit):
    submit("/admin/lti/platforms/new", GOOD)
    (platform,) = stored(app)
    response = client.post(f"/admin/lti/platforms/{platform.id}/disable", data={})
    assert response.status_code == 400
    assert stored(app)[0].disabled_at is None


def test_instructors_see_no_admin_link_and_get_403(app, client, make_user, auth):
    make_user("instructor", login="teacher@example.edu")
    auth.login("teacher@example.edu")
    assert "/admin/lti/platforms" not in client.get("/dashboard").get_data(as_text=True)
    assert client.get("/admin/lti/platforms").status_code == 403


def test_the_service_checks_what_the_cli_and_the_page_send(app):
    with app.app_context():
        with pytest.raises(lti_service.LtiError) as caught:
            lti_service.register_platform(
                db.session, **{**GOOD, "deployment_ids": ["1"], "jwks_url": "https://x/" * 60}
            )
        assert (caught.value.code, caught.value.field) == ("url_too_long", "jwks_url")
        platform = lti_service.register_platform(
            db.session, **{**GOOD, "deployment_ids": ["1"], "frame_origins": []}
        )
        assert lti_service.frame_origins(platform) == ["https://moodle.example.edu"]
