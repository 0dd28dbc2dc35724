"""The records of the HTTP client: what to send (:class:`HttpRequest`) and what happened
(:class:`HttpExchange`: the request as sent, the response as received, timings, sizes, error).

Records keep every byte in memory; :meth:`HttpExchange.to_dict` (what the journal stores)
masks credentials (see :mod:`console.redact`).
"""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from console.errors import HttpApiError
from console.http.pretty import Explanation, error_message, explain, parse_body, pretty
from console.redact import redact_headers, redact_query, redact_url

Headers = list[tuple[str, str]]
_ids = itertools.count(1)


@dataclass(frozen=True)
class AuthProfile:
    """Credentials for HTTP Basic authorization (RFC 2045 Base64 of ``username:password``)."""

    username: str
    password: str

    def header(self) -> str:
        """The Authorization header value, e.g. ``Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==``."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"

    def __repr__(self) -> str:  # never print the password
        return f"AuthProfile(username={self.username!r}, password='***')"


def _safe_repr(obj: Any) -> str:
    """A dataclass repr with credential headers, URL passwords and secret query values masked
    (what a notebook cell, ``print`` or a traceback shows)."""
    parts = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.name == "headers":
            value = redact_headers(value)
        elif f.name == "query":
            value = redact_query(value)
        elif f.name == "url":
            value = redact_url(value)
        parts.append(f"{f.name}={value!r}")
    return f"{type(obj).__name__}({', '.join(parts)})"


@dataclass
class HttpRequest:
    """A request to send. ``url`` may be a path, resolved against the client's base URL.

    ``body`` is the text to send (JSON or XML); ``content_type`` sets Content-Type when the
    headers do not. ``auth`` None means "the client's profile"; ``AuthProfile`` overrides it.
    """

    __repr__ = _safe_repr

    method: str = "GET"
    url: str = "/"
    query: Headers = field(default_factory=list)
    headers: Headers = field(default_factory=list)
    body: str | bytes = ""
    content_type: str | None = None
    auth: AuthProfile | None = None
    name: str = ""  # the preset it came from, for history and HAR comments

    def header(self, name: str) -> str | None:
        """The first header value named ``name`` (case-insensitive)."""
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)

    def with_header(self, name: str, value: str) -> HttpRequest:
        """A copy with ``name`` set to ``value`` (replacing earlier values)."""
        low = name.lower()
        return replace(self, headers=[(k, v) for k, v in self.headers if k.lower() != low]
                       + [(name, value)])

    def resolve(self, base_url: str) -> str:
        """The absolute URL including the query string."""
        url = self.url
        if not urlsplit(url).scheme:
            url = urljoin(base_url.rstrip("/") + "/", url.lstrip("/"))
        if self.query:
            url += ("&" if "?" in url else "?") + urlencode(self.query)
        return url

    def body_bytes(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else bytes(self.body)


@dataclass(frozen=True)
class Timings:
    """Seconds spent in each phase; None when the phase did not happen (reused connection)."""

    connect: float | None = None  # TCP connect
    tls: float | None = None  # TLS handshake
    send: float | None = None  # writing the request
    wait: float | None = None  # request written -> response headers (server time)
    receive: float | None = None  # response body download
    ttfb: float | None = None  # start -> first response byte (headers)
    total: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class RequestRecord:
    """The request as it went on the wire."""

    __repr__ = _safe_repr

    method: str
    url: str
    headers: Headers
    body: bytes = b""
    http_version: str = "HTTP/1.1"


@dataclass(frozen=True)
class ResponseRecord:
    """The response as it came off the wire."""

    __repr__ = _safe_repr

    status: int
    reason: str
    headers: Headers
    body: bytes = b""
    http_version: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")


@dataclass
class HttpExchange:
    """One request and its response (or its error), with timings and sizes."""

    request: RequestRecord
    response: ResponseRecord | None = None
    error: str | None = None
    started: float = 0.0  # epoch seconds
    timings: Timings = field(default_factory=Timings)
    name: str = ""
    server: tuple[str, int] | None = None
    request_size: int = 0  # bytes on the wire: request line + headers + body
    response_size: int = 0
    id: int = field(default_factory=lambda: next(_ids))

    def __repr__(self) -> str:  # short, and never the credentials
        outcome = (f"{self.response.status} {self.response.reason}" if self.response is not None
                   else f"error: {self.error}")
        total = self.timings.total
        took = f" {total * 1000:.1f} ms" if total is not None else ""
        return (f"<HttpExchange #{self.id} {self.request.method} {redact_url(self.request.url)} "
                f"→ {outcome}{took}>")

    # --------------------------------------------------------------- views

    @property
    def status(self) -> int | None:
        return self.response.status if self.response is not None else None

    @property
    def ok(self) -> bool:
        return self.response is not None and 200 <= self.response.status < 300

    def response_value(self) -> Any:
        """The parsed response body (JSON or XML), None if absent or unparseable."""
        if self.response is None:
            return None
        value, _ = parse_body(self.response.body, self.response.content_type)
        return value

    def json(self) -> Any:
        """The response body parsed as JSON (raises HttpApiError if it is not JSON)."""
        if self.response is None:
            raise HttpApiError(f"no response: {self.error}")
        try:
            return json.loads(self.response.body)
        except ValueError as exc:
            raise HttpApiError(f"response is not JSON: {exc}") from None

    @property
    def parse_error(self) -> str | None:
        if self.response is None:
            return None
        return parse_body(self.response.body, self.response.content_type)[1]

    def pretty_request(self) -> str:
        return pretty(self.request.body, _header(self.request.headers, "content-type"))

    def pretty_response(self) -> str:
        if self.response is None:
            return ""
        return pretty(self.response.body, self.response.content_type)

    @property
    def error_message(self) -> str | None:
        """One readable line when the call failed: transport error or Infobip error body."""
        if self.error:
            return self.error
        if self.response is None or self.ok:
            return None
        msg = error_message(self.response_value())
        reason = f"HTTP {self.response.status} {self.response.reason}".rstrip()
        return f"{reason}: {msg}" if msg else reason

    def explanations(self) -> list[Explanation]:
        """Every status/error object of the response explained from the reference tables."""
        return explain(self.response_value())

    def raise_for_error(self) -> HttpExchange:
        """Raise HttpApiError with :attr:`error_message` unless the call succeeded."""
        if not self.ok:
            raise HttpApiError(self.error_message or "request failed")
        return self

    def summary(self) -> str:
        status = self.response.status if self.response is not None else "ERR"
        total = f"{self.timings.total * 1000:.0f} ms" if self.timings.total is not None else ""
        return f"{self.request.method} {redact_url(self.request.url)} → {status} {total}".rstrip()

    def message_ids(self) -> list[str]:
        """Message ids in the response (send results, reports, logs)."""
        value = self.response_value()
        out: list[str] = []

        def walk(v: Any) -> None:
            if isinstance(v, dict):
                mid = v.get("messageId")
                if isinstance(mid, str):
                    out.append(mid)
                for x in v.values():
                    if isinstance(x, dict | list):
                        walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)

        walk(value)
        return out

    def bulk_id(self) -> str | None:
        value = self.response_value()
        return value.get("bulkId") if isinstance(value, dict) else None

    # --------------------------------------------------------------- storage

    def to_dict(self, *, redact: bool = True) -> dict[str, Any]:
        """JSON-safe dict; bodies as UTF-8 text (or hex when binary); credentials masked."""
        req_headers = redact_headers(self.request.headers) if redact else self.request.headers
        d: dict[str, Any] = {
            "id": self.id, "name": self.name, "started": self.started, "error": self.error,
            "server": list(self.server) if self.server else None,
            "request_size": self.request_size, "response_size": self.response_size,
            "timings": self.timings.to_dict(),
            "request": {
                "method": self.request.method,
                "url": redact_url(self.request.url) if redact else self.request.url,
                "headers": [list(h) for h in req_headers],
                "http_version": self.request.http_version,
                **_body_dict(self.request.body),
            },
            "response": None,
        }
        if self.response is not None:
            resp_headers = redact_headers(self.response.headers) if redact else self.response.headers
            d["response"] = {
                "status": self.response.status, "reason": self.response.reason,
                "headers": [list(h) for h in resp_headers],
                "http_version": self.response.http_version,
                **_body_dict(self.response.body),
            }
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HttpExchange:
        r = d["request"]
        request = RequestRecord(r["method"], r["url"], [tuple(h) for h in r.get("headers", [])],
                                _body_from(r), r.get("http_version", "HTTP/1.1"))
        response = None
        if d.get("response"):
            s = d["response"]
            response = ResponseRecord(int(s["status"]), s.get("reason", ""),
                                      [tuple(h) for h in s.get("headers", [])], _body_from(s),
                                      s.get("http_version", "HTTP/1.1"))
        t = d.get("timings") or {}
        return cls(request=request, response=response, error=d.get("error"),
                   started=float(d.get("started", 0.0)),
                   timings=Timings(**{k: t.get(k) for k in Timings.__dataclass_fields__}),
                   name=d.get("name", ""), server=tuple(d["server"]) if d.get("server") else None,
                   request_size=int(d.get("request_size", 0)),
                   response_size=int(d.get("response_size", 0)),
                   id=int(d.get("id", 0)) or next(_ids))


def _header(headers: Headers, name: str) -> str | None:
    low = name.lower()
    return next((v for k, v in headers if k.lower() == low), None)


def _body_dict(body: bytes) -> dict[str, str]:
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_hex": body.hex()}


def _body_from(d: dict[str, Any]) -> bytes:
    if "body_hex" in d:
        return bytes.fromhex(d["body_hex"])
    return str(d.get("body", "")).encode("utf-8")
