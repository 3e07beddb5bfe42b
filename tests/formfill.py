"""Filling a page's form as a browser would and finding every typed value in the rows written:
the shared half of the form contract tests (tests/web/test_form_contract*.py)."""
from __future__ import annotations

import hashlib
import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy import select

from caseflow import clock
from caseflow.extensions import db as _db
from caseflow.web import forms
from tests.conftest import csrf_token

# -- the page's form, as a browser sees it -------------------------------------------------------


@dataclass
class Control:
    name: str
    kind: str  # text, textarea, select, radio, checkbox, file, hidden, date, number
    value: str = ""
    options: list[str] = field(default_factory=list)  # a select's or a group of radios'/boxes' values
    multiple: bool = False


class FormParser(HTMLParser):
    """The controls of the one <form> whose action is ``action`` (or the first post form); a form
    without an action posts to the ``page`` it is on."""

    def __init__(self, action: str | None, page: str | None = None):
        super().__init__()
        self.action, self.page, self.inside, self.controls, self._select = action, page, False, {}, None
        self._textarea: Control | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            posts = a.get("method") == "post"
            self.inside = posts and (not self.action or (a.get("action") or self.page) == self.action)
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


def controls(html: str, action: str | None = None, page: str | None = None) -> dict[str, Control]:
    parser = FormParser(action, page)
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
            content, filename = value if isinstance(value, tuple) else (value, f"{short}.pdf")
            data[name] = (io.BytesIO(content), filename)
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
                   given: dict[str, Any], checks: dict[str, Any] | None = None, status: int = 302):
    filled = fill(controls(html, action, url), form, prefix, given)
    before = snapshot()
    response = client.post(url, data={"csrf_token": csrf_token(html), **filled.data},
                           content_type="multipart/form-data")
    assert response.status_code == status, (url, response.status_code, re.findall(
        r'(?:invalid-feedback d-block|alert alert-danger py-2)">([^<]+)', response.get_data(as_text=True)))
    _db.session.expire_all()
    cells = written(before, snapshot())
    expected = {**filled.expected, **(checks or {})}
    lost = [short for short, value in expected.items() if not found(value, short, cells)]
    assert not lost, f"{type(form).__name__} at {url}: what was typed in {lost} is not in the database"
    return filled


