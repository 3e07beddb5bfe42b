from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from caseflow import clock
from caseflow.models.base import Base, one_of

# content types accepted for upload (checked against the file's content, not its name)
ALLOWED_CONTENT_TYPES = {
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "image/jpeg": "jpg",
    "image/png": "png",
}
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


class Attachment(Base):
    """A stored file; the bytes live on disk under the instance folder, named by hash."""

    __tablename__ = "attachments"
    __table_args__ = (
        one_of("content_type", ALLOWED_CONTENT_TYPES),
        CheckConstraint(f"size > 0 AND size <= {MAX_ATTACHMENT_BYTES}", name="size_limit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)
