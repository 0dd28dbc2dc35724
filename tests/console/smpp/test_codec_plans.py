"""The codec's fast paths against the slow, declarative code they stand in for.

``decode_pdu`` runs a body decoder compiled from each PDU's field declarations
(``fields.compile_body``) and falls back to the descriptors one by one; ``build_spans`` runs a
span builder compiled per PDU (``render._compile_spans``) and falls back to the generic walk of
the layout; TLV values get a quick validity test before ``decode_value``; common text codings
skip ``console.gsm7``; SMPP times are read without a regular expression. Each must give
exactly what the slow path gives — on valid PDUs, on mutated and cut bytes, and on PDUs whose
fields were changed by hand.
"""

from __future__ import annotations

import os
import re
import struct
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console import gsm7
from console.smpp import PDU_TYPES, FieldSpan, Pdu, Tlv, decode_pdu
from console.smpp import render as render_mod
from console.smpp.codec import LazySpan, decode_body
from console.smpp.fields import CString, Int, OctetString, TimeString, compile_body
from console.smpp.message import decode_text
from console.smpp.render import build_spans, tlv_span
from console.smpp.timefmt import RelativeTime, parse_time
from console.smpp.tlv import decode_tlvs, decode_value, tlv_table
from console.smpp.udh import parse_udh

EXAMPLES = 300 * (100 if os.environ.get("INFOBIP_FUZZ_FULL") else 1)
PLANNED = [t for t in PDU_TYPES if t.body and compile_body(t.name, t.body) is not None]
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_every_body_without_lists_has_a_plan() -> None:
    # submit_multi and submit_multi_resp carry lists: the descriptors decode those
    assert {t.name for t in PDU_TYPES if t.body} - {t.name for t in PLANNED} == {
        "submit_multi", "submit_multi_resp"}
    assert set(render_mod._SPAN_PLANS) == {t.command_id for t in PLANNED}


# ------------------------------------------------------------------ PDUs to test with

_TIMES = st.sampled_from(["", "070605040302100R", "261231235959004+", "100729104900032-",
                          "000001000000000R", "261231235959049+", "26123123595900",
                          "2612312359590X4+", "000001000000001R"])
_TIMES_OK = ["", "070605040302100R", "261231235959004+", "100729104900032-"]
_CHARS = st.characters(min_codepoint=1, max_codepoint=255)
_TEXT = st.text(_CHARS, max_size=70)


def _value(f: object, draw: st.DrawFn) -> object:
    """Mostly a value the field accepts, sometimes one it warns about."""
    wild = draw(st.integers(0, 19)) == 0
    if isinstance(f, TimeString):
        return draw(_TIMES) if wild else draw(st.sampled_from(_TIMES_OK))
    if isinstance(f, CString):
        return draw(_TEXT if wild else st.text(_CHARS, max_size=f.max - 1))
    if isinstance(f, Int):
        top = (1 << (8 * f.size)) - 1
        if wild or f.check is None:
            return draw(st.integers(0, top))
        return draw(st.sampled_from([v for v in range(min(top, 255) + 1) if not f.check(v)]))
    assert isinstance(f, OctetString)
    return draw(st.binary(min_size=250, max_size=255) if wild else st.binary(max_size=40))


_TAGS = st.sampled_from([0x0424, 0x001E, 0x0427, 0x020C, 0x020E, 0x020F, 0x0423, 0x0204,
                         0x1403, 0x1442, 0x7777, 0x0005, 0x0210])


@st.composite
def pdus(draw: st.DrawFn) -> bytes:
    """A PDU of a planned type with random field values and TLVs, maybe mutated or cut."""
    t = draw(st.sampled_from(PLANNED))
    fields = {f.name: _value(f, draw) for f in t.body}
    tlvs = [Tlv(draw(_TAGS), draw(st.binary(max_size=6)))
            for _ in range(draw(st.integers(0, 3)))] if t.tlvs else []
    data = bytearray(Pdu(t.name, draw(st.integers(0, 5)), fields, tlvs).encode())
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3]))):  # change bytes of the body
        if len(data) > 16:
            i = draw(st.integers(16, len(data) - 1))
            data[i] = draw(st.sampled_from([0, 0x1B, 0x24, 0x30, 0x52, 0x2B, 0x7F, 0x80, 0xFF,
                                            draw(st.integers(0, 255))]))
    if draw(st.integers(0, 5)) == 0:  # cut it short
        del data[draw(st.integers(16, len(data))):]
    data[0:4] = struct.pack(">I", len(data))
    return bytes(data)


# ------------------------------------------------------------------ body plans


@SETTINGS
@given(pdus())
def test_body_plan_equals_the_descriptors(data: bytes) -> None:
    cid = struct.unpack_from(">I", data, 4)[0]
    t = next(t for t in PLANNED if t.command_id == cid)
    plan = compile_body(t.name, t.body)
    assert plan is not None
    warnings: list[str] = []
    expected = decode_body(t, data, len(data), warnings)
    got = plan(data, len(data))
    # the plan declines exactly the bodies the descriptors warn about
    assert (got is None) == bool(warnings), (data.hex(), warnings)
    if got is not None:
        assert repr(got) == repr(expected)


def test_body_plan_handles_the_edges() -> None:
    t = next(t for t in PLANNED if t.name == "submit_sm")
    plan = compile_body(t.name, t.body)
    assert plan is not None
    good = Pdu("submit_sm", 1, {"source_addr": "x" * 20, "short_message": b"y" * 254,
                               "validity_period": "000001000000000R"}).encode()
    assert plan(good, len(good)) is not None  # at the maxima: accepted
    for fields in ({"source_addr": "x" * 21},  # 22 octets with the NUL: too long
                   {"validity_period": "00000100000000R"},  # 15 characters
                   {"source_addr_ton": 7},  # a reserved TON
                   {"data_coding": 0x0B}):  # a reserved data_coding
        data = Pdu("submit_sm", 1, fields).encode()
        warnings: list[str] = []
        decode_body(t, data, len(data), warnings)
        assert warnings and plan(data, len(data)) is None, fields
    assert "def decode_submit_sm(data, n):" in plan.source  # type: ignore[attr-defined]


# ------------------------------------------------------------------ span plans


def _tree(spans: list[FieldSpan]) -> list[tuple]:
    return [(s.name, s.offset, s.length, repr(s.value), s.display, s.meaning, s.warning,
             type(s).__name__, _tree(s.children)) for s in spans]


def _generic_spans(pdu: Pdu) -> list[FieldSpan]:
    with patch.dict(render_mod._SPAN_PLANS, clear=True):
        return build_spans(pdu)


@SETTINGS
@given(pdus())
def test_span_plan_equals_the_generic_walk(data: bytes) -> None:
    pdu = decode_pdu(data)
    assert _tree(build_spans(pdu)) == _tree(_generic_spans(pdu))


@pytest.mark.parametrize("change", ["wrong types", "deleted", "str message"])
def test_span_plan_copes_with_fields_changed_by_hand(change: str) -> None:
    pdu = decode_pdu(Pdu("submit_sm", 3, {"source_addr": "InfoSMS", "esm_class": 0x40,
                                          "short_message": b"\x05\x00\x03\x01\x02\x01hi"},
                         [Tlv(0x020C, b"\x00\x01")]).encode())
    if change == "wrong types":
        pdu.fields.update(esm_class="64", source_addr=b"raw", validity_period=None)
    elif change == "deleted":
        del pdu.fields["source_addr"], pdu.fields["sm_length"]
    else:
        pdu.fields["short_message"] = "text"
    assert _tree(build_spans(pdu)) == _tree(_generic_spans(pdu))
    assert [s.name for s in pdu.spans][4:7] == ["service_type", "source_addr_ton",
                                                 "source_addr_npi"]


def test_benchmark_corpus_takes_the_fast_paths() -> None:
    """What bench/codec.py measures: every PDU decodes cleanly, through the plans."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from bench.codec import corpus

    raws = corpus(variants=8)
    planned = {t.command_id for t in PLANNED}
    for raw in raws:
        pdu = decode_pdu(raw)
        assert not pdu.warnings, (pdu.command, pdu.warnings)
        if pdu.command_id in planned and len(raw) > 16:
            t = next(t for t in PLANNED if t.command_id == pdu.command_id)
            assert compile_body(t.name, t.body)(raw, len(raw)) is not None  # type: ignore[misc]
        assert _tree(pdu.spans) == _tree(_generic_spans(pdu))


# ------------------------------------------------------------------ TLVs

_KNOWN_TAGS = sorted(tlv_table())


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(_KNOWN_TAGS + [0x1403, 0x7777]),
                          st.binary(max_size=9)), max_size=5),
       st.binary(max_size=3))
def test_tlv_warnings_are_decode_values_warnings(items: list[tuple[int, bytes]],
                                                 tail: bytes) -> None:
    data = b"".join(struct.pack(">HH", tag, len(v)) + v for tag, v in items) + tail
    warnings: list[str] = []
    tlvs, stop = decode_tlvs(data, 0, len(data), warnings)
    expected = [p for t in tlvs if not t.overrun
                for p in [decode_value(t.tag, t.value)[1]] if p]
    value_warnings = [w for w in warnings if "overruns" not in w and "trailing" not in w]
    assert value_warnings == expected
    assert [(t.tag, t.value) for t in tlvs][:len(items)] == items[:len(tlvs)]


# ------------------------------------------------------------------ text


def _reference_text(data: bytes, dc: int, udh: object, packed: bool | None) -> tuple:
    """decode_text as it was before the fast paths: everything through console.gsm7."""
    warnings = []
    kind = gsm7.dcs_alphabet(dc)
    if kind == "GSM7" and packed is None:
        packed = not data.isascii()
        if packed:
            warnings.append("GSM 7-bit data has octets ≥ 0x80: read as packed septets")
    use_udh = udh.raw if udh is not None and not udh.warnings else None  # type: ignore[attr-defined]
    if kind == "UCS2" and len(data) % 2:
        warnings.append(f"UCS2 data has an odd number of octets ({len(data)})")
    try:
        d = gsm7.decode_text(data, dc, use_udh, packed=bool(packed))
    except Exception as exc:  # noqa: BLE001
        warnings.append(f"text cannot be decoded as {kind}: {exc}")
        return data.hex(" "), kind, True, bool(packed), warnings
    return d.text, d.alphabet, d.binary, bool(packed and kind == "GSM7"), warnings


_UDHS = st.sampled_from([None, b"\x05\x00\x03\x2a\x02\x01", b"\x03\x24\x01\x01",
                         b"\x03\x25\x01\x01", b"\x06\x24\x01\x01\x25\x01\x01",
                         b"\x03\x24\x01\x0d", b"\x04\x00\x03\x01", b"\x00"])


@SETTINGS
@given(st.one_of(st.binary(max_size=30),
                 st.text("Hello @$_!?\x1b\n", max_size=30).map(lambda s: s.encode("latin-1"))),
       st.one_of(st.sampled_from([0, 1, 2, 3, 4, 8, 0x10, 0xF0, 0xF4]), st.integers(0, 255)),
       _UDHS, st.sampled_from([None, False, True]))
def test_text_fast_paths_equal_console_gsm7(data: bytes, dc: int, udh_raw: bytes | None,
                                            packed: bool | None) -> None:
    udh = parse_udh(udh_raw) if udh_raw is not None else None
    assert decode_text(data, dc, udh, packed=packed) == _reference_text(data, dc, udh, packed)


def test_gsm_default_alphabet_by_charmap() -> None:
    every = bytes(i for i in range(128) if i != 0x1B)
    assert decode_text(every, 0)[0] == gsm7.decode_text(every, 0).text
    assert decode_text(b"\x00\x02\x11\x24\x40", 0)[0] == "@$_¤¡"


# ------------------------------------------------------------------ lazy spans and times


def test_lazy_span_computes_its_insides_once() -> None:
    calls = []

    def fill(span: FieldSpan) -> None:
        calls.append(span.name)
        span.children = [FieldSpan("part", span.offset, 1, 1, "1")]
        span.meaning = "filled"

    lazy = LazySpan("x", 4, 2, b"ab", "61 62", "before", None, fill)
    assert calls == [] and isinstance(lazy, FieldSpan)
    assert lazy.meaning == "filled" and [c.name for c in lazy.children] == ["part"]
    assert lazy.children[0].end == 5 and calls == ["x"]
    eager = FieldSpan("x", 4, 2, b"ab", "61 62", "before", lazy=fill)  # runs at once
    assert calls == ["x", "x"] and eager == lazy and eager.to_json() == lazy.to_json()


def test_tlv_span_parts_are_built_on_first_access() -> None:
    t = Tlv(0x0427, b"\x02", offset=40)
    span = tlv_span(t)
    assert isinstance(span, LazySpan) and span._lazy is not None
    assert span.name == "message_state" and span.value == 2
    assert [(c.name, c.offset, c.length, c.value) for c in span.children] == [
        ("tag", 40, 2, 0x0427), ("length", 42, 2, 1), ("value", 44, 1, 2)]
    assert span._lazy is None
    assert span.children[0].meaning == "message_state"


def test_time_zones_from_quarter_hours() -> None:
    east, west = parse_time("260101120000004+"), parse_time("260101120000034-")
    assert east.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    assert west.utcoffset().total_seconds() == -8.5 * 3600  # type: ignore[union-attr]
    assert parse_time("260101120000000+").utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert east.tzinfo is parse_time("270101120000004+").tzinfo  # type: ignore[union-attr]


_TIME_RE = re.compile(r"(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d)(\d{2})([+\-R])", re.ASCII)


def _reference_time(text: str) -> object:
    """parse_time as a regular expression says it (the way it was written first)."""
    if not text:
        return None
    m = _TIME_RE.fullmatch(text)
    if m is None:
        raise ValueError(f"{text!r} is not an SMPP time (16 characters YYMMDDhhmmsstnnp)")
    yy, mo, dd, hh, mi, ss, t, nn = (int(x) for x in m.groups()[:8])
    p = m.group(9)
    if p == "R":
        if nn:
            raise ValueError(f"{text!r}: a relative time has no UTC offset (nn must be 00)")
        return RelativeTime(yy, mo, dd, hh, mi, ss, t)
    if nn > 48:
        raise ValueError(f"{text!r}: UTC offset of {nn} quarter hours exceeds 48 (12 h)")
    offset = timedelta(minutes=15 * nn) * (1 if p == "+" else -1)
    try:
        return datetime(2000 + yy, mo, dd, hh, mi, ss, 100_000 * t, tzinfo=timezone(offset))
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None


def _outcome(fn: object, text: str) -> object:
    try:
        return repr(fn(text))  # type: ignore[operator]
    except ValueError as exc:
        return f"ValueError: {exc}"


@SETTINGS
@given(st.one_of(st.sampled_from(_TIMES_OK + ["000001000000000R", "261231235959049+",
                                              "2612312359590491", "２61231235959004+"]),
                 st.text("0123456789+-R١ x", min_size=14, max_size=17),
                 st.builds(lambda d, p: d + p, st.text("0123456789", min_size=15, max_size=15),
                           st.sampled_from("+-R"))))
def test_time_parse_equals_the_regular_expression(text: str) -> None:
    assert _outcome(parse_time, text) == _outcome(_reference_time, text)
