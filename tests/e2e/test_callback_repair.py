"""A callback agent works a task whose mobile carries the 0594 defect: sees it, repairs the
number from the suggestion, and records a successful callback — from the keyboard."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.e2e.conftest import E2E

pytestmark = pytest.mark.e2e

ZH = "zh-hans"


def _quiet_now() -> bool:
    local = dt.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).time()
    return local >= dt.time(21) or local < dt.time(9)


def test_an_agent_repairs_a_0594_prefixed_mobile_and_records_a_successful_callback(
    e2e: E2E,
) -> None:
    task_id, policy_number = e2e.server.cli("callbacks", "demo-task").split()
    page = e2e.new_page()
    e2e.sign_in(page, "callback")
    page.goto(e2e.url(f"/callbacks/tasks/{task_id}/"))
    expect(page.locator("main h1")).to_contain_text(policy_number)

    # Before dialling: the defect, and the number with the area code stripped.
    line = page.locator("#contact-quality tr.phone-line").first
    expect(line.locator('[data-code="area_code_prefixed_mobile"]')).to_be_visible()
    repair = line.locator('input[name="new_number"]')
    suggested = repair.input_value()
    assert re.fullmatch(r"1[3-9]\d{9}", suggested), suggested
    expect(line).to_contain_text("0594" + suggested)
    repair.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text(e2e.translate("Number repaired.", ZH))
    line = page.locator("#contact-quality tr.phone-line").first
    expect(line.locator("[data-code]")).to_have_count(0)
    expect(line).to_contain_text(suggested)

    # The call: the repaired number is offered, every item confirmed, outcome success.
    form = page.locator("#attempt-form")
    expect(form.locator("#number-dialled")).to_have_value(suggested)
    for radio in form.locator('input[type="radio"][value="yes"]').all():
        radio.check()
    form.locator("#outcome").select_option("success")
    with page.expect_navigation():
        form.locator("#record-call").click()
    if _quiet_now():
        # 21:00–09:00 in Xianyou: the call is refused and the task stays open.
        expect(page.locator(".messages")).to_contain_text("21:00")
        expect(page.locator("#task-status")).to_have_text(e2e.translate("To call", ZH))
        return
    expect(page.locator(".messages")).to_contain_text(e2e.translate("Call recorded.", ZH))
    expect(page.locator("#task-status")).to_have_text(e2e.translate("Succeeded", ZH))
    expect(page.locator("#attempts tbody tr")).to_have_count(1)
    expect(page.locator("#attempts")).to_contain_text(suggested)
