"""A small district for service tests: a lead unit, a co-unit, an unrelated unit, and
one user per role; ``World`` walks a case to any stage through the real services."""
from __future__ import annotations

from datetime import date

from caseflow.models import Case, Disclosure, Reply
from caseflow.services import assignments, cases, feedback, handling

START = date(2025, 3, 3)  # a Monday, no holiday near


class World:
    def __init__(self, make, db, body="cppcc_proposal", year=2025):
        self.make, self.db, self.body = make, db, body
        self.session = make.session(body=body, year=year)
        self.classes = make.result_classes(body=body, year=year)
        self.lead, self.co, self.other = make.unit("主办单位"), make.unit("会办单位"), make.unit("无关单位")
        kind = "deputy" if body == "npc_suggestion" else "member"
        self.proposer_row = make.proposer("提出人", kind=kind, phone="13812345678", email="p@example.com",
                                          address="长宁区某路1号")
        self.users = {
            "admin": make.user("admin"),
            "dispatcher": make.user("dispatcher"),
            "supervisor": make.user("supervisor"),
            "lead_handler": make.user("handler", unit=self.lead),
            "lead_leader": make.user("unit_leader", unit=self.lead),
            "co_handler": make.user("handler", unit=self.co),
            "co_leader": make.user("unit_leader", unit=self.co),
            "other_handler": make.user("handler", unit=self.other),
            "other_leader": make.user("unit_leader", unit=self.other),
            "proposer": make.user("proposer", proposer=self.proposer_row),
            "other_proposer": make.user("proposer"),
        }

    def __getitem__(self, key):
        return self.users[key]

    # -- stages ---------------------------------------------------------------
    def registered(self, **kw) -> Case:
        return self.make.case(session=self.session, lead_proposer=self.proposer_row, **kw)

    def assigned(self, co=True, **kw) -> Case:
        case = self.registered(**kw)
        units = [cases.UnitAssignment(self.lead.id, "lead")]
        if co:
            units.append(cases.UnitAssignment(self.co.id, "co"))
        return cases.assign(self["dispatcher"], case.id, case.version, units)

    def lead_of(self, case: Case):
        return next(a for a in case.assignments if a.unit_id == self.lead.id)

    def co_of(self, case: Case):
        return next(a for a in case.assignments if a.unit_id == self.co.id)

    def accepted(self, co=True, **kw) -> Case:
        case = self.assigned(co=co, **kw)
        for a in list(case.assignments):
            who = self["lead_handler"] if a.unit_id == self.lead.id else self["co_handler"]
            assignments.accept(who, a.id, a.version)
        return case

    def with_opinions(self, **kw) -> Case:
        case = self.accepted(**kw)
        a = self.co_of(case)
        handling.send_co_opinion(self["co_handler"], a.id, a.version, "会办意见：同意。")
        return case

    def reply_input(self, **kw) -> handling.ReplyInput:
        values = dict(doc_number="长测〔2025〕1号", contact_name="经办人", contact_phone="021-22050000",
                      result_class_id=self.classes[0].id, text="答复正文：已研究落实。")
        values.update(kw)
        return handling.ReplyInput(**values)

    def drafted(self, **kw) -> tuple[Case, Reply]:
        case = self.with_opinions(**kw)
        reply = handling.draft_reply(self["lead_handler"], self.lead_of(case).id, self.reply_input())
        return case, reply

    def replied(self, **kw) -> Case:
        case, reply = self.drafted(**kw)
        handling.sign_reply(self["lead_leader"], reply.id, reply.version)
        return case

    def evaluated(self, **kw) -> Case:
        case = self.replied(**kw)
        feedback.give_feedback(self["proposer"], case.id, case.version, "satisfied")
        return case

    def closed(self, **kw) -> Case:
        case = self.evaluated(**kw)
        return cases.close(self["dispatcher"], case.id, case.version)

    def disclosure_of(self, case: Case) -> Disclosure:
        return self.db.session.query(Disclosure).filter_by(case_id=case.id, state="pending").one()


def sheet_world(make, db, frozen_clock) -> World:
    """The district on START with the category 城市建设 of 2025: what the 交办清单 tests import into."""
    frozen_clock(START)
    world = World(make, db)
    make.category(name="城市建设", year=2025)
    return world
