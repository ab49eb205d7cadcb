"""The decision form on a 390x844 phone: nothing scrolls sideways, every field can be
tapped (the sticky Save bar never covers one), and a long error wraps instead of widening
the page."""

from __future__ import annotations

import pytest

from simshop.db import db
from simshop.services import schedule as schedule_service
from tests.browser.conftest import PHONE, log_in
from tests.reliability.gamekit import enrol, make_game, make_user, round_no

COVERED_JS = """
(el) => {
  el.scrollIntoView({block: 'center'});
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit === el || el.contains(hit) || (hit && hit.contains(el)) ||
         (el.labels && [...el.labels].some(l => l.contains(hit))) ? null : (el.id || el.name);
}
"""

OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def viewport():
    return PHONE


@pytest.fixture
def decisions_url(live_server, request):
    login = f"phone-{request.node.name[-12:]}".replace("[", "").replace("]", "")
    with live_server.app.app_context():
        teacher = make_user(db.session, f"{login}-t@example.edu", "instructor")
        game = make_game(db.session, teacher)
        enrol(db.session, game, make_user(db.session, login), f"Team {login}")
        schedule_service.open_round(db.session, game, round_no(db.session, game, 1))
        return login, f"/games/{game.id}/decisions"


def test_the_decision_form_fits_a_phone_and_every_field_can_be_tapped(page, decisions_url):
    login, url = decisions_url
    log_in(page, login)
    page.goto(url)
    assert page.evaluate(OVERFLOW_JS) <= 0
    # Markets the team is not in keep their listings folded; a student opens them to type.
    page.evaluate(
        "() => document.querySelectorAll('.decision-form details').forEach(d => d.open = true)"
    )
    assert page.evaluate(OVERFLOW_JS) <= 0
    fields = page.locator(".decision-form input:not([type=hidden]), .decision-form select")
    assert fields.count() > 10
    covered = [fields.nth(i).evaluate(COVERED_JS) for i in range(fields.count())]
    assert [name for name in covered if name] == []


def test_a_long_inline_error_wraps_inside_the_page(page, page_problems, decisions_url):
    login, url = decisions_url
    log_in(page, login)
    page.goto(url)
    page.locator("#d-offers-US-earbuds-price_local").fill("2" * 20 + ",99")
    page.get_by_role("button", name="Save decisions").click()
    # Measure the answer once it has loaded: right after the click the new document may not
    # have its stylesheet yet, and an unstyled table is wider than the phone.
    page.wait_for_load_state("load")
    error = page.locator("#d-offers-US-earbuds-price_local-errors")
    assert "is ambiguous" in error.inner_text()
    assert page.evaluate(OVERFLOW_JS) <= 0
    # The refused save answers 422 on purpose; Chromium logs every 4xx document.
    page_problems.console_errors.remove(
        "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"
    )
