"""Guards named in the workflow YAML. Each returns None when satisfied, else the sentence a clerk reads (a
Chinese msgid, in the request's language).

A guard receives the :class:`~caseflow.workflow.engine.Context` of the question: actor, rows and
``fields`` — the user's input, or None when a page only asks whether to offer the action. A guard
that needs input it has not got answers None (it is asked again when the input comes).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import exists, select

from caseflow import clock, redaction
from caseflow.extensions import db
from caseflow.i18n import join
from caseflow.models import Event, Feedback, Reply

if TYPE_CHECKING:
    from caseflow.workflow.engine import Context

Guard = Callable[["Context"], str | None]
GUARDS: dict[str, Guard] = {}
GUARD_FIELDS: dict[str, str] = {}  # the input a guard judges, where its refusal is shown


def guard(fn: Guard | None = None, *, field: str | None = None):
    """Register a guard (``@guard``, or ``@guard(field="…")`` when it judges one input)."""
    def register(fn: Guard) -> Guard:
        GUARDS[fn.__name__] = fn
        if field:
            GUARD_FIELDS[fn.__name__] = field
        return fn

    return register(fn) if fn is not None else register


def _due(body: str, rule: str, start):
    from caseflow.services.due import due_date  # services import the engine: import when asked

    return due_date(body, rule, start)


def open_draft_of(assignment) -> Reply | None:
    """The unit's reply that is drafted and not yet signed (at most one at a time)."""
    return db.session.scalar(select(Reply).where(Reply.assignment_id == assignment.id, Reply.replied_at.is_(None)))


def latest_sent_reply(case_id: int | None) -> Reply | None:
    """A case's latest reply that went out (None before the first)."""
    return db.session.scalars(
        select(Reply).where(Reply.case_id == case_id, Reply.replied_at.is_not(None))
        .order_by(Reply.replied_at.desc(), Reply.id.desc())
    ).first() if case_id else None


@guard
def primary_replied(c: Context) -> str | None:
    """并案: the case it was merged into has answered, and this case's evaluation of that answer is not in."""
    reply = latest_sent_reply(c.case.merged_into_id)
    if reply is None:
        return "主件尚未答复，答复后才能评价。"
    if db.session.scalar(select(exists().where(Feedback.case_id == c.case.id, Feedback.reply_id == reply.id))):
        return "已就主件的本次答复提交过评价。"
    return None


@guard
def open_draft(c: Context) -> str | None:
    return None if open_draft_of(c.assignment) else _("还没有答复稿，请先拟写答复。")


@guard
def draft_with_leader(c: Context) -> str | None:
    """The open draft is waiting for the leader, not back with the handler after 退回修改."""
    draft = open_draft_of(c.assignment)
    return _("答复稿已退回经办人修改，修改保存后才能签发。") if draft is not None and draft.returned_note else None


@guard
def no_open_draft(c: Context) -> str | None:
    return _("已有未签发的答复稿，请在原稿上修改。") if open_draft_of(c.assignment) else None


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
    return _("会办单位尚未提交会办意见：%(units)s。", units=join(missing))


@guard
def co_opinions_missing(c: Context) -> str | None:
    if not _co_units_missing(c):
        return _("会办意见已经齐全，无需同意先行答复。")
    return _("已同意先行答复。") if _overridden(c) else None


@guard
def reply_complete(c: Context) -> str | None:
    draft = open_draft_of(c.assignment)
    if draft is None:
        return None  # open_draft says so
    missing = [label for label, value in _reply_fields(draft, c.case.no_written_reply) if not value]
    return _("答复缺少：%(fields)s。", fields=join(missing)) if missing else None


def _reply_fields(reply: Reply, no_written_reply: bool):
    yield _("联系人"), reply.contact_name
    yield _("联系电话"), reply.contact_phone
    yield _("办理结果分类"), reply.result_class_id
    if not no_written_reply:
        yield _("文号"), reply.doc_number
        yield _("答复正文或附件"), reply.text.strip() or reply.attachment_id


@guard
def feedback_window_passed(c: Context) -> str | None:
    replied_at = db.session.scalar(select(Reply.replied_at).where(
        Reply.case_id == c.case.id, Reply.replied_at.is_not(None)).order_by(Reply.replied_at.desc()).limit(1))
    if replied_at is None:
        return _("尚未答复。")
    ends = _due(c.case.body, "feedback_window", replied_at.astimezone(clock.LOCAL_TZ).date())
    return None if clock.today() > ends else _("征询意见期限（%(date)s）尚未届满。", date=ends.isoformat())


@guard
def return_window_open(c: Context) -> str | None:
    ends = _due(c.case.body, "return_window", c.assignment.assigned_on)
    return None if clock.today() <= ends else _("退回申请须在 %(date)s 前提出，已超过期限。", date=ends.isoformat())


@guard
def extension_within_limit(c: Context) -> str | None:
    """The date asked for (when deciding: the one granted) is later than today's due date and at
    most ``extension_max`` after 交办."""
    a = c.assignment
    if c.fields is None:
        return None
    requested = c.fields.get("requested_due_date") or a.requested_due_date
    if requested is None:
        return _("请填写申请延期至的日期。")
    if requested <= a.due_date:
        return _("延期日期必须晚于当前期限 %(date)s。", date=a.due_date.isoformat())
    latest = _due(c.case.body, "extension_max", a.assigned_on)
    if requested > latest:
        return _("延期最长至 %(date)s（交办后 6 个月）。", date=latest.isoformat())
    return None


@guard
def consent_allows(c: Context) -> str | None:
    if c.case.consent == "none":
        return _("提出人不同意公开，不能公开。")
    if c.fields is not None and c.case.consent == "title_only" and c.fields.get("scope") != "summary":
        return _("提出人仅同意公开标题，只能摘要公开。")
    return None


@guard(field="published_text")
def redaction_clean(c: Context) -> str | None:
    """No contact data or identity number (caseflow.redaction), nor the proposers' own phone, e-mail, address."""
    if c.fields is None:
        return None
    text = c.fields.get("published_text") or ""
    problems = [f"{_(f.label)}「{f.text}」" for f in redaction.find(text)]
    for p in c.case.proposers:
        for value, label in ((p.phone, _("提出人电话")), (p.email, _("提出人邮箱")), (p.address, _("提出人地址"))):
            if value and value in text and not any(value in problem for problem in problems):
                problems.append(f"{label}「{value}」")
    return _("公开文本含有不应公开的信息：%(problems)s，请删除后再公开。", problems=join(problems)) if problems else None
