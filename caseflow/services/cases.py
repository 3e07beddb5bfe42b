"""Registering, assigning and closing cases (the dispatcher's state changes)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from caseflow import clock
from caseflow.errors import ValidationError
from caseflow.extensions import db
from caseflow.i18n import join
from caseflow.models import Assignment, Attachment, Case, CaseCosigner, Category, Proposer, Session, Unit, User
from caseflow.models.base import BODY_LABELS
from caseflow.models.case import CONSENTS
from caseflow.models.proposer import PROPOSER_KIND_LABELS
from caseflow.services import attachments, feedback, reminders, suggestion_log
from caseflow.services.base import get, transaction
from caseflow.services.due import due_date
from caseflow.workflow import engine, spec
from caseflow.workflow.guards import latest_sent_reply

PROPOSER_KIND_BY_BODY = {"npc_suggestion": "deputy", "cppcc_proposal": "member"}


@dataclass
class CaseInput:
    body: str
    session_id: int
    number: int
    title: str
    lead_proposer_id: int | None
    text: str = ""
    category_id: int | None = None
    cosigner_ids: tuple[int, ...] = ()
    consent: str = "full"
    no_written_reply: bool = False
    key_case: bool = False


def register_case(actor: User, data: CaseInput, *, uploads: list[FileStorage] = ()) -> Case:
    """登记: validate every field with a message next to it, then store the case (and its files)."""
    if data.body not in spec.BODIES:
        raise ValidationError(_("请选择类别。"), "body")
    with db.session.no_autoflush:  # in an import, the rows before are flushed with the next assign
        case = Case(
            body=data.body, session_id=data.session_id, number=data.number, title=data.title.strip(),
            text=data.text.strip(), category_id=data.category_id, lead_proposer_id=data.lead_proposer_id,
            consent=data.consent, no_written_reply=data.no_written_reply, key_case=data.key_case,
            state=engine.workflow(data.body).initial("case"),
            cosigners=[CaseCosigner(position=i, proposer_id=p) for i, p in enumerate(data.cosigner_ids, 1)],
        )
        # the case to be is what the rule book judges; it joins the session only once allowed
        permit = engine.require(actor, "register", case=case, fields={
            "title": data.title, "number": data.number, "lead_proposer_id": data.lead_proposer_id})
        _validate(data)
    with transaction():
        db.session.add(case)
        files = []
        if any(u and u.filename for u in uploads):
            db.session.flush()  # the files are stored against the case's id
            files = [attachments.store(u, actor, case.id, "attachments") for u in uploads if u and u.filename]
        permit.apply({"number": case.number, "attachments": [f.filename for f in files]})
    return case


def _validate(data: CaseInput) -> None:
    """Check every field of ``data`` (ValidationError for the first bad one)."""
    session = db.session.get(Session, data.session_id)
    if session is None or session.body != data.body:
        raise ValidationError(_("请选择该类别的届次。"), "session_id")
    if not data.number or data.number <= 0:
        raise ValidationError(_("编号必须是正整数。"), "number")
    if not data.title.strip():
        raise ValidationError(_("请填写标题。"), "title")
    if data.consent not in CONSENTS:
        raise ValidationError(_("请选择公开意愿。"), "consent")
    lead = db.session.get(Proposer, data.lead_proposer_id) if data.lead_proposer_id else None
    if lead is None:
        raise ValidationError(_("请指定领衔代表/提案者。"), "lead_proposer_id")
    if lead.kind != PROPOSER_KIND_BY_BODY[data.body]:
        raise ValidationError(_("%(body)s的领衔人应为%(kind)s。", body=BODY_LABELS[data.body],
                                kind=PROPOSER_KIND_LABELS[PROPOSER_KIND_BY_BODY[data.body]]),
                              "lead_proposer_id")
    if data.category_id is not None:
        category = db.session.get(Category, data.category_id)
        if category is None or category.body != data.body:
            raise ValidationError(_("请选择该类别的分类。"), "category_id")
    if len(set(data.cosigner_ids)) != len(data.cosigner_ids) or lead.id in data.cosigner_ids:
        raise ValidationError(_("联名人不能重复，也不能与领衔人相同。"), "cosigner_ids")
    if message := number_taken(session, data.number):
        raise ValidationError(message, "number")


NAME_WITH_PLACE = re.compile(r"^(.+?)[（(](.+)[）)]$")


def proposers_named(body: str, names: list[str]) -> tuple[int, ...]:
    """The ids of the 代表/委员 of ``body`` written as ``names`` (in that order, blanks skipped): a
    name alone, or 「姓名（单位）」 where two share a name."""
    kind = PROPOSER_KIND_BY_BODY[body]
    people = db.session.scalars(select(Proposer).where(Proposer.kind == kind)).all()
    ids = []
    for written in filter(None, (unicodedata.normalize("NFKC", n).strip() for n in names)):
        match = NAME_WITH_PLACE.match(written)
        name, place = (match.group(1).strip(), match.group(2).strip()) if match else (written, None)
        found = [p for p in people if p.name == name and (place is None or place in (p.organization, p.group))]
        if not found:
            raise ValidationError(_("找不到%(kind)s“%(written)s”。",
                                    kind=PROPOSER_KIND_LABELS[kind], written=written), "cosigners")
        if len(found) > 1:
            choices = "、".join(f"{p.name}（{p.organization or p.group}）" for p in found)
            raise ValidationError(_("有 %(count)s 位“%(name)s”，请写成“姓名（单位）”：%(choices)s。",
                                    count=len(found), name=name, choices=choices), "cosigners")
        ids.append(found[0].id)
    return tuple(ids)


def number_taken(session: Session, number: int) -> str | None:
    """The message when ``number`` is already used in ``session`` (the form shows it early too)."""
    if db.session.scalar(select(Case.id).where(Case.session_id == session.id, Case.number == number)):
        return _("%(name)s已有第%(number)s号。", name=session.name, number=number)
    return None


@dataclass
class UnitAssignment:
    unit_id: int
    role: str  # lead / co / split
    due_date: date | None = None  # override of the computed due date …
    due_reason: str = ""  # … which then needs a reason


def assign(actor: User, case_id: int, version: int, units: list[UnitAssignment],
           assigned_on: date | None = None, comment: str = "") -> Case:
    """交办: give the case to its units with computed (or overridden) due dates."""
    with transaction():
        return assign_case(actor, get(Case, case_id, version), units, assigned_on, comment)


def add_units(actor: User, case_id: int, version: int, units: list[UnitAssignment],
              assigned_on: date | None = None, comment: str = "") -> Case:
    """追加交办: more units for a case the units already work on (say, after one was returned)."""
    with transaction():
        return _give(actor, "add_units", get(Case, case_id, version), units, assigned_on, comment)


def assign_case(actor: User, case: Case, units: list[UnitAssignment], assigned_on: date | None = None,
                comment: str = "") -> Case:
    """交办 of a case already in hand (an import assigns the case it has just registered)."""
    return _give(actor, "assign", case, units, assigned_on, comment)


def _give(actor: User, action: str, case: Case, units: list[UnitAssignment], assigned_on: date | None,
          comment: str) -> Case:
    with transaction():
        permit = engine.require(actor, action, case=case, comment=comment, fields={"units": units})
        with db.session.no_autoflush:
            _check_units(case, units)
        given = due_dates(case.body, units, assigned_on)
        created = [Assignment(case=case, unit_id=g.unit.unit_id, role=g.unit.role,
                              state=engine.workflow(case.body).initial("assignment"),
                              assigned_at=assigned_at_of(assigned_on), original_due_date=g.due,
                              due_date=g.due) for g in given]
        db.session.add_all(created)
        db.session.flush()
        suggestion_log.record_choice(case, [u.unit_id for u in units if u.role in spec.answering_roles()])
        permit.apply(assign_payload(given))
        for a in created:
            reminders.sync_assignment(a, fresh=True)
    return case


@dataclass(frozen=True)
class GivenDue:
    unit: UnitAssignment
    computed: date  # by the deadline rule
    due: date  # in force: the override, else the computed one


def due_dates(body: str, units: list[UnitAssignment], assigned_on: date | None) -> list[GivenDue]:
    """The due date of each unit's part, assigned on ``assigned_on`` (None: today)."""
    start = assigned_on or clock.today()
    if start > clock.today():
        raise ValidationError(_("交办日期不能晚于今天。"), "assigned_on")
    given = []
    for u in units:
        computed = due_date(body, spec.deadline_of(u.role), start)
        if u.due_date and u.due_date != computed and not u.due_reason.strip():
            raise ValidationError(_("修改办理期限须说明理由。"), "units")
        given.append(GivenDue(u, computed, u.due_date or computed))
    return given


def assigned_at_of(assigned_on: date | None) -> datetime:
    """交办 time: now, or 9:00 of a date given for it (an import of an earlier 交办)."""
    return clock.now() if assigned_on is None else datetime.combine(assigned_on, time(9), clock.LOCAL_TZ)


def assign_payload(given: list[GivenDue]) -> dict:
    """The 交办 Event's payload: each unit's due date (and the computed one with the reason when overridden)."""
    return {"units": [
        {"unit_id": g.unit.unit_id, "role": g.unit.role, "due_date": g.due.isoformat(),
         **({"computed_due": g.computed.isoformat(), "due_reason": g.unit.due_reason} if g.due != g.computed else {})}
        for g in given
    ]}


def _check_units(case: Case, units: list[UnitAssignment]) -> None:
    ids = [u.unit_id for u in units]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("同一单位不能既是主办又是会办，也不能重复选择。"), "units")
    if any(u.role not in spec.assignment_roles() for u in units):
        raise ValidationError(_("承办角色只能是主办、会办或分办。"), "units")
    existing = {a.unit_id for a in case.assignments}
    if clash := existing & set(ids):
        names = db.session.scalars(select(Unit.name).where(Unit.id.in_(clash))).all()
        raise ValidationError(_("%(value)s已是本件的承办单位。", value=join(names)), "units")
    found = set(db.session.scalars(select(Unit.id).where(Unit.id.in_(ids), Unit.active.is_(True))))
    if missing := set(ids) - found:
        raise ValidationError(_("承办单位不存在或已停用（编号 %(ids)s）。", ids=sorted(missing)), "units")
    active_leads = [a for a in case.lead_assignments if a.state not in spec.group("assignment", "gone")]
    if not active_leads and not any(u.role in spec.answering_roles() for u in units):
        raise ValidationError(_("请指定主办（或分办）单位。"), "units")
    splits = sum(u.role == "split" for u in units) + sum(a.role == "split" for a in active_leads)
    if splits == 1:
        raise ValidationError(_("分办需要至少两个分办单位；只有一个时请选“主办”。"), "units")


def mark_key_case(actor: User, case_id: int, version: int, key_case: bool, comment: str = "") -> Case:
    """重点督办 on or off."""
    with transaction():
        case = get(Case, case_id, version)
        engine.act(actor, "key_case", case=case, comment=comment, payload={"key_case": key_case})
        case.key_case = key_case
    return case


def withdraw(actor: User, case_id: int, version: int, reason: str) -> Case:
    """撤案."""
    with transaction():
        case = get(Case, case_id, version)
        engine.act(actor, "withdraw", case=case, comment=reason)
        reminders.cancel_case(case)
    return case


def merge(actor: User, case_id: int, version: int, into_case_id: int, reason: str) -> Case:
    """并案: the case joins ``into_case_id`` (same body and session) and stops here."""
    with transaction():
        case = get(Case, case_id, version)
        permit = engine.require(actor, "merge", case=case, comment=reason, fields={"into_case_id": into_case_id})
        target = db.session.get(Case, into_case_id)
        if target is None or target.id == case.id or target.session_id != case.session_id:
            raise ValidationError(_("请选择同一届次中的另一件作为并入对象。"), "into_case_id")
        if target.state in spec.group("case", "void"):
            raise ValidationError(_("不能并入已撤案或已并案的件。"), "into_case_id")
        # the cases merged into this one before move with it: every one follows the same primary
        moved = db.session.scalars(select(Case).where(Case.merged_into_id == case.id).order_by(Case.id)).all()
        permit.apply({"into_case_id": target.id, "moved_case_ids": [m.id for m in moved]})
        for m in [case, *moved]:
            m.merged_into_id = target.id
        reminders.cancel_case(case)
        if (reply := latest_sent_reply(target.id)) is not None:  # answered already: told now
            db.session.flush()
            feedback.tell_merged(actor, target, reply, [case, *moved])
    return case


def close(actor: User, case_id: int, version: int, comment: str = "") -> Case:
    """办结."""
    with transaction():
        case = get(Case, case_id, version)
        engine.act(actor, "close", case=case, comment=comment)
        reminders.cancel_case(case)
    return case


def override_co_opinions(actor: User, case_id: int, version: int, reason: str) -> Case:
    """Let the lead unit reply before every co-unit has sent its opinion (reason recorded)."""
    with transaction():
        case = get(Case, case_id, version)
        engine.act(actor, "co_opinion_override", case=case, comment=reason)
    return case


def add_files(actor: User, case_id: int, uploads: list[FileStorage], comment: str = "") -> list[Attachment]:
    """上传附件 to a case (the dispatcher, or a unit working on it): materials, scans, photos."""
    with transaction():
        case = get(Case, case_id)
        files = [u for u in uploads if u and u.filename]
        permit = engine.require(actor, "add_files", case=case, comment=comment, fields={"files": files})
        stored = [attachments.store(u, actor, case.id, "files") for u in files]
        permit.apply({"attachments": [f.filename for f in stored]})
    return stored
