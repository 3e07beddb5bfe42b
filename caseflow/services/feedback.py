"""征询意见: the proposer's evaluation, 重新办理 after 不满意, and the lapsed window; 并案: the
proposers of the cases merged into one are told of its reply and evaluate it too."""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import exists, func, select

from caseflow import clock
from caseflow.errors import ValidationError
from caseflow.extensions import db
from caseflow.models import Case, Feedback, Reply
from caseflow.models.feedback import SATISFACTION, SATISFACTION_LABELS
from caseflow.services import reminders
from caseflow.services.base import get, transaction
from caseflow.services.due import due_date
from caseflow.workflow import engine, spec
from caseflow.workflow.engine import Actor
from caseflow.workflow.guards import latest_sent_reply


def _add_feedback(case: Case, overall: str, channel: str, reply: Reply | None = None, **kw) -> Feedback:
    """The evaluation of ``reply`` (by default the case's own latest one) as the case's next one."""
    ordinal = (db.session.scalar(select(func.max(Feedback.ordinal)).where(Feedback.case_id == case.id)) or 0) + 1
    fb = Feedback(case_id=case.id, reply_id=(reply or latest_sent_reply(case.id)).id, ordinal=ordinal,
                  overall=overall, channel=channel, **kw)
    db.session.add(fb)
    return fb


def _checked_comment(overall: str, attitude: str | None, result: str | None, comment: str) -> str:
    """The event's comment for a valid evaluation (ValidationError beside the field otherwise)."""
    for name, value in (("overall", overall), ("attitude", attitude), ("result", result)):
        if (value is not None or name == "overall") and value not in SATISFACTION:
            raise ValidationError(_("请选择满意、基本满意或不满意。"), name)
    if overall == "dissatisfied" and not comment.strip():
        raise ValidationError(_("选择不满意时，请写明不满意的原因。"), "comment")
    return SATISFACTION_LABELS.chinese(overall) + (f"：{comment.strip()}" if comment.strip() else "")


def give_feedback(actor: Actor, case_id: int, version: int, overall: str, *, attitude: str | None = None,
                  result: str | None = None, comment: str = "", channel: str = "login") -> Feedback:
    """满意 / 基本满意 close the evaluation; 不满意 opens 重新办理 with its own due date."""
    with transaction():
        case = get(Case, case_id, version)
        permit = engine.require(actor, "give_feedback", case=case, comment=comment, fields={"overall": overall})
        permit.comment = _checked_comment(overall, attitude, result, comment)
        dissatisfied = overall == "dissatisfied"
        permit.apply({"overall": overall}, to="rehandling" if dissatisfied else "evaluated")
        if dissatisfied:
            due = due_date(case.body, "rehandle", clock.today())
            for a in case.lead_assignments:
                if engine.can_follow("reopen", case=case, assignment=a):
                    engine.follow(actor, "reopen", case=case, assignment=a, payload={"due_date": due.isoformat()})
                    a.original_due_date = a.due_date = due
                    reminders.sync_assignment(a)
        fb = _add_feedback(case, overall, channel, attitude=attitude, result=result, comment=comment.strip(),
                           proposer_id=actor.proposer_id if spec.scope_of(actor.role) == "own" else None)
        reminders.sync_case(case, "feedback", None)
    return fb


def record_no_response(actor: Actor | None, case_id: int, version: int) -> Feedback:
    """The evaluation window passed without an answer: recorded as such, the case is evaluated."""
    with transaction():
        case = get(Case, case_id, version)
        if actor is None:  # the scheduler
            engine.follow(None, "evaluation_lapsed", case=case)
        else:
            engine.act(actor, "evaluation_lapsed", case=case)
        fb = _add_feedback(case, "no_response", "timeout")
        reminders.sync_case(case, "feedback", None)
    return fb


# -- 并案 ------------------------------------------------------------------------------------------

def tell_merged(actor: Actor | None, primary: Case, reply: Reply, merged: list[Case] | None = None) -> list[Case]:
    """The primary's reply went out: each case merged into it (or ``merged``, the ones merged just
    now) follows: an event on it, and the evaluation window with its 征询提出人意见 reminders, as
    for the primary's own proposer."""
    if merged is None:
        merged = db.session.scalars(select(Case).where(Case.merged_into_id == primary.id).order_by(Case.id)).all()
    due = due_date(primary.body, "feedback_window", reply.replied_at.astimezone(clock.LOCAL_TZ).date())
    for case in merged:
        engine.follow(actor, "follow_primary", case=case,
                      payload={"primary_id": primary.id, "reply_id": reply.id})
        reminders.sync_case(case, "feedback", due)
    return merged


def evaluate_merged(actor: Actor, case_id: int, version: int, overall: str, *, attitude: str | None = None,
                    result: str | None = None, comment: str = "", channel: str = "login") -> Feedback:
    """并案: the proposer of a merged case evaluates the primary's latest reply. The evaluation is
    kept on their own case, which stays merged; the primary's course follows its own proposer."""
    with transaction():
        case = get(Case, case_id, version)
        permit = engine.require(actor, "evaluate_merged", case=case, comment=comment, fields={"overall": overall})
        permit.comment = _checked_comment(overall, attitude, result, comment)
        reply = latest_sent_reply(case.merged_into_id)
        permit.apply({"overall": overall, "reply_id": reply.id})
        fb = _add_feedback(case, overall, channel, reply, attitude=attitude, result=result, comment=comment.strip(),
                           proposer_id=actor.proposer_id if spec.scope_of(actor.role) == "own" else None)
        reminders.sync_case(case, "feedback", None)
    return fb


def awaiting_merged_feedback(case_ids: Iterable[int]) -> set[int]:
    """Of ``case_ids``, the merged cases whose primary has answered and that have not evaluated its
    latest reply (their 征询提出人意见 reminders are still due)."""
    primary_reply = (select(Reply.id).where(Reply.case_id == Case.merged_into_id, Reply.replied_at.is_not(None))
                     .order_by(Reply.replied_at.desc(), Reply.id.desc()).limit(1).correlate(Case).scalar_subquery())
    return set(db.session.scalars(select(Case.id).where(
        Case.id.in_(list(case_ids)), Case.merged_into_id.is_not(None), primary_reply.is_not(None),
        ~exists().where(Feedback.case_id == Case.id, Feedback.reply_id == primary_reply))))
