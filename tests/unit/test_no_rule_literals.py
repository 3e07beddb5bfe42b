"""The rule book is the one place that names states and roles: the web layer and the templates
ask the engine (``may_open``, the offered actions) instead of comparing names."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from caseflow.workflow import spec

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted([*ROOT.glob("caseflow/web/*.py"), *ROOT.glob("templates/**/*.html")])
QUOTED = re.compile(r"""(?<![\w.])['"](\w+)['"]""")
NOT_A_RULE = {"admin"}  # also the name of the administration blueprint and its URL prefix


def rule_names() -> set[str]:
    names = set(spec.roles())
    for machine in spec.MACHINES:
        names |= set(spec.states(machine))
    return names - NOT_A_RULE


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_no_state_or_role_name_outside_the_rule_book(path):
    names = rule_names()
    found = [(n, m.group(1)) for n, line in enumerate(path.read_text().splitlines(), 1)
             for m in QUOTED.finditer(line) if m.group(1) in names]
    assert found == []


def test_the_check_knows_the_names():
    assert {"dispatcher", "handler", "registered", "in_progress", "pending"} <= rule_names()
