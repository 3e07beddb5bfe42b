"""The workflow engine: one shared ``transitions`` Machine per body and machine kind.

Services call :func:`fire`; it checks who may fire (role and relation to the
case), the required fields and the guards — each failure with a Chinese
message — then lets the Machine move the row and writes the Event. It never
commits: the calling service does, once, so a failure rolls everything back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from transitions import Machine

from caseflow.errors import PermissionDenied, ValidationError
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Disclosure, Event
from caseflow.models.user import ROLE_LABELS, ROLES, UNIT_ROLES
from caseflow.workflow import spec
from caseflow.workflow.guards import GUARDS

RELATIONS = ("own_unit", "lead_unit")
FIELD_LABELS = {"comment": "理由/说明", "requested_due_date": "申请延期至"}


class Actor(Protocol):
    """A user, or a proposer who came through a personal link (no account)."""

    id: int | None
    role: str
    unit_id: int | None
    proposer_id: int | None


@dataclass(frozen=True)
class LinkActor:
    proposer_id: int
    id: None = None
    role: str = "proposer"
    unit_id: None = None


@dataclass
class Firing:
    actor: Actor | None
    transition: dict[str, Any]
    case: Case
    assignment: Assignment | None = None
    disclosure: Disclosure | None = None
    fields: dict[str, Any] = field(default_factory=dict)


class WorkflowError(ValueError):
    """A workflow file is broken; the message names the file, the line and the problem."""


class Workflow:
    def __init__(self, body: str, data: dict[str, Any], path: Path):
        validate(data, path)
        self.body = body
        self.data = data
        self.machines: dict[str, Machine] = {}
        self.transitions: dict[str, tuple[str, dict[str, Any]]] = {}
        for kind in spec.MACHINES:
            part = data[kind]
            self.machines[kind] = Machine(
                model=None,
                states=list(part["states"]),
                transitions=[
                    {"trigger": t["name"], "source": t["source"], "dest": t["dest"]}
                    for t in part["transitions"]
                ],
                initial=part["initial"],
                auto_transitions=False,
            )
            for t in part["transitions"]:
                self.transitions[t["name"]] = (kind, t)

    def initial(self, kind: str) -> str:
        return self.data[kind]["initial"]


@cache
def workflow(body: str) -> Workflow:
    return Workflow(body, spec.load(body), spec.WORKFLOW_DIR / f"{body}.yaml")


def load_all() -> None:
    """Build (and so validate) every workflow; called at app start to fail fast."""
    for body in spec.BODIES:
        workflow(body)


def validate(data: dict[str, Any], path: Path) -> None:
    def fail(node: Any, problem: str):
        raise WorkflowError(f"{path.name}:{getattr(node, 'line', 1)}: {problem}")

    for kind in spec.MACHINES:
        part = data.get(kind)
        if not isinstance(part, dict) or not part.get("states") or "transitions" not in part:
            fail(data, f"'{kind}' needs 'states', 'initial' and 'transitions'")
        states = part["states"]
        if part.get("initial") not in states:
            fail(part, f"initial state {part.get('initial')!r} of '{kind}' is not a state")
        reachable = {part["initial"]}
        for t in part["transitions"]:
            if "name" not in t or "dest" not in t or "source" not in t or "roles" not in t:
                fail(t, "a transition needs name, source, dest and roles")
            sources = t["source"] if isinstance(t["source"], list) else [t["source"]]
            for s in [*sources, t["dest"]]:
                if s not in states:
                    fail(t, f"transition '{t['name']}' uses unknown state '{s}'")
            reachable.add(t["dest"])
            for g in t.get("guards", ()):
                if g not in GUARDS:
                    fail(t, f"transition '{t['name']}' uses unknown guard '{g}'")
            for r in t["roles"]:
                if r not in ROLES and r != "system":
                    fail(t, f"transition '{t['name']}' names unknown role '{r}'")
            if set(t["roles"]) & set(UNIT_ROLES) and t.get("relation") not in RELATIONS:
                fail(t, f"transition '{t['name']}' lets unit roles fire it: relation must be one of {RELATIONS}")
        for s in states:
            if s not in reachable:
                fail(part, f"state '{s}' of '{kind}' is unreachable")
    for name in ("deadlines", "reminders"):
        if not isinstance(data.get(name), dict):
            fail(data, f"'{name}' section is missing")


def check_permission(actor: Actor | None, t: dict[str, Any], case: Case, assignment: Assignment | None) -> None:
    label = t.get("label", t["name"])
    if actor is None or actor.role not in t["roles"]:
        who = ROLE_LABELS.get(actor.role, actor.role) if actor else "未登录用户"
        raise PermissionDenied(f"{who}无权执行“{label}”。")
    if actor.role in UNIT_ROLES:
        if t["relation"] == "own_unit":
            allowed = assignment is not None and assignment.unit_id == actor.unit_id
        else:
            allowed = actor.unit_id in {a.unit_id for a in case.lead_assignments}
        if not allowed:
            raise PermissionDenied(f"本单位不是该件的{'承办' if t['relation'] == 'own_unit' else '主办'}单位，无权执行“{label}”。")
    elif actor.role == "proposer" and actor.proposer_id not in {p.id for p in case.proposers}:
        raise PermissionDenied(f"只有提出人可以执行“{label}”。")


def check(
    actor: Actor | None,
    name: str,
    *,
    case: Case,
    assignment: Assignment | None = None,
    disclosure: Disclosure | None = None,
    comment: str = "",
    fields: dict[str, Any] | None = None,
    system: bool = False,
) -> tuple[str, dict[str, Any]]:
    """Raise unless ``actor`` may fire ``name`` now; returns the machine kind and transition."""
    kind, t = workflow(case.body).transitions[name]
    if not system:
        check_permission(actor, t, case, assignment)
    state = {"case": case, "assignment": assignment, "disclosure": disclosure}[kind].state
    if state not in (t["source"] if isinstance(t["source"], list) else [t["source"]]):
        current = spec.state_label(case.body, kind, state)
        raise ValidationError(f"当前状态为“{current}”，不能执行“{t.get('label', name)}”。")
    fields = {"comment": comment.strip(), **(fields or {})}
    for required in t.get("required", ()):
        if not fields.get(required):
            raise ValidationError(f"请填写{FIELD_LABELS.get(required, required)}。", required)
    firing = Firing(actor, t, case, assignment, disclosure, fields)
    for g in t.get("guards", ()):
        if message := GUARDS[g](firing):
            raise ValidationError(message)
    return kind, t


def fire(actor: Actor | None, name: str, *, payload: dict[str, Any] | None = None, **kw: Any) -> Event:
    """Fire transition ``name`` (keywords as for :func:`check`) and record the Event."""
    kind, t = check(actor, name, **kw)
    case, assignment = kw["case"], kw.get("assignment")
    row = {"case": case, "assignment": assignment, "disclosure": kw.get("disclosure")}[kind]
    before = row.state
    workflow(case.body).machines[kind].events[name].trigger(row)
    return _event(actor, name, case, assignment, before, row.state, kw.get("comment", ""), payload)


def record(
    actor: Actor | None,
    action: str,
    *,
    case: Case,
    assignment: Assignment | None = None,
    comment: str = "",
    payload: dict[str, Any] | None = None,
) -> Event:
    """Record an action that changes no state (a contact, a follow-up …)."""
    if action not in workflow(case.body).data["actions"]:
        raise KeyError(f"unknown action {action!r}")
    return _event(actor, action, case, assignment, None, None, comment, payload)


def _event(actor, name, case, assignment, before, after, comment, payload) -> Event:
    payload = dict(payload or {})
    if actor is not None and actor.id is None:  # personal link
        payload["proposer_id"] = actor.proposer_id
    event = Event(
        case=case,
        assignment_id=assignment.id if assignment is not None else None,
        actor_id=actor.id if actor is not None else None,
        transition=name,
        from_state=before,
        to_state=after,
        comment=comment.strip(),
        payload=payload,
    )
    db.session.add(event)
    return event


def allowed(actor: Actor | None, name: str, *, case: Case, assignment: Assignment | None = None,
            disclosure: Disclosure | None = None) -> bool:
    """Whether ``actor`` may fire ``name`` from the row's current state (guards not evaluated):
    what the UI uses to decide which buttons to show."""
    kind, t = workflow(case.body).transitions[name]
    row = {"case": case, "assignment": assignment, "disclosure": disclosure}[kind]
    if row is None or row.state not in (t["source"] if isinstance(t["source"], list) else [t["source"]]):
        return False
    try:
        check_permission(actor, t, case, assignment)
    except PermissionDenied:
        return False
    return True
