"""征询意见: the proposer's evaluation, 重新办理 after 不满意, and the lapsed window."""
from __future__ import annotations

from sqlalchemy import func, select

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


def _latest_reply(case: Case) -> Reply:
    return db.session.scalars(
        select(Reply).where(Reply.case_id == case.id, Reply.replied_at.is_not(None))
        .order_by(Reply.replied_at.desc(), Reply.id.desc())
    ).first()


def _add_feedback(case: Case, overall: str, channel: str, **kw) -> Feedback:
    ordinal = (db.session.scalar(select(func.max(Feedback.ordinal)).where(Feedback.case_id == case.id)) or 0) + 1
    fb = Feedback(case_id=case.id, reply_id=_latest_reply(case).id, ordinal=ordinal, overall=overall,
                  channel=channel, **kw)
    db.session.add(fb)
    return fb


def give_feedback(actor: Actor, case_id: int, version: int, overall: str, *, attitude: str | None = None,
                  result: str | None = None, comment: str = "", channel: str = "login") -> Feedback:
    """满意 / 基本满意 close the evaluation; 不满意 opens 重新办理 with its own due date."""
    with transaction():
        case = get(Case, case_id, version)
        permit = engine.require(actor, "give_feedback", case=case, comment=comment, fields={"overall": overall})
        for name, value in (("overall", overall), ("attitude", attitude), ("result", result)):
            if (value is not None or name == "overall") and value not in SATISFACTION:
                raise ValidationError("请选择满意、基本满意或不满意。", name)
        if overall == "dissatisfied" and not comment.strip():
            raise ValidationError("选择不满意时，请写明不满意的原因。", "comment")
        permit.comment = SATISFACTION_LABELS[overall] + (f"：{comment.strip()}" if comment.strip() else "")
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
