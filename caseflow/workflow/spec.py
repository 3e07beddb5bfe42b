"""Reading the workflow YAML files (with line numbers, for error messages).

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


class LineDict(dict):
    """A mapping that remembers the YAML line (1-based) it started on."""

    line: int = 0


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_map(loader: _LineLoader, node: yaml.MappingNode):
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    yield mapping
    mapping.update(loader.construct_mapping(node))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def parse(path: Path) -> LineDict:
    with open(path, encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_LineLoader)  # noqa: S506 (SafeLoader subclass)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a YAML mapping")
    return data


@cache
def load(body: str) -> dict[str, Any]:
    """The parsed workflow of one body (``npc_suggestion`` or ``cppcc_proposal``)."""
    if body not in BODIES:
        raise KeyError(f"unknown body {body!r}")
    return parse(WORKFLOW_DIR / f"{body}.yaml")


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
        spec = load(body)
        for machine in MACHINES:
            for t in spec[machine].get("transitions", ()):
                if t["name"] == name:
                    return t.get("label", name)
        if name in spec.get("actions", {}):
            return spec["actions"][name]
    return name
