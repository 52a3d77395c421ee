"""A teller serves a walk-in customer end to end: a number for the customer, the call, a
policy-servicing application from the window, and the rating step; and the productivity page
reads the seed's per-teller figures from the demo year with its divisors."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.e2e.conftest import E2E

pytestmark = pytest.mark.e2e

ZH = "zh-hans"
# A policy in force at the seed branch with no servicing item open, and its policyholder.
FIND_POLICY = (
    "from policydesk.policies.models import Policy\n"
    "from policydesk.servicing.models import ServicingItem\n"
    "busy = (ServicingItem.objects.filter(case__resolved_at__isnull=True)\n"
    "        .values('case__policy_id'))\n"
    "policy = (Policy.objects.filter(branch__code='xy', status='in_force')\n"
    "          .exclude(pk__in=busy).order_by('-id').first())\n"
    "print(policy.number, policy.policyholder.number)\n"
)


def _post(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def test_a_teller_serves_a_walk_in_from_the_number_to_the_rating(e2e: E2E) -> None:
    found = e2e.server.cli("shell", "-c", FIND_POLICY).strip().splitlines()[-1]
    policy_number, customer_number = found.split()
    page = e2e.new_page()
    e2e.sign_in(page, "teller4")  # window 4, servicing; the demo opens windows 1-3 only
    page.goto("/counter/")
    page.locator("#w-window").select_option(label="4号窗口")
    _post(page, "form:has(input[name=action][value=open]) button[type=submit]")

    # The walk-in takes a number for policy servicing.
    page.locator("#i-service").select_option("servicing")
    page.locator("#i-customer").fill(customer_number)
    _post(page, "form:has(input[name=action][value=issue]) button[type=submit]")
    issued = re.search(r"[A-Z]\d{3}", page.locator(".messages").inner_text())
    assert issued, page.locator(".messages").inner_text()
    ours = issued.group(0)

    # Call the queue in order; customers ahead of ours are served and rated too.
    for _ in range(15):
        _post(page, "button[name=action][value=call]")
        if page.locator(".ticket-number").inner_text().startswith(ours):
            break
        _post(page, "button[name=action][value=serve]")
        page.locator("input[name=rating][value='4']").check()
        _post(page, ".rating-step button.primary")
    else:
        pytest.fail(f"ticket {ours} was never called")
    _post(page, "button[name=action][value=serve]")

    # A contact change for the customer's policy, applied from the window.
    with page.expect_navigation():
        page.locator('a[href^="/servicing/apply/?ticket="]').click()
    expect(page.locator("p.notice")).to_contain_text(ours)
    page.locator("#a-policy").fill(policy_number)
    page.locator("#a-item").select_option("contact-change")
    _post(page, "#check-form button[type=submit]")
    for box in page.locator("#check-form input[name=documents]").all():
        box.check()
    _post(page, "#check-form button[type=submit]")
    expect(page.locator("p.ok")).to_have_text(e2e.translate("The policy qualifies.", ZH))
    page.locator("#p-kind").select_option("email")
    page.locator("#p-value").fill("walk-in@example.cn")
    with page.expect_navigation():
        page.get_by_role("button", name=e2e.translate("Receive the application", ZH)).click()

    # Back at the window: the item is one of the visit's cases; the rating closes the visit.
    expect(page).to_have_url(e2e.url("/counter/"))
    expect(page.locator(".ticket-number")).to_contain_text(ours)
    expect(page.locator("main")).to_contain_text("BQ-")  # the servicing case, linked
    page.locator("input[name=rating][value='5']").check()
    _post(page, ".rating-step button.primary")
    expect(page.locator(".messages")).to_contain_text(e2e.translate("Visit completed.", ZH))
    expect(page.locator("button[name=action][value=call]")).to_be_visible()


def test_the_productivity_page_reads_the_seed_figures_with_their_divisors(e2e: E2E) -> None:
    page = e2e.new_page()
    e2e.sign_in(page, "counter-manager")
    page.goto("/counter/productivity/")  # the default period: the demo's operations year
    main = page.locator("main")
    expect(main).to_contain_text("7472.60 = 37363 ÷ 5")
    expect(main).to_contain_text("747.26 = 7472.60 ÷ 10")
