"""What a clerk does in the browser: log in, open an action on a case page, submit it, read the page.

Everything is scoped under ``main``: the header holds the navigation and a language-switch button.
"""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

DEMO_PASSWORD = "demo-2023"  # every demo account (caseflow/demo/seed.py)
DESKTOP = {"width": 1366, "height": 768}  # the office screen the UI is laid out for
PHONE = {"width": 390, "height": 800}
TIMEOUT_MS = 10_000


class UI:
    """One test's browser tabs: one per demo user (logged in once per run), plus anonymous ones."""

    def __init__(self, browser: Browser, base_url: str, screenshots: Path, logins: dict):
        self.browser, self.base_url, self.screenshots, self.logins = browser, base_url, screenshots, logins
        self.contexts: list[BrowserContext] = []
        self.pages: dict[tuple[str, str], Page] = {}

    def _page(self, viewport: dict, storage_state=None) -> Page:
        context = self.browser.new_context(base_url=self.base_url, viewport=viewport, locale="zh-CN",
                                           timezone_id="Asia/Shanghai", storage_state=storage_state)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context.new_page()

    def anonymous(self, viewport: dict = DESKTOP) -> Page:
        return self._page(viewport)

    def login(self, username: str, viewport: dict = DESKTOP, shot: str | None = None) -> Page:
        """Log in through the login form (and remember the session for this user's later tabs)."""
        page = self._page(viewport)
        page.goto("/login")
        main = page.locator("main")
        main.get_by_label("用户名", exact=True).fill(username)
        main.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
        if shot:
            self.shot(page, shot)
        with page.expect_navigation():
            main.get_by_role("button", name="登录", exact=True).click()
        expect_flash(page, "欢迎")
        self.logins[username] = page.context.storage_state()
        self.pages[username, str(viewport)] = page
        return page

    def as_(self, username: str, viewport: dict = DESKTOP) -> Page:
        """The tab of ``username`` in this test (logging in through the form the first time in the run)."""
        key = (username, str(viewport))
        if key not in self.pages:
            if username in self.logins:
                self.pages[key] = self._page(viewport, self.logins[username])
            else:
                self.login(username, viewport)
        return self.pages[key]

    def shot(self, page: Page, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")  # no half-done CSS transitions
        return path

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def expect_flash(page: Page, text: str) -> None:
    expect(page.locator("main > .alert").filter(has_text=text)).to_have_count(1)


def expect_state(page: Page, label: str) -> None:
    """The case's state in the facts box (状态)."""
    expect(page.locator("xpath=//main//dl[contains(@class,'facts')]/dt[normalize-space()='状态']"
                        "/following-sibling::dd[1]").first).to_have_text(label)


def expect_unit(page: Page, unit: str, role: str, state: str) -> None:
    """A row of the 承办单位 table: unit, role, assignment state."""
    row = page.locator("main table tr").filter(has=page.locator("td", has_text=re.compile(rf"^{unit}$")))
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text(role)
    expect(row.locator("td").nth(2)).to_contain_text(state)


def expect_timeline(page: Page, *entries: str) -> None:
    """Each entry (e.g. "陈婉清 · 交办") is in some line of 办理过程."""
    lines = page.locator("main ol.timeline li")
    for entry in entries:
        expect(lines.filter(has_text=entry).first).to_be_visible()


def action(page: Page, label: str, about: str | None = None) -> Locator:
    """The <details> of an action on the case page, opened by clicking its summary."""
    summary = re.compile(rf"^\s*{re.escape(label)}(?:\s|（|$)")
    details = page.locator("main #actions details").filter(has=page.locator("summary", has_text=summary))
    if about:
        details = details.filter(has=page.locator("summary", has_text=about))
    expect(details).to_have_count(1)
    details.locator("summary").click()
    expect(details.locator("form")).to_be_visible()
    return details


def no_action(page: Page, label: str) -> None:
    summary = re.compile(rf"^\s*{re.escape(label)}(?:\s|（|$)")
    expect(page.locator("main #actions summary").filter(has_text=summary)).to_have_count(0)


def submit(page: Page, details: Locator, button: str, flash: str) -> None:
    """Post the action's form and wait for the case page it redirects to, with its flash message."""
    with page.expect_navigation():
        details.get_by_role("button", name=button, exact=True).click()
    expect_flash(page, flash)


def radio_in_group(scope: Locator, group: str, option: str) -> Locator:
    """A radio button by the label of its group (总体评价) and its own label (不满意)."""
    block = scope.locator("div.mb-2").filter(has=scope.page.locator("div.form-label", has_text=re.compile(
        rf"^{re.escape(group)}$")))
    return block.get_by_label(option, exact=True)
