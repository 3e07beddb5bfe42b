"""The rule book, generated from the YAML rather than written beside it: every people's action ×
every case state × every kind of user (each role; own unit, lead unit, co unit, foreign unit;
the proposer and another proposer), and every state of the row it acts on, goes through its
service. Where the YAML allows it the service succeeds and moves the row where the YAML says;
everywhere else it refuses for the reason the YAML gives (who, or when) and writes nothing.

Rows are built directly in each combination of states (fast, and also states no walk through the
services reaches), so each cell checks the services' rule checks alone. The expectations are a
plain reading of the YAML (tests/rulebook.py), not the engine's answer.
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from caseflow import clock
from caseflow.errors import Conflict, PermissionDenied, ServiceError, ValidationError
from caseflow.models import Event
from caseflow.services import assignments, cases, disclosure, feedback, handling
from caseflow.workflow import engine, spec
from tests.rulebook import ACTORS, BODY, people_actions, rows_for, target_role, when, who
from tests.service.world import START, World

PDF = b"%PDF-1.4\n%test\n"


def _pdf() -> FileStorage:
    return FileStorage(io.BytesIO(PDF), filename="材料.pdf", content_type="application/pdf")


# action → its service, called with valid input (user, rows, world)
CALLS = {
    "assign": lambda u, r, w: cases.assign(u, r.case.id, r.case.version, [
        cases.UnitAssignment(w.make.unit().id, "lead")]),
    "add_units": lambda u, r, w: cases.add_units(u, r.case.id, r.case.version, [
        cases.UnitAssignment(w.make.unit().id, "co")]),
    "add_files": lambda u, r, w: cases.add_files(u, r.case.id, [_pdf()]),
    "key_case": lambda u, r, w: cases.mark_key_case(u, r.case.id, r.case.version, True),
    "withdraw": lambda u, r, w: cases.withdraw(u, r.case.id, r.case.version, "撤回"),
    "merge": lambda u, r, w: cases.merge(u, r.case.id, r.case.version, w.registered().id, "内容相近"),
    "co_opinion_override": lambda u, r, w: cases.override_co_opinions(u, r.case.id, r.case.version, "急需答复"),
    "close": lambda u, r, w: cases.close(u, r.case.id, r.case.version),
    "accept": lambda u, r, w: assignments.accept(u, r.lead.id, r.lead.version),
    "request_return": lambda u, r, w: assignments.request_return(u, r.lead.id, r.lead.version, "不属职责"),
    "approve_return": lambda u, r, w: assignments.approve_return(u, r.lead.id, r.lead.version),
    "reject_return": lambda u, r, w: assignments.reject_return(u, r.lead.id, r.lead.version, "属于职责"),
    "request_extension": lambda u, r, w: assignments.request_extension(
        u, r.lead.id, r.lead.version, clock.today() + timedelta(days=50), "需要审批"),
    "approve_extension": lambda u, r, w: assignments.approve_extension(u, r.lead.id, r.lead.version),
    "reject_extension": lambda u, r, w: assignments.reject_extension(u, r.lead.id, r.lead.version, "不同意"),
    "send_opinion": lambda u, r, w: handling.send_co_opinion(u, r.co.id, r.co.version, "会办意见", _pdf()),
    "contact": lambda u, r, w: handling.log_contact(u, r.lead.id, "meeting", clock.today(), "见面"),
    "draft_reply": lambda u, r, w: handling.draft_reply(u, r.lead.id, w.reply_input(), upload=_pdf()),
    "draft_second_reply": lambda u, r, w: handling.draft_reply(u, r.lead.id, w.reply_input()),
    "edit_draft": lambda u, r, w: handling.draft_reply(u, r.lead.id, w.reply_input(text="改"), reply_id=r.draft.id,
                                                       version=r.draft.version),
    "return_draft": lambda u, r, w: handling.return_draft(u, r.draft.id, r.draft.version, "请写明完成时间"),
    "sign_reply": lambda u, r, w: handling.sign_reply(u, r.draft.id, r.draft.version),
    "second_reply": lambda u, r, w: handling.sign_reply(u, r.draft.id, r.draft.version),
    "give_feedback": lambda u, r, w: feedback.give_feedback(u, r.case.id, r.case.version, "satisfied"),
    "evaluate_merged": lambda u, r, w: feedback.evaluate_merged(u, r.case.id, r.case.version, "satisfied"),
    "evaluation_lapsed": lambda u, r, w: feedback.record_no_response(u, r.case.id, r.case.version),
    "follow_up": lambda u, r, w: handling.record_follow_up(u, r.case.id, "after", "已落实"),
    "publish": lambda u, r, w: disclosure.publish(u, r.disclosure.id, r.disclosure.version, "full", "已研究落实。"),
    "withhold": lambda u, r, w: disclosure.withhold(u, r.disclosure.id, r.disclosure.version, "涉密"),
}
ELSEWHERE = {"register"}  # creates the case: test_register_follows_the_rule_book


def test_every_action_of_the_rule_book_has_a_service_call_here():
    assert set(people_actions()) == set(CALLS) | ELSEWHERE


def test_every_body_has_the_same_rules():
    """Both bodies extend the same base and change nothing in it (a body that does needs its own
    pass of the matrix below)."""
    for body in spec.BODIES:
        assert spec.load(body)["actions"] == spec.load(BODY)["actions"]


def _cells(name: str, action: dict) -> list[tuple[str, str | None, str]]:
    """(case state, row state, actor): every case state × every actor on an allowed row state, and
    every row state with an allowed actor in an allowed case state."""
    row_states = None if action["acts_on"] == "case" else action["states"][action["acts_on"]]
    first_row = row_states[0] if row_states else None
    cells = [(s, first_row, actor) for s in spec.states("case") for actor in ACTORS]
    if row_states is not None:
        allowed_actor = next(a for a in ACTORS if who(action, a))
        cells += [(action["states"]["case"][0], s, allowed_actor) for s in spec.states(action["acts_on"])
                  if s != first_row]
    return cells


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_service_allows_exactly_what_the_rule_book_says(make, db, frozen_clock, name):
    frozen_clock(START)
    w = World(make, db, body=BODY)
    action = people_actions()[name]
    target_kind = action["acts_on"]
    allowed_cells, rows, built_for = 0, None, None
    for case_state, row_state, actor in _cells(name, action):
        if rows is None or built_for != (case_state, row_state):  # a refusal leaves the rows as they were
            rows, built_for = rows_for(w, name, case_state, row_state), (case_state, row_state)
        target = {"case": rows.case, "assignment": rows.part(target_role(action)),
                  "disclosure": rows.disclosure}[target_kind]
        allowed_who, allowed_when = who(action, actor), when(action, case_state, row_state)
        target_case, before = rows.case, rows.written(db)
        cell = f"{name} by {actor} with the case {case_state}, the {target_kind} {target.state}"
        if allowed_who and allowed_when:
            allowed_cells += 1
            CALLS[name](w[actor], rows, w)
            rows = None  # used up
            db.session.expire_all()
            event = db.session.scalars(select(Event).where(Event.case_id == target_case.id,
                                                           Event.transition == name)).one()
            assert event.actor_id == w[actor].id, cell
            dest = (action.get("to") or {}).get(target_kind)
            if dest is not None:
                assert target.state in ([dest] if isinstance(dest, str) else dest), cell
                assert (event.from_state, event.to_state) == (row_state or case_state, target.state), cell
            else:
                assert event.to_state is None, cell
        else:
            with pytest.raises(ServiceError) as refused:
                CALLS[name](w[actor], rows, w)
            code = refused.value.decision.code
            assert code in (("login", "role", "relation") if not allowed_who else ("state",)), (cell, refused.value.message)
            assert refused.value.message, cell
            assert rows.written(db) == before, cell  # (the service's rollback expired the rows)
            assert target.state == (row_state or case_state), cell
    assert allowed_cells, f"{name}: no cell of the matrix is allowed"


def test_register_follows_the_rule_book(make, db, frozen_clock):
    frozen_clock(START)
    w = World(make, db, body=BODY)
    action = people_actions()["register"]
    for number, actor in enumerate(ACTORS, 1):
        data = cases.CaseInput(body=BODY, session_id=w.session.id, number=1000 + number, title="关于某事的提案",
                               lead_proposer_id=w.proposer_row.id)
        if who(action, actor):
            case = cases.register_case(w[actor], data)
            assert case.state == spec.load(BODY)["case"]["initial"]
        else:
            with pytest.raises(ServiceError) as refused:
                cases.register_case(w[actor], data)
            assert refused.value.decision.code == "role"
            assert not db.session.scalar(select(func.count()).select_from(Event).where(
                Event.payload["number"].as_integer() == 1000 + number))


def test_a_refusal_says_who_may_or_what_happened_in_the_clerks_words(make, db, frozen_clock):
    """The reasons a clerk reads, written out by hand: who may take the action (a role, the case's
    proposer, a unit of the case, the part's own unit, the kind of part), or the state it is in and
    who put it there and when."""
    frozen_clock(START)
    w = World(make, db, body=BODY)
    case = w.accepted()
    lead, co = w.lead_of(case), w.co_of(case)

    def reason(actor, name, **rows) -> tuple[str, str]:
        decision = engine.allowed(actor, name, case=rows.pop("on", case), **rows)
        assert not decision and decision.field is None
        return decision.code, decision.reason

    assert reason(None, "key_case") == ("login", "请先登录。")
    assert reason(w["lead_handler"], "key_case") == ("role", "只有督查科可以重点督办。")
    assert reason(w["supervisor"], "give_feedback") == ("role", "只有代表/委员、督查科可以提交评价。")
    assert reason(w["dispatcher"], "start") == ("role", "“主办单位均已签收，开始办理”由系统自动执行。")
    # the part's own unit, by its name
    assert reason(w["other_handler"], "contact", assignment=lead) == ("relation", f"只有{w.lead.name}可以记录沟通。")
    assert reason(w["co_handler"], "contact", assignment=co) == ("relation", "只有主办、分办单位可以记录沟通。")
    assert reason(w["co_handler"], "follow_up") == ("relation", "只有本件的主办单位可以回头看。")
    assert reason(w["other_handler"], "add_files") == ("relation", "只有本件的承办单位可以上传附件。")
    other_case = make.case(session=w.session, lead_proposer=w["other_proposer"].proposer)
    assert reason(w["proposer"], "give_feedback", on=other_case) == ("relation", "只有本件的提出人可以提交评价。")
    signed_by = w["lead_handler"].name
    assert reason(w["lead_handler"], "accept", assignment=lead) == ("state",
        f"当前状态为“办理中”（{signed_by}于 2025-03-03 10:00 签收），不能签收。")
    # the case moved on when the last lead unit signed: the 签收 was theirs
    assert reason(w["dispatcher"], "close") == ("state",
        f"当前状态为“办理中”（{signed_by}于 2025-03-03 10:00 主办单位均已签收，开始办理），不能办结。")
    # a required field left empty or blank: its message, next to it
    for missing, fields in (("kind", {"kind": None, "contacted_on": START, "note": "见面"}),
                            ("note", {"kind": "meeting", "contacted_on": START, "note": "  "}),
                            ("contacted_on", {"kind": "meeting", "note": "见面"})):
        decision = engine.allowed(w["lead_handler"], "contact", case=case, assignment=lead, fields=fields)
        assert (decision.ok, decision.code, decision.field, decision.reason) == (
            False, "required", missing, {"kind": "请选择沟通方式。", "note": "请填写内容。",
                                         "contacted_on": "请填写沟通日期。"}[missing])
    decision = engine.allowed(w["dispatcher"], "assign", case=w.registered(), fields={"units": []})
    assert (decision.code, decision.field, decision.reason) == ("required", "units", "请至少选择一个承办单位。")
    assert engine.allowed(w["lead_handler"], "contact", case=case, assignment=lead,
                          fields={"kind": "meeting", "contacted_on": START, "note": "见面"})


def test_each_kind_of_refusal_is_its_error_with_its_field():
    """Who → 403, when → 409, what was typed → 400 next to its field (the pages and the API map
    these to their answers)."""
    for code, kind in (("login", PermissionDenied), ("role", PermissionDenied), ("relation", PermissionDenied),
                       ("state", Conflict), ("required", ValidationError), ("guard", ValidationError)):
        error = engine.Decision(False, "理由", code, "note").error()
        assert type(error) is kind and error.message == "理由" and error.decision.code == code, code
        assert getattr(error, "field", None) == ("note" if kind is ValidationError else None), code
