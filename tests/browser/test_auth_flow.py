"""A student's first visit, end to end in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

PASSWORD = "teapot glacier morning"


def register(page, login: str, name: str, password: str = PASSWORD) -> None:
    page.goto("/register")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Student number or email").fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Create account").click()


def test_register_login_switch_language_and_logout(page):
    register(page, "s2099001", "Browser Student")

    page.wait_for_url("**/login")
    page.get_by_label("Student number or email").fill("s2099001")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Browser Student")
    expect(page.locator(".badge")).to_have_text("Student")

    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("你好，Browser Student")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.wait_for_url("**/dashboard")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Browser Student")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    expect(page.locator(".flash")).to_have_text("You have been logged out.")

    page.get_by_label("Student number or email").fill("S2099001")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Browser Student")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    page.goto("/dashboard")
    page.wait_for_url("**/login?next=*")


def test_registration_errors_show_next_to_the_fields(page):
    register(page, "not a student number", "Field Errors", password="password123")

    expect(page.locator("#login-errors")).to_contain_text("A student number has 3 to 40")
    expect(page.locator("#password-errors")).to_contain_text("too common")
    expect(page.get_by_label("Student number or email")).to_have_attribute("aria-invalid", "true")


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}])
@pytest.mark.parametrize("path", ["/", "/login", "/register"])
def test_pages_fit_a_phone_screen(page, path, viewport):
    page.goto(path)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
