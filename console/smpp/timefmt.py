"""SMPP 3.4 time fields (section 7.1.1): absolute ``YYMMDDhhmmsstnnp`` and relative ``…R``.

Absolute times become timezone-aware datetimes (``nn`` quarter hours ahead of or behind UTC);
relative times (``070605040302100R`` = 7 years 6 months 5 days 4 h 3 min 2.1 s from now) become
a :class:`RelativeTime`, which is calendar-exact when applied to a moment.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache


@dataclass(frozen=True, slots=True)
class RelativeTime:
    """A relative SMPP time: a calendar duration (years and months are not fixed lengths)."""

    years: int = 0
    months: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0
    tenths: int = 0

    def after(self, moment: datetime) -> datetime:
        """``moment`` plus this duration (months added on the calendar, day clipped to month end)."""
        month0 = moment.month - 1 + self.months + 12 * self.years
        year, month = moment.year + month0 // 12, month0 % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day) + self.fixed_part()

    def fixed_part(self) -> timedelta:
        """Days to tenths of a second as a timedelta (without years and months)."""
        return timedelta(days=self.days, hours=self.hours, minutes=self.minutes,
                         seconds=self.seconds, milliseconds=100 * self.tenths)

    def approx(self) -> timedelta:
        """The whole duration with years of 365 days and months of 30 days."""
        return self.fixed_part() + timedelta(days=365 * self.years + 30 * self.months)

    def __str__(self) -> str:
        parts = [f"{v}{u}" for v, u in ((self.years, "y"), (self.months, "mo"), (self.days, "d"),
                                         (self.hours, "h"), (self.minutes, "min")) if v]
        if self.seconds or self.tenths:
            parts.append(f"{self.seconds}.{self.tenths}s" if self.tenths else f"{self.seconds}s")
        return "in " + (" ".join(parts) if parts else "0s")


def parse_time(text: str) -> datetime | RelativeTime | None:
    """Decode an SMPP time string; empty → None; malformed → ValueError with the reason."""
    if not text:
        return None
    # YYMMDDhhmmsstnn: 15 ASCII digits, then p: + or - (ahead of / behind UTC) or R
    digits = text[:15]
    if not (len(text) == 16 and digits.isascii() and digits.isdigit() and text[15] in "+-R"):
        raise ValueError(f"{text!r} is not an SMPP time (16 characters YYMMDDhhmmsstnnp)")
    p = text[15]
    rest, nn = divmod(int(digits), 100)
    rest, t = divmod(rest, 10)
    rest, ss = divmod(rest, 100)
    rest, mi = divmod(rest, 100)
    rest, hh = divmod(rest, 100)
    rest, dd = divmod(rest, 100)
    yy, mo = divmod(rest, 100)
    if p == "R":
        if nn:
            raise ValueError(f"{text!r}: a relative time has no UTC offset (nn must be 00)")
        return RelativeTime(yy, mo, dd, hh, mi, ss, t)
    if nn > 48:
        raise ValueError(f"{text!r}: UTC offset of {nn} quarter hours exceeds 48 (12 h)")
    try:
        return datetime(2000 + yy, mo, dd, hh, mi, ss, 100_000 * t, tzinfo=_zone(nn, p))
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None


@cache
def _zone(quarters: int, sign: str) -> timezone:
    """The fixed-offset zone of ``nn`` quarter hours ahead (+) of or behind (-) UTC."""
    return timezone(timedelta(minutes=15 * quarters) * (1 if sign == "+" else -1))


def decode_time(text: str) -> tuple[datetime | RelativeTime | None, str | None]:
    """(value, None) or (None, reason) — never raises."""
    try:
        return parse_time(text), None
    except ValueError as exc:
        return None, str(exc)


def format_time(value: datetime | RelativeTime | timedelta | None) -> str:
    """The SMPP string of a datetime (naive = UTC), RelativeTime or timedelta (relative)."""
    if value is None:
        return ""
    if isinstance(value, timedelta):
        total = int(value.total_seconds() * 10)
        tenths, secs = total % 10, total // 10
        days, rem = divmod(secs, 86400)
        value = RelativeTime(days // 365, 0, days % 365, rem // 3600, rem % 3600 // 60, rem % 60,
                             tenths)
    if isinstance(value, RelativeTime):
        return (f"{value.years:02d}{value.months:02d}{value.days:02d}{value.hours:02d}"
                f"{value.minutes:02d}{value.seconds:02d}{value.tenths:d}00R")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    off = value.utcoffset() or timedelta(0)
    quarters = int(abs(off.total_seconds()) // 900)
    sign = "-" if off < timedelta(0) else "+"
    return f"{value:%y%m%d%H%M%S}{value.microsecond // 100_000:d}{quarters:02d}{sign}"


def describe_time(text: str) -> str:
    """A human reading of an SMPP time string for the inspector ("" for empty)."""
    return describe_decoded_time(*decode_time(text))


def describe_decoded_time(value: datetime | RelativeTime | None, problem: str | None) -> str:
    """:func:`describe_time` of what :func:`decode_time` gave (``(value, problem)``)."""
    if problem:
        return f"invalid: {problem}"
    if value is None:
        return "immediate / SMSC default"
    if isinstance(value, RelativeTime):
        return f"relative: {value}"
    return value.isoformat()
