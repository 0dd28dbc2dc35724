"""Connection panel: where and how to bind (host, port, TLS, credentials, bind type, window)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ui.elided_label import ElidedLabel
from ui.layout import form_row

BIND_TYPES = (("Transceiver (TRX)", "trx"), ("Transmitter (TX)", "tx"), ("Receiver (RX)", "rx"))


@dataclass
class BindSettings:
    """What :class:`console.smpp.session.SmppSession` needs to bind."""

    host: str
    port: int
    tls: bool
    verify: bool
    system_id: str
    password: str
    system_type: str
    bind: str
    window: int



class ConnectionPanel(QGroupBox):
    """Fields of a bind and the Bind/Unbind buttons."""

    bind_requested = Signal()
    unbind_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Connection", parent)
        form = QFormLayout(self)
        form.setVerticalSpacing(4)  # the form shares a short window with the submit form
        self.host_edit = QLineEdit("127.0.0.1")
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(2775)
        self.tls_check = QCheckBox("TLS")
        self.tls_check.setToolTip("Connect over TLS (Infobip: port 8887 for TLS, 8888 plain)")
        self.verify_check = QCheckBox("verify certificate")
        self.verify_check.setChecked(True)
        self.verify_check.setToolTip("Turn off for test SMSCs with self-signed certificates")
        self.host_edit.setMinimumWidth(90)
        self.port_spin.setToolTip("SMPP port (Infobip: 8888 plain, 8887 TLS)")
        host_row = form_row()
        host_row.addWidget(self.host_edit, 1)
        host_row.addWidget(QLabel("port"))
        host_row.addWidget(self.port_spin)
        form.addRow("Host", host_row)
        tls_row = form_row()
        tls_row.addWidget(self.tls_check)
        tls_row.addWidget(self.verify_check)
        tls_row.addStretch(1)
        form.addRow("", tls_row)
        self.system_id_edit = QLineEdit()
        self.system_id_edit.setToolTip("system_id: your SMPP account name (max 15 characters)")
        self.system_id_edit.setMaxLength(15)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setMaxLength(8)
        self.password_edit.setToolTip("password (max 8 characters in SMPP 3.4)")
        self.system_type_edit = QLineEdit()
        self.system_type_edit.setPlaceholderText("e.g. HLR, NSMS or a route code")
        self.system_type_edit.setToolTip("system_type: Infobip uses it for route codes, "
                                         "HLR lookups (HLR) and number context (NSMS)")
        form.addRow("system_id", self.system_id_edit)
        form.addRow("password", self.password_edit)
        form.addRow("system_type", self.system_type_edit)
        self.bind_combo = QComboBox()
        for label, value in BIND_TYPES:
            self.bind_combo.addItem(label, value)
        self.window_spin = QSpinBox()
        self.window_spin.setRange(1, 1000)
        self.window_spin.setValue(10)
        self.window_spin.setToolTip("Requests in flight before waiting for responses")
        bind_row = form_row()
        bind_row.addWidget(self.bind_combo, 1)
        bind_row.addWidget(QLabel("window"))
        bind_row.addWidget(self.window_spin)
        form.addRow("Bind as", bind_row)
        self.bind_button = QPushButton("Bind")
        self.bind_button.setObjectName("bindButton")
        self.unbind_button = QPushButton("Unbind")
        self.unbind_button.setEnabled(False)
        # elided (whole text in the tooltip): a long state must not widen the form
        self.state_label = ElidedLabel("not connected")
        self.state_label.setObjectName("smppStateLabel")
        buttons = form_row()
        buttons.addWidget(self.bind_button)
        buttons.addWidget(self.unbind_button)
        buttons.addWidget(self.state_label, 1)
        form.addRow(buttons)
        self.bind_button.clicked.connect(self.bind_requested)
        self.unbind_button.clicked.connect(self.unbind_requested)

    def settings(self) -> BindSettings:
        return BindSettings(
            host=self.host_edit.text().strip(), port=self.port_spin.value(),
            tls=self.tls_check.isChecked(), verify=self.verify_check.isChecked(),
            system_id=self.system_id_edit.text(), password=self.password_edit.text(),
            system_type=self.system_type_edit.text(), bind=str(self.bind_combo.currentData()),
            window=self.window_spin.value())

    def load_profile(self, p: Any) -> None:
        """Fill the fields from a connection profile (``ui.profiles.ConnectionProfile``)."""
        if p is None:
            return
        if getattr(p, "smpp_host", ""):
            self.host_edit.setText(p.smpp_host)
        if getattr(p, "smpp_port", 0):
            self.port_spin.setValue(int(p.smpp_port))
        self.tls_check.setChecked(bool(getattr(p, "smpp_tls", False)))
        self.verify_check.setChecked(bool(getattr(p, "smpp_verify", True)))
        self.system_id_edit.setText(getattr(p, "smpp_system_id", "") or "")
        self.password_edit.setText(getattr(p, "smpp_password", "") or "")
        self.system_type_edit.setText(getattr(p, "smpp_system_type", "") or "")

    def load_simulator(self, sim: Any) -> None:
        """Fill the fields from a running embedded simulator."""
        self.host_edit.setText(getattr(sim, "host", "127.0.0.1") or "127.0.0.1")
        if getattr(sim, "smpp_port", None):
            self.port_spin.setValue(int(sim.smpp_port))
        self.tls_check.setChecked(False)
        creds = sim.credentials() if hasattr(sim, "credentials") else []
        if creds:
            c = creds[0]
            self.system_id_edit.setText(str(c.get("system_id") or c.get("username", "")))
            self.password_edit.setText(str(c.get("smpp_password") or c.get("password", "")))

    def set_state(self, text: str, *, bound: bool, busy: bool = False) -> None:
        self.state_label.setText(text)
        self.bind_button.setEnabled(not bound and not busy)
        self.unbind_button.setEnabled(bound or busy)
