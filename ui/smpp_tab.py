"""The SMPP tab — the inspector: connect and bind, submit texts (live encoding preview) or raw
PDUs, and look at every PDU on the wire: a list (hide enquire_link, filter), and for the
selected one the decode tree and the hex view, linked both ways (a tree row highlights its
bytes; a click on a byte selects its field). Captures open from and save to pcap.

Sessions are :class:`console.smpp.session.SmppSession` on the qasync loop; PDU events reach
the list through a timer-flushed model. Decoding and meanings come from ``console.smpp``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.context import AppContext, alive
from ui.hexview import HexView
from ui.models import Column, LiveTableModel
from ui.pairs import PairsTable

_Index = QModelIndex | QPersistentModelIndex
_ERROR = QBrush(QColor("#d03030"))
SpanRole = Qt.ItemDataRole.UserRole + 1


def _summary(ev: Any) -> str:
    if ev.pdu is None:
        return ev.error or f"{len(ev.raw)} undecodable bytes"
    try:
        from console.smpp.render import summary

        return summary(ev.pdu, 60)
    except Exception:
        return ""


def _status(ev: Any) -> str:
    p = ev.pdu
    if p is None or not p.is_response:
        return ""
    return p.status_name


def _part(ev: Any) -> str:
    """``seq/total #ref`` of a concatenated part (UDH or SAR), so the parts read as a group."""
    p = ev.pdu
    if p is None or p.command not in ("submit_sm", "deliver_sm", "data_sm"):
        return ""
    try:
        concat = p.message.concat if p.message is not None else None
    except Exception:
        return ""
    return f"{concat.seq}/{concat.total} #{concat.ref}" if concat is not None else ""


PDU_COLUMNS = (
    Column("time", lambda e: time.strftime("%H:%M:%S", time.localtime(e.time))
           + f".{int(e.time * 1000) % 1000:03d}"),
    Column("dir", lambda e: "→" if e.direction == "out" else "←",
           tooltip=lambda e: f"{e.sender[0]}:{e.sender[1]} → {e.receiver[0]}:{e.receiver[1]}"),
    Column("command", lambda e: e.command or "?"),
    Column("status", _status, tooltip=lambda e: e.pdu.status_name if e.pdu else e.error),
    Column("seq", lambda e: e.sequence_number if e.sequence_number is not None else "",
           align_right=True),
    Column("part", _part, tooltip=lambda e: "concatenated message: part/total #reference"),
    Column("latency", lambda e: "" if e.latency is None else f"{e.latency * 1000:.1f} ms",
           align_right=True),
    Column("summary", _summary, tooltip=lambda e: "; ".join(e.pdu.warnings) if e.pdu and
           e.pdu.warnings else None),
)


def _problem(ev: Any) -> QBrush | None:
    p = ev.pdu
    if p is None or ev.error or (p.is_response and p.command_status != 0) or p.warnings:
        return _ERROR
    return None


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        lay.addWidget(w, 1 if isinstance(w, QLineEdit) else 0)
    return box


def _ton_npi_help(key: str) -> str:
    try:
        from console.reference import table

        entries = table("ton" if key.endswith("ton") else "npi")
        return "\n".join(f"{e.id} = {e.name}" for e in entries) + "\nauto: from the address"
    except Exception:
        return "auto: from the address"


class PduFilter(QSortFilterProxyModel):
    """Hides enquire_link(_resp) when asked and keeps rows containing the filter text."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.hide_enquire = True
        self.text = ""

    def set_hide_enquire(self, on: bool) -> None:
        self._change(lambda: setattr(self, "hide_enquire", on))

    def set_text(self, text: str) -> None:
        self._change(lambda: setattr(self, "text", text.strip().casefold()))

    def _change(self, apply: Any) -> None:
        if hasattr(self, "endFilterChange"):  # Qt >= 6.9: invalidate*Filter() is deprecated
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            apply()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: _Index) -> bool:
        model = self.sourceModel()
        ev = model.record(row)
        if self.hide_enquire and (ev.command or "").startswith("enquire_link"):
            return False
        if not self.text:
            return True
        cols = model.columnCount()
        return any(self.text in str(model.data(model.index(row, c))).casefold()
                   for c in range(cols))


class SmppTab(QWidget):
    """Bind, submit, and inspect PDUs (live or from a pcap)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.session: Any = None
        self._unsub: Any = None
        self.current: Any = None  # the selected PduEvent
        ctx.add_closer(self.close_session)

        # --- connection
        self.host_edit = QLineEdit()
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.tls_check = QCheckBox("TLS")
        self.system_id_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.system_type_edit = QLineEdit()
        self.system_type_edit.setMaximumWidth(80)
        self.bind_box = QComboBox()
        for label, value in (("transceiver", "trx"), ("transmitter", "tx"), ("receiver", "rx")):
            self.bind_box.addItem(label, value)
        self.window_spin = QSpinBox()
        self.window_spin.setRange(1, 1000)
        self.window_spin.setValue(10)
        self.window_spin.setToolTip("Requests in flight without a response (window size)")
        for w, width in ((self.host_edit, 120), (self.system_id_edit, 90),
                         (self.password_edit, 90)):
            w.setMinimumWidth(width)
        self.bind_button = QPushButton("Bind")
        self.unbind_button = QPushButton("Unbind")
        self.state_label = QLabel("closed")
        conn = QHBoxLayout()
        for label, w in (("Host", self.host_edit), ("Port", self.port_spin), ("", self.tls_check),
                         ("system_id", self.system_id_edit), ("password", self.password_edit),
                         ("system_type", self.system_type_edit), ("bind", self.bind_box),
                         ("window", self.window_spin)):
            if label:
                conn.addWidget(QLabel(label))
            conn.addWidget(w)
        conn.addWidget(self.bind_button)
        conn.addWidget(self.unbind_button)
        conn.addWidget(self.state_label, 1)

        # --- submit form
        self.source_edit = QLineEdit("InfoSMS")
        self.dest_edit = QLineEdit("41793026727")
        self.text_edit = QPlainTextEdit("Hello from the SMPP inspector")
        self.text_edit.setMaximumHeight(90)
        self.preview_label = QLabel()
        self.preview_label.setWordWrap(True)
        self.encoding_box = QComboBox()
        for label, value in (("auto", None), ("GSM7", "gsm7"), ("Latin-1", "latin1"),
                             ("UCS2", "ucs2")):
            self.encoding_box.addItem(label, value)
        self.concat_box = QComboBox()
        for label, value in (("UDH 8-bit", "udh"), ("UDH 16-bit", "udh16"), ("SAR TLVs", "sar"),
                             ("message_payload", "payload")):
            self.concat_box.addItem(label, value)
        self.receipt_box = QComboBox()
        for label, value in (("no receipt", 0), ("final receipt", 1), ("on failure", 2)):
            self.receipt_box.addItem(label, value)
        self.receipt_box.setCurrentIndex(1)
        self.receipt_box.setToolTip("registered_delivery: SMSC delivery receipt requested")
        self.ton_npi: dict[str, QSpinBox] = {}
        for key in ("source_ton", "source_npi", "dest_ton", "dest_npi"):
            spin = QSpinBox()
            spin.setRange(-1, 255)
            spin.setValue(-1)
            spin.setSpecialValueText("auto")
            spin.setToolTip(_ton_npi_help(key))
            self.ton_npi[key] = spin
        self.validity_edit = QLineEdit()
        self.validity_edit.setPlaceholderText("validity_period, e.g. 000001000000000R (1 day)")
        self.schedule_edit = QLineEdit()
        self.schedule_edit.setPlaceholderText("schedule_delivery_time (empty = now)")
        self.tlv_table = PairsTable(("TLV (name or 0xTAG)", "value"))
        self.tlv_table.setMaximumHeight(90)
        self.tlv_table.setToolTip("Optional parameters, e.g. user_message_reference = 7, or an "
                                  "Infobip vendor TLV by name; octet values in hex")
        self.send_button = QPushButton("Submit")
        self.raw_edit = QLineEdit()
        self.raw_edit.setPlaceholderText("raw PDU in hex (the session sets the sequence number)")
        self.raw_button = QPushButton("Send raw")
        form = QFormLayout()
        form.addRow("source_addr", _row(self.source_edit, QLabel("TON"),
                                        self.ton_npi["source_ton"], QLabel("NPI"),
                                        self.ton_npi["source_npi"]))
        form.addRow("destination_addr", _row(self.dest_edit, QLabel("TON"),
                                             self.ton_npi["dest_ton"], QLabel("NPI"),
                                             self.ton_npi["dest_npi"]))
        form.addRow("text", self.text_edit)
        form.addRow("", self.preview_label)
        opts = QHBoxLayout()
        opts.addWidget(self.encoding_box)
        opts.addWidget(self.concat_box)
        opts.addWidget(self.receipt_box)
        form.addRow("options", opts)
        form.addRow("times", _row(self.schedule_edit, self.validity_edit))
        form.addRow("TLVs", self.tlv_table)
        form.addRow(self.send_button)
        raw = QHBoxLayout()
        raw.addWidget(self.raw_edit, 1)
        raw.addWidget(self.raw_button)
        form.addRow(raw)
        submit = QWidget()
        submit.setLayout(form)

        # --- PDU list
        self.events = LiveTableModel(PDU_COLUMNS, max_rows=500_000, foreground=_problem,
                                     parent=self)
        self.proxy = PduFilter(self)
        self.proxy.setSourceModel(self.events)
        self.pdu_view = QTableView()
        self.pdu_view.setModel(self.proxy)
        self.pdu_view.verticalHeader().hide()
        self.pdu_view.setWordWrap(False)
        self.pdu_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.pdu_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.pdu_view.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((95, 30, 140, 110, 40, 70, 70)):
            self.pdu_view.setColumnWidth(col, width)
        self.hide_enquire = QCheckBox("hide enquire_link")
        self.hide_enquire.setChecked(True)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter PDUs (command, status, address, text…)")
        self.filter_edit.setClearButtonEnabled(True)
        self.open_button = QPushButton("Open pcap…")
        self.save_button = QPushButton("Save pcap…")
        self.clear_button = QPushButton("Clear")
        list_bar = QHBoxLayout()
        list_bar.addWidget(self.filter_edit, 1)
        list_bar.addWidget(self.hide_enquire)
        list_bar.addWidget(self.open_button)
        list_bar.addWidget(self.save_button)
        list_bar.addWidget(self.clear_button)
        pdus = QWidget()
        pl = QVBoxLayout(pdus)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addLayout(list_bar)
        pl.addWidget(self.pdu_view)

        # --- detail
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["field", "value", "meaning", "offset"])
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.tree.setColumnWidth(0, 190)
        self.tree.setColumnWidth(1, 180)
        self.tree.setColumnWidth(2, 260)
        self.hex = HexView()
        detail = QSplitter(Qt.Orientation.Vertical)
        detail.addWidget(self.tree)
        detail.addWidget(self.hex)
        detail.setSizes([330, 170])

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(submit)
        left.addWidget(pdus)
        left.setSizes([260, 440])
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(left)
        main.addWidget(detail)
        main.setSizes([640, 560])
        layout = QVBoxLayout(self)
        layout.addLayout(conn)
        layout.addWidget(main, 1)

        # --- wiring
        self.bind_button.clicked.connect(self.bind)
        self.unbind_button.clicked.connect(lambda: self.ctx.spawn(self.close_session(), "unbind"))
        self.send_button.clicked.connect(self.submit)
        self.raw_button.clicked.connect(self.send_raw)
        self.text_edit.textChanged.connect(self.update_preview)
        self.encoding_box.currentIndexChanged.connect(lambda _i: self.update_preview())
        self.concat_box.currentIndexChanged.connect(lambda _i: self.update_preview())
        self.hide_enquire.toggled.connect(self.proxy.set_hide_enquire)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.open_button.clicked.connect(self._ask_open)
        self.save_button.clicked.connect(self._ask_save)
        self.clear_button.clicked.connect(self.events.clear)
        self.pdu_view.selectionModel().currentRowChanged.connect(
            lambda cur, _p: self.show_event(self.events.record(self.proxy.mapToSource(cur).row()))
            if cur.isValid() else None)
        self.tree.currentItemChanged.connect(self._tree_selected)
        self.hex.byte_clicked.connect(self.select_byte)
        ctx.profiles.current_changed.connect(self.load_profile)
        self.load_profile(ctx.profiles.current)
        self.update_preview()
        self._update_state()

    # ------------------------------------------------------------------ connection

    def load_profile(self, p: Any) -> None:
        self.host_edit.setText(p.smpp_host)
        self.port_spin.setValue(p.smpp_port or 2775)
        self.tls_check.setChecked(p.smpp_tls)
        self.system_id_edit.setText(p.smpp_system_id)
        self.password_edit.setText(p.smpp_password)
        self.system_type_edit.setText(p.smpp_system_type)

    def bind(self) -> Any:
        """Connect and bind with the panel's settings; returns the task."""
        from console.smpp.session import SmppSession

        if self.session is not None:
            self.ctx.report_error("SMPP: already connected — unbind first")
            return None
        try:
            session = SmppSession(self.host_edit.text().strip(), self.port_spin.value(),
                                  system_id=self.system_id_edit.text(),
                                  password=self.password_edit.text(),
                                  system_type=self.system_type_edit.text(),
                                  bind=self.bind_box.currentData(), tls=self.tls_check.isChecked(),
                                  window=self.window_spin.value())
        except ValueError as exc:
            self.ctx.report_error(f"SMPP: {exc}")
            return None
        self.session = session
        self._unsub = session.events.subscribe(self._on_event)
        self.bind_button.setEnabled(False)
        self.state_label.setText("binding…")

        async def run() -> Any:
            try:
                return await session.open()
            except BaseException:
                self._drop_session(session)
                raise

        task = self.ctx.spawn(run(), "SMPP bind", on_done=lambda _s: self._update_state())
        task.add_done_callback(lambda _t: self._update_state())
        return task

    def _on_event(self, ev: Any) -> None:
        # the journal derives delivery reports from receipts for the DLR tab
        journal = self.ctx.journal
        if journal is not None:
            try:
                journal.append(ev)
            except Exception as exc:
                self.ctx.report_error(f"journal: {exc}")
        self.events.enqueue(ev)

    def _drop_session(self, session: Any) -> None:
        if self.session is session:
            self.session = None
            if self._unsub is not None:
                self._unsub()
                self._unsub = None

    async def close_session(self) -> None:
        session = self.session
        if session is None:
            return
        try:
            await session.unbind()
        finally:
            await session.close()
            self._drop_session(session)
            self._update_state()

    def _update_state(self) -> None:
        if not alive(self.state_label):
            return
        s = self.session
        state = s.state.value if s is not None else "closed"
        self.state_label.setText(state + (f" as {s.bound_system_id}" if s is not None and
                                          s.bound and s.bound_system_id else ""))
        self.bind_button.setEnabled(s is None)
        self.unbind_button.setEnabled(s is not None)
        self.send_button.setEnabled(s is not None)
        self.raw_button.setEnabled(s is not None)

    # ------------------------------------------------------------------ sending

    def update_preview(self) -> None:
        from console.encoding import split_text

        concat = {"udh": "udh8"}.get(self.concat_box.currentData(), self.concat_box.currentData())
        try:
            r = split_text(self.text_edit.toPlainText(), self.encoding_box.currentData(),
                           concat=concat, ref=1)
        except Exception as exc:
            self.preview_label.setStyleSheet("color: #d03030")
            self.preview_label.setText(str(exc))
            return
        self.preview_label.setStyleSheet("")
        forcing = "".join(c for _i, c in r.ucs2_forcing[:5])
        self.preview_label.setText(
            f"{r.encoding.label} (data_coding 0x{r.data_coding:02X}) · {r.chars} chars · "
            f"{r.units} {r.encoding.unit} · {r.sms_count} part{'s' if r.sms_count != 1 else ''}"
            + (f" · UCS2 because of {forcing!r}" if forcing else ""))

    def submit(self) -> Any:
        """Send the form's text (split as needed); returns the task (message ids)."""
        if self.session is None:
            self.ctx.report_error("SMPP: bind first")
            return None
        session = self.session

        def done(ids: list[str]) -> None:
            self.ctx.note(f"submitted: message id{'s' if len(ids) != 1 else ''} {', '.join(ids)}")

        try:
            tlvs = self.tlvs()
        except Exception as exc:
            self.ctx.report_error(f"TLV: {exc}")
            return None
        addr = {k: spin.value() for k, spin in self.ton_npi.items() if spin.value() >= 0}
        times = {k: w.text().strip() for k, w in (("validity_period", self.validity_edit),
                                                  ("schedule_delivery_time", self.schedule_edit))
                 if w.text().strip()}
        return self.ctx.spawn(session.send_sms(
            self.source_edit.text().strip(), self.dest_edit.text().strip(),
            self.text_edit.toPlainText(), encoding=self.encoding_box.currentData(),
            concat=self.concat_box.currentData(), tlvs=tlvs,
            registered_delivery=self.receipt_box.currentData(), **addr, **times),
            "SMPP submit", on_done=done)

    def tlvs(self) -> list[Any]:
        """The TLV rows as :class:`console.smpp.Tlv` (values typed by the reference table)."""
        from console.reference import tlv_info
        from console.smpp import Tlv

        out = []
        for name, text in self.tlv_table.pairs():
            tag: int | str = int(name, 16) if name.lower().startswith("0x") else name
            info = tlv_info(tag)
            if not info.known and isinstance(tag, str):
                raise ValueError(f"unknown TLV name {name!r} (use 0xTAG for others)")
            kind = str(info.get("type", "octets"))
            value: Any
            if kind.startswith("int"):
                value = int(text, 0)
            elif kind in ("cstring", "string"):
                value = text
            else:
                value = bytes.fromhex(text.replace(" ", ""))
            out.append(Tlv(tag, value))
        return out

    def send_raw(self) -> Any:
        """Decode the hex in the raw box and send it as a request."""
        from console.smpp import decode_pdu

        if self.session is None:
            self.ctx.report_error("SMPP: bind first")
            return None
        text = "".join(self.raw_edit.text().split())
        try:
            pdu = decode_pdu(bytes.fromhex(text))
        except Exception as exc:
            self.ctx.report_error(f"raw PDU: {exc}")
            return None
        if pdu.is_response:
            self.ctx.report_error("raw PDU: only requests can be sent (it is a response)")
            return None
        return self.ctx.spawn(self.session.submit(pdu), "send raw PDU")

    # ------------------------------------------------------------------ inspecting

    def commands(self) -> list[str | None]:
        """Command names of the rows shown (tests and scripting)."""
        return [self.events.record(self.proxy.mapToSource(self.proxy.index(r, 0)).row()).command
                for r in range(self.proxy.rowCount())]

    def select_row(self, row: int) -> None:
        """Select the shown row ``row`` (its PDU fills the detail pane)."""
        self.pdu_view.selectRow(row)

    def show_event(self, ev: Any) -> None:
        """Fill the decode tree and the hex view with one PDU event."""
        self.current = ev
        self.tree.clear()
        self.hex.set_data(ev.raw)
        if ev.pdu is None:
            QTreeWidgetItem(self.tree, ["(undecodable)", ev.error or "", "", ""])
            return
        for span in ev.pdu.spans:
            self._add_span(self.tree.invisibleRootItem(), span)
        for w in ev.pdu.warnings:
            item = QTreeWidgetItem(self.tree, ["⚠ warning", w, "", ""])
            item.setForeground(1, _ERROR)
        self.tree.expandToDepth(0)

    def _add_span(self, parent: QTreeWidgetItem, span: Any) -> None:
        item = QTreeWidgetItem(parent, [span.name, span.display, span.meaning,
                                        f"{span.offset}+{span.length}"])
        item.setData(0, SpanRole, (span.offset, span.length))
        tip = f"{span.name}: {span.display}" + (f"\n{span.meaning}" if span.meaning else "")
        if span.warning:
            tip += f"\n⚠ {span.warning}"
            for c in range(4):
                item.setForeground(c, _ERROR)
        for c in range(3):
            item.setToolTip(c, tip)
        for child in span.children:
            self._add_span(item, child)

    def _tree_selected(self, item: QTreeWidgetItem | None, _prev: Any = None) -> None:
        if item is None:
            return
        where = item.data(0, SpanRole)
        if where:
            self.hex.highlight(*where)

    def select_byte(self, offset: int) -> QTreeWidgetItem | None:
        """Select the innermost tree row whose bytes contain ``offset``."""
        best: QTreeWidgetItem | None = None

        def walk(item: QTreeWidgetItem) -> None:
            nonlocal best
            for i in range(item.childCount()):
                child = item.child(i)
                where = child.data(0, SpanRole)
                if where and where[0] <= offset < where[0] + max(where[1], 1):
                    best = child
                    walk(child)
                    return

        walk(self.tree.invisibleRootItem())
        if best is not None:
            self.tree.setCurrentItem(best)
        return best

    # ------------------------------------------------------------------ pcap

    def _ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open capture", "",
                                              "Captures (*.pcap *.pcapng);;All files (*)")
        if path:
            self.open_pcap(path)

    def open_pcap(self, path: str | Path) -> int:
        """Load the SMPP PDUs of a capture into the list; returns how many."""
        from console.smpp.pcap import read_pcap

        try:
            events = read_pcap(path)
        except Exception as exc:
            self.ctx.report_error(f"cannot read {Path(path).name}: {exc}")
            return 0
        for ev in events:
            self.events.enqueue(ev)
        self.events.flush()
        self.ctx.note(f"{len(events)} PDUs read from {Path(path).name}")
        return len(events)

    def _ask_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save capture", "smpp.pcap",
                                              "pcap (*.pcap)")
        if path:
            self.save_pcap(path)

    def save_pcap(self, path: str | Path) -> int:
        """Write every PDU of the list (filtered or not) as a pcap; returns the packets."""
        from console.smpp.pcap import write_events

        self.events.flush()
        try:
            n = write_events(path, self.events.records)
        except Exception as exc:
            self.ctx.report_error(f"pcap export failed: {exc}")
            return 0
        self.ctx.note(f"{n} packets written to {path}")
        return n
