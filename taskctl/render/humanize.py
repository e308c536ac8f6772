"""Times and durations for human views: local time with its age, and compact durations."""

from __future__ import annotations

from datetime import UTC, datetime


def local_time(iso: str, now: datetime | None = None) -> str:
    """``2026-11-28T06:00:00+00:00`` as local time with its age: ``2026-11-28 14:00:00 CST (3 min ago)``."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    current = now or datetime.now(UTC)
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname() or ''}".rstrip() + f" ({age(current - moment)})"


def age(delta: object) -> str:
    seconds = delta.total_seconds()  # type: ignore[attr-defined]
    if abs(seconds) < 1:
        return "just now"
    text = duration(abs(seconds), coarse=True)
    return f"{text} ago" if seconds > 0 else f"in {text}"


def duration(seconds: float, coarse: bool = False) -> str:
    """``3725`` → ``1h 2m 5s``; coarse keeps the two largest units (``1h 2m``)."""
    if seconds < 0:
        return "-" + duration(-seconds, coarse)
    if not seconds < 100 * 31536000:  # a century or more (or inf/nan): the number says it better
        return f"{seconds:g}s"
    remaining = int(round(seconds))
    parts: list[str] = []
    for unit, size in (("y", 31536000), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count or (unit == "s" and not parts):
            parts.append(f"{count}{unit}")
    return " ".join(parts[:2] if coarse else parts)
