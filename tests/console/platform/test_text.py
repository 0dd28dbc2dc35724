"""Text at submission: encoding and smsCount from console.encoding, codes from the reference."""

from __future__ import annotations

import pytest

from console.encoding import count_parts
from console.errors import EncodingError
from console.platform import Platform, SimClock, SubmitRequest, codes, text

# the spec's advanced example (POST /sms/1/text/advanced, first message)
SPEC_TURKISH = "Artık Ulusal Dil Tanımlayıcısı ile Türkçe karakterli smslerinizi rahatlıkla iletebilirsiniz."
TR_SINGLE = {"languageCode": "TR", "singleShift": True, "lockingShift": False}
TR_BOTH = {"languageCode": "TR", "singleShift": True, "lockingShift": True}


@pytest.fixture
def platform() -> Platform:
    return Platform(clock=SimClock(scale=1.0))


def submit(p: Platform, body: str, **kw: object):
    acct = p.authenticate("Aladdin", "open sesame")
    assert acct is not None
    return p.submit(acct, SubmitRequest(to="41793026727", text=body, **kw))  # type: ignore[arg-type]


def test_spec_turkish_example_counts_as_the_encoding_module(platform):
    msg = submit(platform, SPEC_TURKISH, language=TR_SINGLE, transliteration="TURKISH")
    assert msg.sms_count == count_parts(SPEC_TURKISH, "TR", True, False, "TURKISH") == 1
    assert msg.data_coding == 0


def test_spec_turkish_text_uses_the_single_shift_table(platform):
    msg = submit(platform, SPEC_TURKISH, language=TR_SINGLE)
    assert msg.sms_count == count_parts(SPEC_TURKISH, "TR", True, False) == 1
    assert (msg.encoding, msg.data_coding) == ("GSM7 + Turkish single shift", 0)
    # without the language it does not fit GSM 7-bit: UCS2, two parts of 67
    plain = submit(platform, SPEC_TURKISH)
    assert (plain.encoding, plain.data_coding, plain.sms_count) == ("UCS2", 8, 2)


@pytest.mark.parametrize(("septets", "parts"), [(155, 1), (156, 2), (2 * 149, 2), (2 * 149 + 1, 3)])
def test_single_shift_capacities(platform, septets, parts):
    # "ş" is in the Turkish single shift table: escape + code, two septets
    body = "ş" + "a" * (septets - 2)
    msg = submit(platform, body, language=TR_SINGLE)
    assert msg.sms_count == parts == count_parts(body, "TR", True, False)
    assert msg.encoding == "GSM7 + Turkish single shift"


@pytest.mark.parametrize(("septets", "parts"), [(152, 1), (153, 2), (2 * 146, 2), (2 * 146 + 1, 3)])
def test_single_and_locking_shift_capacities(platform, septets, parts):
    # with the Turkish locking shift table "ş" is one septet
    body = "ş" + "a" * (septets - 1)
    msg = submit(platform, body, language=TR_BOTH)
    assert msg.sms_count == parts == count_parts(body, "TR", True, True)
    assert msg.encoding == "GSM7 + Turkish single + locking shift"


def test_measure_without_language():
    assert text.measure("a" * 160) == ("GSM7", 0, 1)
    assert text.measure("a" * 161) == ("GSM7", 0, 2)
    assert text.measure("中" * 71) == ("UCS2", 8, 2)


def test_measure_refuses_a_text_beyond_255_parts():
    with pytest.raises(EncodingError):
        text.measure("a" * (153 * 255 + 1))


def test_transliteration_is_the_encoding_modules():
    assert text.transliterate("ışğ", "TURKISH") == "isg"
    assert text.transliterate("ışğ", None) == "ışğ"
    with pytest.raises(ValueError):
        text.transliterate("abc", "KLINGON")


def test_status_and_error_objects_come_from_the_reference():
    assert codes.status(0) == {"groupId": 0, "groupName": "ACCEPTED", "id": 0,
                               "name": "MESSAGE_ACCEPTED", "description": "Message accepted"}
    assert codes.status(14)["action"] == "Remove destination from blacklist"
    assert codes.error(27)["name"] == "EC_ABSENT_SUBSCRIBER" and codes.error(27)["permanent"] is False
    assert codes.error(1)["permanent"] is True
    unknown = codes.status(9999)
    assert (unknown["id"], unknown["groupId"], unknown["name"]) == (9999, None, "UNKNOWN_9999")
    assert "not in the http_status table" in unknown["description"]
    assert (codes.error(77777)["name"], codes.error(77777)["permanent"]) == ("EC_77777", None)
    assert codes.STATUS_GROUPS == ("ACCEPTED", "PENDING", "UNDELIVERABLE", "DELIVERED", "EXPIRED",
                                   "REJECTED")
