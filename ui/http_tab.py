"""The HTTP tab: endpoint presets, a request editor, the response explained, and history.

All requests go through :class:`console.http.HttpClient` on the qasync loop (never blocking
the UI). Every exchange is written to the journal; the history table is a model over the
journal (older entries load lazily as you scroll) plus the live ones, and its filter box
searches the journal. Copy as cURL and HAR export come from ``console.http``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
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
from ui.pairs import PairsTable
from ui.text_views import text_view

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")
_ERROR = QBrush(QColor("#d03030"))


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v * 1000:.1f} ms"


def _status_text(ex: Any) -> str:
    if ex.response is None:
        return "ERR"
    return f"{ex.response.status} {ex.response.reason}".strip()


HISTORY_COLUMNS = (
    Column("time", lambda ex: time.strftime("%H:%M:%S", time.localtime(ex.started))),
    Column("method", lambda ex: ex.request.method),
    Column("URL", lambda ex: ex.request.url, tooltip=lambda ex: ex.summary()),
    Column("status", _status_text, tooltip=lambda ex: ex.error_message),
    Column("time (ms)", lambda ex: "" if ex.timings.total is None else f"{ex.timings.total * 1000:.0f}",
           align_right=True),
    Column("preset", lambda ex: ex.name),
)


class HttpTab(QWidget):
    """Compose, send and inspect HTTP API requests."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from console.http import presets

        self.ctx = ctx
        self.last_exchange: Any = None
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._filter = ""
        ctx.add_closer(self._close_clients)

        # --- request line
        self.preset_box = QComboBox()
        self.preset_box.addItem("— endpoint preset —", None)
        for p in presets():
            self.preset_box.addItem(f"{p.title}  ({p.method} {p.path})", p.name)
            self.preset_box.setItemData(self.preset_box.count() - 1, p.description,
                                        Qt.ItemDataRole.ToolTipRole)
        # long preset titles must not widen the tab: the box shrinks, its list does not
        self.preset_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset_box.setMinimumContentsLength(18)
        self.preset_box.view().setMinimumWidth(self.preset_box.view().sizeHintForColumn(0) + 24)
        self.preset_box.currentTextChanged.connect(self.preset_box.setToolTip)
        self.format_box = QComboBox()
        self.format_box.addItems(["json", "xml"])
        self.format_box.setToolTip("Body and Accept format of presets")
        self.method_box = QComboBox()
        self.method_box.addItems(METHODS)
        self.url_edit = QLineEdit()
        self.url_edit.setMinimumWidth(180)
        self.url_edit.setPlaceholderText("/sms/1/text/single  (relative to the profile's base URL)")
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Send the request (Ctrl+Enter)")
        self.send_button.setDefault(True)
        line = QHBoxLayout()
        line.addWidget(self.preset_box, 2)
        line.addWidget(self.format_box)
        line.addWidget(self.method_box)
        line.addWidget(self.url_edit, 4)
        line.addWidget(self.send_button)

        # --- request editor
        self.body_edit = text_view(read_only=False, placeholder="Request body (JSON or XML)")
        self.body_highlighter = BodyHighlighter(self.body_edit.document())
        self.body_status = QLabel()
        body_page = vstack(self.body_edit, self.body_status)
        self.query_table = PairsTable(("parameter", "value"))
        self.headers_table = PairsTable(("header", "value"))
        self.request_tabs = QTabWidget()
        self.request_tabs.addTab(body_page, "Body")
        self.request_tabs.addTab(self.query_table, "Query")
        self.request_tabs.addTab(self.headers_table, "Headers")

        # --- response
        self.status_label = QLabel("No response yet")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setWordWrap(True)
        self.explain_label = QLabel()
        self.explain_label.setWordWrap(True)
        self.explain_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.response_body = text_view()
        self.response_highlighter = BodyHighlighter(self.response_body.document())
        self.response_headers = text_view()
        self.request_sent = text_view()
        self.timings_view = text_view()
        self.response_tabs = QTabWidget()
        self.response_tabs.addTab(self.response_body, "Body")
        self.response_tabs.addTab(self.response_headers, "Headers")
        self.response_tabs.addTab(self.request_sent, "Request sent")
        self.response_tabs.addTab(self.timings_view, "Timings")
        response = vstack(self.status_label, self.explain_label, (self.response_tabs, 1))

        # --- history
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Search history (URL, body, message id…)")
        self.filter_edit.setToolTip("Search every exchange in the journal (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.curl_button = QPushButton("Copy as cURL")
        self.curl_button.setToolTip("Copy the selected exchange (or the editor's request) as a "
                                    "cURL command; the password is masked")
        self.har_button = QPushButton("Export HAR…")
        self.history = LiveTableModel(HISTORY_COLUMNS, newest_first=True, parent=self,
                                      foreground=lambda ex: None if ex.ok else _ERROR)
        self.history_view = QTableView()
        self.history_view.setModel(self.history)
        self.history_view.verticalHeader().hide()
        self.history_view.setWordWrap(False)
        self.history_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.history_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        hh = self.history_view.horizontalHeader()
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        history_bar = QHBoxLayout()
        history_bar.addWidget(QLabel("History"))
        history_bar.addWidget(self.filter_edit, 1)
        history_bar.addWidget(self.curl_button)
        history_bar.addWidget(self.har_button)
        history = vstack(history_bar, self.history_view)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.request_tabs)
        top.addWidget(response)
        top.setSizes([500, 600])
        self.request_split = top
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(history)
        self.splitter.setSizes([520, 260])
        layout = QVBoxLayout(self)
        layout.addLayout(line)
        layout.addWidget(self.splitter, 1)

        # --- wiring
        self.preset_box.currentIndexChanged.connect(lambda _i: self.load_preset())
        self.format_box.currentIndexChanged.connect(lambda _i: self.load_preset())
        self.send_button.clicked.connect(self.send)
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self, activated=self.send)
        QShortcut(QKeySequence.StandardKey.Find, self, self.filter_edit.setFocus).setContext(
            Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.body_edit.textChanged.connect(self._validate_soon)
        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(150)
        self._validate_timer.timeout.connect(self.validate_body)
        self.curl_button.clicked.connect(self.copy_curl)
        self.har_button.clicked.connect(self._ask_har)
        self.history_view.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self.show_exchange(self.history.record(cur.row()))
            if cur.isValid() else None)
        self.history_view.doubleClicked.connect(
            lambda idx: self.load_exchange(self.history.record(idx.row())))
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(200)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self._restore(ctx.settings)
        self.apply_filter()

    # ------------------------------------------------------------------ editor

    def load_preset(self, name: str | None = None) -> None:
        """Fill the editor from the preset ``name`` (or the one chosen in the combo box)."""
        from console.http import preset

        if name is not None:
            self.preset_box.setCurrentIndex(max(0, self.preset_box.findData(name)))
            return  # currentIndexChanged loads it
        name = self.preset_box.currentData()
        if not name:
            return
        listener = getattr(self.ctx, "listener", None)
        notify = f"{listener.url}/dlr" if listener is not None and listener.running else None
        self.load_request(preset(name, self.format_box.currentText(), notify_url=notify))

    def load_request(self, req: Any) -> None:
        self.method_box.setCurrentText(req.method.upper())
        self.url_edit.setText(req.url)
        self.query_table.set_pairs(list(req.query))
        self.headers_table.set_pairs(list(req.headers))
        body = req.body if isinstance(req.body, str) else req.body.decode("utf-8", "replace")
        self.body_edit.setPlainText(body)
        self._request_name = req.name

    def load_exchange(self, ex: Any) -> None:
        """Put a past exchange's request back into the editor (to edit and resend)."""
        from urllib.parse import parse_qsl, urlsplit

        parts = urlsplit(ex.request.url)
        self.method_box.setCurrentText(ex.request.method)
        self.url_edit.setText(parts._replace(query="").geturl())
        self.query_table.set_pairs(parse_qsl(parts.query, keep_blank_values=True))
        skip = {"authorization", "host", "content-length", "user-agent", "accept-encoding",
                "connection"}
        self.headers_table.set_pairs([(k, v) for k, v in ex.request.headers
                                      if k.lower() not in skip])
        self.body_edit.setPlainText(ex.request.body.decode("utf-8", "replace"))
        self._request_name = ex.name

    def request(self) -> Any:
        """The :class:`console.http.HttpRequest` the editor describes."""
        from console.http import HttpRequest

        return HttpRequest(self.method_box.currentText(), self.url_edit.text().strip() or "/",
                           self.query_table.pairs(), self.headers_table.pairs(),
                           self.body_edit.toPlainText(), name=getattr(self, "_request_name", ""))

    def _validate_soon(self) -> None:
        self._validate_timer.start()

    def validate_body(self) -> str | None:
        """Check the body as JSON/XML now; returns the problem (also shown under the body)."""
        from console.http import parse_body

        text = self.body_edit.toPlainText()
        ctype = next((v for k, v in self.headers_table.pairs() if k.lower() == "content-type"), None)
        kind = kind_of_text(text, ctype)
        self.body_highlighter.set_kind(kind)
        if not text.strip():
            self.body_status.setText("")
            return None
        _value, error = parse_body(text.encode("utf-8"), ctype)
        if error:
            self.body_status.setStyleSheet("color: #d03030")
            self.body_status.setText(f"✗ {error}")
        else:
            self.body_status.setStyleSheet("color: #2e9d5b")
            self.body_status.setText(f"✓ valid {kind.upper() or 'body'}")
        return error

    # ------------------------------------------------------------------ sending

    def client(self) -> Any:
        """The HttpClient of the current profile (one per base URL and user)."""
        from console.http import HttpClient

        p = self.ctx.profiles.current
        if not p.http_base_url:
            raise RuntimeError(f"profile {p.name!r} has no HTTP base URL"
                               + (" (the simulator is not running)" if p.kind == "embedded" else ""))
        key = (p.http_base_url, p.http_username, p.http_password)
        client = self._clients.get(key)
        if client is None:
            client = HttpClient(p.http_base_url, p.http_username or None, p.http_password)
            client.subscribe(self._on_exchange)
            self._clients[key] = client
        return client

    def send(self) -> Any:
        """Send the editor's request; returns the task (the response shows when it is done)."""
        try:
            client = self.client()
        except Exception as exc:
            self.ctx.report_error(f"HTTP: {exc}")
            return None
        req = self.request()
        self.send_button.setEnabled(False)
        self.status_label.setText(f"Sending {req.method} {req.resolve(client.base_url)} …")

        def done(ex: Any) -> None:
            if alive(self.send_button):
                self.send_button.setEnabled(True)
                self.show_exchange(ex)

        task = self.ctx.spawn(client.send(req), "HTTP request", on_done=done)
        task.add_done_callback(lambda _t: alive(self.send_button)
                               and self.send_button.setEnabled(True))
        return task

    def _on_exchange(self, ex: Any) -> None:
        journal = self.ctx.journal
        if journal is not None:
            try:
                journal.append(ex)
            except Exception as exc:
                self.ctx.report_error(f"journal: {exc}")
        if self._matches(ex):
            self.history.enqueue(ex)

    async def _close_clients(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    # ------------------------------------------------------------------ response

    def show_exchange(self, ex: Any) -> None:
        self.last_exchange = ex
        t = ex.timings
        if ex.response is None:
            self.status_label.setStyleSheet("color: #d03030; font-weight: bold")
            self.status_label.setText(f"✗ {ex.error}")
            self.response_body.setPlainText("")
            self.response_headers.setPlainText("")
        else:
            r = ex.response
            self.status_label.setStyleSheet("font-weight: bold; color: %s"
                                            % ("#2e9d5b" if ex.ok else "#d03030"))
            size = f"{len(r.body)} B body"
            self.status_label.setText(f"{r.http_version} {r.status} {r.reason} · {_ms(t.total)}"
                                      f" · {size}" + (f" — {ex.error_message}" if not ex.ok else "")
                                      + self._hint(r.status))
            body = ex.pretty_response()
            self.response_highlighter.set_kind(kind_of_text(body, r.content_type))
            self.response_body.setPlainText(body)
            self.response_headers.setPlainText(
                f"{r.http_version} {r.status} {r.reason}\n"
                + "\n".join(f"{k}: {v}" for k, v in r.headers))
        explained = ex.explanations() if ex.response is not None else []
        self.explain_label.setText("\n".join(f"▸ {e}" for e in explained[:6])
                                   + (f"\n… {len(explained) - 6} more" if len(explained) > 6 else ""))
        self.explain_label.setToolTip("\n".join(str(e) for e in explained))
        rq = ex.request
        from console.http import to_curl

        self.request_sent.setPlainText(
            f"{rq.method} {rq.url}\n" + "\n".join(f"{k}: {v}" for k, v in _masked(rq.headers))
            + "\n\n" + ex.pretty_request() + "\n\n# as cURL\n" + to_curl(rq, multiline=True))
        server = f"\n\nserver   {ex.server[0]}:{ex.server[1]}" if ex.server else ""
        self.timings_view.setPlainText("\n".join(
            f"{name:<9}{_ms(getattr(t, name))}" for name in
            ("connect", "tls", "send", "wait", "receive", "ttfb", "total")) + server)

    @staticmethod
    def _hint(status: int) -> str:
        """What to check for a status whose cause is usually on our side."""
        if status == 401:
            return " — check the profile's username/password (toolbar: Edit…)"
        return ""

    # ------------------------------------------------------------------ history

    def _matches(self, ex: Any) -> bool:
        if not self._filter:
            return True
        needle = self._filter.casefold()
        hay = " ".join((ex.request.url, ex.name, ex.request.body.decode("utf-8", "replace"),
                        ex.response.body.decode("utf-8", "replace") if ex.response else "",
                        ex.error or ""))
        return needle in hay.casefold()

    def apply_filter(self) -> None:
        """Reload the history from the journal, keeping what matches the filter box."""
        self._filter = self.filter_edit.text().strip()
        journal = self.ctx.journal
        if journal is None:
            self.history.set_loader(None)
            return
        try:
            journal.flush(timeout=2.0)
        except Exception as exc:
            self.ctx.report_error(f"journal: {exc}")
        upto = journal.last_seq + 1
        text = self._filter or None

        def load(offset: int, limit: int) -> list[Any]:
            entries = journal.query(kind="http", before_seq=upto, text=text, descending=True,
                                    limit=limit, offset=offset)
            return [e.record() for e in entries]

        self.history.flush()
        self.history.set_loader(load)
        if self.history.canFetchMore():
            self.history.fetchMore()

    def selected_exchange(self) -> Any:
        idx = self.history_view.currentIndex()
        return self.history.record(idx.row()) if idx.isValid() else None

    def copy_curl(self) -> str:
        """Copy the selected exchange (else the editor's request) as cURL; returns the text."""
        from console.http import to_curl

        ex = self.selected_exchange()
        try:
            text = to_curl(ex.request) if ex is not None else self.client().curl(self.request())
        except Exception as exc:
            self.ctx.report_error(f"copy as cURL: {exc}")
            return ""
        QApplication.clipboard().setText(text)
        self.ctx.note("cURL command copied (password masked)")
        return text

    def _ask_har(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export HAR", "infobip-console.har",
                                              "HAR files (*.har)")
        if path:
            self.export_har(path)

    def export_har(self, path: str | Path) -> Path | None:
        """Write the shown history (all loaded rows) as a HAR 1.2 file."""
        from console.http import write_har

        try:
            self.history.flush()
            out = write_har(path, list(reversed(self.history.records)))
        except Exception as exc:
            self.ctx.report_error(f"HAR export failed: {exc}")
            return None
        self.ctx.note(f"HAR written to {out}")
        return out

    # ------------------------------------------------------------------ state

    def _layout_parts(self) -> dict[str, Any]:
        return {"http/split": self.splitter, "http/split_request": self.request_split,
                "http/history_header": self.history_view.horizontalHeader()}

    def _restore(self, settings: Any) -> None:
        fmt = settings.value("http/format", "json")
        self.format_box.setCurrentText(fmt if fmt in ("json", "xml") else "json")
        name = settings.value("http/preset", "sms-single")
        idx = self.preset_box.findData(name)
        self.preset_box.setCurrentIndex(idx if idx > 0 else self.preset_box.findData("sms-single"))
        restore_layout(settings, self._layout_parts())

    def save_state(self, settings: Any) -> None:
        settings.setValue("http/format", self.format_box.currentText())
        settings.setValue("http/preset", self.preset_box.currentData() or "")
        save_layout(settings, self._layout_parts())


def _masked(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    from console.redact import redact_headers

    return list(redact_headers(headers))
