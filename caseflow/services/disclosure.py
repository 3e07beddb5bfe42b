"""公开 / 不予公开 of a sent reply (a track beside the case state)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, select

from caseflow import clock
from caseflow.errors import ValidationError
from caseflow.extensions import db
from caseflow.models import Disclosure, User
from caseflow.models.disclosure import DISCLOSURE_SCOPES
from caseflow.services import reminders
from caseflow.services.base import get, transaction
from caseflow.workflow import engine, spec


def _decided(actor: User, d: Disclosure) -> None:
    d.decided_by_id = actor.id
    d.decided_at = clock.now()
    still_pending = db.session.scalar(select(exists().where(
        Disclosure.case_id == d.case_id, Disclosure.state.in_(spec.group("disclosure", "undecided")),
        Disclosure.id != d.id)))
    if not still_pending:
        reminders.sync_case(d.case, "disclosure", None)


def publish(actor: User, disclosure_id: int, version: int, scope: str, published_text: str) -> Disclosure:
    """公开: the consent must allow it and the text must hold no contact or ID data."""
    with transaction():
        d = get(Disclosure, disclosure_id, version)
        text = d.case.title if d.case.consent == "title_only" else published_text.strip()
        permit = engine.require(actor, "publish", case=d.case, disclosure=d,
                                fields={"scope": scope, "published_text": text})
        if scope not in DISCLOSURE_SCOPES:
            raise ValidationError(_("请选择全文公开或摘要公开。"), "scope")
        permit.apply({"reply_id": d.reply_id, "scope": scope})
        d.scope, d.published_text = scope, text
        _decided(actor, d)
    return d


def withhold(actor: User, disclosure_id: int, version: int, reason: str) -> Disclosure:
    """不予公开, with the reason recorded."""
    with transaction():
        d = get(Disclosure, disclosure_id, version)
        engine.act(actor, "withhold", case=d.case, disclosure=d, comment=reason, payload={"reply_id": d.reply_id})
        d.reason = reason.strip()
        _decided(actor, d)
    return d
