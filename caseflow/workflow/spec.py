"""Reading the workflow YAML files.

The files are the single source of the state vocabularies: the engine builds
its machines from them and the models build their CHECK constraints from them.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

WORKFLOW_DIR = Path(__file__).resolve().parents[2] / "workflows"
BODIES = ("npc_suggestion", "cppcc_proposal")
MACHINES = ("case", "assignment", "disclosure")


@cache
def load(body: str) -> dict[str, Any]:
    """The parsed workflow of one body (``npc_suggestion`` or ``cppcc_proposal``)."""
    if body not in BODIES:
        raise KeyError(f"unknown body {body!r}")
    with open(WORKFLOW_DIR / f"{body}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def states(machine: str) -> tuple[str, ...]:
    """Every state of ``machine`` over all bodies, in a stable order."""
    seen: dict[str, None] = {}
    for body in BODIES:
        seen.update(dict.fromkeys(load(body)[machine]["states"]))
    return tuple(seen)


def state_label(body: str, machine: str, state: str) -> str:
    return load(body)[machine]["states"].get(state, state)


def transition_label(name: str) -> str:
    """The Chinese label of a transition or recorded action, looked up in any workflow."""
    for body in BODIES:
        for machine in MACHINES:
            for t in load(body)[machine].get("transitions", ()):
                if t["name"] == name:
                    return t.get("label", name)
        if name in load(body).get("actions", {}):
            return load(body)["actions"][name]
    return name
