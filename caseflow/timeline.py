"""A case's history, read from the append-only event log, and what a proposer may see of it.

Staff read every event with who did it and the comment. A proposer (through their account or
personal link) reads only the kinds of event listed in ``PROPOSER_SEES``, with the unit (or the
office) instead of a staff member's name, and the comment only where the table says so. The same
``outsider`` question hides the case page's internal parts (会办意见, 沟通记录, reasons of requests,
the signer) from them. Every action of the rule book must be decided here: a test fails until a
new one is.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseflow.extensions import db
from caseflow.models import Case, Event, Proposer, User
from caseflow.workflow import spec

HIDDEN, LABEL, WITH_COMMENT = "hidden", "label", "comment"

# per kind of event: what a proposer sees of it
PROPOSER_SEES: dict[str, str] = {
    "register": LABEL, "assign": LABEL, "add_units": LABEL, "start": LABEL, "accept": LABEL,
    "approve_extension": LABEL, "contact": LABEL, "sign_reply": LABEL, "second_reply": LABEL, "reply": LABEL,
    "reopen": LABEL, "evaluation_lapsed": LABEL, "publish": LABEL, "withhold": LABEL, "close": LABEL,
    "follow_up": LABEL, "follow_primary": LABEL,  # a merged case answered by its primary's reply
    # why a case ends without a reply is the proposer's business; their own evaluation is theirs
    "withdraw": WITH_COMMENT, "merge": WITH_COMMENT, "give_feedback": WITH_COMMENT, "evaluate_merged": WITH_COMMENT,
    # the offices' internal steps: 会办意见, drafts and their returns, requests between unit and 督查科
    "key_case": HIDDEN, "co_opinion_override": HIDDEN, "request_return": HIDDEN, "approve_return": HIDDEN,
    "reject_return": HIDDEN, "unassign": HIDDEN, "request_extension": HIDDEN, "reject_extension": HIDDEN,
    "send_opinion": HIDDEN, "draft_reply": HIDDEN, "draft_second_reply": HIDDEN, "edit_draft": HIDDEN,
    "return_draft": HIDDEN, "add_files": HIDDEN, "due_recomputed": HIDDEN,
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str  # who did it: a user, a proposer through their link, or 系统
    action: str  # the Chinese label of the transition or action
    comment: str
    event: Event


def outsider(viewer) -> bool:
    """A proposer (account or personal link): sees the case as its proposer, not as the offices do."""
    return getattr(viewer, "role", None) in spec.roles_with_scope("own")


def case_timeline(case: Case, viewer=None) -> list[Entry]:
    """The events of ``case`` that ``viewer`` may see (None: staff, every one), oldest first."""
    events = db.session.scalars(
        select(Event).where(Event.case_id == case.id).options(selectinload(Event.actor).selectinload(User.unit))
        .order_by(Event.at, Event.id)
    ).all()
    proposer_ids = {e.payload.get("proposer_id") for e in events if e.actor is None} - {None}
    proposers = {p.id: p.name for p in db.session.scalars(select(Proposer).where(Proposer.id.in_(proposer_ids)))
                 } if proposer_ids else {}
    if not outsider(viewer):
        return [Entry(e.at, e.actor.name if e.actor else proposers.get(e.payload.get("proposer_id"), _("系统")),
                      spec.action_label(e.transition), e.comment, e) for e in events]
    return [Entry(e.at, _seen_actor(e, proposers), spec.action_label(e.transition),
                  e.comment if PROPOSER_SEES[e.transition] == WITH_COMMENT else "", e)
            for e in events if PROPOSER_SEES.get(e.transition, HIDDEN) != HIDDEN]


def _seen_actor(e: Event, proposers: dict[int, str]) -> str:
    """A proposer sees proposers by name, staff only by their unit or office."""
    if e.actor is None:
        return proposers.get(e.payload.get("proposer_id"), _("系统"))
    if e.actor.proposer_id is not None:
        return e.actor.name
    return e.actor.unit.name if e.actor.unit else e.actor.role_label
