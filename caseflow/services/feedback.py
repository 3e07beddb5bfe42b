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
from caseflow.workflow import engine
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
        for name, value in (("overall", overall), ("attitude", attitude), ("result", result)):
            if (value is not None or name == "overall") and value not in SATISFACTION:
                raise ValidationError("请选择满意、基本满意或不满意。", name)
        if overall == "dissatisfied" and not comment.strip():
            raise ValidationError("选择不满意时，请写明不满意的原因。", "comment")
        said = SATISFACTION_LABELS[overall] + (f"：{comment.strip()}" if comment.strip() else "")
        if overall == "dissatisfied":
            engine.fire(actor, "rehandle", case=case, comment=said, payload={"overall": overall})
            due = due_date(case.body, "rehandle", clock.today())
            for a in case.lead_assignments:
                if a.state == "answered":
                    engine.fire(actor, "reopen", case=case, assignment=a, system=True,
                                payload={"due_date": due.isoformat()})
                    a.original_due_date = a.due_date = due
                    reminders.sync_assignment(a)
        else:
            engine.fire(actor, "evaluate", case=case, comment=said, payload={"overall": overall})
        fb = _add_feedback(case, overall, channel, attitude=attitude, result=result, comment=comment.strip(),
                           proposer_id=actor.proposer_id if actor.role == "proposer" else None)
        reminders.sync_case(case, "feedback", None)
    return fb


def record_no_response(actor: Actor | None, case_id: int, version: int) -> Feedback:
    """The evaluation window passed without an answer: recorded as such, the case is evaluated."""
    with transaction():
        case = get(Case, case_id, version)
        reply = _latest_reply(case)
        ends = due_date(case.body, "feedback_window", reply.replied_at.astimezone(clock.LOCAL_TZ).date())
        engine.fire(actor, "evaluation_lapsed", case=case, fields={"feedback_due": ends},
                    system=actor is None)
        fb = _add_feedback(case, "no_response", "timeout")
        reminders.sync_case(case, "feedback", None)
    return fb
