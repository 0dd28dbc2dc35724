"""The SMPP inspector tab: bind, submit, watch every PDU, and dissect one in a tree + hex view.

I/O runs as asyncio tasks on the qasync loop (the session is :mod:`console.smpp.session`);
live PDU events only land in a queue that the list model flushes every 50 ms. Errors and notes
are shown in the tab's status line (the window's status bar gets them only while the tab is
hidden, see :mod:`ui.status_line`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.context import alive, spawn_task
from ui.layout import restore_layout, save_layout, vstack
from ui.progress_strip import ProgressStrip
from ui.smpp.bind_errors import explain_bind_error
from ui.smpp.bulk import BulkResult, BulkSend
from ui.smpp.connection_panel import ConnectionPanel
from ui.smpp.decode_tree import DecodeTree
from ui.smpp.hexview import HexView
from ui.smpp.multipart import multipart_info
from ui.smpp.pdu_model import COL_SUMMARY, PduListModel
from ui.smpp.submit_form import SubmitForm, SubmitFormError
from ui.status_line import StatusLine

log = logging.getLogger(__name__)


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
        self._bulk: BulkSend | None = None  # a running "repeat N times" submit
        self._open_task: asyncio.Task[Any] | None = None  # a capture being read

        self.connection = ConnectionPanel()
        self.form = SubmitForm()
        left = vstack(self.connection, self.form, None)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        # the column is never narrower than its form (no sideways scrolling, no field cut
        # off); a short window scrolls it vertically
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bar_width = scroll.verticalScrollBar().sizeHint().width()
        self._form_width = left.minimumSizeHint().width() + bar_width + 2 * scroll.frameWidth()
        scroll.setMinimumWidth(self._form_width)
        self.form_scroll = scroll

        self.model = PduListModel(parent=self)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: command, status, sequence, address, text…")
        self.filter_edit.setToolTip("Show only the PDUs whose command, status, sequence number, "
                                    "addresses or text contain this (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.hide_enquire = QCheckBox("hide enquire_link")
        self.hide_enquire.setToolTip("Hide the keep-alive enquire_link PDUs and their responses")
        self.hide_enquire.setChecked(True)
        self.show_secrets = QCheckBox("show passwords")
        self.show_secrets.setToolTip("Show bind passwords in the decode tree and hex view (masked "
                                     "by default, so screenshots never leak them)")
        self.filter_edit.setMinimumWidth(120)
        open_button = QToolButton()
        open_button.setText("Open…")
        open_button.setToolTip("Open a .pcap/.pcapng capture and inspect its SMPP PDUs (Ctrl+O)")
        save_button = QToolButton()
        save_button.setText("Save…")
        save_button.setToolTip("Save every PDU of the list as a .pcap, which Wireshark opens "
                               "(Ctrl+S)")
        clear_button = QToolButton()
        clear_button.setText("Clear")
        clear_button.setToolTip("Empty the list (the journal keeps every PDU)")
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
        self.open_progress = ProgressStrip()
        right_split.addWidget(vstack(bar, self.open_progress, self.pdu_view))
        self.form.raw_bar.layout().addWidget(self.show_secrets)  # it governs the detail below
        right_split.addWidget(vstack(self.form.raw_bar, (self.tree, 1)))
        right_split.addWidget(self.hex)
        right_split.setSizes([330, 300, 190])

        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(scroll)
        main.addWidget(right_split)
        main.setStretchFactor(1, 1)
        main.setSizes([self._form_width, 1000])
        main.setCollapsible(0, False)
        main.setCollapsible(1, False)
        self.status_label = StatusLine(self.ctx)
        self.status_label.setObjectName("smppStatus")
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
        self.show_secrets.toggled.connect(self._reshow_current)
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
        self.form.progress.cancelled.connect(self.cancel_bulk)
        self.open_progress.cancelled.connect(self.cancel_open)
        # Ctrl+Enter submits and Ctrl+Shift+Enter sends the raw hex wherever the focus is in
        # the window (only the visible tab's shortcuts are live); the rest work inside the tab
        for keys, action in (("Ctrl+Return", self.submit), ("Ctrl+Enter", self.submit),
                             ("Ctrl+Shift+Return", self.send_raw),
                             ("Ctrl+Shift+Enter", self.send_raw)):
            QShortcut(QKeySequence(keys), self, action)
        for seq, action in ((QKeySequence.StandardKey.Find, self.filter_edit.setFocus),
                            (QKeySequence.StandardKey.Open, self._ask_open_pcap),
                            (QKeySequence.StandardKey.Save, self._ask_save_pcap),
                            (QKeySequence(Qt.Key.Key_Escape), self.cancel_running)):
            QShortcut(QKeySequence(seq), self, action).setContext(
                Qt.ShortcutContext.WidgetWithChildrenShortcut)
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
        save_layout(settings, {f"smpp/split_{n}": split for n, split in self.splitters.items()})
        settings.setValue("smpp/hide_enquire", self.hide_enquire.isChecked())
        settings.setValue("smpp/bind", self.connection.bind_combo.currentData())
        settings.setValue("smpp/window", self.connection.window_spin.value())

    def restore_state(self, settings: Any) -> None:
        if settings is None:
            return
        try:
            restore_layout(settings, {f"smpp/split_{n}": split
                                      for n, split in self.splitters.items()})
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
        """Show ``message`` in the tab's status line (the window's if the tab is hidden)."""
        self.status_label.show_error(message)

    def show_info(self, message: str) -> None:
        self.status_label.show_info(message)

    def _spawn(self, coro: Awaitable[Any], what: str,
               on_done: Callable[[Any], None] | None = None) -> asyncio.Task[Any]:
        """Run ``coro`` on the qasync loop (through the window's context when there is one);
        failures end up in the status line."""
        spawn = getattr(self.ctx, "spawn", None)
        if callable(spawn):
            return spawn(coro, what, on_done=on_done, on_error=self.show_error)
        return spawn_task(coro, what, self.show_error, on_done, self._tasks)

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
            from console.errors import BindError

            try:
                await session.open()
            except BindError as exc:  # the status's meaning and a hint, not just its name
                if self.session is session:
                    self.session = None
                sim = getattr(self.ctx, "simulator", None)
                raise BindError(explain_bind_error(exc, st, sim), exc.status) from exc
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
        if self._bulk is not None:  # Ctrl+Enter while the button is greyed out
            self.show_error("submit: a repeated submit is running (Esc stops it)")
            return None
        session = self.session
        count = self.form.repeat_spin.value()
        if count > 1:
            return self._submit_repeated(session, count, kw)

        def done(ids: list[str]) -> None:
            self.show_info(f"submitted {len(ids)} part{'s' if len(ids) != 1 else ''}: "
                           f"message id{'s' if len(ids) != 1 else ''} {', '.join(ids)}")

        return self._spawn(send_sms(session, kw.pop("source"), kw.pop("destination"),
                                    kw.pop("text"), **kw), "submit", on_done=done)

    def _submit_repeated(self, session: Any, count: int, kw: dict[str, Any]) -> asyncio.Task[Any]:
        """Send the form's message ``count`` times with a progress line and Cancel."""
        strip = self.form.progress
        bulk = BulkSend(session, count, kw.pop("source"), kw.pop("destination"), kw.pop("text"),
                        progress=strip, **kw)
        self._bulk = bulk
        strip.start("Submitting", count)
        self.form.submit_button.setEnabled(False)

        def done(result: BulkResult) -> None:
            (self.show_error if result.failed else self.show_info)(result.summary())

        def finished(_t: Any) -> None:
            self._bulk = None
            if alive(strip):
                strip.finish()
                self.form.submit_button.setEnabled(True)

        task = self._spawn(bulk.run(), "bulk submit", on_done=done)
        task.add_done_callback(finished)
        return task

    def cancel_bulk(self) -> None:
        """Stop a running bulk submit (messages in flight still get their answers)."""
        if self._bulk is not None:
            self._bulk.stop()

    def send_raw(self) -> asyncio.Task[Any] | None:
        """Send the raw hex field's bytes exactly as they are (sequence number included) and
        show the answer; returns the task (None if refused). A response PDU goes out without
        waiting for an answer."""
        try:
            data = self.form.raw_bytes()
        except SubmitFormError as exc:
            self.show_error(f"raw PDU: {exc}")
            return None
        declared = int.from_bytes(data[:4], "big")
        if declared != len(data):
            self.show_error(f"raw PDU: command_length says {declared} octets but the hex has "
                            f"{len(data)}")
            return None
        if self.session is None or not self.session.bound:
            self.show_error("SMPP: bind first")
            return None
        send = getattr(self.session, "send_raw", None)
        if send is None:  # a console library older than SmppSession.send_raw
            self.show_error("raw PDU: this SMPP session cannot send raw bytes")
            return None
        pdu, _error = _decode(data)
        wait = pdu is None or not pdu.is_response

        def done(resp: Any) -> None:
            if resp is None:
                self.show_info(f"sent {len(data)} octets (no answer expected)")
            else:
                self.show_info(f"answer: {resp.command} {resp.status_name} "
                               f"(#{resp.sequence_number})")

        return self._spawn(send(data, wait_response=wait), "raw PDU", on_done=done)

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
        pdu, raw = event.pdu, event.raw
        if not self.show_secrets.isChecked() and pdu is not None and pdu.command.startswith("bind_"):
            from console.smpp.events import redact_password

            masked = redact_password(raw)
            if masked != raw:
                raw = masked
                pdu, _error = _decode(masked)
        multipart = (multipart_info(event, row, self.model)
                     if pdu is not None and row is not None else None)
        try:
            self.tree.show_pdu(pdu, error=event.error, multipart=multipart)
        except Exception as exc:  # a decoder bug on odd bytes: show the bytes anyway
            self.tree.clear_pdu()
            self.show_error(f"cannot show this PDU: {exc}")
        self.hex.set_data(raw)

    def _reshow_current(self, _checked: bool = False) -> None:
        index = self.pdu_view.currentIndex()
        if index.isValid():
            self.show_event(self.model.event_at(index.row()), row=index.row())

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
        """Read a .pcap/.pcapng in a worker thread and show its PDUs (replacing the list);
        a busy line with Cancel shows meanwhile."""
        from console.smpp.pcap import read_pcap

        name = Path(path).name
        self.cancel_open()
        try:
            size_bytes = Path(path).stat().st_size
        except OSError:
            size_bytes = 0
        self.show_info(f"reading {name}…")
        # the bar counts kilobytes read; the reader thread writes ``done``, the strip's timer paints
        strip = self.open_progress
        strip.start(f"Reading {name} (kB):", max(size_bytes // 1024, 1) if size_bytes else None)
        stop = threading.Event()

        def progress(done_bytes: int) -> None:
            if stop.is_set():
                raise asyncio.CancelledError
            strip.done = done_bytes // 1024

        def loaded(events: list[Any]) -> None:
            self.clear()
            self.model.extend(events)
            self.model.flush()
            undecoded = sum(1 for e in events if e.pdu is None)
            note = f", {undecoded} undecodable" if undecoded else ""
            self.show_info(f"{name}: {len(events)} PDUs{note}")
            if self.model.rowCount():
                self.select_row(0)

        def finished(t: asyncio.Task[Any]) -> None:
            stop.set()  # a cancelled task leaves the thread running: this ends it
            if self._open_task is t:
                self._open_task = None
                if alive(self.open_progress):
                    self.open_progress.finish()
            if t.cancelled() and alive(self.status_label):
                self.show_info(f"opening {name} cancelled")

        task = self._spawn(asyncio.to_thread(read_pcap, path, progress=progress), f"open {name}",
                           on_done=loaded)
        self._open_task = task
        task.add_done_callback(finished)
        return task

    def cancel_open(self) -> None:
        """Stop waiting for a capture being read (the list keeps what it shows)."""
        if self._open_task is not None and not self._open_task.done():
            self._open_task.cancel()

    def cancel_running(self) -> None:
        """Esc: cancel a capture being read and a bulk submit."""
        self.cancel_open()
        self.cancel_bulk()

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
