"""How the case page offers each action of the rule book: its form and the service it calls.

Which actions a user sees, and on which rows, is the engine's answer (``engine.answers``); this
module only knows how to ask for each action's input and which service takes it. Posting a form
goes through the service, which asks the rule book again with the input.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select

from caseflow import clock
from caseflow.errors import ValidationError
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Disclosure, Reply, ResultClass, Unit, User
from caseflow.reports.letters import addressee
from caseflow.services import assignments, cases, disclosure, feedback, handling
from caseflow.services.due import due_date
from caseflow.web import forms
from caseflow.web.forms import hidden_int, options, version_of
from caseflow.workflow import engine, spec
from caseflow.workflow.guards import open_draft_of


@dataclass(frozen=True)
class Offer:
    """The form of one action and the call that hands its input to the service."""

    form: type[FlaskForm]
    run: Callable[[User, Case, Any, Any], Any]  # (user, case, target row, bound form)
    done: str  # the message after it went through
    style: str = "primary"
    prefill: Callable[[Case, Any, User], dict] | None = None


def _assign(user, case, target, form, service=cases.assign):
    if form.split.data and len(form.lead_unit_ids.data) < 2:
        raise ValidationError(_("分办需要选择至少两个主办单位。"), "lead_unit_ids")
    if set(form.lead_unit_ids.data) & set(form.co_unit_ids.data):
        raise ValidationError(_("同一单位不能既是主办又是会办。"), "co_unit_ids")
    role = "split" if form.split.data else "lead"
    reason = form.due_reason.data or ""
    units = [cases.UnitAssignment(u, role, form.reply_due.data, reason) for u in form.lead_unit_ids.data]
    units += [cases.UnitAssignment(u, "co", form.co_due.data, reason) for u in form.co_unit_ids.data]
    return service(user, case.id, version_of(form), units, assigned_on=form.assigned_on.data)


def _assign_prefill(case, target, user):
    return {"assigned_on": clock.today()}


def _reply_input(form) -> handling.ReplyInput:
    return handling.ReplyInput(doc_number=form.doc_number.data or "", contact_name=form.contact_name.data or "",
                               contact_phone=form.contact_phone.data or "",
                               result_class_id=form.result_class_id.data or None, text=form.text.data or "",
                               cc=form.cc.data or "")


def _draft(user, case, a, form):
    reply_id = _draft_id(form) if form.reply_id.data else None
    return handling.draft_reply(user, a.id, _reply_input(form), reply_id=reply_id,
                                version=version_of(form) if reply_id else None,
                                upload=form.attachment.data)


def _draft_prefill(case, a, user):
    draft = open_draft_of(a)
    if draft is None:
        return {"contact_name": user.name, "contact_phone": user.phone or ""}
    return {"reply_id": draft.id, "version": draft.version, "doc_number": draft.doc_number,
            "contact_name": draft.contact_name, "contact_phone": draft.contact_phone,
            "result_class_id": draft.result_class_id, "text": draft.text, "cc": draft.cc}


def _draft_id(form) -> int:
    return hidden_int(form.reply_id)


def _sign(user, case, a, form):
    return handling.sign_reply(user, _draft_id(form), version_of(form))


def _return_draft(user, case, a, form):
    return handling.return_draft(user, _draft_id(form), version_of(form), form.comment.data)


def _on_draft(case, a, user):
    """The open draft the leader signs or returns, at the version shown beside the form."""
    draft = open_draft_of(a)
    return {"reply_id": draft.id, "version": draft.version} if draft else {}


def _merge(user, case, target, form):
    into = db.session.scalar(select(Case.id).where(Case.session_id == case.session_id,
                                                   Case.number == form.into_number.data))
    if into is None:
        raise ValidationError(_("本届次没有第%(into_number)s号。", into_number=form.into_number.data), "into_number")
    return cases.merge(user, case.id, version_of(form), into, form.comment.data)


def _publish_prefill(case, d, user):
    reply = db.session.get(Reply, d.reply_id)
    return {"published_text": reply.text, "scope": "full" if case.consent == "full" else "summary"}


def _feedback(user, case, target, form, service=feedback.give_feedback):
    channel = "login" if spec.scope_of(user.role) == "own" else "clerk"
    return service(user, case.id, version_of(form), form.overall.data, attitude=form.attitude.data or None,
                   result=form.result.data or None, comment=form.comment.data or "", channel=channel)


def _contact(user, case, a, form):
    return handling.log_contact(user, a.id, form.kind.data, form.contacted_on.data, form.note.data)


def _co_opinion(user, case, a, form):
    return handling.send_co_opinion(user, a.id, version_of(form), form.text.data or "",
                                    form.attachment.data)


def _follow_up(user, case, target, form):
    return handling.record_follow_up(user, case.id, form.stage.data, form.note.data,
                                     form.current_result_class_id.data or None)


def _add_files(user, case, target, form):
    return cases.add_files(user, case.id, form.files.data or [], form.comment.data or "")



_REPLY = Offer(forms.ReplyForm, _draft, _l("答复稿已保存，待单位负责人签发。"), prefill=_draft_prefill)
_SIGN = Offer(forms.SignForm, _sign, _l("答复已签发并送达提出人。"), prefill=_on_draft)

# every action of the rule book that people take on a case page (登记 has its own page)
OFFERS: dict[str, Offer] = {
    "assign": Offer(forms.AssignForm, _assign, _l("已交办。"), prefill=_assign_prefill),
    "add_units": Offer(forms.AssignForm, lambda u, c, t, f: _assign(u, c, t, f, cases.add_units), _l("已追加交办。"),
                       "outline-primary", prefill=_assign_prefill),
    "add_files": Offer(forms.AddFilesForm, _add_files, _l("附件已上传。"), "outline-primary"),
    "key_case": Offer(forms.KeyCaseForm, lambda u, c, t, f: cases.mark_key_case(
        u, c.id, version_of(f), f.key_case.data, f.comment.data or ""), _l("已更新重点督办标记。"), "outline-secondary",
        prefill=lambda c, t, u: {"key_case": not c.key_case}),
    "withdraw": Offer(forms.ReasonForm, lambda u, c, t, f: cases.withdraw(u, c.id, version_of(f), f.comment.data),
                      _l("已撤案。"), "outline-danger"),
    "merge": Offer(forms.MergeForm, _merge, _l("已并案。"), "outline-danger"),
    "co_opinion_override": Offer(forms.ReasonForm, lambda u, c, t, f: cases.override_co_opinions(
        u, c.id, version_of(f), f.comment.data), _l("已同意先行答复。"), "outline-primary"),
    "close": Offer(forms.CommentForm, lambda u, c, t, f: cases.close(u, c.id, version_of(f), f.comment.data or ""),
                   _l("已办结。")),
    "accept": Offer(forms.VersionedForm, lambda u, c, a, f: assignments.accept(u, a.id, version_of(f)), _l("已签收。")),
    "request_return": Offer(forms.ReasonForm, lambda u, c, a, f: assignments.request_return(
        u, a.id, version_of(f), f.comment.data), _l("已提交退回申请。"), "outline-danger"),
    "approve_return": Offer(forms.CommentForm, lambda u, c, a, f: assignments.approve_return(
        u, a.id, version_of(f), f.comment.data or ""), _l("已同意退回。")),
    "reject_return": Offer(forms.ReasonForm, lambda u, c, a, f: assignments.reject_return(
        u, a.id, version_of(f), f.comment.data), _l("已驳回退回申请。"), "outline-danger"),
    "request_extension": Offer(forms.ExtensionRequestForm, lambda u, c, a, f: assignments.request_extension(
        u, a.id, version_of(f), f.requested_due.data, f.comment.data), _l("已提交延期申请。"), "outline-primary"),
    "approve_extension": Offer(forms.ExtensionDecisionForm, lambda u, c, a, f: assignments.approve_extension(
        u, a.id, version_of(f), f.new_due.data, f.comment.data or ""), _l("已同意延期。")),
    "reject_extension": Offer(forms.ReasonForm, lambda u, c, a, f: assignments.reject_extension(
        u, a.id, version_of(f), f.comment.data), _l("已驳回延期申请。"), "outline-danger"),
    "send_opinion": Offer(forms.CoOpinionForm, _co_opinion, _l("已提交会办意见。")),
    "contact": Offer(forms.ContactForm, _contact, _l("已记录沟通情况。"), "outline-primary"),
    "draft_reply": _REPLY,
    "draft_second_reply": _REPLY,
    "edit_draft": _REPLY,
    "return_draft": Offer(forms.ReturnDraftForm, _return_draft, _l("答复稿已退回经办人修改。"), "outline-danger",
                          prefill=_on_draft),
    "sign_reply": _SIGN,
    "second_reply": _SIGN,
    "give_feedback": Offer(forms.FeedbackForm, _feedback, _l("评价已提交。")),
    "evaluate_merged": Offer(forms.FeedbackForm, lambda u, c, t, f: _feedback(u, c, t, f, feedback.evaluate_merged),
                             _l("评价已提交。")),
    "evaluation_lapsed": Offer(forms.VersionedForm, lambda u, c, t, f: feedback.record_no_response(
        u, c.id, version_of(f)), _l("已记录为未反馈。"), "outline-secondary"),
    "follow_up": Offer(forms.FollowUpForm, _follow_up, _l("已记录回头看。"), "outline-primary"),
    "publish": Offer(forms.PublishForm, lambda u, c, d, f: disclosure.publish(
        u, d.id, version_of(f), f.scope.data, f.published_text.data or ""), _l("已公开。"), prefill=_publish_prefill),
    "withhold": Offer(forms.ReasonForm, lambda u, c, d, f: disclosure.withhold(
        u, d.id, version_of(f), f.comment.data), _l("已记录不予公开。"), "outline-danger"),
}
ELSEWHERE = {"register"}  # people's actions offered on a page of their own, not on a case


@dataclass(frozen=True)
class Available:
    name: str
    label: str
    offer: Offer
    target: Any


def available(user: User, case: Case) -> list[Available]:
    """The actions the rule book lets ``user`` take on ``case`` now, each on its row."""
    return [Available(a.action["name"], spec.action_label(a.action["name"]), OFFERS[a.action["name"]], a.target)
            for a in engine.answers(user, case, explain=False) if a.decision and a.action["name"] in OFFERS]


def target_of(case: Case, name: str, target_id: int) -> Any:
    """The row an action's form was drawn for (None when the case has no such row)."""
    kind = engine.action(case.body, name)["acts_on"]
    if kind == "case":
        return case if target_id == case.id else None
    if kind == "assignment":
        return next((a for a in case.assignments if a.id == target_id), None)
    d = db.session.get(Disclosure, target_id)
    return d if d is not None and d.case_id == case.id else None


def rows_of(target: Any) -> dict[str, Any]:
    """The keyword naming the target row for the engine (none for the case itself)."""
    if isinstance(target, Assignment):
        return {"assignment": target}
    if isinstance(target, Disclosure):
        return {"disclosure": target}
    return {}


def target_label(target) -> str:
    """What the action applies to, when the case has several (a unit, a reply)."""
    if isinstance(target, Assignment):
        return target.unit.short_name or target.unit.name
    if isinstance(target, Disclosure):
        return _("第%(ordinal)s次答复", ordinal=db.session.get(Reply, target.reply_id).ordinal)
    return ""


def build_form(name: str, case: Case, target, user: User, formdata=None) -> FlaskForm:
    """The action's form, bound to a post or prefilled with the target's current values."""
    offer = OFFERS[name]
    data: dict[str, Any] = {"version": getattr(target, "version", None)}
    if offer.prefill:
        data.update(offer.prefill(case, target, user))
    # one page, one CSRF token: the panel posts it as csrf_token and the view checks it (token_ok)
    form = offer.form(formdata=formdata, data=data, prefix=f"{name}-{target.id}", meta={"csrf": False})
    _fill_choices(form, case)
    if isinstance(form, forms.ReplyForm):
        form.text.description = (_("答复函自动以“%(addressee)s：”开头，正文请从称呼之后写起；也可只上传已盖章的答复函 PDF。", addressee=addressee(case)))
    if isinstance(form, forms.AssignForm):
        today = clock.today()
        form.reply_due.description = _("按规则（今日交办）：%(due_date)s",
                                       due_date=due_date(case.body, "reply", today).isoformat())
        form.co_due.description = _("按规则（今日交办）：%(due_date)s",
                                    due_date=due_date(case.body, "co_opinion", today).isoformat())
    return form


def _fill_choices(form: FlaskForm, case: Case) -> None:
    if hasattr(form, "result_class_id") or hasattr(form, "current_result_class_id"):
        classes = [(rc.id, rc.label) for rc in db.session.scalars(
            select(ResultClass).where(ResultClass.body == case.body, ResultClass.year == case.session.year)
            .order_by(ResultClass.position))]
        if hasattr(form, "result_class_id"):
            form.result_class_id.choices = options([(0, _("请选择"))] + classes)
        if hasattr(form, "current_result_class_id"):
            form.current_result_class_id.choices = options([(0, _("不变"))] + classes)
    if hasattr(form, "lead_unit_ids"):
        units = [(u.id,
                  u.name) for u in db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id))]
        form.lead_unit_ids.choices = form.co_unit_ids.choices = options(units)
