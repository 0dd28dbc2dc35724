"""Submit form: addresses with TON/NPI, text with a live encoding/parts preview, data_coding,
registered_delivery, schedule/validity, extra TLVs (Infobip vendor TLVs by name), and a raw
PDU from hex."""

from __future__ import annotations

import html
import re
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from ui.layout import form_row, vstack
from ui.progress_strip import ProgressStrip

ENCODINGS = (("auto", None), ("GSM7", "GSM7"), ("Latin-1", "LATIN1"), ("UCS2", "UCS2"))
CONCATS = (("UDH, 8-bit reference", "udh"), ("UDH, 16-bit reference", "udh16"),
           ("SAR TLVs", "sar"), ("message_payload (one PDU)", "payload"))
RECEIPTS = ((0, "no receipt"), (1, "receipt always"), (2, "receipt on failure"))



class SubmitFormError(ValueError):
    """A field of the form does not make a valid submit (shown in the status label)."""


def _reference(table: str) -> list[Any]:
    from console.reference import table as ref_table

    try:
        return list(ref_table(table))
    except Exception:  # a missing table must not keep the form from opening
        return []


def _ton_npi_combo(table: str) -> QComboBox:
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(6)
    box.addItem("auto", None)
    for e in _reference(table):
        box.addItem(f"{e.id} {e.name}", int(e.id))
        box.setItemData(box.count() - 1, e.description, Qt.ItemDataRole.ToolTipRole)
    # the box is narrow (the form must fit beside the PDU list); its list shows whole names
    box.view().setMinimumWidth(box.view().sizeHintForColumn(0) + 24)
    box.currentTextChanged.connect(box.setToolTip)
    return box


def parse_tlv_value(tag: int, text: str) -> Any:
    """A TLV value from the form: an int for integer TLVs, octets from ``0x…``/hex for octet
    TLVs, otherwise the text."""
    from console.smpp import tlv_info

    info = tlv_info(tag)
    kind = info.type if info is not None else "octets"
    text = text.strip()
    if kind in ("int1", "int2", "int4"):
        try:
            return int(text, 0)
        except ValueError:
            raise SubmitFormError(f"TLV {info.name if info else hex(tag)}: "
                                  f"{text!r} is not an integer") from None
    if kind == "octets" or text.lower().startswith("0x"):
        hexits = re.sub(r"\s+", "", text[2:] if text.lower().startswith("0x") else text)
        try:
            return bytes.fromhex(hexits)
        except ValueError:
            raise SubmitFormError(f"TLV 0x{tag:04X}: {text!r} is not hex octets") from None
    return text


def parse_tag(text: str) -> int:
    """A TLV tag from a name (``imsi``), ``0x1403`` or decimal."""
    from console.smpp.tlv import tag_of

    text = text.strip().split(" ")[0]
    try:
        return int(text, 0)
    except ValueError:
        pass
    try:
        return tag_of(text)
    except Exception:
        raise SubmitFormError(f"unknown TLV {text!r}: use a name or a hex tag like 0x1403") from None


class SubmitForm(QGroupBox):
    """Everything a submit_sm needs; :meth:`values` returns ``send_sms`` keyword arguments."""

    submit_requested = Signal()
    raw_requested = Signal()
    decode_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Submit", parent)
        outer = QVBoxLayout(self)
        outer.setSpacing(4)  # compact: the whole form fits a 768-pixel-high screen
        # the addresses as a grid, TON and NPI in two columns of their own (a narrow form)
        addresses = QGridLayout()
        addresses.setHorizontalSpacing(6)
        addresses.setVerticalSpacing(2)
        for col, (title, tip) in enumerate((("TON", "type of number (source_addr_ton / "
                                                    "dest_addr_ton); auto: from the address"),
                                                   ("NPI", "numbering plan (source_addr_npi / "
                                                    "dest_addr_npi); auto: from the address"))):
            head = QLabel(title)
            head.setToolTip(tip)
            addresses.addWidget(head, 0, 2 + col)
        self.source_edit = QLineEdit("InfoSMS")
        self.source_ton = _ton_npi_combo("ton")
        self.source_npi = _ton_npi_combo("npi")
        self.dest_edit = QLineEdit("41793026727")
        self.dest_ton = _ton_npi_combo("ton")
        self.dest_npi = _ton_npi_combo("npi")
        for row, (label, edit, ton, npi) in enumerate(
                (("From", self.source_edit, self.source_ton, self.source_npi),
                 ("To", self.dest_edit, self.dest_ton, self.dest_npi)), start=1):
            edit.setMinimumWidth(90)
            addresses.addWidget(QLabel(label), row, 0)
            addresses.addWidget(edit, row, 1)
            addresses.addWidget(ton, row, 2)
            addresses.addWidget(npi, row, 3)
        addresses.setColumnStretch(1, 1)
        outer.addLayout(addresses)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setVerticalSpacing(4)
        outer.addLayout(form)
        self.text_edit = QPlainTextEdit("Hello from the Infobip Test Console")
        self.text_edit.setMaximumHeight(58)
        self.text_edit.setTabChangesFocus(True)
        self.preview_label = QLabel()
        self.preview_label.setObjectName("encodingPreview")
        self.preview_label.setWordWrap(True)
        # one row: a form row of its own would get a wrapped label's (too tall) height guess
        form.addRow("Text", vstack(self.text_edit, self.preview_label))
        self.encoding_combo = QComboBox()
        for label, value in ENCODINGS:
            self.encoding_combo.addItem(label, value)
        self.concat_combo = QComboBox()
        self.concat_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.concat_combo.setMinimumContentsLength(12)
        for label, value in CONCATS:
            self.concat_combo.addItem(label, value)
        enc_row = form_row()
        enc_row.addWidget(self.encoding_combo)
        enc_row.addWidget(self.concat_combo, 1)
        form.addRow("Encoding", enc_row)
        self.dcs_combo = QComboBox()
        self.dcs_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.dcs_combo.setMinimumContentsLength(16)
        self.dcs_combo.addItem("from encoding", None)
        for e in _reference("data_coding"):
            self.dcs_combo.addItem(f"0x{int(e.id):02X} {e.name}", int(e.id))
            self.dcs_combo.setItemData(self.dcs_combo.count() - 1, e.description,
                                       Qt.ItemDataRole.ToolTipRole)
        form.addRow("data_coding", self.dcs_combo)
        self.receipt_combo = QComboBox()
        for value, label in RECEIPTS:
            self.receipt_combo.addItem(f"{value} {label}", value)
        self.receipt_combo.setCurrentIndex(1)
        self.intermediate_check = QCheckBox("intermediate")
        self.intermediate_check.setToolTip("registered_delivery bit 4: intermediate notifications")
        rd_row = form_row()
        rd_row.addWidget(self.receipt_combo, 1)
        rd_row.addWidget(self.intermediate_check)
        receipt_label = QLabel("Receipt")
        receipt_label.setToolTip("registered_delivery: which delivery receipts to ask for")
        form.addRow(receipt_label, rd_row)
        self.schedule_edit = QLineEdit()
        self.schedule_edit.setPlaceholderText("YYMMDDhhmmsstnnp or 000000001000000R")
        self.validity_edit = QLineEdit()
        self.validity_edit.setPlaceholderText("e.g. 000001000000000R (one day)")
        form.addRow("schedule", self.schedule_edit)
        form.addRow("validity", self.validity_edit)

        self.tlv_table = QTableWidget(0, 2)
        self.tlv_table.setHorizontalHeaderLabels(["TLV (name or 0x tag)", "value"])
        self.tlv_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.tlv_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tlv_table.verticalHeader().setVisible(False)
        self.tlv_table.setMaximumHeight(90)
        self.tlv_table.hide()  # shown once it has a row: an empty table only takes room
        add_tlv = QPushButton("Add TLV")
        add_tlv.setToolTip("Add an optional parameter (standard or Infobip vendor TLV)")
        self.remove_tlv_button = QPushButton("Remove")
        self.remove_tlv_button.setEnabled(False)
        add_tlv.clicked.connect(lambda: self.add_tlvform_row())
        self.remove_tlv_button.clicked.connect(self._remove_tlv)
        self.tlv_label = QLabel("TLVs: none")
        tlv_buttons = form_row()
        tlv_buttons.addWidget(self.tlv_label, 1)
        tlv_buttons.addWidget(add_tlv)
        tlv_buttons.addWidget(self.remove_tlv_button)
        outer.addLayout(tlv_buttons)
        outer.addWidget(self.tlv_table)

        self.submit_button = QPushButton("Submit (Ctrl+Enter)")
        self.submit_button.setObjectName("submitButton")
        self.submit_button.setToolTip("Send the text as submit_sm PDU(s) (Ctrl+Enter)")
        self.submit_button.clicked.connect(self.submit_requested)
        self.repeat_spin = QSpinBox()
        self.repeat_spin.setObjectName("repeatSpin")
        self.repeat_spin.setRange(1, 1_000_000)
        self.repeat_spin.setPrefix("× ")
        self.repeat_spin.setAccelerated(True)
        self.repeat_spin.setToolTip("Send the message this many times, as many at once as the "
                                    "bind's window allows (load-test a bind); progress shows "
                                    "below and Cancel (Esc) stops")
        submit_row = form_row()
        submit_row.addWidget(self.submit_button, 1)
        submit_row.addWidget(self.repeat_spin)
        outer.addLayout(submit_row)
        self.progress = ProgressStrip()
        outer.addWidget(self.progress)

        # the raw PDU line sits with the decode tree (the tab places :attr:`raw_bar`): what
        # it decodes shows right below it, and the form stays short
        self.raw_bar = QWidget()
        raw_row = QHBoxLayout(self.raw_bar)
        raw_row.setContentsMargins(0, 0, 0, 0)
        raw_label = QLabel("Raw PDU")
        raw_row.addWidget(raw_label)
        self.raw_edit = QLineEdit()
        self.raw_edit.setPlaceholderText("raw PDU hex, e.g. 00000010 00000015 00000000 00000001")
        self.raw_edit.setToolTip("A whole PDU in hex: Enter decodes it in the detail pane, "
                                 "Ctrl+Shift+Enter sends it on the bound session")
        self.raw_edit.setMinimumWidth(100)
        self.raw_edit.returnPressed.connect(self.decode_requested)
        self.raw_button = QPushButton("Send raw")
        self.raw_button.setToolTip("Send exactly these bytes on the bound session "
                                   "(Ctrl+Shift+Enter); the answer shows in the list")
        self.raw_button.clicked.connect(self.raw_requested)
        self.decode_button = QPushButton("Decode")
        self.decode_button.setToolTip("Inspect the hex in the detail pane without sending it "
                                      "(Enter)")
        self.decode_button.clicked.connect(self.decode_requested)
        raw_row.addWidget(self.raw_edit, 1)
        raw_row.addWidget(self.decode_button)
        raw_row.addWidget(self.raw_button)

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(120)
        self._preview_timer.timeout.connect(self.update_preview)
        self.text_edit.textChanged.connect(self._preview_timer.start)
        self.encoding_combo.currentIndexChanged.connect(self._preview_timer.start)
        self.concat_combo.currentIndexChanged.connect(self._preview_timer.start)
        self.update_preview()

    # ------------------------------------------------------------------ TLVs

    def add_tlv_row(self, tag: str = "", value: str = "") -> int:
        """Append a TLV row (tag by name, e.g. ``imsi``, or ``0x1403``); returns its row."""
        from console.smpp.tlv import tlv_table

        row = self.tlv_table.rowCount()
        self.tlv_table.insertRow(row)
        box = QComboBox()
        box.setEditable(True)
        infos = sorted(tlv_table().values(), key=lambda i: (not i.vendor, i.name))
        for info in infos:
            label = f"{info.name} (0x{info.tag:04X}{', Infobip' if info.vendor else ''})"
            box.addItem(label, info.tag)
            box.setItemData(box.count() - 1, f"{info.type}: {info.description}",
                            Qt.ItemDataRole.ToolTipRole)
        box.setEditText(tag)
        self.tlv_table.setCellWidget(row, 0, box)
        value_edit = QLineEdit(value)
        value_edit.setPlaceholderText("text, integer or 0x hex octets")
        self.tlv_table.setCellWidget(row, 1, value_edit)
        self._tlvs_changed()
        return row

    def _remove_tlv(self) -> None:
        row = self.tlv_table.currentRow()
        self.tlv_table.removeRow(row if row >= 0 else self.tlv_table.rowCount() - 1)
        self._tlvs_changed()

    def _tlvs_changed(self) -> None:
        n = self.tlv_table.rowCount()
        self.tlv_table.setVisible(n > 0)
        self.remove_tlv_button.setEnabled(n > 0)
        self.tlv_label.setText(f"TLVs: {n}" if n else "TLVs: none")

    def tlvs(self) -> list[Any]:
        from console.smpp import Tlv

        out = []
        for row in range(self.tlv_table.rowCount()):
            box = self.tlv_table.cellWidget(row, 0)
            value = self.tlv_table.cellWidget(row, 1)
            assert isinstance(box, QComboBox) and isinstance(value, QLineEdit)
            text = box.currentText().strip()
            if not text:
                continue
            tag = parse_tag(text)
            out.append(Tlv(tag, parse_tlv_value(tag, value.text())))
        return out

    # ------------------------------------------------------------------ values

    def values(self) -> dict[str, Any]:
        """Keyword arguments for :func:`console.smpp.sms.send_sms` (raises SubmitFormError)."""
        source, dest = self.source_edit.text().strip(), self.dest_edit.text().strip()
        if not dest:
            raise SubmitFormError("destination address is empty")
        rd = int(self.receipt_combo.currentData()) | (0x10 if self.intermediate_check.isChecked()
                                                      else 0)
        kw: dict[str, Any] = {
            "source": source, "destination": dest, "text": self.text_edit.toPlainText(),
            "encoding": self.encoding_combo.currentData(),
            "concat": self.concat_combo.currentData(), "registered_delivery": rd,
            "source_ton": self.source_ton.currentData(), "source_npi": self.source_npi.currentData(),
            "dest_ton": self.dest_ton.currentData(), "dest_npi": self.dest_npi.currentData(),
            "data_coding": self.dcs_combo.currentData(), "tlvs": self.tlvs(),
        }
        for key, edit in (("schedule_delivery_time", self.schedule_edit),
                          ("validity_period", self.validity_edit)):
            text = edit.text().strip()
            if text:
                from console.smpp import parse_time

                try:
                    parse_time(text)
                except Exception as exc:
                    raise SubmitFormError(f"{key}: {exc}") from None
                kw[key] = text
        return kw

    def raw_bytes(self) -> bytes:
        """The raw PDU hex as bytes (spaces, newlines and ``0x`` allowed)."""
        text = re.sub(r"0x|[\s:,-]", "", self.raw_edit.text())
        try:
            data = bytes.fromhex(text)
        except ValueError:
            raise SubmitFormError("not hex: use pairs of 0-9a-f digits") from None
        if len(data) < 16:
            raise SubmitFormError(f"{len(data)} bytes: a PDU has a 16-byte header")
        return data

    def update_preview(self) -> None:
        """Encoding, parts and characters left, and which characters force UCS2."""
        from console.encoding import split_text

        text = self.text_edit.toPlainText()
        concat = {"udh": "udh8", "udh16": "udh16", "sar": "sar", "payload": "payload"}[
            str(self.concat_combo.currentData())]
        try:
            r = split_text(text, self.encoding_combo.currentData(), concat=concat)
        except Exception as exc:
            self.preview_label.setStyleSheet("color: #c0392b")
            self.preview_label.setText(f"⚠ {exc}")
            return
        self.preview_label.setStyleSheet("")
        kind = r.encoding.kind + (f" ({r.encoding.language})" if r.encoding.language else "")
        units = "septets" if r.encoding.kind == "GSM7" else "octets"
        per = r.single_capacity if r.sms_count == 1 else r.per_part
        parts = f"{r.sms_count} part{'s' if r.sms_count != 1 else ''}"
        line = (f"{kind} · 0x{r.data_coding:02X} · {r.chars} chars · {parts} "
                f"({per}\u00a0per\u00a0part) · {r.remaining} left")
        tip = (f"{kind}, data_coding 0x{r.data_coding:02X}: {r.chars} characters, {r.units} "
               f"{units}, {parts} ({per} {units} per part), {r.remaining} left in this part")
        if r.ucs2_forcing:
            chars = "".join(sorted({c for _, c in r.ucs2_forcing}))
            tip += f"\nUCS2 because of: {chars}"
            chars = chars if len(chars) <= 8 else chars[:8] + f"… ({len(chars)})"
            line += f"<br><span style='color:#b9770e'>UCS2 because of: {html.escape(chars)}</span>"
        self.preview_label.setToolTip(tip)
        self.preview_label.setText(line)
