"""What a Jupyter user imports from ``console`` resolves, without Qt."""

from __future__ import annotations

import console


def test_every_public_name_resolves():
    for name in console.__all__:
        assert getattr(console, name) is not None, name


def test_decode_accepts_hex_with_spaces():
    pdu = console.decode("00000010 00000015 00000000 00000007")
    assert pdu.command == "enquire_link"
    assert pdu.sequence_number == 7


def test_decode_round_trips_an_encoded_pdu():
    raw = console.Pdu("submit_sm", sequence_number=3,
                      fields={"source_addr": "InfoSMS", "destination_addr": "41793026727",
                              "short_message": b"My first Infobip SMS"}).encode()
    pdu = console.decode(raw)
    assert pdu.fields["destination_addr"] == "41793026727"
    assert pdu.fields["short_message"] == b"My first Infobip SMS"
