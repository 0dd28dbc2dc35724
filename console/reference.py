"""The spec's code tables (HTTP statuses and errors, SMPP ids, statuses, TLVs, …) as data.

Each table is one JSON file in ``resources/reference/<name>.json`` (a list of objects with at
least ``id``, ``name`` and ``description``), loaded on first use and indexed once. Lookups never
raise for an unknown code: they return an :class:`Entry` with ``known=False`` and a name such as
``"unknown (0x0400)"``. Only an unknown *table* name is an error (:class:`UnknownTableError`).

    >>> lookup("smpp_command_status", 0x0B).name
    'ESME_RINVDSTADR'
    >>> lookup("gsm_error", "EC_ABSENT_SUBSCRIBER")["permanent"]
    False
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

from console.errors import ReferenceError_
from console.paths import RESOURCES

__all__ = [
    "TABLES",
    "Entry",
    "UnknownTableError",
    "command_id_name",
    "command_status_name",
    "decode_bits",
    "field_meaning",
    "http_error",
    "http_status",
    "lookup",
    "search",
    "table",
    "tlv_info",
]

REFERENCE_DIR = RESOURCES / "reference"

#: Every table name, in the order search results are grouped.
TABLES: tuple[str, ...] = (
    "http_status_group",
    "http_status",
    "http_error_group",
    "gsm_error",
    "smpp_command_id",
    "smpp_command_status",
    "smpp_gsm_error",
    "dlr_stat",
    "message_state",
    "tlv",
    "data_coding",
    "ton",
    "npi",
    "esm_class",
    "registered_delivery",
    "priority",
    "smpp_field",
)

# Tables whose ids people write in hex: a "0x…" query lists their matches first, in this order.
_HEX_TABLES: tuple[str, ...] = ("smpp_command_status", "smpp_command_id", "tlv", "data_coding",
                                "esm_class", "registered_delivery")

# What an unknown TLV is treated as, so a decoder can still show its bytes.
_UNKNOWN_TLV_EXTRA: Mapping[str, Any] = {"type": "octets", "vendor": False, "min_length": 0,
                                         "max_length": 65535}

_INT_RE = re.compile(r"(?:0[xX][0-9a-fA-F]+|[0-9]+)")
_CORE_KEYS = frozenset({"id", "name", "description"})
# extra fields that are prose a person may search for (not provenance or group labels)
_TEXT_KEYS = ("description_zh", "action", "action_zh", "standard_description", "spec_text", "hint")
_EMPTY: Mapping[str, Any] = MappingProxyType({})


class UnknownTableError(ReferenceError_, LookupError):
    """A table name that is not one of :data:`TABLES`."""


@dataclass(frozen=True)
class Entry:
    """One row of a reference table (or the explicit unknown row when ``known`` is False)."""

    table: str
    id: int | str
    name: str
    description: str
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, compare=False, hash=False, repr=False)
    known: bool = True

    def __getitem__(self, key: str) -> Any:
        return self.extra[key]

    def get(self, key: str, default: Any = None) -> Any:
        """``extra[key]`` or ``default``."""
        return self.extra.get(key, default)

    @property
    def hex(self) -> str:
        """The id as ``0x`` hex, at least 4 digits (``0x000B``)."""
        return _hex(self.id)

    def text(self, lang: str = "en") -> str:
        """The description in English (``"en"``) or the spec's Chinese (``"zh"``) when it has one."""
        if lang.startswith("zh"):
            return self.extra.get("description_zh") or self.description
        return self.description

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict: table, id, name, description, known and every extra field."""
        return {"table": self.table, "id": self.id, "name": self.name,
                "description": self.description, "known": self.known, **self.extra}


@dataclass(frozen=True)
class _Table:
    name: str
    entries: tuple[Entry, ...]
    by_id: Mapping[int | str, Entry]
    by_name: Mapping[str, Entry]
    # lower-cased names/aliases and full search text, aligned with ``entries``
    names: tuple[tuple[str, ...], ...]
    haystacks: tuple[str, ...]


def _hex(value: int | str) -> str:
    if not isinstance(value, int) or value < 0:
        return str(value)
    return f"0x{value:04X}"


def _parse_int(text: str) -> int | None:
    if _INT_RE.fullmatch(text):
        return int(text, 16) if text[:2] in ("0x", "0X") else int(text)
    return None


def _aliases(row: Mapping[str, Any]) -> list[str]:
    names = [str(row["name"])]
    names += [str(a) for a in row.get("aliases") or ()]
    if row.get("standard_name"):
        names.append(str(row["standard_name"]))
    return names


@cache
def _table(name: str) -> _Table:
    if name not in TABLES:
        raise UnknownTableError(
            f"unknown reference table {name!r}; tables are: {', '.join(TABLES)}")
    path = REFERENCE_DIR / f"{name}.json"
    try:
        rows = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ReferenceError_(f"reference table {name!r} cannot be read from {path}: {exc}") from exc
    if not isinstance(rows, list):
        raise ReferenceError_(f"reference table {path} is not a JSON list")
    entries: list[Entry] = []
    by_id: dict[int | str, Entry] = {}
    by_name: dict[str, Entry] = {}
    names: list[tuple[str, ...]] = []
    haystacks: list[str] = []
    for row in rows:
        if not isinstance(row, dict) or not row.keys() >= _CORE_KEYS:
            raise ReferenceError_(f"reference table {path}: row without id/name/description: {row!r}")
        extra = MappingProxyType({k: v for k, v in row.items() if k not in _CORE_KEYS})
        entry = Entry(name, row["id"], str(row["name"]), str(row["description"]), extra)
        entries.append(entry)
        by_id.setdefault(entry.id, entry)  # a repeated id (bit-field zeros) keeps its first row
        aliases = tuple(a.casefold() for a in _aliases(row))
        for alias in aliases:
            by_name.setdefault(alias, entry)
        names.append(aliases)
        texts = [entry.description, *(str(extra[k]) for k in _TEXT_KEYS if extra.get(k))]
        haystacks.append("\n".join(texts).casefold())
    return _Table(name, tuple(entries), MappingProxyType(by_id), MappingProxyType(by_name),
                  tuple(names), tuple(haystacks))


@cache
def _ranges() -> Mapping[str, list[dict[str, Any]]]:
    try:
        data = json.loads((REFERENCE_DIR / "_unknown.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, list)}


def _unknown(t: _Table, key: int | str) -> Entry:
    extra: dict[str, Any] = dict(_UNKNOWN_TLV_EXTRA) if t.name == "tlv" else {}
    description = f"{key!r} is not in the {t.name} table" if isinstance(key, str) else \
        f"{_hex(key)} ({key}) is not in the {t.name} table"
    if isinstance(key, int):
        for rng in _ranges().get(t.name, ()):
            if rng["from"] <= key <= rng["to"]:
                description = f"{_hex(key)} ({key}): {rng['description']}"
                extra.update(rng.get("extra") or {})
                break
    label = _hex(key) if isinstance(key, int) else key
    return Entry(t.name, key, f"unknown ({label})", description, MappingProxyType(extra), known=False)


def table(name: str) -> list[Entry]:
    """Every entry of table ``name`` in spec order."""
    return list(_table(name).entries)


def lookup(table_name: str, key: int | str) -> Entry:
    """The entry with id ``key`` (int, ``"0x0b"``, ``"11"``) or name/alias ``key`` (any case)."""
    t = _table(table_name)
    if isinstance(key, int):
        return t.by_id.get(key) or _unknown(t, key)
    text = str(key).strip()
    number = _parse_int(text)
    if number is not None:
        found = t.by_id.get(number) or t.by_name.get(text.casefold())
        return found or _unknown(t, number)
    return t.by_name.get(text.casefold()) or _unknown(t, text)


def search(query: str, *, tables: Iterable[str] | None = None,
           limit: int | None = None) -> list[Entry]:
    """Entries of every table matching ``query``, best first.

    Matches the id (decimal or ``0x`` hex), a name or alias, and the description (English or
    Chinese). Exact id and name matches come first, then name substrings, then text, then
    entries containing every word of a several-word query.
    """
    q = query.strip()
    if not q:
        return []
    folded = q.casefold()
    number = _parse_int(q)
    is_hex = folded.startswith("0x")
    tokens = folded.split()
    names = tuple(tables) if tables is not None else TABLES
    for name in names:
        _table(name)  # an unknown table name raises before any work
    priority = _HEX_TABLES if is_hex else ()
    order = sorted(names, key=lambda n: (priority.index(n) if n in priority else len(priority),
                                         TABLES.index(n)))
    hits: list[tuple[int, int, int, Entry]] = []
    for ti, name in enumerate(order):
        t = _table(name)
        for pos, entry in enumerate(t.entries):
            aliases = t.names[pos]
            if (number is not None and entry.id == number) or folded == aliases[0]:
                rank = 0
            elif folded in aliases:
                rank = 1
            elif any(folded in a for a in aliases):
                rank = 2
            elif is_hex and isinstance(entry.id, int) and _hex(entry.id).casefold() \
                    .startswith(folded):
                rank = 3
            elif folded in t.haystacks[pos]:
                rank = 4
            elif len(tokens) > 1 and all(
                    any(tok in a for a in aliases) or tok in t.haystacks[pos] for tok in tokens):
                rank = 5
            else:
                continue
            hits.append((rank, ti, pos, entry))
    hits.sort(key=lambda h: h[:3])
    found = [h[3] for h in hits]
    return found[:limit] if limit is not None else found


def http_status(ident: int) -> dict[str, Any]:
    """The HTTP API ``status`` object for a status id: groupId, groupName, id, name, description
    (and ``action`` when the spec gives one)."""
    entry = lookup("http_status", ident)
    obj: dict[str, Any] = {"groupId": entry.get("groupId"), "groupName": entry.get("groupName"),
                           "id": entry.id, "name": entry.name, "description": entry.description}
    if entry.get("action"):
        obj["action"] = entry["action"]
    return obj


def http_error(ident: int) -> dict[str, Any]:
    """The HTTP API ``error`` object for a GSM error id: groupId, groupName, id, name,
    description, permanent."""
    entry = lookup("gsm_error", ident)
    return {"groupId": entry.get("groupId"), "groupName": entry.get("groupName"), "id": entry.id,
            "name": entry.name, "description": entry.description,
            "permanent": entry.get("permanent")}


def command_status_name(status: int) -> str:
    """The name of an SMPP command_status (Infobip's meaning where it differs from SMPP 3.4)."""
    return lookup("smpp_command_status", status).name


def command_id_name(command_id: int) -> str:
    """The name of an SMPP command_id (``submit_sm``, ``deliver_sm_resp``, …)."""
    return lookup("smpp_command_id", command_id).name


def tlv_info(tag: int | str) -> Entry:
    """The TLV entry for a tag or name: ``type``, ``min_length``, ``max_length``, ``vendor``.

    Unknown tags come back as ``octets`` (``vendor`` True in the SMSC vendor range 0x1400–0x3FFF).
    """
    return lookup("tlv", tag)


def field_meaning(name: str) -> str:
    """What an SMPP field (or UDH/TLV part) named ``name`` means, or "" if it has no entry."""
    if name.startswith("ie "):  # UDH information elements are named "ie 0x00", "ie 0x24", …
        name = "ie"
    entry = lookup("smpp_field", name)
    return entry.description if entry.known else ""


def decode_bits(table_name: str, value: int) -> list[Entry]:
    """Split a bit-field value (``esm_class``, ``registered_delivery``) into one entry per field.

    A field whose bits match no entry yields an unknown entry for those bits.
    """
    t = _table(table_name)
    fields: dict[int, list[Entry]] = {}
    for entry in t.entries:
        fields.setdefault(int(entry.get("mask", 0xFF)), []).append(entry)
    result: list[Entry] = []
    covered = 0
    for mask, entries in fields.items():
        covered |= mask
        bits = value & mask
        match = next((e for e in entries if e.id == bits), None)
        result.append(match or _unknown(t, bits))
    if value & ~covered & 0xFF:
        result.append(_unknown(t, value & ~covered & 0xFF))
    return result
