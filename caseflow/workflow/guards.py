"""Guards named in the workflow YAML. Each returns None when satisfied, else a Chinese sentence.

A guard receives the :class:`~caseflow.workflow.engine.Context` of the question: actor, rows and
``fields`` — the user's input, or None when a page only asks whether to offer the action. A guard
that needs input it has not got answers None (it is asked again when the input comes).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import exists, select

from caseflow import clock
from caseflow.extensions import db
from caseflow.models import Event, Reply

if TYPE_CHECKING:
    from caseflow.workflow.engine import Context

Guard = Callable[["Context"], str | None]
GUARDS: dict[str, Guard] = {}


def guard(fn: Guard) -> Guard:
    GUARDS[fn.__name__] = fn
    return fn


def _due(body: str, rule: str, start):
    from caseflow.services.due import due_date  # services import the engine: import when asked

    return due_date(body, rule, start)


def open_draft_of(assignment) -> Reply | None:
    """The unit's reply that is drafted and not yet signed (at most one at a time)."""
    return db.session.scalar(select(Reply).where(Reply.assignment_id == assignment.id, Reply.replied_at.is_(None)))


@guard
def open_draft(c: Context) -> str | None:
    return None if open_draft_of(c.assignment) else "还没有答复稿，请先拟写答复。"


@guard
def draft_with_leader(c: Context) -> str | None:
    """The open draft is waiting for the leader, not back with the handler after 退回修改."""
    draft = open_draft_of(c.assignment)
    return "答复稿已退回经办人修改，修改保存后才能签发。" if draft is not None and draft.returned_note else None


@guard
def no_open_draft(c: Context) -> str | None:
    return "已有未签发的答复稿，请在原稿上修改。" if open_draft_of(c.assignment) else None


def _co_units_missing(c: Context) -> list[str]:
    from caseflow.workflow import spec

    done = spec.group("assignment", "done")
    return [a.unit.name for a in c.case.assignments if a.role not in spec.answering_roles() and a.state not in done]


def _overridden(c: Context) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Event.case_id == c.case.id, Event.transition == "co_opinion_override"))))


@guard
def co_opinions_in(c: Context) -> str | None:
    missing = _co_units_missing(c)
    if not missing or _overridden(c):
        return None
    return f"会办单位尚未提交会办意见：{'、'.join(missing)}。"


@guard
def co_opinions_missing(c: Context) -> str | None:
    if not _co_units_missing(c):
        return "会办意见已经齐全，无需同意先行答复。"
    return "已同意先行答复。" if _overridden(c) else None


@guard
def reply_complete(c: Context) -> str | None:
    draft = open_draft_of(c.assignment)
    if draft is None:
        return None  # open_draft says so
    missing = [label for label, value in _reply_fields(draft, c.case.no_written_reply) if not value]
    return f"答复缺少：{'、'.join(missing)}。" if missing else None


def _reply_fields(reply: Reply, no_written_reply: bool):
    yield "联系人", reply.contact_name
    yield "联系电话", reply.contact_phone
    yield "办理结果分类", reply.result_class_id
    if not no_written_reply:
        yield "文号", reply.doc_number
        yield "答复正文或附件", reply.text.strip() or reply.attachment_id


@guard
def feedback_window_passed(c: Context) -> str | None:
    replied_at = db.session.scalar(select(Reply.replied_at).where(
        Reply.case_id == c.case.id, Reply.replied_at.is_not(None)).order_by(Reply.replied_at.desc()).limit(1))
    if replied_at is None:
        return "尚未答复。"
    ends = _due(c.case.body, "feedback_window", replied_at.astimezone(clock.LOCAL_TZ).date())
    return None if clock.today() > ends else f"征询意见期限（{ends.isoformat()}）尚未届满。"


@guard
def return_window_open(c: Context) -> str | None:
    ends = _due(c.case.body, "return_window", c.assignment.assigned_on)
    return None if clock.today() <= ends else f"退回申请须在 {ends.isoformat()} 前提出，已超过期限。"


@guard
def extension_within_limit(c: Context) -> str | None:
    """The date asked for (when deciding: the one granted) is later than today's due date and at
    most ``extension_max`` after 交办."""
    a = c.assignment
    if c.fields is None:
        return None
    requested = c.fields.get("requested_due_date") or a.requested_due_date
    if requested is None:
        return "请填写申请延期至的日期。"
    if requested <= a.due_date:
        return f"延期日期必须晚于当前期限 {a.due_date.isoformat()}。"
    latest = _due(c.case.body, "extension_max", a.assigned_on)
    if requested > latest:
        return f"延期最长至 {latest.isoformat()}（交办后 6 个月）。"
    return None


@guard
def consent_allows(c: Context) -> str | None:
    if c.case.consent == "none":
        return "提出人不同意公开，不能公开。"
    if c.fields is not None and c.case.consent == "title_only" and c.fields.get("scope") != "summary":
        return "提出人仅同意公开标题，只能摘要公开。"
    return None


# mobile, landline with area code, or an 8-digit local number (not a 19xx/20xx date)
PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|(?!19|20)[2-9]\d{7})(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


@guard
def redaction_clean(c: Context) -> str | None:
    if c.fields is None:
        return None
    text = c.fields.get("published_text") or ""
    problems = []
    if PHONE.search(text):
        problems.append("电话号码")
    if ID_NUMBER.search(text):
        problems.append("身份证号码")
    for p in c.case.proposers:
        for value, label in ((p.phone, "提出人电话"), (p.email, "提出人邮箱"), (p.address, "提出人地址")):
            if value and value in text and label not in problems:
                problems.append(label)
    return f"公开文本含有不应公开的信息：{'、'.join(problems)}，请删除后再公开。" if problems else None
