"""The Webhooks tab: a local listener for notifyUrl delivery reports, intermediate reports and
MO messages — start/stop, its URL to copy, per-path reply status/delay, the hits with their
headers, body and the reports they carried, and replay.

The listener is :class:`console.webhooks.WebhookListener` on the qasync loop; hits reach the
table through a timer-flushed model, and every hit is written to the journal (which derives
its delivery reports for the DLR tab).
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext, alive
from ui.highlight import BodyHighlighter, kind_of_text
from ui.layout import restore_layout, save_layout, vstack
from ui.models import Column, LiveTableModel
from ui.text_views import text_view

_ERROR = QBrush(QColor("#d03030"))
REPLY_PATHS = (("/dlr", "/dlr"), ("/intermediate", "/intermediate"), ("/mo", "/mo"),
               ("every other path", "*"))

def hit_kind(hit: Any) -> str:
    """The path's kind, or "intermediate" for intermediate reports pushed to a /dlr URL
    (the platform posts both to the one notifyUrl)."""
    if hit.reports and all(r.intermediate for r in hit.reports):
        return "intermediate"
    return hit.kind


def hit_summary(hit: Any) -> str:
    """What a hit carried (method, path and reply have columns of their own)."""
    if hit.reports:
        first = hit.reports[0]
        error = (f", {first.error_name}" if first.error_name
                 and first.error_name != "NO_ERROR" else "")
        what = f"{first.status_name}{error} for {first.to or '?'} ({first.message_id})"
        more = len(hit.reports) - 1
        return what + (f" and {more} more report{'s' if more > 1 else ''}" if more else "")
    if hit.mo is not None:
        text = hit.mo.get("text") or hit.mo.get("bin", "")
        return f"MO from {hit.mo.get('sender', '?')}: {text!r}"
    if hit.parse_error:
        return f"could not parse: {hit.parse_error}"
    if hit.too_large:
        return f"body too large ({len(hit.body)} bytes kept)"
    return f"{len(hit.body)} bytes" + (f" of {hit.content_type}" if hit.content_type else "")


HIT_COLUMNS = (
    Column("#", lambda h: h.id, align_right=True),
    Column("time", lambda h: time.strftime("%H:%M:%S", time.localtime(h.time))
           + f".{int(h.time * 1000) % 1000:03d}"),
    Column("from", lambda h: f"{h.client[0]}:{h.client[1]}"),
    Column("method", lambda h: h.method),
    Column("path", lambda h: h.path),
    Column("kind", hit_kind),
    Column("reply", lambda h: h.reply_status,
           tooltip=lambda h: f"answered {h.reply_status} after {h.reply_delay:g} s"),
    Column("summary", hit_summary, tooltip=lambda h: h.parse_error or h.summary()),
)
# starting widths (characters) of the hit columns, so an empty table has readable headers
HIT_WIDTHS = (5, 13, 16, 8, 13, 12, 6)
REPORT_WIDTHS = (38, 14, 34, 22, 12, 30)

REPORT_COLUMNS = (
    Column("message id", lambda r: r.message_id),
    Column("to", lambda r: r.to or ""),
    Column("status", lambda r: f"{r.status_group}/{r.status_name}",
           tooltip=lambda r: r.status_description),
    Column("error", lambda r: r.error_name or "", tooltip=lambda r: r.error_description),
    Column("kind", lambda r: "intermediate" if r.intermediate else "final"),
    Column("done at", lambda r: r.done_at or ""),
    Column("callbackData", lambda r: r.callback_data or ""),
)


def _is_problem(hit: Any) -> QBrush | None:
    return _ERROR if hit.reply_status >= 400 or hit.parse_error else None


def _set_widths(view: QTableView, chars: tuple[int, ...]) -> None:
    """Interactive columns of ``chars`` characters each (at least their title), the last
    one stretched: readable with no rows, and no per-row measuring with many."""
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    metrics = view.fontMetrics()
    model = view.model()
    for col, n in enumerate(chars):
        title = str(model.headerData(col, Qt.Orientation.Horizontal))
        header.resizeSection(col, max(metrics.horizontalAdvance("0" * n),
                                      metrics.horizontalAdvance(title) + 24))


class WebhooksTab(QWidget):
    """Webhook listener controls, hits and their details."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 *, autostart: bool | None = None) -> None:
        super().__init__(parent)
        from console.webhooks import WebhookListener

        self.ctx = ctx
        self.selected: Any = None
        self._last_port = 0  # the port of the last run (a restart on "any port" reuses it)
        self.listener = WebhookListener(port=0, journal=ctx.journal)
        ctx.listener = self.listener
        self.listener.subscribe(self._on_hit)
        ctx.add_closer(self.listener.stop)

        # --- listener bar
        self.start_button = QPushButton("Start")
        self.start_button.setCheckable(True)
        self.port_spin = QSpinBox()
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText("any port")
        self.port_spin.setToolTip("Port to listen on (any port = a free one)")
        self.url_edit = QLineEdit()
        self.url_edit.setReadOnly(True)
        self.url_edit.setPlaceholderText("not listening")
        self.copy_button = QPushButton("Copy URL")
        self.copy_button.setToolTip("Copy the notifyUrl for delivery reports (…/dlr)")
        self.count_label = QLabel("0 hits")
        bar = QHBoxLayout()
        bar.addWidget(self.start_button)
        bar.addWidget(QLabel("Port:"))
        bar.addWidget(self.port_spin)
        bar.addWidget(self.url_edit, 2)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.count_label)

        # --- reply rules
        self.rule_path = QComboBox()
        for label, path in REPLY_PATHS:
            self.rule_path.addItem(label, path)
        self.rule_status = QSpinBox()
        self.rule_status.setRange(100, 599)
        self.rule_status.setValue(200)
        self.rule_status.setToolTip("HTTP status the listener answers with (non-2xx makes the "
                                    "platform retry the push)")
        self.rule_delay = QDoubleSpinBox()
        self.rule_delay.setRange(0.0, 120.0)
        self.rule_delay.setSuffix(" s")
        self.rule_delay.setDecimals(2)
        self.rule_delay.setToolTip("Delay before answering (to test the platform's timeouts)")
        self.rule_sequence = QLineEdit()
        self.rule_sequence.setPlaceholderText("first replies, e.g. 500,500,500")
        self.rule_sequence.setToolTip("Statuses played once each before the status above")
        self.rule_apply = QPushButton("Apply")
        self.rules_label = QLabel()
        rules = QHBoxLayout()
        rules.addWidget(QLabel("Reply on"))
        rules.addWidget(self.rule_path)
        rules.addWidget(QLabel("with"))
        rules.addWidget(self.rule_status)
        rules.addWidget(QLabel("after"))
        rules.addWidget(self.rule_delay)
        rules.addWidget(self.rule_sequence, 1)
        rules.addWidget(self.rule_apply)

        # --- hits
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter hits (path, message id, status…)")
        self.filter_edit.setToolTip("Show only the hits with this text in any column (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.hits = LiveTableModel(HIT_COLUMNS, max_rows=100_000, foreground=_is_problem,
                                   parent=self)
        from PySide6.QtCore import QSortFilterProxyModel

        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.hits)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.hits_view = QTableView()
        self.hits_view.setModel(self.proxy)
        self.hits_view.verticalHeader().hide()
        self.hits_view.setWordWrap(False)
        self.hits_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.hits_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        _set_widths(self.hits_view, HIT_WIDTHS)

        # --- detail
        self.body_view = text_view()
        self.body_highlighter = BodyHighlighter(self.body_view.document())
        self.headers_view = text_view()
        self.reports = LiveTableModel(REPORT_COLUMNS, interval_ms=50, parent=self)
        self.reports_view = QTableView()
        self.reports_view.setModel(self.reports)
        self.reports_view.verticalHeader().hide()
        self.reports_view.setWordWrap(False)
        _set_widths(self.reports_view, REPORT_WIDTHS)
        self.detail_tabs = QTabWidget()
        self.detail_tabs.addTab(self.body_view, "Body")
        self.detail_tabs.addTab(self.headers_view, "Headers")
        self.detail_tabs.addTab(self.reports_view, "Reports")
        self.replay_url = QLineEdit()
        self.replay_url.setPlaceholderText("Replay to URL (default: this listener)")
        self.replay_button = QPushButton("Replay")
        self.replay_button.setToolTip("Send the selected hit again (method, headers, body)")
        self.replay_label = QLabel()
        replay = QHBoxLayout()
        replay.addWidget(self.replay_url, 1)
        replay.addWidget(self.replay_button)
        detail = vstack((self.detail_tabs, 1), replay, self.replay_label)
        hits_box = vstack(self.filter_edit, (self.hits_view, 1))
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(hits_box)
        split.addWidget(detail)
        split.setSizes([380, 320])
        self.split = split
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(rules)
        layout.addWidget(self.rules_label)
        layout.addWidget(split, 1)

        # --- wiring
        self.start_button.toggled.connect(self._toggle)
        self.copy_button.clicked.connect(self.copy_url)
        self.rule_apply.clicked.connect(self.apply_rule)
        self.rule_path.currentIndexChanged.connect(lambda _i: self._show_rule())
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        QShortcut(QKeySequence.StandardKey.Find, self, self.filter_edit.setFocus).setContext(
            Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.hits_view.selectionModel().currentRowChanged.connect(
            lambda cur, _p: self.show_hit(self.hits.record(self.proxy.mapToSource(cur).row()))
            if cur.isValid() else None)
        self.replay_button.clicked.connect(self.replay)
        self.hits.flushed.connect(lambda _n: self.count_label.setText(f"{self.listener.count} hits"))
        self._show_rule()
        self._update_state()
        restore_layout(ctx.settings, self._layout_parts())
        port = ctx.settings.value("webhooks/port", 0)
        try:
            self.port_spin.setValue(int(port))
        except (TypeError, ValueError):
            pass
        start = autostart if autostart is not None else \
            str(ctx.settings.value("webhooks/autostart", "true")).lower() == "true"
        if start:
            self.start()

    # ------------------------------------------------------------------ listener

    def start(self) -> Any:
        """Start listening (task on the qasync loop); returns the task.

        With "any port" a restart reuses the port of the previous run, so notifyUrls already
        handed to the platform keep working (reports in flight, retries); if that port is
        taken meanwhile, a free one is used and the note says so.
        """
        wanted = self.port_spin.value() or self._last_port
        self.start_button.setEnabled(False)

        async def run() -> Any:
            self.listener.port = wanted
            try:
                return await self.listener.start()
            except OSError as exc:
                if not wanted or self.port_spin.value():
                    raise  # the port the user asked for: say why it failed
                self.listener.port = 0
                await self.listener.start()
                return f"port {wanted} is taken ({exc.strerror or exc}): "

        def started(result: Any) -> None:
            self._last_port = self.listener.port
            moved = result if isinstance(result, str) else ""
            self.ctx.note(f"{moved}webhook listener on {self.listener.url}")

        task = self.ctx.spawn(run(), "webhook listener", on_done=started)
        task.add_done_callback(lambda _t: self._update_state())
        return task

    def stop(self) -> Any:
        self.start_button.setEnabled(False)
        task = self.ctx.spawn(self.listener.stop(), "stop webhook listener")
        task.add_done_callback(lambda _t: self._update_state())
        return task

    def _toggle(self, on: bool) -> None:
        if on and not self.listener.running:
            self.start()
        elif not on and self.listener.running:
            self.stop()

    def _update_state(self) -> None:
        if not alive(self.start_button):
            return
        running = self.listener.running
        self.start_button.blockSignals(True)
        self.start_button.setChecked(running)
        self.start_button.blockSignals(False)
        self.start_button.setEnabled(True)
        self.start_button.setText("Stop" if running else "Start")
        self.port_spin.setEnabled(not running)
        self.url_edit.setText(f"{self.listener.url}/dlr" if running else "")
        self.copy_button.setEnabled(running)

    def copy_url(self) -> str:
        text = self.url_edit.text()
        QApplication.clipboard().setText(text)
        self.ctx.note(f"copied {text}")
        return text

    # ------------------------------------------------------------------ rules

    def apply_rule(self) -> Any:
        """Set the reply rule of the chosen path from the controls."""
        seq_text = self.rule_sequence.text().replace(";", ",")
        try:
            sequence = [int(s) for s in seq_text.split(",") if s.strip()]
            if any(not 100 <= s <= 599 for s in sequence):
                raise ValueError("statuses must be 100..599")
        except ValueError as exc:
            self.ctx.report_error(f"reply sequence {seq_text!r}: {exc}")
            return None
        path = self.rule_path.currentData()
        rule = self.listener.set_reply(path, self.rule_status.value(),
                                       delay=self.rule_delay.value(), sequence=sequence)
        self._show_rules()
        return rule

    def _show_rule(self) -> None:
        path = self.rule_path.currentData()
        rule = self.listener.default_rule if path == "*" else self.listener.rule_for(path)
        self.rule_status.setValue(rule.status)
        self.rule_delay.setValue(rule.delay)
        self.rule_sequence.setText(",".join(map(str, rule.sequence)))
        self._show_rules()

    def _show_rules(self) -> None:
        parts = [f"{p} → {r.status}" + (f" after {r.delay:g} s" if r.delay else "")
                 + (f" (first {r.sequence})" if r.sequence else "")
                 for p, r in sorted(self.listener.rules.items())]
        d = self.listener.default_rule
        parts.append(f"other paths → {d.status}" + (f" after {d.delay:g} s" if d.delay else ""))
        self.rules_label.setText("Replies: " + "; ".join(parts))

    # ------------------------------------------------------------------ hits

    def _on_hit(self, hit: Any) -> None:
        self.hits.enqueue(hit)

    def show_hit(self, hit: Any) -> None:
        from console.http import pretty

        self.selected = hit
        text = pretty(hit.body, hit.content_type) if hit.body else ""
        if hit.parse_error:
            text = f"# could not parse: {hit.parse_error}\n\n" + text
        if hit.mo:
            text += "\n\n# MO parameters\n" + "\n".join(f"{k} = {v}" for k, v in hit.mo.items())
        self.body_highlighter.set_kind(kind_of_text(text, hit.content_type))
        self.body_view.setPlainText(text)
        query = "&".join(f"{k}={v}" for k, v in hit.query)
        self.headers_view.setPlainText(
            f"{hit.method} {hit.path}{'?' + query if query else ''}\n"
            + "\n".join(f"{k}: {v}" for k, v in hit.headers)
            + f"\n\n# replied {hit.reply_status} after {hit.reply_delay:g} s")
        self.reports.clear()
        for r in hit.reports:
            self.reports.enqueue(r)
        self.reports.flush()
        self.detail_tabs.setTabText(2, f"Reports ({len(hit.reports)})")
        if not self.replay_url.text():
            self.replay_url.setPlaceholderText(f"Replay to URL (default: {self.listener.url}"
                                               f"{hit.path})")

    def replay(self) -> Any:
        """Send the selected hit again; returns the task (its exchange is shown below)."""
        hit = self.selected
        if hit is None:
            self.ctx.report_error("replay: select a hit first")
            return None
        url = self.replay_url.text().strip() or f"{self.listener.url}{hit.path}"

        def done(ex: Any) -> None:
            if not alive(self.replay_label):
                return
            self.replay_label.setText(f"Replayed hit {hit.id}: {ex.summary()}"
                                      + (f" — {ex.error_message}" if ex.error_message else ""))

        return self.ctx.spawn(self.listener.replay(hit, url), "replay", on_done=done)

    def _layout_parts(self) -> dict[str, Any]:
        return {"webhooks/split": self.split}

    def save_state(self, settings: Any) -> None:
        save_layout(settings, self._layout_parts())
        settings.setValue("webhooks/port", self.port_spin.value())
        settings.setValue("webhooks/autostart", "true" if self.listener.running else "false")
