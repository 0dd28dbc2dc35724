"""The SMPP inspector tab: bind, submit, watch every PDU, and dissect one in a tree + hex view.

I/O runs as asyncio tasks on the qasync loop (the session is :mod:`console.smpp.session`);
live PDU events only land in a queue that the list model flushes every 50 ms. Errors are shown
in the tab's status line (and in the window's, when embedded).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QModelIndex, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.smpp.connection_panel import ConnectionPanel
from ui.smpp.decode_tree import DecodeTree, MultipartInfo
from ui.smpp.hexview import HexView
from ui.smpp.pdu_model import COL_SUMMARY, PduListModel
from ui.smpp.submit_form import SubmitForm, SubmitFormError

log = logging.getLogger(__name__)
_MESSAGE_COMMANDS = frozenset({"submit_sm", "deliver_sm", "data_sm"})


def _split_args(parent: Any, context: Any) -> tuple[QWidget | None, Any]:
    """Accept ``Tab(ctx)`` (how the shell builds tabs) as well as ``Tab(parent, context=ctx)``."""
    if parent is not None and not isinstance(parent, QWidget):
        return None, parent if context is None else context
    return parent, context


class SmppTab(QWidget):
    """Connection panel, submit form, PDU list and the decode tree + hex detail pane."""

    def __init__(self, parent: Any = None, *, context: Any = None) -> None:
        parent, context = _split_args(parent, context)
        super().__init__(parent)
        self.setObjectName("smppTab")
        self.ctx = context
        self.session: Any = None
        self.current: Any = None  # the event shown in the detail pane
        self._tasks: set[asyncio.Task[Any]] = set()

        self.connection = ConnectionPanel()
        self.form = SubmitForm()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.connection)
        left_layout.addWidget(self.form)
        left_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        # narrow windows (docks open) scroll the form instead of growing the window
        scroll.setMinimumWidth(260)
        self._form_width = left.minimumSizeHint().width() + 24

        self.model = PduListModel(parent=self)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: command, status, sequence, address, text…")
        self.filter_edit.setClearButtonEnabled(True)
        self.hide_enquire = QCheckBox("hide enquire_link")
        self.hide_enquire.setToolTip("Hide the keep-alive enquire_link PDUs and their responses")
        self.hide_enquire.setChecked(True)
        self.filter_edit.setMinimumWidth(120)
        open_button = QPushButton("Open…")
        open_button.setToolTip("Open a .pcap/.pcapng capture and inspect its SMPP PDUs")
        save_button = QPushButton("Save…")
        save_button.setToolTip("Save every PDU of the list as a .pcap (Wireshark opens it)")
        clear_button = QPushButton("Clear")
        self.count_label = QLabel("0 PDUs")
        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.hide_enquire)
        bar.addWidget(open_button)
        bar.addWidget(save_button)
        bar.addWidget(clear_button)
        bar.addWidget(self.count_label)

        self.pdu_view = QTableView()
        self.pdu_view.setObjectName("pduList")
        self.pdu_view.setModel(self.model)
        self.pdu_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.pdu_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.pdu_view.verticalHeader().setVisible(False)
        self.pdu_view.verticalHeader().setDefaultSectionSize(22)
        self.pdu_view.setAlternatingRowColors(True)
        self.pdu_view.setWordWrap(False)
        header = self.pdu_view.horizontalHeader()
        for col, width in enumerate((95, 55, 160, 140, 55, 75)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(COL_SUMMARY, QHeaderView.ResizeMode.Stretch)

        self.tree = DecodeTree()
        self.hex = HexView()
        self.hex.setMinimumHeight(120)

        # Wireshark's arrangement: the list, the decode tree under it, the bytes at the bottom
        right_split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(bar)
        top_layout.addWidget(self.pdu_view)
        right_split.addWidget(top)
        right_split.addWidget(self.tree)
        right_split.addWidget(self.hex)
        right_split.setSizes([330, 300, 190])

        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(scroll)
        main.addWidget(right_split)
        main.setStretchFactor(1, 1)
        main.setSizes([self._form_width, 1000])
        main.setCollapsible(1, False)
        self.status_label = QLabel()
        self.status_label.setObjectName("smppStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(main, 1)
        layout.addWidget(self.status_label)

        self.connection.bind_requested.connect(self.bind)
        self.connection.unbind_requested.connect(self.unbind)
        self.form.submit_requested.connect(self.submit)
        self.form.raw_requested.connect(self.send_raw)
        self.form.decode_requested.connect(self.decode_raw)
        self.filter_edit.textChanged.connect(self._filter_later)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(150)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.hide_enquire.toggled.connect(self.model.set_hide_enquire)
        open_button.clicked.connect(self._ask_open_pcap)
        save_button.clicked.connect(self._ask_save_pcap)
        clear_button.clicked.connect(self.clear)
        self.pdu_view.selectionModel().currentRowChanged.connect(self._row_changed)
        self.tree.span_selected.connect(self.hex.set_selection)
        self.hex.byte_clicked.connect(self.select_byte)
        self._follow = True
        self.model.rowsAboutToBeInserted.connect(self._before_insert)
        self.model.flushed.connect(self._flushed)
        self.model.modelReset.connect(self._update_count)

        self.splitters = {"main": main, "right": right_split}
        find = QShortcut(QKeySequence.StandardKey.Find, self, self.filter_edit.setFocus)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._load_defaults()
        self.restore_state(getattr(self.ctx, "settings", None))
        if self.ctx is not None and hasattr(self.ctx, "add_closer"):
            self.ctx.add_closer(self.close_session)

    # ------------------------------------------------------------------ context

    def _load_defaults(self) -> None:
        ctx = self.ctx
        profiles = getattr(ctx, "profiles", None)
        if profiles is not None:
            try:
                profiles.current_changed.connect(self.connection.load_profile)
                self.connection.load_profile(profiles.current)
            except Exception as exc:  # an odd profile must not keep the tab from opening
                self.show_error(f"profile: {exc}")
        sim = getattr(ctx, "simulator", None)
        if sim is not None and not self.connection.system_id_edit.text():
            self.connection.load_simulator(sim)

    def save_state(self, settings: Any) -> None:
        """Remember splitters, the enquire_link toggle, bind type and window (QSettings)."""
        for name, split in self.splitters.items():
            settings.setValue(f"smpp/split_{name}", split.saveState())
        settings.setValue("smpp/hide_enquire", self.hide_enquire.isChecked())
        settings.setValue("smpp/bind", self.connection.bind_combo.currentData())
        settings.setValue("smpp/window", self.connection.window_spin.value())

    def restore_state(self, settings: Any) -> None:
        if settings is None:
            return
        try:
            for name, split in self.splitters.items():
                state = settings.value(f"smpp/split_{name}")
                if isinstance(state, QByteArray | bytes) and state:
                    split.restoreState(QByteArray(state))
            hide = settings.value("smpp/hide_enquire")
            if hide is not None:
                self.hide_enquire.setChecked(str(hide).lower() in ("true", "1"))
            i = self.connection.bind_combo.findData(settings.value("smpp/bind"))
            if i >= 0:
                self.connection.bind_combo.setCurrentIndex(i)
            if settings.value("smpp/window") is not None:
                self.connection.window_spin.setValue(int(settings.value("smpp/window")))
        except (TypeError, ValueError) as exc:  # a stale settings file must not break the tab
            log.debug("ignoring saved SMPP tab state: %s", exc)

    def show_error(self, message: str) -> None:
        """Show ``message`` in the tab's status line and the window's."""
        self.status_label.setStyleSheet("color: #c0392b; font-weight: bold")
        self.status_label.setText(f"⚠ {message}")
        if self.ctx is not None and hasattr(self.ctx, "report_error"):
            self.ctx.report_error(message)
        else:
            log.warning("%s", message)

    def show_info(self, message: str) -> None:
        self.status_label.setStyleSheet("")
        self.status_label.setText(message)
        if self.ctx is not None and hasattr(self.ctx, "note"):
            self.ctx.note(message)

    def _spawn(self, coro: Awaitable[Any], what: str,
               on_done: Callable[[Any], None] | None = None) -> asyncio.Task[Any]:
        """Run ``coro`` on the qasync loop; failures end up in the status line."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if t.cancelled():
                return
            exc = t.exception()
            if exc is not None:
                self.show_error(f"{what}: {exc or type(exc).__name__}")
                return
            if on_done is not None:
                try:
                    on_done(t.result())
                except Exception as cb_exc:
                    self.show_error(f"{what}: {cb_exc}")

        task.add_done_callback(done)
        return task

    # ------------------------------------------------------------------ session

    def _on_event(self, event: Any) -> None:
        # called on the loop thread for every PDU: queue only, the model flushes in batches
        self.model.enqueue(event)
        journal = getattr(self.ctx, "journal", None) if self.ctx is not None else None
        if journal is not None:
            try:
                journal.append(event)
            except Exception as exc:  # a full or closed journal: say so, keep inspecting
                self.status_label.setText(f"⚠ journal: {exc}")

    def _set_state(self, text: str | None = None, busy: bool = False) -> None:
        s = self.session
        bound = bool(s is not None and s.bound)
        if text is None:
            text = (f"bound {s.bind_type.upper()} as {s.system_id} to {s.host}:{s.port}"
                    if bound else "not connected")
        self.connection.set_state(text, bound=bound, busy=busy)

    def bind(self) -> asyncio.Task[Any] | None:
        """Connect and bind with the panel's settings; returns the task (None if refused)."""
        from console.smpp.session import SmppSession

        if self.session is not None:
            self.show_error("SMPP: already connected — unbind first")
            return None
        st = self.connection.settings()
        if not st.host:
            self.show_error("SMPP: host is empty")
            return None
        try:
            session = SmppSession(st.host, st.port, system_id=st.system_id, password=st.password,
                                  system_type=st.system_type, bind=st.bind, tls=st.tls,
                                  verify=st.verify, window=st.window)
        except Exception as exc:
            self.show_error(f"SMPP: {exc}")
            return None
        session.events.subscribe(self._on_event)
        self.session = session
        self._set_state(f"connecting to {st.host}:{st.port}…", busy=True)

        async def run() -> None:
            try:
                await session.open()
            except BaseException:
                if self.session is session:
                    self.session = None
                raise
            finally:
                self._set_state()

        return self._spawn(run(), "SMPP bind",
                           on_done=lambda _r: self.show_info(f"bound to {st.host}:{st.port}"))

    async def close_session(self) -> None:
        """Unbind and close (used by Unbind and when the window closes)."""
        session, self.session = self.session, None
        if session is None:
            return
        try:
            await session.unbind()
        finally:
            await session.close()
            self._set_state()

    def unbind(self) -> asyncio.Task[Any]:
        self._set_state("unbinding…", busy=True)
        return self._spawn(self.close_session(), "SMPP unbind",
                           on_done=lambda _r: self.show_info("unbound"))

    def submit(self) -> asyncio.Task[Any] | None:
        """Send the form's text as submit_sm PDU(s); returns the task (None if refused)."""
        from console.smpp.sms import send_sms

        if self.session is None or not self.session.bound:
            self.show_error("SMPP: bind first")
            return None
        try:
            kw = self.form.values()
        except (SubmitFormError, ValueError) as exc:
            self.show_error(f"submit: {exc}")
            return None
        session = self.session

        def done(ids: list[str]) -> None:
            self.show_info(f"submitted {len(ids)} part{'s' if len(ids) != 1 else ''}: "
                           f"message id{'s' if len(ids) != 1 else ''} {', '.join(ids)}")

        return self._spawn(send_sms(session, kw.pop("source"), kw.pop("destination"),
                                    kw.pop("text"), **kw), "submit", on_done=done)

    def send_raw(self) -> asyncio.Task[Any] | None:
        """Send the raw hex request (the session assigns its sequence number)."""
        from console.smpp import decode_pdu

        try:
            pdu = decode_pdu(self.form.raw_bytes())
        except Exception as exc:
            self.show_error(f"raw PDU: {exc}")
            return None
        if pdu.is_response:
            self.show_error("raw PDU: only requests can be sent (this is a response)")
            return None
        if self.session is None or not self.session.bound:
            self.show_error("SMPP: bind first")
            return None
        return self._spawn(self.session.submit(pdu), "raw PDU",
                           on_done=lambda r: self.show_info(f"answer: {r.command} {r.status_name}"))

    def decode_raw(self) -> None:
        """Show the raw hex field's PDU in the detail pane."""
        try:
            self.show_bytes(self.form.raw_bytes())
        except SubmitFormError as exc:
            self.show_error(f"decode: {exc}")

    # ------------------------------------------------------------------ list

    def _filter_later(self) -> None:
        self._filter_timer.start()

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        self.model.set_text_filter(self.filter_edit.text())

    def _before_insert(self, *_args: Any) -> None:
        bar = self.pdu_view.verticalScrollBar()
        self._follow = bar.value() >= bar.maximum() - 1  # at the end: keep showing the newest

    def _flushed(self, n: int) -> None:
        self._update_count()
        if n and self._follow:
            self.pdu_view.scrollToBottom()

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        self.count_label.setText(f"{shown} PDUs" if shown == total else f"{shown} of {total} PDUs")

    def clear(self) -> None:
        self.model.clear()
        self.current = None
        self.tree.clear_pdu()
        self.hex.set_data(b"")

    def commands(self) -> list[str | None]:
        """Command names of the rows shown (tests and scripting)."""
        return [self.model.event_at(r).command for r in range(self.model.rowCount())]

    def select_row(self, row: int) -> None:
        self.pdu_view.selectRow(row)
        self.pdu_view.setCurrentIndex(self.model.index(row, 0))

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.show_event(self.model.event_at(current.row()), row=current.row())

    # ------------------------------------------------------------------ detail

    def show_bytes(self, raw: bytes) -> None:
        """Decode ``raw`` and show it in the detail pane (undecodable bytes are explained)."""
        from console.smpp.events import PduEvent

        pdu, error = _decode(raw)
        self.show_event(PduEvent.make(time.time(), "in", "decoded", ("", 0), ("", 0), raw,
                                      pdu=pdu, error=error))

    def show_event(self, event: Any, row: int | None = None) -> None:
        self.current = event
        pdu = event.pdu
        multipart = self._multipart(event, row) if pdu is not None and row is not None else None
        try:
            self.tree.show_pdu(pdu, error=event.error, multipart=multipart)
        except Exception as exc:  # a decoder bug on odd bytes: show the bytes anyway
            self.tree.clear_pdu()
            self.show_error(f"cannot show this PDU: {exc}")
        self.hex.set_data(event.raw)

    def _multipart(self, event: Any, row: int) -> MultipartInfo | None:
        pdu = event.pdu
        if pdu.command not in _MESSAGE_COMMANDS:
            return None
        try:
            c = pdu.message.concat
        except Exception:
            return None
        if c is None or c.total <= 1:
            return None
        key = (event.session_id, event.direction, pdu.command,
               pdu.fields.get("source_addr"), pdu.fields.get("destination_addr"), c.ref, c.total)
        info = MultipartInfo(ref=c.ref, total=c.total, seq=c.seq, kind=c.kind)
        parts: dict[int, Any] = {}
        for r, ev in self.model.nearby(row):
            p = ev.pdu if ev.session_id == event.session_id else None
            if p is None or p.command != pdu.command:
                continue
            try:
                pc = p.message.concat
            except Exception:
                continue
            if pc is None:
                continue
            k = (ev.session_id, ev.direction, p.command, p.fields.get("source_addr"),
                 p.fields.get("destination_addr"), pc.ref, pc.total)
            if k == key and pc.seq not in info.present:
                info.present[pc.seq] = r
                parts[pc.seq] = p.message
        info.text = _joined_text(parts, c.total)
        return info

    def select_field(self, name: str) -> bool:
        """Make the first tree row called ``name`` current (its bytes get highlighted)."""
        idx = self.tree.find(name)
        if idx.isValid():
            self.tree.setCurrentIndex(idx)
            self.tree.scrollTo(idx)
        return idx.isValid()

    def select_byte(self, offset: int) -> Any:
        """Select the field owning byte ``offset`` in the tree; returns its index."""
        return self.tree.select_offset(offset)

    # ------------------------------------------------------------------ pcap

    def _ask_open_pcap(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open capture", "",
                                              "Captures (*.pcap *.pcapng *.cap);;All files (*)")
        if path:
            self.open_pcap(path)

    def _ask_save_pcap(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save session as pcap", "smpp.pcap",
                                              "pcap (*.pcap)")
        if path:
            self.save_pcap(path)

    def open_pcap(self, path: str | Path) -> asyncio.Task[Any]:
        """Read a .pcap/.pcapng in a worker thread and show its PDUs (replacing the list)."""
        from console.smpp.pcap import read_pcap

        name = Path(path).name
        self.show_info(f"reading {name}…")

        def loaded(events: list[Any]) -> None:
            self.clear()
            self.model.extend(events)
            self.model.flush()
            undecoded = sum(1 for e in events if e.pdu is None)
            note = f", {undecoded} undecodable" if undecoded else ""
            self.show_info(f"{name}: {len(events)} PDUs{note}")
            if self.model.rowCount():
                self.select_row(0)

        return self._spawn(asyncio.to_thread(read_pcap, path), f"open {name}", on_done=loaded)

    def save_pcap(self, path: str | Path) -> asyncio.Task[Any]:
        """Write every PDU of the list (shown or filtered out) to a .pcap file."""
        from console.smpp.pcap import write_events

        self.model.flush()
        events = self.model.events()
        return self._spawn(asyncio.to_thread(write_events, path, events), "save pcap",
                           on_done=lambda n: self.show_info(
                               f"{len(events)} PDUs ({n} packets) written to {path}"))


def _decode(raw: bytes) -> tuple[Any, str | None]:
    from console.smpp import decode_pdu

    try:
        return decode_pdu(raw), None
    except Exception as exc:
        return None, str(exc)


def _joined_text(parts: dict[int, Any], total: int) -> str:
    if parts and len(parts) == total and all(m.encoding == "UCS2" for m in parts.values()):
        # a surrogate pair may straddle two parts: decode the joined payload
        joined = b"".join(parts[i].payload for i in range(1, total + 1))
        return joined.decode("utf-16-be", errors="replace")
    return "".join(parts[i].text if i in parts else f"[part {i} missing]"
                   for i in range(1, total + 1))
