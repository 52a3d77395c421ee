"""Signing in: keyboard only, the second factor, wrong passwords and the lock-out."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.e2e.conftest import E2E

pytestmark = pytest.mark.e2e

ZH = "zh-hans"


def test_a_teller_signs_in_with_the_keyboard_only_and_sees_their_branch_and_navigation(
    e2e: E2E,
) -> None:
    page = e2e.new_page()
    page.goto("/accounts/login/")

    # Tab to the username box (it has autofocus, so usually no Tab is needed at all).
    for _ in range(15):
        if page.evaluate("document.activeElement && document.activeElement.id") == "id_username":
            break
        page.keyboard.press("Tab")
    expect(page.locator("#id_username")).to_be_focused()
    page.keyboard.type("teller")
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type("PolicyDesk-demo-2026")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(e2e.url("/"))
    nav = page.get_by_role("navigation", name=e2e.translate("Main navigation", ZH))
    expect(nav).to_be_visible()
    expect(nav.locator('a[href="/org/branches/"]')).to_have_text(
        e2e.translate("Branches and teams", ZH)
    )
    expect(nav.locator('a[href="/org/staff/"]')).to_have_count(0)
    expect(nav.locator('a[href="/audit/"]')).to_have_count(0)
    labels = e2e.texts(page, "nav.sidebar a")
    assert e2e.translate("Staff", ZH) not in labels
    assert e2e.translate("Audit trail", ZH) not in labels
    # The top bar names the teller and the branch (仙游县支公司 = Xianyou County Branch).
    expect(page.locator("header .who")).to_contain_text("林秀英")
    expect(page.locator("header .who")).to_contain_text("仙游县支公司")
    expect(page.locator("main h1")).to_contain_text("林秀英")


def test_the_head_of_service_signs_in_with_a_totp_code_sees_all_branches_and_the_log_in_events(
    e2e: E2E,
) -> None:
    page = e2e.new_page()
    e2e.sign_in(page, "head")
    expect(page).to_have_url(re.compile(r"/accounts/otp/verify/\?next=/$"))
    expect(page.locator("#id_code")).to_be_focused()
    # Nothing but the second-factor pages is open before the code is given.
    page.goto("/org/staff/")
    expect(page).to_have_url(re.compile(r"/accounts/otp/verify/"))

    page.locator("#id_code").fill(e2e.server.otp_code("head"))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(e2e.url("/"))
    expect(page.locator("header .who")).to_contain_text("总公司")

    page.locator('nav.sidebar a[href="/org/staff/"]').click()
    expect(page).to_have_url(e2e.url("/org/staff/"))
    rows = page.locator("#staff-rows tbody tr")
    expect(rows.first).to_be_visible()
    branches = set(e2e.texts(page, "#staff-rows tbody tr td:nth-child(4)"))
    assert {"仙游县支公司", "荔城区支公司", "莆田市分公司", "总公司", "香港分公司"} <= branches
    usernames = set(e2e.texts(page, "#staff-rows tbody tr td:nth-child(2)"))
    assert {"teller", "lc-teller", "hk-agent", "head"} <= usernames

    page.locator('nav.sidebar a[href="/audit/"]').click()
    expect(page).to_have_url(e2e.url("/audit/"))
    with page.expect_response(lambda response: "action=auth." in response.url):
        page.locator("#f-action").fill("auth.")
        page.locator("form.filters button[type=submit]").click()
    codes = page.locator("#audit-rows tbody tr code")
    expect(codes.first).to_be_visible()
    expect(codes.filter(has_not_text=re.compile(r"^auth\."))).to_have_count(0)
    heads = page.locator("#audit-rows tbody tr").filter(
        has=page.locator("td:nth-child(2)", has_text=re.compile(r"^head$"))
    )
    expect(
        heads.locator("code", has_text=re.compile(r"^auth\.second_factor$")).first
    ).to_be_visible()
    expect(heads.locator("code", has_text=re.compile(r"^auth\.login$")).first).to_be_visible()
    # Newest first: head's second factor came after head's log-in.
    head_actions = e2e.texts(heads, "code")
    assert head_actions.index("auth.second_factor") < head_actions.index("auth.login")


def test_a_wrong_password_is_refused_and_five_lock_the_account_even_for_the_right_password(
    e2e: E2E,
) -> None:
    # teller4 is used by this test only: its lock-out must not disturb any other test.
    page = e2e.new_page(language_cookie="en")
    e2e.expect_status("/accounts/login/", 401)  # wrong password
    e2e.expect_status("/accounts/login/", 403)  # locked out
    assert e2e.sign_in(page, "teller4", "not-the-password") == 401
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    error = page.locator("main .error[role=alert]")
    expect(error).to_have_text("The username or password is not right.")
    expect(page.locator("#id_username")).to_have_value("teller4")
    expect(page.locator("header .who")).to_have_count(0)

    for attempt in range(2, 5):
        assert e2e.sign_in(page, "teller4", f"wrong-{attempt}") == 401
        expect(error).to_have_text("The username or password is not right.")
    # The fifth failure locks the account.
    assert e2e.sign_in(page, "teller4", "wrong-5") == 403
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(error).to_contain_text("Too many failed attempts")

    assert e2e.sign_in(page, "teller4", "PolicyDesk-demo-2026") == 403
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(error).to_contain_text("Too many failed attempts")
    expect(page.locator("header .who")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
