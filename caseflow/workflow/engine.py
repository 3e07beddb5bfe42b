"""The rule book's answers, and the shared ``transitions`` Machines that move the rows.

One question, asked by every entry point (services, pages, 待办, menus, CLI, API):
:func:`allowed` → :class:`Decision`, whose ``reason`` is the sentence a clerk reads. A service
gets a :class:`Permit` from :func:`require` before it writes anything; the permit is the only way
to write an action's Event (and move its row, for an action with ``to``). What a service fires as
a consequence (``roles: [system]``) goes through :func:`follow`. Nothing here commits: the
calling service does, once, so a refusal or a failure rolls everything back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from flask_babel import gettext as _
from sqlalchemy import select
from transitions import Machine

from caseflow import clock, facts
from caseflow.errors import Conflict, PermissionDenied, ServiceError, ValidationError
from caseflow.extensions import db
from caseflow.i18n import join
from caseflow.models import Assignment, Case, Disclosure, Event, Proposer
from caseflow.workflow import spec
from caseflow.workflow.guards import GUARD_FIELDS, GUARDS
from caseflow.workflow.schema import destinations, validate

SYSTEM = spec.SYSTEM


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
    name: str = ""


@dataclass
class Context:
    """What a guard looks at: who asks, for which action, on which rows, with which input."""

    actor: Actor | None
    action: dict[str, Any]
    case: Case
    assignment: Assignment | None = None
    disclosure: Disclosure | None = None
    fields: dict[str, Any] | None = None


@dataclass(frozen=True)
class Decision:
    """The rule book's answer. ``code`` says what refused: login, role, relation, state,
    required or guard; ``field`` names the input a refusal belongs next to."""

    ok: bool
    reason: str = ""
    code: str = "ok"
    field: str | None = None

    def __bool__(self) -> bool:
        return self.ok

    def error(self) -> ServiceError:
        """The exception a service raises for this refusal (HTTP 403, 409 or 400)."""
        if self.code in ("login", "role", "relation"):
            error: ServiceError = PermissionDenied(self.reason)
        elif self.code == "state":
            error = Conflict(self.reason)
        else:
            error = ValidationError(self.reason, self.field)
        error.decision = self
        return error


OK = Decision(True)


class Workflow:
    """One body's resolved rule book and its machines (one per row kind, shared by all rows)."""

    def __init__(self, body: str, data: dict[str, Any]):
        validate(data)
        self.body = body
        self.data = data
        self.actions: dict[str, dict[str, Any]] = {a["name"]: a for a in data["actions"]}
        self.machines = {
            kind: Machine(
                model=None,
                states=list(data[kind]["states"]),
                transitions=[{"trigger": trigger(a, dest), "source": a["states"][kind], "dest": dest}
                             for a in data["actions"] for dest in destinations((a.get("to") or {}).get(kind))],
                initial=data[kind]["initial"],
                auto_transitions=False,
            )
            for kind in spec.MACHINES
        }

    def initial(self, kind: str) -> str:
        return self.data[kind]["initial"]


def trigger(a: dict[str, Any], dest: str) -> str:
    """The machine's trigger of an action: its name, or ``name>dest`` when it has a choice."""
    return a["name"] if isinstance(a["to"][a["acts_on"]], str) else f"{a['name']}>{dest}"


@cache
def workflow(body: str) -> Workflow:
    return Workflow(body, spec.load(body))


def load_all() -> None:
    """Build (and so validate) every workflow; called at app start to fail fast."""
    for body in spec.BODIES:
        workflow(body)


def action(body: str, name: str) -> dict[str, Any]:
    try:
        return workflow(body).actions[name]
    except KeyError:
        raise KeyError(f"unknown action {name!r} of {body}") from None


def user_actions(body: str) -> list[dict[str, Any]]:
    """The actions people take (not what the system fires), in the rule book's order."""
    return [a for a in workflow(body).actions.values() if a["roles"] != [SYSTEM]]


# -- the answer --------------------------------------------------------------------------------

def allowed(actor: Actor | None, name: str, *, case: Case, assignment: Assignment | None = None,
            disclosure: Disclosure | None = None, fields: dict[str, Any] | None = None,
            explain: bool = True) -> Decision:
    """May ``actor`` take action ``name`` on these rows now?

    Without ``fields`` (a page deciding what to offer) required fields and the input part of the
    guards are not judged; a service passes the user's input and gets the whole answer.
    ``explain=False`` spares the look-up of who moved a row when only yes or no matters (a list).
    """
    a = action(case.body, name)
    for decision in (_who(actor, a, case, assignment), _state(a, case, assignment, disclosure, explain)):
        if not decision:
            return decision
    return _input(Context(actor, a, case, assignment, disclosure, fields))


def _who(actor: Actor | None, a: dict[str, Any], case: Case, assignment: Assignment | None) -> Decision:
    def label() -> str:  # translated only for a refusal: a granted action is asked far more often
        return spec.action_label(a["name"])

    if actor is None or not getattr(actor, "role", None):
        return Decision(False, _("请先登录。"), "login")
    if actor.role not in a["roles"]:
        people = [spec.role_label(r) for r in a["roles"] if r != SYSTEM]
        reason = _("只有%(who)s可以%(action)s。", who=join(people), action=label()) if people else \
            _("“%(action)s”由系统自动执行。", action=label())
        return Decision(False, reason, "role")
    scope = spec.scope_of(actor.role)
    if scope == "own" and actor.proposer_id not in {p.id for p in case.proposers}:
        return Decision(False, _("只有本件的提出人可以%(action)s。", action=label()), "relation")
    if scope == "unit" and not _related(actor, a["relation"], case, assignment):
        whose = {"own_unit": assignment.unit.name if assignment else "", "lead_unit": _("本件的主办单位"),
                 "case_unit": _("本件的承办单位")}[a["relation"]]
        return Decision(False, _("只有%(who)s可以%(action)s。", who=whose, action=label()), "relation")
    if assignment is not None and a.get("assignment_roles") and assignment.role not in a["assignment_roles"]:
        parts = join(spec.assignment_role_label(r) for r in a["assignment_roles"])
        return Decision(False, _("只有%(parts)s单位可以%(action)s。", parts=parts, action=label()), "relation")
    return OK


def _related(actor: Actor, relation: str, case: Case, assignment: Assignment | None) -> bool:
    if relation == "own_unit":
        return assignment is not None and assignment.unit_id == actor.unit_id
    gone = spec.group("assignment", "gone")
    parts = case.lead_assignments if relation == "lead_unit" else case.assignments
    return actor.unit_id in {p.unit_id for p in parts if p.state not in gone}


def _state(a: dict[str, Any], case: Case, assignment, disclosure, explain: bool = True) -> Decision:
    rows = {"case": case, "assignment": assignment, "disclosure": disclosure}
    if rows[a["acts_on"]] is None:
        raise ValueError(f"action {a['name']!r} acts on a {a['acts_on']}: none given")
    for machine in (a["acts_on"], "case"):  # the row's own state first: the more specific reason
        row = rows[machine]
        if row.state not in a["states"][machine]:
            if not explain:
                return Decision(False, code="state")
            current = spec.state_label(case.body, machine, row.state)
            last = _last_change(case, row if machine == "assignment" else None) if machine != "disclosure" else ""
            return Decision(False, _("当前状态为“%(state)s”%(last)s，不能%(action)s。", state=current, last=last,
                                     action=spec.action_label(a["name"])), "state")
    return OK


def _last_change(case: Case, assignment: Assignment | None) -> str:
    """「（张三于 2025-03-03 10:00 签收）」: who moved the row last, for a page that was stale."""
    query = select(Event).where(Event.case_id == case.id, Event.to_state.is_not(None))
    query = query.where(Event.assignment_id == assignment.id) if assignment else query.where(
        Event.assignment_id.is_(None))
    event = db.session.scalar(query.order_by(Event.at.desc(), Event.id.desc()).limit(1))
    if event is None:
        return ""
    at = event.at.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return _("（%(who)s于 %(at)s %(action)s）", who=actor_name(event), at=at, action=spec.action_label(event.transition))


def actor_name(event: Event) -> str:
    """Who took an evented action: a user, a proposer through their personal link, or 系统."""
    if event.actor is not None:
        return event.actor.name
    proposer_id = (event.payload or {}).get("proposer_id")
    proposer = db.session.get(Proposer, proposer_id) if proposer_id else None
    return proposer.name if proposer else _("系统")


def _input(c: Context) -> Decision:
    if c.fields is not None:
        for name in c.action.get("required", ()):
            value = c.fields.get(name)
            if value is None or (isinstance(value, str) and not value.strip()) or value in ((), [], {}):
                return Decision(False, spec.missing_message(name), "required", name)
    for name in c.action.get("guards", ()):
        if reason := GUARDS[name](c):
            return Decision(False, reason, "guard", GUARD_FIELDS.get(name))
    return OK


def page_allowed(actor: Actor | None, page: str) -> bool:
    """May ``actor`` open a part of the app that is not a case action (menus, pages, API)?"""
    return actor is not None and getattr(actor, "role", None) in spec.page_roles(page)


def may_take(actor: Actor | None, name: str) -> bool:
    """Whether ``actor``'s role takes action ``name`` at all (in some state, in some body): for
    a menu entry such as 登记, before there is a case to ask about."""
    role = getattr(actor, "role", None)
    return any(role in workflow(body).actions[name]["roles"] for body in spec.BODIES)


def works_in_unit(actor: Actor) -> bool:
    """A unit's people (经办人, 负责人): they see and act for their own unit."""
    return getattr(actor, "role", None) in spec.roles_with_scope("unit")


# -- acting on the answer ------------------------------------------------------------------------

@dataclass
class Permit:
    """Leave to take one action on these rows; :meth:`apply` writes it (and moves the row)."""

    actor: Actor | None
    action: dict[str, Any]
    case: Case
    assignment: Assignment | None = None
    disclosure: Disclosure | None = None
    comment: str = ""
    applied: bool = field(default=False, init=False)

    def apply(self, payload: dict[str, Any] | None = None, to: str | None = None) -> Event:
        """Write the action's Event; ``to`` picks the state when the action has a choice."""
        if self.applied:
            raise RuntimeError(f"action {self.action['name']!r} applied twice")
        self.applied = True
        return _move_and_record(self.actor, self.action, self.case, self.assignment, self.disclosure,
                                self.comment, payload, to)


def require(actor: Actor | None, name: str, *, case: Case, assignment: Assignment | None = None,
            disclosure: Disclosure | None = None, comment: str = "",
            fields: dict[str, Any] | None = None) -> Permit:
    """A permit for the action, or the refusal raised (PermissionDenied, Conflict, ValidationError)."""
    answer = allowed(actor, name, case=case, assignment=assignment, disclosure=disclosure,
                     fields={"comment": comment, **(fields or {})})
    if not answer:
        raise answer.error()
    return Permit(actor, action(case.body, name), case, assignment, disclosure, comment)


def act(actor: Actor | None, name: str, *, comment: str = "", payload: dict[str, Any] | None = None,
        fields: dict[str, Any] | None = None, **rows: Any) -> Event:
    """:func:`require` and apply at once: for a service with nothing to write in between."""
    return require(actor, name, comment=comment, fields=fields, **rows).apply(payload)


def follow(actor: Actor | None, name: str, *, case: Case, assignment: Assignment | None = None,
           comment: str = "", payload: dict[str, Any] | None = None) -> Event:
    """Fire a ``system`` action as the consequence of ``actor``'s action (recorded as theirs)."""
    a = action(case.body, name)
    if SYSTEM not in a["roles"]:
        raise ValueError(f"action {name!r} is not fired by the system")
    answer = _state(a, case, assignment, None) and _input(Context(actor, a, case, assignment, None, {}))
    if not answer:
        raise answer.error()
    return _move_and_record(actor, a, case, assignment, None, comment, payload)


def can_follow(name: str, *, case: Case, assignment: Assignment | None = None) -> bool:
    """Whether a ``system`` action can fire from the rows' current states."""
    return bool(_state(action(case.body, name), case, assignment, None, explain=False))


def move(a: dict[str, Any], body: str, row: Any, to: str | None = None) -> tuple[str | None, str | None]:
    """Move ``row`` as action ``a`` does (when it has a ``to``): its state before and after, as the
    action's Event records them (None, None for an action that moves nothing)."""
    if not a.get("to"):
        return None, None
    choices = destinations(a["to"][a["acts_on"]])
    dest = to if len(choices) > 1 else choices[0]
    if dest not in choices:
        raise ValueError(f"action {a['name']!r} moves to one of {choices}, not {to!r}")
    before = row.state
    workflow(body).machines[a["acts_on"]].events[trigger(a, dest)].trigger(row)
    return before, row.state


def event_fields(actor: Actor | None, a: dict[str, Any], comment: str, payload: dict[str, Any] | None,
                 before: str | None, after: str | None) -> dict[str, Any]:
    """The columns of an action's Event besides its case and assignment."""
    payload = dict(payload or {})
    if actor is not None and actor.id is None:  # a proposer's personal link
        payload["proposer_id"] = actor.proposer_id
    return {"actor_id": actor.id if actor is not None else None, "transition": a["name"], "from_state": before,
            "to_state": after, "comment": comment.strip(), "payload": payload}


def _move_and_record(actor, a: dict[str, Any], case: Case, assignment, disclosure, comment: str,
                     payload: dict[str, Any] | None, to: str | None = None) -> Event:
    row = {"case": case, "assignment": assignment, "disclosure": disclosure}[a["acts_on"]]
    before, after = move(a, case.body, row, to)
    event = Event(case=case, assignment_id=assignment.id if assignment is not None else None,
                  **event_fields(actor, a, comment, payload, before, after))
    db.session.add(event)
    if a.get("counted", True):
        facts.mark(case)  # its statistics' facts are written anew before the transaction commits
    return event


# -- what a user may do on a case (pages, 待办, `flask workflow can`) -------------------------------

@dataclass(frozen=True)
class Answer:
    action: dict[str, Any]
    target: Any  # the case, one of its assignments or one of its disclosures
    decision: Decision


def answers(actor: Actor | None, case: Case, explain: bool = True) -> list[Answer]:
    """Every people's action of ``case``'s rule book on every row it can act on, answered
    (``explain=False``: refusals without the reason's look-ups, for a page that offers only what
    is allowed)."""
    targets = {"case": [case], "assignment": list(case.assignments),
               "disclosure": list(db.session.scalars(select(Disclosure).where(Disclosure.case_id == case.id)
                                                     .order_by(Disclosure.id)))}
    out = []
    for a in user_actions(case.body):
        for target in targets[a["acts_on"]]:
            rows = {a["acts_on"]: target} if a["acts_on"] != "case" else {}
            out.append(Answer(a, target, allowed(actor, a["name"], case=case, explain=explain, **rows)))
    return out
