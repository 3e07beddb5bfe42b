"""Guards named in the workflow YAML. Each returns None when satisfied, else a Chinese message.

A guard receives the :class:`~caseflow.workflow.engine.Firing` (actor, rows, fields).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import exists, select

from caseflow import clock
from caseflow.extensions import db
from caseflow.models import Assignment, Event

if TYPE_CHECKING:
    from caseflow.workflow.engine import Firing

Guard = Callable[["Firing"], str | None]
GUARDS: dict[str, Guard] = {}


def guard(fn: Guard) -> Guard:
    GUARDS[fn.__name__] = fn
    return fn


@guard
def signer_is_lead_unit_leader(f: Firing) -> str | None:
    reply = f.fields["reply"]
    signer = f.actor
    lead_units = {a.unit_id for a in f.case.lead_assignments}
    if signer is None or signer.role != "unit_leader" or signer.unit_id not in lead_units:
        return "签发人必须是主办单位的负责人。"
    if reply.assignment.unit_id != signer.unit_id:
        return "只能签发本单位的答复。"
    return None


@guard
def co_opinions_in(f: Firing) -> str | None:
    missing = [
        a.unit.name
        for a in f.case.assignments
        if a.role == "co" and a.state not in ("opinion_sent", "returned")
    ]
    if not missing:
        return None
    overridden = db.session.scalar(
        select(exists().where(Event.case_id == f.case.id, Event.transition == "co_opinion_override"))
    )
    return None if overridden else f"会办单位尚未提交会办意见：{'、'.join(missing)}。"


@guard
def reply_complete(f: Firing) -> str | None:
    reply = f.fields["reply"]
    missing = [label for label, value in _reply_fields(reply, f.case.no_written_reply) if not value]
    return f"答复缺少：{'、'.join(missing)}。" if missing else None


def _reply_fields(reply, no_written_reply: bool):
    yield "联系人", reply.contact_name
    yield "联系电话", reply.contact_phone
    yield "办理结果分类", reply.result_class_id
    if not no_written_reply:
        yield "文号", reply.doc_number
        yield "答复正文或附件", reply.text.strip() or reply.attachment_id


@guard
def feedback_window_passed(f: Firing) -> str | None:
    ends = f.fields["feedback_due"]
    return None if clock.today() > ends else f"征询意见期限（{ends.isoformat()}）尚未届满。"


@guard
def return_window_open(f: Firing) -> str | None:
    ends = f.fields["return_due"]
    return None if clock.today() <= ends else f"退回申请须在 {ends.isoformat()} 前提出，已超过期限。"


@guard
def extension_within_limit(f: Firing) -> str | None:
    a: Assignment = f.assignment
    requested = f.fields.get("requested_due_date") or a.requested_due_date
    if requested is None:
        return "请填写申请延期至的日期。"
    if requested <= a.due_date:
        return f"延期日期必须晚于当前期限 {a.due_date.isoformat()}。"
    if requested > f.fields["extension_max"]:
        return f"延期最长至 {f.fields['extension_max'].isoformat()}（交办后 6 个月）。"
    return None


@guard
def is_co_assignment(f: Firing) -> str | None:
    return None if f.assignment.role == "co" else "只有会办单位提交会办意见。"


@guard
def consent_allows(f: Firing) -> str | None:
    if f.case.consent == "none":
        return "提出人不同意公开，不能公开。"
    if f.case.consent == "title_only" and f.fields.get("scope") != "summary":
        return "提出人仅同意公开标题，只能摘要公开。"
    return None


# mobile, landline with area code, or an 8-digit local number (not a 19xx/20xx date)
PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|(?!19|20)[2-9]\d{7})(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


@guard
def redaction_clean(f: Firing) -> str | None:
    text = f.fields.get("published_text") or ""
    problems = []
    if PHONE.search(text):
        problems.append("电话号码")
    if ID_NUMBER.search(text):
        problems.append("身份证号码")
    for p in f.case.proposers:
        for value, label in ((p.phone, "提出人电话"), (p.email, "提出人邮箱"), (p.address, "提出人地址")):
            if value and value in text and label not in problems:
                problems.append(label)
    return f"公开文本含有不应公开的信息：{'、'.join(problems)}，请删除后再公开。" if problems else None
