"""SMSC delivery receipts: the text ``id:… sub:… dlvrd:… submit date:… done date:… stat:… err:…
text:…`` (Infobip's format, SMPP 3.4 appendix B) in the variants SMSCs send, and the
receipted_message_id / message_state / network_error_code TLVs.

Parsing never raises: what cannot be read is kept raw, with the reason in ``error``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.smpp.codec import Pdu

TAG_RECEIPTED_MESSAGE_ID = 0x001E
TAG_MESSAGE_STATE = 0x0427
TAG_NETWORK_ERROR_CODE = 0x0423
TAG_MESSAGE_PAYLOAD = 0x0424

# A key starts the text or follows whitespace; "submit date" also appears as submit_date.
_KEY = re.compile(r"(?i)(?:^|(?<=\s))(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err|text)\s*:")
_CANON = {"id": "id", "sub": "sub", "dlvrd": "dlvrd", "stat": "stat", "err": "err", "text": "text"}


def _canon(key: str) -> str:
    k = key.lower().replace("_", " ").replace("  ", " ")
    if k.startswith("submit"):
        return "submit_date"
    if k.startswith("done"):
        return "done_date"
    return _CANON[k]


def _digits(text: str) -> bool:
    """ASCII digits only (str.isdigit also accepts '²' and other Unicode digits)."""
    return text.isascii() and text.isdigit()


def parse_receipt_date(text: str) -> datetime | None:
    """A receipt date: ``YYMMDDhhmm`` (10 digits) or ``YYMMDDhhmmss`` (12); ValueError otherwise.

    Receipts carry no time zone: the result is naive (Infobip sends UTC).
    """
    s = text.strip()
    if not s:
        return None
    if not _digits(s) or len(s) not in (10, 12):
        raise ValueError(f"date {s!r} is neither YYMMDDhhmm nor YYMMDDhhmmss")
    # years are 2000 + YY, as for SMPP time fields (strptime's %y would put 69-99 in 19xx)
    p = [int(s[i:i + 2]) for i in range(0, len(s), 2)]
    try:
        return datetime(2000 + p[0], p[1], p[2], p[3], p[4], p[5] if len(p) == 6 else 0)
    except ValueError as exc:
        raise ValueError(f"date {s!r}: {exc}") from None


def _lookup(table: str, key: int | str) -> Any:
    try:
        from console.reference import lookup

        return lookup(table, key)
    except Exception:  # noqa: BLE001 - names are optional
        return None


@dataclass(slots=True)
class Receipt:
    """One delivery receipt. Text fields as parsed (``None`` when absent); ``fields`` keeps the
    raw text of every key; TLV values when the receipt came from a PDU; ``error`` is the reason
    the text could not be read as a receipt (None when it could)."""

    id: str | None = None
    sub: int | None = None
    dlvrd: int | None = None
    submit_date: datetime | None = None
    done_date: datetime | None = None
    stat: str | None = None
    err: int | None = None
    text: str | None = None
    raw: str = ""
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    extra: str = ""  # text after the fields that is not a receipt key
    extras: dict[str, str] = field(default_factory=dict)  # its KEY:value pairs (IMSI, MSC, …)
    receipted_message_id: str | None = None
    message_state: int | None = None
    network_error_code: bytes | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def message_id(self) -> str | None:
        """receipted_message_id when present (SMPP 3.4 prefers it), else the text's id."""
        return self.receipted_message_id or self.id

    @property
    def stat_entry(self) -> Any:
        """The ``dlr_stat`` reference entry of ``stat`` (aliases such as DELIVERED accepted)."""
        return _lookup("dlr_stat", self.stat) if self.stat else None

    @property
    def stat_description(self) -> str:
        e = self.stat_entry
        return str(e.description) if e is not None and e.known else ""

    @property
    def final(self) -> bool | None:
        """True for a final state (DELIVRD, UNDELIV, …), False for ENROUTE/ACCEPTD, None unknown."""
        e = self.stat_entry
        if e is None or not e.known:
            return None
        return bool(e.extra.get("final"))

    @property
    def err_entry(self) -> Any:
        """The ``smpp_gsm_error`` reference entry of ``err``."""
        return _lookup("smpp_gsm_error", self.err) if self.err is not None else None

    @property
    def err_name(self) -> str:
        e = self.err_entry
        return str(e.name) if e is not None else ""

    @property
    def permanent(self) -> bool | None:
        e = self.err_entry
        if e is None or not e.known:
            return None
        p = e.extra.get("permanent")
        return None if p is None else bool(p)

    @property
    def message_state_name(self) -> str:
        if self.message_state is None:
            return ""
        e = _lookup("message_state", self.message_state)
        return str(e.name) if e is not None else str(self.message_state)

    @property
    def network_error(self) -> tuple[int, int] | None:
        """(network type, error code) from the network_error_code TLV (3 octets)."""
        v = self.network_error_code
        if v is None or len(v) != 3:
            return None
        return v[0], int.from_bytes(v[1:], "big")

    def matches(self, message_id: str) -> bool:
        """True when ``message_id`` names the same message (decimal vs hex forms compared)."""
        return bool(set(id_forms(message_id)) & {f for i in (self.id, self.receipted_message_id)
                                                   if i for f in id_forms(i)})

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "sub": self.sub, "dlvrd": self.dlvrd,
            "submit_date": self.submit_date.isoformat() if self.submit_date else None,
            "done_date": self.done_date.isoformat() if self.done_date else None,
            "stat": self.stat, "stat_description": self.stat_description, "err": self.err,
            "err_name": self.err_name, "permanent": self.permanent, "text": self.text,
            "raw": self.raw, "error": self.error, "warnings": list(self.warnings),
        }
        if self.extras or self.extra:
            out["extra"] = self.extra
            out["extras"] = dict(self.extras)
        if self.receipted_message_id is not None:
            out["receipted_message_id"] = self.receipted_message_id
        if self.message_state is not None:
            out["message_state"] = {"value": self.message_state, "name": self.message_state_name}
        if self.network_error_code is not None:
            out["network_error_code"] = self.network_error_code.hex()
        return out


def id_forms(message_id: str) -> set[str]:
    """The forms one id may take across SMSCs: as given (case-folded), decimal ↔ hex."""
    mid = message_id.strip().lower()
    out = {mid}
    if _digits(mid):
        out.add(f"{int(mid):x}")
        out.add(str(int(mid)))
    if mid and len(mid) <= 32 and all(c in "0123456789abcdef" for c in mid):
        out.add(str(int(mid, 16)))
        out.add(mid.lstrip("0") or "0")
    return out


def _int_value(key: str, value: str, warnings: list[str]) -> int | None:
    v = value.strip()
    if not v:
        return None
    if _digits(v):
        return int(v)
    try:
        return int(v, 16)  # some SMSCs send err in hex
    except ValueError:
        warnings.append(f"{key}: {v!r} is not a number")
        return None


def _lookup_stat(value: str) -> Any:
    e = _lookup("dlr_stat", value) if value else None
    return e if e is not None and e.known else None


_EXTRA = re.compile(r"([A-Za-z][A-Za-z0-9_]*):((?:(?![A-Za-z][A-Za-z0-9_]*:)\S)*)")


def _extras(text: str, r: Receipt) -> None:
    """Key:value tokens after the receipt fields (Number Context: IMSI, MSC, HLR, ORN, …)."""
    r.extra = f"{r.extra} {text.strip()}".strip()
    for k, v in _EXTRA.findall(text):
        r.extras.setdefault(k, v)


def parse_receipt(text: str | bytes) -> Receipt:
    """Parse a receipt text. Keys in any case, ``submit date``/``submit_date``, dates of 10 or 12
    digits, ``sub``/``dlvrd``/``text`` optional. Never raises: see ``Receipt.error``."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("latin-1")
    r = Receipt(raw=text)
    matches = list(_KEY.finditer(text))
    if not matches:
        r.error = "no receipt keys (id:, stat:, …) found"
        return r
    if text[:matches[0].start()].strip():
        r.warnings.append(f"text before the first key ignored: {text[:matches[0].start()].strip()!r}")
    for i, m in enumerate(matches):
        key = _canon(m.group(1))
        if key == "text":  # free text runs to the end, whatever it contains
            value = text[m.end():]
            r.fields[key] = value
            r.text = value
            break
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end():end].strip()
        if key == "stat":
            value, _, rest = value.partition("\n")
            if _lookup_stat(value.strip()) is None and " " in value.strip():
                value, _, more = value.strip().partition(" ")
                rest = f"{more} {rest}"
        else:  # one token; what follows (e.g. Number Context's IMSI:… MSC:…) is extra
            value, _, rest = value.partition(" ") if "\n" not in value else value.partition("\n")
            if " " in value:
                value, _, more = value.partition(" ")
                rest = f"{more} {rest}"
        if rest.strip():
            _extras(rest, r)
        if key in r.fields:
            r.warnings.append(f"{key} appears twice; the first value is kept")
            continue
        r.fields[key] = value.strip()
    w = r.warnings
    f = r.fields
    r.id = f.get("id") or None
    r.sub = _int_value("sub", f["sub"], w) if "sub" in f else None
    r.dlvrd = _int_value("dlvrd", f["dlvrd"], w) if "dlvrd" in f else None
    for key in ("submit_date", "done_date"):
        if key in f:
            try:
                setattr(r, key, parse_receipt_date(f[key]))
            except ValueError as exc:
                w.append(f"{key.replace('_', ' ')}: {exc}")
    if "stat" in f:
        r.stat = f["stat"].strip().upper() or None
        entry = r.stat_entry
        if r.stat and entry is not None and not entry.known:
            w.append(f"stat: {r.stat!r} is not a known delivery state")
        elif entry is not None and entry.known and entry.name != r.stat and r.stat != "UNKNOWN":
            r.stat = str(entry.name)  # an alias such as DELIVERED → DELIVRD
    r.err = _int_value("err", f["err"], w) if "err" in f else None
    missing = [k for k in ("id", "stat") if not f.get(k)]
    if missing:
        r.error = f"missing {' and '.join(missing)}"
    return r


def receipt_from_pdu(pdu: Pdu) -> Receipt:
    """The receipt a deliver_sm/data_sm carries: its text (short_message or message_payload)
    with the receipted_message_id, message_state and network_error_code TLVs."""
    body = pdu.fields.get("short_message") or b""
    tlvs = {t.tag: t for t in reversed(pdu.tlvs)}
    if not body and TAG_MESSAGE_PAYLOAD in tlvs:
        body = tlvs[TAG_MESSAGE_PAYLOAD].value
    text = body if isinstance(body, str) else bytes(body).decode("latin-1")
    r = parse_receipt(text) if text else Receipt(error="the PDU carries no receipt text")
    t = tlvs.get(TAG_RECEIPTED_MESSAGE_ID)
    if t is not None:
        r.receipted_message_id = t.value.rstrip(b"\x00").decode("latin-1")
        if r.id and not id_forms(r.id) & id_forms(r.receipted_message_id):
            r.warnings.append(f"receipted_message_id {r.receipted_message_id!r} differs from "
                              f"id {r.id!r}")
    t = tlvs.get(TAG_MESSAGE_STATE)
    if t is not None and t.value:
        r.message_state = int.from_bytes(t.value, "big")
    t = tlvs.get(TAG_NETWORK_ERROR_CODE)
    if t is not None:
        r.network_error_code = t.value
    if r.error is not None and r.receipted_message_id and r.message_state is not None:
        r.error = None  # the TLVs alone make a receipt
        r.warnings.append("receipt text unreadable; TLVs used")
    if pdu.command not in ("deliver_sm", "data_sm"):
        r.warnings.append(f"a {pdu.command} does not carry delivery receipts")
    return r


def format_receipt(message_id: str, stat: str, err: int = 0, *,
                   submit: datetime | None = None, done: datetime | None = None,
                   sub: int = 1, dlvrd: int | None = None, text: str | None = None,
                   seconds: bool = False) -> str:
    """The spec's receipt text ``id:… sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:…
    stat:DELIVRD err:000`` (``text:`` with the first 20 characters appended when given)."""
    now = datetime.now()
    fmt = "%y%m%d%H%M%S" if seconds else "%y%m%d%H%M"
    if dlvrd is None:
        dlvrd = 1 if stat.upper() == "DELIVRD" else 0
    out = (f"id:{message_id} sub:{sub:03d} dlvrd:{dlvrd:03d} "
           f"submit date:{(submit or now).strftime(fmt)} done date:{(done or now).strftime(fmt)} "
           f"stat:{stat} err:{err:03d}")
    return out if text is None else f"{out} text:{text[:20]}"
