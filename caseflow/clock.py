"""The one source of "now", so deadline tests can freeze time."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_frozen: datetime | None = None


def now() -> datetime:
    """Aware UTC datetime."""
    return _frozen if _frozen is not None else datetime.now(timezone.utc)


def today() -> date:
    """Today's date in Shanghai, which is what deadlines count in."""
    return now().astimezone(LOCAL_TZ).date()


def freeze(moment: datetime | None) -> None:
    """Freeze the clock at ``moment`` (aware); ``None`` lets it run again."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = moment.astimezone(timezone.utc) if moment else None
