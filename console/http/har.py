"""HAR 1.2 export of HTTP exchanges (http://www.softwareishard.com/blog/har-12-spec/).

Browser devtools (Chrome, Firefox) import the files. Credentials are masked unless
``reveal_secrets=True``. :func:`validate_har` checks a document against the HAR 1.2 structure
(required fields and their types) and returns the problems found.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from console.http.exchange import HttpExchange
from console.redact import redact_headers, redact_query, redact_url

CREATOR = {"name": "Infobip Test Console", "version": "0.1.0"}


def _ms(v: float | None) -> float:
    return round(v * 1000, 3) if v is not None else -1


def _iso(t: float) -> str:
    dt = datetime.fromtimestamp(t, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _headers(headers: list[tuple[str, str]], reveal: bool) -> list[dict[str, str]]:
    hs = headers if reveal else redact_headers(headers)
    return [{"name": k, "value": v} for k, v in hs]


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _content(body: bytes, mime: str) -> dict[str, Any]:
    try:
        return {"size": len(body), "mimeType": mime, "text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"size": len(body), "mimeType": mime,
                "text": base64.b64encode(body).decode("ascii"), "encoding": "base64"}


def entry(ex: HttpExchange, *, reveal_secrets: bool = False) -> dict[str, Any]:
    """One HAR entry for ``ex``."""
    req = ex.request
    url = req.url if reveal_secrets else redact_url(req.url)
    query = parse_qsl(urlsplit(req.url).query, keep_blank_values=True)
    if not reveal_secrets:
        query = redact_query(query)
    t = ex.timings
    # HAR: "connect" includes "ssl"; "time" is the sum of the non -1 phases except ssl
    connect = None if t.connect is None else t.connect + (t.tls or 0.0)
    timings = {"blocked": -1, "dns": -1, "connect": _ms(connect), "send": _ms(t.send or 0.0),
               "wait": _ms(t.wait or 0.0), "receive": _ms(t.receive or 0.0), "ssl": _ms(t.tls)}
    total = sum(v for k, v in timings.items() if k != "ssl" and v > 0)
    request: dict[str, Any] = {
        "method": req.method, "url": url, "httpVersion": req.http_version, "cookies": [],
        "headers": _headers(req.headers, reveal_secrets),
        "queryString": [{"name": k, "value": v} for k, v in query],
        "headersSize": -1, "bodySize": len(req.body),
    }
    if req.body:
        request["postData"] = {"mimeType": _header(req.headers, "content-type") or "",
                               "params": [], "text": req.body.decode("utf-8", "replace")}
    resp = ex.response
    if resp is not None:
        mime = resp.content_type or ""
        response: dict[str, Any] = {
            "status": resp.status, "statusText": resp.reason, "httpVersion": resp.http_version,
            "cookies": [], "headers": _headers(resp.headers, reveal_secrets),
            "content": _content(resp.body, mime), "redirectURL": resp.header("location") or "",
            "headersSize": -1, "bodySize": len(resp.body),
        }
    else:  # what browsers write for a failed request
        response = {"status": 0, "statusText": "", "httpVersion": "", "cookies": [],
                    "headers": [], "content": {"size": 0, "mimeType": ""}, "redirectURL": "",
                    "headersSize": -1, "bodySize": -1, "_error": ex.error or ""}
    out: dict[str, Any] = {
        "startedDateTime": _iso(ex.started), "time": round(total, 3), "request": request,
        "response": response, "cache": {}, "timings": timings,
    }
    if ex.server:
        out["serverIPAddress"] = ex.server[0]
        out["connection"] = str(ex.server[1])
    if ex.name:
        out["comment"] = ex.name
    return out


def to_har(exchanges: Iterable[HttpExchange], *, reveal_secrets: bool = False) -> dict[str, Any]:
    """A HAR 1.2 document (a dict) of ``exchanges`` in order."""
    return {"log": {"version": "1.2", "creator": dict(CREATOR), "pages": [],
                    "entries": [entry(e, reveal_secrets=reveal_secrets) for e in exchanges]}}


def write_har(path: str | Path, exchanges: Iterable[HttpExchange], *,
              reveal_secrets: bool = False) -> Path:
    """Write ``exchanges`` as a ``.har`` file (UTF-8 JSON)."""
    path = Path(path)
    path.write_text(json.dumps(to_har(exchanges, reveal_secrets=reveal_secrets), indent=2,
                               ensure_ascii=False), "utf-8")
    return path


# ----------------------------------------------------------------------------- validation

_NUM = (int, float)
_ENTRY = {"startedDateTime": str, "time": _NUM, "request": dict, "response": dict,
          "cache": dict, "timings": dict}
_REQUEST = {"method": str, "url": str, "httpVersion": str, "cookies": list, "headers": list,
            "queryString": list, "headersSize": int, "bodySize": int}
_RESPONSE = {"status": int, "statusText": str, "httpVersion": str, "cookies": list,
             "headers": list, "content": dict, "redirectURL": str, "headersSize": int,
             "bodySize": int}
_TIMINGS = {"send": _NUM, "wait": _NUM, "receive": _NUM}


def _check(obj: Any, schema: dict[str, Any], where: str, problems: list[str]) -> None:
    if not isinstance(obj, dict):
        problems.append(f"{where}: not an object")
        return
    for key, typ in schema.items():
        if key not in obj:
            problems.append(f"{where}.{key}: missing")
        elif not isinstance(obj[key], typ) or isinstance(obj[key], bool):
            problems.append(f"{where}.{key}: wrong type {type(obj[key]).__name__}")


def validate_har(doc: Any) -> list[str]:
    """Problems of ``doc`` against the HAR 1.2 structure (empty list: valid)."""
    problems: list[str] = []
    log = doc.get("log") if isinstance(doc, dict) else None
    if not isinstance(log, dict):
        return ["log: missing"]
    if log.get("version") != "1.2":
        problems.append("log.version: not 1.2")
    _check(log.get("creator"), {"name": str, "version": str}, "log.creator", problems)
    entries = log.get("entries")
    if not isinstance(entries, list):
        return problems + ["log.entries: not a list"]
    for i, e in enumerate(entries):
        w = f"log.entries[{i}]"
        _check(e, _ENTRY, w, problems)
        if not isinstance(e, dict):
            continue
        try:
            datetime.fromisoformat(str(e.get("startedDateTime", "")).replace("Z", "+00:00"))
        except ValueError:
            problems.append(f"{w}.startedDateTime: not ISO 8601")
        _check(e.get("request"), _REQUEST, f"{w}.request", problems)
        _check(e.get("response"), _RESPONSE, f"{w}.response", problems)
        _check(e.get("timings"), _TIMINGS, f"{w}.timings", problems)
        for part in ("request", "response"):
            for j, h in enumerate((e.get(part) or {}).get("headers") or []):
                _check(h, {"name": str, "value": str}, f"{w}.{part}.headers[{j}]", problems)
        content = (e.get("response") or {}).get("content")
        if isinstance(content, dict):
            _check(content, {"size": int, "mimeType": str}, f"{w}.response.content", problems)
        post = (e.get("request") or {}).get("postData")
        if post is not None:
            _check(post, {"mimeType": str, "text": str}, f"{w}.request.postData", problems)
        timings = e.get("timings") or {}
        for k in ("send", "wait", "receive"):
            v = timings.get(k)
            if isinstance(v, _NUM) and v < 0:
                problems.append(f"{w}.timings.{k}: must not be -1")
    return problems
