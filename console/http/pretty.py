"""Bodies of the HTTP API: parse, pretty-print, explain.

- :func:`parse_body` turns JSON, XML (defusedxml: no DTDs, no entities, so no XXE and no
  billion laughs) or form bodies into Python values and never raises: a body that does not
  parse comes back with the reason.
- :func:`to_xml` / :func:`xml_to_value` map values to the public v1 XML shape (a plural
  element wrapping singular items: ``<results><result>…</result></results>``); both are
  :mod:`console.xmlsafe`, the one XML helper the simulator uses too.
- :func:`error_message` turns an Infobip error body (``requestError.serviceException`` or
  ``policyException``, with ``validationErrors``) into one readable line.
- :func:`explain` finds every status and error object in a response and explains it from
  :mod:`console.reference` (falling back to the simulator's code table when it cannot answer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl
from xml.etree.ElementTree import tostring

from console import xmlsafe


def kind_of(content_type: str | None, body: bytes = b"") -> str:
    """"json", "xml", "form", "text" or "empty", from the Content-Type, else sniffed."""
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct.endswith("json") or ct.endswith("+json"):
        return "json"
    if ct.endswith("xml"):
        return "xml"
    if ct == "application/x-www-form-urlencoded":
        return "form"
    stripped = body.lstrip()
    if not stripped:
        return "empty"
    if stripped[:1] in (b"{", b"["):
        return "json"
    if stripped[:1] == b"<":
        return "xml"
    return "text"


def parse_body(body: bytes, content_type: str | None = None) -> tuple[Any, str | None]:
    """(value, None) or (None, reason); empty bodies give (None, None)."""
    kind = kind_of(content_type, body)
    if kind == "empty" or not body.strip():
        return None, None
    if kind == "json":
        try:
            return json.loads(body), None
        except UnicodeDecodeError as exc:
            return None, f"invalid JSON: not UTF-8 ({exc.reason} at byte {exc.start})"
        except json.JSONDecodeError as exc:
            hint = " (a trailing comma?)" if _trailing_comma(exc.doc, exc.pos) else ""
            return None, f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}{hint}"
        except RecursionError:
            return None, "invalid JSON: nested too deeply"
    if kind == "xml":
        try:
            _, value = xml_to_value(body)
            return value, None
        except xmlsafe.XmlError as exc:
            return None, str(exc)
    if kind == "form":
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)), None
        except UnicodeDecodeError:
            return None, "form body is not UTF-8"
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, "binary body (not UTF-8 text)"


def _trailing_comma(doc: str, pos: int) -> bool:
    before = doc[:pos].rstrip()
    return before.endswith(",")


def xml_to_value(data: bytes | str) -> tuple[str, Any]:
    """Parse XML safely into (root tag, value); raises ValueError with the reason.

    ``true``/``false`` leaves become booleans (see :func:`console.xmlsafe.loads`).
    """
    return xmlsafe.loads(data, typed=True)


def to_xml(root: str, value: Any) -> str:
    """Serialise ``value`` as public-v1-shaped XML under ``root`` (with the XML declaration)."""
    return xmlsafe.DECLARATION + "\n" + pretty_xml(tostring(xmlsafe.element(root, value), "unicode"))


def pretty_xml(text: str | bytes) -> str:
    """Indented XML (without the declaration); the input unchanged if it does not parse."""
    return xmlsafe.pretty(text)


def pretty(body: bytes, content_type: str | None = None) -> str:
    """The body for a person: JSON/XML indented, text as is, binary as hex."""
    kind = kind_of(content_type, body)
    if kind == "json":
        value, err = parse_body(body, "application/json")
        if err is None:
            return json.dumps(value, indent=2, ensure_ascii=False)
    elif kind == "xml":
        return pretty_xml(body)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.hex(" ")


# ----------------------------------------------------------------------------- errors


def error_message(value: Any) -> str | None:
    """One readable line for an Infobip error body, or None when ``value`` is not one.

    ``{"requestError": {"serviceException": {"messageId": "UNAUTHORIZED", "text": "Invalid
    login details"}}}`` → ``"UNAUTHORIZED: Invalid login details"``; validation errors are
    appended as ``field: message``.
    """
    if not isinstance(value, dict):
        return None
    req = value.get("requestError")
    if not isinstance(req, dict):
        return None
    exc = req.get("serviceException") or req.get("policyException")
    if not isinstance(exc, dict):
        return None
    head = ": ".join(str(x) for x in (exc.get("messageId"), exc.get("text")) if x)
    details: list[str] = []
    verrs = exc.get("validationErrors")
    if isinstance(verrs, dict):
        for field_name, msgs in verrs.items():
            for m in msgs if isinstance(msgs, list) else [msgs]:
                details.append(f"{field_name}: {m}")
    elif isinstance(verrs, list):
        details.extend(str(v) for v in verrs)
    return head + (" — " + "; ".join(details) if details else "") if head or details else None


# ----------------------------------------------------------------------------- explain


@dataclass(frozen=True)
class Explanation:
    """What one status or error object in a body means."""

    path: str  # e.g. "results[0].status"
    kind: str  # "status" or "error"
    id: int | None
    name: str
    group: str
    description: str
    detail: str  # action (status) or permanence (error)
    known: bool
    mismatch: str | None  # the body disagrees with the reference (names or group)

    def __str__(self) -> str:
        text = f"{self.path}: {self.name} ({self.group}) — {self.description}"
        if self.detail:
            text += f"; {self.detail}"
        if self.mismatch:
            text += f" [note: {self.mismatch}]"
        return text


def _lookup(kind: str, ident: int) -> dict[str, Any] | None:
    """The reference's view of a status/error id as the API's object shape."""
    try:
        from console.reference import lookup

        entry = lookup("http_status" if kind == "status" else "gsm_error", ident)
        if entry.known:
            extra = dict(entry.extra)
            obj = {"id": entry.id, "name": entry.name, "description": entry.description,
                   "groupId": extra.get("groupId"), "groupName": extra.get("groupName")}
            obj.update({k: extra[k] for k in ("action", "permanent") if k in extra})
            return obj
    except Exception:  # the reference module may be missing or incomplete: fall back
        pass
    try:
        from console.platform import codes

        obj = codes.status(ident) if kind == "status" else codes.error(ident)
    except Exception:
        return None
    return None if str(obj.get("name", "")) in (f"UNKNOWN_{ident}", f"EC_{ident}") else obj


def _as_int(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def explain(value: Any, path: str = "") -> list[Explanation]:
    """Every ``status`` / ``error`` object in ``value`` explained from the reference tables."""
    out: list[Explanation] = []
    if isinstance(value, dict):
        for k, v in value.items():
            sub = f"{path}.{k}" if path else k
            if k in ("status", "error") and isinstance(v, dict) and ("id" in v or "name" in v):
                out.append(_explain_one(k, v, sub))
            else:
                out.extend(explain(v, sub))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(explain(v, f"{path}[{i}]"))
    return out


def _explain_one(kind: str, obj: dict[str, Any], path: str) -> Explanation:
    ident = _as_int(obj.get("id"))
    ref = _lookup(kind, ident) if ident is not None else None
    body_name = str(obj.get("name", ""))
    body_group = str(obj.get("groupName", ""))
    if ref is None:
        return Explanation(path, kind, ident, body_name or f"id {ident}", body_group,
                           str(obj.get("description", "")), "", False,
                           "not in the reference tables")
    notes = []
    if body_name and body_name != ref.get("name"):
        notes.append(f"name {body_name!r} but id {ident} is {ref.get('name')!r}")
    ref_gid = _as_int(ref.get("groupId"))
    if "groupId" in obj and ref_gid is not None and _as_int(obj.get("groupId")) != ref_gid:
        notes.append(f"groupId {obj.get('groupId')} but {ref.get('name')} is in group {ref_gid} "
                     f"({ref.get('groupName')})")
    if kind == "status":
        action = ref.get("action")
        detail = f"action: {action}" if action and action != "NULL" else ""
    else:
        detail = "permanent" if ref.get("permanent") else "not permanent (may be retried)"
    return Explanation(path, kind, ident, str(ref.get("name")), str(ref.get("groupName") or ""),
                       str(ref.get("description") or ""), detail, True,
                       "; ".join(notes) or None)
