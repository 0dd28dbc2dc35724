"""Delivery receipts: the spec's text, field variants, TLVs, and the formatter the SMSC uses."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.smpp import Pdu, Tlv, decode_pdu
from console.smpp.receipt import format_receipt, parse_receipt, parse_receipt_date, receipt_from_pdu

SPEC = ("id:40072910491427628 sub:001 dlvrd:001 submit date:1007291049 done date:1007291049 "
        "stat:DELIVRD err:000")


def test_spec_format() -> None:
    r = parse_receipt(SPEC)
    assert r.ok and r.warnings == []
    assert (r.id, r.sub, r.dlvrd, r.stat, r.err, r.text) == ("40072910491427628", 1, 1, "DELIVRD", 0, None)
    assert r.submit_date == r.done_date == datetime(2010, 7, 29, 10, 49)
    assert r.final is True and r.err_name == "NO_ERROR"


def test_spec_error_receipt_with_number_context_extras() -> None:
    r = parse_receipt("id:40072910491419819 sub:001 dlvrd:001 submit date:1007291049 done "
                      "date:1007291049 stat:UNDELIV err:001\nIMSI:MSC:ORN:VipNet MCCMNC: ")
    assert (r.stat, r.err, r.err_name, r.permanent) == ("UNDELIV", 1, "EC_UNKNOWN_SUBSCRIBER", True)
    assert r.extras == {"IMSI": "", "MSC": "", "ORN": "VipNet", "MCCMNC": ""}


@pytest.mark.parametrize("text", [
    "id:abc123 submit date:1007291049 done date:1007291049 stat:DELIVRD err:000",  # no sub/dlvrd
    "ID:abc123 SUB:001 DLVRD:001 SUBMIT DATE:1007291049 DONE DATE:1007291049 STAT:DELIVRD ERR:000",
    "Id:abc123 sub:1 dlvrd:1 submit_date:1007291049 done_date:1007291049 Stat:delivrd Err:0 Text:Hi",
    "id:abc123 sub:001 dlvrd:001 submit date:100729104900 done date:100729104959 stat:DELIVRD "
    "err:000 text:Hello there",
])
def test_field_variants(text: str) -> None:
    r = parse_receipt(text)
    assert r.ok, r.error
    assert (r.id, r.stat, r.err) == ("abc123", "DELIVRD", 0)
    assert r.submit_date == datetime(2010, 7, 29, 10, 49)
    assert r.warnings == []


def test_text_runs_to_the_end_and_twelve_digit_dates() -> None:
    r = parse_receipt("id:1 sub:001 dlvrd:000 submit date:100729104901 done date:100729105002 "
                      "stat:EXPIRED err:027 Text:it said stat:DELIVRD err:0")
    assert r.text == "it said stat:DELIVRD err:0" and r.stat == "EXPIRED" and r.err == 27
    assert r.done_date == datetime(2010, 7, 29, 10, 50, 2)
    assert r.err_name == "EC_ABSENT_SUBSCRIBER" and r.permanent is False
    assert r.final is True


def test_hex_and_decimal_ids_match() -> None:
    r = parse_receipt("id:0A1B2C stat:DELIVRD err:000")
    assert r.matches(str(0x0A1B2C)) and r.matches("a1b2c") and not r.matches("123")
    d = parse_receipt("id:40072910491427628 stat:DELIVRD err:000")
    assert d.matches(f"{40072910491427628:x}")


def test_stat_variants() -> None:
    assert parse_receipt("id:1 stat:DELIVERED err:0").stat == "DELIVRD"
    acc = parse_receipt("id:1 stat:ACCEPTD err:0")
    assert acc.stat == "ACCEPTD"
    spec_unknown = parse_receipt("id:1 stat:DELIVERY UNKNOWN err:000")  # the spec's wording
    assert (spec_unknown.stat, spec_unknown.err) == ("UNKNOWN", 0)
    assert parse_receipt("id:1 stat:REJECTED err:0").stat == "REJECTD"
    odd = parse_receipt("id:1 stat:WEIRD err:0")
    assert odd.stat == "WEIRD" and "not a known delivery state" in odd.warnings[0]


@pytest.mark.parametrize(("text", "reason"), [
    ("hello world", "no receipt keys"),
    ("stat:DELIVRD err:000", "missing id"),
    ("id:123 err:000", "missing stat"),
    ("", "no receipt keys"),
])
def test_unparseable_kept_raw_with_reason(text: str, reason: str) -> None:
    r = parse_receipt(text)
    assert not r.ok and reason in r.error and r.raw == text


def test_bad_values_are_warnings() -> None:
    r = parse_receipt("id:1 sub:x submit date:20100729 done date:1007291049 stat:DELIVRD err:zz")
    assert r.ok and r.sub is None and r.err is None and r.submit_date is None
    assert "sub: 'x' is not a number" in r.warnings
    assert "submit date: date '20100729' is neither YYMMDDhhmm nor YYMMDDhhmmss" in r.warnings
    with pytest.raises(ValueError):
        parse_receipt_date("1007")


def test_receipt_from_pdu_with_tlvs() -> None:
    pdu = decode_pdu(Pdu("deliver_sm", 3, {"esm_class": 4, "short_message": SPEC.encode()},
                         [Tlv(0x001E, "40072910491427628"), Tlv(0x0427, 2),
                          Tlv(0x0423, b"\x03\x00\x1b")]).encode())
    r = receipt_from_pdu(pdu)
    assert r.receipted_message_id == "40072910491427628" and r.message_id == "40072910491427628"
    assert r.message_state == 2 and r.message_state_name == "DELIVERED"
    assert r.network_error == (3, 27)
    assert r.warnings == []


def test_receipt_only_in_tlvs_and_payload() -> None:
    tlv_only = decode_pdu(Pdu("data_sm", 1, {"esm_class": 4},
                              [Tlv(0x001E, "abc"), Tlv(0x0427, 5)]).encode())
    r = receipt_from_pdu(tlv_only)
    assert r.ok and r.message_id == "abc" and r.message_state == 5
    payload = decode_pdu(Pdu("deliver_sm", 1, {"esm_class": 4},
                             [Tlv(0x0424, SPEC.encode())]).encode())
    assert receipt_from_pdu(payload).id == "40072910491427628"
    mismatch = decode_pdu(Pdu("deliver_sm", 1, {"short_message": SPEC.encode()},
                              [Tlv(0x001E, "999")]).encode())
    assert "differs from id" in receipt_from_pdu(mismatch).warnings[0]


def test_format_receipt_is_the_spec_text_and_parses_back() -> None:
    t = datetime(2010, 7, 29, 10, 49)
    text = format_receipt("40072910491427628", "DELIVRD", 0, submit=t, done=t)
    assert text == SPEC
    assert format_receipt("1", "UNDELIV", 1, submit=t, done=t, text="Hello world, this is long") == (
        "id:1 sub:001 dlvrd:000 submit date:1007291049 done date:1007291049 stat:UNDELIV err:001 "
        "text:Hello world, this is")
    r = parse_receipt(format_receipt("ff01", "EXPIRED", 27, submit=t, done=t, seconds=True))
    assert (r.id, r.stat, r.err, r.dlvrd, r.done_date) == ("ff01", "EXPIRED", 27, 0, t)


def test_unicode_digits_are_not_numbers() -> None:
    """Found by fuzzing: '²' passes str.isdigit but int() refuses it."""
    r = parse_receipt("id:²1 sub:²00 submit date:²007291049 stat:DELIVRD err:0²")
    assert r.sub is None and r.submit_date is None and r.err is None
    assert r.matches("²1") and not r.matches("21")


@pytest.mark.fuzz
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["", "id:1 ", "stat:", "err:", "submit date:", "text:"]))
def test_any_text_parses_without_raising(text: str, prefix: str) -> None:
    r = parse_receipt(prefix + text)
    assert r.raw == prefix + text
    assert r.error is None or isinstance(r.error, str)
    r.to_json()


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[0-9a-f]{1,20}", fullmatch=True),
       st.sampled_from(["DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "REJECTD"]),
       st.integers(0, 999), st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)))
def test_format_then_parse_round_trip(mid: str, stat: str, err: int, when: datetime) -> None:
    when = when.replace(microsecond=0)
    r = parse_receipt(format_receipt(mid, stat, err, submit=when, done=when, seconds=True))
    assert (r.id, r.stat, r.err, r.done_date, r.error) == (mid, stat, err, when, None)
