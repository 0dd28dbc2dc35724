"""What the command line says when a user gives it something wrong: one clear line, no traceback."""

from __future__ import annotations

import socket

import pytest

from console.cli import main
from console.errors import DecodeError
from console.smpp.hexinput import parse_hex


@pytest.mark.parametrize(("text", "expected"), [
    ("0000000f00000015000000000000000", "odd number of hex digits (31)"),
    ("zz", "not hex: 'z' at digit 1"),
    ("00000010 0000001 5zz", "not hex: 'z' at digit 17"),
    ("0000001000000015", "8 byte(s): an SMPP PDU has a 16-byte header"),
    ("  ", "no hex digits given"),
])
def test_decode_explains_bad_hex(capsys, text, expected):
    assert main(["decode", text]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"error: {parse_hex_error(text)}"
    assert expected in err and "fromhex" not in err


def parse_hex_error(text: str) -> str:
    with pytest.raises(DecodeError) as info:
        parse_hex(text, min_length=16)
    return str(info.value)


def test_hex_with_the_usual_separators_is_accepted():
    assert parse_hex("0x00:0x01, 02-03\n04 05") == bytes(range(6))


def test_decode_of_a_missing_capture(capsys, tmp_path):
    missing = tmp_path / "nope.pcap"
    assert main(["decode", "--pcap", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == \
        f"error: cannot read {missing}: No such file or directory"


def test_listen_on_a_busy_port_says_so_in_one_line(capsys):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        assert main(["listen", "--port", str(port)]) == 2
    finally:
        busy.close()
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: cannot listen on 127.0.0.1:{port}:")
    assert "in use" in err and "Traceback" not in err and len(err.splitlines()) == 1


async def test_a_listener_that_cannot_bind_can_start_again_elsewhere():
    from console.webhooks import WebhookListener

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    listener = WebhookListener("127.0.0.1", port)
    try:
        with pytest.raises(OSError):
            await listener.start()
        assert listener.url and listener._runner is None  # nothing half-started
        listener.port = 0
        await listener.start()
        assert listener.port not in (0, port)
    finally:
        busy.close()
        await listener.stop()
