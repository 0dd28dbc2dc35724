"""A stacked bar chart of delivery report statuses over time (QtCharts), for the DLR tab."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

GROUPS = ("DELIVERED", "PENDING", "UNDELIVERABLE", "EXPIRED", "REJECTED")
COLORS = {"DELIVERED": "#2e9d5b", "PENDING": "#3b82c4", "UNDELIVERABLE": "#d03030",
          "EXPIRED": "#c26d1a", "REJECTED": "#8a3ab9"}
_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)


def buckets(points: Iterable[tuple[float, str]], max_bars: int = 30
            ) -> tuple[float, int, list[Counter[str]]]:
    """(first bucket start, bucket seconds, counts per status group per bucket)."""
    pts = [(t, g) for t, g in points if t]
    if not pts:
        return 0.0, 1, []
    lo = min(t for t, _ in pts)
    hi = max(t for t, _ in pts)
    step = next((s for s in _STEPS if (hi - lo) / s < max_bars), _STEPS[-1])
    start = lo - lo % step
    counts: list[Counter[str]] = [Counter() for _ in range(int((hi - start) // step) + 1)]
    for t, g in pts:
        counts[int((t - start) // step)][g or "UNKNOWN"] += 1
    return start, step, counts


class DlrTimeline(QChartView):
    """Report statuses per time bucket; :meth:`set_points` redraws it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_ = QChart()
        self.chart_.setTitle("Report statuses over time")
        self.chart_.legend().setVisible(True)
        self.chart_.setTheme(QChart.ChartTheme.ChartThemeLight
                             if self.palette().window().color().lightness() > 128
                             else QChart.ChartTheme.ChartThemeDark)
        self.setChart(self.chart_)
        self.totals: dict[str, int] = {}
        self.setMinimumHeight(180)

    def set_points(self, points: Sequence[tuple[float, str]]) -> None:
        start, step, counts = buckets(points)
        chart = self.chart_
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self.totals = {}
        if not counts:
            return
        series = QStackedBarSeries()
        groups = [g for g in GROUPS if any(c[g] for c in counts)]
        groups += sorted({g for c in counts for g in c} - set(groups))
        for g in groups:
            bar = QBarSet(g)
            bar.setColor(QColor(COLORS.get(g, "#888888")))
            for c in counts:
                bar.append(c[g])
            series.append(bar)
            self.totals[g] = sum(c[g] for c in counts)
        chart.addSeries(series)
        fmt = "%H:%M:%S" if step < 3600 else "%d %H:%M"
        axis_x = QBarCategoryAxis()
        axis_x.append([time.strftime(fmt, time.localtime(start + i * step))
                       for i in range(len(counts))])
        axis_y = QValueAxis()
        axis_y.setLabelFormat("%d")
        axis_y.setRange(0, max(sum(c.values()) for c in counts))
        chart.addAxis(axis_x, _bottom())
        chart.addAxis(axis_y, _left())
        series.attachAxis(axis_x)
        series.attachAxis(axis_y)
        chart.setTitle(f"Report statuses over time ({step} s buckets)")


def _bottom() -> Any:
    from PySide6.QtCore import Qt

    return Qt.AlignmentFlag.AlignBottom


def _left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.AlignmentFlag.AlignLeft
