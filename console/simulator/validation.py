"""Request validation of the HTTP API v1: bodies and query strings → typed requests,
or :class:`RequestInvalid` carrying Infobip-shaped ``validationErrors``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from console.platform.codes import STATUS_GROUPS
from console.platform.core import SubmitRequest
from console.platform.text import LANGUAGE_CODES, TRANSLITERATIONS

NUMERIC_FROM = re.compile(r"^\+?[0-9]{3,14}$")
DESTINATION = re.compile(r"^\+?[0-9]{3,15}$")
CONTROL_CHARS = re.compile(r"[\x00-\x1f]")
NOTIFY_TYPES = ("application/json", "application/xml")
TRACK_VALUES = ("SMS", "URL")
MAX_SCHEDULE = timedelta(days=180)
MAX_LIMIT = 1000
DEFAULT_FROM = "InfoSMS"


class RequestInvalid(Exception):
    """A 4xx answer: Infobip ``serviceException`` with optional ``validationErrors``."""

    def __init__(self, text: str, errors: dict[str, list[str]] | None = None, *,
                 message_id: str = "BAD_REQUEST", status: int = 400) -> None:
        super().__init__(text)
        self.text, self.errors, self.message_id, self.status = text, errors or {}, message_id, status

    def body(self) -> dict[str, Any]:
        exc: dict[str, Any] = {"messageId": self.message_id, "text": self.text}
        if self.errors:
            exc["validationErrors"] = self.errors
        return {"requestError": {"serviceException": exc}}


class _Errors:
    def __init__(self) -> None:
        self.items: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.items.setdefault(path, []).append(message)

    def raise_if_any(self) -> None:
        if self.items:
            first = next(iter(self.items.items()))
            raise RequestInvalid(f"Bad request: {first[0]} {first[1][0]}", self.items)


# -- JSON -----------------------------------------------------------------------------
def parse_json(body: bytes) -> Any:
    """Decode a JSON body; a trailing comma (the spec's examples have them) is named as such."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestInvalid(f"Request body is not valid UTF-8 (byte {exc.start})",
                             {"body": ["must be UTF-8 encoded JSON"]}) from None
    if not text.strip():
        raise RequestInvalid("Request body is empty", {"body": ["may not be empty"]})
    try:
        return json.loads(text)
    except RecursionError:
        msg = "Invalid JSON: nested too deeply"
        raise RequestInvalid(msg, {"body": [msg]}) from None
    except json.JSONDecodeError as exc:
        before = text[: exc.pos].rstrip()
        after = text[exc.pos:].lstrip()[:1]
        if before.endswith(",") and after in ("}", "]"):
            comma_at = len(before) - 1
            line = text.count("\n", 0, comma_at) + 1
            col = comma_at - (text.rfind("\n", 0, comma_at) + 1) + 1
            msg = (f"Invalid JSON: trailing comma at line {line} column {col} before '{after}'. "
                   "JSON does not allow a comma after the last item (the examples in the "
                   "Infobip documentation have them); remove it.")
        else:
            msg = f"Invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise RequestInvalid(msg, {"body": [msg]}) from None


# -- scalar coercion (XML gives strings) ------------------------------------------------
def _str(v: Any, path: str, err: _Errors, *, required: bool = False, max_len: int | None = None) -> str | None:
    if v is None:
        if required:
            err.add(path, "may not be null")
        return None
    if not isinstance(v, str):
        err.add(path, "must be a string")
        return None
    s = v
    if max_len is not None and len(s) > max_len:
        err.add(path, f"size must be at most {max_len}")
    return s


def _bool(v: Any, path: str, err: _Errors) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    err.add(path, "must be a boolean (true or false)")
    return None


def _int(v: Any, path: str, err: _Errors) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool):
        err.add(path, "must be an integer")
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and re.fullmatch(r"\s*-?\d+\s*", v):
        return int(v)
    err.add(path, "must be an integer")
    return None


def parse_date(v: Any, path: str, err: _Errors) -> datetime | None:
    """The API's dates: ``2015-07-07T17:00:00.000+01:00`` (offset optional → UTC)."""
    if v is None:
        return None
    if not isinstance(v, str) or not v.strip():
        err.add(path, "must be a date like 2015-07-07T17:00:00.000+01:00")
        return None
    try:
        d = datetime.fromisoformat(v.strip())
    except ValueError:
        err.add(path, f"invalid date {v!r}: use yyyy-MM-dd'T'HH:mm:ss.SSSXXX, e.g. 2015-07-07T17:00:00.000+01:00")
        return None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _from(v: Any, path: str, err: _Errors) -> str:
    s = _str(v, path, err)
    if s is None:
        return DEFAULT_FROM
    if s.lstrip("+").isdigit():
        if not NUMERIC_FROM.match(s):
            err.add(path, "numeric sender must be 3 to 14 digits")
    elif not 3 <= len(s) <= 11:
        err.add(path, "alphanumeric sender must be 3 to 11 characters")
    elif CONTROL_CHARS.search(s):
        err.add(path, "sender contains control characters")
    return s


def _to(v: Any, path: str, err: _Errors) -> str | None:
    s = _str(v, path, err, required=True)
    if s is None:
        return None
    if not DESTINATION.match(s.strip()):
        err.add(path, "invalid destination address: use the international format, 3 to 15 digits (e.g. 41793026727)")
        return None
    return s.strip()


def _to_list(v: Any, path: str, err: _Errors) -> list[str]:
    if v is None:
        err.add(path, "may not be null")
        return []
    items = v if isinstance(v, list) else [v]
    if not items:
        err.add(path, "may not be empty")
    out = []
    for i, item in enumerate(items):
        t = _to(item, f"{path}[{i}]" if isinstance(v, list) else path, err)
        if t is not None:
            out.append(t)
    return out


def _object(v: Any, path: str, err: _Errors) -> dict[str, Any]:
    if v is None:
        return {}
    if not isinstance(v, dict):
        err.add(path, "must be an object")
        return {}
    return v


def _root(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RequestInvalid("Request body must be an object", {"body": ["must be a JSON object"]})
    return body


# -- send requests ------------------------------------------------------------------------
@dataclass
class SendBatch:
    """A validated send request: the submissions and the bulk id (when there is one)."""

    bulk_id: str | None
    items: list[SubmitRequest] = field(default_factory=list)


def single(body: Any) -> SendBatch:
    """POST /sms/1/text/single: from, to (string or array), text."""
    body, err = _root(body), _Errors()
    sender = _from(body.get("from"), "from", err)
    tos = _to_list(body.get("to"), "to", err)
    text = _str(body.get("text"), "text", err, required=True)
    err.raise_if_any()
    return SendBatch(None, [SubmitRequest(to=t, text=text or "", from_=sender) for t in tos])


def multi(body: Any) -> SendBatch:
    """POST /sms/1/text/multi: messages[] of {from, to, text}."""
    body, err = _root(body), _Errors()
    messages = _messages(body, err)
    items: list[SubmitRequest] = []
    for i, m in enumerate(messages):
        p = f"messages[{i}]"
        m = _object(m, p, err)
        sender = _from(m.get("from"), f"{p}.from", err)
        tos = _to_list(m.get("to"), f"{p}.to", err)
        text = _str(m.get("text"), f"{p}.text", err, required=True)
        items += [SubmitRequest(to=t, text=text or "", from_=sender) for t in tos]
    bulk = _str(body.get("bulkId"), "bulkId", err, max_len=100)
    err.raise_if_any()
    return SendBatch(bulk, items)


def _messages(body: dict[str, Any], err: _Errors) -> list[Any]:
    messages = body.get("messages")
    if messages is None:
        err.add("messages", "may not be null")
        return []
    if isinstance(messages, dict):  # one <message> in XML
        messages = [messages]
    if not isinstance(messages, list):
        err.add("messages", "must be an array")
        return []
    if not messages:
        err.add("messages", "may not be empty")
    return messages


def advanced(body: Any, now: datetime) -> SendBatch:
    """POST /sms/1/text/advanced with every field of the spec."""
    body, err = _root(body), _Errors()
    bulk = _str(body.get("bulkId"), "bulkId", err, max_len=100)
    tracking = _tracking(body.get("tracking"), err)
    items: list[SubmitRequest] = []
    for i, m in enumerate(_messages(body, err)):
        items += _advanced_message(_object(m, f"messages[{i}]", err), f"messages[{i}]", err, now, tracking)
    err.raise_if_any()
    return SendBatch(bulk, items)


def _tracking(v: Any, err: _Errors) -> dict[str, Any] | None:
    if v is None:
        return None
    t = _object(v, "tracking", err)
    track = _str(t.get("track"), "tracking.track", err)
    if track is not None and track.upper() not in TRACK_VALUES:
        err.add("tracking.track", f"must be one of {', '.join(TRACK_VALUES)}")
    out = {"track": track.upper() if track else None,
           "type": _str(t.get("type"), "tracking.type", err, max_len=50),
           "processKey": _str(t.get("processKey"), "tracking.processKey", err, max_len=100)}
    return {k: v for k, v in out.items() if v is not None}


def _advanced_message(m: dict[str, Any], p: str, err: _Errors, now: datetime,
                      tracking: dict[str, Any] | None) -> list[SubmitRequest]:
    sender = _from(m.get("from"), f"{p}.from", err)
    text = _str(m.get("text"), f"{p}.text", err, required=True)
    flash = _bool(m.get("flash"), f"{p}.flash", err) or False
    translit = _str(m.get("transliteration"), f"{p}.transliteration", err)
    if translit is not None and translit.upper() not in TRANSLITERATIONS:
        err.add(f"{p}.transliteration", f"must be one of {', '.join(TRANSLITERATIONS)}")
    language = None
    if m.get("language") is not None:
        lang = _object(m.get("language"), f"{p}.language", err)
        code = _str(lang.get("languageCode"), f"{p}.language.languageCode", err)
        if code is not None and code.upper() not in LANGUAGE_CODES:
            err.add(f"{p}.language.languageCode", f"must be one of {', '.join(LANGUAGE_CODES)}")
        single_shift = _bool(lang.get("singleShift"), f"{p}.language.singleShift", err) or False
        locking = _bool(lang.get("lockingShift"), f"{p}.language.lockingShift", err) or False
        if locking and code and code.upper() == "ES":
            err.add(f"{p}.language.lockingShift", "Spanish has no locking shift table")
        language = {"languageCode": code.upper() if code else None,
                    "singleShift": single_shift, "lockingShift": locking}
    inter = _bool(m.get("intermediateReport"), f"{p}.intermediateReport", err) or False
    notify = _str(m.get("notifyUrl"), f"{p}.notifyUrl", err, max_len=2048)
    if notify is not None and not re.match(r"^https?://[^\s/]+", notify):
        err.add(f"{p}.notifyUrl", "must be an http:// or https:// URL")
    ctype = _str(m.get("notifyContentType"), f"{p}.notifyContentType", err) or "application/json"
    if ctype not in NOTIFY_TYPES:
        err.add(f"{p}.notifyContentType", "must be application/json or application/xml")
    callback = _str(m.get("callbackData"), f"{p}.callbackData", err, max_len=4000)
    validity = _int(m.get("validityPeriod"), f"{p}.validityPeriod", err)
    if validity is not None and validity < 1:
        err.add(f"{p}.validityPeriod", "must be at least 1 minute")
    elif validity is not None:
        validity = min(validity, 48 * 60)  # the spec: longer than 48 h is set to 48 h
    send_at = parse_date(m.get("sendAt"), f"{p}.sendAt", err)
    if send_at is not None and send_at - now > MAX_SCHEDULE:
        err.add(f"{p}.sendAt", "can not be more than 180 days in the future")
    dests = m.get("destinations")
    if isinstance(dests, dict):
        dests = [dests]
    if dests is None:
        err.add(f"{p}.destinations", "may not be null")
        return []
    if not isinstance(dests, list):
        err.add(f"{p}.destinations", "must be an array")
        return []
    if not dests:
        err.add(f"{p}.destinations", "may not be empty")
        return []
    out = []
    for j, d in enumerate(dests):
        dp = f"{p}.destinations[{j}]"
        d = _object(d, dp, err)
        to = _to(d.get("to"), f"{dp}.to", err)
        mid = _str(d.get("messageId"), f"{dp}.messageId", err, max_len=200)
        if to is None:
            continue
        out.append(SubmitRequest(
            to=to, text=text or "", from_=sender, message_id=mid or None, flash=flash,
            transliteration=translit.upper() if translit else None, language=language,
            validity_minutes=validity, send_at=send_at, intermediate_report=inter,
            notify_url=notify, notify_content_type=ctype, callback_data=callback,
            tracking=tracking,
        ))
    return out


def number_query(body: Any) -> list[str]:
    """POST /number/1/query: ``{"to": [...]}``."""
    body, err = _root(body), _Errors()
    tos = _to_list(body.get("to"), "to", err)
    err.raise_if_any()
    return tos


# -- query strings ----------------------------------------------------------------------------
def limit(query: Any, default: int = 50) -> int:
    err = _Errors()
    raw = query.get("limit")
    value = _int(raw, "limit", err) if raw not in (None, "") else default
    if value is not None and not 1 <= value <= MAX_LIMIT:
        err.add("limit", f"must be between 1 and {MAX_LIMIT}")
    err.raise_if_any()
    return int(value or default)


def multi_value(query: Any, name: str) -> list[str] | None:
    """A String[] filter: repeated parameters and/or comma-separated values."""
    values = [v for raw in query.getall(name, []) for v in raw.split(",") if v.strip()]
    return [v.strip() for v in values] or None


def logs_filters(query: Any) -> dict[str, Any]:
    """GET /sms/1/logs filters."""
    err = _Errors()
    status = query.get("generalStatus")
    if status is not None and status.upper() not in STATUS_GROUPS:
        err.add("generalStatus", f"must be one of {', '.join(STATUS_GROUPS)}")
    since = parse_date(query.get("sentSince"), "sentSince", err)
    until = parse_date(query.get("sentUntil"), "sentUntil", err)
    lim = None
    try:
        lim = limit(query)
    except RequestInvalid as exc:
        for k, v in exc.errors.items():
            for msg in v:
                err.add(k, msg)
    err.raise_if_any()
    return {
        "from_": query.get("from"), "to": query.get("to"),
        "bulk_ids": multi_value(query, "bulkId"), "message_ids": multi_value(query, "messageId"),
        "general_status": status.upper() if status else None, "sent_since": since,
        "sent_until": until, "mcc": query.get("mcc"), "mnc": query.get("mnc"), "limit": lim or 50,
    }
