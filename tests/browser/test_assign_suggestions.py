"""智能交办 in the browser: the 交办 form of a demo case shows the likely units with their past
cases, and a click on a suggested unit ticks it in the unit picker."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.pages import action

pytestmark = pytest.mark.browser

TITLE = "关于推进社区智慧养老“时间银行”互助服务的提案"  # registered, not yet assigned, in the demo district


def _assign_form_with_suggestions(page: Page) -> Locator:
    """The 交办 form once the suggestions are in (the live server builds its model in the
    background on the first request, and answers 'being built' meanwhile)."""
    for _ in range(120):
        details = action(page, "交办")
        if details.locator("#suggestions button[data-fill]").count():
            return details
        expect(details.locator("#suggestions")).to_contain_text("正在生成")
        page.wait_for_timeout(500)
        page.reload()
    pytest.fail("the suggestions did not come within a minute")


def test_a_click_on_a_suggested_unit_ticks_it_in_the_assign_form(ui):
    page = ui.as_("dispatcher")
    page.goto("/cases/?q=时间银行")
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=TITLE).click()
    details = _assign_form_with_suggestions(page)
    panel = details.locator("#suggestions")
    leads = panel.locator("ol.suggested").first
    expect(leads.locator("li")).to_have_count(3)
    expect(leads.locator("li").first.locator(".score")).to_have_text(re.compile(r"^\d+%$"))
    expect(leads.locator("li").first.locator("a[href^='/cases/']").first).to_be_visible()  # a supporting case

    button = leads.locator("button[data-fill]").first
    unit = button.inner_text()
    picker = details.locator(f"#{button.get_attribute('data-fill')}")
    box = picker.get_by_label(unit, exact=True)
    expect(box).not_to_be_checked()
    button.click()
    expect(box).to_be_checked()
    # a co-unit suggestion ticks the 会办单位 picker, not the 主办 one
    co = panel.locator("ol.suggested").nth(1).locator("button[data-fill]").first
    co_unit = co.inner_text()
    co.click()
    expect(details.locator(f"#{co.get_attribute('data-fill')}").get_by_label(co_unit, exact=True)).to_be_checked()
    expect(picker.locator("input:checked")).to_have_count(1)
    details.scroll_into_view_if_needed()
    ui.shot(page, "assign-suggestions")


def test_check_similar_while_registering_shows_the_likely_duplicate(ui):
    page = ui.as_("dispatcher")
    page.goto("/cases/new/cppcc_proposal")
    main = page.locator("main")
    main.get_by_label("届次", exact=True).select_option(label="2023 政协长宁区第十五届委员会第二次会议")
    main.get_by_label("标题", exact=True).fill("关于推广社区智慧养老“时间银行”互助服务的提案")
    main.get_by_label("分类", exact=True).select_option(label="民生保障（2023）")
    main.get_by_label("正文", exact=True).fill(
        "“时间银行”互助养老在部分街道试点效果良好，但记录不互通、兑换渠道有限。建议建立全区统一的“时间银行”服务平台。")
    hints = main.locator("#similar-hints")
    for _ in range(120):  # the model may still be building (see above)
        main.get_by_role("button", name="查找相似件", exact=True).click()
        expect(hints.locator(".similar-hints")).to_be_visible()
        if "正在生成" not in hints.inner_text():
            break
        page.wait_for_timeout(500)
    first = hints.locator("ul.similar").first.locator("li").first
    expect(first).to_have_class("likely-duplicate")
    expect(first.locator("a")).to_have_text(re.compile(r"第92号$"))
    expect(main.get_by_label("标题", exact=True)).to_have_value("关于推广社区智慧养老“时间银行”互助服务的提案")  # nothing posted
