"""Who gets a reminder, what it says, and the channels that carry it (DESIGN §4).

Recipients (active users only, each once):

- before-due and due reminders of an assignment (``reply_*``, ``co_opinion_*``): the handlers
  and unit leaders of the assignment's unit;
- overdue reminders of an assignment: the same, escalated to every dispatcher;
- case reminders (``feedback`` window, ``disclosure`` due): the dispatchers.

Channels: everyone gets an in-app :class:`Notification`; a user with an e-mail address an
e-mail over SMTP (config ``MAIL_*``), a user with a phone number an SMS through the
:class:`SmsSender` named by ``SMS_BACKEND`` (by default :class:`LoggingSms`, which only logs).
The scheduler (``caseflow/scheduler.py``) decides when, and records what went out.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import re
import smtplib
import ssl
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import select
from werkzeug.utils import import_string

from caseflow import clock
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Disclosure, Reminder, Unit, User
from caseflow.models.assignment import DONE
from caseflow.models.base import BODY_LABELS
from caseflow.services import feedback
from caseflow.workflow import spec

log = logging.getLogger(__name__)

PURPOSE_LABELS = {
    "reply": "答复提出人",
    "co_opinion": "提交会办意见",
    "feedback": "征询提出人意见",
    "disclosure": "答复公开",
}


@dataclass(frozen=True)
class Recipient:
    user_id: int
    name: str
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class About:
    """What a reminder is about, as it stands when the reminder is sent."""

    case_id: int
    body: str
    number: int
    title: str
    case_state: str
    disclosure_pending: bool
    # the assignment's part (None for case reminders)
    assignment_state: str | None = None
    due_date: date | None = None
    role: str | None = None
    unit_id: int | None = None
    unit_name: str = ""
    merged_feedback_due: bool = False  # 并案: a merged case whose primary's reply awaits its evaluation


@dataclass(frozen=True)
class Notice:
    title: str  # the mail's subject and the notification's title
    text: str  # the mail's body (after the greeting) and the notification's body
    sms: str
    link: str


def purpose_of(kind: str) -> str:
    """``reply_before_15`` → ``reply``; ``co_opinion_overdue`` → ``co_opinion``."""
    for marker in ("_before_", "_due", "_overdue"):
        if marker in kind:
            return kind.split(marker)[0]
    raise ValueError(f"unknown reminder kind {kind!r}")


def is_overdue(kind: str) -> bool:
    return kind.endswith("_overdue")


def load_context(batch: Iterable[Any]) -> dict[int, About]:
    """``About`` for every reminder of a batch, read with three queries."""
    batch = list(batch)
    case_ids = {r.case_id for r in batch}
    cases = {c.id: c for c in db.session.execute(
        select(Case.id, Case.body, Case.number, Case.title, Case.state).where(Case.id.in_(case_ids)))}
    parts = {a.id: a for a in db.session.execute(
        select(Assignment.id, Assignment.state, Assignment.due_date, Assignment.role, Assignment.unit_id, Unit.name)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.id.in_({r.assignment_id for r in batch if r.assignment_id})))}
    disclosing = set(db.session.scalars(select(Disclosure.case_id).distinct().where(
        Disclosure.case_id.in_(case_ids), Disclosure.state.in_(spec.group("disclosure", "undecided")))))
    merged_waiting = feedback.awaiting_merged_feedback(
        c.id for c in cases.values() if c.state in spec.group("case", "void"))
    about = {}
    for r in batch:
        c = cases[r.case_id]
        a = parts.get(r.assignment_id)
        about[r.id] = About(
            case_id=c.id, body=c.body, number=c.number, title=c.title, case_state=c.state,
            disclosure_pending=c.id in disclosing, merged_feedback_due=c.id in merged_waiting,
            **({"assignment_state": a.state, "due_date": a.due_date, "role": a.role, "unit_id": a.unit_id,
                "unit_name": a.name} if a else {}),
        )
    return about


def still_due(reminder: Any, about: About) -> bool:
    """Whether the reason for the reminder still holds now (else it is cancelled, not sent):
    the case goes on, the assignment is open with the same due date, the evaluation window
    is open (case replied, or a merged case's primary replied), a disclosure decision is still pending."""
    if about.merged_feedback_due and reminder.assignment_id is None and purpose_of(reminder.kind) == "feedback":
        return True
    if about.case_state in spec.group("case", "ended"):
        return False
    if reminder.assignment_id is not None:
        return about.assignment_state not in DONE and about.due_date == reminder.deadline
    purpose = purpose_of(reminder.kind)
    if purpose == "feedback":
        return about.case_state in spec.group("case", "awaiting_feedback")
    if purpose == "disclosure":
        return about.disclosure_pending
    return False


def recipients_of(reminder: Any, unit_people: list[Recipient], dispatchers: list[Recipient]) -> list[Recipient]:
    """The rule of the module docstring, for one reminder."""
    if reminder.assignment_id is None:
        people = dispatchers
    else:
        people = unit_people + (dispatchers if is_overdue(reminder.kind) else [])
    return list({p.user_id: p for p in people}.values())


def people(unit_ids: Iterable[int]) -> tuple[dict[int, list[Recipient]], list[Recipient]]:
    """Active people of these units (by unit: 经办人 and 负责人), and the active dispatchers (the
    rule book's ``escalate_to``)."""
    unit_roles, escalated = spec.roles_with_scope("unit"), spec.escalation_roles()
    query = select(User.id, User.name, User.email, User.phone, User.unit_id, User.role).where(
        User.active.is_(True),
        ((User.role.in_(unit_roles) & User.unit_id.in_(set(unit_ids))) | User.role.in_(escalated)),
    ).order_by(User.id)
    by_unit: dict[int, list[Recipient]] = defaultdict(list)
    dispatchers = []
    for u in db.session.execute(query):
        person = Recipient(u.id, u.name, u.email or None, u.phone or None)
        (dispatchers if u.role in escalated else by_unit[u.unit_id]).append(person)
    return by_unit, dispatchers


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def compose(reminder: Any, about: About, today: date, base_url: str) -> Notice:
    """The Chinese text of a reminder; the days left are counted on the day it is sent."""
    left = (reminder.deadline - today).days
    status = f"还有{left}天到期" if left > 0 else "今天到期" if left == 0 else f"已逾期{-left}天"
    what = PURPOSE_LABELS[purpose_of(reminder.kind)]
    case_label = f"{BODY_LABELS[about.body]}第{about.number}号"
    tag = "【逾期督办】" if is_overdue(reminder.kind) else "【办理提醒】"
    link = f"{base_url.rstrip('/')}/cases/{about.case_id}"
    lines = [f"{case_label}“{about.title}”"]
    if about.unit_name:
        lines.append(f"承办单位：{about.unit_name}（{spec.assignment_role_label(about.role)}）")
    lines += [
        f"事项：{what}",
        f"期限：{_day(reminder.deadline)}（{status}）",
        "",
        f"请登录建议提案办理系统办理：{link}",
    ]
    return Notice(
        title=f"{tag}{case_label}{what}{status}",
        text="\n".join(lines),
        sms=f"{tag}{case_label}{what}期限{_day(reminder.deadline)}，{status}。请登录系统办理。",
        link=link,
    )


def message_id(reminder_id: int, address: str, base_url: str) -> str:
    """The same Message-ID on every attempt, so a message sent twice is recognisable."""
    digest = hashlib.sha1(address.strip().lower().encode()).hexdigest()[:12]
    return f"<reminder-{reminder_id}.{digest}@{urlsplit(base_url).hostname or 'caseflow'}>"


def email(notice: Notice, to: Recipient, msg_id: str, sender: str, now: datetime) -> bytes:
    """A plain-text UTF-8 message: base64 body, RFC 2047 encoded-word headers, CRLF line ends
    (smtplib sends bytes as they are, and servers refuse bare LF).

    Written out directly: ``email.mime`` folds every header through ``email.header`` objects,
    which made building the message the costliest step of a sweep.
    """
    body = f"{to.name}：\n\n{notice.text}\n\n（本邮件由系统自动发送，请勿直接回复。）\n"
    headers = (
        f"From: {_sender(sender)}\r\n"
        f"To: {_encoded_words(to.name)} <{to.email}>\r\n"
        f"Subject: {_encoded_words(notice.title)}\r\n"
        f"Date: {format_datetime(now.astimezone(clock.LOCAL_TZ))}\r\n"
        f"Message-ID: {msg_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return headers.encode("ascii") + base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n")


def _encoded_words(text: str) -> str:
    """RFC 2047 UTF-8 encoded words, 10 characters each (at most 68 bytes a word), one per line."""
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(text[i:i + 10].encode()).decode()}?="
                        for i in range(0, len(text), 10))


@cache
def _sender(sender: str) -> str:
    return formataddr(parseaddr(sender), charset="utf-8")


class Mailer:
    """SMTP with one connection reused for many messages (a scheduler batch).

    Once the server cannot be reached, every later send fails at once with the same error
    instead of waiting for the timeout again. A server that offers PIPELINING (RFC 2920, as
    common relays do) gets a message's MAIL, RCPT and DATA in one write: two round trips a
    message instead of four.
    """

    def __init__(self, config: Mapping[str, Any]):
        self.config = config
        self._smtp: smtplib.SMTP | None = None
        self._down: Exception | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        smtp = smtplib.SMTP(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=c["MAIL_TIMEOUT"])
        try:
            if c["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if c["MAIL_USERNAME"]:
                smtp.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"] or "")
            smtp.ehlo_or_helo_if_needed()  # what the server offers, before the first message
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, to: str, message: bytes) -> None:
        if self._down is not None:
            raise self._down
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except (OSError, smtplib.SMTPException) as e:
                self._down = e
                raise
        try:
            if self._smtp.has_extn("pipelining"):
                _pipelined(self._smtp, self.config["MAIL_SENDER"], to, message)
            else:
                self._smtp.sendmail(self.config["MAIL_SENDER"], [to], message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
            raise  # this message was refused; the connection is still good
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _pipelined(smtp: smtplib.SMTP, sender: str, to: str, message: bytes) -> None:
    """``smtp.sendmail(sender, [to], message)`` with the envelope in one write; the same errors."""
    size = f" SIZE={len(message)}" if smtp.has_extn("size") else ""
    smtp.send(f"MAIL FROM:{smtplib.quoteaddr(sender)}{size}\r\nRCPT TO:{smtplib.quoteaddr(to)}\r\nDATA\r\n")
    (mail, mail_reply), (rcpt, rcpt_reply), (data, data_reply) = (smtp.getreply() for _ in range(3))
    if data == 354 and (mail != 250 or rcpt not in (250, 251)):
        smtp.send(b".\r\n")  # the server waits for a message: an empty one, refused by it or dropped by RSET
        smtp.getreply()
    if mail != 250 or rcpt not in (250, 251) or data != 354:
        smtp.rset()
        if mail != 250:
            raise smtplib.SMTPSenderRefused(mail, mail_reply, sender)
        if rcpt not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({to: (rcpt, rcpt_reply)})
        raise smtplib.SMTPDataError(data, data_reply)
    content = re.sub(rb"(?m)^\.", b"..", message)  # dot-stuffing, as smtplib does
    smtp.send(content + (b"" if content.endswith(b"\r\n") else b"\r\n") + b".\r\n")
    code, reply = smtp.getreply()
    if code != 250:
        smtp.rset()
        raise smtplib.SMTPDataError(code, reply)


class SmsSender(Protocol):
    """An SMS gateway. ``send`` raises when the gateway did not accept the message."""

    def send(self, phone: str, text: str) -> None: ...


class LoggingSms:
    """The default SMS "gateway": writes the message to the log (no gateway is configured)."""

    def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", phone, text)


def sms_sender(config: Mapping[str, Any]) -> SmsSender:
    """The gateway named by ``SMS_BACKEND`` ("module:Class")."""
    return import_string(config["SMS_BACKEND"])()


def failed_reminders() -> list[Reminder]:
    """Reminders given up after ``REMINDER_MAX_ATTEMPTS`` failed deliveries, oldest first."""
    return list(db.session.scalars(
        select(Reminder).where(Reminder.state == "failed").order_by(Reminder.send_on, Reminder.id)))
