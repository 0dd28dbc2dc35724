"""Body parsing, pretty-printing, Infobip error messages and status/error explanations."""

from __future__ import annotations

import json

import pytest

from console.http import error_message, explain, parse_body, preset, pretty
from console.http.pretty import to_xml, xml_to_value

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<reportResponse><results><result><messageId>&xxe;</messageId></result></results></reportResponse>"""


def test_trailing_comma_of_the_spec_examples_is_named():
    value, err = parse_body(b'{"to":"41793026727",}', "application/json")
    assert value is None
    assert "invalid JSON" in err and "trailing comma" in err


def test_xml_with_entities_is_refused_and_nothing_leaks():
    value, err = parse_body(XXE, "application/xml")
    assert value is None and "not allowed" in err
    assert "root:" not in (err or "")


def test_xml_round_trip_keeps_the_v1_list_shape():
    body = {"messages": [{"from": "InfoSMS", "destinations": [{"to": "41793026727"}],
                          "flash": True}]}
    root, value = xml_to_value(to_xml("request", body))
    assert root == "request"
    assert value == {"messages": [{"from": "InfoSMS", "destinations": [{"to": "41793026727"}],
                                   "flash": True}]}


def test_every_preset_body_is_valid_in_both_formats():
    for name in ("sms-single", "sms-multi", "sms-advanced", "number-query"):
        j = preset(name)
        assert parse_body(j.body_bytes(), "application/json")[1] is None
        x = preset(name, "xml")
        assert x.header("Content-Type") == "application/xml"
        assert parse_body(x.body_bytes(), "application/xml")[1] is None
    adv = json.loads(preset("sms-advanced").body)
    assert adv["messages"][1]["sendAt"] > "2026"  # the spec's 2015 date moved to the future


def test_pretty_indents_json_and_xml_and_hexes_binary():
    assert pretty(b'{"a":{"b":1}}', "application/json") == '{\n  "a": {\n    "b": 1\n  }\n}'
    assert pretty(b"<a><b>1</b></a>", "application/xml") == "<a>\n  <b>1</b>\n</a>"
    assert pretty(b"\xff\x00", "application/octet-stream") == "ff 00"


def test_infobip_error_bodies_read_as_one_line():
    body = {"requestError": {"serviceException": {
        "messageId": "BAD_REQUEST", "text": "Bad request",
        "validationErrors": {"to": ["must not be empty"], "from": ["too long"]}}}}
    assert error_message(body) == "BAD_REQUEST: Bad request — to: must not be empty; from: too long"
    assert error_message({"requestError": {"policyException": {"messageId": "UNAUTHORIZED",
                                                               "text": "Invalid login details"}}}
                         ) == "UNAUTHORIZED: Invalid login details"
    assert error_message({"results": []}) is None


def test_explain_names_status_and_error_and_flags_the_spec_inconsistency():
    # the spec's intermediate report example says groupId 3 with groupName PENDING
    body = {"results": [{"messageId": "x", "status": {
        "groupId": 3, "groupName": "PENDING", "id": 3, "name": "PENDING_WAITING_DELIVERY"},
        "error": {"groupId": 1, "id": 27, "name": "EC_ABSENT_SUBSCRIBER", "permanent": False}}]}
    status, error = explain(body)
    assert status.path == "results[0].status" and status.known
    assert status.group == "PENDING" and "group 1" in status.mismatch
    # ... and status id 1 with the name of id 3: flagged whatever the reference knows of id 1
    odd = explain({"status": {"groupId": 1, "id": 1, "name": "PENDING_WAITING_DELIVERY"}})[0]
    assert odd.mismatch
    assert error.name == "EC_ABSENT_SUBSCRIBER" and "not permanent" in error.detail
    assert error.mismatch is None
    unknown = explain({"status": {"id": 9999, "name": "NOPE"}})[0]
    assert not unknown.known and unknown.mismatch == "not in the reference tables"


def test_client_and_simulator_share_one_safe_xml_helper():
    from console import xmlsafe

    body = (b"<request><bulkId>B1</bulkId><messages><message><to><to>41793026727</to>"
            b"<to>41793026834</to></to><flash>true</flash></message></messages>"
            b"<tags><item>a</item><item>b</item></tags><n>1</n><n>2</n></request>")
    root, value = xml_to_value(body)
    assert (root, value) == xmlsafe.loads(body, typed=True)
    assert value["messages"] == [{"to": ["41793026727", "41793026834"], "flash": True}]
    assert value["n"] == ["1", "2"] and value["tags"] == {"item": ["a", "b"]}
    # the simulator reads the same shape but leaves "true" a string (validation coerces it)
    assert xmlsafe.loads(body)[1]["messages"][0]["flash"] == "true"
    # one refusal, word for word, on both sides of the wire
    _, err = parse_body(XXE, "application/xml")
    with pytest.raises(xmlsafe.XmlError) as refused:
        xmlsafe.loads(XXE)
    assert str(refused.value) == err and "DTDs and entities are not allowed" in err
    deep = b"<a>" * 5000 + b"</a>" * 5000
    assert parse_body(deep, "application/xml") == (None, "invalid XML: nested too deeply")
    # what the simulator writes, the client reads back
    out = xmlsafe.dumps("smsResponse", {"messages": [{"to": "41793026727", "smsCount": 1}]})
    assert out.startswith(b'<?xml version="1.0" encoding="UTF-8"?><smsResponse><messages><message>')
    assert xml_to_value(out) == ("smsResponse", {"messages": [{"to": "41793026727", "smsCount": "1"}]})
