"""What a notebook shows for an exchange: useful, and never the credentials."""

from __future__ import annotations

import base64

from console.http.exchange import (
    HttpExchange,
    HttpRequest,
    RequestRecord,
    ResponseRecord,
)

SECRET = base64.b64encode(b"Aladdin:open sesame").decode()


def test_reprs_mask_authorization_url_passwords_and_secret_query_values():
    req = RequestRecord("POST", "https://Aladdin:open%20sesame@api.example/sms?password=pw1",
                        [("Authorization", f"Basic {SECRET}"), ("Accept", "application/json")],
                        b"{}")
    resp = ResponseRecord(200, "OK", [("Set-Cookie", "session=abc123")], b"{}")
    ex = HttpExchange(request=req, response=resp)
    draft = HttpRequest("GET", "/sms/1/logs", query=[("password", "pw2")],
                        headers=[("Authorization", f"App {SECRET}")])
    for text in (repr(ex), str(ex), repr(req), repr(resp), repr(draft), f"{[ex]}"):
        for secret in (SECRET, "open%20sesame", "pw1", "pw2", "abc123"):
            assert secret not in text, (secret, text)
    assert "Basic ***" in repr(req) and "Accept" in repr(req)
    assert repr(ex).startswith(f"<HttpExchange #{ex.id} POST https://Aladdin:***@api.example/")
    assert repr(ex).endswith("→ 200 OK>")
    assert ("Authorization", f"Basic {SECRET}") in req.headers  # the data itself is intact
