"""办理: contacts, co-opinions, replies (draft → 签发) and 回头看."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from caseflow import clock
from caseflow.errors import PermissionDenied, ValidationError
from caseflow.extensions import db
from caseflow.models import Assignment, Case, CoOpinion, Contact, Disclosure, FollowUp, Reply, ResultClass, User
from caseflow.models.contact import CONTACT_KINDS
from caseflow.models.feedback import FOLLOW_UP_STAGES
from caseflow.models.user import UNIT_ROLES
from caseflow.services import attachments, reminders
from caseflow.services.base import get, transaction
from caseflow.services.due import due_date
from caseflow.workflow import engine
from caseflow.workflow.guards import reply_complete, signer_is_lead_unit_leader


def _own_unit(actor: User, a: Assignment, what: str) -> None:
    if actor is None or actor.role not in UNIT_ROLES or actor.unit_id != a.unit_id:
        raise PermissionDenied(f"只有本件的承办单位可以{what}。")


def log_contact(actor: User, assignment_id: int, kind: str, contacted_on: date | None, note: str) -> Contact:
    """办前沟通 / 见面 with the proposer, logged by the unit."""
    with transaction():
        a = get(Assignment, assignment_id)
        _own_unit(actor, a, "记录沟通")
        if kind not in CONTACT_KINDS:
            raise ValidationError("请选择沟通方式。", "kind")
        if contacted_on is None:
            raise ValidationError("请填写沟通日期。", "contacted_on")
        if contacted_on > clock.today():
            raise ValidationError("沟通日期不能晚于今天。", "contacted_on")
        if contacted_on < a.assigned_on:
            raise ValidationError(f"沟通日期不能早于交办日期 {a.assigned_on.isoformat()}。", "contacted_on")
        contact = Contact(case_id=a.case_id, assignment_id=a.id, kind=kind, contacted_on=contacted_on,
                          note=note.strip(), created_by_id=actor.id)
        db.session.add(contact)
        engine.record(actor, "contact", case=a.case, assignment=a, comment=note,
                      payload={"kind": kind, "on": contacted_on.isoformat()})
    return contact


def send_co_opinion(actor: User, assignment_id: int, version: int, text: str,
                    upload: FileStorage | None = None) -> CoOpinion:
    """会办意见 to the lead unit (text, or an attached file, or both)."""
    with transaction():
        a = get(Assignment, assignment_id, version)
        has_file = upload is not None and bool(upload.filename)
        if not text.strip() and not has_file:
            raise ValidationError("请填写会办意见或上传附件。", "text")
        engine.fire(actor, "send_opinion", case=a.case, assignment=a)
        file = attachments.store(upload, actor, a.case_id) if has_file else None
        db.session.flush()
        opinion = CoOpinion(case_id=a.case_id, assignment_id=a.id, text=text.strip(),
                            attachment_id=file.id if file else None, author_id=actor.id)
        db.session.add(opinion)
        reminders.sync_assignment(a)
    return opinion


@dataclass
class ReplyInput:
    doc_number: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    result_class_id: int | None = None
    text: str = ""
    attachment_id: int | None = None
    cc: str = ""


def draft_reply(actor: User, assignment_id: int, data: ReplyInput, reply_id: int | None = None,
                version: int | None = None, upload: FileStorage | None = None) -> Reply:
    """Write or revise the unsent reply of a lead (or split) unit; the leader signs it later.

    ``upload`` is the signed reply letter as a PDF (optional when the text is given).
    """
    with transaction():
        a = get(Assignment, assignment_id)
        _own_unit(actor, a, "拟写答复")
        if a.role == "co":
            raise ValidationError("会办单位不能答复，请提交会办意见。")
        case = a.case
        if case.state not in ("in_progress", "rehandling", "evaluated", "closed"):
            raise ValidationError(f"当前状态为“{case.state_label}”，不能拟写答复。")
        if data.result_class_id is not None:
            rc = db.session.get(ResultClass, data.result_class_id)
            if rc is None or rc.body != case.body or rc.year != case.session.year:
                raise ValidationError("办理结果分类不属于本类别本年度。", "result_class_id")
        if reply_id is None:
            if db.session.scalar(select(Reply.id).where(Reply.assignment_id == a.id, Reply.replied_at.is_(None))):
                raise ValidationError("已有未签发的答复稿，请在原稿上修改。")
            ordinal = (db.session.scalar(select(func.max(Reply.ordinal)).where(Reply.assignment_id == a.id)) or 0) + 1
            reply = Reply(case_id=case.id, assignment_id=a.id, ordinal=ordinal, drafted_by_id=actor.id)
            db.session.add(reply)
        else:
            reply = get(Reply, reply_id, version)
            if reply.assignment_id != a.id or reply.replied_at is not None:
                raise ValidationError("只能修改本单位未签发的答复稿。")
        for name, value in vars(data).items():
            setattr(reply, name, value.strip() if isinstance(value, str) else value)
        if upload is not None and upload.filename:
            file = attachments.store(upload, actor, case.id, only=("application/pdf",))
            db.session.flush()
            reply.attachment_id = file.id
        db.session.flush()
        engine.record(actor, "draft_reply", case=case, assignment=a, payload={"reply_id": reply.id})
    return reply


def sign_reply(actor: User, reply_id: int, version: int) -> Reply:
    """签发 and send: the lead unit's leader signs; the case is replied once every lead answered."""
    with transaction():
        reply = get(Reply, reply_id, version)
        if reply.replied_at is not None:
            raise ValidationError("该答复已签发。")
        a = reply.assignment
        case = a.case
        reply.signer_id = actor.id if actor else None
        fields = {"reply": reply}
        if case.state in ("evaluated", "closed"):  # 回头看 second reply: no state change
            engine.check_permission(actor, engine.workflow(case.body).transitions["reply"][1], case, a)
            for guard in (signer_is_lead_unit_leader, reply_complete):
                if message := guard(engine.Firing(actor, {}, case, a, fields=fields)):
                    raise ValidationError(message)
            engine.record(actor, "second_reply", case=case, assignment=a, payload={"reply_id": reply.id})
        else:
            open_leads = [x for x in case.lead_assignments if x.state not in ("returned", "answered") and x.id != a.id]
            if open_leads:  # 分办: other parts still to answer
                engine.check(actor, "reply", case=case, fields=fields)
            else:
                engine.fire(actor, "reply", case=case, fields=fields, payload={"reply_id": reply.id})
            engine.fire(actor, "answer", case=case, assignment=a, system=True, payload={"reply_id": reply.id})
            a.answered_at = clock.now()
            reminders.sync_assignment(a)
        reply.signed_at = reply.replied_at = clock.now()
        db.session.add(Disclosure(case_id=case.id, reply_id=reply.id))
        db.session.flush()
        replied_on = clock.today()
        if case.state == "replied":
            reminders.sync_case(case, "feedback", due_date(case.body, "feedback_window", replied_on))
        reminders.sync_case(case, "disclosure", due_date(case.body, "disclosure", replied_on))
    return reply


def record_follow_up(actor: User, case_id: int, stage: str, note: str,
                     current_result_class_id: int | None = None, reply_id: int | None = None) -> FollowUp:
    """回头看 of a replied case by its lead unit (or the dispatcher)."""
    with transaction():
        case = get(Case, case_id)
        if actor is None or not (
            actor.role == "dispatcher"
            or (actor.role in UNIT_ROLES and actor.unit_id in {a.unit_id for a in case.lead_assignments})
        ):
            raise PermissionDenied("只有主办单位或督查科可以记录回头看。")
        if case.state not in ("replied", "evaluated", "closed", "rehandling"):
            raise ValidationError("答复后才能开展回头看。")
        if stage not in FOLLOW_UP_STAGES:
            raise ValidationError("请选择回头看阶段。", "stage")
        if not note.strip():
            raise ValidationError("请填写回头看情况。", "note")
        replies = db.session.scalars(
            select(Reply).where(Reply.case_id == case.id, Reply.replied_at.is_not(None)).order_by(Reply.replied_at)
        ).all()
        if current_result_class_id is not None:
            rc = db.session.get(ResultClass, current_result_class_id)
            if rc is None or rc.body != case.body or rc.year != case.session.year:
                raise ValidationError("办理结果分类不属于本类别本年度。", "current_result_class_id")
        if reply_id is not None and reply_id not in {r.id for r in replies[1:]}:
            raise ValidationError("二次答复须是本件已签发的后续答复。", "reply_id")
        lead_unit = next(a for a in case.lead_assignments if actor.role == "dispatcher" or a.unit_id == actor.unit_id)
        follow_up = FollowUp(
            case_id=case.id, assignment_id=lead_unit.id, stage=stage, note=note.strip(),
            original_result_class_id=replies[0].result_class_id if replies else None,
            current_result_class_id=current_result_class_id, reply_id=reply_id, recorded_by_id=actor.id,
        )
        db.session.add(follow_up)
        engine.record(actor, "follow_up", case=case, assignment=lead_unit, comment=note,
                      payload={"stage": stage, "original": follow_up.original_result_class_id,
                               "current": current_result_class_id})
    return follow_up
