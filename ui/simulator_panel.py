"""The simulator panel: start/stop, addresses and accounts, the scenario table (which
destination gets which fate), the time scale, MO injection, SMSC fault switches and a live
view of the message store."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.redact import MASK
from ui.context import AppContext, alive
from ui.models import Column, LiveTableModel

_FINAL_BAD = QBrush(QColor("#d03030"))


def _steps(s: Any) -> str:
    if s.reject is not None:
        return f"rejected: status {s.reject.status}, SMPP 0x{s.reject.smpp_status:08X}"
    return " → ".join(f"+{st.after:g}s {_status_name(st.status)}"
                      + (f" err {st.error}" if st.error else "") for st in s.steps)


def _status_name(ident: int) -> str:
    try:
        from console.reference import lookup

        return lookup("http_status", ident).name
    except Exception:
        return str(ident)


SCENARIO_COLUMNS = (
    Column("scenario", lambda s: s.name, tooltip=lambda s: s.description),
    Column("destination ends with", lambda s: ", ".join(s.to_suffix) or
           (f"from {', '.join(s.from_)}" if s.from_ else "(anything else)")),
    Column("what happens", _steps, tooltip=lambda s: s.title),
)

# what a glance needs comes first (the panel is a narrow dock); the long id goes last
MESSAGE_COLUMNS = (
    Column("to", lambda m: m.to),
    Column("status", lambda m: (m.status or {}).get("name", ""),
           tooltip=lambda m: (m.status or {}).get("description")),
    Column("error", lambda m: (m.error or {}).get("name", ""),
           tooltip=lambda m: (m.error or {}).get("description")),
    Column("door", lambda m: m.door),
    Column("parts", lambda m: m.sms_count, align_right=True),
    Column("from", lambda m: m.from_),
    Column("scenario", lambda m: m.scenario),
    Column("message id", lambda m: m.message_id),
)


def _message_color(m: Any) -> QBrush | None:
    group = (m.status or {}).get("groupName", "")
    return _FINAL_BAD if group in ("REJECTED", "UNDELIVERABLE", "EXPIRED") else None


class SimulatorPanel(QWidget):
    """Controls and live views of the embedded simulator."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._unsubscribe: list[Any] = []
        self._dirty = False

        self.state_label = QLabel("Simulator off")
        self.state_label.setWordWrap(True)
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_passwords = QCheckBox("Show passwords")
        self.show_passwords.setToolTip("Passwords are masked by default (screenshots, demos)")
        self.show_passwords.toggled.connect(lambda _on: self.attach())
        self.start_button = QPushButton("Start")
        self.scale_spin = QDoubleSpinBox()
        self.scale_spin.setRange(0.1, 100_000.0)
        self.scale_spin.setDecimals(1)
        self.scale_spin.setValue(60.0)
        self.scale_spin.setSuffix(" ×")
        self.scale_spin.setToolTip("Simulated seconds per real second (report delays, validity)")
        top = QHBoxLayout()
        top.addWidget(self.start_button)
        top.addWidget(QLabel("Time scale:"))
        top.addWidget(self.scale_spin)
        top.addStretch(1)

        # scenario table
        self.scenarios = LiveTableModel(SCENARIO_COLUMNS, parent=self)
        self.scenario_view = QTableView()
        self.scenario_view.setModel(self.scenarios)
        self.scenario_view.verticalHeader().hide()
        self.scenario_view.setWordWrap(False)
        self.scenario_view.horizontalHeader().setStretchLastSection(True)
        self.scenario_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)

        # message store
        self.messages = LiveTableModel(MESSAGE_COLUMNS, newest_first=True, max_rows=50_000,
                                       foreground=_message_color, parent=self)
        self.message_view = QTableView()
        self.message_view.setModel(self.messages)
        self.message_view.verticalHeader().hide()
        self.message_view.setWordWrap(False)
        header = self.message_view.horizontalHeader()
        header.setStretchLastSection(True)
        # ids and status names in full (a horizontal scroll bar rather than "1315e006-98…");
        # sized from a sample of rows, so 50,000 messages cost no more than 200
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setResizeContentsPrecision(200)

        # MO injection
        self.mo_from = QLineEdit("385911234567")
        self.mo_to = QLineEdit()
        self.mo_text = QLineEdit("HELLO from the handset")
        self.mo_button = QPushButton("Inject MO")
        mo_box = QGroupBox("Inject an MO message")
        mo_form = QFormLayout(mo_box)
        mo_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        mo_form.addRow("From:", self.mo_from)
        mo_form.addRow("To:", self.mo_to)
        mo_form.addRow("Text:", self.mo_text)
        mo_form.addRow(self.mo_button)

        # SMSC faults
        self.delay_spin = QSpinBox()
        self.delay_spin.setRange(0, 60_000)
        self.delay_spin.setSuffix(" ms")
        self.drop_spin = QSpinBox()
        self.drop_spin.setRange(0, 1_000_000)
        self.drop_spin.setSpecialValueText("never")
        self.fail_count = QSpinBox()
        self.fail_count.setRange(0, 1_000_000)
        self.fail_status = QComboBox()
        self.fail_status.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.fail_status.setMinimumContentsLength(12)
        self.fail_status.currentTextChanged.connect(self.fail_status.setToolTip)
        self.stop_receipts = QCheckBox("Hold receipts and MO")
        self.stop_receipts.setToolTip("Receipts and MO messages are queued (not lost) and go "
                                      "out when this is cleared")
        self.faults_apply = QPushButton("Apply faults")
        self.faults_clear = QPushButton("Clear")
        faults_box = QGroupBox("SMSC faults")
        ff = QFormLayout(faults_box)
        ff.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow dock: field below
        ff.addRow("Delay responses:", self.delay_spin)
        ff.addRow("Cut connection after PDUs:", self.drop_spin)
        fail_row = QHBoxLayout()
        fail_row.addWidget(self.fail_count)
        fail_row.addWidget(self.fail_status, 1)
        ff.addRow("Fail next submits:", fail_row)
        ff.addRow(self.stop_receipts)
        buttons = QHBoxLayout()
        buttons.addWidget(self.faults_apply)
        buttons.addWidget(self.faults_clear)
        ff.addRow(buttons)
        self._fill_statuses()

        # HTTP faults (sim.http_faults): exercise a client's timeouts and retries
        self.http_latency = QSpinBox()
        self.http_latency.setRange(0, 120_000)
        self.http_latency.setSuffix(" ms")
        self.http_latency.setToolTip("Every HTTP answer this late (after the request was handled)")
        self.http_error_rate = QSpinBox()
        self.http_error_rate.setRange(0, 100)
        self.http_error_rate.setSuffix(" %")
        self.http_error_status = QComboBox()
        for code, label in ((503, "503 Service Unavailable"), (500, "500 Internal Server Error"),
                            (502, "502 Bad Gateway"), (504, "504 Gateway Timeout"),
                            (429, "429 Too Many Requests")):
            self.http_error_status.addItem(label, code)
        self.http_error_status.setToolTip("Answered with Infobip's error body; the request is "
                                          "not processed")
        self.http_drop_rate = QSpinBox()
        self.http_drop_rate.setRange(0, 100)
        self.http_drop_rate.setSuffix(" %")
        self.http_drop_rate.setToolTip("Connections closed with no answer")
        self.http_faults_apply = QPushButton("Apply HTTP faults")
        self.http_faults_clear = QPushButton("Clear")
        http_box = QGroupBox("HTTP faults")
        hf = QFormLayout(http_box)
        hf.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        hf.addRow("Added latency:", self.http_latency)
        err_row = QHBoxLayout()
        err_row.addWidget(self.http_error_rate)
        err_row.addWidget(self.http_error_status, 1)
        hf.addRow("Fail requests:", err_row)
        hf.addRow("Drop connections:", self.http_drop_rate)
        http_buttons = QHBoxLayout()
        http_buttons.addWidget(self.http_faults_apply)
        http_buttons.addWidget(self.http_faults_clear)
        hf.addRow(http_buttons)

        controls = QWidget()
        cl = QVBoxLayout(controls)
        cl.addWidget(mo_box)
        cl.addWidget(faults_box)
        cl.addWidget(http_box)
        cl.addStretch(1)
        self.pages = QTabWidget()
        self.pages.addTab(self.message_view, "Messages")
        self.pages.addTab(self.scenario_view, "Scenarios")
        self.pages.addTab(controls, "MO && faults")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.state_label)
        layout.addWidget(self.show_passwords)
        layout.addWidget(self.pages, 1)

        self.start_button.clicked.connect(self._toggle)
        self.scale_spin.valueChanged.connect(self.set_scale)
        self.mo_button.clicked.connect(self.inject_mo)
        self.faults_apply.clicked.connect(self.apply_faults)
        self.faults_clear.clicked.connect(self.clear_faults)
        self.http_faults_apply.clicked.connect(self.apply_http_faults)
        self.http_faults_clear.clicked.connect(self.clear_http_faults)
        ctx.simulator_changed.connect(self.attach)
        # message status changes arrive as report events: repaint at most 4 times a second
        self._repaint = QTimer(self)
        self._repaint.setInterval(250)
        self._repaint.timeout.connect(self._refresh)
        self._repaint.start()
        self.attach()

    # ------------------------------------------------------------------ wiring

    def _fill_statuses(self) -> None:
        try:
            from console.reference import table

            for e in table("smpp_command_status"):
                if isinstance(e.id, int) and e.id:
                    self.fail_status.addItem(f"{e.name} (0x{e.id:X})", e.id)
                    self.fail_status.setItemData(self.fail_status.count() - 1, e.description,
                                                 Qt.ItemDataRole.ToolTipRole)
        except Exception as exc:
            self.fail_status.addItem(f"unavailable: {exc}", 0x58)
        idx = self.fail_status.findData(0x58)
        if idx >= 0:
            self.fail_status.setCurrentIndex(idx)

    def attach(self) -> None:
        """Follow the current simulator (called when it starts or stops)."""
        for unsub in self._unsubscribe:
            unsub()
        self._unsubscribe.clear()
        if not alive(self.start_button):
            return
        sim = self.ctx.simulator
        self.start_button.setText("Stop" if sim is not None else "Start")
        self.start_button.setEnabled(True)
        if sim is None:
            self.state_label.setText(f"Simulator not running: {self.ctx.simulator_error}"
                                     if self.ctx.simulator_error else "Simulator off")
            return
        accounts = sim.credentials()
        shown = self.show_passwords.isChecked()

        def secret(value: str) -> str:
            return value if shown else MASK

        acct = "; ".join(f"{a['username']} / {secret(a['password'])} "
                         f"(SMPP password {secret(a['smpp_password'])})" for a in accounts)
        self.state_label.setText(f"HTTP {sim.http_url} · SMPP {sim.host}:{sim.smpp_port}"
                                 f"\nAccounts: {acct}")
        if accounts and accounts[0].get("mo_numbers") and not self.mo_to.text():
            self.mo_to.setText(accounts[0]["mo_numbers"][0])
        self.scale_spin.blockSignals(True)
        self.scale_spin.setValue(sim.clock.scale)
        self.scale_spin.blockSignals(False)
        self.scenarios.clear()
        for s in sim.platform.scenarios:
            self.scenarios.enqueue(s)
        self.scenarios.flush()
        self.messages.clear()
        for m in sim.platform.store:
            self.messages.enqueue(m)
        platform = sim.platform
        self._unsubscribe.append(platform.subscribe_messages(self.messages.enqueue))
        self._unsubscribe.append(platform.subscribe_reports(self._on_report))
        has_smsc = sim.smsc is not None
        for w in (self.delay_spin, self.drop_spin, self.fail_count, self.fail_status,
                  self.stop_receipts, self.faults_apply, self.faults_clear):
            w.setEnabled(has_smsc)

    def _on_report(self, _event: Any) -> None:
        self._dirty = True

    def _refresh(self) -> None:
        sim = self.ctx.simulator
        if sim is not None and not self.scale_spin.hasFocus() \
                and abs(self.scale_spin.value() - sim.clock.scale) > 1e-6:
            self.scale_spin.blockSignals(True)  # changed elsewhere (a script, the demo)
            self.scale_spin.setValue(sim.clock.scale)
            self.scale_spin.blockSignals(False)
        if self._dirty and self.messages.rowCount():
            self._dirty = False
            self.messages.dataChanged.emit(self.messages.index(0, 0), self.messages.index(
                self.messages.rowCount() - 1, self.messages.columnCount() - 1))

    # ------------------------------------------------------------------ actions

    def _toggle(self) -> None:
        self.start_button.setEnabled(False)
        if self.ctx.simulator is None:
            task = self.ctx.spawn(self.ctx.start_simulator(), "start simulator")
        else:
            task = self.ctx.spawn(self.ctx.stop_simulator(), "stop simulator")
        task.add_done_callback(lambda _t: self.attach())

    def set_scale(self, value: float) -> None:
        if self.ctx.simulator is not None:
            self.ctx.simulator.clock.scale = value
            self.ctx.note(f"simulator time runs {value:g}× real time")

    def inject_mo(self) -> Any:
        """Inject the MO message of the form; returns the MoMessage (or None on error)."""
        sim = self.ctx.simulator
        if sim is None:
            self.ctx.report_error("inject MO: the simulator is not running")
            return None
        sender, receiver = self.mo_from.text().strip(), self.mo_to.text().strip()
        if not sender or not receiver:
            self.ctx.report_error("inject MO: enter the sender and the receiving number")
            return None
        try:
            mo = sim.platform.inject_mo(sender, receiver, self.mo_text.text())
        except Exception as exc:
            self.ctx.report_error(f"inject MO: {exc}")
            return None
        self.ctx.note(f"MO {mo.message_id} injected from {mo.from_} to {mo.to}")
        return mo

    def apply_faults(self) -> None:
        sim = self.ctx.simulator
        if sim is None or sim.smsc is None:
            self.ctx.report_error("faults: the SMSC is not running")
            return
        f = sim.smsc.faults
        try:
            f.delay_responses(self.delay_spin.value())
            f.drop_after(self.drop_spin.value() or None)
            if self.fail_count.value():
                f.fail_submits(self.fail_count.value(), int(self.fail_status.currentData()))
            if self.stop_receipts.isChecked():
                f.stop_receipts()
            elif f.receipts_stopped:
                f.resume_receipts()
        except ValueError as exc:
            self.ctx.report_error(f"faults: {exc}")
            return
        self.ctx.note(f"SMSC faults: {f.to_dict()}")

    def apply_http_faults(self) -> None:
        sim = self.ctx.simulator
        if sim is None:
            self.ctx.report_error("HTTP faults: the simulator is not running")
            return
        try:
            config = sim.http_faults.set(
                latency_ms=self.http_latency.value(),
                error_rate=self.http_error_rate.value() / 100,
                error_status=int(self.http_error_status.currentData()),
                drop_rate=self.http_drop_rate.value() / 100)
        except ValueError as exc:
            self.ctx.report_error(f"HTTP faults: {exc}")
            return
        self.ctx.note(f"HTTP faults: +{config.latency_ms:.0f} ms, {config.error_rate:.0%} answered "
                      f"{config.error_status}, {config.drop_rate:.0%} dropped")

    def clear_http_faults(self) -> None:
        sim = self.ctx.simulator
        if sim is not None:
            sim.http_faults.clear()
        self.http_latency.setValue(0)
        self.http_error_rate.setValue(0)
        self.http_drop_rate.setValue(0)
        self.ctx.note("HTTP faults cleared")

    def clear_faults(self) -> None:
        sim = self.ctx.simulator
        if sim is not None and sim.smsc is not None:
            sim.smsc.faults.clear()
        self.delay_spin.setValue(0)
        self.drop_spin.setValue(0)
        self.fail_count.setValue(0)
        self.stop_receipts.setChecked(False)
        self.ctx.note("SMSC faults cleared")
