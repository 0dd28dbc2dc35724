"""Timeline: delivery reports per status group over time, as stacked bars.

Counts come from :meth:`console.journal.Journal.report_timeline` (GROUP BY in SQL); the view
only draws at most ``MAX_BUCKETS`` bars, whatever the number of reports. :class:`TimelinePane`
is a light placeholder until it first has counts to draw; only then is the QtCharts chart
(:mod:`ui.dlr.chart`) imported and built.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

MAX_BUCKETS = 60
_NICE = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400,
         7 * 86400, 30 * 86400)
GROUP_ORDER = ("DELIVERED", "PENDING", "UNDELIVERABLE", "EXPIRED", "REJECTED")


def bucket_for(span: float, max_buckets: int = MAX_BUCKETS) -> float:
    """A round bucket size (seconds) that cuts ``span`` into at most ``max_buckets`` bars."""
    for b in _NICE:
        if span / b <= max_buckets:
            return float(b)
    return float(_NICE[-1])


def _label(t: float, bucket: float) -> str:
    fmt = "%H:%M:%S" if bucket < 60 else "%H:%M" if bucket < 86400 else "%m-%d"
    return time.strftime(fmt, time.localtime(t))


def fill_buckets(counts: list[tuple[float, str, int]],
                 bucket: float) -> list[tuple[float, dict[str, int]]]:
    """``(bucket start, status group, count)`` rows as one (start, counts by group) per bar,
    empty buckets filled so the x axis is linear in time."""
    by_bucket: dict[float, dict[str, int]] = {}
    for start, group, n in counts:
        groups = by_bucket.setdefault(start, {})
        groups[group or "?"] = groups.get(group or "?", 0) + n
    if not by_bucket:
        return []
    first, last = min(by_bucket), max(by_bucket)
    steps = int(round((last - first) / bucket)) if bucket else 0
    starts = [first + i * bucket for i in range(steps + 1)] if steps < 10_000 else sorted(
        by_bucket)
    # a few buckets only: pad after the last so the bars keep a readable width
    starts += [starts[-1] + (i + 1) * bucket for i in range(max(0, 12 - len(starts)))]
    return [(s, by_bucket.get(s, {})) for s in starts]


class TimelinePane(QWidget):
    """The timeline tab's page: a note until the first counts arrive, then the chart."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dlrTimeline")
        self.buckets: list[tuple[float, dict[str, int]]] = []
        self.chart: Any = None  # ui.dlr.chart.TimelineChart, built on first use
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._note = QLabel("Counting reports…")
        self._layout.addWidget(self._note)

    def set_counts(self, counts: list[tuple[float, str, int]], bucket: float) -> None:
        """Draw ``(bucket start, status group, count)`` rows (from ``report_timeline``)."""
        self.buckets = fill_buckets(counts, bucket)
        groups = [g for g in GROUP_ORDER if any(g in c for _, c in self.buckets)]
        groups += sorted({g for _, c in self.buckets for g in c} - set(groups))
        step = max(1, len(self.buckets) // 12)  # label every n-th bar so labels stay readable
        labels = [_label(s, bucket) if i % step == 0 else " " * (i % 97 + 1)
                  for i, (s, _) in enumerate(self.buckets)]
        title = (f"Reports over time — {self.total()} in {len(self.buckets)} × "
                 f"{_span_text(bucket)} buckets" if self.buckets else "No reports yet")
        if self.chart is None:
            from ui.dlr.chart import TimelineChart

            self.chart = TimelineChart(self)
            self._layout.removeWidget(self._note)
            self._note.deleteLater()
            self._layout.addWidget(self.chart)
        self.chart.draw(self.buckets, groups, labels, title)

    def total(self) -> int:
        return sum(sum(c.values()) for _, c in self.buckets)


def _span_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{seconds / 60:g} min"
    if seconds < 86400:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 86400:g} d"


def timeline_query(journal: Any, filters: dict[str, Any]) -> tuple[list[tuple[float, str, int]],
                                                                    float]:
    """Counts for the chart and the bucket size used (runs in a worker thread)."""
    newest = journal.report_rows(limit=1, descending=True, **filters)
    oldest = journal.report_rows(limit=1, **filters)
    if not newest:
        return [], 60.0
    span = max(1.0, float(newest[0][1]) - float(oldest[0][1]))
    bucket = bucket_for(span)
    return journal.report_timeline(bucket, **filters), bucket
