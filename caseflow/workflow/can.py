"""“Why can I not press 签收?”: every action of a case's rule book answered for one user, as
``flask workflow can`` prints it and the admin page shows it."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from caseflow.extensions import db
from caseflow.i18n import N_, Labels, aside
from caseflow.models import Assignment, Case, Disclosure, Reply
from caseflow.workflow import engine, spec


@dataclass(frozen=True)
class Line:
    name: str
    label: str
    about: str  # the row, when the action acts on one of several (「（区民政局）」)
    decision: engine.Decision


def about(target) -> str:
    if isinstance(target, Assignment):
        return aside("", f"{target.unit.name} · {target.role_label}")
    if isinstance(target, Disclosure):
        return aside("", _("第%(ordinal)s次答复的公开", ordinal=db.session.get(Reply, target.reply_id).ordinal))
    return ""


NO_ROWS = Labels({"assignment": N_("本件尚未交办给任何单位。"), "disclosure": N_("本件还没有签发的答复可以公开。")})


def explain(user, case: Case, assignment_id: int | None = None) -> list[Line]:
    """A line for every people's action: on each row it can act on, or one saying there is none."""
    lines = [Line(a.action["name"], spec.action_label(a.action["name"]), about(a.target), a.decision)
             for a in engine.answers(user, case)
             if assignment_id is None or not isinstance(a.target, Assignment) or a.target.id == assignment_id]
    answered = {line.name for line in lines}
    for a in engine.user_actions(case.body):
        if a["name"] not in answered:
            lines.append(Line(a["name"], spec.action_label(a["name"]), "",
                              engine.Decision(False, NO_ROWS[a["acts_on"]], "state")))
    return lines
