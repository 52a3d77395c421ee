"""Screenshots of the head of service's home page and staff list (kept out of the repo)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.e2e.conftest import E2E

pytestmark = pytest.mark.e2e

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_head_of_services_home_page_and_staff_list_can_be_captured_as_screenshots(
    e2e: E2E, tmp_path: Path
) -> None:
    page = e2e.new_page()
    e2e.sign_in_verified(page, "head")
    expect(page.locator("main h1")).to_contain_text("杨卫国")
    home = tmp_path / "head-home.png"
    page.screenshot(path=str(home), full_page=True)

    page.locator('nav.sidebar a[href="/org/staff/"]').click()
    expect(page.locator("#staff-rows tbody tr").first).to_be_visible()
    staff = tmp_path / "head-staff-list.png"
    page.screenshot(path=str(staff), full_page=True)

    for shot in (home, staff):
        data = shot.read_bytes()
        assert data.startswith(PNG_SIGNATURE), f"{shot.name} is not a PNG"
        assert len(data) > 10_000, f"{shot.name} is suspiciously small ({len(data)} bytes)"
