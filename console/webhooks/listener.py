"""A local webhook listener for delivery reports (notifyUrl), intermediate reports and MO.

Paths: ``/dlr`` (final reports, JSON or XML), ``/intermediate``, ``/mo`` (the spec's GET URL
template — ``/mo?sender=%sender%&receiver=%receiver%&text=%text%&bin=%bin%&…`` — or a POST),
and everything else through a catch-all. Every hit becomes a :class:`WebhookHit`, even when its
body is malformed (kept raw with the parse error) or too large (413, first ``max_body`` bytes
kept). XML goes through defusedxml: no DTDs, no entities, hence no XXE and no billion laughs.

Each path answers by its :class:`ReplyRule`: status, body, delay, and an optional sequence
played first (``[500, 500, 500]`` then the status), to watch the platform's retry schedule.

>>> listener = WebhookListener()
>>> await listener.start(); listener.url
'http://127.0.0.1:40123'
>>> listener.set_reply("/dlr", status=200, sequence=[500, 500, 500])
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from console.http.pretty import parse_body
from console.redact import redact_headers, redact_query
from console.reports import DeliveryReport, reports_from_value

if TYPE_CHECKING:
    from console.http.exchange import HttpExchange

log = logging.getLogger(__name__)

PATHS = ("/dlr", "/intermediate", "/mo")
HitCallback = Callable[["WebhookHit"], Any]
_ids = itertools.count(1)
# MO parameters of the spec's URL template, in its order
MO_PARAMS = ("sender", "receiver", "text", "bin", "datetime", "messageid", "datacoding",
             "esmclass", "output")


@dataclass
class ReplyRule:
    """How a path answers: ``sequence`` statuses first (one per hit), then ``status``."""

    status: int = 200
    body: str = ""
    delay: float = 0.0  # seconds before answering
    content_type: str = "text/plain"
    sequence: list[int] = field(default_factory=list)
    _played: int = 0

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        """The reply body and headers; encoded once, again only after ``body`` or
        ``content_type`` changed (the same reply goes out for every hit)."""
        key = (self.body, self.content_type)
        cached = self.__dict__.get("_encoded")
        if cached is None or cached[0] != key:
            ctype = self.content_type
            if "charset=" not in ctype.lower():
                ctype += "; charset=utf-8"
            cached = (key, self.body.encode(), {"Content-Type": ctype})
            self.__dict__["_encoded"] = cached
        return cached[1], cached[2]

    def next_status(self) -> int:
        if self._played < len(self.sequence):
            self._played += 1
            return self.sequence[self._played - 1]
        return self.status

    def reset(self) -> None:
        self._played = 0


@dataclass
class WebhookHit:
    """One request received by the listener, and the reply it got."""

    time: float
    client: tuple[str, int]
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes
    kind: str = "other"  # "dlr", "intermediate", "mo" or "other"
    parsed: Any = None
    parse_error: str | None = None
    reports: list[DeliveryReport] = field(default_factory=list)
    mo: dict[str, str] | None = None  # the MO parameters (URL template or POST body)
    too_large: bool = False
    reply_status: int = 200
    reply_body: str = ""
    reply_delay: float = 0.0
    id: int = field(default_factory=lambda: next(_ids))

    @property
    def content_type(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "content-type"), None)

    def summary(self) -> str:
        if self.reports:
            what = f"{len(self.reports)} report(s): " + ", ".join(
                f"{r.message_id} {r.status_name}" for r in self.reports[:3])
        elif self.mo is not None:
            what = f"MO from {self.mo.get('sender', '?')}: {self.mo.get('text') or self.mo.get('bin', '')!r}"
        elif self.parse_error:
            what = f"unparsed: {self.parse_error}"
        else:
            what = f"{len(self.body)} bytes"
        return f"{self.method} {self.path} → {self.reply_status} | {what}"

    def to_dict(self, *, redact: bool = True) -> dict[str, Any]:
        """JSON-safe dict; credentials in headers and query masked unless ``redact=False``.

        The parsed body and its reports are not stored: :meth:`from_dict` derives them from
        the body again (the journal stores the reports as records of their own).
        """
        try:
            body = {"body": self.body.decode("utf-8")}
        except UnicodeDecodeError:
            body = {"body_hex": self.body.hex()}
        return {
            "id": self.id, "time": self.time, "client": list(self.client), "method": self.method,
            "path": self.path, "kind": self.kind,
            "query": [list(q) for q in (redact_query(self.query) if redact else self.query)],
            "headers": [list(h) for h in (redact_headers(self.headers) if redact else self.headers)],
            **body, "parse_error": self.parse_error, "report_count": len(self.reports),
            "mo": self.mo,
            "too_large": self.too_large, "reply_status": self.reply_status,
            "reply_body": self.reply_body, "reply_delay": self.reply_delay,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WebhookHit:
        body = bytes.fromhex(d["body_hex"]) if "body_hex" in d else str(d.get("body", "")).encode()
        client = d.get("client") or ["", 0]
        hit = cls(time=float(d["time"]), client=(str(client[0]), int(client[1])),
                  method=d["method"], path=d["path"], query=[tuple(q) for q in d.get("query", [])],
                  headers=[tuple(h) for h in d.get("headers", [])], body=body,
                  kind=d.get("kind", "other"), parse_error=d.get("parse_error"),
                  mo=d.get("mo"), too_large=bool(d.get("too_large")),
                  reply_status=int(d.get("reply_status", 0)), reply_body=d.get("reply_body", ""),
                  reply_delay=float(d.get("reply_delay", 0.0)), id=int(d.get("id") or next(_ids)))
        if body and not hit.too_large:
            hit.parsed, _ = parse_body(body, hit.content_type)
            if hit.kind in ("dlr", "intermediate", "other"):
                hit.reports = reports_from_value(
                    hit.parsed, "webhook", intermediate=True if hit.kind == "intermediate" else None,
                    received_at=hit.time)
        return hit


def kind_of_path(path: str) -> str:
    """"dlr", "intermediate", "mo" or "other" from the first path segment."""
    for p in PATHS:
        if path == p or path.startswith(p + "/"):
            return p[1:]
    return "other"


class WebhookListener:
    """An aiohttp server recording every hit; start() / stop(), ``url``, subscribers.

    ``journal`` (a :class:`console.journal.Journal`) gets every hit appended when given.
    Hits are kept in memory too (the last ``keep`` of them, in :attr:`hits`).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, max_body: int = 1_000_000,
                 journal: Any = None, keep: int = 10_000) -> None:
        self.host, self.port, self.max_body = host, port, max_body
        self.journal = journal
        self.hits: deque[WebhookHit] = deque(maxlen=keep)
        self.count = 0
        self.rules: dict[str, ReplyRule] = {}
        self.default_rule = ReplyRule()
        self._subscribers: list[HitCallback] = []
        self._runner: web.AppRunner | None = None
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:40123`` (append /dlr, /intermediate, /mo)."""
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> WebhookListener:
        """Bind and serve; ``port=0`` picks a free port (see :attr:`port`)."""
        if self._runner is not None:
            return self
        app = web.Application(client_max_size=self.max_body + 1)
        for path in PATHS:  # plain routes first: resolved without a regex
            app.router.add_route("*", path, self._handle)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()  # a taken port must not leave a half-started server behind
            raise
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]
        self._runner = runner
        return self

    async def stop(self) -> None:
        """Stop serving (recorded hits are kept)."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> WebhookListener:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ configuration

    def set_reply(self, path: str, status: int = 200, *, body: str = "", delay: float = 0.0,
                  content_type: str = "text/plain", sequence: Iterable[int] = ()) -> ReplyRule:
        """How ``path`` (e.g. "/dlr", or "*" for every path without a rule) answers."""
        rule = ReplyRule(status, body, delay, content_type, list(sequence))
        if path == "*":
            self.default_rule = rule
        else:
            self.rules["/" + path.strip("/")] = rule
        return rule

    def rule_for(self, path: str) -> ReplyRule:
        """The rule answering ``path``: the longest configured prefix, else the default."""
        best = None
        for p, rule in self.rules.items():
            if (path == p or path.startswith(p.rstrip("/") + "/")) and (
                    best is None or len(p) > len(best[0])):
                best = (p, rule)
        return best[1] if best else self.default_rule

    def subscribe(self, callback: HitCallback) -> Callable[[], None]:
        """Call ``callback(hit)`` for every hit; returns an unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[WebhookHit]:
        """Wait until at least ``count`` hits were received in total; returns the kept hits."""
        if self.count < count:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append((count, fut))
            await asyncio.wait_for(fut, timeout)
        return list(self.hits)

    def reports(self) -> list[DeliveryReport]:
        """Every delivery report carried by the kept hits, in arrival order."""
        return [r for h in self.hits for r in h.reports]

    # ------------------------------------------------------------------ serving

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        now = time.time()
        transport = request.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        client = (str(peer[0]), int(peer[1])) if peer else ("", 0)
        body, too_large = await self._read_body(request)
        path = request.path
        hit = WebhookHit(time=now, client=client, method=request.method, path=path,
                         query=list(request.query.items()) if request.query_string else [],
                         headers=list(request.headers.items()), body=body, kind=kind_of_path(path),
                         too_large=too_large)
        if too_large:
            hit.parse_error = f"body larger than the limit of {self.max_body} bytes (kept the first {len(body)})"
            hit.reply_status, hit.reply_body = 413, "request body too large"
            self._publish(hit)
            return web.Response(status=413, text=hit.reply_body, content_type="text/plain",
                                headers={"Connection": "close"})
        self._parse(hit, request.headers.get("Content-Type"))
        rule = self.rule_for(path)
        hit.reply_status, hit.reply_body, hit.reply_delay = rule.next_status(), rule.body, rule.delay
        self._publish(hit)
        if rule.delay > 0:
            await asyncio.sleep(rule.delay)
        reply, reply_headers = rule.encoded()
        return web.Response(body=reply, status=hit.reply_status, headers=reply_headers)

    async def _read_body(self, request: web.Request) -> tuple[bytes, bool]:
        """(body, too_large); never reads more than ``max_body`` + one chunk into memory."""
        declared = request.content_length
        if declared is not None and declared > self.max_body:
            return b"", True
        if declared is not None:  # the common case: one read of a known, allowed size
            return await request.read(), False
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.content.iter_chunked(65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_body:
                return b"".join(chunks)[: self.max_body], True
        return b"".join(chunks), False

    def _parse(self, hit: WebhookHit, content_type: str | None) -> None:
        if hit.body:
            hit.parsed, hit.parse_error = parse_body(hit.body, content_type)
        if hit.kind == "mo" or (hit.kind == "other" and _looks_like_mo(hit.query)):
            mo = _mo_params(hit.query, hit.parsed)
            if mo:
                hit.mo, hit.kind = mo, "mo"
            return
        inter = True if hit.kind == "intermediate" else None
        hit.reports = reports_from_value(hit.parsed, "webhook", intermediate=inter,
                                         received_at=hit.time)
        if hit.reports and hit.kind == "other":
            hit.kind = "dlr"

    def _publish(self, hit: WebhookHit) -> None:
        self.hits.append(hit)
        self.count += 1
        if self.journal is not None:
            try:
                self.journal.append(hit)
            except Exception:
                log.exception("journal append failed")
        if self._subscribers:
            for cb in list(self._subscribers):
                try:
                    cb(hit)
                except Exception:  # a faulty subscriber must not break the listener
                    log.exception("webhook subscriber failed")
        if not self._waiters:
            return
        still = []
        for count, fut in self._waiters:
            if self.count >= count and not fut.done():
                fut.set_result(None)
            elif not fut.done():
                still.append((count, fut))
        self._waiters = still

    # ------------------------------------------------------------------ replay

    async def replay(self, hit: WebhookHit, url: str, *, timeout: float = 10.0) -> HttpExchange:
        """Send ``hit`` again (method, headers, body; its query when ``url`` has none) to ``url``."""
        from console.http.client import HttpClient
        from console.http.exchange import HttpRequest

        skip = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding"}
        headers = [(k, v) for k, v in hit.headers if k.lower() not in skip]
        query = [] if "?" in url else list(hit.query)
        async with HttpClient(url, timeout=timeout) as client:
            return await client.send(HttpRequest(hit.method, url, query, headers, hit.body,
                                                 name=f"replay of hit {hit.id}"))


def _looks_like_mo(query: list[tuple[str, str]]) -> bool:
    keys = {k.lower() for k, _ in query}
    return "sender" in keys and ("text" in keys or "bin" in keys)


def _mo_params(query: list[tuple[str, str]], parsed: Any) -> dict[str, str]:
    """The MO fields from the URL template's query, else from a POSTed body."""
    out = {k.lower(): v for k, v in query if k.lower() in MO_PARAMS}
    if isinstance(parsed, dict):
        src = parsed
        results = parsed.get("results")
        if isinstance(results, list) and results and isinstance(results[0], dict):
            src = results[0]  # the inbox shape: {"results": [{from, to, text, …}]}
        aliases = {"from": "sender", "to": "receiver", "messageid": "messageid",
                   "receivedat": "datetime"}
        for k, v in src.items():
            key = aliases.get(k.lower(), k.lower())
            if key in MO_PARAMS or key in ("cleantext", "keyword", "smscount"):
                out.setdefault(key, "" if v is None else str(v))
    if "bin" in out and out["bin"] and not out.get("text"):
        try:  # %bin% is the hex of the message bytes: show the text too when it decodes
            out["bin_text"] = bytes.fromhex(out["bin"]).decode(
                "utf-16-be" if out.get("datacoding") == "8" else "latin-1")
        except (ValueError, UnicodeDecodeError):
            pass
    return out
