from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow import clock
from caseflow.models.attachment import Attachment
from caseflow.models.base import Base
from caseflow.models.user import User
from caseflow.models.vocabulary import ResultClass


class Reply(Base):
    """答复: the lead unit's formal answer; ordinal 2+ are second replies (重新办理, 回头看).

    A reply is drafted, signed (签发) by a unit leader and then sent (replied_at).
    """

    __tablename__ = "replies"
    __table_args__ = (
        UniqueConstraint("assignment_id", "ordinal"),
        CheckConstraint("ordinal > 0", name="ordinal_positive"),
        CheckConstraint("replied_at IS NULL OR signed_at IS NOT NULL", name="sent_only_signed"),
        CheckConstraint(
            "signed_at IS NULL OR signer_id IS NOT NULL", name="signed_has_signer"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    ordinal: Mapped[int] = mapped_column(default=1)
    doc_number: Mapped[str] = mapped_column(String(50), default="")  # 文号
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # 签发人
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    result_class_id: Mapped[int | None] = mapped_column(ForeignKey("result_classes.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    cc: Mapped[str] = mapped_column(String(200), default="")  # 抄送
    returned_note: Mapped[str | None] = mapped_column(Text)  # the leader's 退回修改: with the handler till saved
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    signed_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(default=1)

    assignment: Mapped["Assignment"] = relationship()  # noqa: F821
    attachment: Mapped[Attachment | None] = relationship()
    signer: Mapped[User | None] = relationship(foreign_keys=[signer_id])
    result_class: Mapped[ResultClass | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class CoOpinion(Base):
    """会办意见: a co-unit's written input to the lead unit."""

    __tablename__ = "co_opinions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(default=clock.now)

    attachment: Mapped[Attachment | None] = relationship()
