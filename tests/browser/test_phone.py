"""Phone-sized screens (390×800): the public portal, a proposer's own case list, a unit clerk's case page."""
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
    expect(page.locator("main .prose").first).not_to_be_empty()  # a case handled again shows both replies
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


def test_a_case_page_on_a_phone_has_a_one_line_header_and_its_actions_before_the_timeline(ui):
    page = ui.login("shangwu_handler", viewport=PHONE)
    page.goto("/cases/inbox")
    page.locator("main table tbody tr a").first.click()
    header = page.locator("header.topbar")
    assert header.bounding_box()["height"] < 50, "the header wraps on a phone"
    expect(page.locator("header nav")).to_be_hidden()  # folded behind the menu button
    page.locator("header .menu-button").click()
    expect(page.locator("header nav").get_by_role("link", name="待办")).to_be_visible()
    page.locator("header .menu-button").click()
    actions = page.locator("#actions").bounding_box()
    timeline = page.locator("main .history").bounding_box()
    assert actions["y"] + actions["height"] <= timeline["y"], "the actions come after the timeline"
    _fits_the_screen(page)
    ui.shot(page, "phone-case-page")
