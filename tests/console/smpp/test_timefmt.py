"""SMPP 3.4 time fields: absolute with quarter-hour offsets, relative (the spec's 070605040302100R)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from console.smpp.timefmt import RelativeTime, decode_time, describe_time, format_time, parse_time


def test_spec_relative_example() -> None:
    """The spec: 070605040302100R = 7 years 6 months 5 days 4 h 3 min 2 s and a tenth from now."""
    rel = parse_time("070605040302100R")
    assert rel == RelativeTime(7, 6, 5, 4, 3, 2, 1)
    start = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert rel.after(start) == datetime(2033, 8, 5, 16, 3, 2, 100_000, tzinfo=UTC)
    assert format_time(rel) == "070605040302100R"
    assert str(rel) == "in 7y 6mo 5d 4h 3min 2.1s"


def test_absolute_with_offsets() -> None:
    t = parse_time("100729104900000+")
    assert t == datetime(2010, 7, 29, 10, 49, tzinfo=UTC)
    east = parse_time("261231235959508+")
    assert east.utcoffset() == timedelta(hours=2) and east.microsecond == 500_000
    west = parse_time("260101000000002-")
    assert west.utcoffset() == timedelta(minutes=-30)
    assert format_time(west) == "260101000000002-"
    assert format_time(datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=-5)))) == "260301080000020-"
    assert format_time(datetime(2026, 3, 1, 8, 0)) == "260301080000000+"


def test_timedelta_becomes_relative() -> None:
    assert format_time(timedelta(days=1, hours=2, seconds=3.5)) == "000001020003500R"
    assert format_time(None) == ""


@pytest.mark.parametrize(("text", "reason"), [
    ("tomorrow", "not an SMPP time"),
    ("2401011200", "not an SMPP time"),
    ("261301000000000+", "month must be in 1..12"),
    ("260101000000049+", "exceeds 48"),
    ("000001000000004R", "no UTC offset"),
])
def test_bad_times(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_time(text)
    value, problem = decode_time(text)
    assert value is None and reason in problem
    assert describe_time(text).startswith("invalid:")


def test_empty_means_default() -> None:
    assert parse_time("") is None
    assert describe_time("") == "immediate / SMSC default"
    assert describe_time("000000000100000R") == "relative: in 1min"
