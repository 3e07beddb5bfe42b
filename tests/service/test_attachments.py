"""Uploads: the type is what the bytes are, not what the name says; a file is stored once by its hash."""
from __future__ import annotations

import zipfile
from io import BytesIO

import pytest
from werkzeug.datastructures import FileStorage

from caseflow.errors import ValidationError
from caseflow.models import Attachment
from caseflow.models.attachment import MAX_ATTACHMENT_BYTES
from caseflow.services import attachments

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def zipped(*names: str) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return out.getvalue()


@pytest.mark.parametrize("data, kind", [
    (b"%PDF-1.7\n...", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n....", "image/png"),
    (b"\xff\xd8\xff\xe0....", "image/jpeg"),
    (OLE2 + b"\x00" * 40 + "Workbook".encode("utf-16-le"), "application/vnd.ms-excel"),
    (OLE2 + b"\x00" * 40 + "WordDocument".encode("utf-16-le"), "application/msword"),
    (zipped("[Content_Types].xml", "word/document.xml"), DOCX),
    (zipped("[Content_Types].xml", "xl/workbook.xml"), XLSX),
    (zipped("payload.exe"), None),                 # a zip, but no Office document
    (b"PK\x03\x04 not really a zip", None),        # a zip's first bytes only
    (b"MZ\x90\x00", None),                         # a program
    (b"%PD", None),                                # too short to be a PDF
])
def test_the_type_is_read_from_the_bytes(data, kind):
    assert attachments.sniff(data) == kind


def upload(data: bytes, name: str | None = "文件.pdf") -> FileStorage:
    return FileStorage(BytesIO(data), name)


def test_an_accepted_file_is_stored_once_under_its_hash(app, make, db, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(tmp_path))
    user = make.user("dispatcher")
    data = b"%PDF-1.4 the letter"
    first = attachments.store(upload(data, "C:/扫描件/答复函.pdf"), user, None)
    (tmp_path / first.sha256).write_bytes(b"%PDF-1.4 kept")  # a second upload must not rewrite the file
    second = attachments.store(upload(data, None), user, None)
    db.session.flush()
    import hashlib
    digest = hashlib.sha256(data).hexdigest()
    assert [(a.filename, a.content_type, a.size, a.sha256, a.uploaded_by_id) for a in (first, second)] == [
        ("答复函.pdf", "application/pdf", len(data), digest, user.id),
        ("附件", "application/pdf", len(data), digest, user.id)]
    assert [p.name for p in tmp_path.iterdir()] == [digest]
    assert (tmp_path / digest).read_bytes() == b"%PDF-1.4 kept"
    assert attachments.path_of(first) == tmp_path / digest


@pytest.mark.parametrize("data, only, message", [
    (b"", None, "文件“文件.pdf”是空的。"),
    (b"%PDF-" + b"0" * MAX_ATTACHMENT_BYTES, None, "文件“文件.pdf”超过 20 MB。"),
    (b"MZ\x90\x00", None, "文件“文件.pdf”的类型不允许，只能上传 PDF、Word、Excel、JPG、PNG。"),
    (b"\x89PNG\r\n\x1a\n....", ("application/pdf",), "文件“文件.pdf”的类型不允许，只能上传 PDF。"),
])
def test_a_refused_file_is_neither_stored_nor_written(app, make, db, tmp_path, monkeypatch, data, only, message):
    monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(tmp_path))
    with pytest.raises(ValidationError) as refused:
        attachments.store(upload(data), make.user("dispatcher"), None, field="letter", only=only)
    assert (str(refused.value.message), refused.value.field) == (message, "letter")
    assert list(tmp_path.iterdir()) == [] and db.session.query(Attachment).count() == 0


def test_the_exactly_largest_file_is_accepted(app, make, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(tmp_path))
    data = b"%PDF-" + b"0" * (MAX_ATTACHMENT_BYTES - 5)
    assert attachments.store(upload(data), make.user("dispatcher"), None).size == MAX_ATTACHMENT_BYTES
