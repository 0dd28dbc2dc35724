"""The HTTP API v1 door of the simulated platform (aiohttp): ``make_app(platform)``.

Endpoints as the spec: POST /sms/1/text/single|multi|advanced, GET /sms/1/reports,
/sms/1/logs, /sms/1/inbox/reports, POST /number/1/query. Basic auth, JSON or XML by
Content-Type/Accept, Infobip-shaped 4xx for everything malformed, and the door's fault
injection (:mod:`console.simulator.http_faults`).

Each route's handler is wrapped once, at startup, by :func:`_endpoint` (faults, auth, errors)
instead of running an aiohttp middleware on every request; paths without a route reach a
catch-all that answers the Infobip 404/405.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from console import xmlsafe
from console.errors import EncodingError
from console.platform import codes, text
from console.platform.accounts import Account
from console.platform.core import STATUS_ACCEPTED, Platform
from console.platform.store import Message
from console.simulator import validation
from console.simulator.http_faults import DROP, ERROR, ERROR_STATUSES, PASS, HttpFaults
from console.simulator.validation import RequestInvalid

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024
PLATFORM_KEY = web.AppKey("platform", Platform)
MAX_BODY_KEY = web.AppKey("max_body", int)
FAULTS_KEY = web.AppKey("http_faults", HttpFaults)
JSON, XML = "application/json", "application/xml"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: a route's own work, once the door let the request in: (request, platform, account)
Endpoint = Callable[[web.Request, Platform, Account], Awaitable[web.Response]]
ROOTS = {"send": "smsResponse", "reports": "reportResponse", "logs": "logsResponse",
         "inbox": "moReportResponse", "number": "numberContextResponse"}
# one encoder for every answer: json.dumps(..., ensure_ascii=False) builds a new one per call
_encode_json = json.JSONEncoder(ensure_ascii=False).encode


# -- content negotiation ------------------------------------------------------------------------
def _is_xml(value: str) -> bool:
    return "/xml" in value or "+xml" in value


def _negotiate(accept: str, content_type: str) -> str:
    accept = accept.lower()
    if accept:
        first = [p.split(";")[0].strip() for p in accept.split(",")]
        for kind in first:
            if kind in ("application/json", "text/json") or kind.endswith("+json"):
                return JSON
            if _is_xml(kind):
                return XML
    return XML if _is_xml(content_type.lower()) else JSON


# a client sends the same Accept/Content-Type pair on every request: decide it once
_NEGOTIATED: dict[tuple[str, str], str] = {}


def response_type(request: web.Request) -> str:
    """Accept decides; without a usable Accept, the request's own content type."""
    headers = request.headers
    key = (headers.get("Accept", ""), headers.get("Content-Type", ""))
    kind = _NEGOTIATED.get(key)
    if kind is None:
        kind = _negotiate(*key)
        if len(_NEGOTIATED) >= 256:  # header values are the client's: keep the cache small
            _NEGOTIATED.clear()
        _NEGOTIATED[key] = kind
    return kind


_JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
_XML_HEADERS = {"Content-Type": "application/xml; charset=utf-8"}


def render(request: web.Request, root: str, payload: dict[str, Any], status: int = 200) -> web.Response:
    if response_type(request) == XML:
        return web.Response(body=xmlsafe.dumps(root, payload), status=status, headers=_XML_HEADERS)
    return web.Response(body=_encode_json(payload).encode(), status=status, headers=_JSON_HEADERS)


def render_error(request: web.Request, exc: RequestInvalid) -> web.Response:
    body = exc.body()
    if response_type(request) == XML:
        inner = dict(body["requestError"]["serviceException"])
        if "validationErrors" in inner:  # field paths are no XML names: list them instead
            inner["validationErrors"] = [{"field": k, "messages": v} for k, v in inner["validationErrors"].items()]
        x = xmlsafe.dumps("requestError", {"serviceException": inner})
        return web.Response(body=x, status=exc.status, headers=_XML_HEADERS)
    return web.Response(body=_encode_json(body).encode(), status=exc.status, headers=_JSON_HEADERS)


async def read_body(request: web.Request) -> Any:
    """The parsed body by Content-Type (JSON or XML), or RequestInvalid."""
    ctype = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not ctype:
        raise RequestInvalid("Missing Content-Type header: use application/json or application/xml",
                             {"Content-Type": ["may not be empty"]})
    if ctype not in (JSON, "text/json") and not _is_xml(ctype):
        raise RequestInvalid(f"Unsupported Content-Type {ctype!r}: use application/json or application/xml",
                             {"Content-Type": ["must be application/json or application/xml"]})
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _too_large(request) from None
    if _is_xml(ctype):
        if not raw.strip():
            raise RequestInvalid("Request body is empty", {"body": ["may not be empty"]})
        try:
            _, value = xmlsafe.loads(raw)
        except xmlsafe.XmlError as exc:
            raise RequestInvalid(str(exc), {"body": [str(exc)]}) from None
        return value
    return validation.parse_json(raw)


def _too_large(request: web.Request) -> RequestInvalid:
    limit = request.app.get(MAX_BODY_KEY, MAX_BODY)
    return RequestInvalid(f"Request body too large: the limit is {limit} bytes",
                          {"body": [f"size must be at most {limit} bytes"]},
                          message_id="REQUEST_ENTITY_TOO_LARGE", status=413)


# -- auth ----------------------------------------------------------------------------------------------
UNAUTHORIZED = RequestInvalid("Invalid login details", message_id="UNAUTHORIZED", status=401)


_AUTH_CACHE: dict[tuple[int, str], tuple[Account, str]] = {}


def authenticate(platform: Platform, header: str) -> Account | None:
    """The account of a ``Basic base64(user:password)`` header."""
    key = (id(platform), header)
    hit = _AUTH_CACHE.get(key)
    # a client repeats its header on every request; a password change invalidates the hit
    if hit is not None and hit[0].enabled and hit[0].password == hit[1] \
            and platform.accounts.get(hit[0].username) is hit[0]:
        return hit[0]
    acct = _authenticate(platform, header)
    if acct is not None:
        if len(_AUTH_CACHE) > 1000:
            _AUTH_CACHE.clear()
        _AUTH_CACHE[key] = (acct, acct.password)
    return acct


def _authenticate(platform: Platform, header: str) -> Account | None:
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    return platform.authenticate(user, password, door="http")


# -- the door: faults, auth, errors ----------------------------------------------------------------
def _endpoint(platform: Platform, faults: HttpFaults, fn: Endpoint | None, *,
              routed: dict[str, set[str]] | None = None) -> Handler:
    """``fn`` behind the door: faults, Basic auth, every failure as an Infobip body (401, 400,
    413, 500 — no tracebacks). Without ``fn`` it is the catch-all: the Infobip 405 for a path
    in ``routed`` (path → methods), else 404, before asking for credentials."""

    async def endpoint(request: web.Request, faults_drawn: bool = False) -> web.StreamResponse:
        if faults.active and not faults_drawn:
            return await _faulty(request, faults, lambda: endpoint(request, True))
        try:
            if fn is None:
                raise _no_route(request, routed or {})
            account = authenticate(platform, request.headers.get("Authorization", ""))
            if account is None:
                raise UNAUTHORIZED
            return await fn(request, platform, account)
        except RequestInvalid as exc:
            return render_error(request, exc)
        except web.HTTPRequestEntityTooLarge:
            return render_error(request, _too_large(request))
        except web.HTTPException as exc:
            return render_error(request, RequestInvalid(exc.reason or "Error", message_id="BAD_REQUEST",
                                                        status=exc.status if exc.status >= 400 else 400))
        except Exception:  # a bug of ours: say so, without a traceback on the wire
            log.exception("simulator HTTP handler failed on %s %s", request.method, request.path)
            return render_error(request, RequestInvalid("Internal error in the simulator (logged)",
                                                        message_id="GENERAL_ERROR", status=500))

    return endpoint


def _no_route(request: web.Request, routed: dict[str, set[str]]) -> RequestInvalid:
    allowed = routed.get(request.path)
    if allowed:
        return RequestInvalid(
            f"Method {request.method} is not allowed on {request.path}; use {', '.join(sorted(allowed))}",
            message_id="METHOD_NOT_ALLOWED", status=405)
    return RequestInvalid(f"Unknown endpoint {request.method} {request.path}",
                          message_id="NOT_FOUND", status=404)


async def _faulty(request: web.Request, faults: HttpFaults,
                  answer: Callable[[], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """The request's injected fate: dropped, failed with an Infobip 5xx, or answered — late
    by the configured latency in every case."""
    outcome, cfg = faults.draw()
    response = await answer() if outcome == PASS else None
    if cfg.latency_ms > 0:
        await asyncio.sleep(cfg.latency_ms / 1000)
    if outcome == DROP:
        if request.transport is not None:
            request.transport.abort()
        # aiohttp finds the connection gone when it writes this, and ends it quietly
        return web.Response(status=500)
    if outcome == ERROR:
        return render_error(request, RequestInvalid(
            f"Simulated fault: HTTP {cfg.error_status} injected by the simulator",
            message_id=ERROR_STATUSES[cfg.error_status], status=cfg.error_status))
    assert response is not None
    return response


# -- handlers ------------------------------------------------------------------------------------------
@functools.cache
def _accepted() -> dict[str, Any]:
    # one object for every answer: it is only ever serialised
    return codes.status(STATUS_ACCEPTED)


def _send_entry(msg: Message) -> dict[str, Any]:
    status = msg.status
    if not msg.rejected and status.get("id") != 26:
        status = _accepted()  # the spec's send examples answer MESSAGE_ACCEPTED
    return {"to": msg.to, "status": status, "smsCount": msg.sms_count, "messageId": msg.message_id}


def _text_refused(exc: EncodingError) -> RequestInvalid:
    return RequestInvalid(f"Bad request: text {exc}", {"text": [str(exc)]})


async def _send(request: web.Request, platform: Platform, account: Account,
                parse: Callable[[Any], validation.SendBatch]) -> web.Response:
    batch = parse(await read_body(request))
    items = batch.items
    bulk = batch.bulk_id or (platform.new_id() if len(items) > 1 else None)
    out: dict[str, Any] = {}
    if bulk:
        out["bulkId"] = bulk
    if len(items) == 1:  # submit measures the text before it changes anything
        item = items[0]
        item.bulk_id, item.door = bulk, "http"
        try:
            entries = [_send_entry(platform.submit(account, item))]
        except EncodingError as exc:  # e.g. a text that would need more than 255 parts
            raise _text_refused(exc) from None
    else:
        for item in items:  # measure every text first: refuse the request whole, not half-sent
            try:
                text.measure(text.transliterate(item.text, item.transliteration), item.language)
            except EncodingError as exc:
                raise _text_refused(exc) from None
        entries = []
        for item in items:
            item.bulk_id, item.door = bulk, "http"
            entries.append(_send_entry(platform.submit(account, item)))
    out["messages"] = entries
    return render(request, ROOTS["send"], out)


async def text_single(request: web.Request, platform: Platform, account: Account) -> web.Response:
    return await _send(request, platform, account, validation.single)


async def text_multi(request: web.Request, platform: Platform, account: Account) -> web.Response:
    return await _send(request, platform, account, validation.multi)


async def text_advanced(request: web.Request, platform: Platform, account: Account) -> web.Response:
    now = platform.clock.now()
    return await _send(request, platform, account, lambda body: validation.advanced(body, now))


async def reports(request: web.Request, platform: Platform, account: Account) -> web.Response:
    q = request.query
    results = platform.store.take_reports(
        account.username, bulk_id=q.get("bulkId") or None,
        message_id=q.get("messageId") or None, limit=validation.limit(q))
    return render(request, ROOTS["reports"], {"results": results})


async def logs(request: web.Request, platform: Platform, account: Account) -> web.Response:
    filters = validation.logs_filters(request.query)
    found = platform.store.logs(account.username, platform.clock.now(), **filters)
    return render(request, ROOTS["logs"], {"results": [m.log() for m in found]})


async def inbox(request: web.Request, platform: Platform, account: Account) -> web.Response:
    taken = platform.store.take_inbox(account.username, validation.limit(request.query))
    return render(request, ROOTS["inbox"], {"results": [m.result() for m in taken]})


async def number_query(request: web.Request, platform: Platform, account: Account) -> web.Response:
    tos = validation.number_query(await read_body(request))
    return render(request, ROOTS["number"], {"results": [platform.number_lookup(t) for t in tos]})


ROUTES: tuple[tuple[str, str, Endpoint], ...] = (
    ("POST", "/sms/1/text/single", text_single),
    ("POST", "/sms/1/text/multi", text_multi),
    ("POST", "/sms/1/text/advanced", text_advanced),
    ("GET", "/sms/1/reports", reports),
    ("GET", "/sms/1/logs", logs),
    ("GET", "/sms/1/inbox/reports", inbox),
    ("POST", "/number/1/query", number_query),
)


def make_app(platform: Platform, *, max_body: int = MAX_BODY,
             faults: HttpFaults | None = None) -> web.Application:
    """The aiohttp application of the HTTP API v1 over ``platform`` (with ``faults``, the
    door's fault injection; a new, inactive one when not given)."""
    faults = faults if faults is not None else HttpFaults()
    app = web.Application(client_max_size=max_body)
    app[PLATFORM_KEY] = platform
    app[MAX_BODY_KEY] = max_body
    app[FAULTS_KEY] = faults
    routed: dict[str, set[str]] = {}
    for method, path, fn in ROUTES:
        # add_get also answers HEAD, as aiohttp's router lists it in a 405's allowed methods
        routed.setdefault(path, set()).update(("GET", "HEAD") if method == "GET" else (method,))
        handler = _endpoint(platform, faults, fn)
        app.router.add_route(method, path, handler)
        if method == "GET":
            app.router.add_route("HEAD", path, handler)
    app.router.add_route("*", "/{tail:.*}", _endpoint(platform, faults, None, routed=routed))
    return app
