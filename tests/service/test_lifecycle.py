"""Whole lifecycles through the services, and the guards that stop a wrong step."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from caseflow.errors import Conflict, PermissionDenied, ValidationError
from caseflow.models import Disclosure, Event, Feedback, FollowUp, Reminder, Reply
from caseflow.services import assignments, cases, disclosure, feedback, handling
from caseflow.timeline import case_timeline
from tests.service.world import START, World


@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    return World(make, db)


def _transitions(case):
    return [(e.event.transition, e.event.from_state, e.event.to_state) for e in case_timeline(case)]


@pytest.mark.parametrize("body", ["npc_suggestion", "cppcc_proposal"])
def test_full_lifecycle(make, db, frozen_clock, body):
    frozen_clock(START)
    w = World(make, db, body=body)
    case = w.registered()
    cases.assign(w["dispatcher"], case.id, case.version,
                 [cases.UnitAssignment(w.lead.id, "lead"), cases.UnitAssignment(w.co.id, "co")])
    lead, co = w.lead_of(case), w.co_of(case)
    assert lead.due_date == date(2025, 6, 3) and co.due_date == date(2025, 4, 3)  # 3 months / 1 month
    frozen_clock(START + timedelta(days=1))
    assignments.accept(w["lead_handler"], lead.id, lead.version)
    assert case.state == "in_progress"  # every lead unit signed (the co-unit's 签收 does not hold it up)
    assignments.accept(w["co_handler"], co.id, co.version)
    handling.log_contact(w["lead_handler"], lead.id, "meeting", START + timedelta(days=1), "与提出人见面")
    frozen_clock(START + timedelta(days=10))
    handling.send_co_opinion(w["co_handler"], co.id, co.version, "会办意见")
    reply = handling.draft_reply(w["lead_handler"], lead.id, w.reply_input())
    handling.sign_reply(w["lead_leader"], reply.id, reply.version)
    assert (case.state, lead.state) == ("replied", "answered")
    # 不满意 → 重新办理 with its own due date, then a second reply
    frozen_clock(START + timedelta(days=20))
    feedback.give_feedback(w["proposer"], case.id, case.version, "dissatisfied", comment="未说明时间表")
    assert case.state == "rehandling" and lead.state == "accepted"
    assert lead.due_date == date(2025, 4, 23)  # 1 month after 不满意
    second = handling.draft_reply(w["lead_handler"], lead.id, w.reply_input(text="二次答复：明确时间表。"))
    assert second.ordinal == 2
    handling.sign_reply(w["lead_leader"], second.id, second.version)
    frozen_clock(START + timedelta(days=30))
    feedback.give_feedback(w["proposer"], case.id, case.version, "satisfied", attitude="satisfied")
    cases.close(w["dispatcher"], case.id, case.version)
    for d in db.session.scalars(select(Disclosure).where(Disclosure.case_id == case.id).order_by(Disclosure.id)):
        text = db.session.get(Reply, d.reply_id).text
        disclosure.publish(w["dispatcher"], d.id, d.version, "full", text)
    frozen_clock(START + timedelta(days=90))
    handling.record_follow_up(w["lead_handler"], case.id, "after", "已全部落实", w.classes[0].id)

    assert case.state == "closed"
    assert [f.overall for f in db.session.scalars(
        select(Feedback).where(Feedback.case_id == case.id).order_by(Feedback.ordinal))] == ["dissatisfied", "satisfied"]
    assert db.session.scalars(select(FollowUp).where(FollowUp.case_id == case.id)).one().original_result_class_id \
        == w.classes[0].id
    assert _transitions(case) == [
        ("assign", "registered", "assigned"),
        ("accept", "pending", "accepted"),
        ("start", "assigned", "in_progress"),
        ("accept", "pending", "accepted"),
        ("contact", None, None),
        ("send_opinion", "accepted", "opinion_sent"),
        ("draft_reply", None, None),
        ("sign_reply", "accepted", "answered"),
        ("reply", "in_progress", "replied"),
        ("give_feedback", "replied", "rehandling"),
        ("reopen", "answered", "accepted"),
        ("draft_reply", None, None),
        ("sign_reply", "accepted", "answered"),
        ("reply", "rehandling", "replied"),
        ("give_feedback", "replied", "evaluated"),
        ("close", "evaluated", "closed"),
        ("publish", "pending", "published"),
        ("publish", "pending", "published"),
        ("follow_up", None, None),
    ]
    entries = case_timeline(case)
    assert [e.actor for e in entries if e.event.transition == "reply"] == [w["lead_leader"].name] * 2
    assert [(e.actor, e.action, e.comment) for e in entries if e.event.to_state == "rehandling"] == [
        (w["proposer"].name, "提交评价", "不满意：未说明时间表")]
    # nothing left to remind about on a closed, published case
    assert not db.session.scalars(select(Reminder).where(Reminder.case_id == case.id,
                                                         Reminder.state == "pending")).all()


def test_case_waits_for_every_lead_unit_to_accept(w):
    case = w.registered()
    second = w.make.unit("第二主办")
    handler2 = w.make.user("handler", unit=second)
    cases.assign(w["dispatcher"], case.id, case.version,
                 [cases.UnitAssignment(w.lead.id, "split"), cases.UnitAssignment(second.id, "split")])
    a1, a2 = case.assignments
    assignments.accept(w["lead_handler"], a1.id, a1.version)
    assert case.state == "assigned"
    assignments.accept(handler2, a2.id, a2.version)
    assert case.state == "in_progress"


# -- guards -------------------------------------------------------------------

def test_reply_needs_a_leader_of_the_lead_unit(w):
    case, reply = w.drafted()
    with pytest.raises(PermissionDenied):
        handling.sign_reply(w["lead_handler"], reply.id, reply.version)  # no 签发人 role
    with pytest.raises(PermissionDenied, match="只有主办单位可以签发答复"):  # the unit's name
        handling.sign_reply(w["co_leader"], reply.id, reply.version)  # a leader, of the co-unit
    assert case.state == "in_progress" and reply.signed_at is None


def test_the_leader_returns_a_draft_and_signs_it_once_revised(w):
    case, reply = w.drafted()
    lead = w.lead_of(case)
    with pytest.raises(PermissionDenied, match="只有承办单位负责人可以退回修改"):
        handling.return_draft(w["lead_handler"], reply.id, reply.version, "自己退回")
    handling.return_draft(w["lead_leader"], reply.id, reply.version, "请写明完成时间")
    assert reply.returned_note == "请写明完成时间" and reply.signed_at is None
    with pytest.raises(ValidationError, match="答复稿已退回经办人修改，修改保存后才能签发"):
        handling.sign_reply(w["lead_leader"], reply.id, reply.version)
    event = w.db.session.scalars(select(Event).where(Event.transition == "return_draft")).one()
    assert (event.comment, event.payload["reply_id"], event.actor_id) == ("请写明完成时间", reply.id, w["lead_leader"].id)
    revised = handling.draft_reply(w["lead_handler"], lead.id, w.reply_input(text="已于6月底前完成。"),
                                   reply_id=reply.id, version=reply.version)
    assert revised.id == reply.id and revised.returned_note is None and revised.text == "已于6月底前完成。"
    handling.sign_reply(w["lead_leader"], revised.id, revised.version)
    assert (case.state, lead.state) == ("replied", "answered")
    with pytest.raises(Conflict, match="当前状态为“已答复”.*不能退回修改"):  # a window still showing the draft
        handling.return_draft(w["lead_leader"], revised.id, revised.version, "晚了")


def test_reply_waits_for_co_opinions_unless_overridden(w):
    case, other = w.accepted(), w.accepted()
    cases.override_co_opinions(w["dispatcher"], other.id, other.version, "另一件急需答复")  # not this case
    reply = handling.draft_reply(w["lead_handler"], w.lead_of(case).id, w.reply_input())
    with pytest.raises(ValidationError, match="会办单位尚未提交会办意见：会办单位"):
        handling.sign_reply(w["lead_leader"], reply.id, reply.version)
    with pytest.raises(ValidationError, match="理由"):
        cases.override_co_opinions(w["dispatcher"], case.id, case.version, " ")
    cases.override_co_opinions(w["dispatcher"], case.id, case.version, "提出人急需答复")
    with pytest.raises(ValidationError, match="已同意先行答复"):
        cases.override_co_opinions(w["dispatcher"], case.id, case.version, "再说一次")
    handling.sign_reply(w["lead_leader"], reply.id, reply.version)
    assert case.state == "replied"


def test_reply_needs_its_fields(w):
    case = w.with_opinions()
    reply = handling.draft_reply(w["lead_handler"], w.lead_of(case).id,
                                 w.reply_input(doc_number="", contact_phone="", text=""))
    with pytest.raises(ValidationError, match="答复缺少：联系电话、文号、答复正文或附件"):
        handling.sign_reply(w["lead_leader"], reply.id, reply.version)


def test_no_written_reply_skips_the_letter_but_not_the_record(w, login):
    case = w.with_opinions(no_written_reply=True)
    reply = handling.draft_reply(w["lead_handler"], w.lead_of(case).id, w.reply_input(doc_number="", text=""))
    handling.sign_reply(w["lead_leader"], reply.id, reply.version)  # no 文号, no text: no letter needed
    assert case.state == "replied" and reply.replied_at is not None  # the record
    assert [e.event.transition for e in case_timeline(case)][-2:] == ["sign_reply", "reply"]
    page = login(w["lead_handler"]).get(f"/cases/{case.id}").get_data(as_text=True)
    assert "本件不需要书面答复，没有答复函。" in page and "/letter.pdf" not in page  # the letter is skipped
    assert login(w["dispatcher"]).get(f"/reports/cases/{case.id}/replies/{reply.id}/letter.pdf").status_code == 404
    written = w.with_opinions()  # a case that needs the letter does not sign without 文号 and text
    draft = handling.draft_reply(w["lead_handler"], w.lead_of(written).id, w.reply_input(doc_number="", text=""))
    with pytest.raises(ValidationError, match="答复缺少：文号、答复正文或附件"):
        handling.sign_reply(w["lead_leader"], draft.id, draft.version)


def test_result_class_must_belong_to_the_body_and_year(w):
    case = w.with_opinions()
    other_year = w.make.result_classes(year=2019)[0]
    with pytest.raises(ValidationError, match="不属于本类别本年度"):
        handling.draft_reply(w["lead_handler"], w.lead_of(case).id, w.reply_input(result_class_id=other_year.id))


def test_co_unit_cannot_reply(w):
    case = w.accepted()
    with pytest.raises(PermissionDenied, match="只有主办、分办单位可以拟写答复"):
        handling.draft_reply(w["co_handler"], w.co_of(case).id, w.reply_input())


def test_return_request_only_within_the_window(w, frozen_clock):
    a = w.lead_of(w.assigned())
    frozen_clock(START + timedelta(days=7))  # 5 working days after Monday 3 March: Monday 10 March
    assignments.request_return(w["lead_handler"], a.id, a.version, "不属本单位职责")
    b = w.lead_of(w.assigned())  # assigned on the 10th, window until the 17th
    frozen_clock(START + timedelta(days=15))
    with pytest.raises(ValidationError, match="已超过期限"):
        assignments.request_return(w["lead_handler"], b.id, b.version, "太晚了")


def test_approved_return_of_the_only_lead_sends_the_case_back_to_be_assigned(w):
    case = w.assigned()
    a = w.lead_of(case)
    assignments.request_return(w["lead_handler"], a.id, a.version, "不属本单位职责")
    assignments.approve_return(w["dispatcher"], a.id, a.version)
    assert (a.state, case.state) == ("returned", "registered")
    new_lead = w.make.unit("新主办")
    cases.assign(w["dispatcher"], case.id, case.version, [cases.UnitAssignment(new_lead.id, "lead")])
    assert case.state == "assigned" and len(case.assignments) == 3
    assert not db_pending_reminders(w, a)


def db_pending_reminders(w, a):
    return w.db.session.scalars(select(Reminder).where(Reminder.assignment_id == a.id,
                                                       Reminder.state == "pending")).all()


def test_extension_never_past_six_months(w):
    a = w.lead_of(w.accepted())
    with pytest.raises(ValidationError, match="延期最长至 2025-09-03"):
        assignments.request_extension(w["lead_handler"], a.id, a.version, date(2025, 9, 4), "需要更久")
    with pytest.raises(ValidationError, match="必须晚于当前期限"):
        assignments.request_extension(w["lead_handler"], a.id, a.version, a.due_date, "同一天")
    assignments.request_extension(w["lead_handler"], a.id, a.version, date(2025, 9, 3), "需市级审批")
    with pytest.raises(ValidationError, match="延期最长至"):
        assignments.approve_extension(w["dispatcher"], a.id, a.version, new_due=date(2025, 9, 30))
    assignments.approve_extension(w["dispatcher"], a.id, a.version, new_due=date(2025, 8, 1))
    assert (a.state, a.due_date, a.original_due_date) == ("accepted", date(2025, 8, 1), date(2025, 6, 3))
    kinds = {r.deadline for r in db_pending_reminders(w, a)}
    assert kinds == {date(2025, 8, 1)}  # reminders follow the new due date


def test_assign_validation(w):
    case = w.registered()
    d = w["dispatcher"]
    for units, message in [
        ([], "请至少选择一个承办单位"),
        ([cases.UnitAssignment(w.co.id, "co")], "请指定主办"),
        ([cases.UnitAssignment(w.lead.id, "lead"), cases.UnitAssignment(w.lead.id, "co")], "既是主办又是会办"),
        ([cases.UnitAssignment(w.lead.id, "split")], "分办需要至少两个"),
        ([cases.UnitAssignment(w.lead.id, "lead", due_date=date(2025, 7, 1))], "须说明理由"),
        ([cases.UnitAssignment(999999, "lead")], "不存在"),
    ]:
        with pytest.raises(ValidationError, match=message):
            cases.assign(d, case.id, case.version, units)
    assert case.state == "registered" and case.assignments == []
    cases.assign(d, case.id, case.version,
                 [cases.UnitAssignment(w.lead.id, "lead", due_date=date(2025, 5, 20), due_reason="人代会前完成")])
    event = w.db.session.scalars(select(Event).where(Event.case_id == case.id, Event.transition == "assign")).one()
    assert event.payload["units"][0] == {"unit_id": w.lead.id, "role": "lead", "due_date": "2025-05-20",
                                         "computed_due": "2025-06-03", "due_reason": "人代会前完成"}


def test_feedback_validation_and_window(w, frozen_clock):
    case = w.replied()
    with pytest.raises(ValidationError, match="不满意的原因"):
        feedback.give_feedback(w["proposer"], case.id, case.version, "dissatisfied")
    with pytest.raises(ValidationError, match="请选择满意"):
        feedback.give_feedback(w["proposer"], case.id, case.version, "great")
    with pytest.raises(ValidationError, match="尚未届满"):
        feedback.record_no_response(w["dispatcher"], case.id, case.version)
    frozen_clock(START + timedelta(days=40))
    fb = feedback.record_no_response(w["dispatcher"], case.id, case.version)
    assert (case.state, fb.overall, fb.channel) == ("evaluated", "no_response", "timeout")


def test_publish_respects_consent_and_redaction(w):
    case = w.evaluated(consent="none")
    d = w.disclosure_of(case)
    with pytest.raises(ValidationError, match="不同意公开"):
        disclosure.publish(w["dispatcher"], d.id, d.version, "full", "答复正文")
    case2 = w.evaluated()
    d2 = w.disclosure_of(case2)
    for text, problem in [("请致电13912345678联系", "手机号码「13912345678」"), ("座机 021-62345678", "固定电话"),
                          ("身份证310105198001011234", "身份证号码"), ("住址：长宁区某路1号", "门牌地址「长宁区某路1号」"),
                          ("邮箱 p@example.com", "电子邮箱「p@example.com」"), ("写信至 zhao@cs.gov.cn", "电子邮箱")]:
        with pytest.raises(ValidationError, match=problem):
            disclosure.publish(w["dispatcher"], d2.id, d2.version, "full", text)
    assert d2.state == "pending"
    disclosure.publish(w["dispatcher"], d2.id, d2.version, "full", "答复正文：2025年3月已落实。")
    assert d2.state == "published"
    with pytest.raises(ValidationError, match="请填写理由"):
        disclosure.withhold(w["dispatcher"], w.disclosure_of(w.evaluated()).id, 1, " ")


def test_title_only_consent_publishes_the_title(w):
    case = w.evaluated(consent="title_only")
    d = w.disclosure_of(case)
    with pytest.raises(ValidationError, match="只能摘要公开"):
        disclosure.publish(w["dispatcher"], d.id, d.version, "full", "全文")
    disclosure.publish(w["dispatcher"], d.id, d.version, "summary", "全文")
    assert d.published_text == case.title


def test_invalid_state_gives_a_clear_message(w):
    case = w.registered()
    with pytest.raises(Conflict, match="当前状态为“已登记”，不能办结。"):
        cases.close(w["dispatcher"], case.id, case.version)


def test_merge_and_withdraw(w):
    a, b = w.registered(), w.registered()
    with pytest.raises(ValidationError, match="请填写理由"):
        cases.withdraw(w["dispatcher"], a.id, a.version, "")
    cases.merge(w["dispatcher"], a.id, a.version, b.id, "内容相同")
    assert (a.state, a.merged_into_id) == ("merged", b.id)
    with pytest.raises(ValidationError, match="另一件"):
        cases.merge(w["dispatcher"], b.id, b.version, b.id, "自己")


# -- optimistic locking -------------------------------------------------------

def test_stale_version_is_a_conflict_and_changes_nothing(w):
    a = w.lead_of(w.assigned())
    seen = a.version
    assignments.accept(w["lead_handler"], a.id, seen)
    with pytest.raises(Conflict, match="已被他人修改"):
        assignments.request_return(w["lead_handler"], a.id, seen, "晚了一步")
    assert a.state == "accepted"


def test_follow_up_with_a_second_reply_and_a_better_class(w, frozen_clock):
    case = w.closed()
    lead = w.lead_of(case)
    frozen_clock(START + timedelta(days=120))
    second = handling.draft_reply(w["lead_handler"], lead.id,
                                  w.reply_input(result_class_id=w.classes[0].id, text="二次答复：已解决。"))
    with pytest.raises(PermissionDenied):
        handling.sign_reply(w["co_leader"], second.id, second.version)
    handling.sign_reply(w["lead_leader"], second.id, second.version)
    assert case.state == "closed" and second.ordinal == 2 and second.replied_at is not None
    with pytest.raises(ValidationError, match="请选择回头看阶段"):
        handling.record_follow_up(w["lead_handler"], case.id, "later", "说明")
    fu = handling.record_follow_up(w["lead_handler"], case.id, "after", "回头看：已全部解决",
                                   w.classes[0].id, reply_id=second.id)
    assert fu.reply_id == second.id
    assert [e.action for e in case_timeline(case)][-2:] == ["签发二次答复", "回头看"]
    assert w.db.session.scalars(select(Disclosure).where(Disclosure.reply_id == second.id)).one().state == "pending"


def test_each_split_unit_records_its_follow_up_on_its_own_part(w, db):
    """分办: a unit's 回头看 counts for that unit's assignment (the statistics read it there); the
    督查科's for the first lead unit's."""
    case = w.registered()
    second = w.make.unit("第二主办")
    cases.assign(w["dispatcher"], case.id, case.version,
                 [cases.UnitAssignment(w.lead.id, "split"), cases.UnitAssignment(second.id, "split")])
    case.state = "replied"  # the follow-up only looks at the case's state: its replies are not the point
    db.session.commit()
    first, own = (next(a for a in case.assignments if a.unit_id == u.id) for u in (w.lead, second))
    assert case.lead_assignments[0] is first
    recorded = [handling.record_follow_up(who, case.id, "after", "回头看").assignment_id
                for who in (w.make.user("handler", unit=second), w["lead_leader"], w["dispatcher"])]
    assert recorded == [own.id, first.id, first.id]


def test_feedback_through_a_personal_link(w):
    from caseflow.workflow.engine import LinkActor

    case = w.replied()
    with pytest.raises(PermissionDenied, match="只有本件的提出人可以提交评价"):
        feedback.give_feedback(LinkActor(w.make.proposer().id), case.id, case.version, "satisfied")
    fb = feedback.give_feedback(LinkActor(w.proposer_row.id), case.id, case.version, "basically_satisfied",
                                channel="link")
    assert (fb.proposer_id, fb.channel, case.state) == (w.proposer_row.id, "link", "evaluated")
    entry = case_timeline(case)[-1]
    assert (entry.actor, entry.action, entry.comment, entry.event.actor_id) == ("提出人", "提交评价", "基本满意", None)
