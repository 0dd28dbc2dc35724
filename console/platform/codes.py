"""Status and error objects (the spec's JSON shapes) from the reference tables.

``console.reference`` is the source; ``resources/simulator/codes_fallback.json`` answers
for ids it lacks (the send examples' MESSAGE_ACCEPTED 0) or while it is unavailable.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from console.paths import RESOURCES

STATUS_GROUPS = ("ACCEPTED", "PENDING", "UNDELIVERABLE", "DELIVERED", "EXPIRED", "REJECTED")


@cache
def _fallback() -> dict[str, Any]:
    data = json.loads((RESOURCES / "simulator" / "codes_fallback.json").read_text("utf-8"))
    return {
        "http_status": {e["id"]: e for e in data["http_status"]},
        "gsm_error": {e["id"]: e for e in data["gsm_error"]},
        "group_names": {int(k): v for k, v in data["group_names"].items()},
        "error_group_names": {int(k): v for k, v in data["error_group_names"].items()},
    }


def _reference(table: str, ident: int) -> Any | None:
    try:
        from console.reference import lookup
    except Exception:  # the reference module is optional at runtime: fall back
        return None
    try:
        entry = lookup(table, ident)
    except Exception:
        return None
    return entry if getattr(entry, "known", False) else None


def status(ident: int) -> dict[str, Any]:
    """The HTTP API status object for a status id: groupId, groupName, id, name, description."""
    return dict(_status(ident))


def error(ident: int) -> dict[str, Any]:
    """The HTTP API error object for a GSM error id, with ``permanent``."""
    return dict(_error(ident))


@cache
def _status(ident: int) -> dict[str, Any]:
    entry = _reference("http_status", ident)
    if entry is not None:
        extra = dict(getattr(entry, "extra", {}) or {})
        group_id = int(extra.get("groupId", 0))
        obj: dict[str, Any] = {
            "groupId": group_id,
            "groupName": extra.get("groupName") or _fallback()["group_names"].get(group_id, ""),
            "id": int(entry.id),
            "name": entry.name,
            "description": entry.description,
        }
        action = extra.get("action")
        if action and action != "NULL":
            obj["action"] = action
        return obj
    row = _fallback()["http_status"].get(ident)
    if row is None:
        return {"groupId": 0, "groupName": "UNKNOWN", "id": ident, "name": f"UNKNOWN_{ident}",
                "description": "Unknown status"}
    return {k: row[k] for k in ("groupId", "groupName", "id", "name", "description", "action") if k in row}


@cache
def _error(ident: int) -> dict[str, Any]:
    entry = _reference("gsm_error", ident)
    if entry is not None:
        extra = dict(getattr(entry, "extra", {}) or {})
        group_id = int(extra.get("groupId", 0))
        return {
            "groupId": group_id,
            "groupName": extra.get("groupName") or _fallback()["error_group_names"].get(group_id, ""),
            "id": int(entry.id),
            "name": entry.name,
            "description": entry.description,
            "permanent": bool(extra.get("permanent", False)),
        }
    row = _fallback()["gsm_error"].get(ident)
    if row is None:
        return {"groupId": 1, "groupName": "HANDSET_ERRORS", "id": ident, "name": f"EC_{ident}",
                "description": "Unknown error", "permanent": False}
    return dict(row)
