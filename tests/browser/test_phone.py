"""Phone-sized screens (390×800): the public portal and a proposer's own case list."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import PHONE

pytestmark = pytest.mark.browser


def _fits_the_screen(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width}px wide on a {PHONE['width']}px screen"


def test_public_portal_on_a_phone(ui):
    page = ui.anonymous(PHONE)
    page.goto("/public/")
    rows = page.locator("main table tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("main table thead")).to_be_hidden()  # the table is stacked into cards
    _fits_the_screen(page)
    ui.shot(page, "phone-public-list")

    rows.first.locator("a").click()
    expect(page.locator("main .prose")).not_to_be_empty()
    _fits_the_screen(page)
    ui.shot(page, "phone-public-detail")


def test_proposer_case_list_on_a_phone(ui):
    page = ui.login("wang_weiyuan", viewport=PHONE)
    page.goto("/cases/")
    expect(page.locator("header")).to_contain_text("王慧敏")
    rows = page.locator("main table tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("main table thead")).to_be_hidden()
    _fits_the_screen(page)
    ui.shot(page, "phone-proposer-cases")
