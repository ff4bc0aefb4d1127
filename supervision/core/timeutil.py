"""Times are stored in UTC and shown in Asia/Shanghai."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_now() -> datetime:
    return utcnow().astimezone(LOCAL_TZ)


def local_today() -> date:
    return local_now().date()


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ)


def local_datetime(day: date, at: time) -> datetime:
    """A wall-clock time in Shanghai, as an aware datetime."""
    return datetime.combine(day, at, tzinfo=LOCAL_TZ)


def local_day_bounds_utc(day: date) -> tuple[datetime, datetime]:
    """The UTC instants at which a Shanghai calendar day starts and ends."""
    start = datetime.combine(day, time.min, tzinfo=LOCAL_TZ)
    end = datetime.combine(day, time.max, tzinfo=LOCAL_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)
