"""Reading the workflow YAML files: ``extends`` resolved, line numbers kept for error messages.

Labels and messages are Chinese in the files (the msgids: caseflow/i18n.py extracts them); the
functions here give them in the request's language.

The files are the single source of the vocabularies: roles, assignment roles, states and their
named groups, actions. The engine builds its machines and answers from them; the models build
their CHECK constraints from them. Code names a group (``group("case", "void")``), never a list
of states.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from caseflow.i18n import translate

WORKFLOW_DIR = Path(__file__).resolve().parents[2] / "workflows"
BODIES = ("npc_suggestion", "cppcc_proposal")
MACHINES = ("case", "assignment", "disclosure")
SYSTEM = "system"  # the pseudo-role of what the services fire as a consequence


class LineDict(dict):
    """A mapping that remembers the file and the YAML line (1-based) it started on."""

    file: str = "?"
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_map(loader: _LineLoader, node: yaml.MappingNode):
    mapping = LineDict()
    mapping.file = Path(loader.name).name
    mapping.line = node.start_mark.line + 1
    yield mapping
    mapping.update(loader.construct_mapping(node))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def parse(path: Path) -> LineDict:
    """One file as written (no ``extends`` resolved)."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_LineLoader)  # noqa: S506 (SafeLoader subclass)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a YAML mapping")
    return data


def resolve(path: Path) -> LineDict:
    """The file with the file it ``extends`` (in the same folder) merged under it.

    Mappings merge key by key; ``actions`` merge by name (an entry updates the keys it names in
    the base action of that name, or adds an action); any other value replaces the base's.
    """
    data = parse(path)
    base_name = data.pop("extends", None)
    if base_name is None:
        return data
    return _merge(resolve(path.parent / f"{base_name}.yaml"), data)


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = LineDict(base)  # an error in it is pointed at the entry that changed it last
        merged.file, merged.line = getattr(over, "file", "?"), getattr(over, "line", 0)
        for key, value in over.items():
            merged[key] = _merge_actions(base[key], value) if key == "actions" and key in base else \
                _merge(base.get(key), value)
        return merged
    return over


def _merge_actions(base: list, over: list) -> list:
    by_name = {a["name"]: i for i, a in enumerate(base)}
    merged = list(base)
    for action in over:
        if action.get("name") in by_name:
            i = by_name[action["name"]]
            merged[i] = _merge(merged[i], action)
        else:
            merged.append(action)
    return merged


@cache
def load(body: str) -> dict[str, Any]:
    """The resolved workflow of one body (``npc_suggestion`` or ``cppcc_proposal``)."""
    if body not in BODIES:
        raise KeyError(f"unknown body {body!r}")
    return resolve(WORKFLOW_DIR / f"{body}.yaml")


def _shared(section: str) -> dict[str, Any]:
    """A section that must be the same for every body (roles, assignment roles, pages)."""
    return load(BODIES[0])[section]


# -- vocabularies ----------------------------------------------------------------------------

@cache
def roles() -> tuple[str, ...]:
    return tuple(_shared("roles"))


def role_label(role: str) -> str:
    return translate(_shared("roles")[role]["label"])


@cache
def roles_with_scope(scope: str) -> tuple[str, ...]:
    """Roles that see ``all`` cases, their ``unit``'s, or their own as a ``proposer``."""
    return tuple(r for r, spec in _shared("roles").items() if spec["scope"] == scope)


def scope_of(role: str) -> str:
    return _shared("roles")[role]["scope"]


@cache
def assignment_roles() -> tuple[str, ...]:
    return tuple(_shared("assignment_roles"))


def assignment_role_label(role: str) -> str:
    return translate(_shared("assignment_roles")[role]["label"])


@cache
def answering_roles() -> tuple[str, ...]:
    """Assignment roles that answer the proposer (主办, 分办); the others give 会办意见."""
    return tuple(r for r, spec in _shared("assignment_roles").items() if spec["answers"])


def deadline_of(assignment_role: str) -> str:
    """The deadline rule (``reply``, ``co_opinion``) of an assignment role."""
    return _shared("assignment_roles")[assignment_role]["deadline"]


def escalation_roles() -> tuple[str, ...]:
    """Who hears of an overdue assignment besides the unit (and of case-level reminders)."""
    return tuple(_shared("reminders")["escalate_to"])


def page_roles(page: str) -> tuple[str, ...]:
    return tuple(_shared("pages")[page])


def missing_message(field: str) -> str:
    """What a clerk reads next to a required field left empty."""
    return translate(_shared("fields")[field])


@cache
def states(machine: str) -> tuple[str, ...]:
    """Every state of ``machine`` over all bodies, in a stable order."""
    seen: dict[str, None] = {}
    for body in BODIES:
        seen.update(dict.fromkeys(load(body)[machine]["states"]))
    return tuple(seen)


@cache
def group(machine: str, name: str) -> tuple[str, ...]:
    """A named set of states of ``machine`` (the union over the bodies)."""
    seen: dict[str, None] = {}
    for body in BODIES:
        seen.update(dict.fromkeys(load(body)["groups"][machine][name]))
    return tuple(seen)


def state_label(body: str, machine: str, state: str) -> str:
    return translate(load(body)[machine]["states"].get(state, state))


@cache
def actions(body: str) -> dict[str, dict[str, Any]]:
    """The actions of a body by name, in the file's order."""
    return {a["name"]: a for a in load(body)["actions"]}


def action_label(name: str) -> str:
    """The label of an action (an event's ``transition``), looked up in any workflow."""
    for body in BODIES:
        if name in actions(body):
            return translate(actions(body)[name]["label"])
    return name
