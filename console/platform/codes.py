"""Status and error objects (the spec's JSON shapes), straight from the reference tables."""

from __future__ import annotations

from typing import Any

from console.reference import http_error, http_status, lookup, table

#: The status group names (ACCEPTED, PENDING, …) in spec order, for ``generalStatus``.
STATUS_GROUPS: tuple[str, ...] = tuple(e.name for e in table("http_status_group"))


def status(ident: int) -> dict[str, Any]:
    """The HTTP API status object for a status id: groupId, groupName, id, name, description
    (and ``action`` when the spec gives one). An unknown id has groupId None, name UNKNOWN_<id>."""
    obj = http_status(ident)
    if not lookup("http_status", ident).known:
        obj["name"] = f"UNKNOWN_{ident}"  # console.http.pretty tells unknown ids by this name
    return obj


def error(ident: int) -> dict[str, Any]:
    """The HTTP API error object for a GSM error id, with ``permanent``. An unknown id has
    groupId None, name EC_<id>."""
    obj = http_error(ident)
    if not lookup("gsm_error", ident).known:
        obj["name"] = f"EC_{ident}"  # console.http.pretty tells unknown ids by this name
    return obj
