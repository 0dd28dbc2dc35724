"""XML bodies of the HTTP API v1: requests in, responses and pushed reports out.

Parsing uses defusedxml (no entity expansion, no external entities). Lists follow the
public v1 shape: a plural element wrapping singular items, e.g.
``<reportResponse><results><result>…</result></results></reportResponse>``; repeated
sibling elements (``<to>1</to><to>2</to>``) are read as a list too.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

# wrapper element -> item element
ITEM_NAMES = {
    "messages": "message", "results": "result", "destinations": "destination", "to": "to",
    "bulkId": "bulkId", "messageId": "messageId", "attempts": "attempt", "links": "link",
    "validationErrors": "error",
}
# elements that are always lists in requests, even with one item
LIST_FIELDS = {"messages", "destinations", "to", "results"}


class XmlError(ValueError):
    """The body is not acceptable XML (malformed, or uses forbidden entities/DTDs)."""


def loads(data: bytes | str) -> tuple[str, Any]:
    """Parse an XML request body into (root tag, python value)."""
    try:
        root = DET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise XmlError(f"XML with DTDs or entities is not accepted ({type(exc).__name__})") from None
    except Exception as exc:  # ParseError and friends
        raise XmlError(f"invalid XML: {exc}") from None
    try:
        return root.tag, _value(root)
    except RecursionError:
        raise XmlError("invalid XML: nested too deeply") from None


def _value(el: Element) -> Any:
    children = list(el)
    if not children:
        return el.text or ""
    item = ITEM_NAMES.get(el.tag)
    if el.tag in LIST_FIELDS and all(c.tag in (item, "item") for c in children):
        return [_value(c) for c in children]
    tags = [c.tag for c in children]
    out: dict[str, Any] = {}
    for c in children:
        v = _value(c)
        if tags.count(c.tag) > 1:  # repeated siblings form a list
            out.setdefault(c.tag, []).append(v)
        else:
            out[c.tag] = v
    return out


def dumps(root: str, value: Any) -> bytes:
    """Serialise a response object as XML under ``root``."""
    el = Element(root)
    _fill(el, value)
    return b'<?xml version="1.0" encoding="UTF-8"?>' + tostring(el, encoding="unicode").encode()


def _fill(el: Element, value: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if v is None:
                continue
            _fill(SubElement(el, str(k)), v)
    elif isinstance(value, list | tuple):
        item = ITEM_NAMES.get(el.tag, "item")
        for v in value:
            _fill(SubElement(el, item), v)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    else:
        el.text = str(value)
