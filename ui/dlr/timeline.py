"""Timeline chart: delivery reports per status group over time (QtCharts, stacked bars).

Counts come from :meth:`console.journal.Journal.report_timeline` (GROUP BY in SQL); the view
only draws at most ``MAX_BUCKETS`` bars, whatever the number of reports.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from ui.dlr.model import STATUS_COLORS

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


class TimelineChart(QChartView):
    """Stacked bars of report counts per bucket and status group."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.chart_ = QChart()
        super().__init__(self.chart_, parent)
        self.setObjectName("dlrTimeline")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart_.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart_.setTitle("Reports over time")
        self.buckets: list[tuple[float, dict[str, int]]] = []

    def set_counts(self, counts: list[tuple[float, str, int]], bucket: float) -> None:
        """Draw ``(bucket start, status group, count)`` rows (from ``report_timeline``)."""
        by_bucket: dict[float, dict[str, int]] = {}
        for start, group, n in counts:
            by_bucket.setdefault(start, {})[group or "?"] = by_bucket.get(start, {}).get(
                group or "?", 0) + n
        if by_bucket:
            # fill empty buckets so the x axis is linear in time
            first, last = min(by_bucket), max(by_bucket)
            steps = int(round((last - first) / bucket)) if bucket else 0
            starts = [first + i * bucket for i in range(steps + 1)] if steps < 10_000 else sorted(
                by_bucket)
            # a few buckets only: pad after the last so the bars keep a readable width
            starts += [starts[-1] + (i + 1) * bucket for i in range(max(0, 12 - len(starts)))]
        else:
            starts = []
        self.buckets = [(s, by_bucket.get(s, {})) for s in starts]
        groups = [g for g in GROUP_ORDER if any(g in c for _, c in self.buckets)]
        groups += sorted({g for _, c in self.buckets for g in c} - set(groups))
        chart = self.chart_
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        series = QStackedBarSeries()
        peak = 0
        for g in groups:
            bar = QBarSet(g)
            color = STATUS_COLORS.get(g)
            if color:
                bar.setColor(QColor(color))
            bar.append([float(c.get(g, 0)) for _, c in self.buckets])
            series.append(bar)
        for _, c in self.buckets:
            peak = max(peak, sum(c.values()))
        series.setBarWidth(0.9)
        chart.addSeries(series)
        x = QBarCategoryAxis()
        step = max(1, len(self.buckets) // 12)  # label every n-th bar so labels stay readable
        x.append([_label(s, bucket) if i % step == 0 else " " * (i % 97 + 1)
                  for i, (s, _) in enumerate(self.buckets)])
        y = QValueAxis()
        top = max(1, peak)
        y.setRange(0, top)
        y.setLabelFormat("%d")
        if top <= 10:
            y.setTickCount(top + 1)  # integer ticks only: counts have no fractions
        else:
            y.applyNiceNumbers()
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
        total = sum(sum(c.values()) for _, c in self.buckets)
        chart.setTitle(f"Reports over time — {total} in {len(self.buckets)} × "
                       f"{_span_text(bucket)} buckets" if self.buckets else "No reports yet")

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
