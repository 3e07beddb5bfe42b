"""The schema check of a resolved workflow: a broken file stops the app's start with its file,
line and problem, before any request is served."""
from __future__ import annotations

from typing import Any

from caseflow.workflow import spec
from caseflow.workflow.guards import GUARDS

RELATIONS = ("own_unit", "lead_unit", "case_unit")
TARGETS = spec.MACHINES  # an action acts on a case, an assignment or a disclosure
ACTION_KEYS = {"name", "label", "acts_on", "roles", "relation", "assignment_roles", "states", "to", "guards",
               "required", "counted"}
# the groups the statistics' facts (caseflow/facts.py) read: an action that moves a row into or out
# of one changes a figure, so it cannot say `counted: false`
COUNTED_GROUPS = {"case": ("void", "ended"), "assignment": ("gone", "done"),
                  "disclosure": ("on_portal", "kept_private")}
SECTIONS = ("roles", "assignment_roles", "pages", "fields", *spec.MACHINES, "groups", "actions", "deadlines",
            "reminders")


def destinations(to: str | list[str] | None) -> list[str]:
    """An action's ``to`` for one machine: one state, or the states the service chooses among."""
    return [] if to is None else [to] if isinstance(to, str) else list(to)


class WorkflowError(ValueError):
    """A workflow file is broken; the message names the file, the line and the problem."""


def fail(node: Any, problem: str):
    raise WorkflowError(f"{getattr(node, 'file', '?')}:{getattr(node, 'line', 1)}: {problem}")


def validate(data: dict[str, Any]) -> None:
    for section in SECTIONS:
        if not isinstance(data.get(section), (dict, list)):
            fail(data, f"'{section}' section is missing")
    roles = set(data["roles"])
    for role, about in data["roles"].items():
        if about.get("scope") not in ("all", "unit", "own"):
            fail(about, f"role '{role}' needs a scope: all, unit or own")
    for page, allowed in data["pages"].items():
        for role in allowed:
            if role not in roles:
                fail(data["pages"], f"page '{page}' names unknown role '{role}'")
    for machine in spec.MACHINES:
        part = data[machine]
        if not part.get("states") or part.get("initial") not in part["states"]:
            fail(part, f"'{machine}' needs 'states' and an 'initial' state among them")
    for machine, groups in data["groups"].items():
        for name, members in groups.items():
            for state in members:
                if state not in data[machine]["states"]:
                    fail(groups, f"group '{name}' of '{machine}' names unknown state '{state}'")
    names: set[str] = set()
    for action in data["actions"]:
        _check_action(action, data, roles)
        if action["name"] in names:
            fail(action, f"action '{action['name']}' is declared twice")
        names.add(action["name"])
    _check_reachable(data)


def _check_action(action: Any, data: dict[str, Any], roles: set[str]) -> None:
    name = action.get("name", "?")
    if unknown := set(action) - ACTION_KEYS:
        fail(action, f"action '{name}' has unknown keys {sorted(unknown)}")
    for key in ("name", "label", "acts_on", "roles", "states"):
        if not action.get(key):
            fail(action, f"action '{name}' needs '{key}'")
    if action["acts_on"] not in TARGETS:
        fail(action, f"action '{name}' acts on '{action['acts_on']}': must be one of {TARGETS}")
    for role in action["roles"]:
        if role not in roles and role != spec.SYSTEM:
            fail(action, f"action '{name}' names unknown role '{role}'")
    unit_roles = {r for r in action["roles"] if r in roles and data["roles"][r]["scope"] == "unit"}
    if unit_roles and action.get("relation") not in RELATIONS:
        fail(action, f"action '{name}' lets unit roles take it: relation must be one of {RELATIONS}")
    if action.get("relation") and not unit_roles:
        fail(action, f"action '{name}' has a relation but no unit role")
    if (action.get("relation") == "own_unit" or action.get("assignment_roles")) and action["acts_on"] != "assignment":
        fail(action, f"action '{name}' names assignment roles or own_unit but does not act on an assignment")
    for role in action.get("assignment_roles", ()):
        if role not in data["assignment_roles"]:
            fail(action, f"action '{name}' names unknown assignment role '{role}'")
    states = action["states"]
    if "case" not in states or (action["acts_on"] != "case" and action["acts_on"] not in states):
        fail(action, f"action '{name}' needs the states of the case and of its {action['acts_on']}")
    for machine, allowed in states.items():
        if machine not in spec.MACHINES or not allowed:
            fail(action, f"action '{name}' lists no states for '{machine}'")
        for state in allowed:
            if state not in data[machine]["states"]:
                fail(action, f"action '{name}' uses unknown state '{state}'")
    for machine, dest in (action.get("to") or {}).items():
        if machine != action["acts_on"]:
            fail(action, f"action '{name}' moves a {machine} but acts on a {action['acts_on']}")
        for state in destinations(dest):
            if state not in data[machine]["states"]:
                fail(action, f"action '{name}' uses unknown state '{state}'")
    if action.get("counted", True) is not True:
        _check_uncounted(action, data)
    for guard in action.get("guards", ()):
        if guard not in GUARDS:
            fail(action, f"action '{name}' uses unknown guard '{guard}'")
    for field in action.get("required", ()):
        if field not in data["fields"]:
            fail(action, f"action '{name}' requires field '{field}' that has no message under 'fields'")


def _check_uncounted(action: Any, data: dict[str, Any]) -> None:
    name, machine = action["name"], action["acts_on"]
    if action["counted"] is not False:
        fail(action, f"action '{name}': counted is true or false")
    groups = [set(data["groups"][machine].get(g, ())) for g in COUNTED_GROUPS[machine]]
    for dest in destinations((action.get("to") or {}).get(machine)):
        for before in action["states"][machine]:
            if any((before in g) != (dest in g) for g in groups):
                fail(action, f"action '{name}' moves a {machine} from '{before}' to '{dest}', which the statistics "
                             "count: it cannot be counted: false")


def _check_reachable(data: dict[str, Any]) -> None:
    for machine in spec.MACHINES:
        reachable = {data[machine]["initial"]}
        reachable |= {s for a in data["actions"] for s in destinations((a.get("to") or {}).get(machine))}
        for state in data[machine]["states"]:
            if state not in reachable:
                fail(data[machine], f"state '{state}' of '{machine}' is unreachable")
