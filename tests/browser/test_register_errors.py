"""The registration form refuses bad input with Chinese messages next to the fields and keeps what was typed."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.browser

SESSION = "政协长宁区第十五届委员会第二次会议"
TAKEN = 3  # a CPPCC number of the demo district
TEXT = "第一行正文。\n第二行正文：保留换行。"


def _fill(page: Page, title: str) -> Locator:
    page.goto("/cases/new/cppcc_proposal")
    main = page.locator("main")
    main.get_by_label("届次", exact=True).select_option(label=f"2023 {SESSION}")
    main.get_by_label("编号", exact=True).fill(str(TAKEN))
    main.get_by_label("标题", exact=True).fill(title)
    main.get_by_label("领衔代表/提案者", exact=True).select_option(label="王慧敏（长宁区愚园路第一小学）")
    main.get_by_label("正文", exact=True).fill(TEXT)
    main.get_by_label("仅公开标题", exact=True).check()
    return main


def _post(page: Page, main: Locator) -> None:
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        main.get_by_role("button", name="登记", exact=True).click()
    assert response.value.status == 422
    page.wait_for_load_state()
    expect(main.locator("h1")).to_have_text("登记建议/提案")
    expect(page.locator("main > .alert-success")).to_have_count(0)


def _error_next_to(main: Locator, label: str, message: str) -> None:
    """The message is in the field's own block, right under its input, which is marked invalid."""
    field = main.get_by_label(label, exact=True)
    expect(field).to_have_class(re.compile(r"\bis-invalid\b"))
    error = main.locator("div.mb-2").filter(has=main.page.get_by_label(label, exact=True)).locator(".invalid-feedback")
    expect(error).to_have_text(message)
    field_box, error_box = field.bounding_box(), error.bounding_box()
    gap = error_box["y"] - (field_box["y"] + field_box["height"])
    assert 0 <= gap < 30, f"the message of {label} is {gap}px away from its field"


def _kept(main: Locator, title: str) -> None:
    expect(main.locator(".nav-tabs .active")).to_have_text("政协提案")
    expect(main.get_by_label("届次", exact=True).locator("option:checked")).to_have_text(f"2023 {SESSION}")
    expect(main.get_by_label("编号", exact=True)).to_have_value(str(TAKEN))
    expect(main.get_by_label("标题", exact=True)).to_have_value(title)
    expect(main.get_by_label("领衔代表/提案者", exact=True).locator("option:checked")).to_have_text(
        "王慧敏（长宁区愚园路第一小学）")
    expect(main.get_by_label("正文", exact=True)).to_have_value(TEXT)
    expect(main.get_by_label("仅公开标题", exact=True)).to_be_checked()


def test_register_errors_are_shown_next_to_the_fields_and_keep_the_input(ui):
    page = ui.as_("dispatcher")
    main = _fill(page, title="")
    _post(page, main)
    _error_next_to(main, "标题", "请填写标题。")
    _kept(main, title="")
    ui.shot(page, "register-errors-empty-title")

    # the clerk fills the title in; the duplicate number is refused next to 编号, the rest still kept
    main.get_by_label("标题", exact=True).fill("关于重复编号的测试提案")
    _post(page, main)
    _error_next_to(main, "编号", f"{SESSION}已有第{TAKEN}号。")
    expect(main.locator(".invalid-feedback")).to_have_count(1)
    _kept(main, title="关于重复编号的测试提案")
    ui.shot(page, "register-errors-duplicate-number")

    page.goto("/cases/?q=关于重复编号")
    expect(page.locator("main .empty")).to_have_text("没有符合条件的案件。")  # nothing was registered


def test_register_reports_an_empty_title_and_a_duplicate_number_at_once(ui):
    page = ui.as_("dispatcher")
    main = _fill(page, title="")
    _post(page, main)
    _error_next_to(main, "标题", "请填写标题。")
    assert f"{SESSION}已有第{TAKEN}号。" in main.inner_text(), "编号 is taken, but the page does not say so"
    _error_next_to(main, "编号", f"{SESSION}已有第{TAKEN}号。")

