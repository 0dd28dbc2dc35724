"""Connection profiles: where the HTTP and SMPP tabs connect.

Three kinds: the embedded simulator (the default, filled in when it starts), Infobip
production (``https://api.infobip.com``) and custom ones. Profiles are kept in QSettings
*without* their passwords: those go to the system keyring when one works, else stay in memory
for this run only (never written in clear).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

log = logging.getLogger(__name__)

KEYRING_SERVICE = "infobip-console"
EMBEDDED, PRODUCTION, CUSTOM = "embedded", "production", "custom"
PRODUCTION_URL = "https://api.infobip.com"
_Index = QModelIndex | QPersistentModelIndex


@dataclass
class ConnectionProfile:
    """One place to connect to, over HTTP and SMPP."""

    name: str
    kind: str = CUSTOM  # embedded | production | custom
    http_base_url: str = ""
    http_username: str = ""
    smpp_host: str = ""
    smpp_port: int = 2775
    smpp_tls: bool = False
    smpp_verify: bool = True
    smpp_system_id: str = ""
    smpp_system_type: str = ""
    # secrets: never saved by to_settings(); kept by SecretStore
    http_password: str = field(default="", repr=False)
    smpp_password: str = field(default="", repr=False)

    SECRETS = ("http_password", "smpp_password")

    @property
    def editable(self) -> bool:
        return self.kind != EMBEDDED

    def public_dict(self) -> dict[str, Any]:
        """Every field except the passwords (what QSettings stores)."""
        return {k: v for k, v in asdict(self).items() if k not in self.SECRETS}

    @classmethod
    def from_public(cls, d: dict[str, Any]) -> ConnectionProfile:
        known = {f.name for f in fields(cls)} - set(cls.SECRETS)
        return cls(**{k: v for k, v in d.items() if k in known})


class SecretStore:
    """Passwords in the system keyring; in memory only when no keyring backend works.

    The keyring is opened on first use, not when the store is made: importing it and asking
    its backend (D-Bus on Linux) costs time the window's start should not pay.
    """

    def __init__(self, service: str = KEYRING_SERVICE, *, use_keyring: bool = True) -> None:
        self.service = service
        self._memory: dict[str, str] = {}
        self._error: str | None = None
        self._keyring: Any = None
        self._opened = not use_keyring
        if not use_keyring:
            self._error = "keyring disabled: passwords are kept for this run only"

    def _open(self) -> Any:
        if not self._opened:
            self._opened = True
            try:
                import keyring
                from keyring.backends import fail

                if isinstance(keyring.get_keyring(), fail.Keyring):
                    self._error = "no system keyring: passwords are kept for this run only"
                else:
                    self._keyring = keyring
            except Exception as exc:  # keyring missing or its backend broken
                self._error = f"keyring unavailable ({exc}): passwords kept for this run only"
        return self._keyring

    @property
    def keyring_error(self) -> str | None:
        self._open()
        return self._error

    @property
    def persistent(self) -> bool:
        return self._open() is not None

    def get(self, key: str) -> str:
        if key in self._memory:
            return self._memory[key]
        backend = self._open()
        if backend is not None:
            try:
                value = backend.get_password(self.service, key)
            except Exception as exc:  # a locked or broken backend must not break the app
                self._error = f"keyring read failed: {exc}"
                value = None
            if value is not None:
                self._memory[key] = value
                return value
        return ""

    def set(self, key: str, value: str) -> None:
        self._memory[key] = value
        backend = self._open()
        if backend is not None:
            try:
                if value:
                    backend.set_password(self.service, key, value)
                else:
                    backend.delete_password(self.service, key)
            except Exception as exc:
                self._error = f"keyring write failed ({exc}): password kept for this run only"


class ProfilesModel(QAbstractListModel):
    """The list of profiles and the current one; the tabs read :attr:`current`."""

    current_changed = Signal(object)  # ConnectionProfile
    ProfileRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, settings: Any, secrets: SecretStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.secrets = secrets
        self._profiles: list[ConnectionProfile] = [
            ConnectionProfile("Embedded simulator", EMBEDDED, smpp_host="127.0.0.1"),
            ConnectionProfile("Infobip production", PRODUCTION, http_base_url=PRODUCTION_URL,
                              smpp_host="smpp3.infobip.com", smpp_port=8887, smpp_tls=True),
        ]
        self._current = 0
        # saved profiles whose passwords are not read from the secret store yet: read on
        # first use, so the window opens without waiting for the keyring
        self._unread: set[str] = set()
        self._load()

    # ------------------------------------------------------------------ model

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._profiles)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        p = self._profiles[index.row()]
        if role == self.ProfileRole:
            return self._with_secrets(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            return p.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"HTTP {p.http_base_url or '—'}\nSMPP {p.smpp_host}:{p.smpp_port}" + (
                " (TLS)" if p.smpp_tls else "")
        return None

    # ------------------------------------------------------------------ access

    @property
    def profiles(self) -> list[ConnectionProfile]:
        return [self._with_secrets(row) for row in range(len(self._profiles))]

    @property
    def current(self) -> ConnectionProfile:
        return self._with_secrets(self._current)

    def _with_secrets(self, row: int) -> ConnectionProfile:
        p = self._profiles[row]
        if p.name in self._unread:
            self._unread.discard(p.name)
            for key in p.SECRETS:
                setattr(p, key, self.secrets.get(f"{p.name}/{key}"))
        return p

    @property
    def current_row(self) -> int:
        return self._current

    def set_current(self, row: int) -> None:
        if 0 <= row < len(self._profiles) and row != self._current:
            self._current = row
            self.settings.setValue("profiles/current", self.current.name)
            self.current_changed.emit(self.current)

    def find(self, name: str) -> int:
        return next((i for i, p in enumerate(self._profiles) if p.name == name), -1)

    def upsert(self, profile: ConnectionProfile) -> int:
        """Add or replace (by name) a custom/production profile; stores its passwords."""
        if profile.kind == EMBEDDED:
            raise ValueError("the embedded simulator profile is filled in by the simulator")
        for key in profile.SECRETS:
            self.secrets.set(f"{profile.name}/{key}", getattr(profile, key))
        self._unread.discard(profile.name)
        row = self.find(profile.name)
        if row >= 0:
            self._profiles[row] = profile
            self.dataChanged.emit(self.index(row), self.index(row))
        else:
            row = len(self._profiles)
            self.beginInsertRows(QModelIndex(), row, row)
            self._profiles.append(profile)
            self.endInsertRows()
        self.save()
        if row == self._current:
            self.current_changed.emit(profile)
        return row

    def remove(self, row: int) -> None:
        if not 0 <= row < len(self._profiles) or self._profiles[row].kind != CUSTOM:
            raise ValueError("only custom profiles can be removed")
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._profiles[row]
        self.endRemoveRows()
        if self._current >= row:
            self._current = max(0, self._current - 1)
            self.current_changed.emit(self.current)
        self.save()

    def set_embedded(self, simulator: Any) -> None:
        """Fill the embedded profile from a running simulator (URL, ports, first account)."""
        p = self._profiles[0]
        accounts = simulator.credentials() if hasattr(simulator, "credentials") else []
        acct = accounts[0] if accounts else {}
        p.http_base_url = simulator.http_url
        p.smpp_host = simulator.host
        p.smpp_port = simulator.smpp_port or 0
        p.smpp_tls = False
        p.http_username = str(acct.get("username", ""))
        p.http_password = str(acct.get("password", ""))
        p.smpp_system_id = str(acct.get("system_id") or acct.get("username", ""))
        p.smpp_password = str(acct.get("smpp_password") or acct.get("password", ""))
        self.dataChanged.emit(self.index(0), self.index(0))
        if self._current == 0:
            self.current_changed.emit(p)

    # ------------------------------------------------------------------ persistence

    def save(self) -> None:
        """Write every non-embedded profile (no passwords) and the current name."""
        rows = [p.public_dict() for p in self._profiles if p.kind != EMBEDDED]
        self.settings.setValue("profiles/list", json.dumps(rows))
        self.settings.setValue("profiles/current", self.current.name)
        self.settings.sync()

    def _load(self) -> None:
        raw = self.settings.value("profiles/list", "")
        try:
            rows = json.loads(raw) if raw else []
        except (TypeError, ValueError):
            log.warning("ignoring unreadable saved profiles")
            rows = []
        for d in rows if isinstance(rows, list) else []:
            try:
                p = ConnectionProfile.from_public(d)
            except TypeError:
                continue
            if p.kind == EMBEDDED:
                continue
            self._unread.add(p.name)
            row = self.find(p.name)
            if row >= 0:
                self._profiles[row] = p
            else:
                self._profiles.append(p)
        row = self.find(str(self.settings.value("profiles/current", "")))
        self._current = row if row >= 0 else 0


def copy_of(profile: ConnectionProfile, taken: list[str]) -> ConnectionProfile:
    """An editable (custom) copy of ``profile`` with its values and passwords, named
    "<name> (copy)" — or "(copy 2)" … when that name is ``taken``."""
    name, n = f"{profile.name} (copy)", 2
    while name in taken:
        name, n = f"{profile.name} (copy {n})", n + 1
    return replace(profile, name=name, kind=CUSTOM)


class ProfileSwitcher(QComboBox):
    """A combo box over the profiles model that switches the current profile."""

    def __init__(self, model: ProfilesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profiles = model
        self.setModel(model)
        self.setCurrentIndex(model.current_row)
        self.setToolTip("Connection profile used by the HTTP and SMPP tabs")
        self.currentIndexChanged.connect(model.set_current)
        model.current_changed.connect(lambda _p: self.setCurrentIndex(model.current_row))


class ProfileDialog(QDialog):
    """Edit (or create) a production/custom profile; passwords go to the secret store."""

    def __init__(self, profile: ConnectionProfile | None, secrets: SecretStore,
                 parent: QWidget | None = None, *, note: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Connection profile")
        self.setMinimumWidth(460)
        p = profile or ConnectionProfile("Custom", CUSTOM, http_base_url="https://",
                                         smpp_host="", smpp_port=2775)
        self.note_label = QLabel(note)
        self.note_label.setObjectName("profileNote")
        self.note_label.setWordWrap(True)
        self.note_label.setVisible(bool(note))
        self.kind = p.kind if p.kind != EMBEDDED else CUSTOM
        self.name = QLineEdit(p.name)
        self.name.setReadOnly(p.kind == PRODUCTION)
        self.http_url = QLineEdit(p.http_base_url)
        self.http_user = QLineEdit(p.http_username)
        self.http_password = QLineEdit(p.http_password)
        self.smpp_host = QLineEdit(p.smpp_host)
        self.smpp_port = QSpinBox()
        self.smpp_port.setRange(1, 65535)
        self.smpp_port.setValue(p.smpp_port or 2775)
        self.smpp_tls = QCheckBox("TLS")
        self.smpp_tls.setChecked(p.smpp_tls)
        self.smpp_verify = QCheckBox("verify the server certificate")
        self.smpp_verify.setChecked(p.smpp_verify)
        self.system_id = QLineEdit(p.smpp_system_id)
        self.smpp_password = QLineEdit(p.smpp_password)
        self.system_type = QLineEdit(p.smpp_system_type)
        for w in (self.http_password, self.smpp_password):
            w.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout(self)
        form.addRow(self.note_label)
        form.addRow("Name", self.name)
        form.addRow("HTTP base URL", self.http_url)
        form.addRow("HTTP username", self.http_user)
        form.addRow("HTTP password", self.http_password)
        form.addRow("SMPP host", self.smpp_host)
        form.addRow("SMPP port", self.smpp_port)
        form.addRow("", self.smpp_tls)
        form.addRow("", self.smpp_verify)
        form.addRow("system_id", self.system_id)
        form.addRow("SMPP password", self.smpp_password)
        form.addRow("system_type", self.system_type)
        note = QLabel("Passwords are stored in the system keyring, never in the settings file."
                      if secrets.persistent else (secrets.keyring_error or ""))
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def profile(self) -> ConnectionProfile:
        return ConnectionProfile(
            self.name.text().strip() or "Custom", self.kind, self.http_url.text().strip(),
            self.http_user.text().strip(), self.smpp_host.text().strip(), self.smpp_port.value(),
            self.smpp_tls.isChecked(), self.smpp_verify.isChecked(), self.system_id.text().strip(),
            self.system_type.text().strip(), self.http_password.text(), self.smpp_password.text())
