"""A broken workflow file is refused with its file, line and problem."""
from __future__ import annotations

from pathlib import Path

import pytest

from caseflow.workflow import engine, spec

GOOD = spec.WORKFLOW_DIR / "cppcc_proposal.yaml"


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = GOOD.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, fragment: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


def _error(path: Path) -> str:
    with pytest.raises(engine.WorkflowError) as e:
        engine.Workflow("cppcc_proposal", spec.parse(path), path)
    return str(e.value)


def test_the_shipped_workflows_load(app):
    for body in spec.BODIES:
        wf = engine.workflow(body)
        assert wf.machines["case"].initial == "registered"
        assert "reply" in wf.transitions


def test_unknown_state(tmp_path):
    path = _broken(tmp_path, "dest: closed, roles: [dispatcher]}", "dest: archived, roles: [dispatcher]}")
    assert _error(path) == (f"broken.yaml:{_line_of(path, 'dest: archived')}: "
                            "transition 'close' uses unknown state 'archived'")


def test_unreachable_state(tmp_path):
    path = _broken(tmp_path, "    merged: 已并案\n", "    merged: 已并案\n    lost: 丢失\n")
    assert _error(path) == f"broken.yaml:{_line_of(path, 'initial: registered')}: state 'lost' of 'case' is unreachable"


def test_unknown_guard(tmp_path):
    path = _broken(tmp_path, "guards: [feedback_window_passed]", "guards: [moon_is_full]")
    assert _error(path) == (f"broken.yaml:{_line_of(path, 'moon_is_full')}: "
                            "transition 'evaluation_lapsed' uses unknown guard 'moon_is_full'")


def test_unknown_role(tmp_path):
    path = _broken(tmp_path, "dest: closed, roles: [dispatcher]}", "dest: closed, roles: [mayor]}")
    assert _error(path) == (f"broken.yaml:{_line_of(path, 'roles: [mayor]')}: "
                            "transition 'close' names unknown role 'mayor'")


def test_unit_role_without_relation(tmp_path):
    path = _broken(tmp_path, "roles: [handler, unit_leader], relation: own_unit}", "roles: [handler, unit_leader]}")
    assert "relation must be one of" in _error(path)


def test_missing_section(tmp_path):
    path = _broken(tmp_path, "deadlines:\n", "deadline_rules:\n")
    assert _error(path) == "broken.yaml:4: 'deadlines' section is missing"


def test_readme_diagrams_are_generated_from_the_yaml():
    import re

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
    assert "stateDiagram-v2" in text and "replied --> rehandling: 重新办理 (proposer、dispatcher)" in text
