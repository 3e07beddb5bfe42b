"""What the rule book says, read plainly from the YAML by the tests (not by the engine), and a
case's rows built directly in any combination of states."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, func, select, union_all

from caseflow import clock
from caseflow.models import (
    Assignment, Attachment, CoOpinion, Contact, Disclosure, Event, Feedback, FollowUp, Reply,
)
from caseflow.workflow import spec
from tests.service.world import World

ACTORS = ["admin", "dispatcher", "supervisor", "lead_handler", "lead_leader", "co_handler", "co_leader",
          "other_handler", "other_leader", "proposer", "other_proposer"]
UNIT_OF = {"lead_handler": "lead", "lead_leader": "lead", "co_handler": "co", "co_leader": "co",
           "other_handler": "other", "other_leader": "other"}
ROLE_OF = {"lead_handler": "handler", "co_handler": "handler", "other_handler": "handler",
           "lead_leader": "unit_leader", "co_leader": "unit_leader", "other_leader": "unit_leader",
           "other_proposer": "proposer"}
BODY = "cppcc_proposal"  # both bodies resolve the same base; test_every_body_has_the_same_rules says so


# -- what the YAML says ---------------------------------------------------------------------------

def people_actions() -> dict[str, dict]:
    return {a["name"]: a for a in spec.load(BODY)["actions"] if a["roles"] != ["system"]}


def target_role(action: dict) -> str:
    """Which of the case's two parts an assignment action is tried on: the co-unit's part when
    only 会办 may take it, else the lead unit's."""
    return "co" if action.get("assignment_roles") == ["co"] else "lead"


def who(action: dict, actor: str, part: str | None = None) -> bool:
    """Whether the YAML lets ``actor`` take ``action``; ``part`` is the case's part (lead or co) an
    assignment action is taken on (by default the one :func:`target_role` picks)."""
    part = part or target_role(action)
    if action["acts_on"] == "assignment" and action.get("assignment_roles") and part not in action["assignment_roles"]:
        return False
    role = ROLE_OF.get(actor, actor)
    if role not in action["roles"]:
        return False
    if role == "proposer":
        return actor == "proposer"
    if role in ("handler", "unit_leader"):
        unit = UNIT_OF[actor]
        relation = action["relation"]
        if relation == "own_unit":
            return unit == part
        if relation == "lead_unit":
            return unit == "lead"
        return unit != "other"  # case_unit
    return True


def when(action: dict, case_state: str, row_state: str | None) -> bool:
    states = action["states"]
    return case_state in states["case"] and (row_state is None or row_state in states[action["acts_on"]])


# -- rows in any states ---------------------------------------------------------------------------

class Rows:
    """A case with a lead and a co part, one sent reply (with its disclosure) and, when asked, an
    open draft: each in the states a cell asks for."""

    def __init__(self, w: World, case_state: str, lead_state: str, co_state: str, disclosure_state: str,
                 draft: bool, consent: str = "full"):
        make, db = w.make, w.db
        today, now = clock.today(), clock.now()
        self.case = make.case(session=w.session, lead_proposer=w.proposer_row, state=case_state, consent=consent)
        parts = {}
        for role, unit, state in (("lead", w.lead, lead_state), ("co", w.co, co_state)):
            parts[role] = Assignment(case=self.case, unit_id=unit.id, role=role, state=state, assigned_at=now,
                                     original_due_date=today + timedelta(days=30),
                                     due_date=today + timedelta(days=30),
                                     requested_due_date=today + timedelta(days=60), request_reason="理由")
            db.session.add(parts[role])
        db.session.flush()
        self.lead, self.co = parts["lead"], parts["co"]
        reply_fields = dict(case_id=self.case.id, assignment_id=self.lead.id, doc_number="测〔2025〕1号",
                            contact_name="经办人", contact_phone="021-22050000", result_class_id=w.classes[0].id,
                            text="答复正文：已研究落实。")
        sent_at = now - timedelta(days=60)
        self.sent = Reply(ordinal=1, signer_id=w["lead_leader"].id, signed_at=sent_at, replied_at=sent_at,
                          **reply_fields)
        db.session.add(self.sent)
        db.session.flush()
        self.disclosure = Disclosure(case_id=self.case.id, reply_id=self.sent.id, state=disclosure_state,
                                     **({"scope": "full", "published_text": "答复"} if disclosure_state == "published"
                                        else {"reason": "理由"} if disclosure_state == "withheld" else {}))
        db.session.add(self.disclosure)
        if draft:
            self.draft = Reply(ordinal=2, **reply_fields)
            db.session.add(self.draft)
        db.session.commit()

    def part(self, role: str) -> Assignment:
        return self.lead if role == "lead" else self.co

    def written(self, db) -> tuple[int, ...]:
        """How many rows of each kind hang on this case: a refused action adds none."""
        return tuple(db.session.scalars(WRITTEN, {"case_id": self.case.id}))


WRITTEN = union_all(*(select(func.count()).select_from(t).where(t.case_id == bindparam("case_id"))
                      for t in (Event, Contact, CoOpinion, Reply, Feedback, FollowUp, Attachment, Disclosure,
                                Assignment)))


DRAFTED = {"edit_draft", "return_draft", "sign_reply", "second_reply"}  # need an open draft; the rest none
MERGED = {"evaluate_merged"}  # need a primary that replied


def rows_for(w: World, name: str, case_state: str, row_state: str | None) -> Rows:
    """A case for trying action ``name``: its row (the lead's part, or the co-unit's for a 会办
    action) in ``row_state``, the other parts where the action's guards are content."""
    action = people_actions()[name]
    kind = action["acts_on"]
    part = target_role(action)
    lead_state = row_state if kind == "assignment" and part == "lead" else "accepted"
    co_state = row_state if kind == "assignment" and part == "co" else (
        "accepted" if name == "co_opinion_override" else "opinion_sent")
    rows = Rows(w, case_state, lead_state, co_state, row_state if kind == "disclosure" else "pending",
                draft=name in DRAFTED)
    if name in MERGED:  # merged into a case whose reply is out
        rows.case.merged_into_id = Rows(w, "replied", "answered", "opinion_sent", "pending", draft=False).case.id
        w.db.session.commit()
    return rows


def allowed_cell(name: str) -> tuple[str, str | None, str]:
    """A (case state, row state, actor) in which the YAML allows action ``name``."""
    action = people_actions()[name]
    row_states = action["states"].get(action["acts_on"]) if action["acts_on"] != "case" else [None]
    return action["states"]["case"][0], row_states[0], next(a for a in ACTORS if who(action, a))
