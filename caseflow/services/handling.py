"""办理: contacts, co-opinions, replies (draft → 签发) and 回头看."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from caseflow import clock
from caseflow.errors import Conflict, ValidationError
from caseflow.extensions import db
from caseflow.models import Assignment, Case, CoOpinion, Contact, Disclosure, FollowUp, Reply, ResultClass, User
from caseflow.models.contact import CONTACT_KINDS
from caseflow.models.feedback import FOLLOW_UP_STAGES
from caseflow.services import attachments, feedback, reminders
from caseflow.services.base import get, transaction
from caseflow.services.due import due_date
from caseflow.workflow import engine, spec
from caseflow.workflow.guards import open_draft_of


def log_contact(actor: User, assignment_id: int, kind: str, contacted_on: date | None, note: str) -> Contact:
    """办前沟通 / 见面 with the proposer, logged by the unit."""
    with transaction():
        a = get(Assignment, assignment_id)
        permit = engine.require(actor, "contact", case=a.case, assignment=a, comment=note,
                                fields={"kind": kind, "contacted_on": contacted_on, "note": note})
        if kind not in CONTACT_KINDS:
            raise ValidationError(_("请选择沟通方式。"), "kind")
        if contacted_on > clock.today():
            raise ValidationError(_("沟通日期不能晚于今天。"), "contacted_on")
        if contacted_on < a.assigned_on:
            raise ValidationError(_("沟通日期不能早于交办日期 %(assigned_on)s。",
                                    assigned_on=a.assigned_on.isoformat()), "contacted_on")
        contact = Contact(case_id=a.case_id, assignment_id=a.id, kind=kind, contacted_on=contacted_on,
                          note=note.strip(), created_by_id=actor.id)
        db.session.add(contact)
        permit.apply({"kind": kind, "on": contacted_on.isoformat()})
    return contact


def send_co_opinion(actor: User, assignment_id: int, version: int, text: str,
                    upload: FileStorage | None = None) -> CoOpinion:
    """会办意见 to the lead unit (text, or an attached file, or both)."""
    with transaction():
        a = get(Assignment, assignment_id, version)
        permit = engine.require(actor, "send_opinion", case=a.case, assignment=a)
        has_file = upload is not None and bool(upload.filename)
        if not text.strip() and not has_file:
            raise ValidationError(_("请填写会办意见或上传附件。"), "text")
        file = attachments.store(upload, actor, a.case_id) if has_file else None
        db.session.flush()
        opinion = CoOpinion(case_id=a.case_id, assignment_id=a.id, text=text.strip(),
                            attachment_id=file.id if file else None, author_id=actor.id)
        db.session.add(opinion)
        permit.apply()
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


def draft_action(a: Assignment, revising: bool) -> str:
    """What writing a reply means on this assignment: revising the open draft, a first draft, or
    the draft of a second reply (the unit has answered: 回头看 after the evaluation)."""
    if revising:
        return "edit_draft"
    return "draft_second_reply" if a.state in spec.group("assignment", "has_answered") else "draft_reply"


def draft_reply(actor: User, assignment_id: int, data: ReplyInput, reply_id: int | None = None,
                version: int | None = None, upload: FileStorage | None = None) -> Reply:
    """Write or revise the unsent reply of a lead (or split) unit; the leader signs it later.

    ``upload`` is the signed reply letter as a PDF (optional when the text is given). ``reply_id``
    and ``version`` name the draft being revised: a stale version answers 409.
    """
    with transaction():
        a = get(Assignment, assignment_id)
        permit = engine.require(actor, draft_action(a, reply_id is not None), case=a.case, assignment=a)
        case = a.case
        if data.result_class_id is not None:
            rc = db.session.get(ResultClass, data.result_class_id)
            if rc is None or rc.body != case.body or rc.year != case.session.year:
                raise ValidationError(_("办理结果分类不属于本类别本年度。"), "result_class_id")
        if reply_id is None:
            ordinal = (db.session.scalar(select(func.max(Reply.ordinal)).where(Reply.assignment_id == a.id)) or 0) + 1
            reply = Reply(case_id=case.id, assignment_id=a.id, ordinal=ordinal, drafted_by_id=actor.id)
            db.session.add(reply)
        else:
            reply = get(Reply, reply_id, version)
            if reply.id != open_draft_of(a).id:
                raise ValidationError(_("只能修改本单位未签发的答复稿。"))
        for name, value in vars(data).items():
            setattr(reply, name, value.strip() if isinstance(value, str) else value)
        reply.returned_note = None  # revised: back with the leader
        if upload is not None and upload.filename:
            file = attachments.store(upload, actor, case.id, only=("application/pdf",))
            db.session.flush()
            reply.attachment_id = file.id
        db.session.flush()
        permit.apply({"reply_id": reply.id})
    return reply


def _still_a_draft(reply: Reply) -> None:
    if reply.replied_at is not None:
        at = reply.replied_at.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
        raise Conflict(_("该答复已于 %(at)s 签发。", at=at))


def return_draft(actor: User, reply_id: int, version: int, note: str) -> Reply:
    """退回修改: the leader sends the draft back to the handler with what to change."""
    with transaction():
        reply = get(Reply, reply_id, version)
        a = reply.assignment
        permit = engine.require(actor, "return_draft", case=a.case, assignment=a, comment=note)
        _still_a_draft(reply)
        permit.apply({"reply_id": reply.id})
        reply.returned_note = note.strip()
    return reply


def sign_reply(actor: User, reply_id: int, version: int) -> Reply:
    """签发 and send: the lead unit's leader signs; the case is replied once every lead answered.

    A reply after the case was evaluated (回头看 二次答复) is recorded and sent without moving
    the case.
    """
    with transaction():
        reply = get(Reply, reply_id, version)
        a = reply.assignment
        case = a.case
        answered = spec.group("assignment", "has_answered")
        name = "second_reply" if a.state in answered else "sign_reply"
        permit = engine.require(actor, name, case=case, assignment=a)
        _still_a_draft(reply)
        reply.signer_id = actor.id
        reply.signed_at = reply.replied_at = clock.now()
        permit.apply({"reply_id": reply.id})
        if name == "sign_reply":
            a.answered_at = reply.replied_at
            reminders.sync_assignment(a)
            if all(x.state in spec.group("assignment", "done") for x in case.lead_assignments):
                engine.follow(actor, "reply", case=case, payload={"reply_id": reply.id})
                feedback.tell_merged(actor, case, reply)
        db.session.add(Disclosure(case_id=case.id, reply_id=reply.id))
        db.session.flush()
        replied_on = clock.today()
        if case.state in spec.group("case", "awaiting_feedback"):
            reminders.sync_case(case, "feedback", due_date(case.body, "feedback_window", replied_on))
        reminders.sync_case(case, "disclosure", due_date(case.body, "disclosure", replied_on))
    return reply


def record_follow_up(actor: User, case_id: int, stage: str, note: str,
                     current_result_class_id: int | None = None, reply_id: int | None = None) -> FollowUp:
    """回头看 of a replied case by its lead unit (or the dispatcher)."""
    with transaction():
        case = get(Case, case_id)
        permit = engine.require(actor, "follow_up", case=case, comment=note, fields={"stage": stage, "note": note})
        if stage not in FOLLOW_UP_STAGES:
            raise ValidationError(_("请选择回头看阶段。"), "stage")
        replies = db.session.scalars(
            select(Reply).where(Reply.case_id == case.id, Reply.replied_at.is_not(None)).order_by(Reply.replied_at)
        ).all()
        if current_result_class_id is not None:
            rc = db.session.get(ResultClass, current_result_class_id)
            if rc is None or rc.body != case.body or rc.year != case.session.year:
                raise ValidationError(_("办理结果分类不属于本类别本年度。"), "current_result_class_id")
        if reply_id is not None and reply_id not in {r.id for r in replies[1:]}:
            raise ValidationError(_("二次答复须是本件已签发的后续答复。"), "reply_id")
        lead = case.assignment_of(actor.unit_id) if engine.works_in_unit(actor) else case.lead_assignments[0]
        follow_up = FollowUp(
            case_id=case.id, assignment_id=lead.id, stage=stage, note=note.strip(),
            original_result_class_id=replies[0].result_class_id if replies else None,
            current_result_class_id=current_result_class_id, reply_id=reply_id, recorded_by_id=actor.id,
        )
        db.session.add(follow_up)
        permit.apply({"stage": stage, "original": follow_up.original_result_class_id,
                      "current": current_result_class_id})
    return follow_up
