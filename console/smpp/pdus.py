"""Every SMPP 3.4 PDU declared once: command id, body fields (in wire order), TLVs allowed.

These declarations are the codec's schema; one generic routine in :mod:`console.smpp.codec`
encodes, decodes (with spans) and renders all of them. Names and meanings of values come
from the reference tables (``resources/reference``), not from here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from console.smpp.fields import (
    CString,
    DestAddresses,
    Field,
    Int,
    OctetString,
    TimeString,
    UnsuccessSmes,
    check_esm_class,
    check_flag,
    check_interface_version,
    check_priority,
    check_registered_delivery,
    npi,
    ton,
)

RESPONSE_BIT = 0x80000000


@dataclass(frozen=True, slots=True)
class PduType:
    """One PDU of SMPP 3.4: its name, command id, body fields and whether TLVs may follow."""

    name: str
    command_id: int
    body: tuple[Field, ...] = ()
    tlvs: bool = False
    # whole-PDU rules (fields, TLVs) -> warnings, for what one field cannot see alone
    check: Callable[[dict[str, Any], Sequence[Any]], list[str]] | None = None

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESPONSE_BIT)

    @property
    def response_name(self) -> str | None:
        """Name of the matching response PDU (None for outbind, alert_notification, responses)."""
        if self.is_response or self.name in ("outbind", "alert_notification"):
            return None
        return self.name + "_resp"

    def field_names(self) -> list[str]:
        """Body field names in wire order (length/count fields included)."""
        return [n for f in self.body for n in f.names()]


def _check_payload(fields: dict[str, Any], tlvs: Sequence[Any]) -> list[str]:
    """SMPP 3.4 5.3.2.32: with message_payload, sm_length must be 0."""
    if tlvs and fields.get("sm_length") and any(t.tag == 0x0424 for t in tlvs):
        return ["short_message and message_payload both present (SMPP 3.4: sm_length must be 0 "
                "when message_payload is used)"]
    return []


def _check_deliver(fields: dict[str, Any], tlvs: Sequence[Any]) -> list[str]:
    """deliver_sm: schedule_delivery_time and validity_period must be NULL (SMPP 3.4 4.6.1)."""
    out = []
    if fields.get("schedule_delivery_time"):
        out.append("schedule_delivery_time: must be empty in deliver_sm")
    if fields.get("validity_period"):
        out.append("validity_period: must be empty in deliver_sm")
    return out + _check_payload(fields, tlvs) if tlvs else out


def _esm() -> Int:
    return Int("esm_class", 1, "esm_class", check_esm_class)


def _regdel() -> Int:
    return Int("registered_delivery", 1, "registered_delivery", check_registered_delivery)


def _check_dc(v: int) -> str | None:
    return f"0x{v:02X} is reserved in SMPP 3.4" if v in (0x0B, 0x0C, 0x0F) else None


def _dc() -> Int:
    return Int("data_coding", 1, "data_coding", _check_dc)


_BIND = (CString("system_id", 16), CString("password", 9), CString("system_type", 13),
         Int("interface_version", 1, None, check_interface_version, 0x34), ton("addr_ton"),
         npi("addr_npi"), CString("address_range", 41))
_BIND_RESP = (CString("system_id", 16),)
_SRC21 = (ton("source_addr_ton"), npi("source_addr_npi"), CString("source_addr", 21))
_DST21 = (ton("dest_addr_ton"), npi("dest_addr_npi"), CString("destination_addr", 21))
_SRC65 = (ton("source_addr_ton"), npi("source_addr_npi"), CString("source_addr", 65))
_DST65 = (ton("dest_addr_ton"), npi("dest_addr_npi"), CString("destination_addr", 65))
_MSG_TAIL = (_esm(), Int("protocol_id"), Int("priority_flag", 1, "priority", check_priority),
             TimeString("schedule_delivery_time"), TimeString("validity_period"), _regdel(),
             Int("replace_if_present_flag", 1, None, check_flag), _dc(),
             Int("sm_default_msg_id"), OctetString("short_message", "sm_length"))
_SM = (CString("service_type", 6), *_SRC21, *_DST21, *_MSG_TAIL)
_MESSAGE_ID = (CString("message_id", 65),)

PDU_TYPES: tuple[PduType, ...] = (
    PduType("generic_nack", 0x80000000),
    PduType("bind_receiver", 0x00000001, _BIND),
    PduType("bind_receiver_resp", 0x80000001, _BIND_RESP, tlvs=True),
    PduType("bind_transmitter", 0x00000002, _BIND),
    PduType("bind_transmitter_resp", 0x80000002, _BIND_RESP, tlvs=True),
    PduType("query_sm", 0x00000003, (*_MESSAGE_ID, *_SRC21)),
    PduType("query_sm_resp", 0x80000003,
            (*_MESSAGE_ID, TimeString("final_date"), Int("message_state", 1, "message_state"),
             Int("error_code"))),
    PduType("submit_sm", 0x00000004, _SM, tlvs=True, check=_check_payload),
    PduType("submit_sm_resp", 0x80000004, _MESSAGE_ID),
    PduType("deliver_sm", 0x00000005, _SM, tlvs=True, check=_check_deliver),
    PduType("deliver_sm_resp", 0x80000005, _MESSAGE_ID),
    PduType("unbind", 0x00000006),
    PduType("unbind_resp", 0x80000006),
    PduType("replace_sm", 0x00000007,
            (*_MESSAGE_ID, *_SRC21, TimeString("schedule_delivery_time"),
             TimeString("validity_period"), _regdel(), Int("sm_default_msg_id"),
             OctetString("short_message", "sm_length"))),
    PduType("replace_sm_resp", 0x80000007),
    PduType("cancel_sm", 0x00000008, (CString("service_type", 6), *_MESSAGE_ID, *_SRC21, *_DST21)),
    PduType("cancel_sm_resp", 0x80000008),
    PduType("bind_transceiver", 0x00000009, _BIND),
    PduType("bind_transceiver_resp", 0x80000009, _BIND_RESP, tlvs=True),
    PduType("outbind", 0x0000000B, (CString("system_id", 16), CString("password", 9))),
    PduType("enquire_link", 0x00000015),
    PduType("enquire_link_resp", 0x80000015),
    PduType("submit_multi", 0x00000021,
            (CString("service_type", 6), *_SRC21, DestAddresses(), *_MSG_TAIL), tlvs=True,
            check=_check_payload),
    PduType("submit_multi_resp", 0x80000021, (*_MESSAGE_ID, UnsuccessSmes())),
    PduType("alert_notification", 0x00000102,
            (*_SRC65, ton("esme_addr_ton"), npi("esme_addr_npi"), CString("esme_addr", 65)),
            tlvs=True),
    PduType("data_sm", 0x00000103, (CString("service_type", 6), *_SRC65, *_DST65, _esm(),
                                    _regdel(), _dc()), tlvs=True),
    PduType("data_sm_resp", 0x80000103, _MESSAGE_ID, tlvs=True),
)

BY_ID: dict[int, PduType] = {t.command_id: t for t in PDU_TYPES}
BY_NAME: dict[str, PduType] = {t.name: t for t in PDU_TYPES}
