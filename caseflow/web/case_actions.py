"""The actions a user can take on a case page: which form, on which row, through which service.

Each action is shown only when the engine (or the service's own rule) would allow the
user to take it now; posting it still goes through the service, which checks again.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from sqlalchemy import select

from caseflow import clock
from caseflow.errors import ValidationError
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Disclosure, Reply, ResultClass, User
from caseflow.models.user import UNIT_ROLES
from caseflow.services import assignments, cases, disclosure, feedback, handling
from caseflow.services.due import due_date
from caseflow.web import forms
from caseflow.web.forms import options
from caseflow.workflow import engine


@dataclass(frozen=True)
class Action:
    key: str
    label: str
    form: type[FlaskForm]
    targets: Callable[[User, Case], list[Any]]  # the rows it can act on
    can: Callable[[User, Case, Any], bool]
    run: Callable[[User, Case, Any, Any], Any]
    done: str
    style: str = "primary"
    prefill: Callable[[Any, Any], dict] | None = None


def _case(user, case):
    return [case]


def _own_assignments(user, case):
    return [a for a in case.assignments if a.unit_id == user.unit_id] if user.role in UNIT_ROLES else []


def _all_assignments(user, case):
    return list(case.assignments)


def _drafts(user, case):
    return list(db.session.scalars(select(Reply).where(Reply.case_id == case.id, Reply.replied_at.is_(None))))


def _pending_disclosures(user, case):
    return list(db.session.scalars(select(Disclosure).where(Disclosure.case_id == case.id,
                                                            Disclosure.state == "pending")))


def _fires(name):
    def can(user, case, target):
        if isinstance(target, Assignment):
            return engine.allowed(user, name, case=case, assignment=target)
        if isinstance(target, Disclosure):
            return engine.allowed(user, name, case=case, disclosure=target)
        return engine.allowed(user, name, case=case)
    return can


def _v(form) -> int:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        raise ValidationError("页面数据不完整，请刷新后重试。") from None


def _upload(name):
    return request.files.get(name)


def _assign(user, case, target, form):
    if form.split.data and len(form.lead_unit_ids.data) < 2:
        raise ValidationError("分办需要选择至少两个主办单位。", "lead_unit_ids")
    overlap = set(form.lead_unit_ids.data) & set(form.co_unit_ids.data)
    if overlap:
        raise ValidationError("同一单位不能既是主办又是会办。", "co_unit_ids")
    role = "split" if form.split.data else "lead"
    reason = form.due_reason.data or ""
    units = [cases.UnitAssignment(u, role, form.reply_due.data, reason) for u in form.lead_unit_ids.data]
    units += [cases.UnitAssignment(u, "co", form.co_due.data, reason) for u in form.co_unit_ids.data]
    return cases.assign(user, case.id, _v(form), units, assigned_on=form.assigned_on.data)


def _reply_input(form) -> handling.ReplyInput:
    return handling.ReplyInput(doc_number=form.doc_number.data or "", contact_name=form.contact_name.data or "",
                               contact_phone=form.contact_phone.data or "",
                               result_class_id=form.result_class_id.data or None, text=form.text.data or "",
                               cc=form.cc.data or "")


def _draft(user, case, target, form):
    reply_id = int(form.reply_id.data) if form.reply_id.data else None
    return handling.draft_reply(user, target.id, _reply_input(form), reply_id=reply_id,
                                version=int(form.version.data) if reply_id else None, upload=_upload("attachment"))


def _can_draft(user, case, a):
    return (a.role in ("lead", "split") and user.role in UNIT_ROLES
            and case.state in ("in_progress", "rehandling", "evaluated", "closed")
            and (a.state == "accepted" or case.state in ("evaluated", "closed")))


def _reply_prefill(a, user):
    draft = db.session.scalar(select(Reply).where(Reply.assignment_id == a.id, Reply.replied_at.is_(None)))
    if draft is None:
        return {"contact_name": user.name, "contact_phone": user.phone or ""}
    return {"reply_id": draft.id, "version": draft.version, "doc_number": draft.doc_number,
            "contact_name": draft.contact_name, "contact_phone": draft.contact_phone,
            "result_class_id": draft.result_class_id, "text": draft.text, "cc": draft.cc}


def _merge(user, case, target, form):
    into = db.session.scalar(select(Case.id).where(Case.session_id == case.session_id,
                                                   Case.number == form.into_number.data))
    if into is None:
        raise ValidationError(f"本届次没有第{form.into_number.data}号。", "into_number")
    return cases.merge(user, case.id, _v(form), into, form.comment.data)


def _publish_prefill(d, user):
    reply = db.session.get(Reply, d.reply_id)
    return {"published_text": reply.text, "scope": "full" if reply.case_id and d.case.consent == "full" else "summary"}


def _is_dispatcher(user, case, target):
    return user.role == "dispatcher"


def _can_follow_up(user, case, target):
    return case.state in ("replied", "evaluated", "closed", "rehandling") and (
        user.role == "dispatcher"
        or (user.role in UNIT_ROLES and user.unit_id in {a.unit_id for a in case.lead_assignments}))


def _can_contact(user, case, a):
    return a.state not in ("returned", "pending") and a.role in ("lead", "split") and case.state in (
        "in_progress", "rehandling")


ACTIONS: dict[str, Action] = {a.key: a for a in [
    Action("assign", "交办", forms.AssignForm, _case, lambda u, c, t: u.role == "dispatcher" and c.state in (
        "registered", "assigned", "in_progress"), _assign, "已交办。"),
    Action("accept", "签收", forms.VersionedForm, _own_assignments, _fires("accept"),
           lambda u, c, a, f: assignments.accept(u, a.id, _v(f)), "已签收。"),
    Action("request_return", "申请退回", forms.ReasonForm, _own_assignments, _fires("request_return"),
           lambda u, c, a, f: assignments.request_return(u, a.id, _v(f), f.comment.data), "已提交退回申请。",
           "outline-danger"),
    Action("approve_return", "同意退回", forms.CommentForm, _all_assignments, _fires("approve_return"),
           lambda u, c, a, f: assignments.approve_return(u, a.id, _v(f), f.comment.data or ""), "已同意退回。"),
    Action("reject_return", "不同意退回", forms.ReasonForm, _all_assignments, _fires("reject_return"),
           lambda u, c, a, f: assignments.reject_return(u, a.id, _v(f), f.comment.data), "已驳回退回申请。",
           "outline-danger"),
    Action("request_extension", "申请延期", forms.ExtensionRequestForm, _own_assignments,
           _fires("request_extension"),
           lambda u, c, a, f: assignments.request_extension(u, a.id, _v(f), f.requested_due.data, f.comment.data),
           "已提交延期申请。", "outline-primary"),
    Action("approve_extension", "同意延期", forms.ExtensionDecisionForm, _all_assignments,
           _fires("approve_extension"),
           lambda u, c, a, f: assignments.approve_extension(u, a.id, _v(f), f.new_due.data, f.comment.data or ""),
           "已同意延期。"),
    Action("reject_extension", "不同意延期", forms.ReasonForm, _all_assignments, _fires("reject_extension"),
           lambda u, c, a, f: assignments.reject_extension(u, a.id, _v(f), f.comment.data), "已驳回延期申请。",
           "outline-danger"),
    Action("contact", "记录沟通", forms.ContactForm, _own_assignments, _can_contact,
           lambda u, c, a, f: handling.log_contact(u, a.id, f.kind.data, f.contacted_on.data, f.note.data),
           "已记录沟通情况。", "outline-primary"),
    Action("co_opinion", "提交会办意见", forms.CoOpinionForm,
           lambda u, c: [a for a in _own_assignments(u, c) if a.role == "co"], _fires("send_opinion"),
           lambda u, c, a, f: handling.send_co_opinion(u, a.id, _v(f), f.text.data or "", _upload("attachment")),
           "已提交会办意见。"),
    Action("draft_reply", "拟写答复", forms.ReplyForm, _own_assignments, _can_draft, _draft,
           "答复稿已保存，待单位负责人签发。", prefill=_reply_prefill),
    Action("sign_reply", "签发答复", forms.VersionedForm, _drafts,
           lambda u, c, r: u.role == "unit_leader" and u.unit_id == r.assignment.unit_id,
           lambda u, c, r, f: handling.sign_reply(u, r.id, _v(f)), "答复已签发并送达提出人。"),
    Action("override", "同意先行答复（会办意见未齐）", forms.ReasonForm, _case,
           lambda u, c, t: u.role == "dispatcher" and c.state in ("in_progress", "rehandling") and any(
               a.role == "co" and a.state not in ("opinion_sent", "returned") for a in c.assignments),
           lambda u, c, t, f: cases.override_co_opinions(u, c.id, _v(f), f.comment.data), "已同意先行答复。",
           "outline-primary"),
    Action("feedback", "征询意见", forms.FeedbackForm, _case, _fires("evaluate"),
           lambda u, c, t, f: feedback.give_feedback(u, c.id, _v(f), f.overall.data, attitude=f.attitude.data or None,
                                                     result=f.result.data or None, comment=f.comment.data or "",
                                                     channel="login" if u.role == "proposer" else "clerk"),
           "评价已提交。"),
    Action("no_response", "征询期满未反馈", forms.VersionedForm, _case, _fires("evaluation_lapsed"),
           lambda u, c, t, f: feedback.record_no_response(u, c.id, _v(f)), "已记录为未反馈。", "outline-secondary"),
    Action("close", "办结", forms.CommentForm, _case, _fires("close"),
           lambda u, c, t, f: cases.close(u, c.id, _v(f), f.comment.data or ""), "已办结。"),
    Action("publish", "公开", forms.PublishForm, _pending_disclosures, _fires("publish"),
           lambda u, c, d, f: disclosure.publish(u, d.id, _v(f), f.scope.data, f.published_text.data or ""),
           "已公开。", prefill=_publish_prefill),
    Action("withhold", "不予公开", forms.ReasonForm, _pending_disclosures, _fires("withhold"),
           lambda u, c, d, f: disclosure.withhold(u, d.id, _v(f), f.comment.data), "已记录不予公开。",
           "outline-danger"),
    Action("follow_up", "回头看", forms.FollowUpForm, _case, _can_follow_up,
           lambda u, c, t, f: handling.record_follow_up(u, c.id, f.stage.data, f.note.data,
                                                        f.current_result_class_id.data or None),
           "已记录回头看。", "outline-primary"),
    Action("key_case", "重点督办", forms.KeyCaseForm, _case, _is_dispatcher,
           lambda u, c, t, f: cases.mark_key_case(u, c.id, _v(f), f.key_case.data, f.comment.data or ""),
           "已更新重点督办标记。", "outline-secondary"),
    Action("withdraw", "撤案", forms.ReasonForm, _case, _fires("withdraw"),
           lambda u, c, t, f: cases.withdraw(u, c.id, _v(f), f.comment.data), "已撤案。", "outline-danger"),
    Action("merge", "并案", forms.MergeForm, _case, _fires("merge"), _merge, "已并案。", "outline-danger"),
]}


def target_id(target) -> int:
    return target.id


def target_label(target) -> str:
    """What the action applies to, when the case has several (a unit, a reply)."""
    if isinstance(target, Assignment):
        return target.unit.short_name or target.unit.name
    if isinstance(target, Reply):
        return f"第{target.ordinal}次答复"
    if isinstance(target, Disclosure):
        return f"第{db.session.get(Reply, target.reply_id).ordinal}次答复"
    return ""


def available(user: User, case: Case) -> list[tuple[Action, Any]]:
    """(action, target) pairs the user may take on ``case`` now."""
    return [(a, t) for a in ACTIONS.values() for t in a.targets(user, case) if a.can(user, case, t)]


def build_form(action: Action, case: Case, target, user: User, formdata=None) -> FlaskForm:
    """The action's form, bound to a post or prefilled with the target's current values."""
    data: dict[str, Any] = {"version": getattr(target, "version", None)}
    if action.prefill:
        data.update(action.prefill(target, user))
    if action.key == "key_case":
        data["key_case"] = not case.key_case
    if action.key == "assign":
        data["assigned_on"] = clock.today()
    form = action.form(formdata=formdata, data=data, prefix=f"{action.key}-{target_id(target)}")
    _fill_choices(form, case)
    if action.key == "assign":
        today = clock.today()
        form.reply_due.description = f"按规则（今日交办）：{due_date(case.body, 'reply', today).isoformat()}"
        form.co_due.description = f"按规则（今日交办）：{due_date(case.body, 'co_opinion', today).isoformat()}"
    return form


def _fill_choices(form: FlaskForm, case: Case) -> None:
    if hasattr(form, "result_class_id") or hasattr(form, "current_result_class_id"):
        classes = [(rc.id, rc.label) for rc in db.session.scalars(
            select(ResultClass).where(ResultClass.body == case.body, ResultClass.year == case.session.year)
            .order_by(ResultClass.position))]
        if hasattr(form, "result_class_id"):
            form.result_class_id.choices = options([(0, "请选择")] + classes)
        if hasattr(form, "current_result_class_id"):
            form.current_result_class_id.choices = options([(0, "不变")] + classes)
    if hasattr(form, "lead_unit_ids"):
        from caseflow.models import Unit

        units = [(u.id, u.name) for u in db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id))]
        form.lead_unit_ids.choices = form.co_unit_ids.choices = options(units)
