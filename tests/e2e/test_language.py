"""The interface language: Chinese by default, English on request, and remembered."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.e2e.conftest import E2E

pytestmark = pytest.mark.e2e

NAV_MESSAGES = [
    "Home",
    "Customers",
    "Cases",
    "Complaints",
    "Counter",
    "New business",
    "Servicing",
    "Claims",
    "Branches and teams",
]


def test_the_interface_is_chinese_by_default_switches_to_english_and_keeps_it_after_a_reload(
    e2e: E2E,
) -> None:
    # teller2 is used by this test only: it changes the account's preferred language.
    page = e2e.new_page()
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#language-select")).to_have_value("zh-hans")
    login_title = page.locator("main h1").inner_text()
    assert e2e.has_cjk(login_title), f"login page title not in Chinese: {login_title!r}"

    e2e.sign_in(page, "teller2")
    expect(page).to_have_url(e2e.url("/"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    chinese_nav = e2e.texts(page, "nav.sidebar a")
    assert chinese_nav == [e2e.translate(m, "zh-hans") for m in NAV_MESSAGES]
    assert all(e2e.has_cjk(label) for label in chinese_nav), (
        f"navigation not in Chinese: {chinese_nav}"
    )

    # Choosing a language submits the form at once (app.js); the button is for keyboards.
    with page.expect_navigation():
        page.locator("#language-select").select_option("en")
    expect(page).to_have_url(e2e.url("/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#language-select")).to_have_value("en")
    assert e2e.texts(page, "nav.sidebar a") == NAV_MESSAGES
    expect(page.locator("main h1")).to_have_text("Welcome, 陈美玲")
    expect(page.locator("form.logout button")).to_have_text("Sign out")

    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert e2e.texts(page, "nav.sidebar a") == NAV_MESSAGES
    page.locator('nav.sidebar a[href="/org/branches/"]').click()
    expect(page.locator("main h1")).to_have_text("Branches and teams")

    # The choice is the account's: it comes back at the next sign-in.
    e2e.sign_out(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    e2e.sign_in(page, "teller2")
    expect(page).to_have_url(e2e.url("/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert e2e.texts(page, "nav.sidebar a") == NAV_MESSAGES
