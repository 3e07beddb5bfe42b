"""The rule book's files: ``extends`` resolved, and a broken file refused with its file, line and
problem before the app serves anything."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from caseflow.workflow import engine, schema, spec

BASE = spec.WORKFLOW_DIR / "base.yaml"


def _folder(tmp_path: Path, old: str = "", new: str = "", body: str = "") -> Path:
    """A copy of the workflows folder, with ``old`` replaced by ``new`` in base.yaml and a body file
    that adds ``body`` under its header; returns the body file's path."""
    shutil.copy(BASE, tmp_path / "base.yaml")
    if old:
        text = BASE.read_text(encoding="utf-8")
        assert old in text, old
        (tmp_path / "base.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    path = tmp_path / "cppcc_proposal.yaml"
    path.write_text("extends: base\nname: cppcc_proposal\nlabel: 政协提案\n" + body, encoding="utf-8")
    return path


def _line_of(path: Path, fragment: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


def _error(path: Path) -> str:
    with pytest.raises(schema.WorkflowError) as e:
        engine.Workflow("cppcc_proposal", spec.resolve(path))
    return str(e.value)


def test_the_shipped_workflows_load_from_one_base():
    for body in spec.BODIES:
        wf = engine.workflow(body)
        assert wf.machines["case"].initial == "registered"
        assert wf.data["name"] == body
        # the body files add nothing but their name and label: every action comes from base.yaml
        assert set(wf.actions) == {a["name"] for a in spec.parse(BASE)["actions"]}
    assert spec.load("npc_suggestion")["label"] == "人大代表建议"
    assert spec.load("cppcc_proposal")["label"] == "政协提案"


def test_a_body_file_changes_only_what_it_names(tmp_path):
    path = _folder(tmp_path, body="actions:\n  - name: close\n    roles: [supervisor]\n"
                                  "deadlines:\n  reply: {months: 2}\n")
    data = spec.resolve(path)
    actions = {a["name"]: a for a in data["actions"]}
    assert actions["close"]["roles"] == ["supervisor"]
    assert actions["close"]["label"] == "办结" and actions["close"]["to"] == {"case": "closed"}  # kept from base
    assert actions["withdraw"]["roles"] == ["dispatcher"]
    assert data["deadlines"]["reply"] == {"months": 2} and data["deadlines"]["co_opinion"] == {"months": 1}


def test_a_body_file_may_add_an_action_after_the_bases(tmp_path):
    path = _folder(tmp_path, body="actions:\n  - name: close\n    roles: [supervisor]\n"
                                  "  - name: urge\n    label: 催办\n    acts_on: case\n    roles: [supervisor]\n"
                                  "    states: {case: [assigned, in_progress]}\n")
    names = [a["name"] for a in spec.resolve(path)["actions"]]
    assert names == [a["name"] for a in spec.parse(BASE)["actions"]] + ["urge"]
    urge = engine.Workflow("cppcc_proposal", spec.resolve(path)).actions["urge"]
    assert (urge["label"], urge["roles"], urge["states"]) == (
        "催办", ["supervisor"], {"case": ["assigned", "in_progress"]})


def test_a_machine_is_built_from_the_actions_that_move_it():
    transitions = engine.workflow("cppcc_proposal").machines["assignment"].get_transitions("accept")
    assert [(t.source, t.dest) for t in transitions] == [("pending", "accepted")]
    assert not engine.workflow("cppcc_proposal").machines["case"].get_transitions("contact")


def test_unknown_state(tmp_path):
    path = _folder(tmp_path, "    to: {case: closed}", "    to: {case: archived}")
    base = tmp_path / "base.yaml"
    assert _error(path) == f"base.yaml:{_line_of(base, 'name: close') }: action 'close' uses unknown state 'archived'"


def test_unreachable_state(tmp_path):
    path = _folder(tmp_path, "    merged: 已并案\n", "    merged: 已并案\n    lost: 丢失\n")
    base = tmp_path / "base.yaml"
    assert _error(path) == f"base.yaml:{_line_of(base, 'initial: registered')}: state 'lost' of 'case' is unreachable"


def test_unknown_guard(tmp_path):
    path = _folder(tmp_path, "guards: [feedback_window_passed]", "guards: [moon_is_full]")
    base = tmp_path / "base.yaml"
    assert _error(path) == (f"base.yaml:{_line_of(base, 'name: evaluation_lapsed')}: "
                            "action 'evaluation_lapsed' uses unknown guard 'moon_is_full'")


def test_unknown_role_in_the_body_file_names_the_body_file(tmp_path):
    path = _folder(tmp_path, body="actions:\n  - name: close\n    roles: [mayor]\n")
    assert _error(path) == (f"cppcc_proposal.yaml:{_line_of(path, 'name: close')}: "
                            "action 'close' names unknown role 'mayor'")


def test_unit_role_without_relation(tmp_path):
    path = _folder(tmp_path, body="actions:\n  - name: close\n    roles: [handler]\n")
    assert _error(path) == (f"cppcc_proposal.yaml:{_line_of(path, 'name: close')}: action 'close' lets unit roles "
                            "take it: relation must be one of ('own_unit', 'lead_unit', 'case_unit')")


@pytest.mark.parametrize("key", ["states", "roles"])
def test_an_action_without_states_or_roles_is_refused(tmp_path, key):
    path = _folder(tmp_path, body=f"actions:\n  - name: close\n    {key}: []\n")
    assert _error(path) == f"cppcc_proposal.yaml:{_line_of(path, 'name: close')}: action 'close' needs '{key}'"


def test_an_action_allowed_in_no_state_of_its_row_is_refused(tmp_path):
    path = _folder(tmp_path, body="actions:\n  - name: accept\n    states: {assignment: []}\n")
    assert "action 'accept' lists no states for 'assignment'" in _error(path)
    path = _folder(tmp_path, "    acts_on: case\n    roles: [dispatcher]\n    states: {case: [evaluated]}",
                   "    acts_on: assignment\n    roles: [dispatcher]\n    states: {case: [evaluated]}")
    assert _error(path) == (f"base.yaml:{_line_of(tmp_path / 'base.yaml', 'name: close')}: "
                            "action 'close' needs the states of the case and of its assignment")


def test_unknown_action_key_and_unknown_group_state(tmp_path):
    path = _folder(tmp_path, body="actions:\n  - name: close\n    rolse: [dispatcher]\n")
    assert _error(path) == (f"cppcc_proposal.yaml:{_line_of(path, 'name: close')}: "
                            "action 'close' has unknown keys ['rolse']")
    path = _folder(tmp_path, "    void: [withdrawn, merged]", "    void: [withdrawn, buried]")
    assert "group 'void' of 'case' names unknown state 'buried'" in _error(path)


def test_a_required_field_needs_its_message(tmp_path):
    path = _folder(tmp_path, body="actions:\n  - name: close\n    required: [mood]\n")
    assert "action 'close' requires field 'mood' that has no message under 'fields'" in _error(path)


def test_missing_section(tmp_path):
    path = _folder(tmp_path, "deadlines:\n", "deadline_rules:\n")
    assert _error(path) == "cppcc_proposal.yaml:1: 'deadlines' section is missing"  # the file being loaded


def test_readme_diagrams_are_generated_from_the_yaml():
    from caseflow.workflow.diagram import readme_section

    readme = (spec.WORKFLOW_DIR.parent / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- workflow-diagrams:start -->\n(.*)<!-- workflow-diagrams:end -->", readme, re.S)
    assert shown and shown.group(1) == readme_section(), \
        "README diagrams are stale: regenerate them with flask workflow diagram --readme"


def test_diagram_command(app, tmp_path):
    from click.testing import CliRunner

    out = tmp_path / "d.md"
    result = CliRunner().invoke(app.cli, ["workflow", "diagram", "npc_suggestion", "-o", str(out)])
    assert result.exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "stateDiagram-v2" in text and "replied --> rehandling: 提交评价 (proposer、dispatcher)" in text
    assert "pending --> accepted: 签收 (handler、unit_leader)" in text


@pytest.mark.parametrize(("name", "override", "problem"), [
    ("close", "acts_on: session",
     "action 'close' acts on 'session': must be one of ('case', 'assignment', 'disclosure')"),
    ("close", "relation: own_unit", "action 'close' has a relation but no unit role"),
    ("close", "assignment_roles: [lead]",
     "action 'close' names assignment roles or own_unit but does not act on an assignment"),
    ("accept", "assignment_roles: [boss]", "action 'accept' names unknown assignment role 'boss'"),
    ("close", "roles: [handler]\n    relation: own_unit",
     "action 'close' names assignment roles or own_unit but does not act on an assignment"),
    ("close", "to: {assignment: closed}", "action 'close' moves a assignment but acts on a case"),
    ("close", "states: {case: [evaluated], moon: [full]}", "action 'close' lists no states for 'moon'"),
    ("close", "states: {case: [sleeping]}", "action 'close' uses unknown state 'sleeping'"),
    ("close", "counted: false", "action 'close' moves a case from 'evaluated' to 'closed', which the statistics "
                                "count: it cannot be counted: false"),
    ("approve_return", "counted: false", "action 'approve_return' moves a assignment from 'return_requested' to "
                                         "'returned', which the statistics count: it cannot be counted: false"),
    ("publish", "counted: false", "action 'publish' moves a disclosure from 'pending' to 'published', which the "
                                  "statistics count: it cannot be counted: false"),
    ("key_case", "counted: maybe", "action 'key_case': counted is true or false"),
])
def test_each_broken_action_is_refused_with_its_file_line_and_problem(tmp_path, name, override, problem):
    path = _folder(tmp_path, body=f"actions:\n  - name: {name}\n    {override}\n")
    assert _error(path) == f"cppcc_proposal.yaml:{_line_of(path, f'name: {name}')}: {problem}"


def test_an_action_without_a_name_is_refused_as_a_new_one(tmp_path):
    """It cannot update a base action (they merge by name): it is added, and refused with a '?'."""
    path = _folder(tmp_path, body="actions:\n  - label: 无名\n    acts_on: case\n    roles: [dispatcher]\n"
                                  "    states: {case: [registered]}\n")
    assert _error(path) == f"cppcc_proposal.yaml:{_line_of(path, 'label: 无名')}: action '?' needs 'name'"


def test_a_freshly_built_workflow_has_the_rule_books_transitions_and_no_others():
    # engine.workflow() is cached; this builds one anew, so that a change to the building is seen
    data = spec.load("cppcc_proposal")
    wf = engine.Workflow("cppcc_proposal", data)
    assert wf.body == "cppcc_proposal" and set(wf.actions) == {a["name"] for a in data["actions"]}
    assert (wf.initial("case"), wf.machines["case"].initial) == ("registered", "registered")
    assert (wf.initial("assignment"), wf.machines["assignment"].initial) == ("pending", "pending")
    accept = wf.machines["assignment"].get_transitions("accept")
    assert [(t.source, t.dest) for t in accept] == [("pending", "accepted")]
    assert [(t.source, t.dest) for t in wf.machines["case"].get_transitions("assign")] == [("registered", "assigned")]
    assert not wf.machines["case"].get_transitions("to_closed")  # no automatic to_<state> transitions
    assert set(wf.machines["case"].states) == set(data["case"]["states"])
    assert set(wf.machines["disclosure"].states) == set(data["disclosure"]["states"])


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("supervisor: {label: 领导/联络员, scope: all}", "supervisor: {label: 领导/联络员, scope: district}",
     "role 'supervisor' needs a scope: all, unit or own"),
    ("  inbox: [handler, unit_leader]", "  inbox: [handler, janitor]",
     "page 'inbox' names unknown role 'janitor'"),
    ("case:\n  initial: registered", "case:\n  initial: drafted",
     "'case' needs 'states' and an 'initial' state among them"),
    ("  - name: withdraw\n", "  - name: close\n",
     "action 'close' is declared twice"),
])
def test_each_broken_section_is_refused_with_its_problem(tmp_path, old, new, problem):
    path = _folder(tmp_path, old, new)
    error = _error(path)
    assert error.endswith(f": {problem}") and error.startswith("base.yaml:"), error
