"""The proposer's evaluation (征询意见) and the later review (回头看)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caseflow import clock
from caseflow.i18n import N_, Labels
from caseflow.models.base import Base, one_of

SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")
SATISFACTION_LABELS = Labels({"satisfied": N_("满意"), "basically_satisfied": N_("基本满意"),
                              "dissatisfied": N_("不满意")})
# "no_response": the evaluation window passed without an answer (recorded as such)
OVERALL = (*SATISFACTION, "no_response")
FEEDBACK_CHANNELS = ("link", "login", "clerk", "timeout")
FOLLOW_UP_STAGES = ("before", "during", "after")
FOLLOW_UP_STAGE_LABELS = Labels({"before": N_("办理前"), "during": N_("办理中"), "after": N_("完成办理后")})


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        one_of("overall", OVERALL),
        one_of("attitude", SATISFACTION),
        one_of("result", SATISFACTION),
        one_of("channel", FEEDBACK_CHANNELS),
        UniqueConstraint("case_id", "ordinal"),
        CheckConstraint("ordinal > 0", name="ordinal_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id"), index=True)
    ordinal: Mapped[int]
    overall: Mapped[str] = mapped_column(String(30))
    attitude: Mapped[str | None] = mapped_column(String(30))
    result: Mapped[str | None] = mapped_column(String(30))
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(10))
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("proposers.id"))
    given_at: Mapped[datetime] = mapped_column(default=clock.now)


class FollowUp(Base):
    """回头看: a later review of a replied case, possibly raising its result class."""

    __tablename__ = "follow_ups"
    __table_args__ = (one_of("stage", FOLLOW_UP_STAGES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    stage: Mapped[str] = mapped_column(String(10))
    original_result_class_id: Mapped[int | None] = mapped_column(ForeignKey("result_classes.id"))
    current_result_class_id: Mapped[int | None] = mapped_column(ForeignKey("result_classes.id"))
    note: Mapped[str] = mapped_column(Text)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))  # optional 二次答复
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=clock.now)
