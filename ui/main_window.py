"""The main window: the four tabs (HTTP, SMPP, DLRs, Webhooks), the composer, reference and
simulator panels as docks, the profile switcher, and a status bar with the simulator's
addresses and the latest message or error.

Each tab lives in its own module and is built with the shared :class:`ui.context.AppContext`;
a tab whose module is missing or fails to build is replaced by a note saying why, so the
window always opens.

The window appears before its contents: the constructor makes only the frame (tab bar,
docks, toolbar, menus, status bar) with a :class:`ui.lazy_page.LazyPage` per tab and panel.
After the first paint the pages are built one per event-loop turn — the current tab and the
visible panel first, then jobs queued with :meth:`MainWindow.when_shown` (the app starts the
embedded simulator there), then the rest. A page asked for earlier (:meth:`MainWindow.tab`,
selecting its tab, showing its dock) is built on the spot.

On first run (no saved layout) the window takes most of the screen and the panels are a
narrow column beside the tabs, or closed when the window is too narrow for both
(:func:`first_run_dock_width`); the toolbar's "Panels" buttons open them.
"""

from __future__ import annotations

import importlib
import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QTabWidget,
    QToolBar,
    QWidget,
)

from ui.context import AppContext
from ui.lazy_page import LazyPage, PlaceholderTab
from ui.profiles import ProfileDialog, ProfileSwitcher

log = logging.getLogger(__name__)

APP_TITLE = "Infobip Test Console"
# First run (no saved layout): the window takes the screen up to this size, and the panels
# open beside the tabs only when the window is at least DOCKS_FROM wide, as a column of
# DOCK_SHARE of its width (within DOCK_WIDTH); narrower windows give every pixel to the tabs
# and the toolbar's Composer / Reference / Simulator buttons open the panels.
FIRST_RUN_SIZE = (1680, 1050)
DOCKS_FROM = 1400
DOCK_SHARE = 0.27
DOCK_WIDTH = (340, 460)
# (tab title, candidate modules in order of preference, class)
TABS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("HTTP", ("ui.http_tab",), "HttpTab"),
    ("SMPP", ("ui.smpp",), "SmppTab"),
    ("DLRs", ("ui.dlr",), "DlrTab"),
    ("Webhooks", ("ui.webhooks_tab",), "WebhooksTab"),
)
# (dock title, object name, module, class, whether it takes the context)
PANELS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("Composer", "composerDock", "ui.composer", "ComposerPanel", False),
    ("Reference", "referenceDock", "ui.reference_panel", "ReferencePanel", False),
    ("Simulator", "simulatorDock", "ui.simulator_panel", "SimulatorPanel", True),
)

__all__ = ["APP_TITLE", "MainWindow", "PlaceholderTab", "build_tab", "first_run_dock_width",
           "first_run_size"]


def first_run_size(available: QSize) -> tuple[int, int]:
    """The window's size on first run: the available screen less a margin, at most
    :data:`FIRST_RUN_SIZE`."""
    return (max(640, min(FIRST_RUN_SIZE[0], available.width() - 40)),
            max(480, min(FIRST_RUN_SIZE[1], available.height() - 40)))


def first_run_dock_width(window_width: int) -> int | None:
    """The panels' width on first run, or None when the window is too narrow to show them
    beside the tabs."""
    if window_width < DOCKS_FROM:
        return None
    return int(min(DOCK_WIDTH[1], max(DOCK_WIDTH[0], window_width * DOCK_SHARE)))


def build_tab(title: str, modules: tuple[str, ...], cls_name: str, ctx: AppContext) -> QWidget:
    """The tab widget ``module.cls_name(ctx)`` from the first module that has it, or a
    placeholder saying what went wrong."""
    cls, problems, module = None, [], ""
    for module in modules:
        try:
            cls = getattr(importlib.import_module(module), cls_name)
            break
        except ModuleNotFoundError as exc:
            if exc.name != module:  # the module exists but something it imports does not
                problems.append(f"{module}: {exc}")
        except (ImportError, AttributeError) as exc:
            problems.append(f"{module}.{cls_name}: {exc}")
    if cls is None:
        return PlaceholderTab(title, "; ".join(problems) or f"no module provides {cls_name}")
    try:
        return cls(ctx)
    except Exception as exc:  # a broken tab must not keep the window from opening
        log.error("building tab %s failed:\n%s", title, traceback.format_exc())
        ctx.report_error(f"{title} tab failed to open: {exc}")
        return PlaceholderTab(title, f"{module}.{cls_name} failed: {exc}")


class MainWindow(QMainWindow):
    """The application window."""

    ready = Signal()  # every tab and panel is built (after the first paint)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(APP_TITLE)
        self.setObjectName("MainWindow")
        self.resize(*first_run_size(self.screen().availableGeometry().size()))
        self._first_run = False  # no saved layout: the docks get theirs at the first show
        self._soon: list[Callable[[], Any]] = []  # startup jobs, first the visible pages
        self._later: list[Callable[[], Any]] = []
        self._started = False  # the first paint happened: startup jobs are running
        self._done = False

        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.tabs.setDocumentMode(True)
        self.pages: dict[str, LazyPage] = {}
        for title, modules, cls_name in TABS:
            page = LazyPage(title, lambda t=title, m=modules, c=cls_name: build_tab(t, m, c, ctx))
            self.pages[title] = page
            self.tabs.addTab(page, title)
        self.setCentralWidget(self.tabs)

        self.panels: dict[str, LazyPage] = {}
        docks: list[QDockWidget] = []
        for title, name, module, cls_name, with_ctx in PANELS:
            page = LazyPage(title, lambda m=module, c=cls_name, w=with_ctx: self._make_panel(m, c, w),
                            on_error=ctx.report_error)
            self.panels[title] = page
            docks.append(self._dock(title, page, name))
        self.composer_dock, self.reference_dock, self.simulator_dock = docks
        for dock in docks:
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        for dock in docks[1:]:
            self.tabifyDockWidget(docks[0], dock)
        self.composer_dock.raise_()

        self._build_toolbar(docks)
        self._build_menus(docks)
        self._build_status_bar()
        ctx.error.connect(self.show_error)
        ctx.info.connect(self.show_info)
        ctx.simulator_changed.connect(self.update_addresses)
        self.update_addresses()
        self.restore_state()
        # a page the user turns to is built on the spot (once startup has begun)
        self.tabs.currentChanged.connect(self._current_tab_changed)
        self._size_docks_when_shown = False
        for dock, page in zip(docks, self.panels.values(), strict=True):
            dock.visibilityChanged.connect(
                lambda visible, p=page: visible and self._started and p.content())
            dock.visibilityChanged.connect(lambda visible, d=dock: visible and self._dock_shown(d))
        self._close_ok = False

    def _make_panel(self, module: str, cls_name: str, with_ctx: bool) -> QWidget:
        cls = getattr(importlib.import_module(module), cls_name)
        return cls(self.ctx) if with_ctx else cls()

    # ------------------------------------------------------------------ startup

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._first_run:
            self._first_run = False
            self.apply_first_run_layout()

    def apply_first_run_layout(self) -> None:
        """Docks as on first run: tabified on the right with the Composer in front, a column
        of :func:`first_run_dock_width`, or closed when the window is too narrow for them."""
        width = first_run_dock_width(self.width())
        docks = self._docks()
        for dock in docks:
            dock.setVisible(width is not None)
        if width is not None:
            self.composer_dock.raise_()
            self.resizeDocks(docks, [width] * len(docks), Qt.Orientation.Horizontal)
        else:  # the first panel opened later gets a column that leaves the tabs usable
            self._size_docks_when_shown = True

    def _dock_shown(self, dock: QDockWidget) -> None:
        if self._size_docks_when_shown:
            self._size_docks_when_shown = False
            width = int(min(DOCK_WIDTH[1], max(DOCK_WIDTH[0] - 20, self.width() * DOCK_SHARE)))
            QTimer.singleShot(0, self, lambda: self.resizeDocks(
                [dock], [width], Qt.Orientation.Horizontal))

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._started:
            self._started = True
            self._queue_startup()
            QTimer.singleShot(0, self, self._run_next)

    def _queue_startup(self) -> None:
        current = self.tabs.currentWidget()
        assert isinstance(current, LazyPage)
        visible = [p for d, p in zip(self._docks(), self.panels.values(), strict=True)
                   if d.isVisible()]
        self._soon[:0] = [current.content, *(p.content for p in visible)]
        rest = [p for p in (*self.pages.values(), *self.panels.values())
                if p is not current and p not in visible]
        self._later.extend(p.content for p in rest)

    def when_shown(self, job: Callable[[], Any]) -> None:
        """Run ``job`` after the first paint, once the visible pages are built (or at the next
        event-loop turn if that has happened already)."""
        self._soon.append(job)
        if self._done:
            self._done = False
            QTimer.singleShot(0, self, self._run_next)

    def _run_next(self) -> None:
        queue = self._soon or self._later
        if not queue:
            if not self._done:
                self._done = True
                self.ready.emit()
            return
        job = queue.pop(0)
        try:
            job()
        except Exception as exc:  # one failing job must not stop the others
            log.error("startup job failed:\n%s", traceback.format_exc())
            self.ctx.report_error(f"start: {exc}")
        QTimer.singleShot(0, self, self._run_next)

    def _current_tab_changed(self, index: int) -> None:
        page = self.tabs.widget(index)
        if self._started and isinstance(page, LazyPage):
            page.content()

    def _docks(self) -> list[QDockWidget]:
        return [self.composer_dock, self.reference_dock, self.simulator_dock]

    # ------------------------------------------------------------------ pages

    def tab(self, title: str) -> Any:
        """The widget of the tab titled ``title`` (HTTP, SMPP, DLRs, Webhooks), built now if it
        was not yet."""
        return self.pages[title].content()

    def show_tab(self, title: str) -> Any:
        """Make the tab titled ``title`` current; returns its widget."""
        self.tabs.setCurrentWidget(self.pages[title])
        return self.tab(title)

    @property
    def tab_widgets(self) -> dict[str, QWidget]:
        """The tabs built so far, by title."""
        return {t: p.content() for t, p in self.pages.items() if p.is_built}

    @property
    def composer(self) -> Any:
        return self.panels["Composer"].content()

    @property
    def reference(self) -> Any:
        return self.panels["Reference"].content()

    @property
    def simulator_panel(self) -> Any:
        return self.panels["Simulator"].content()

    # ------------------------------------------------------------------ building

    def _dock(self, title: str, widget: QWidget, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        return dock

    def _build_toolbar(self, docks: list[QDockWidget]) -> None:
        bar = QToolBar("Connection")
        bar.setObjectName("connectionToolbar")
        bar.setMovable(False)
        bar.addWidget(QLabel(" Profile: "))
        self.profile_switcher = ProfileSwitcher(self.ctx.profiles)
        self.profile_switcher.setMinimumWidth(200)
        bar.addWidget(self.profile_switcher)
        edit = QAction("Edit…", self)
        edit.setToolTip("Edit the current profile (the embedded one is read-only: you get an "
                        "editable copy of it)")
        edit.triggered.connect(lambda: self.edit_profile(new=False))
        add = QAction("New…", self)
        add.setToolTip("Add a custom profile (another Infobip account or a test SMSC)")
        add.triggered.connect(lambda: self.edit_profile(new=True))
        bar.addAction(edit)
        bar.addAction(add)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        bar.addWidget(QLabel("Panels: "))
        for dock in docks:  # the panels are one click away even when closed
            toggle = dock.toggleViewAction()
            toggle.setToolTip(f"Show or hide the {dock.windowTitle()} panel")
            bar.addAction(toggle)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

    def _build_menus(self, docks: list[QDockWidget]) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        demo = QAction("Run &demo", self)
        demo.setToolTip("A scripted story against the simulator that fills every tab")
        demo.triggered.connect(self.run_demo)
        file_menu.addAction(demo)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for i in range(self.tabs.count()):
            act = QAction(self.tabs.tabText(i), self)
            act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            act.triggered.connect(lambda _c=False, i=i: self.tabs.setCurrentIndex(i))
            view_menu.addAction(act)
        view_menu.addSeparator()
        for dock in docks:
            view_menu.addAction(dock.toggleViewAction())
        find = QAction("Search reference…", self)
        find.setShortcut(QKeySequence("Ctrl+K"))
        find.triggered.connect(self.focus_reference)
        view_menu.addAction(find)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("About", self)
        about.triggered.connect(lambda: QMessageBox.about(
            self, APP_TITLE, "<b>Infobip Test Console</b><p>HTTP API client, SMPP inspector, "
            "DLR viewer and webhook listener on an embedded platform simulator.</p>"))
        help_menu.addAction(about)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self._error_until = 0.0
        self.message_label = QLabel()
        self.message_label.setObjectName("messageLabel")
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.http_label = QLabel()
        self.smpp_label = QLabel()
        for lab in (self.http_label, self.smpp_label):
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar.addWidget(self.message_label, 1)
        bar.addPermanentWidget(self.http_label)
        bar.addPermanentWidget(self.smpp_label)
        self._clear_timer = QTimer(self)
        self._clear_timer.setSingleShot(True)
        self._clear_timer.timeout.connect(lambda: self.message_label.setText(""))

    # ------------------------------------------------------------------ status

    def show_error(self, message: str) -> None:
        self._error_until = time.monotonic() + 10.0
        self.message_label.setStyleSheet("color: #d03030; font-weight: bold")
        self.message_label.setText(f"⚠ {message}")
        self.message_label.setToolTip(message)
        self._clear_timer.start(30_000)

    def show_info(self, message: str) -> None:
        if time.monotonic() < self._error_until:
            return  # a fresh error stays readable; the note is less important
        self.message_label.setStyleSheet("")
        self.message_label.setText(message)
        self.message_label.setToolTip(message)
        self._clear_timer.start(10_000)

    def update_addresses(self) -> None:
        sim = self.ctx.simulator
        if sim is not None:
            self.http_label.setText(f"Simulator HTTP {sim.http_url}")
            tls = f", TLS {sim.smpp_tls_port}" if sim.smpp_tls_port else ""
            self.smpp_label.setText(f"SMPP {sim.host}:{sim.smpp_port}{tls}")
            accounts = sim.credentials() if hasattr(sim, "credentials") else []
            if accounts:
                a = accounts[0]
                self.http_label.setToolTip(f"account {a['username']} / {a['password']}")
                self.smpp_label.setToolTip(f"system_id {a['username']} / {a.get('smpp_password')}")
        elif self.ctx.simulator_error:
            self.http_label.setText("Simulator not running")
            self.http_label.setToolTip(self.ctx.simulator_error)
            self.smpp_label.setText("")
        else:
            self.http_label.setText("Simulator off")
            self.smpp_label.setText("")

    def run_demo(self) -> Any:
        """Run demo mode (HTTP, webhooks, SMPP, DLRs) in this window; returns the task."""
        from ui.demo import run_in_window

        return self.ctx.spawn(run_in_window(self), "demo")

    def edit_profile(self, new: bool = False) -> ProfileDialog | None:
        """Open the profile editor; saving stores the profile and selects it. The embedded
        simulator's profile is read-only: "Edit…" on it offers a copy with its values."""
        from ui.profiles import copy_of

        profiles = self.ctx.profiles
        current, note = profiles.current, ""
        if new:
            current = None
        elif not current.editable:
            note = (f"“{current.name}” is read-only (the embedded simulator fills it in). "
                    "This is a copy with its values: rename it, change what you need and save.")
            current = copy_of(current, [p.name for p in profiles.profiles])
        dialog = ProfileDialog(current, self.ctx.secrets, self, note=note)
        dialog.setModal(True)

        def save() -> None:
            try:
                profiles.set_current(profiles.upsert(dialog.profile()))
            except ValueError as exc:
                self.ctx.report_error(f"profile: {exc}")

        dialog.accepted.connect(save)
        dialog.open()
        return dialog

    def focus_reference(self) -> None:
        self.reference_dock.show()
        self.reference_dock.raise_()
        self.reference.search_box.setFocus()
        self.reference.search_box.selectAll()

    # ------------------------------------------------------------------ state

    def restore_state(self) -> None:
        s = self.ctx.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes) and geometry:
            self.restoreGeometry(QByteArray(geometry))
        state = s.value("window/state")
        if isinstance(state, QByteArray | bytes) and state:
            self.restoreState(QByteArray(state))
        else:
            self._first_run = True
            if first_run_dock_width(self.width()) is None:  # before the first show, so the
                for dock in self._docks():  # docks' minimum width cannot widen the window
                    dock.hide()
        try:
            tab = int(s.value("window/tab", 0))
        except (TypeError, ValueError):
            tab = 0
        if 0 <= tab < self.tabs.count():
            self.tabs.setCurrentIndex(tab)

    def save_state(self) -> None:
        s = self.ctx.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/tab", self.tabs.currentIndex())
        for widget in self.tab_widgets.values():
            save = getattr(widget, "save_state", None)
            if callable(save):
                try:
                    save(s)
                except Exception:
                    log.exception("saving tab state failed")
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        super().closeEvent(event)
