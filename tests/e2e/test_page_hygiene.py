"""Every page: no console or script errors, no CSP violation, nothing fetched from elsewhere.

The `e2e` fixture watches every page of every browser test; this test walks the pages a
counter manager reaches, including the htmx-driven search, and checks explicitly.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.e2e.conftest import E2E

pytestmark = pytest.mark.e2e


def test_the_pages_a_counter_manager_visits_have_no_console_errors_and_stay_on_the_server(
    e2e: E2E,
) -> None:
    requested: list[str] = []
    page = e2e.new_page()
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/accounts/login/")
    e2e.sign_in(page, "counter-manager")
    expect(page).to_have_url(e2e.url("/"))
    for path in ("/org/branches/", "/org/staff/"):
        page.locator(f'nav.sidebar a[href="{path}"]').click()
        expect(page).to_have_url(e2e.url(path))
        expect(page.locator(f'nav.sidebar a[href="{path}"]')).to_have_attribute(
            "aria-current", "page"
        )

    # "/" jumps to the search box (app.js); typing filters the list through htmx.
    page.locator("main h1").click()
    page.keyboard.press("/")
    expect(page.locator("#f-q")).to_be_focused()
    with page.expect_response(lambda r: "q=teller3" in r.url and r.status == 200):
        page.keyboard.type("teller3")
    expect(page.locator("#staff-rows tbody tr")).to_have_count(1)
    expect(page.locator("#staff-rows tbody tr td:nth-child(2)")).to_have_text("teller3")
    page.locator("#staff-rows tbody tr a").click()
    expect(page).to_have_url(re.compile(r"/org/staff/\d+/$"))
    expect(page.locator("main h1")).to_have_text("黄志强")
    # A counter manager may see but not manage staff.
    expect(page.locator("#id_reason")).to_have_count(0)

    # The app's own 404 page (not Django's debug page, which would break the CSP).
    e2e.expect_status("/no-such-page/", 404)
    response = page.goto("/no-such-page/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("main h1")).to_have_text(e2e.translate("Not found", "zh-hans"))
    e2e.sign_out(page)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    assert len(e2e.hygiene.visited) >= 7, e2e.hygiene.visited
    assert any("/static/core/app.js" in url for url in requested)
    assert any("/static/django_htmx/htmx-2.min.js" in url for url in requested)
    foreign = [url for url in requested if not url.startswith(e2e.base_url + "/")]
    assert not foreign, f"requests left 127.0.0.1: {foreign}"
    e2e.hygiene.assert_clean()
