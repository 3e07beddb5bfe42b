from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caseflow import clock
from caseflow.models.base import Base, one_of

REMINDER_STATES = ("pending", "sent", "cancelled", "failed")
DELIVERY_CHANNELS = ("email", "sms")


class Reminder(Base):
    """A reminder to send, stored as a row when the state change that implies it happens.

    ``(target, kind, send_on)`` is unique, so recomputing reminders never doubles one.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        one_of("state", REMINDER_STATES),
        UniqueConstraint("target", "kind", "send_on"),
        Index("ix_reminders_due", "state", "send_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), index=True)
    target: Mapped[str] = mapped_column(String(40))  # e.g. "assignment:12", "case:5"
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "reply_due_before_15", "overdue"
    deadline: Mapped[date]  # the due date this reminder is about
    send_on: Mapped[date]
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Notification(Base):
    """An in-app notice shown under the bell."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    read_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("user_id", "reminder_id"),)


class ReminderDelivery(Base):
    """One message of a reminder that an external channel (e-mail, SMS) accepted.

    The scheduler commits it on its own right after the send, before the reminder is marked
    sent, so a scheduler that dies in between does not send that message again.
    """

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        one_of("channel", DELIVERY_CHANNELS),
        UniqueConstraint("reminder_id", "channel", "recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id"))
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(120))  # an e-mail address or a phone number
    message_id: Mapped[str] = mapped_column(String(200), default="")
    delivered_at: Mapped[datetime] = mapped_column(default=clock.now)
