"""Proposers' personal links (个人链接): a signed token naming an AccessLink row.

The signature (itsdangerous, the app's SECRET_KEY and a salt) makes the token unguessable;
expiry and revocation live in the row, so a link can be withdrawn at any time.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select, update

from caseflow import clock
from caseflow.errors import PermissionDenied, ValidationError
from caseflow.extensions import db
from caseflow.models import AccessLink, Proposer, User
from caseflow.services import security_log
from caseflow.services.base import get, transaction
from caseflow.workflow import engine

SALT = "caseflow.proposer-link"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _check(actor: User) -> None:
    if not engine.page_allowed(actor, "proposer_links"):
        raise PermissionDenied(_("只有督查科或系统管理员可以管理代表委员的个人链接。"))


def token_for(link: AccessLink) -> str:
    return _serializer().dumps(link.id)


def create_link(actor: User, proposer_id: int) -> tuple[AccessLink, str, int]:
    """A new link valid for ACCESS_LINK_DAYS; returns the row, its token (shown once) and how many
    earlier links it revoked.

    The proposer's earlier links are revoked: only the newest one opens their page (a link sent
    to a wrong address, or forwarded, ends when a new one is issued).
    """
    _check(actor)
    with transaction():
        proposer = get(Proposer, proposer_id)
        revoked = db.session.execute(update(AccessLink).where(
            AccessLink.proposer_id == proposer.id, AccessLink.revoked_at.is_(None),
            AccessLink.expires_at > clock.now()).values(revoked_at=clock.now())).rowcount
        link = AccessLink(proposer_id=proposer.id,
                          expires_at=clock.now() + timedelta(days=current_app.config["ACCESS_LINK_DAYS"]))
        db.session.add(link)
        db.session.flush()
        security_log.record("link_created", actor=actor, username=proposer.name,
                            detail=f"链接 {link.id}，撤销此前链接：{revoked}")
    return link, token_for(link), revoked


def revoke_link(actor: User, link_id: int) -> AccessLink:
    _check(actor)
    with transaction():
        link = get(AccessLink, link_id)
        if link.revoked_at is not None:
            raise ValidationError(_("该链接已撤销。"))
        link.revoked_at = clock.now()
        security_log.record("link_revoked", actor=actor, username=get(Proposer, link.proposer_id).name,
                            detail=f"链接 {link.id}")
    return link


def active_links(proposer_ids: list[int]) -> dict[int, list[AccessLink]]:
    """Unrevoked, unexpired links of these proposers, newest first."""
    links: dict[int, list[AccessLink]] = {}
    for link in db.session.scalars(
        select(AccessLink).where(AccessLink.proposer_id.in_(proposer_ids), AccessLink.revoked_at.is_(None),
                                 AccessLink.expires_at > clock.now()).order_by(AccessLink.id.desc())
    ):
        links.setdefault(link.proposer_id, []).append(link)
    return links


def resolve(token: str) -> Proposer | None:
    """The proposer a token belongs to; None when it is tampered with, expired or revoked."""
    try:
        link_id = _serializer().loads(token)
    except BadData:
        return None
    link = db.session.get(AccessLink, link_id) if isinstance(link_id, int) else None
    if link is None or link.revoked_at is not None or link.expires_at <= clock.now():
        return None
    return db.session.get(Proposer, link.proposer_id)
