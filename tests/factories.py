"""Model factories: ``make.case(...)``, ``make.user(...)`` with sensible defaults.

They write rows directly (fast, for arranging a test); the lifecycle helpers at
the bottom go through the real services, for tests that need a true history.
"""
from __future__ import annotations

import itertools
from datetime import date
from functools import cache

from caseflow.models import Case, Category, Proposer, ResultClass, Session, Unit, User
from caseflow.passwords import hash_password
from caseflow.services import cases as case_services

PASSWORD = "correct-horse-9"
_seq = itertools.count(1)


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is deliberately slow: hash once per run


class Factories:
    def __init__(self, session):
        self.s = session

    def _add(self, row):
        """Committed (in tests: up to the per-test savepoint), as rows a service finds are."""
        self.s.add(row)
        self.s.commit()
        return row

    def session(self, body="cppcc_proposal", year=2023, **kw) -> Session:
        n = next(_seq)
        return self._add(Session(body=body, name=kw.pop("name", f"测试会议{n}"), term=kw.pop("term", 100 + n),
                                 meeting=kw.pop("meeting", 1), year=year, **kw))

    def unit(self, name=None, **kw) -> Unit:
        return self._add(Unit(name=name or f"测试单位{next(_seq)}", short_name=kw.pop("short_name", ""), **kw))

    def proposer(self, name=None, kind="member", **kw) -> Proposer:
        return self._add(Proposer(name=name or f"委员{next(_seq)}", kind=kind, **kw))

    def user(self, role="dispatcher", unit=None, proposer=None, **kw) -> User:
        n = next(_seq)
        if role in ("handler", "unit_leader") and unit is None:
            unit = self.unit()
        if role == "proposer" and proposer is None:
            proposer = self.proposer()
        return self._add(User(username=kw.pop("username", f"{role}{n}"), name=kw.pop("name", f"用户{n}"),
                              role=role, unit=unit, proposer=proposer, password_hash=_password_hash(), **kw))

    def category(self, body="cppcc_proposal", year=2023, name=None) -> Category:
        return self._add(Category(body=body, year=year, name=name or f"分类{next(_seq)}"))

    def result_classes(self, body="cppcc_proposal", year=2023) -> list[ResultClass]:
        labels = {"npc_suggestion": ["解决采纳", "正在解决", "计划解决", "留作参考"],
                  "cppcc_proposal": ["解决或采纳", "列入计划拟解决", "留作参考"]}[body]
        return [self._add(ResultClass(body=body, year=year, code="ABCD"[i], label=label, adopted=i == 0, position=i))
                for i, label in enumerate(labels)]

    def case(self, session=None, body=None, number=None, state="registered", lead_proposer=None, **kw) -> Case:
        session = session or self.session(body=body or "cppcc_proposal")
        return self._add(Case(body=session.body, session=session, number=number or next(_seq),
                              title=kw.pop("title", f"关于测试事项{next(_seq)}的建议"),
                              lead_proposer=lead_proposer or self.proposer(
                                  kind="deputy" if session.body == "npc_suggestion" else "member"),
                              state=state, **kw))

    # -- through the services -------------------------------------------------
    def assigned_case(self, dispatcher, lead_units, co_units=(), body="cppcc_proposal", on=None, **kw) -> Case:
        """A registered case assigned through the services (on ``on``, default today)."""
        case = self.case(body=body, **kw)
        units = [case_services.UnitAssignment(u.id, "lead") for u in lead_units]
        units += [case_services.UnitAssignment(u.id, "co") for u in co_units]
        return case_services.assign(dispatcher, case.id, case.version, units, assigned_on=on)


def today() -> date:
    from caseflow import clock

    return clock.today()
