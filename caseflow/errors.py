"""Exceptions raised by services, each carrying a message for the user (in Chinese)."""
from __future__ import annotations


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, field: str | None = None):
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

    def __init__(self, message: str = "该记录已被他人修改，请刷新页面后重试。"):
        super().__init__(message)
