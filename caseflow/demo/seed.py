"""``flask seed-demo``: the demo district, driven through the real services.

Every case is walked from 登记 to its demo stage with the clock frozen at
plausible 2023 dates, so the event log, due dates and statistics are exactly
what real use would have produced. Seeding twice changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, select

from caseflow import clock
from caseflow.deadlines import supported_chinesecalendar_years
from caseflow.extensions import db
from caseflow.models import Case, Category, Proposer, Reminder, ResultClass, Session, Unit, User
from caseflow.services import assignments, cases, disclosure, feedback, handling, reminders, report_drafts
from caseflow.services.holidays import import_chinesecalendar, years_with_entries
from caseflow.passwords import hash_password
from caseflow.services.users import create_user
from caseflow.workflow import spec as wf_spec
from caseflow.workflow.engine import LinkActor

DEMO_FILE = Path(__file__).with_name("demo.yaml")
REPORT_FILE = Path(__file__).with_name("report_2023.yaml")
DEMO_PASSWORD = "demo-2023"

# how far each demo stage walks along the lifecycle
ORDER = ["registered", "assigned", "accepted", "co_opinion_sent", "replied", "evaluated", "closed"]
STAGE_STEPS = {
    "registered": "registered", "withdrawn": "registered", "assigned": "assigned",
    "return_requested": "assigned", "accepted": "accepted", "extension_requested": "accepted",
    "co_opinion_sent": "co_opinion_sent", "replied": "replied", "rehandling": "replied",
    "evaluated": "evaluated", "closed": "closed", "published": "closed", "withheld": "closed",
}


@dataclass
class SeedResult:
    cases: int = 0
    created: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)


def _at(day: date, hour: int = 10) -> None:
    clock.freeze(datetime.combine(day, time(hour), clock.LOCAL_TZ))


def seed_demo(path: Path = DEMO_FILE) -> SeedResult:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        ctx = _reference_data(data)
        result = SeedResult(logins=[(u["username"], _login_label(u)) for u in data["users"]])
        for spec in data["cases"]:
            result.cases += 1
            result.created += _seed_case(ctx, spec)
    finally:
        clock.freeze(None)
    if result.created:  # a second `make run` leaves the reminders the first one planned
        _reminders_from_today()
    _report_draft(REPORT_FILE)
    return result


def _login_label(u: dict) -> str:
    return wf_spec.role_label(u["role"]) + (f" · {u['unit']}" if u.get("unit") else "") + (
        f" · {u['proposer']}" if u.get("proposer") else "")


def _get_or_add(model, lookup: dict, **values):
    row = db.session.scalar(select(model).filter_by(**lookup))
    if row is None:
        row = model(**lookup, **values)
        db.session.add(row)
    return row


def _reference_data(data: dict) -> dict[str, Any]:
    years = [y for y in range(2023, 2027) if y in supported_chinesecalendar_years()]
    import_chinesecalendar([y for y in years if y not in years_with_entries(years)], commit=False)
    sessions = {s["body"]: _get_or_add(Session, {"body": s["body"], "term": s["term"], "meeting": s["meeting"]},
                                       name=s["name"], year=s["year"]) for s in data["sessions"]}
    units = {u["name"]: _get_or_add(Unit, {"name": u["name"]}, short_name=u["short_name"], kind=u["kind"])
             for u in data["units"]}
    proposers = {p["name"]: _get_or_add(Proposer, {"name": p["name"]}, **{k: v for k, v in p.items() if k != "name"})
                 for p in data["proposers"]}
    categories, classes = {}, {}
    for body, session in sessions.items():
        for i, name in enumerate(data["categories"][body]):
            categories[body, name] = _get_or_add(Category, {"body": body, "year": session.year, "name": name}, position=i)
        for i, rc in enumerate(data["result_classes"][body]):
            classes[body, rc["code"]] = _get_or_add(
                ResultClass, {"body": body, "year": session.year, "code": rc["code"]},
                label=rc["label"], adopted=rc["adopted"], position=i)
    db.session.commit()
    users, shared_hash = {}, hash_password(DEMO_PASSWORD)
    for u in data["users"]:
        users[u["username"]] = db.session.scalar(select(User).where(User.username == u["username"])) or create_user(
            username=u["username"], name=u["name"], role=u["role"], password=DEMO_PASSWORD, password_hash=shared_hash,
            commit=False,
            unit=units.get(u.get("unit")), proposer=proposers.get(u.get("proposer")))
    db.session.commit()
    return {"sessions": sessions, "units": units, "proposers": proposers, "categories": categories,
            "classes": classes, "users": users,
            "dispatcher": next(u for u in users.values() if u.role == "dispatcher")}


def _unit_user(ctx, unit: Unit, role: str) -> User:
    return next(u for u in ctx["users"].values() if u.unit_id == unit.id and u.role == role)


def _seed_case(ctx: dict, spec: dict) -> int:
    session = ctx["sessions"][spec["body"]]
    if db.session.scalar(select(Case.id).where(Case.session_id == session.id, Case.number == spec["number"])):
        return 0
    stage = spec["stage"]
    step = ORDER.index(STAGE_STEPS[stage])
    dispatcher = ctx["dispatcher"]
    start: date = spec.get("assigned_on") or date(2023, 2, 20)
    _at(start - timedelta(days=7))
    case = cases.register_case(dispatcher, cases.CaseInput(
        body=spec["body"], session_id=session.id, number=spec["number"], title=spec["title"],
        text=spec.get("text", ""), category_id=ctx["categories"][spec["body"], spec["category"]].id,
        lead_proposer_id=ctx["proposers"][spec["lead"]].id,
        cosigner_ids=tuple(ctx["proposers"][n].id for n in spec.get("cosigners", [])),
        consent=spec["consent"], no_written_reply=spec.get("no_written_reply", False),
        key_case=spec.get("key_case", False)))
    if stage == "withdrawn":
        _at(start)
        cases.withdraw(dispatcher, case.id, case.version, spec["reason"])
    if step < 1:
        return 1

    _at(start)
    role = "split" if spec.get("split_units") else "lead"
    units = [cases.UnitAssignment(ctx["units"][n].id, role) for n in spec.get("split_units") or spec["lead_units"]]
    units += [cases.UnitAssignment(ctx["units"][n].id, "co") for n in spec.get("co_units", [])]
    cases.assign(dispatcher, case.id, case.version, units, assigned_on=start)
    if stage == "return_requested":
        _at(start + timedelta(days=2))
        a = case.lead_assignments[0]
        assignments.request_return(_unit_user(ctx, a.unit, "handler"), a.id, a.version, spec["reason"])
    if step < 2:
        return 1

    for i, a in enumerate(case.assignments):
        _at(start + timedelta(days=2 + i % 3))
        assignments.accept(_unit_user(ctx, a.unit, "handler"), a.id, a.version)
    for c in spec.get("contacts", []):
        _at(c["on"], 16)
        lead = case.lead_assignments[0]
        handling.log_contact(_unit_user(ctx, lead.unit, "handler"), lead.id, c["kind"], c["on"], c["note"])
    if stage == "extension_requested":
        _at(max([start + timedelta(days=75)] + [c["on"] for c in spec.get("contacts", [])]) + timedelta(days=1))
        a = case.lead_assignments[0]
        assignments.request_extension(_unit_user(ctx, a.unit, "handler"), a.id, a.version,
                                      spec["requested_due"], spec["reason"])
    if step < 3:
        return 1

    for a in case.assignments:
        if a.role == "co":
            _at(start + timedelta(days=20))
            handling.send_co_opinion(_unit_user(ctx, a.unit, "handler"), a.id, a.version,
                                     f"{a.unit.name}会办意见：同意主办单位办理思路，本单位将在职责范围内配合落实。")
    if step < 4:
        return 1

    reply_day = max([start + timedelta(days=70)] + [c["on"] + timedelta(days=3) for c in spec.get("contacts", [])])
    _reply_all(ctx, case, spec, reply_day, ordinal_note="")
    if stage == "rehandling" or spec.get("feedback") == "dissatisfied":
        _at(reply_day + timedelta(days=8))
        feedback.give_feedback(LinkActor(case.lead_proposer_id), case.id, case.version, "dissatisfied",
                               comment="答复对具体推进时间表说明不够，希望进一步明确。", channel="link")
        if stage == "rehandling":
            return 1
        reply_day += timedelta(days=30)
        _reply_all(ctx, case, spec, reply_day, ordinal_note="（重新办理）")
    if step < 5:
        return 1

    _at(reply_day + timedelta(days=10))
    overall = spec.get("feedback") if spec.get("feedback") != "dissatisfied" else "satisfied"
    feedback.give_feedback(LinkActor(case.lead_proposer_id), case.id, case.version, overall or "satisfied",
                           channel="link")
    if stage in ("published", "withheld"):
        for d in sorted((d for d in _pending_disclosures(case)), key=lambda d: d.id):
            _at(reply_day + timedelta(days=12))
            if stage == "published":
                text = case.title if case.consent == "title_only" else d_reply_text(d)
                disclosure.publish(dispatcher, d.id, d.version, "full" if case.consent == "full" else "summary", text)
            else:
                disclosure.withhold(dispatcher, d.id, d.version, spec["withhold_reason"])
    if step < 6:
        return 1
    _at(reply_day + timedelta(days=15))
    cases.close(dispatcher, case.id, case.version)
    if fu := spec.get("follow_up"):
        _at(reply_day + timedelta(days=60))
        lead = case.lead_assignments[0]
        handling.record_follow_up(_unit_user(ctx, lead.unit, "handler"), case.id, fu["stage"], fu["note"],
                                  ctx["classes"][spec["body"], fu["current"]].id)
    return 1


def _reply_all(ctx, case: Case, spec: dict, day: date, ordinal_note: str) -> None:
    for a in case.lead_assignments:
        _at(day, 9)
        handler = _unit_user(ctx, a.unit, "handler")
        reply = handling.draft_reply(handler, a.id, handling.ReplyInput(
            doc_number=f"长{a.unit.short_name}〔2023〕{case.number}号",
            contact_name=handler.name, contact_phone="021-22050000",
            result_class_id=ctx["classes"][spec["body"], spec["result"]].id,
            text=f"您提出的《{case.title}》{ordinal_note}收悉。经认真研究，现答复如下：本单位高度重视，"
                 "已会同相关部门研究落实，具体措施见正文。感谢对长宁区工作的关心和支持。"))
        _at(day, 15)
        handling.sign_reply(_unit_user(ctx, a.unit, "unit_leader"), reply.id, reply.version)


def _pending_disclosures(case: Case):
    from caseflow.models import Disclosure

    return db.session.scalars(select(Disclosure).where(Disclosure.case_id == case.id,
                                                       Disclosure.state == "pending")).all()


def d_reply_text(d) -> str:
    from caseflow.models import Reply

    return db.session.get(Reply, d.reply_id).text


def _reminders_from_today() -> None:
    """The seed ran on 2023 dates: drop the reminders it planned then, plan the open ones from today."""
    db.session.execute(delete(Reminder).where(Reminder.sent_at.is_(None)))
    for case in db.session.scalars(select(Case).where(Case.state.in_(("assigned", "in_progress", "rehandling")))):
        for a in case.assignments:
            reminders.sync_assignment(a)
    db.session.commit()


def _report_draft(path: Path) -> None:
    """The reference unit's year-end narrative, saved as its draft unless one exists."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    unit = db.session.scalar(select(Unit).where(Unit.name == data["unit"]))
    if report_drafts.unit_draft(unit.id, data["year"]) is not None:
        return
    clerk = db.session.scalar(select(User).where(User.unit_id == unit.id, User.role == "handler"))
    narrative = report_drafts.UnitNarrative.from_json(
        {**data, "featured": [dict(f, text=f["text"].strip()) for f in data["featured"]]})
    allowed = {(f.body, f.number) for f in narrative.featured}
    report_drafts.save_unit_draft(clerk, unit.id, data["year"], narrative, None, allowed)
