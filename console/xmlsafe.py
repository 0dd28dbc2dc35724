"""XML of the HTTP API v1, parsed safely and written in the public v1 shape.

One helper for both sides of the wire: the simulator reads requests and writes responses
(:mod:`console.simulator.http_api`), the client and the webhook listener read responses and
pushed reports and show them indented (:mod:`console.http.pretty`).

Parsing goes through defusedxml with DTDs, entities and external references forbidden: no XXE,
no billion laughs. Lists follow the public v1 shape: a plural element wrapping singular items
(``<results><result>…</result></results>``, ``<to><to>…</to></to>``, also ``<item>`` items);
repeated sibling elements (``<to>1</to><to>2</to>``) are read as a list too.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as DET
import defusedxml.minidom as DMD
from defusedxml import DefusedXmlException

__all__ = ["DECLARATION", "ITEM_NAMES", "XmlError", "dumps", "element", "loads", "pretty"]

#: wrapper element -> the name of its items
ITEM_NAMES = {
    "messages": "message", "results": "result", "destinations": "destination", "to": "to",
    "bulkId": "bulkId", "messageId": "messageId", "attempts": "attempt", "links": "link",
    "validationErrors": "error",
}
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


class XmlError(ValueError):
    """The data is not acceptable XML: malformed, too deep, or with DTDs/entities."""


def loads(data: bytes | str, *, typed: bool = False) -> tuple[str, Any]:
    """Parse XML into ``(root tag, value)``; raises :class:`XmlError` with the reason.

    Leaves become strings; with ``typed`` the texts ``true``/``false`` become booleans (XML
    has no types, but in every v1 body those two words are booleans).
    """
    try:
        root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmlError(f"XML refused: DTDs and entities are not allowed ({type(exc).__name__})"
                       ) from None
    except RecursionError:
        raise XmlError("invalid XML: nested too deeply") from None
    except Exception as exc:  # ParseError and friends
        raise XmlError(f"invalid XML: {exc}") from None
    try:
        return root.tag, _value(root, typed)
    except RecursionError:
        raise XmlError("invalid XML: nested too deeply") from None


def _value(el: Element, typed: bool) -> Any:
    children = list(el)
    if not children:
        text = el.text or ""
        if typed and text in ("true", "false"):
            return text == "true"
        return text
    item = ITEM_NAMES.get(el.tag)
    if item is not None and all(c.tag in (item, "item") for c in children):
        return [_value(c, typed) for c in children]
    tags = [c.tag for c in children]
    out: dict[str, Any] = {}
    for c in children:
        v = _value(c, typed)
        if tags.count(c.tag) > 1:  # repeated siblings form a list
            out.setdefault(c.tag, []).append(v)
        else:
            out[c.tag] = v
    return out


def element(root: str, value: Any) -> Element:
    """``value`` (dicts, lists, scalars; None fields left out) as an element named ``root``."""
    el = Element(root)
    _fill(el, value)
    return el


def dumps(root: str, value: Any) -> bytes:
    """``value`` as compact XML under ``root``, with the XML declaration (UTF-8 bytes)."""
    return (DECLARATION + tostring(element(root, value), encoding="unicode")).encode()


def _fill(el: Element, value: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if v is not None:
                _fill(SubElement(el, str(k)), v)
    elif isinstance(value, list | tuple):
        item = ITEM_NAMES.get(el.tag, "item")
        for v in value:
            _fill(SubElement(el, item), v)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    else:
        el.text = str(value)


def pretty(text: str | bytes) -> str:
    """Indented XML (without the declaration); the input unchanged if it does not parse."""
    try:
        doc = DMD.parseString(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except Exception:
        return text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    out = doc.documentElement.toprettyxml(indent="  ")
    return "\n".join(line for line in out.splitlines() if line.strip())
