"""Records into journal rows: the writer's fast path, and the safe path for a record that cannot
be stored as it is.

A row of ``events`` is ``(seq, time, kind, message_id, bulk_id, summary, data)``; a row of
``reports`` is :data:`~console.journal.schema.REPORT_COLUMNS` then summary, data and
callback_data. ``data`` is the record's ``to_dict()`` as compact JSON (secrets are masked by
``to_dict``).

Numbers SQLite cannot hold (integers beyond 64 bits, such as a status id of ``10**30`` in a
hostile webhook body) leave their column empty (NULL); the record's JSON keeps them exactly,
as it keeps NaN and infinities (as the strings "nan", "inf"). A record
whose row SQLite still refuses, or whose ``to_dict`` fails, is stored by :func:`safe_row`:
every value made storable, the reason in ``data["journal_error"]``.
"""

from __future__ import annotations

import json
import math
import time as _time
from typing import Any

_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
# the byte fields a record keeps its wire form in: what the safe path keeps when to_dict fails
_RAW_ATTRIBUTES = ("raw", "body", "time", "started", "direction", "session_id", "method", "path",
                   "message_id", "source", "received_at", "error")
_MAX_REPR = 20_000
# the DeliveryReport attributes behind the reports columns between time and summary
_REPORT_MIDDLE = ("message_id", "bulk_id", "to", "from_", "source", "intermediate",
                  "status_group", "status_id", "status_name", "error_id", "error_name",
                  "error_permanent", "done_at", "latency")


def _json_default(v: Any) -> Any:
    if isinstance(v, bytes | bytearray):
        return v.hex()
    if isinstance(v, tuple | set | frozenset):
        return list(v)
    return str(v)


def _make_encoder() -> Any:
    """A compact JSON encoder (non-ASCII kept, no circular check: records are trees) that
    refuses NaN and infinities, so the stored text is always valid JSON.

    The C encoder is built once and called directly: ``JSONEncoder.encode`` builds a new one
    on every call, a third of the cost for the journal's small records. Where that private
    constructor is missing or behaves differently, the public encoder is used.
    """
    public = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"),
                              default=_json_default, allow_nan=False).encode
    try:
        from json.encoder import c_make_encoder, encode_basestring

        c_encode = c_make_encoder(None, _json_default, encode_basestring, None, ":", ",",
                                  False, False, False)
        sample = {"a": [1, 2.5, None, True], "b": "é\"\n", "c": b"\x01", "d": 10**30}

        def fast(value: Any) -> str:
            return "".join(c_encode(value, 0))

        if fast(sample) == public(sample):
            return fast
    except Exception:  # another Python: the public encoder is fine, only slower
        pass
    return public


_encode = _make_encoder()
# the safe path: every character escaped to ASCII (lone surrogates included), odd keys skipped
_encode_ascii = json.JSONEncoder(ensure_ascii=True, check_circular=False, separators=(",", ":"),
                                 default=_json_default, allow_nan=False, skipkeys=True).encode


def encode(data: Any) -> str:
    """``data`` as compact JSON; NaN and infinities (a webhook may send them) become the
    strings "nan", "inf" and "-inf"."""
    try:
        return _encode(data)
    except ValueError:  # out-of-range float values are not JSON compliant
        return _encode(finite(data))


def finite(v: Any) -> Any:
    """``v`` with every NaN or infinite float replaced by its text."""
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if isinstance(v, dict):
        return {k: finite(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [finite(x) for x in v]
    return v


def sql_int(v: Any) -> Any:
    """An integer column's value: as is when SQLite can hold it (64 bits), else NULL — the
    record's JSON keeps the exact value."""
    if v is None:
        return None
    if isinstance(v, int):
        return v if _INT_MIN <= v <= _INT_MAX else None
    return safe_value(v)


def safe_value(v: Any) -> Any:
    """Any value as something SQLite stores: None, a 64-bit int, a float, or valid text."""
    if v is None or isinstance(v, bytes):
        return v
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v if _INT_MIN <= v <= _INT_MAX else str(v)
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if not isinstance(v, str):
        try:
            v = str(v)
        except Exception:
            return f"<unprintable {type(v).__name__}>"
    # lone surrogates (from JSON escapes like "\ud800") cannot be encoded as UTF-8
    return v.encode("utf-8", "backslashreplace").decode("utf-8")


def index_fields(kind: str, r: Any) -> tuple[float, str | None, str | None, str]:
    """(time, message id, bulk id, summary) of a record, for the indexed columns."""
    if kind == "pdu":
        mid = None
        pdu = r.pdu
        if pdu is not None:
            mid = pdu.fields.get("message_id") or None
            if pdu.command in ("deliver_sm", "data_sm"):
                text = pdu.fields.get("short_message") or b""
                if isinstance(text, bytes) and text[:3].lower() == b"id:":
                    mid = text[3:].split(b" ", 1)[0].decode("latin-1")
            summary = (f"{r.direction} {pdu.command} seq={pdu.sequence_number}"
                       f" status={pdu.command_status:#x}")
        else:
            summary = f"{r.direction} undecodable {len(r.raw)} bytes: {r.error}"
        return r.time, mid, None, summary
    if kind == "report":
        return r.received_at, r.message_id or None, r.bulk_id, r.summary()
    if kind == "http":
        ids = r.message_ids() if r.response is not None and r.response.body else []
        return r.started, (ids[0] if ids else None), r.bulk_id(), r.summary()
    rep = r.reports[0] if r.reports else None
    return (r.time, rep.message_id if rep else None, rep.bulk_id if rep else None, r.summary())


def event_row(seq: int, kind: str, record: Any, parent: int | None) -> tuple[Any, ...]:
    """The ``events`` row of an HTTP exchange, webhook hit or PDU event."""
    data = record.to_dict()
    if parent is not None:
        data["parent_seq"] = parent
    t, mid, bulk, summary = index_fields(kind, record)
    return (seq, t, kind, mid, bulk, summary, encode(data))


def report_row(seq: int, r: Any, parent: int | None) -> tuple[Any, ...]:
    """The ``reports`` row of a DeliveryReport."""
    data = r.to_dict()
    if parent is not None:
        data["parent_seq"] = parent
    permanent, callback = r.error_permanent, r.callback_data
    return (seq, r.received_at, r.message_id, r.bulk_id, r.to, r.from_, r.source,
            0 if r.intermediate else 1, r.status_group, sql_int(r.status_id), r.status_name,
            sql_int(r.error_id), r.error_name, None if permanent is None else int(permanent),
            r.done_at, r.latency, r.summary(), encode(data),
            callback if callback is None or type(callback) is str else str(callback))


def facet_of(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A reports row's quick-filter values, in :data:`~console.journal.schema.FACET_COLUMNS`
    order (status_group, source, final, error_name)."""
    return (row[8], row[6], row[7], row[12])


def safe_row(seq: int, kind: str, record: Any, parent: int | None,
             reason: str) -> tuple[Any, ...]:
    """A row for ``record`` that SQLite accepts whatever the record holds, with ``reason`` in
    its data. The record's own dict is kept when it can be made; else its wire form."""
    try:
        data = record.to_dict()
        if not isinstance(data, dict):
            data = {"value": data}
    except Exception as exc:
        data = raw_form(record)
        data["to_dict_error"] = _describe(exc)
    data = dict(data)
    data["journal_error"] = reason
    if parent is not None:
        data["parent_seq"] = parent
    try:
        text = _encode_ascii(finite(data))
    except Exception as exc:  # e.g. a structure too deep to encode: keep what can be shown
        text = _encode_ascii({"journal_error": reason, "encode_error": _describe(exc),
                              "repr": _safe_repr(record)})
    now = _time.time()
    if kind == "report":
        t = _time_value(_attr(record, "received_at"), now)
        values = [safe_value(_attr(record, name)) for name in _REPORT_MIDDLE]
        values[5] = None if values[5] is None else (0 if values[5] else 1)  # final
        values[11] = None if values[11] is None else (1 if values[11] else 0)
        summary = safe_value(f"unstorable report {values[0]!s}: {reason}")
        return (seq, t, *values, summary, text, safe_value(_attr(record, "callback_data")))
    try:
        t, mid, bulk, summary = index_fields(kind, record)
    except Exception:
        t, mid, bulk, summary = _attr(record, "time") or _attr(record, "started"), None, None, ""
    return (seq, _time_value(t, now), kind, safe_value(mid), safe_value(bulk),
            safe_value(f"unstorable {kind} record ({reason}): {summary}"), text)


def minimal_row(seq: int, kind: str, record: Any, parent: int | None,
                reason: str) -> tuple[Any, ...]:
    """The last resort when even :func:`safe_row` fails: the sequence number, the time and
    the reason, so the journal keeps no hole."""
    data = _encode_ascii({"journal_error": safe_value(reason), "parent_seq": parent,
                          "type": type(record).__name__})
    summary = safe_value(f"unstorable {kind} record: {reason}")
    if kind == "report":
        return (seq, _time.time(), *([None] * len(_REPORT_MIDDLE)), summary, data, None)
    return (seq, _time.time(), kind, None, None, summary, data)


def raw_form(record: Any) -> dict[str, Any]:
    """What a record holds of its wire form (raw bytes, body, times, ids) and its repr."""
    out: dict[str, Any] = {"type": type(record).__name__}
    for name in _RAW_ATTRIBUTES:
        v = _attr(record, name)
        if v is not None:
            out[name] = v.hex() if isinstance(v, bytes | bytearray) else safe_value(v)
    out["repr"] = _safe_repr(record)
    return out


def _attr(record: Any, name: str) -> Any:
    try:
        return getattr(record, name, None)
    except Exception:  # a property that fails: nothing to keep from it
        return None


def _time_value(v: Any, default: float) -> float:
    try:
        t = float(v)
    except (TypeError, ValueError, OverflowError):
        return default
    return t if math.isfinite(t) else default


def _safe_repr(record: Any) -> str:
    try:
        return safe_value(repr(record)[:_MAX_REPR])
    except Exception as exc:
        return f"<{type(record).__name__}: repr failed: {_describe(exc)}>"


def _describe(exc: BaseException) -> str:
    try:
        return safe_value(f"{type(exc).__name__}: {exc}"[:500])
    except Exception:
        return type(exc).__name__
