"""A teller logs a complaint at the counter and takes its first step, from the keyboard."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.e2e.conftest import E2E

pytestmark = pytest.mark.e2e

ZH = "zh-hans"


def test_a_teller_opens_a_complaint_ticks_the_checklist_and_accepts_it(e2e: E2E) -> None:
    page = e2e.new_page()
    e2e.sign_in(page, "teller3")
    page.locator('nav.sidebar a[href="/cases/"]').click()
    expect(page.locator("main h1")).to_have_text(e2e.translate("Cases", ZH))
    page.locator('a[href="/cases/new/"]').focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(e2e.url("/cases/new/"))
    page.locator("#id_process").select_option(label="投诉")
    page.locator("#id_channel").select_option("counter")
    page.locator("#id_subject").fill("业务员承诺年化8%收益")
    with page.expect_navigation():
        page.locator("#id_subject").press("Enter")
    expect(page).to_have_url(re.compile(r"/cases/\d+/$"))
    expect(page.locator("main h1")).to_contain_text("业务员承诺年化8%收益")
    # Three clocks until a review is asked for: first response, internal target, 15 days.
    expect(page.locator("#case-clocks tbody tr")).to_have_count(3)

    # Accepting before the identity check is refused with the missing item named.
    accept = page.locator('button[name="transition"][value="accept"]')
    with page.expect_navigation():
        accept.click()
    expect(page.locator(".messages")).to_contain_text("已核实投诉人身份")

    checklist = page.locator("ul.checklist button").first
    checklist.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("ul.checklist button").first).to_have_attribute("aria-pressed", "true")
    with page.expect_navigation():
        page.locator('button[name="transition"][value="accept"]').click()
    expect(page.locator("dl.facts")).to_contain_text("已受理")
    expect(page.locator("ol.timeline")).to_contain_text(e2e.translate("Status changed", ZH))
