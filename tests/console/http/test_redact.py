"""console.redact: what counts as a secret, and that masking keeps everything else."""

from __future__ import annotations

import struct

from console.redact import (
    MASK,
    redact_bind,
    redact_header_value,
    redact_headers,
    redact_query,
    redact_text,
    redact_url,
)


def test_credential_headers_keep_their_scheme_only():
    headers = [("Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), ("Accept", "application/json"),
               ("cookie", "s=1"), ("X-Api-Key", "k"), ("Proxy-Authorization", "Bearer t")]
    assert redact_headers(headers) == [("Authorization", "Basic ***"), ("Accept", "application/json"),
                                       ("cookie", MASK), ("X-Api-Key", MASK),
                                       ("Proxy-Authorization", "Bearer ***")]
    assert redact_header_value("Authorization", "opaque-token") == MASK


def test_url_userinfo_and_password_parameters_are_masked():
    assert redact_url("https://Aladdin:open%20sesame@api.infobip.com/sms/1/logs?limit=1") == \
        "https://Aladdin:***@api.infobip.com/sms/1/logs?limit=1"
    assert redact_url("http://h/mo?sender=1&password=p&text=a") == \
        "http://h/mo?sender=1&password=***&text=a"
    assert redact_url("http://user@h/x") == "http://user@h/x"
    assert redact_query([("token", "t"), ("to", "4179")]) == [("token", MASK), ("to", "4179")]


def test_free_text_and_bind_pdus():
    line = "curl -H 'Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==' http://h"
    assert redact_text(line) == "curl -H 'Authorization: Basic ***' http://h"
    body = b"esme\0secret\0\0" + bytes([0x34, 0, 0]) + b"\0"
    bind = struct.pack(">IIII", 16 + len(body), 0x00000002, 0, 1) + body
    masked = redact_bind(bind)
    assert len(masked) == len(bind) and b"secret" not in masked and b"esme\0******\0" in masked
    submit = struct.pack(">IIII", 16 + len(body), 0x00000004, 0, 1) + body
    assert redact_bind(submit) == submit  # only binds carry a password
