"""What a decoded PDU looks like to people: spans with names and meanings, a text tree, JSON.

Meanings come from the reference tables (:mod:`console.reference`); without them the codec
still works and shows bare values.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from console.smpp.codec import FieldSpan
from console.smpp.fields import Field
from console.smpp.pdus import BY_ID, PDU_TYPES
from console.smpp.timefmt import RelativeTime, decode_time, describe_time
from console.smpp.tlv import decode_value, tlv_table

if TYPE_CHECKING:
    from console.smpp.codec import Pdu
    from console.smpp.tlv import Tlv

_TIME_FIELDS = frozenset({"schedule_delivery_time", "validity_period", "final_date"})
_BIT_TABLES = frozenset({"esm_class", "registered_delivery"})
_SPECIAL = _TIME_FIELDS | {"short_message"}


def _lookup(table: str, key: int | str) -> Any:
    try:
        from console.reference import lookup

        return lookup(table, key)
    except Exception:  # noqa: BLE001 - names are a nicety; decoding must not depend on them
        return None


@lru_cache(maxsize=4096)  # ids seen in garbage must not grow it forever
def status_name(status: int) -> str:
    """``ESME_ROK``, ``ESME_RINVDSTADR``, Infobip's own statuses, or ``unknown (0x…)``."""
    e = _lookup("smpp_command_status", status)
    if e is not None:
        return str(e.name)
    return "ESME_ROK" if status == 0 else f"unknown (0x{status:08X})"


def status_description(status: int) -> str:
    """The description of a command_status ("" when unknown)."""
    e = _lookup("smpp_command_status", status)
    return str(e.description) if e is not None and e.known else ""


@cache
def _field_tables() -> dict[str, str]:
    out: dict[str, str] = {"error_status_code": "smpp_command_status",
                           "dest_addr_ton": "ton", "dest_addr_npi": "npi"}

    def walk(fields: tuple[Field, ...]) -> None:
        for f in fields:
            if f.table:
                out[f.name] = f.table

    for t in PDU_TYPES:
        walk(t.body)
    return out


def _entry_text(e: Any) -> str:
    if e is None:
        return ""
    name, desc = str(e.name), str(e.description or "")
    if not desc or desc.lower() == name.lower().replace("_", " "):
        return name
    return f"{name} — {desc}"


@lru_cache(maxsize=4096)  # ids seen in garbage must not grow it forever
def _bits_meaning(table: str, value: int, deliver: bool) -> str:
    try:
        from console.reference import decode_bits

        entries = decode_bits(table, value)
    except Exception:  # noqa: BLE001
        return ""
    names = []
    for e in entries:
        applies = str(e.extra.get("applies_to", "both")) if e.known else "both"
        if deliver and applies == "submit" or not deliver and applies == "deliver":
            continue
        names.append(e.name if e.known else f"{e.name} (reserved bits)")
    return ", ".join(names)


@lru_cache(maxsize=4096)  # ids seen in garbage must not grow it forever
def _int_meaning(name: str, value: int, deliver: bool) -> str:
    table = _field_tables().get(name)
    if name == "interface_version":
        return "SMPP 3.4" if value == 0x34 else "SMPP 3.3 or earlier"
    if table is None:
        return ""
    if table in _BIT_TABLES:
        return _bits_meaning(table, value, deliver)
    return _entry_text(_lookup(table, value))


def describe(name: str, value: Any, command: str = "") -> tuple[str, str]:
    """(display, meaning) of one field value."""
    if isinstance(value, bool):
        return str(value), ""
    if isinstance(value, int):
        deliver = command.startswith(("deliver_sm", "data_sm"))
        return f"{value} (0x{value:02X})", _int_meaning(name, value, deliver)
    if isinstance(value, str):
        if name in _TIME_FIELDS:
            return repr(value), describe_time(value)
        return repr(value), ""
    if isinstance(value, bytes | bytearray):
        return hex_preview(value), f"{len(value)} octets"
    if isinstance(value, list):
        return f"{len(value)} entries", ""
    return str(value), ""


def hex_preview(data: bytes | bytearray, limit: int = 32) -> str:
    """Octets as spaced hex, cut after ``limit`` octets (the hex pane shows them all)."""
    if len(data) <= limit:
        return data.hex(" ")
    return f"{data[:limit].hex(' ')} … ({len(data)} octets)"


def _value_of(name: str, fields: dict[str, Any], raw: bytes, off: int, ln: int) -> Any:
    if name in fields:
        return fields[name]
    return raw[off:off + ln]


_DESCRIBED: dict[tuple[str, Any, bool], tuple[str, str]] = {}


def _remember(key: tuple[str, Any, bool], command: str) -> tuple[str, str]:
    if len(_DESCRIBED) > 50_000:  # values that never repeat must not grow the memo forever
        _DESCRIBED.clear()
    hit = _DESCRIBED[key] = describe(key[0], key[1], command)
    return hit


def _layout_spans(pdu: Pdu, layout: list[Any], fields: dict[str, Any],
                  warn: dict[str, str], deliver: bool) -> list[FieldSpan]:
    out: list[FieldSpan] = []
    append = out.append
    memo = _DESCRIBED
    command = pdu.command
    for name, off, ln, children in layout:
        value = fields.get(name)
        if children is None and (value == "" or name not in _SPECIAL):
            cls = value.__class__
            if cls is int or cls is str:  # the common case: memoised display and meaning
                key = (name, value, deliver)
                hit = memo.get(key) or _remember(key, command)
                append(FieldSpan(name, off, ln, value, hit[0], hit[1], None,
                                 warn.get(name) if warn else None))
                continue
        if children is not None and name.endswith("]"):  # one entry of a list field
            item = _item_fields(fields, name)
            append(FieldSpan(name, off, ln, item, _item_display(item), "",
                             _layout_spans(pdu, children, item, warn, deliver), warn.get(name)))
            continue
        value = _value_of(name, fields, pdu.raw, off, ln)
        display, meaning = describe(name, value, command)
        kids = _layout_spans(pdu, children, fields, warn, deliver) if children else None
        if name in _TIME_FIELDS and isinstance(value, str):
            decoded, _ = decode_time(value)
            append(FieldSpan(name, off, ln, decoded if decoded is not None else value,
                             display, meaning, kids, warn.get(name)))
            continue
        if name == "short_message" and ln:
            append(FieldSpan(name, off, ln, value, display, f"{ln} octets", kids, warn.get(name),
                             lambda span: _short_message_children(pdu, span)))
            continue
        append(FieldSpan(name, off, ln, value, display, meaning, kids, warn.get(name)))
    return out


def _item_display(item: dict[str, Any]) -> str:
    if "dl_name" in item:
        return f"distribution list {item['dl_name']!r}"
    text = repr(item.get("destination_addr", ""))
    if "error_status_code" in item:
        text += f" {status_name(int(item['error_status_code']))}"
    return text


def _item_fields(fields: dict[str, Any], name: str) -> dict[str, Any]:
    base, idx = name[:name.index("[")], int(name[name.index("[") + 1:-1])
    items = fields.get(base) or []
    return items[idx] if idx < len(items) else {}


def tlv_span(t: Tlv, command: str = "") -> FieldSpan:
    """The span of one TLV; its children (tag, length, value) are built when first asked for."""
    off = t.offset if t.offset is not None else 0
    tag, value = t.tag, t.value
    info = tlv_table().get(tag)
    decoded, problem = decode_value(tag, value)
    if isinstance(decoded, bytes):
        display = hex_preview(decoded)
    elif isinstance(decoded, int):
        display = f"{decoded} (0x{decoded:X})"
    else:
        display = repr(decoded)
    if info is not None:
        name, meaning = info.name, info.description
    else:
        name = f"unknown (0x{tag:04X})"
        meaning = ("unknown vendor-specific tag (SMSC range 0x1400–0x3FFF): kept as raw octets"
                   if 0x1400 <= tag <= 0x3FFF else "unknown tag: kept as raw octets")
    if tag == 0x0427 and isinstance(decoded, int):  # message_state
        meaning = _entry_text(_lookup("message_state", decoded)) or meaning
    warning = problem
    if t.overrun:
        warning = f"length {t.length} overruns the PDU; {len(value)} octets present"

    def kids(span: FieldSpan) -> None:
        span.children = [FieldSpan("tag", off, 2, tag, f"0x{tag:04X}", name),
                         FieldSpan("length", off + 2, 2, t.length, str(t.length), ""),
                         FieldSpan("value", off + 4, len(value), decoded, display, "")]

    return FieldSpan(name, off, 4 + len(value), decoded, display, meaning, None, warning, kids)


def build_spans(pdu: Pdu) -> list[FieldSpan]:
    """Every header field, body field and TLV of a decoded PDU as spans."""
    raw = pdu.raw
    warn: dict[str, str] = {}
    for w in pdu.warnings:  # attach "name: problem" warnings to the span they name
        head = w.split(":", 1)[0]
        if head != w:
            warn.setdefault(head, w)
    cid = pdu.command_id
    spans = [
        FieldSpan("command_length", 0, 4, len(raw), str(len(raw)), "octets, header included"),
        FieldSpan("command_id", 4, 4, cid, f"0x{cid:08X}", _command_meaning(cid), None,
                  None if cid in BY_ID else f"command_id 0x{cid:08X} is unknown"),
        FieldSpan("command_status", 8, 4, pdu.command_status, f"0x{pdu.command_status:08X}",
                  _status_meaning(pdu.command_status)),
        FieldSpan("sequence_number", 12, 4, pdu.sequence_number, str(pdu.sequence_number)),
    ]
    layout = pdu._layout or []
    deliver = pdu.command.startswith(("deliver_sm", "data_sm"))
    trailing = [x for x in layout if x[0] == "trailing"] if pdu.warnings else None
    body = [x for x in layout if x[0] != "trailing"] if trailing else layout
    spans += _layout_spans(pdu, body, pdu.fields, warn, deliver)
    for t in pdu.tlvs:
        spans.append(tlv_span(t, pdu.command))
    if trailing:  # octets after the last TLV
        spans += _layout_spans(pdu, trailing, pdu.fields, warn, deliver)
    return spans


def _short_message_children(pdu: Pdu, span: FieldSpan) -> None:
    """UDH (with one child per IE) and user data inside the short_message span."""
    from console.smpp.message import ESM_UDHI, decode_text
    from console.smpp.udh import parse_udh

    data: bytes = span.value if isinstance(span.value, bytes) else b""
    off = span.offset
    kids: list[FieldSpan] = []
    udh = None
    if int(pdu.fields.get("esm_class") or 0) & ESM_UDHI:
        udh = parse_udh(data)
        n = len(udh.raw)
        ies = [FieldSpan("udhl", off, 1, data[0] if data else 0, str(data[0]) if data else "",
                         "UDH length")] if data else []
        for ie in udh.ies:
            ies.append(FieldSpan(f"ie 0x{ie.iei:02X}", off + ie.offset, 2 + len(ie.data),
                                 ie.value if ie.value is not None else ie.data,
                                 ie.data.hex(" "), ie.name + (f" {ie.value}" if ie.value else "")))
        kids.append(FieldSpan("udh", off, n, udh.raw, udh.raw.hex(" "), "user data header", ies,
                              "; ".join(udh.warnings) or None))
        data, off = data[n:], off + n
    dc = int(pdu.fields.get("data_coding") or 0)
    text, enc, _binary, _packed, _ = decode_text(data, dc, udh)
    kids.append(FieldSpan("user_data", off, len(data), text, repr(text), enc))
    span.children = kids
    span.meaning = f"{enc}: {text!r}"


@lru_cache(maxsize=4096)  # ids seen in garbage must not grow it forever
def _command_meaning(command_id: int) -> str:
    """``submit_multi — Submit … (not supported by Infobip)`` from the smpp_command_id table."""
    from console.smpp.codec import command_name

    name = command_name(command_id)
    e = _lookup("smpp_command_id", command_id)
    if e is None or not e.known:
        return name
    text = f"{name} — {e.description}" if e.description else name
    if e.extra.get("infobip_supported") is False:
        text += " (not supported by Infobip)"
    return text


@lru_cache(maxsize=4096)  # ids seen in garbage must not grow it forever
def _status_meaning(status: int) -> str:
    name = status_name(status)
    desc = status_description(status)
    return f"{name} — {desc}" if desc else name


# ------------------------------------------------------------------ text tree and JSON


def summary(pdu: Pdu, width: int = 40) -> str:
    """One line for a PDU list: ``submit_sm #2 InfoSMS → 41793026727 'Hello'``."""
    f = pdu.fields
    parts = [f"{pdu.command} #{pdu.sequence_number}"]
    if pdu.is_response and pdu.command_status:
        parts.append(status_name(pdu.command_status))
    if "system_id" in f and not pdu.is_response:
        parts.append(f"{f['system_id']}" + (f" ({f['system_type']})" if f.get("system_type") else ""))
    elif f.get("system_id"):
        parts.append(str(f["system_id"]))
    if "destination_addr" in f or "dest_address" in f:
        dst = f.get("destination_addr")
        if dst is None:
            dests = f.get("dest_address") or []
            dst = ", ".join(str(d.get("destination_addr") or d.get("dl_name") or "")
                            for d in dests)
        parts.append(f"{f.get('source_addr', '')} → {dst}")
    if f.get("message_id"):
        parts.append(f"id {f['message_id']}")
    if pdu.command in ("submit_sm", "deliver_sm", "data_sm", "submit_multi", "replace_sm"):
        try:
            text = pdu.message.text
        except Exception:  # noqa: BLE001 - a summary never fails
            text = ""
        esm = int(f.get("esm_class") or 0)
        if pdu.command in ("deliver_sm", "data_sm") and esm & 0x3C in (0x04, 0x20):
            from console.smpp.receipt import receipt_from_pdu

            r = receipt_from_pdu(pdu)
            state = r.stat or r.message_state_name or "?"
            parts.append(f"receipt {r.message_id or '?'} {state}"
                         + (f" err {r.err}" if r.err is not None else ""))
        elif text:
            parts.append(repr(text if len(text) <= width else text[:width - 1] + "…"))
    if pdu.warnings:
        parts.append(f"⚠ {len(pdu.warnings)}")
    return "  ".join(parts)



def render_tree(pdu: Pdu) -> str:
    """The PDU as an indented tree, one line per field: ``[offset+length] name: value — meaning``."""
    lines = [f"{pdu.command} (0x{pdu.command_id:08X})  seq {pdu.sequence_number}  "
             f"status {pdu.status_name}  {len(pdu.raw)} bytes", f"  = {summary(pdu)}"]

    def add(span: FieldSpan, depth: int) -> None:
        meaning = f"  — {span.meaning}" if span.meaning else ""
        lines.append(f"{'  ' * depth}[{span.offset:04X}+{span.length}] {span.name}: "
                     f"{span.display}{meaning}")
        if span.warning:
            lines.append(f"{'  ' * (depth + 1)}! {span.warning}")
        for c in span.children:
            add(c, depth + 1)

    for s in pdu.spans:
        add(s, 1)
    msg = _message_json(pdu)
    if msg:
        lines.append(f"  message ({msg['encoding']}): {msg['text']!r}")
        m = pdu.message
        if m.udh is not None:
            for ie in m.udh.ies:
                value = f" {ie.value}" if ie.value else f" {ie.data.hex(' ')}"
                lines.append(f"    udh IE 0x{ie.iei:02X} {ie.name}:{value}")
        if m.concat is not None:
            c = m.concat
            lines.append(f"    part {c.seq} of {c.total} (reference {c.ref}, {c.kind})")
        for w in m.warnings:
            lines.append(f"    message warning: {w}")
    receipt = _receipt(pdu)
    if receipt is not None:
        lines.append(f"  receipt: id {receipt.message_id} stat {receipt.stat} "
                     f"({receipt.stat_description or 'unknown state'}) err {receipt.err}"
                     + (f" {receipt.err_name}" if receipt.err_name else ""))
        for k in ("submit_date", "done_date"):
            v = getattr(receipt, k)
            if v is not None:
                lines.append(f"    {k.replace('_', ' ')}: {v.isoformat(sep=' ')}")
        if receipt.extras:
            lines.append("    " + "  ".join(f"{k}={v}" for k, v in receipt.extras.items()))
        for w in receipt.warnings + ([receipt.error] if receipt.error else []):
            lines.append(f"    receipt warning: {w}")
    for w in pdu.warnings:
        lines.append(f"  warning: {w}")
    return "\n".join(lines)


def _receipt(pdu: Pdu) -> Any:
    """The delivery receipt a deliver_sm/data_sm carries (esm_class receipt types), or None."""
    if pdu.command not in ("deliver_sm", "data_sm"):
        return None
    esm = int(pdu.fields.get("esm_class") or 0) & 0x3C
    if esm not in (0x04, 0x20) and not any(t.tag == 0x001E for t in pdu.tlvs):
        return None
    from console.smpp.receipt import receipt_from_pdu

    return receipt_from_pdu(pdu)


def json_value(value: Any) -> Any:
    """A field value made JSON-safe (bytes as hex, times as ISO text)."""
    if isinstance(value, bytes | bytearray):
        return value.hex()
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, RelativeTime):
        return {"relative": True, "years": value.years, "months": value.months,
                "days": value.days, "hours": value.hours, "minutes": value.minutes,
                "seconds": value.seconds + value.tenths / 10, "text": str(value)}
    return str(value)


def _message_json(pdu: Pdu) -> dict[str, Any] | None:
    if "short_message" not in pdu.fields and not any(t.tag == 0x0424 for t in pdu.tlvs):
        return None
    try:
        m = pdu.message
    except Exception:  # noqa: BLE001 - a broken message must not hide the PDU
        return None
    return m.to_json()


def pdu_to_json(pdu: Pdu, *, spans: bool = False) -> dict[str, Any]:
    """One JSON object per PDU: command, command_status {value, name}, sequence_number,
    fields (SMPP 3.4 names), tlvs (tag, name, length, value, offset), warnings, message, raw
    (hex); with ``spans`` also the span tree (offset, length, display, meaning, children)."""
    tlvs = []
    for t in pdu.tlvs:
        decoded, _ = decode_value(t.tag, t.value)
        item = {"tag": t.tag, "name": t.name, "length": t.length, "value": json_value(decoded),
                "offset": t.offset, "raw": t.value.hex()}
        if t.overrun:
            item["overrun"] = True
        tlvs.append(item)
    out: dict[str, Any] = {
        "command": pdu.command,
        "command_id": pdu.command_id,
        "command_length": len(pdu.raw),
        "command_status": {"value": pdu.command_status, "name": pdu.status_name},
        "sequence_number": pdu.sequence_number,
        "fields": {k: json_value(v) for k, v in pdu.fields.items()},
        "tlvs": tlvs,
        "warnings": list(pdu.warnings),
    }
    times = {k: json_value(decode_time(v)[0]) for k, v in pdu.fields.items()
             if k in _TIME_FIELDS and v}
    if times:
        out["times"] = times
    msg = _message_json(pdu)
    if msg is not None:
        out["message"] = msg
    receipt = _receipt(pdu)
    if receipt is not None:
        out["receipt"] = receipt.to_json()
    out["raw"] = pdu.raw.hex()
    if spans:
        out["spans"] = [s.to_json() for s in pdu.spans]
    return out
