"""登记: every bad field is refused with a message for that field, and nothing is written."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from caseflow.errors import PermissionDenied, ValidationError
from caseflow.models import Case, Event
from caseflow.services.base import integrity_message
from caseflow.services.cases import CaseInput, register_case


@pytest.fixture
def base(make):
    session = make.session(body="cppcc_proposal")
    return {"d": make.user("dispatcher"), "session": session, "lead": make.proposer(),
            "co": make.proposer(), "category": make.category()}


def _input(base, **kw):
    values = dict(body="cppcc_proposal", session_id=base["session"].id, number=10, title="关于测试的提案",
                  lead_proposer_id=base["lead"].id, category_id=base["category"].id)
    values.update(kw)
    return CaseInput(**values)


def test_register_writes_the_case_and_one_event(db, base):
    case = register_case(base["d"], _input(base, cosigner_ids=(base["co"].id,), text="正文"))
    assert (case.state, case.number_label, [p.id for p in case.proposers]) == (
        "registered", "第10号", [base["lead"].id, base["co"].id])
    assert [e.transition for e in db.session.scalars(select(Event).where(Event.case_id == case.id))] == ["register"]


@pytest.mark.parametrize("change, field, message", [
    ({"number": 0}, "number", "正整数"),
    ({"title": "  "}, "title", "请填写标题"),
    ({"lead_proposer_id": None}, "lead_proposer_id", "领衔"),
    ({"consent": "maybe"}, "consent", "公开意愿"),
    ({"body": "npc_suggestion"}, "session_id", "届次"),
])
def test_bad_fields(db, base, change, field, message):
    with pytest.raises(ValidationError) as e:
        register_case(base["d"], _input(base, **change))
    assert e.value.field == field and message in e.value.message
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_duplicate_number_in_the_session(db, base):
    register_case(base["d"], _input(base))
    with pytest.raises(ValidationError, match="已有第10号") as e:
        register_case(base["d"], _input(base, title="另一件"))
    assert e.value.field == "number"
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_cosigner_twice_or_as_lead(db, base):
    for ids in ((base["co"].id, base["co"].id), (base["lead"].id,)):
        with pytest.raises(ValidationError, match="联名人不能重复"):
            register_case(base["d"], _input(base, cosigner_ids=ids))


def test_only_the_dispatcher_registers(db, base, make):
    with pytest.raises(PermissionDenied):
        register_case(make.user("handler"), _input(base))


def test_database_errors_that_slip_through_still_read_well(db, base):
    """Were two clerks to register the same number at once, the UNIQUE constraint answers."""
    from sqlalchemy.exc import IntegrityError

    register_case(base["d"], _input(base))
    dup = Case(body="cppcc_proposal", session_id=base["session"].id, number=10, title="x",
               lead_proposer_id=base["lead"].id, state="registered")
    db.session.add(dup)
    with pytest.raises(IntegrityError) as e:
        db.session.flush()
    db.session.rollback()
    message = integrity_message(e.value)
    assert (message.field, message.message) == ("number", "本届次已有相同编号的案件。")


def test_lead_must_be_of_the_body(db, base, make):
    deputy = make.proposer(kind="deputy")
    with pytest.raises(ValidationError, match="政协提案的领衔人应为政协委员") as e:
        register_case(base["d"], _input(base, lead_proposer_id=deputy.id))
    assert e.value.field == "lead_proposer_id"
