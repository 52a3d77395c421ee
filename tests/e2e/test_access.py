"""Refused pages end up in the audit trail; a disabled account loses its open session."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.e2e.conftest import E2E

pytestmark = pytest.mark.e2e

ZH = "zh-hans"


def test_a_licheng_teller_is_refused_the_staff_list_and_the_auditor_sees_the_refusal(
    e2e: E2E,
) -> None:
    teller = e2e.new_page()
    e2e.sign_in(teller, "lc-teller")
    expect(teller).to_have_url(e2e.url("/"))
    expect(teller.locator("header .who")).to_contain_text("荔城区支公司")
    expect(teller.locator('nav.sidebar a[href="/org/staff/"]')).to_have_count(0)

    e2e.expect_status("/org/staff/", 403)
    response = teller.goto("/org/staff/")
    assert response is not None
    assert response.status == 403
    expect(teller.locator("main h1")).to_have_text(e2e.translate("Not allowed", ZH))
    expect(teller.locator("main")).to_contain_text(
        e2e.translate("Your role does not allow this. The attempt has been recorded.", ZH)
    )
    # The refusal page shows no staff and still offers the way back.
    expect(teller.locator("#staff-rows")).to_have_count(0)
    expect(teller.locator('main a[href="/"]')).to_be_visible()

    auditor = e2e.new_page()
    e2e.sign_in_verified(auditor, "auditor")
    auditor.locator('nav.sidebar a[href="/audit/"]').click()
    expect(auditor).to_have_url(e2e.url("/audit/"))
    with auditor.expect_response(lambda r: "action=access.refused" in r.url):
        auditor.locator("#f-action").fill("access.refused")
        auditor.locator("form.filters button[type=submit]").click()
    refusal = (
        auditor.locator("#audit-rows tbody tr")
        .filter(has=auditor.locator("td:nth-child(2)", has_text=re.compile(r"^lc-teller$")))
        .filter(has=auditor.locator("code", has_text=re.compile(r"^access\.refused$")))
    )
    expect(refusal.first).to_be_visible()
    expect(refusal.first.locator("td:nth-child(4)")).to_contain_text("/org/staff/")
    expect(refusal.first.locator("td.change")).to_contain_text("action:org.staff.view")
    expect(refusal.first.locator("td:nth-child(6)")).to_contain_text("127.0.0.1")


def test_the_admin_disables_an_account_and_its_open_session_ends_at_the_next_page(
    e2e: E2E,
) -> None:
    # campaigns is used by this test only: it stays disabled afterwards (not one of the
    # seed branch's five front tellers, whom the productivity page divides by).
    teller = e2e.new_page()
    e2e.sign_in(teller, "campaigns")
    expect(teller).to_have_url(e2e.url("/"))
    expect(teller.locator("header .who")).to_contain_text("刘洋")

    admin = e2e.new_page()
    e2e.sign_in_verified(admin, "admin")
    admin.locator('nav.sidebar a[href="/org/staff/"]').click()
    with admin.expect_response(lambda r: "q=campaigns" in r.url):
        admin.locator("#f-q").fill("campaigns")
        admin.locator("form.filters button[type=submit]").click()
    row = admin.locator("#staff-rows tbody tr").filter(
        has=admin.locator("td:nth-child(2)", has_text=re.compile(r"^campaigns$"))
    )
    expect(row).to_have_count(1)
    row.get_by_role("link", name="刘洋").click()
    expect(admin).to_have_url(re.compile(r"/org/staff/\d+/$"))
    detail_url = admin.url
    expect(admin.locator("main h1")).to_have_text("刘洋")

    admin.locator("#id_reason").fill("Left the company (e2e test)")
    with admin.expect_navigation():
        admin.locator("main form[action$='/disable/'] button[type=submit]").click()
    expect(admin).to_have_url(detail_url)
    expect(admin.locator("main .messages")).to_contain_text(
        e2e.translate("Account disabled; its sessions have ended.", ZH)
    )
    expect(admin.locator("main h1 .badge.danger")).to_have_text(e2e.translate("disabled", ZH))
    expect(admin.locator("main form[action$='/enable/']")).to_be_visible()

    # The teller's browser still holds the old session cookie; the next page asks to sign in.
    teller.reload()
    expect(teller).to_have_url(e2e.url("/accounts/login/?next=/"))
    expect(teller.locator("header .who")).to_have_count(0)
    expect(teller.locator("nav.sidebar")).to_have_count(0)
    teller.goto("/org/branches/")
    expect(teller).to_have_url(e2e.url("/accounts/login/?next=/org/branches/"))

    # The disabling is on the record, with its reason.
    admin.goto("/audit/?action=org.staff.disable")
    event = admin.locator("#audit-rows tbody tr").filter(
        has=admin.locator("td:nth-child(4)", has_text="刘洋")
    )
    expect(event.first.locator("td:nth-child(2)")).to_have_text("admin")
    expect(event.first.locator("td.change")).to_contain_text("Left the company (e2e test)")
