"""What a decoded PDU looks like to people: spans with names and meanings, a text tree, JSON.

Meanings come from the reference tables (:mod:`console.reference`); without them the codec
still works and shows bare values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache, lru_cache, partial
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from console.smpp.codec import FieldSpan, LazySpan
from console.smpp.fields import CString, Field, Int, OctetString, TimeString
from console.smpp.message import ESM_UDHI, decode_text
from console.smpp.pdus import BY_ID, PDU_TYPES, PduType
from console.smpp.timefmt import RelativeTime, decode_time, describe_decoded_time, describe_time
from console.smpp.tlv import decode_value, tlv_table
from console.smpp.udh import parse_udh

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


# (name, value) -> (display, meaning) of integer fields, one memo for submit-like and one for
# deliver-like PDUs (esm_class bits read differently); bounded so garbage cannot grow it
_INT_MEMO: tuple[dict[tuple[str, int], tuple[str, str]], ...] = ({}, {})


def _describe_int(memo: dict[tuple[str, int], tuple[str, str]], name: str, value: int,
                  deliver: bool) -> tuple[str, str]:
    if len(memo) > 50_000:
        memo.clear()
    hit = memo[(name, value)] = (f"{value} (0x{value:02X})", _int_meaning(name, value, deliver))
    return hit


_new = object.__new__


def _leaf(name: str, offset: int, length: int, value: Any, display: str, meaning: str = "",
          warning: str | None = None) -> FieldSpan:
    """``FieldSpan(name, offset, length, value, display, meaning, None, warning)``, a third
    cheaper: no type call, no defaults to sort out (the tree has thousands of these)."""
    s = _new(FieldSpan)
    s.name = name
    s.offset = offset
    s.length = length
    s.value = value
    s.display = display
    s.meaning = meaning
    s.children = []
    s.warning = warning
    return s


def _layout_spans(pdu: Pdu, layout: list[Any], fields: dict[str, Any],
                  warn: dict[str, str], deliver: bool,
                  out: list[FieldSpan] | None = None) -> list[FieldSpan]:
    if out is None:
        out = []
    append = out.append
    memo = _INT_MEMO[deliver]
    wget = warn.get
    for name, off, ln, children in layout:
        if children is None:  # the common cases first: integers and plain strings
            value = fields.get(name)
            cls = value.__class__
            if cls is int:
                hit = memo.get((name, value)) or _describe_int(memo, name, value, deliver)
                append(_leaf(name, off, ln, value, hit[0], hit[1], wget(name)))
                continue
            if cls is str:
                if name not in _SPECIAL:
                    append(_leaf(name, off, ln, value, repr(value), "", wget(name)))
                    continue
                if name in _TIME_FIELDS:
                    decoded, problem = decode_time(value)
                    append(FieldSpan(name, off, ln, decoded if decoded is not None else value,
                                     repr(value), describe_decoded_time(decoded, problem), None,
                                     wget(name)))
                    continue
        elif name.endswith("]"):  # one entry of a list field
            item = _item_fields(fields, name)
            append(FieldSpan(name, off, ln, item, _item_display(item), "",
                             _layout_spans(pdu, children, item, warn, deliver), wget(name)))
            continue
        value = _value_of(name, fields, pdu.raw, off, ln)
        display, meaning = describe(name, value, pdu.command)
        kids = _layout_spans(pdu, children, fields, warn, deliver) if children else None
        if name == "short_message" and ln:
            append(LazySpan(name, off, ln, value, display, f"{ln} octets", wget(name),
                            partial(_short_message_children, fields.get("esm_class"),
                                    fields.get("data_coding"))))
            continue
        append(FieldSpan(name, off, ln, value, display, meaning, kids, wget(name)))
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


# (tag, value) -> (name, decoded, display, meaning, problem) of TLV values of ≤ 4 octets
_TLV_MEMO: dict[tuple[int, bytes], tuple[str, Any, str, str, str | None]] = {}


def _describe_tlv(tag: int, value: bytes) -> tuple[str, Any, str, str, str | None]:
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
    hit = (name, decoded, display, meaning, problem)
    if len(value) <= 4:  # integers (states, references, counts) repeat; text rarely does
        if len(_TLV_MEMO) > 50_000:
            _TLV_MEMO.clear()
        _TLV_MEMO[(tag, value)] = hit
    return hit


def _tlv_children(tag: int, length: int, span: FieldSpan) -> None:
    off = span.offset
    span.children = [_leaf("tag", off, 2, tag, f"0x{tag:04X}", span.name),
                     _leaf("length", off + 2, 2, length, str(length)),
                     _leaf("value", off + 4, span.length - 4, span.value, span.display)]


def tlv_span(t: Tlv, command: str = "") -> FieldSpan:
    """The span of one TLV; its children (tag, length, value) are built when first asked for."""
    tag, value = t.tag, t.value
    hit = _TLV_MEMO.get((tag, value)) or _describe_tlv(tag, value)
    warning = hit[4]
    if t.overrun:
        warning = f"length {t.length} overruns the PDU; {len(value)} octets present"
    return LazySpan(hit[0], t.offset if t.offset is not None else 0, 4 + len(value), hit[1],
                    hit[2], hit[3], warning, partial(_tlv_children, tag, t.length))


@lru_cache(maxsize=4096)  # ids seen in garbage must not grow it forever
def _command_span(command_id: int) -> tuple[str, str, str | None]:
    """(display, meaning, warning) of a command_id."""
    return (f"0x{command_id:08X}", _command_meaning(command_id),
            None if command_id in BY_ID else f"command_id 0x{command_id:08X} is unknown")


@lru_cache(maxsize=4096)  # ids seen in garbage must not grow it forever
def _status_span(status: int) -> tuple[str, str]:
    return f"0x{status:08X}", _status_meaning(status)


def _short_message_span(value: bytes, off: int, ln: int, warning: str | None, esm: Any,
                        dc: Any) -> FieldSpan:
    """The (lazy) span of a non-empty short_message: what _layout_spans builds for it."""
    return LazySpan("short_message", off, ln, value, hex_preview(value), f"{ln} octets", warning,
                    partial(_short_message_children, esm, dc))


_PLAN_MEMOS: dict[tuple[str, bool], dict[int, tuple[str, str]]] = {}


def _plan_int(memo: dict[int, tuple[str, str]], name: str, value: int,
              deliver: bool) -> tuple[str, str]:
    if len(memo) > 50_000:
        memo.clear()
    hit = memo[value] = (f"{value} (0x{value:02X})", _int_meaning(name, value, deliver))
    return hit


def _compile_spans(t: PduType) -> tuple[Callable[..., None], int] | None:
    """A straight-line builder of the body spans of ``t`` and the layout length it expects.

    It gives what :func:`_layout_spans` gives for a complete body layout (the same spans,
    displays, meanings and warnings), without its per-field dispatch; a value of an
    unexpected type (a PDU whose fields were changed by hand) goes to _layout_spans.
    """
    deliver = t.name.startswith(("deliver_sm", "data_sm"))
    entries: list[tuple[str, str]] = []
    for f in t.body:
        kind = type(f)
        if kind is Int:
            entries.append(("int", f.name))
        elif kind is TimeString:
            entries.append(("time", f.name))
        elif kind is CString:
            entries.append(("str", f.name))
        elif kind is OctetString:
            assert isinstance(f, OctetString)
            entries += [("int", f.length_name), ("octets", f.name)]
        else:
            return None
    if not entries:
        return None
    ns: dict[str, Any] = {"_new": object.__new__, "FS": FieldSpan, "_int": _plan_int,
                          "_generic": _layout_spans, "_decode_time": decode_time,
                          "_describe_time": describe_decoded_time, "_sm": _short_message_span,
                          "_NO_TIME": describe_decoded_time(None, None)}
    # FieldSpan(...) without the call; separate stores (a tuple assignment costs more)
    new_span = ("s{i} = s = _new(FS); s.name = {n!r}; s.offset = o{i}; s.length = l{i}; "
                "s.value = v{i}; s.display, s.meaning = {dm}; s.children = []; "
                "s.warning = wn({n!r}) if wn else None")
    lines = ["wn = warn.get if warn else None",
             ", ".join(f"(_, o{i}, l{i}, _)" for i in range(len(entries))) + ", = layout"]
    names = [name for _, name in entries]
    if len(entries) > 1:  # all values by one itemgetter call
        ns["_values"] = itemgetter(*names)
        lines += ["try:",
                  "    " + ", ".join(f"v{i}" for i in range(len(entries))) + " = _values(fields)",
                  "except KeyError:  # a field deleted by hand",
                  f"    _generic(pdu, layout, fields, warn, {deliver}, out)",
                  "    return"]
    else:
        lines.append(f"v0 = fields.get({names[0]!r})")
    for i, (kind, name) in enumerate(entries):
        v = f"v{i}"
        if kind == "int":
            memo = _PLAN_MEMOS.setdefault((name, deliver), {})
            ns[f"M{i}"] = memo
            lines.append(f"if {v}.__class__ is int:")
            lines.append(f"    h = M{i}.get({v}) or _int(M{i}, {name!r}, {v}, {deliver})")
            lines.append("    " + new_span.format(n=name, i=i, dm="h"))
        elif kind == "str":
            lines.append(f"if {v}.__class__ is str:")
            lines.append("    " + new_span.format(n=name, i=i, dm=f"repr({v}), ''"))
        elif kind == "time":
            lines.append(f"if {v} == '' and {v}.__class__ is str:")
            lines.append("    " + new_span.format(n=name, i=i, dm="\"''\", _NO_TIME"))
            lines.append(f"elif {v}.__class__ is str:")
            lines.append(f"    d, problem = _decode_time({v})")
            lines.append(f"    s{i} = FS({name!r}, o{i}, l{i}, {v} if d is None else d, repr({v}), "
                         f"_describe_time(d, problem), None, wn({name!r}) if wn else None)")
        else:  # short_message
            esm = f"v{names.index('esm_class')}" if "esm_class" in names else "None"
            dc = f"v{names.index('data_coding')}" if "data_coding" in names else "None"
            lines.append(f"if {v}.__class__ is bytes and l{i}:")
            lines.append(f"    s{i} = _sm({v}, o{i}, l{i}, wn({name!r}) if wn else None, "
                         f"{esm}, {dc})")
        lines.append("else:  # one span, as the generic walk builds it")
        lines.append(f"    s{i} = _generic(pdu, [layout[{i}]], fields, warn, {deliver})[0]")
    lines.append("out += (" + "".join(f"s{i}, " for i in range(len(entries))) + ")")
    src = (f"def spans_{t.name}(pdu, layout, fields, warn, out):\n"
           + "".join(f"    {line}\n" for line in lines))
    exec(compile(src, f"<smpp span plan: {t.name}>", "exec"), ns)  # noqa: S102 - our own source
    return ns[f"spans_{t.name}"], len(entries)


_SPAN_PLANS = {t.command_id: plan for t in PDU_TYPES if (plan := _compile_spans(t)) is not None}


def build_spans(pdu: Pdu) -> list[FieldSpan]:
    """Every header field, body field and TLV of a decoded PDU as spans."""
    raw = pdu._raw
    n = len(raw) if raw is not None else len(pdu.raw)
    warnings = pdu.warnings
    warn: dict[str, str] = {}
    for w in warnings:  # attach "name: problem" warnings to the span they name
        head = w.split(":", 1)[0]
        if head != w:
            warn.setdefault(head, w)
    cid, status, seq = pdu.command_id, pdu.command_status, pdu.sequence_number
    c = _command_span(cid)
    st = _status_span(status)
    spans = [_leaf("command_length", 0, 4, n, str(n), "octets, header included"),
             _leaf("command_id", 4, 4, cid, c[0], c[1], c[2]),
             _leaf("command_status", 8, 4, status, st[0], st[1]),
             _leaf("sequence_number", 12, 4, seq, str(seq))]
    layout = pdu._layout or []
    trailing = [x for x in layout if x[0] == "trailing"] if warnings else None
    body = [x for x in layout if x[0] != "trailing"] if trailing else layout
    fields = pdu.fields
    deliver = pdu.command.startswith(("deliver_sm", "data_sm"))
    if body:
        plan = _SPAN_PLANS.get(cid)
        if plan is not None and len(body) == plan[1]:  # the whole body is there
            plan[0](pdu, body, fields, warn, spans)
        else:
            _layout_spans(pdu, body, fields, warn, deliver, spans)
    for t in pdu.tlvs:
        spans.append(tlv_span(t))
    if trailing:  # octets after the last TLV
        _layout_spans(pdu, trailing, fields, warn, deliver, spans)
    return spans


_IE_NAMES = [f"ie 0x{iei:02X}" for iei in range(256)]  # span name of each IEI


def _short_message_children(esm_class: Any, data_coding: Any, span: FieldSpan) -> None:
    """UDH (with one child per IE) and user data inside the short_message span (esm_class and
    data_coding as the PDU's fields hold them)."""
    esm_class, data_coding = int(esm_class or 0), int(data_coding or 0)
    data: bytes = span.value if isinstance(span.value, bytes) else b""
    off = span.offset
    kids: list[FieldSpan] = []
    udh = None
    if esm_class & ESM_UDHI:
        udh = parse_udh(data)
        n = len(udh.raw)
        ies = [_leaf("udhl", off, 1, data[0], str(data[0]), "UDH length")] if data else []
        for ie in udh.ies:
            value = ie.value
            ies.append(_leaf(_IE_NAMES[ie.iei], off + ie.offset, 2 + len(ie.data),
                             ie.data if value is None else value, ie.data.hex(" "),
                             f"{ie.name} {value}" if value else ie.name))
        kids.append(FieldSpan("udh", off, n, udh.raw, udh.raw.hex(" "), "user data header", ies,
                              "; ".join(udh.warnings) or None))
        data, off = data[n:], off + n
    text, enc, _binary, _packed, _ = decode_text(data, data_coding, udh)
    shown = repr(text)
    kids.append(_leaf("user_data", off, len(data), text, shown, enc))
    span.children = kids
    span.meaning = f"{enc}: {shown}"


@lru_cache(maxsize=4096)  # ids seen in garbage must not grow it forever
def _command_meaning(command_id: int) -> str:
    """``submit_multi — Submit … (not offered by Infobip's SMSC; …)`` from the smpp_command_id
    table."""
    from console.smpp.codec import command_name

    name = command_name(command_id)
    e = _lookup("smpp_command_id", command_id)
    if e is None or not e.known:
        return name
    text = f"{name} — {e.description}" if e.description else name
    if e.extra.get("infobip_supported") is False:
        text += " (not offered by Infobip's SMSC; the embedded simulator accepts it)"
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
    label = pdu.command if pdu.command.startswith("unknown") else \
        f"{pdu.command} (0x{pdu.command_id:08X})"  # an unknown name already shows its hex
    lines = [f"{label}  seq {pdu.sequence_number}  "
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
