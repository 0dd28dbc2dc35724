"""The async HTTP API client: sends :class:`HttpRequest` s and records :class:`HttpExchange` s.

Nothing here assumes the simulator: the same client talks to ``https://api.infobip.com``.
Transport failures do not raise; they come back as an exchange with ``error`` set (call
:meth:`HttpExchange.raise_for_error` to turn any failure into ``HttpApiError``).

>>> async with HttpClient(sim.http_url, "Aladdin", "open sesame") as client:
...     ex = await client.send_sms("41793026727", "Hello")
...     ex.json()["messages"][0]["messageId"]
"""

from __future__ import annotations

import ssl
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from console.http.curl import to_curl
from console.http.exchange import (
    AuthProfile,
    HttpExchange,
    HttpRequest,
    RequestRecord,
    ResponseRecord,
    Timings,
)
from console.http.har import to_har, write_har
from console.http.presets import MIME, preset

if TYPE_CHECKING:
    from console.reports import DeliveryReport

DEFAULT_BASE_URL = "https://api.infobip.com"
ExchangeCallback = Callable[[HttpExchange], Any]

# snake_case keyword -> the API's field name, for send_sms(**options)
_MESSAGE_FIELDS = {
    "flash": "flash", "transliteration": "transliteration", "language": "language",
    "intermediate_report": "intermediateReport", "notify_url": "notifyUrl",
    "notify_content_type": "notifyContentType", "callback_data": "callbackData",
    "validity_period": "validityPeriod", "send_at": "sendAt",
}


class HttpClient:
    """An HTTP API client with a history of exchanges and subscribers.

    ``username``/``password`` build the Basic Authorization header of every request that does
    not bring its own. ``verify``: check the server certificate (True), skip the check (False,
    for test servers), or an ``ssl.SSLContext`` trusting a given certificate. ``fmt`` ("json" or "xml") is the default body format of the
    convenience methods.
    """

    def __init__(self, base_url: str = DEFAULT_BASE_URL, username: str | None = None,
                 password: str | None = None, *, timeout: float = 30.0,
                 verify: bool | ssl.SSLContext = True,
                 history_size: int = 10_000, fmt: str = "json") -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = AuthProfile(username, password or "") if username is not None else None
        self.fmt = fmt
        self.history: deque[HttpExchange] = deque(maxlen=history_size)
        self._subscribers: list[ExchangeCallback] = []
        self._client = httpx.AsyncClient(timeout=timeout, verify=verify, follow_redirects=False)

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    def subscribe(self, callback: ExchangeCallback) -> Callable[[], None]:
        """Call ``callback(exchange)`` after every request; returns an unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    # ------------------------------------------------------------------ sending

    def build(self, request: HttpRequest) -> httpx.Request:
        """The httpx request that :meth:`send` would put on the wire."""
        headers = list(request.headers)
        names = {k.lower() for k, _ in headers}
        auth = request.auth or self.auth
        if auth is not None and "authorization" not in names:
            headers.append(("Authorization", auth.header()))
        body = request.body_bytes()
        if body and "content-type" not in names:
            headers.append(("Content-Type", request.content_type or _sniff(body)))
        return self._client.build_request(request.method.upper(), request.resolve(self.base_url),
                                          headers=headers, content=body or None)

    async def send(self, request: HttpRequest) -> HttpExchange:
        """Send ``request``; the exchange (response or error) is recorded and returned."""
        req = self.build(request)
        marks: dict[str, float] = {}
        server: list[tuple[str, int]] = []

        async def trace(event: str, info: dict[str, Any]) -> None:
            marks.setdefault(event.split(".", 1)[-1], time.perf_counter())
            if event.endswith("connect_tcp.complete"):
                stream = info.get("return_value")
                addr = stream.get_extra_info("server_addr") if stream is not None else None
                if addr:
                    server.append((str(addr[0]), int(addr[1])))

        req.extensions = {**req.extensions, "trace": trace}
        record = RequestRecord(req.method, str(req.url), _raw_headers(req.headers.raw),
                               request.body_bytes())
        started, t0 = time.time(), time.perf_counter()
        response: ResponseRecord | None = None
        error: str | None = None
        resp_size = 0
        t_headers = None
        try:
            resp = await self._client.send(req, stream=True)
            t_headers = time.perf_counter()
            try:
                body = await resp.aread()
            finally:
                await resp.aclose()
            response = ResponseRecord(resp.status_code, resp.reason_phrase,
                                      _raw_headers(resp.headers.raw), body, resp.http_version)
            resp_size = (len(f"{resp.http_version} {resp.status_code} {resp.reason_phrase}\r\n")
                         + _headers_size(response.headers) + resp.num_bytes_downloaded)
        except httpx.HTTPError as exc:
            error = _describe(exc, record.url)
        t_end = time.perf_counter()
        ex = HttpExchange(
            request=record, response=response, error=error, started=started,
            timings=_timings(marks, t0, t_headers, t_end), name=request.name,
            server=server[0] if server else _server_of(record.url),
            request_size=_request_size(record), response_size=resp_size,
        )
        self._record(ex)
        return ex

    def _record(self, ex: HttpExchange) -> None:
        self.history.append(ex)
        for cb in list(self._subscribers):
            try:
                cb(ex)
            except Exception:  # a faulty subscriber must not break the client
                import logging

                logging.getLogger(__name__).exception("exchange subscriber failed")

    async def send_preset(self, name: str, fmt: str | None = None, *,
                          notify_url: str | None = None) -> HttpExchange:
        """Send the preset called ``name`` (see :mod:`console.http.presets`)."""
        return await self.send(preset(name, fmt or self.fmt, notify_url=notify_url))

    # ------------------------------------------------------------------ convenience

    async def send_sms(self, to: str | Iterable[str], text: str, from_: str = "InfoSMS", *,
                       bulk_id: str | None = None, message_id: str | None = None,
                       tracking: dict[str, Any] | None = None, **options: Any) -> HttpExchange:
        """Send one text: ``/sms/1/text/single`` when no option is given, else ``advanced``.

        Options (snake_case): flash, transliteration, language, intermediate_report,
        notify_url, notify_content_type, callback_data, validity_period, send_at.
        """
        unknown = set(options) - set(_MESSAGE_FIELDS)
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
        dests = [to] if isinstance(to, str) else list(to)
        if not options and not bulk_id and not message_id and not tracking:
            body: dict[str, Any] = {"from": from_, "to": dests[0] if isinstance(to, str) else dests,
                                    "text": text}
            return await self.send(self._json_request("POST", "/sms/1/text/single", body,
                                                      "sms-single"))
        msg: dict[str, Any] = {"from": from_, "destinations": [{"to": d} for d in dests],
                               "text": text}
        if message_id:
            msg["destinations"][0]["messageId"] = message_id
        msg.update({_MESSAGE_FIELDS[k]: v for k, v in options.items() if v is not None})
        body = {"messages": [msg]}
        if bulk_id:
            body = {"bulkId": bulk_id, **body}
        if tracking:
            body["tracking"] = tracking
        return await self.send(self._json_request("POST", "/sms/1/text/advanced", body,
                                                  "sms-advanced"))

    async def send_multi(self, messages: list[dict[str, Any]]) -> HttpExchange:
        """``/sms/1/text/multi`` with ``messages`` as the API expects them (from, to, text)."""
        return await self.send(self._json_request("POST", "/sms/1/text/multi",
                                                  {"messages": messages}, "sms-multi"))

    async def send_advanced(self, body: dict[str, Any]) -> HttpExchange:
        """``/sms/1/text/advanced`` with a complete request body."""
        return await self.send(self._json_request("POST", "/sms/1/text/advanced", body,
                                                  "sms-advanced"))

    async def fetch_reports(self, *, message_id: str | None = None, bulk_id: str | None = None,
                            limit: int | None = None) -> list[DeliveryReport]:
        """``GET /sms/1/reports`` as DeliveryReport records (each report comes once)."""
        query = [(k, str(v)) for k, v in (("messageId", message_id), ("bulkId", bulk_id),
                                          ("limit", limit)) if v is not None]
        ex = await self.send(HttpRequest("GET", "/sms/1/reports", query,
                                         [("Accept", MIME[self.fmt])], name="reports"))
        ex.raise_for_error()
        from console.reports import reports_from_value  # reports imports console.http.pretty

        return reports_from_value(ex.response_value(), "http-pull", received_at=time.time())

    async def logs(self, **filters: Any) -> HttpExchange:
        """``GET /sms/1/logs``; filters by their API names (``from`` as ``from_``)."""
        query = [("from" if k == "from_" else k, str(v)) for k, v in filters.items()
                 if v is not None]
        return await self.send(HttpRequest("GET", "/sms/1/logs", query,
                                           [("Accept", MIME[self.fmt])], name="logs"))

    async def inbox(self, limit: int | None = None) -> HttpExchange:
        """``GET /sms/1/inbox/reports`` (received messages, each returned once)."""
        query = [("limit", str(limit))] if limit is not None else []
        return await self.send(HttpRequest("GET", "/sms/1/inbox/reports", query,
                                           [("Accept", MIME[self.fmt])], name="inbox"))

    async def number_query(self, to: str | Iterable[str]) -> HttpExchange:
        """``POST /number/1/query`` for one or more numbers."""
        numbers = [to] if isinstance(to, str) else list(to)
        return await self.send(self._json_request("POST", "/number/1/query", {"to": numbers},
                                                  "number-query"))

    def _json_request(self, method: str, path: str, body: dict[str, Any],
                      name: str) -> HttpRequest:
        from console.http.pretty import to_xml

        if self.fmt == "xml":
            text = to_xml("request", body)
        else:
            import json

            text = json.dumps(body, ensure_ascii=False)
        return HttpRequest(method, path, [], [("Content-Type", MIME[self.fmt]),
                                              ("Accept", MIME[self.fmt])], text, name=name)

    # ------------------------------------------------------------------ exports

    def curl(self, exchange: HttpExchange | HttpRequest, *, reveal_secrets: bool = False) -> str:
        """A cURL command line that repeats ``exchange`` (credentials masked unless asked)."""
        if isinstance(exchange, HttpRequest):
            req = self.build(exchange)
            record = RequestRecord(req.method, str(req.url), _raw_headers(req.headers.raw),
                                   exchange.body_bytes())
            return to_curl(record, reveal_secrets=reveal_secrets)
        return to_curl(exchange.request, reveal_secrets=reveal_secrets)

    def har(self, exchanges: Iterable[HttpExchange] | None = None) -> dict[str, Any]:
        """The history (or ``exchanges``) as a HAR 1.2 document."""
        return to_har(self.history if exchanges is None else exchanges)

    def export_har(self, path: str | Path, exchanges: Iterable[HttpExchange] | None = None) -> Path:
        """Write the history as a ``.har`` file that browser devtools import."""
        return write_har(path, self.history if exchanges is None else exchanges)


# ----------------------------------------------------------------------------- helpers


def _sniff(body: bytes) -> str:
    return MIME["xml"] if body.lstrip()[:1] == b"<" else MIME["json"]


def _raw_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]


def _headers_size(headers: list[tuple[str, str]]) -> int:
    return sum(len(k) + len(v) + 4 for k, v in headers) + 2


def _request_size(r: RequestRecord) -> int:
    parts = urlsplit(r.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return len(f"{r.method} {target} {r.http_version}\r\n") + _headers_size(r.headers) + len(r.body)


def _server_of(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def _span(marks: dict[str, float], start: str, end: str) -> float | None:
    a, b = marks.get(start), marks.get(end)
    return b - a if a is not None and b is not None and b >= a else None


def _timings(marks: dict[str, float], t0: float, t_headers: float | None,
             t_end: float) -> Timings:
    sent = marks.get("send_request_body.complete") or marks.get("send_request_headers.complete")
    headers_done = marks.get("receive_response_headers.complete") or t_headers
    return Timings(
        connect=_span(marks, "connect_tcp.started", "connect_tcp.complete"),
        tls=_span(marks, "start_tls.started", "start_tls.complete"),
        send=(sent - marks["send_request_headers.started"]
              if sent is not None and "send_request_headers.started" in marks else None),
        wait=headers_done - sent if headers_done is not None and sent is not None else None,
        receive=t_end - headers_done if headers_done is not None else None,
        ttfb=headers_done - t0 if headers_done is not None else None,
        total=t_end - t0,
    )


def _describe(exc: httpx.HTTPError, url: str) -> str:
    """A one-line reason a person can act on."""
    host = urlsplit(url).netloc
    kind = {
        httpx.ConnectTimeout: f"connection to {host} timed out",
        httpx.ReadTimeout: f"{host} did not answer in time (read timeout)",
        httpx.WriteTimeout: f"sending to {host} timed out",
        httpx.PoolTimeout: "no free connection in the pool (pool timeout)",
        httpx.ConnectError: f"cannot connect to {host}",
        httpx.RemoteProtocolError: f"{host} broke the HTTP protocol",
        httpx.UnsupportedProtocol: "unsupported URL scheme (use http:// or https://)",
    }
    for cls, text in kind.items():
        if isinstance(exc, cls):
            detail = str(exc)
            return f"{text}: {detail}" if detail else text
    return f"{type(exc).__name__}: {exc}"
