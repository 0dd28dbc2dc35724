"""The HTTP API v1 door of the simulated platform (aiohttp): ``make_app(platform)``.

Endpoints as the spec: POST /sms/1/text/single|multi|advanced, GET /sms/1/reports,
/sms/1/logs, /sms/1/inbox/reports, POST /number/1/query. Basic auth, JSON or XML by
Content-Type/Accept, Infobip-shaped 4xx for everything malformed.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from console.errors import EncodingError
from console.platform import codes, text
from console.platform.accounts import Account
from console.platform.core import STATUS_ACCEPTED, Platform
from console.platform.store import Message
from console.simulator import validation, xmlcodec
from console.simulator.validation import RequestInvalid

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024
PLATFORM_KEY = web.AppKey("platform", Platform)
MAX_BODY_KEY = web.AppKey("max_body", int)
ACCOUNT_KEY = web.RequestKey("account", Account)
JSON, XML = "application/json", "application/xml"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ROOTS = {"send": "smsResponse", "reports": "reportResponse", "logs": "logsResponse",
         "inbox": "moReportResponse", "number": "numberContextResponse"}


# -- content negotiation ------------------------------------------------------------------------
def _is_xml(value: str) -> bool:
    return "/xml" in value or "+xml" in value


def response_type(request: web.Request) -> str:
    """Accept decides; without a usable Accept, the request's own content type."""
    accept = request.headers.get("Accept", "").lower()
    if accept:
        first = [p.split(";")[0].strip() for p in accept.split(",")]
        for kind in first:
            if kind in ("application/json", "text/json") or kind.endswith("+json"):
                return JSON
            if _is_xml(kind):
                return XML
    return XML if _is_xml(request.headers.get("Content-Type", "").lower()) else JSON


_JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
_XML_HEADERS = {"Content-Type": "application/xml; charset=utf-8"}


def render(request: web.Request, root: str, payload: dict[str, Any], status: int = 200) -> web.Response:
    if response_type(request) == XML:
        return web.Response(body=xmlcodec.dumps(root, payload), status=status, headers=_XML_HEADERS)
    return web.Response(body=json.dumps(payload, ensure_ascii=False).encode(), status=status,
                        headers=_JSON_HEADERS)


def render_error(request: web.Request, exc: RequestInvalid) -> web.Response:
    body = exc.body()
    if response_type(request) == XML:
        inner = dict(body["requestError"]["serviceException"])
        if "validationErrors" in inner:  # field paths are no XML names: list them instead
            inner["validationErrors"] = [{"field": k, "messages": v} for k, v in inner["validationErrors"].items()]
        x = xmlcodec.dumps("requestError", {"serviceException": inner})
        return web.Response(body=x, status=exc.status, content_type=XML, charset="utf-8")
    return web.Response(body=json.dumps(body, ensure_ascii=False).encode(), status=exc.status,
                        content_type=JSON, charset="utf-8")


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
            _, value = xmlcodec.loads(raw)
        except xmlcodec.XmlError as exc:
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


@web.middleware
async def infobip_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as an Infobip body: 401, 400, 404, 405, 413 — no tracebacks."""
    try:
        route_error = request.match_info.http_exception
        if route_error is not None:
            raise route_error
        account = authenticate(request.app[PLATFORM_KEY], request.headers.get("Authorization", ""))
        if account is None:
            raise UNAUTHORIZED
        request[ACCOUNT_KEY] = account
        return await handler(request)
    except RequestInvalid as exc:
        return render_error(request, exc)
    except web.HTTPRequestEntityTooLarge:
        return render_error(request, _too_large(request))
    except web.HTTPMethodNotAllowed as exc:
        return render_error(request, RequestInvalid(
            f"Method {request.method} is not allowed on {request.path}; use {', '.join(sorted(exc.allowed_methods))}",
            message_id="METHOD_NOT_ALLOWED", status=405))
    except web.HTTPNotFound:
        return render_error(request, RequestInvalid(
            f"Unknown endpoint {request.method} {request.path}", message_id="NOT_FOUND", status=404))
    except web.HTTPException as exc:
        return render_error(request, RequestInvalid(exc.reason or "Error", message_id="BAD_REQUEST",
                                                    status=exc.status if exc.status >= 400 else 400))
    except Exception:  # a bug of ours: say so, without a traceback on the wire
        log.exception("simulator HTTP handler failed on %s %s", request.method, request.path)
        return render_error(request, RequestInvalid("Internal error in the simulator (logged)",
                                                    message_id="GENERAL_ERROR", status=500))


# -- handlers ------------------------------------------------------------------------------------------
def _send_entry(msg: Message) -> dict[str, Any]:
    status = msg.status
    if not msg.rejected and status.get("id") != 26:
        status = codes.status(STATUS_ACCEPTED)  # the spec's send examples answer MESSAGE_ACCEPTED
    return {"to": msg.to, "status": status, "smsCount": msg.sms_count, "messageId": msg.message_id}


async def _send(request: web.Request, parse: Callable[[Any], validation.SendBatch]) -> web.Response:
    platform: Platform = request.app[PLATFORM_KEY]
    body = await read_body(request)
    batch = parse(body)
    bulk = batch.bulk_id or (platform.new_id() if len(batch.items) > 1 else None)
    out: dict[str, Any] = {}
    if bulk:
        out["bulkId"] = bulk
    entries = []
    for item in batch.items:  # measure every text first: refuse the request whole, not half-sent
        try:
            text.measure(text.transliterate(item.text, item.transliteration), item.language)
        except EncodingError as exc:  # e.g. a text that would need more than 255 parts
            raise RequestInvalid(f"Bad request: text {exc}", {"text": [str(exc)]}) from None
    for item in batch.items:
        item.bulk_id, item.door = bulk, "http"
        entries.append(_send_entry(platform.submit(request[ACCOUNT_KEY], item)))
    out["messages"] = entries
    return render(request, ROOTS["send"], out)


async def text_single(request: web.Request) -> web.Response:
    return await _send(request, validation.single)


async def text_multi(request: web.Request) -> web.Response:
    return await _send(request, validation.multi)


async def text_advanced(request: web.Request) -> web.Response:
    now = request.app[PLATFORM_KEY].clock.now()
    return await _send(request, lambda body: validation.advanced(body, now))


async def reports(request: web.Request) -> web.Response:
    platform: Platform = request.app[PLATFORM_KEY]
    q = request.query
    results = platform.store.take_reports(
        request[ACCOUNT_KEY].username, bulk_id=q.get("bulkId") or None,
        message_id=q.get("messageId") or None, limit=validation.limit(q))
    return render(request, ROOTS["reports"], {"results": results})


async def logs(request: web.Request) -> web.Response:
    platform: Platform = request.app[PLATFORM_KEY]
    filters = validation.logs_filters(request.query)
    found = platform.store.logs(request[ACCOUNT_KEY].username, platform.clock.now(), **filters)
    return render(request, ROOTS["logs"], {"results": [m.log() for m in found]})


async def inbox(request: web.Request) -> web.Response:
    platform: Platform = request.app[PLATFORM_KEY]
    taken = platform.store.take_inbox(request[ACCOUNT_KEY].username, validation.limit(request.query))
    return render(request, ROOTS["inbox"], {"results": [m.result() for m in taken]})


async def number_query(request: web.Request) -> web.Response:
    platform: Platform = request.app[PLATFORM_KEY]
    tos = validation.number_query(await read_body(request))
    return render(request, ROOTS["number"], {"results": [platform.number_lookup(t) for t in tos]})


def make_app(platform: Platform, *, max_body: int = MAX_BODY) -> web.Application:
    """The aiohttp application of the HTTP API v1 over ``platform``."""
    app = web.Application(middlewares=[infobip_errors], client_max_size=max_body)
    app[PLATFORM_KEY] = platform
    app[MAX_BODY_KEY] = max_body
    app.router.add_post("/sms/1/text/single", text_single)
    app.router.add_post("/sms/1/text/multi", text_multi)
    app.router.add_post("/sms/1/text/advanced", text_advanced)
    app.router.add_get("/sms/1/reports", reports)
    app.router.add_get("/sms/1/logs", logs)
    app.router.add_get("/sms/1/inbox/reports", inbox)
    app.router.add_post("/number/1/query", number_query)
    return app
