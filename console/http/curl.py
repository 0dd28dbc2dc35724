"""Copy as cURL: one shell command line that repeats a request.

Credentials are masked (``Authorization: Basic ***``, URL passwords) unless
``reveal_secrets=True``; headers that curl sets itself (Host, Content-Length, Connection,
User-Agent) are left to curl, and ``Accept-Encoding`` becomes ``--compressed`` so the output
is the decoded body either way.
"""

from __future__ import annotations

import shlex

from console.http.exchange import RequestRecord
from console.redact import redact_header_value, redact_url

_CURL_OWNS = frozenset({"host", "content-length", "connection", "user-agent", "accept-encoding",
                        "transfer-encoding"})


def to_curl(request: RequestRecord, *, reveal_secrets: bool = False, multiline: bool = False) -> str:
    """The cURL command for ``request``."""
    parts = ["curl", "-sS"]
    if request.method != "GET" or request.body:
        parts += ["-X", request.method]
    url = request.url if reveal_secrets else redact_url(request.url)
    parts.append(shlex.quote(url))
    compressed = False
    for name, value in request.headers:
        low = name.lower()
        if low == "accept-encoding":
            compressed = True
        if low in _CURL_OWNS:
            continue
        shown = value if reveal_secrets else redact_header_value(name, value)
        parts += ["-H", shlex.quote(f"{name}: {shown}")]
    if compressed:
        parts.append("--compressed")
    if request.body:
        parts += ["--data-binary", shlex.quote(request.body.decode("utf-8", "replace"))]
    sep = " \\\n  " if multiline else " "
    return sep.join(parts)
