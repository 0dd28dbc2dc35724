"""The timeline's chart (QtCharts, stacked bars). Imported when the timeline is first shown:
QtCharts costs tens of milliseconds to load, which the window's start need not pay."""

from __future__ import annotations

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


class TimelineChart(QChartView):
    """Stacked bars of report counts per bucket and status group."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.chart_ = QChart()
        super().__init__(self.chart_, parent)
        self.setObjectName("dlrTimelineChart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart_.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart_.setTitle("Reports over time")

    def draw(self, buckets: list[tuple[float, dict[str, int]]], groups: list[str],
             labels: list[str], title: str) -> None:
        """One stacked bar per bucket, one bar set per status group (in ``groups`` order)."""
        chart = self.chart_
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        series = QStackedBarSeries()
        for g in groups:
            bar = QBarSet(g)
            color = STATUS_COLORS.get(g)
            if color:
                bar.setColor(QColor(color))
            bar.append([float(c.get(g, 0)) for _, c in buckets])
            series.append(bar)
        peak = max((sum(c.values()) for _, c in buckets), default=0)
        series.setBarWidth(0.9)
        chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append(labels)
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
        chart.setTitle(title)
