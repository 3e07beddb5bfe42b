"""Uploaded files: size-limited, type checked by content (not by name), stored by hash."""
from __future__ import annotations

import hashlib
import zipfile
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from caseflow.errors import ValidationError
from caseflow.extensions import db
from caseflow.i18n import join
from caseflow.models import Attachment, User
from caseflow.models.attachment import MAX_ATTACHMENT_BYTES

ALLOWED_KINDS = ("PDF", "Word", "Excel", "JPG", "PNG")  # what the pages say is allowed


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are, among the allowed ones, else None."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: legacy Word or Excel
        return "application/vnd.ms-excel" if b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k" in data else "application/msword"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def store(upload: FileStorage, actor: User, case_id: int | None, field: str = "attachment",
          only: tuple[str, ...] | None = None) -> Attachment:
    """Check and save one upload; raises ValidationError (for ``field``) when refused.

    Adds the row to the session without committing: the calling service commits it
    with the rest of its change.
    """
    data = upload.stream.read(MAX_ATTACHMENT_BYTES + 1)
    name = (upload.filename or "附件").rsplit("/", 1)[-1][:255]
    if not data:
        raise ValidationError(_("文件“%(name)s”是空的。", name=name), field)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationError(_("文件“%(name)s”超过 %(value)s MB。",
                                name=name, value=MAX_ATTACHMENT_BYTES // 1024 // 1024), field)
    content_type = sniff(data)
    if content_type is None or (only and content_type not in only):
        allowed = "PDF" if only == ("application/pdf",) else join(ALLOWED_KINDS)
        raise ValidationError(_("文件“%(name)s”的类型不允许，只能上传 %(allowed)s。", name=name, allowed=allowed), field)
    digest = hashlib.sha256(data).hexdigest()
    folder = Path(current_app.config["ATTACHMENT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / digest
    if not path.exists():
        path.write_bytes(data)
    row = Attachment(case_id=case_id, filename=name, content_type=content_type, size=len(data), sha256=digest,
                     uploaded_by_id=actor.id)
    db.session.add(row)
    return row


def path_of(attachment: Attachment) -> Path:
    return Path(current_app.config["ATTACHMENT_DIR"]) / attachment.sha256
