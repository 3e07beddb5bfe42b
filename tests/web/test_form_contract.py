"""Nothing typed is lost between the page and the database.

Generated from the forms themselves: each form is drawn by its page, every field it renders is
filled (files included) with a value of its own, the form is posted as a browser would, and
every value must then be found in the rows the request wrote. A field a view forgets to pass on
fails here without anyone writing a new test.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from caseflow import clock
from caseflow.models import Case
from caseflow.web import case_actions, forms
from tests.formfill import post_and_check
from tests.rulebook import BODY, allowed_cell, rows_for
from tests.service.world import START, World


# -- the case page's forms: one per action of the rule book ---------------------------------------

@pytest.fixture
def w(make, db, frozen_clock):
    frozen_clock(START)
    return World(make, db, body=BODY)


def _semantic(name: str, w: World, rows) -> tuple[dict[str, Any], dict[str, Any]]:
    """Values a field must have to pass the service's checks (a later due date, another case's
    number …), and what they become in the database where that is not the value itself."""
    today = clock.today()
    if name in ("assign", "add_units"):
        units = [w.make.unit().id for _ in range(3)]
        return ({"lead_unit_ids": [str(units[0]), str(units[1])], "co_unit_ids": [str(units[2])], "split": True,
                 "reply_due": (today + timedelta(days=80)).isoformat(),
                 "co_due": (today + timedelta(days=25)).isoformat()},
                {"split": "split"})  # 分办: the role of the assignments
    if name == "merge":
        other = w.registered()
        return {"into_number": str(other.number)}, {"into_number": other.id}  # → merged_into_id
    if name == "request_extension":
        return {"requested_due": (today + timedelta(days=50)).isoformat()}, {}
    if name == "approve_extension":
        return {"new_due": (today + timedelta(days=70)).isoformat()}, {}
    return {}, {}


@pytest.mark.parametrize("name", sorted(case_actions.OFFERS))
def test_every_field_of_every_action_form_reaches_the_database(w, login, name):
    case_state, row_state, actor = allowed_cell(name)
    rows = rows_for(w, name, case_state, row_state)
    kind = case_actions.engine.action(BODY, name)["acts_on"]
    target = {"case": rows.case, "assignment": rows.part("co" if name == "send_opinion" else "lead"),
              "disclosure": rows.disclosure}[kind]
    client = login(w[actor])
    html = client.get(f"/cases/{rows.case.id}").get_data(as_text=True)
    action = f"/cases/{rows.case.id}/do/{name}/{target.id}"
    assert action in html, f"{name} is not offered to {actor}"
    given, checks = _semantic(name, w, rows)
    form = case_actions.OFFERS[name].form(formdata=None, meta={"csrf": False})
    post_and_check(client, action, html, action, form, f"{name}-{target.id}-", given, checks)


def test_every_field_of_the_registration_reaches_the_database(w, login, make, db):
    names = [make.proposer(f"联名{n}", kind="member").name for n in "甲乙丙丁"]
    make.category(body=BODY, year=w.session.year, name="城市建设")
    client = login(w["dispatcher"])
    html = client.get(f"/cases/new/{BODY}").get_data(as_text=True)
    given = {"number": "777", "lead_proposer_id": str(w.proposer_row.id),
             **{f"cosigners-{i}": n for i, n in enumerate(reversed(names))}}
    post_and_check(client, f"/cases/new/{BODY}", html, None, forms.RegisterForm(meta={"csrf": False}), "",
                   given, {f"cosigners-{i}": [] for i in range(4)})  # names become people, checked below
    case = db.session.scalars(select(Case).where(Case.number == 777)).one()
    assert [c.proposer.name for c in case.cosigners] == list(reversed(names))
