"""A whole NPC suggestion and a whole CPPCC proposal, clicked through by the demo users in turn:
登记 → 交办 → 签收 ×2 → 会办意见 → 拟写答复 → 签发 → 不满意 → 重新办理 → 第二次答复 → 签发 → 满意
→ 办结 → 公开 (both replies) → the public portal, without login and without the proposer's phone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.pages import (
    action, expect_flash, expect_state, expect_timeline, expect_unit, no_action, radio_in_group, submit,
)

pytestmark = pytest.mark.browser

DISPATCHER = "陈婉清"  # the demo dispatcher's name (caseflow/demo/demo.yaml)


@dataclass(frozen=True)
class Unit:
    name: str
    short: str  # how the case page's actions name it
    handler: str  # login
    handler_name: str
    leader: str = ""
    leader_name: str = ""


@dataclass(frozen=True)
class Story:
    tag: str  # screenshot prefix
    body: str
    session: str
    number: int
    title: str
    proposer_login: str
    proposer: str
    proposer_label: str  # as the registration form lists them
    proposer_phone: str  # from demo.yaml: must never reach the public portal
    lead: Unit
    co: Unit
    first_result: str
    second_result: str


DIQU = Unit("区地区工作办公室", "区地区办", "diqu_handler", "沈佳琪", "diqu_leader", "顾明辉")
JIANGUAN = Unit("区建设和管理委员会", "区建管委", "jianguan_handler", "蒋文斌", "jianguan_leader", "唐志勇")
XINHUA = Unit("新华路街道", "新华路街道", "xinhua_handler", "范莉莉")

STORIES = [
    Story("cppcc", "政协提案", "政协长宁区第十五届委员会第二次会议", 901, "关于在愚园路沿线增设学生安全过街设施的提案",
          "wang_weiyuan", "王慧敏", "王慧敏（长宁区愚园路第一小学）", "13912340202", DIQU, JIANGUAN,
          "列入计划拟解决", "解决或采纳"),
    Story("npc", "人大代表建议", "长宁区第十七届人民代表大会第三次会议", 901, "关于番禺路老旧小区加装电梯统筹推进的建议",
          "li_daibiao", "李建平", "李建平（新华街道社区卫生服务中心）", "13912340101", JIANGUAN, XINHUA,
          "正在解决", "解决采纳"),
]


def pdf(label: str) -> dict:
    """A small PDF as the file chooser would give it, different for every upload."""
    return {"name": f"{label}.pdf", "mimeType": "application/pdf",
            "buffer": f"%PDF-1.4\n% {label}\n%%EOF\n".encode()}


def downloaded_back(page: Page, where: Locator, upload: dict) -> None:
    """The uploaded file is linked by its name in ``where`` and downloads byte for byte."""
    link = where.get_by_role("link", name=upload["name"]).first
    expect(link).to_be_visible()
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.body() == upload["buffer"], upload["name"]


@pytest.mark.parametrize("story", STORIES, ids=[s.tag for s in STORIES])
def test_full_lifecycle_in_the_browser(ui, story: Story):
    s = story

    def shot(page: Page, name: str) -> None:
        ui.shot(page, f"{s.tag}-{name}")

    contact_phone = "021-22059901"
    first_text = f"{s.lead.name}关于第{s.number}号的答复：经研究，已列入明年实施计划，先行开展现场踏勘。"
    second_text = f"{s.lead.name}关于第{s.number}号的再次答复：经重新办理，相关工程已完成立项并明确时间表。"
    reason = "答复未说明具体实施时间，希望明确推进时间表。"

    # -- 登记 (dispatcher) ---------------------------------------------------------------------
    desk = ui.login("dispatcher", shot="login") if s.tag == "cppcc" else ui.as_("dispatcher")
    desk.goto("/cases/")
    expect(desk.locator("main h1")).to_contain_text("案件列表")
    if s.tag == "cppcc":
        ui.shot(desk, "case-list-dispatcher")
    desk.locator("header nav").get_by_role("link", name="登记", exact=True).click()
    main = desk.locator("main")
    expect(main.locator("h1")).to_have_text("登记建议/提案")
    main.locator(".nav-tabs").get_by_role("link", name=s.body, exact=True).click()  # one body's form
    expect(main.locator(".nav-tabs .active")).to_have_text(s.body)
    main.get_by_label("届次", exact=True).select_option(label=f"2023 {s.session}")
    main.get_by_label("编号", exact=True).fill(str(s.number))
    main.get_by_label("标题", exact=True).fill(s.title)
    main.get_by_label("分类", exact=True).select_option(label="城市建设（2023）")
    main.get_by_label("领衔代表/提案者", exact=True).select_option(label=s.proposer_label)
    main.get_by_label("正文", exact=True).fill("现状：沿线学校集中，上下学高峰人车混行。\n建议：统筹规划，分步实施。")
    main.get_by_label("同意全文公开", exact=True).check()
    shot(desk, "01-register-form")
    with desk.expect_navigation():
        main.get_by_role("button", name="登记", exact=True).click()
    expect_flash(desk, f"已登记 {s.session} 第{s.number}号。")
    expect(main.locator("h1")).to_have_text(s.title)
    expect_state(desk, "已登记")
    expect(main.locator("table")).to_contain_text("尚未交办")
    expect_timeline(desk, f"{DISPATCHER} · 登记")
    case_url = desk.url
    assert re.search(r"/cases/\d+$", case_url), case_url
    shot(desk, "02-case-registered")

    # -- 交办: one lead unit and one co unit ------------------------------------------------------
    assign = action(desk, "交办")
    expect(assign.get_by_label("交办日期", exact=True)).not_to_have_value("")
    leads, cos = assign.locator("ul[id$='-lead_unit_ids']"), assign.locator("ul[id$='-co_unit_ids']")
    assign.locator("input[data-filter$='-lead_unit_ids']").fill(s.lead.name[:3])  # the search box narrows the list
    expect(leads.locator("li:visible")).to_have_count(1)
    leads.get_by_label(s.lead.name, exact=True).check()  # a check box: no Ctrl-click
    cos.get_by_label(s.co.name, exact=True).check()
    shot(desk, "03-assign-form")
    submit(desk, assign, "交办", "已交办。")
    expect_state(desk, "已交办")
    expect_unit(desk, s.lead.name, "主办", "待签收")
    expect_unit(desk, s.co.name, "会办", "待签收")
    expect_timeline(desk, f"{DISPATCHER} · 交办")

    # -- 签收: the lead handler finds it in the inbox, then the co handler -------------------------
    lead = ui.as_(s.lead.handler)
    lead.goto("/cases/inbox")
    expect(lead.locator("main h1")).to_contain_text(s.lead.name)
    row = lead.locator("main table tr").filter(has_text=s.title)
    expect(row).to_contain_text("主办")
    expect(row).to_contain_text("待签收")
    shot(lead, "04-inbox-lead-handler")
    row.get_by_role("link", name=s.title).click()
    expect(lead.locator("main h1")).to_have_text(s.title)
    no_action(lead, "拟写答复")  # not before 签收
    second_window = lead.context.new_page()  # the same handler, in a tab opened before the 签收
    second_window.goto(lead.url)
    submit(lead, action(lead, "签收", s.lead.short), "签收", "已签收。")
    with second_window.expect_navigation():  # the old tab learns who did it, on the case page itself
        action(second_window, "签收", s.lead.short).get_by_role("button", name="签收", exact=True).click()
    expect(second_window.locator("main .alert-warning")).to_contain_text(f"（{s.lead.handler_name}于")
    expect(second_window.locator("main h1")).to_have_text(s.title)
    expect_unit(second_window, s.lead.name, "主办", "办理中")
    second_window.close()
    expect_unit(lead, s.lead.name, "主办", "办理中")
    expect_state(lead, "办理中")  # every lead unit has signed (DESIGN: co units do not hold the case back)
    expect_unit(lead, s.co.name, "会办", "待签收")

    co = ui.as_(s.co.handler)
    co.goto("/cases/inbox")
    co.locator("main table tr").filter(has_text=s.title).get_by_role("link", name=s.title).click()
    submit(co, action(co, "签收", s.co.short), "签收", "已签收。")
    expect_unit(co, s.co.name, "会办", "办理中")
    expect_timeline(co, f"{s.lead.handler_name} · 签收", f"{s.co.handler_name} · 签收", "主办单位均已签收，开始办理")

    # -- 会办意见 ----------------------------------------------------------------------------------
    opinion_text = f"{s.co.name}会办意见：同意主办单位方案，本单位负责协调沿线居民意见。"
    opinion = action(co, "提交会办意见")
    opinion.get_by_label("会办意见", exact=True).fill(opinion_text)
    opinion_pdf = pdf(f"{s.co.name}会办意见附件")
    opinion.get_by_label("附件（可选）", exact=True).set_input_files(opinion_pdf)
    submit(co, opinion, "提交会办意见", "已提交会办意见。")
    expect_unit(co, s.co.name, "会办", "已提交会办意见")
    opinions = co.locator("main section").filter(has=co.locator("h2", has_text="会办意见"))
    expect(opinions).to_contain_text(opinion_text)
    downloaded_back(co, opinions, opinion_pdf)
    no_action(co, "拟写答复")
    shot(co, "05-case-co-opinion-sent")

    # -- 拟写答复 (lead handler) → 签发答复 (lead leader) -----------------------------------------------
    def draft_reply(doc_number: str, result: str, text: str, name: str):
        lead.goto(case_url)
        form = action(lead, "拟写答复", s.lead.short)
        form.get_by_label("文号", exact=True).fill(doc_number)
        form.get_by_label("联系人", exact=True).fill(s.lead.handler_name)
        form.get_by_label("联系电话", exact=True).fill(contact_phone)
        form.get_by_label("办理结果分类", exact=True).select_option(label=result)
        form.get_by_label("答复正文", exact=True).fill(text)
        letter = pdf(f"{doc_number} 答复函")
        form.get_by_label("答复函 PDF（可选）", exact=True).set_input_files(letter)
        shot(lead, name)
        submit(lead, form, "拟写答复", "答复稿已保存，待单位负责人签发。")
        downloaded_back(lead, lead.locator("main section.draft"), letter)  # the handler's saved draft shows it
        expect_timeline(lead, f"{s.lead.handler_name} · 拟写答复")
        no_action(lead, "签发答复")  # a handler drafts, only the leader signs

    def sign_reply(ordinal: int, name: str, doc: str):
        boss = ui.as_(s.lead.leader)
        boss.goto("/cases/inbox")
        waiting = boss.locator("main .card").filter(has=boss.locator("h2", has_text="待签发的答复"))
        expect(waiting).to_contain_text(s.title)
        if ordinal == 1:
            shot(boss, "07-inbox-lead-leader")  # sorts before 07-sign-form
        waiting.get_by_role("link", name=re.compile(re.escape(s.title))).click()
        sign = action(boss, "签发答复", s.lead.short)
        expect(sign).to_contain_text(doc)  # the leader reads the draft before signing it
        downloaded_back(boss, sign, pdf(f"{doc} 答复函"))  # and the letter the handler attached
        expect(sign.get_by_role("link", name="预览答复函 PDF")).to_be_visible()
        sign.get_by_label("我已阅读答复稿和答复函预览，同意签发").check()
        if ordinal == 1:
            shot(boss, "07-sign-form")
        submit(boss, sign, "签发答复", "答复已签发并送达提出人。")
        expect_state(boss, "已答复")
        expect_unit(boss, s.lead.name, "主办", "已答复")
        heading = "答复" if ordinal == 1 else f"答复（第{ordinal}次）"
        reply = boss.locator("main section").filter(has=boss.locator("h2", has_text=re.compile(rf"^{heading}$")))
        expect(reply).to_contain_text(s.lead.leader_name)  # 签发人
        shot(boss, name)
        return boss

    first_doc, second_doc = f"长{s.tag}〔2026〕{s.number}号", f"长{s.tag}〔2026〕{s.number}-2号"
    draft_reply(first_doc, s.first_result, first_text, "06-reply-draft-form")
    sign_reply(1, "08-case-replied", first_doc)

    # -- 征询意见: 不满意 with a reason → 重新办理 ------------------------------------------------------
    proposer = ui.as_(s.proposer_login)
    proposer.goto("/cases/")
    proposer.locator("main table").get_by_role("link", name=s.title).click()
    expect_state(proposer, "已答复")
    expect(proposer.locator("main")).to_contain_text(first_text)
    feedback = action(proposer, "提交评价")  # the proposer's word; 征询意见 is the clerk's
    radio_in_group(feedback, "总体评价", "不满意").check()
    feedback.get_by_label("意见", exact=True).fill(reason)
    shot(proposer, "09-feedback-dissatisfied-form")
    submit(proposer, feedback, "提交评价", "评价已提交。")
    expect_state(proposer, "重新办理")
    expect_timeline(proposer, f"{s.proposer} · 提交评价：不满意：{reason}")
    expect(proposer.locator("main section").filter(has=proposer.locator("h2", has_text="征询意见"))).to_contain_text(
        f"不满意：{reason}")
    no_action(proposer, "提交评价")
    shot(proposer, "10-case-rehandling")

    # -- second reply, signed ---------------------------------------------------------------------
    lead.goto(case_url)
    expect_state(lead, "重新办理")
    expect_unit(lead, s.lead.name, "主办", "办理中")
    draft_reply(second_doc, s.second_result, second_text, "11-second-reply-form")
    boss = sign_reply(2, "12-case-second-reply", second_doc)
    expect(boss.locator("main")).to_contain_text(second_doc)

    # -- 征询意见: 满意 -----------------------------------------------------------------------------
    proposer.goto(case_url)
    feedback = action(proposer, "提交评价")
    radio_in_group(feedback, "总体评价", "满意").check()
    submit(proposer, feedback, "提交评价", "评价已提交。")
    expect_state(proposer, "已评价")
    expect_timeline(proposer, f"{s.proposer} · 提交评价：满意")

    # -- 办结, 公开 (dispatcher) ----------------------------------------------------------------------
    desk.goto(case_url)
    expect_state(desk, "已评价")
    submit(desk, action(desk, "办结"), "办结", "已办结。")
    expect_state(desk, "已办结")
    expect_timeline(desk, f"{DISPATCHER} · 办结")
    for ordinal, text in ((1, first_text), (2, second_text)):
        publish = action(desk, "公开", f"第{ordinal}次答复")
        expect(publish.get_by_label("公开文本（已去除联系方式）", exact=True)).to_have_value(text)
        expect(radio_in_group(publish, "公开方式", "全文公开")).to_be_checked()
        if ordinal == 2:
            shot(desk, "13-publish-form")
        submit(desk, publish, "公开", "已公开。")
    disclosures = desk.locator("main section").filter(has=desk.locator("h2", has_text=re.compile("^公开$")))
    expect(disclosures.locator("li")).to_have_text([re.compile("^第1次答复：已公开"), re.compile("^第2次答复：已公开")])
    no_action(desk, "公开")
    expect_timeline(desk, f"{DISPATCHER} · 公开")
    shot(desk, "14-case-closed-published")

    # -- the public portal, without login -----------------------------------------------------------
    public = ui.anonymous()
    public.goto("/public/")
    expect(public.locator("header nav")).to_contain_text("办理结果公开")
    rows = public.locator("main table tbody tr").filter(has_text=s.title)
    expect(rows).to_have_count(1)  # a case once, however many of its replies are public
    expect(rows.first).to_contain_text("已公开 2 次答复")
    expect(rows.first).to_contain_text(f"第{s.number}号")
    shot(public, "15-public-list")
    rows.first.get_by_role("link", name=s.title).click()
    expect(public.locator("main h1")).to_have_text(s.title)
    page_text = public.locator("main").inner_text()
    assert second_text in page_text
    assert second_doc in page_text and s.lead.name in page_text
    for secret in (s.proposer_phone, contact_phone):
        assert secret not in public.content(), f"{secret} is on the public page"
    expect(public.locator("main .prose")).to_have_text([first_text, second_text])  # both replies, in order
    shot(public, "16-public-detail")
