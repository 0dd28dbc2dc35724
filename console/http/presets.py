"""A ready request for every endpoint of the HTTP API chapters of the spec, JSON or XML.

Bodies are the spec's examples, made valid: trailing commas removed, the past ``sendAt`` moved
to tomorrow (a scheduled message must lie in the future), every example kept otherwise as the
spec wrote it. XML bodies follow the public v1 shape (``<request>`` root, plural wrappers of
singular items, e.g. ``<to><to>41793026727</to></to>``).

>>> req = preset("sms-single")                 # POST /sms/1/text/single, JSON
>>> req = preset("reports", fmt="xml")         # GET /sms/1/reports, Accept: application/xml
>>> req = preset("sms-advanced-notify", notify_url=listener.url + "/dlr")
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from console.http.exchange import HttpRequest
from console.http.pretty import to_xml

MIME = {"json": "application/json", "xml": "application/xml"}
_SEND_AT = "$SEND_AT"  # replaced by tomorrow 17:00 UTC when the preset is built
_NOTIFY = "http://www.example.com/sms/advanced"


@dataclass(frozen=True)
class Preset:
    """One endpoint example: method, path, query and (for POST) a body as a Python value."""

    name: str
    title: str
    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: Any = None
    description: str = ""
    expects: tuple[str, ...] = field(default=())  # top-level keys of a successful response

    def request(self, fmt: str = "json", *, notify_url: str | None = None) -> HttpRequest:
        """The ready-to-send request in ``fmt`` ("json" or "xml")."""
        if fmt not in MIME:
            raise ValueError(f"format must be 'json' or 'xml', not {fmt!r}")
        headers = [("Accept", MIME[fmt])]
        body = ""
        if self.body is not None:
            value = _fill(copy.deepcopy(self.body), notify_url)
            body = (json.dumps(value, indent=2, ensure_ascii=False) if fmt == "json"
                    else to_xml("request", value))
            headers.insert(0, ("Content-Type", MIME[fmt]))
        return HttpRequest(self.method, self.path, list(self.query), headers, body,
                           name=self.name)


def _send_at() -> str:
    t = (datetime.now(UTC) + timedelta(days=1)).replace(hour=17, minute=0, second=0,
                                                                 microsecond=0)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def _fill(value: Any, notify_url: str | None) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, notify_url) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, notify_url) for v in value]
    if value == _SEND_AT:
        return _send_at()
    if value == _NOTIFY and notify_url:
        return notify_url
    return value


_MAMA = "Mama always said life was like a box of chocolates.You never know what you're gonna get."
_SEND = ("messages",)  # and bulkId when there is more than one destination

PRESETS: tuple[Preset, ...] = (
    Preset("sms-single", "Send single SMS", "POST", "/sms/1/text/single",
           body={"from": "InfoSMS", "to": "41793026727", "text": "My first Infobip SMS"},
           description="One text to one destination.", expects=("messages",)),
    Preset("sms-single-multi", "Send SMS to multiple destinations", "POST", "/sms/1/text/single",
           body={"from": "WineShop", "to": ["41793026727", "41793026834"],
                 "text": "Wine shop grand opening at Monday 8pm.Don't forget glasses."},
           description="One text to several destinations (a bulkId comes back).", expects=_SEND),
    Preset("sms-multi", "Send multiple SMS to multiple destinations", "POST", "/sms/1/text/multi",
           body={"messages": [
               {"from": "WineShop", "to": "41793026727",
                "text": "Hey Mike, delicious Istrian Malvazija is finally here.Feel free to "
                        "visit us and try it for free!"},
               {"from": "WineShop", "to": "41793026834",
                "text": "Hi Jenny, we have new French Merlot on our shelves.Drop by our store "
                        "for a free degustation!"}]},
           description="A different text per destination in one call.", expects=_SEND),
    Preset("sms-advanced", "Fully featured textual message", "POST", "/sms/1/text/advanced",
           body={"bulkId": "BULK-ID-123-xyz", "messages": [
               {"from": "InfoSMS",
                "destinations": [{"to": "41793026727", "messageId": "MESSAGE-ID-123-xyz"},
                                 {"to": "41793026731"}],
                "text": "Artık Ulusal Dil Tanımlayıcısı ile Türkçe karakterli smslerinizi "
                        "rahatlıkla iletebilirsiniz.",
                "flash": False,
                "language": {"languageCode": "TR", "singleShift": True, "lockingShift": False},
                "transliteration": "TURKISH", "intermediateReport": True, "notifyUrl": _NOTIFY,
                "notifyContentType": "application/json", "callbackData": "DLR callback data",
                "validityPeriod": 720},
               {"from": "41793026700", "destinations": [{"to": "41793026785"}],
                "text": "A long time ago, in a galaxy far, far away...It is a period of civil "
                        "war.Rebel spaceships, striking from a hidden base, have won their first "
                        "victory against the evil Galactic Empire.",
                "sendAt": _SEND_AT}],
               "tracking": {"track": "SMS", "type": "MY_CAMPAIGN"}},
           description="Every field: client ids, language, transliteration, notifyUrl, "
                       "validity, scheduling, tracking. Client ids must be unique: change "
                       "them before sending twice.", expects=_SEND),
    Preset("sms-advanced-schedule", "Scheduled SMS", "POST", "/sms/1/text/advanced",
           body={"messages": [{"from": "41793026700", "destinations": [{"to": "41793026785"}],
                               "text": "A long time ago, in a galaxy far, far away...",
                               "sendAt": _SEND_AT}]},
           description="sendAt: sent at the given time (tomorrow 17:00 UTC).", expects=_SEND),
    Preset("sms-advanced-validity", "SMS with validity period", "POST", "/sms/1/text/advanced",
           body={"messages": [{"from": "InfoSMS",
                               "destinations": [{"to": "41793026727"}, {"to": "41793026731"}],
                               "text": "The time-traveling is just too dangerous.Better that I "
                                       "devote myself to study the other great mystery of the "
                                       "universe: women!",
                               "validityPeriod": 1440}]},
           description="validityPeriod in minutes (at most 48 h).", expects=_SEND),
    Preset("sms-advanced-notify", "Delivery reports on notifyUrl", "POST", "/sms/1/text/advanced",
           body={"messages": [{"from": "InfoSMS",
                               "destinations": [{"to": "41793026727"}, {"to": "41793026731"}],
                               "text": _MAMA, "notifyUrl": _NOTIFY,
                               "notifyContentType": "application/json",
                               "callbackData": "There's no place like home."}]},
           description="Reports pushed to notifyUrl with callbackData.", expects=_SEND),
    Preset("sms-advanced-intermediate", "Intermediate delivery reports", "POST",
           "/sms/1/text/advanced",
           body={"messages": [{"from": "InfoSMS",
                               "destinations": [{"to": "41793026727"}, {"to": "41793026731"}],
                               "text": _MAMA, "intermediateReport": True, "notifyUrl": _NOTIFY,
                               "notifyContentType": "application/json",
                               "callbackData": "There's no place like home."}]},
           description="Also push a report on every non-permanent GSM error.", expects=_SEND),
    Preset("sms-advanced-flash", "Flash SMS", "POST", "/sms/1/text/advanced",
           body={"messages": [{"from": "InfoSMS", "destinations": [{"to": "41793026727"}],
                               "text": "Toto, I've got a feeling we're not in Kansas anymore.",
                               "flash": True}]},
           description="Shown on the handset's screen at once.", expects=_SEND),
    Preset("sms-advanced-tracking", "URL shortening and tracking", "POST", "/sms/1/text/advanced",
           body={"messages": [{"from": "InfoSMS",
                               "destinations": [{"to": "41793026727"}, {"to": "41793026731"}],
                               "text": "Hey, take a look at this awesome app.Can you beat my "
                                       "score: http://www.example.com/awesomeApp/someUserId"}],
                 "tracking": {"track": "URL", "type": "SOCIAL_INVITES"}},
           description="Links in the text are shortened and clicks tracked.", expects=_SEND),
    Preset("reports", "Get delivery reports", "GET", "/sms/1/reports",
           description="Unread reports; each report is returned once.", expects=("results",)),
    Preset("reports-by-message", "Get delivery reports of one message", "GET", "/sms/1/reports",
           query=(("messageId", "ff4804ef-6ab6-4abd-984d-ab3b1387e852"),),
           description="Filter by messageId.", expects=("results",)),
    Preset("reports-by-bulk", "Get delivery reports of one bulk", "GET", "/sms/1/reports",
           query=(("bulkId", "BULK-ID-123-xyz"), ("limit", "50")),
           description="Filter by bulkId, at most `limit` (default 50).", expects=("results",)),
    Preset("logs", "Get SMS logs", "GET", "/sms/1/logs",
           description="Sent messages of the last 48 hours; repeatable.", expects=("results",)),
    Preset("logs-filtered", "Get SMS logs with filters", "GET", "/sms/1/logs",
           query=(("from", "InfoSMS"), ("to", "41793026727"), ("limit", "1")),
           description="Filters: from, to, bulkId, messageId, generalStatus, sentSince, "
                       "sentUntil, limit, mcc, mnc.", expects=("results",)),
    Preset("inbox", "Pull received messages", "GET", "/sms/1/inbox/reports",
           query=(("limit", "50"),),
           description="Received (MO) messages; each returned once.", expects=("results",)),
    Preset("number-query", "Number Lookup", "POST", "/number/1/query",
           body={"to": ["41793026727"]},
           description="HLR lookup: MCC/MNC, IMSI, ported, roaming.", expects=("results",)),
)

_BY_NAME = {p.name: p for p in PRESETS}


def presets() -> list[Preset]:
    """Every preset, in the spec's order."""
    return list(PRESETS)


def get_preset(name: str) -> Preset:
    """The preset called ``name`` (KeyError lists the valid names)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; one of: {', '.join(_BY_NAME)}") from None


def preset(name: str, fmt: str = "json", *, notify_url: str | None = None) -> HttpRequest:
    """The request of preset ``name`` in ``fmt`` ("json" or "xml")."""
    return get_preset(name).request(fmt, notify_url=notify_url)
