"""A claims handler takes a small medical claim from the report to the payment the same day,
through the pages: report (the customer told what to submit at once), accept, register, fast
track, calculate, approve, close as paid, record the payment."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.e2e.conftest import E2E

pytestmark = pytest.mark.e2e

ZH = "zh-hans"


def _policy_in_force(e2e: E2E, page: Page) -> str:
    """The number of a policy in force of one of the first customers the handler can see."""
    in_force = e2e.translate("In force", ZH)
    page.goto("/customers/")
    links = page.locator("#customer-rows tbody a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(min(links.count(), 15))]
    for href in hrefs:
        assert href
        page.goto(href)
        for article in page.locator("article.policy").all():
            heading = article.locator("h3")
            if in_force in heading.inner_text():
                return heading.locator("a").first.inner_text().strip()
    pytest.fail("none of the first customers has a policy in force")


def _step(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.locator(button).click()


def test_a_handler_settles_a_small_claim_the_same_day(e2e: E2E) -> None:
    page = e2e.new_page()
    e2e.sign_in(page, "claims")
    number = _policy_in_force(e2e, page)

    page.goto("/claims/")
    expect(page.locator("main h1")).to_have_text(e2e.translate("Claims", ZH))
    with page.expect_navigation():
        page.locator('a[href="/claims/new/"]').first.click()
    page.locator("#id_policy_number").fill(number)
    page.locator("#id_claim_type").select_option("medical")
    page.locator("#id_event_date").fill(dt.date.today().isoformat())  # noqa: DTZ011 - the browser's day
    page.locator("#id_claimed_amount").fill("1260.00")
    page.locator("#id_channel").select_option("counter")
    page.locator("#id_description").fill("急性肠胃炎门诊治疗，发票两张")
    # The documents to submit are prefilled: the customer is told at once.
    expect(page.locator("#id_documents")).to_contain_text("医疗费用发票原件")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/claims/\d+/$"))
    case_number = page.locator("main h1").inner_text().split()[1]
    expect(page.locator("#claim-state")).to_contain_text("已报案")
    expect(page.locator("#claim-clocks")).to_contain_text(e2e.translate("met", ZH))

    _step(page, "#do-accept")
    expect(page.locator("#claim-state")).to_contain_text("已受理")
    _step(page, "#do-register")
    expect(page.locator("#claim-state")).to_contain_text("已立案")
    fast_track = e2e.translate("fast track", ZH)
    expect(page.locator("#claim-state")).not_to_contain_text(fast_track)

    _step(page, "#do-fast-track")
    expect(page.locator("#claim-state")).to_contain_text(fast_track)

    page.locator("#a-covered").fill("1260.00")
    page.locator("#a-deduction-reason-0").select_option("deductible")
    page.locator("#a-deduction-amount-0").fill("100.00")
    page.locator("#a-deduction-note-0").fill("年度免赔额")
    _step(page, "#do-calculate")
    expect(page.locator("#claim-state")).to_contain_text("理算中")
    expect(page.locator("#claim-payable")).to_contain_text("1160.00")

    _step(page, "#do-approve")
    expect(page.locator("#claim-state")).to_contain_text("已审批")
    _step(page, "#do-close-paid")
    expect(page.locator("#claim-state")).to_contain_text("已结案（给付）")

    page.locator("#a-method").select_option("bank_transfer")
    _step(page, "#do-pay")
    expect(page.locator("#claim-state")).to_contain_text("已支付")
    expect(page.locator("#claim-paid")).to_contain_text("1160.00")
    expect(page.locator("#claim-facts")).to_contain_text(e2e.translate("met", ZH))

    # Cleared today: the claim is not on the daily clean-up list.
    page.goto("/claims/clean-up/")
    expect(page.locator("main h1")).to_have_text(e2e.translate("Daily clean-up list", ZH))
    expect(page.locator("main")).not_to_contain_text(case_number)
