"""Outbound HTTP of the simulated platform: MO forwarding (the spec's GET URL template
or a POST) and the notifyUrl report pusher used by the DLR pipeline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp

from console import xmlsafe
from console.platform.core import Platform
from console.platform.store import MoMessage, infobip_time

log = logging.getLogger(__name__)

USER_AGENT = "infobip-console-simulator/0.1"
PLACEHOLDERS = ("sender", "receiver", "text", "bin", "datetime", "messageid", "datacoding",
                "esmclass", "keyword", "cleantext")
REPORT_ROOT = "reportResponse"
MO_ROOT = "moReportResponse"
_encode_json = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for every push


def render_body(root: str, content_type: str, payload: dict[str, Any]) -> bytes:
    """A pushed body in the requested content type (XML root as the pull API's)."""
    if "xml" in content_type:
        return xmlsafe.dumps(root, payload)
    return _encode_json(payload).encode()


def render_template(template: str, mo: MoMessage) -> str:
    """Fill the spec's MO URL template: %sender%, %receiver%, %text%, %bin%, %datetime%,
    %messageid%, %datacoding%, %esmclass% (case-insensitive).

    With both %text% and %bin% in the URL, data coding 0 sends only the text and any other
    only the hex of the binary content; with one of them, it gets the content regardless.
    The ``output`` parameter selects the format on the platform side and is not forwarded.
    """
    lower = template.lower()
    both = "%text%" in lower and "%bin%" in lower
    text = mo.text
    binary = mo.binary.hex() if mo.binary else ""
    if both:
        if mo.data_coding == 0:
            binary = ""
        else:
            text = ""
    values = {
        "sender": mo.from_.lstrip("+"), "receiver": mo.to.lstrip("+"), "text": text,
        "bin": binary, "datetime": infobip_time(mo.received_at) or "",
        "messageid": mo.message_id, "datacoding": str(mo.data_coding),
        "esmclass": str(mo.esm_class), "keyword": mo.keyword or "", "cleantext": mo.clean_text,
    }
    parts = urlsplit(template)
    # Work on the raw query: decoding it first would read "%da" of %datacoding% as a byte.
    pairs = []
    for pair in parts.query.split("&") if parts.query else []:
        key = pair.partition("=")[0]
        if key.lower() == "output":
            continue
        pairs.append(_fill_placeholders(pair, values))
    path = _fill_placeholders(parts.path, values)
    return urlunsplit((parts.scheme, parts.netloc, path, "&".join(pairs), parts.fragment))


def _fill_placeholders(raw: str, values: dict[str, str]) -> str:
    out, i = [], 0
    lower = raw.lower()
    while i < len(raw):
        if raw[i] == "%":
            for name in PLACEHOLDERS:
                token = f"%{name}%"
                if lower.startswith(token, i):
                    out.append(quote(values[name], safe=""))
                    i += len(token)
                    break
            else:
                out.append(raw[i])
                i += 1
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


class HttpOutbound:
    """One aiohttp client session for pushes and MO forwards; install with :meth:`attach`."""

    def __init__(self, timeout: float = 10.0) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe: Any = None
        self._closed = False

    def attach(self, platform: Platform) -> None:
        """Push the platform's reports and forward its MO messages over HTTP."""
        self.platform = platform
        platform.pipeline.pusher = self.push
        self._unsubscribe = platform.subscribe_mo(self._on_mo)

    async def _client(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the simulator is stopped")
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout,
                                                  headers={"User-Agent": USER_AGENT})
        return self._session

    async def push(self, url: str, content_type: str, payload: dict[str, Any]) -> int:
        """POST a report body; returns the HTTP status (raises on connection failure)."""
        session = await self._client()
        body = render_body(REPORT_ROOT, content_type, payload)
        async with session.post(url, data=body, headers={"Content-Type": content_type}) as resp:
            await resp.read()
            return resp.status

    def _on_mo(self, mo: MoMessage) -> None:
        acct = self.platform.accounts.get(mo.account)
        if acct is None or not acct.mo_url:
            return
        try:
            task = asyncio.get_running_loop().create_task(
                self.forward(mo, acct.mo_url, acct.mo_method, acct.mo_content_type))
        except RuntimeError:
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def forward(self, mo: MoMessage, url: str, method: str = "GET",
                      content_type: str = "application/json") -> dict[str, Any]:
        """Forward one MO message (GET template or POST); the attempt is recorded on it."""
        record: dict[str, Any] = {"time": infobip_time(self.platform.clock.now()),
                                  "method": method.upper(), "status": None, "error": None}
        started = time.perf_counter()
        try:
            session = await self._client()
            if method.upper() == "POST":
                record["url"] = url
                body = render_body(MO_ROOT, content_type, {"results": [mo.result()]})
                async with session.post(url, data=body, headers={"Content-Type": content_type}) as r:
                    await r.read()
                    record["status"] = r.status
            else:
                target = render_template(url, mo)
                record["url"] = target
                async with session.get(target) as r:
                    await r.read()
                    record["status"] = r.status
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
        record["duration"] = time.perf_counter() - started
        mo.forwarded.append(record)
        return record

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        self._closed = True
        if self._unsubscribe:
            self._unsubscribe()
        for t in list(self._tasks):
            t.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None
