"""One delivery-report model for every door, and the correlator that links it to its submit.

A :class:`DeliveryReport` is built from

- a ``/sms/1/reports`` result object (``source="http-pull"``),
- a notifyUrl body, JSON or XML (``source="webhook"``), and
- an SMPP ``deliver_sm`` receipt (``source="smpp"``), whose ``stat`` word and ``err`` code are
  mapped onto the HTTP API's status and error objects, so one message's report looks the same
  whichever door brought it (compare with :meth:`DeliveryReport.outcome`).

:class:`Correlator` remembers submits (HTTP send responses, SMPP ``submit_sm_resp``) by message
id and fills in each report's submit time, door and submit → report latency.
"""

from __future__ import annotations

import functools
import json
import re
import time as _time
from collections import OrderedDict
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from console.http.pretty import parse_body

if TYPE_CHECKING:
    from console.http.exchange import HttpExchange
    from console.smpp.events import PduEvent

Source = Literal["http-pull", "webhook", "smpp"]
SOURCES: tuple[str, ...] = ("http-pull", "webhook", "smpp")

# The receipt's stat word -> the HTTP API status id that reports the same outcome. A relation
# between two reference tables (dlr_stat and http_status), not a code table: names and groups
# still come from console.reference. ENROUTE/ACCEPTD are non-final (intermediate) states.
STAT_TO_STATUS = {
    "DELIVRD": 5, "UNDELIV": 9, "EXPIRED": 15, "REJECTD": 28, "REJECTED": 28, "DELETED": 31,
    "UNKNOWN": 29, "DELIVERY UNKNOWN": 29, "ENROUTE": 3, "ACCEPTD": 26,
}
_PENDING_GROUP = 1
# esm_class message types (bits 2-5): SMSC delivery receipt, intermediate delivery notification
_RECEIPT_ESM, _INTERMEDIATE_ESM = 0x04, 0x20
_TLV_RECEIPTED_ID, _TLV_NETWORK_ERROR, _TLV_MESSAGE_STATE, _TLV_PAYLOAD = 0x001E, 0x0423, 0x0427, 0x0424


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery report (final or intermediate) of one message, from any source."""

    message_id: str
    source: str
    intermediate: bool = False
    to: str | None = None
    from_: str | None = None
    bulk_id: str | None = None
    status_group_id: int | None = None
    status_group: str = ""
    status_id: int | None = None
    status_name: str = ""
    status_description: str = ""
    error_group_id: int | None = None
    error_group: str = ""
    error_id: int | None = None
    error_name: str = ""
    error_description: str = ""
    error_permanent: bool | None = None
    gsm_error: int | None = None
    sms_count: int | None = None
    price: float | None = None
    currency: str | None = None
    sent_at: str | None = None  # the API's format, e.g. 2015-02-12T09:51:43.123+0100
    done_at: str | None = None
    callback_data: str | None = None
    mcc_mnc: str | None = None
    smpp_stat: str | None = None
    received_at: float = 0.0  # epoch seconds when the console got the report
    raw: str = ""  # the payload as received: JSON/XML text or the receipt text
    submitted_at: float | None = None  # filled by the Correlator
    submit_door: str | None = None
    latency: float | None = None  # submit -> report, seconds

    @property
    def final(self) -> bool:
        return not self.intermediate

    @property
    def delivered(self) -> bool:
        return self.status_group == "DELIVERED"

    def outcome(self) -> tuple[Any, ...]:
        """What every source reports alike: id, to, final, status group and id, error id."""
        return (self.message_id, self.to, self.final, self.status_group, self.status_id,
                self.error_id)

    def summary(self) -> str:
        kind = "intermediate" if self.intermediate else "final"
        err = f" / {self.error_name}" if self.error_name and self.error_id else ""
        return f"{self.message_id} → {self.to or '?'}: {self.status_name or '?'}{err} ({kind}, {self.source})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (reports carry no secrets); fields at their default are left out."""
        # not dataclasses.asdict (deep copies): the journal calls this 50,000 times a second
        return {k: v for k, v in self.__dict__.items() if v is not None and v != ""}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DeliveryReport:
        """The report a :meth:`to_dict` dict describes; unknown keys are ignored and a missing
        message id or source is empty (a report the journal could only keep raw)."""
        values = {k: v for k, v in d.items() if k in _DEFAULTS}
        values.setdefault("message_id", "")
        values.setdefault("source", "")
        return cls(**values)

    # ------------------------------------------------------------------ builders

    @classmethod
    def _fast(cls, **values: Any) -> DeliveryReport:
        """Build without the frozen dataclass __init__ (one object.__setattr__ per field):
        webhook bursts build thousands per second. Same result as ``cls(**values)``."""
        obj = cls.__new__(cls)
        obj.__dict__.update(_DEFAULTS)
        obj.__dict__.update(values)
        return obj

    @classmethod
    def from_result(cls, obj: dict[str, Any], source: str = "http-pull", *,
                    intermediate: bool | None = None, received_at: float | None = None,
                    raw: str | None = None) -> DeliveryReport:
        """From one result object of ``/sms/1/reports`` or of a notifyUrl body."""
        status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
        error = obj.get("error") if isinstance(obj.get("error"), dict) else {}
        price = obj.get("price") if isinstance(obj.get("price"), dict) else {}
        group_id = _int(status.get("groupId"))
        group = str(status.get("groupName") or "")
        if intermediate is None:
            # the spec's own intermediate example says groupId 3 with groupName PENDING:
            # the name is the more trustworthy of the two
            intermediate = group == "PENDING" if group else group_id == _PENDING_GROUP
        error_id = _int(error.get("id"))
        return cls._fast(
            message_id=str(obj.get("messageId") or ""), source=source,
            intermediate=bool(intermediate), to=_str(obj.get("to")), from_=_str(obj.get("from")),
            bulk_id=_str(obj.get("bulkId")), status_group_id=group_id, status_group=group,
            status_id=_int(status.get("id")), status_name=str(status.get("name") or ""),
            status_description=str(status.get("description") or ""),
            error_group_id=_int(error.get("groupId")), error_group=str(error.get("groupName") or ""),
            error_id=error_id, error_name=str(error.get("name") or ""),
            error_description=str(error.get("description") or ""),
            error_permanent=_bool(error.get("permanent")), gsm_error=error_id,
            sms_count=_int(obj.get("smsCount")), price=_float(price.get("pricePerMessage")),
            currency=_str(price.get("currency")), sent_at=_str(obj.get("sentAt")),
            done_at=_str(obj.get("doneAt")), callback_data=_str(obj.get("callbackData")),
            mcc_mnc=_str(obj.get("mccMnc") or obj.get("mccmnc")),
            received_at=_time.time() if received_at is None else received_at,
            raw=raw if raw is not None else _compact(obj),
        )

    @classmethod
    def from_receipt(cls, receipt: Any, *, to: str | None = None, from_: str | None = None,
                     received_at: float | None = None, message_state: int | None = None,
                     network_error: int | None = None, receipted_message_id: str | None = None,
                     intermediate: bool | None = None) -> DeliveryReport:
        """From an SMPP receipt (a ``console.smpp.receipt.Receipt`` or its text).

        ``to`` is the handset (the deliver_sm's source_addr), ``from_`` the original sender.
        TLVs win over the text when both are present, as SMPP 3.4 intends. ``intermediate``
        None means "from the stat": ENROUTE / ACCEPTD are not final.
        """
        text = receipt if isinstance(receipt, str) else str(getattr(receipt, "raw", "") or "")
        fields_ = _receipt_fields(receipt)
        stat = (fields_.get("stat") or "").upper() or None
        if message_state is not None:
            stat = _stat_of_state(message_state) or stat
        err = _int(fields_.get("err"))
        if network_error is not None and (err is None or err == 0):
            err = network_error
        status = _status_object(STAT_TO_STATUS.get(stat or "", 29))
        error = _error_object(err if err is not None else 0)
        group = str(status.get("groupName") or "")
        return cls._fast(
            message_id=str(receipted_message_id or fields_.get("id") or ""), source="smpp",
            intermediate=group == "PENDING" if intermediate is None else intermediate,
            to=to or None, from_=from_ or None,
            status_group_id=_int(status.get("groupId")), status_group=group,
            status_id=_int(status.get("id")), status_name=str(status.get("name") or ""),
            status_description=str(status.get("description") or ""),
            error_group_id=_int(error.get("groupId")), error_group=str(error.get("groupName") or ""),
            error_id=_int(error.get("id")), error_name=str(error.get("name") or ""),
            error_description=str(error.get("description") or ""),
            error_permanent=_bool(error.get("permanent")), gsm_error=err,
            sms_count=_int(fields_.get("sub")) or None,
            sent_at=_receipt_time(fields_.get("submit_date")),
            done_at=_receipt_time(fields_.get("done_date")), smpp_stat=stat,
            received_at=_time.time() if received_at is None else received_at, raw=text,
        )

    @classmethod
    def from_pdu(cls, pdu: Any, *, received_at: float | None = None) -> DeliveryReport | None:
        """From a decoded ``deliver_sm``/``data_sm`` that is a delivery receipt, else None."""
        if getattr(pdu, "command", None) not in ("deliver_sm", "data_sm"):
            return None
        f = getattr(pdu, "fields", {}) or {}
        tlvs = {t.tag: t for t in getattr(pdu, "tlvs", []) or []}
        mtype = int(f.get("esm_class", 0) or 0) & 0x3C
        if mtype not in (_RECEIPT_ESM, _INTERMEDIATE_ESM) and _TLV_RECEIPTED_ID not in tlvs:
            return None
        body = f.get("short_message") or b""
        if not body and _TLV_PAYLOAD in tlvs:
            body = tlvs[_TLV_PAYLOAD].value
        text = body.decode("latin-1") if isinstance(body, bytes | bytearray) else str(body)
        state = _tlv_int(tlvs.get(_TLV_MESSAGE_STATE))
        net_err = None
        if _TLV_NETWORK_ERROR in tlvs and len(tlvs[_TLV_NETWORK_ERROR].value) >= 3:
            net_err = int.from_bytes(tlvs[_TLV_NETWORK_ERROR].value[1:3], "big")
        rid = None
        if _TLV_RECEIPTED_ID in tlvs:
            rid = tlvs[_TLV_RECEIPTED_ID].value.rstrip(b"\x00").decode("latin-1") or None
        return cls.from_receipt(text, to=_str(f.get("source_addr")),
                                from_=_str(f.get("destination_addr")), received_at=received_at,
                                message_state=state, network_error=net_err,
                                receipted_message_id=rid,
                                intermediate=True if mtype == _INTERMEDIATE_ESM else None)

    @classmethod
    def from_pdu_event(cls, event: PduEvent) -> DeliveryReport | None:
        """From a received PDU event carrying a receipt, else None."""
        if event.pdu is None or event.direction != "in":
            return None
        return cls.from_pdu(event.pdu, received_at=event.time)


_DEFAULTS = {f.name: f.default for f in fields(DeliveryReport)}


def reports_from_value(value: Any, source: str = "webhook", *, intermediate: bool | None = None,
                       received_at: float | None = None) -> list[DeliveryReport]:
    """Reports in a parsed body: ``{"results": [...]}`` (JSON, or XML as parsed by pretty)."""
    if not isinstance(value, dict):
        return []
    results = value.get("results")
    if isinstance(results, dict):  # XML with one <result> read as a mapping
        results = results.get("result", results)
    if isinstance(results, dict):
        results = [results]
    if not isinstance(results, list):
        return []
    return [DeliveryReport.from_result(r, source, intermediate=intermediate,
                                       received_at=received_at, raw=_compact(r))
            for r in results if isinstance(r, dict) and r.get("messageId")]


def parse_reports(body: bytes, content_type: str | None = None, source: str = "webhook", *,
                  intermediate: bool | None = None, received_at: float | None = None
                  ) -> tuple[list[DeliveryReport], str | None]:
    """(reports, parse error) from a raw JSON or XML report body."""
    value, err = parse_body(body, content_type)
    if err is not None:
        return [], err
    return reports_from_value(value, source, intermediate=intermediate,
                              received_at=received_at), None


# ----------------------------------------------------------------------------- correlator


@dataclass(frozen=True, slots=True)
class Submit:
    """One accepted submit, as the correlator remembers it."""

    message_id: str
    time: float
    door: str  # "http" or "smpp"
    to: str | None = None
    from_: str | None = None
    bulk_id: str | None = None


class SubmitStore(Protocol):
    """Where a :class:`Correlator` keeps every submit it learns, beyond the few it holds in
    memory (the journal's ``submits`` table). ``keys`` are the id's spellings
    (:func:`id_keys`), the first one being the id itself."""

    def save(self, keys: list[str], submit: Submit) -> None: ...

    def find(self, keys: list[str]) -> Submit | None: ...


class Correlator:
    """Links reports to the submits that caused them, by message id, whichever door.

    SMPP ids are matched in hex and decimal spellings alike (SMSCs differ in how a receipt's
    ``id:`` spells the submit_sm_resp's message_id, with or without leading zeros).

    Memory stays bounded: the ``max_entries`` most recent submits are held in memory (the
    oldest forgotten first), and at most ``max_pending`` submit_sm awaiting their response.
    With a ``store`` every submit is also saved there and a report whose submit was forgotten
    is linked from the store, so correlation is never lost; without one, forgotten submits are
    simply unknown.
    """

    def __init__(self, max_entries: int = 20_000, *, store: SubmitStore | None = None,
                 max_pending: int = 10_000) -> None:
        self._keys: dict[str, Submit] = {}
        self._order: OrderedDict[str, None] = OrderedDict()
        # submit_sm sent, submit_sm_resp not seen yet: (session, sequence) -> (time, to, from)
        self._pending_smpp: dict[tuple[str, int], tuple[float, str | None, str | None]] = {}
        self.max_entries = max_entries
        self.max_pending = max_pending
        self.store = store

    def __len__(self) -> int:
        """How many submits are held in memory (at most ``max_entries``)."""
        return len(self._order)

    @property
    def waiting(self) -> int:
        """How many submit_sm wait for their submit_sm_resp (at most ``max_pending``)."""
        return len(self._pending_smpp)

    def add_submit(self, message_id: str, *, time: float | None = None, door: str = "http",
                   to: str | None = None, from_: str | None = None,
                   bulk_id: str | None = None) -> Submit:
        """Remember one submit."""
        s = Submit(message_id, _time.time() if time is None else time, door, to, from_, bulk_id)
        keys = id_keys(message_id)
        for key in keys:
            self._keys[key] = s
        self._order[message_id] = None
        self._order.move_to_end(message_id)
        while len(self._order) > self.max_entries:
            old, _ = self._order.popitem(last=False)
            for key in id_keys(old):
                held = self._keys.get(key)
                if held is not None and held.message_id == old:
                    del self._keys[key]
        if self.store is not None:
            self.store.save(keys, s)
        return s

    def add_exchange(self, exchange: HttpExchange) -> int:
        """Remember the messages an HTTP send response accepted; returns how many."""
        if exchange.response is None or not (200 <= exchange.response.status < 300):
            return 0
        if "/sms/" not in exchange.request.url or "/text/" not in exchange.request.url:
            return 0
        value = exchange.response_value()
        if not isinstance(value, dict):
            return 0
        msgs = value.get("messages")
        if isinstance(msgs, dict):
            msgs = msgs.get("message", [])
        if isinstance(msgs, dict):
            msgs = [msgs]
        if not isinstance(msgs, list):
            return 0
        bulk = _str(value.get("bulkId"))
        n = 0
        for m in msgs:
            if isinstance(m, dict) and m.get("messageId"):
                self.add_submit(str(m["messageId"]), time=exchange.started, door="http",
                                to=_str(m.get("to")), bulk_id=bulk)
                n += 1
        return n

    def add_pdu_event(self, event: PduEvent) -> bool:
        """Track submit_sm → submit_sm_resp pairs; True when a submit was remembered."""
        pdu = event.pdu
        if pdu is None:
            return False
        key = (event.session_id, pdu.sequence_number)
        if pdu.command == "submit_sm" and event.direction == "out":
            f = pdu.fields
            self._pending_smpp[key] = (event.time, _str(f.get("destination_addr")),
                                       _str(f.get("source_addr")))
            while len(self._pending_smpp) > self.max_pending:  # responses that never came
                self._pending_smpp.pop(next(iter(self._pending_smpp)))
            return False
        if pdu.command == "submit_sm_resp" and event.direction == "in":
            sent = self._pending_smpp.pop(key, None)
            mid = str(pdu.fields.get("message_id") or "")
            if pdu.command_status != 0 or not mid:
                return False
            t, to, from_ = sent if sent else (event.time - (event.latency or 0.0), None, None)
            self.add_submit(mid, time=t, door="smpp", to=to, from_=from_)
            return True
        return False

    def lookup(self, message_id: str) -> Submit | None:
        """The submit of ``message_id`` (any spelling), or None."""
        keys = id_keys(message_id)
        for key in keys:
            s = self._keys.get(key)
            if s is not None:
                return s
        if self.store is not None and message_id:
            return self.store.find(keys)
        return None

    def link(self, report: DeliveryReport) -> DeliveryReport:
        """The report with submit time, door and latency (and missing to/from/bulk) filled."""
        s = self.lookup(report.message_id)
        if s is None:
            return report
        latency = report.received_at - s.time
        # a copy without dataclasses.replace (which runs the 31-field __init__): the
        # journal's writer links every report it stores
        return DeliveryReport._fast(**{
            **report.__dict__, "submitted_at": s.time, "submit_door": s.door,
            "latency": latency if latency > 0.0 else 0.0, "to": report.to or s.to,
            "from_": report.from_ or s.from_, "bulk_id": report.bulk_id or s.bulk_id})


# ----------------------------------------------------------------------------- helpers

_compact = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


def id_keys(mid: str) -> list[str]:
    """The spellings under which a message id is remembered: the id itself, then its value
    read as hex and as decimal (canonical lower-case hex, ``#``-prefixed)."""
    out = [mid]
    low = mid.strip().lower()
    if low and len(low) <= 16 and all(c in "0123456789abcdef" for c in low):
        out.append("#" + format(int(low, 16), "x"))
    if low.isdigit() and len(low) <= 20:
        out.append("#" + format(int(low), "x"))
    return out


def _stat_of_state(state: int) -> str | None:
    """The receipt stat word of an SMPP message_state value (from the dlr_stat table)."""
    try:
        from console.reference import table

        for e in table("dlr_stat"):
            if e.extra.get("message_state") == state:
                return e.name
    except Exception:  # the reference tables are optional here: the text's stat is kept
        pass
    return None


# receipts repeat a handful of stat/err codes and dates: these lookups are cached (the
# returned objects are only read)
@functools.lru_cache(maxsize=512)
def _status_object(ident: int) -> dict[str, Any]:
    from console.http.pretty import _lookup

    return _lookup("status", ident) or {"id": ident, "name": f"status {ident}"}


@functools.lru_cache(maxsize=512)
def _error_object(ident: int) -> dict[str, Any]:
    from console.http.pretty import _lookup

    return _lookup("error", ident) or {"id": ident, "name": f"error {ident}"}


_RECEIPT_RE = re.compile(
    r"(?i)\b(id|sub|dlvrd|submit date|done date|stat|err|text):\s*(.*?)"
    r"(?=\s+(?:id|sub|dlvrd|submit date|done date|stat|err|text):|$)", re.S)


def _receipt_fields(receipt: Any) -> dict[str, Any]:
    """id, sub, dlvrd, submit_date, done_date, stat, err from a Receipt or its text."""
    if not isinstance(receipt, str):
        out = {k: getattr(receipt, k, None) for k in
               ("id", "sub", "dlvrd", "submit_date", "done_date", "stat", "err")}
        return {k: v for k, v in out.items() if v is not None}
    try:
        from console.smpp.receipt import parse_receipt

        parsed = parse_receipt(receipt)
        if getattr(parsed, "id", None):
            return _receipt_fields(parsed)
    except Exception:  # the SMPP core's parser may be absent: read the spec's format here
        pass
    out = {}
    for m in _RECEIPT_RE.finditer(receipt):
        out[m.group(1).lower().replace(" ", "_")] = m.group(2).strip()
    return out


def _receipt_time(v: Any) -> str | None:
    """A receipt date (YYMMDDhhmm[ss] text or datetime) in the API's format, UTC assumed."""
    if v is None or v == "":
        return None
    if isinstance(v, str | datetime):
        return _cached_receipt_time(v)
    return _format_receipt_time(v)


@functools.lru_cache(maxsize=2048)
def _cached_receipt_time(v: str | datetime) -> str:
    return _format_receipt_time(v)


def _format_receipt_time(v: Any) -> str:
    if isinstance(v, datetime):
        dt = v if v.tzinfo else v.replace(tzinfo=UTC)
    else:
        s = str(v).strip()
        try:
            dt = datetime.strptime(s, "%y%m%d%H%M%S" if len(s) == 12 else "%y%m%d%H%M")
        except ValueError:
            return s
        dt = dt.replace(tzinfo=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}" + dt.strftime("%z")


def _tlv_int(t: Any) -> int | None:
    if t is None or not t.value:
        return None
    return int.from_bytes(t.value, "big")


def _int(v: Any) -> int | None:
    if type(v) is int:  # the common case first: this runs for every field of every report
        return v
    if v is None or v == "":
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        try:
            return int(float(v))
        except (TypeError, ValueError):
            return None


def _float(v: Any) -> float | None:
    if type(v) is float:
        return v
    try:
        return None if v is None or v == "" else float(v)
    except (TypeError, ValueError):
        return None


def _bool(v: Any) -> bool | None:
    if isinstance(v, bool) or v is None:
        return v
    return str(v).strip().lower() in ("true", "1", "yes")


def _str(v: Any) -> str | None:
    if type(v) is str:
        return v
    if v is None or isinstance(v, dict | list):
        return None
    return str(v)
