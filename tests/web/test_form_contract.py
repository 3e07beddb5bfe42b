"""Nothing typed is lost between the page and the database.

Generated from the forms themselves: each form is drawn by its page, every field it renders is
filled (files included) with a value of its own, the form is posted as a browser would, and
every value must then be found in the rows the request wrote. A field a view forgets to pass on
fails here without anyone writing a new test.
"""
from __future__ import annotations

import hashlib
import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select

from caseflow import clock
from caseflow.extensions import db as _db
from caseflow.models import Case
from caseflow.web import case_actions, forms
from tests.conftest import csrf_token
from tests.rulebook import BODY, allowed_cell, rows_for
from tests.service.world import START, World

# -- the page's form, as a browser sees it -------------------------------------------------------


@dataclass
class Control:
    name: str
    kind: str  # text, textarea, select, radio, checkbox, file, hidden, date, number
    value: str = ""
    options: list[str] = field(default_factory=list)  # a select's or a group of radios'/boxes' values
    multiple: bool = False


class FormParser(HTMLParser):
    """The controls of the one <form> whose action is ``action`` (or the first post form)."""

    def __init__(self, action: str | None):
        super().__init__()
        self.action, self.inside, self.controls, self._select = action, False, {}, None
        self._textarea: Control | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = (a.get("action") == self.action) if self.action else a.get("method") == "post"
            return
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox") and a["name"] in self.controls:
                self.controls[a["name"]].options.append(a.get("value", "y"))
            else:
                self.controls[a["name"]] = Control(a["name"], kind, a.get("value", ""), [a.get("value", "y")])
        elif tag == "select":
            self._select = self.controls[a["name"]] = Control(a["name"], "select", multiple="multiple" in a)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = self.controls[a["name"]] = Control(a["name"], "textarea")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def controls(html: str, action: str | None = None) -> dict[str, Control]:
    parser = FormParser(action)
    parser.feed(html)
    assert parser.controls, f"no form posting to {action}"
    return parser.controls


# -- filling it ------------------------------------------------------------------------------------

_seq = itertools.count(1)


@dataclass
class Filled:
    data: dict[str, Any]
    expected: dict[str, Any]  # short field name → what must be found in the written rows


def fill(ctrls: dict[str, Control], form: FlaskForm, prefix: str, given: dict[str, Any]) -> Filled:
    """A value for every control: ``given`` ones by short name, the rest chosen by the control's
    kind; hidden ones (token, version, the draft's id) as the page rendered them."""
    data, expected = {}, {}
    kinds = {name: type(f) for name, f in form._fields.items()}
    for name, c in ctrls.items():
        short = name.removeprefix(prefix)
        if c.kind == "hidden":
            data[name] = c.value
            continue
        if short in given:
            value = given[short]
        elif c.kind in ("text", "textarea", "search"):
            value = f"〔{short}-{next(_seq)}〕"
        elif c.kind == "date":
            value = clock.today().isoformat()
        elif c.kind == "file":
            value = f"%PDF-1.4\n% {short} {next(_seq)}\n".encode()
        elif c.kind == "checkbox" and len(c.options) == 1:
            value = True
        elif c.kind in ("select", "radio"):
            choices = [o for o in c.options if o not in ("", "0")]
            assert choices, f"{name}: the page offers nothing to choose; arrange something"
            value = choices[-1]
        else:
            raise AssertionError(f"{name}: no value for a {c.kind} control")
        if c.kind == "file":
            data[name] = (io.BytesIO(value), f"{short}.pdf")
        elif value is True:
            data[name] = c.options[0]
        else:
            data[name] = value
        if not issubclass(kinds.get(short, object), forms.Confirmation):  # a box that gates, not data
            expected[short] = value
    return Filled(data, expected)


# -- finding it ------------------------------------------------------------------------------------

def snapshot() -> dict[tuple[str, Any], dict[str, Any]]:
    rows = {}
    for table in _db.metadata.sorted_tables:
        key = [c.name for c in table.primary_key.columns]
        for row in _db.session.execute(select(table)).mappings():
            rows[table.name, tuple(row[k] for k in key)] = dict(row)
    return rows


def written(before, after) -> list[tuple[str, str, Any]]:
    """(table, column, value) of every cell the request wrote (new rows, changed cells), with the
    leaves of JSON cells (event payloads, report drafts) as cells of their own."""
    cells = []
    for key, row in after.items():
        old = before.get(key, {})
        for column, value in row.items():
            if key not in before or old.get(column) != value:
                cells.extend((key[0], column, leaf) for leaf in _leaves(value))
    return cells


def _leaves(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from ((k, leaf) if not isinstance(leaf, tuple) else leaf for leaf in _leaves(v))
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def found(expected: Any, short: str, cells: list[tuple[str, str, Any]]) -> bool:
    values = [v[1] if isinstance(v, tuple) else v for _, _, v in cells]
    named = [(c, v[1] if isinstance(v, tuple) else v) for _, c, v in cells] + [v for _, _, v in cells
                                                                              if isinstance(v, tuple)]
    if expected is True:  # a check box: a cell (or a payload key) of the field's name now true
        return any(name == short and value is True for name, value in named)
    if isinstance(expected, bytes):
        return hashlib.sha256(expected).hexdigest() in values
    if isinstance(expected, list):
        return all(found(e, short, cells) for e in expected)
    text = str(expected).strip()
    for v in values:
        if isinstance(v, str) and (v == text or (text.startswith("〔") and text in v)):
            return True
        if isinstance(v, datetime) and v.astimezone(clock.LOCAL_TZ).date().isoformat() == text:
            return True
        if isinstance(v, (date, int)) and not isinstance(v, bool) and str(v) == text:
            return True
    return False


def post_and_check(client, url: str, html: str, action: str | None, form: FlaskForm, prefix: str,
                   given: dict[str, Any], checks: dict[str, Any] | None = None):
    filled = fill(controls(html, action), form, prefix, given)
    before = snapshot()
    response = client.post(url, data={"csrf_token": csrf_token(html), **filled.data},
                           content_type="multipart/form-data")
    assert response.status_code == 302, (url, response.status_code, re.findall(
        r'(?:invalid-feedback d-block|alert alert-danger py-2)">([^<]+)', response.get_data(as_text=True)))
    _db.session.expire_all()
    cells = written(before, snapshot())
    expected = {**filled.expected, **(checks or {})}
    lost = [short for short, value in expected.items() if not found(value, short, cells)]
    assert not lost, f"{type(form).__name__} at {url}: what was typed in {lost} is not in the database"
    return filled


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
