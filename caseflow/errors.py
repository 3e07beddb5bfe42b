"""Exceptions raised by services, each carrying a message for the user (a Chinese msgid, in the
request's language)."""
from __future__ import annotations

from flask_babel import gettext as _


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, field: str | None = None):
        message = str(message)  # a lazy message is read now: the message is flashed, kept in the session
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(ServiceError):
    """Bad input; ``field`` names the form field the message belongs next to."""


class PermissionDenied(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    """Someone else changed the row since the user loaded it."""

    status = 409

    def __init__(self, message: str | None = None):
        super().__init__(message or _("该记录已被他人修改，请刷新页面后重试。"))
