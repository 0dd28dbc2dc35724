"""Send one text as one or more submit_sm over an :class:`~console.smpp.session.SmppSession`.

Works from Jupyter with top-level ``await``::

    s = await SmppSession("127.0.0.1", port, system_id="Aladdin", password="opensesa").open()
    ids = await send_sms(s, "InfoSMS", "41793026727", "a long text …", concat="sar")
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from console.errors import SessionError

if TYPE_CHECKING:
    from console.smpp import Pdu, Tlv
    from console.smpp.session import SmppSession

Concat = Literal["udh", "udh8", "udh16", "sar", "payload"]
SplitConcat = Literal["udh8", "udh16", "sar", "payload"]  # console.encoding's names

ESM_UDHI = 0x40  # esm_class bit: short_message starts with a user data header

_CONCAT_MODES: dict[str, SplitConcat] = {"udh": "udh8", "udh8": "udh8", "udh16": "udh16", "sar": "sar",
                 "payload": "payload"}


class SubmitRejected(SessionError):
    """The SMSC answered a part of the message with a non-zero command_status.

    ``status`` is that status, ``message_ids`` the ids of the parts accepted before it.
    """

    def __init__(self, message: str, status: int, response: Pdu,
                 message_ids: list[str]) -> None:
        super().__init__(message)
        self.status = status
        self.response = response
        self.message_ids = message_ids


def default_ton_npi(address: str) -> tuple[int, int]:
    """TON/NPI for an address: alphanumeric (5, 0), otherwise international/E.164 (1, 1)."""
    digits = address.lstrip("+")
    if digits.isdigit():
        return 1, 1
    return 5, 0


def build_submits(source: str, destination: str, text: str, *, encoding: Any = None,
                  concat: Concat = "udh", registered_delivery: int = 1,
                  source_ton: int | None = None, source_npi: int | None = None,
                  dest_ton: int | None = None, dest_npi: int | None = None,
                  data_coding: int | None = None, tlvs: Iterable[Tlv] = (),
                  language: str | None = None, ref: int | None = None, esm_class: int = 0,
                  service_type: str = "", protocol_id: int = 0, priority_flag: int = 0,
                  schedule_delivery_time: str = "", validity_period: str = "") -> list[Pdu]:
    """The submit_sm PDUs (without sequence numbers) that carry ``text``."""
    from console.encoding import split_text
    from console.smpp import Pdu, Tlv

    mode = _CONCAT_MODES.get(concat)
    if mode is None:
        raise ValueError(f"concat must be one of {sorted(_CONCAT_MODES)}, not {concat!r}")
    split = split_text(text, encoding, concat=mode, language=language, ref=ref)
    s_ton, s_npi = default_ton_npi(source)
    d_ton, d_npi = default_ton_npi(destination)
    base = {
        "service_type": service_type,
        "source_addr_ton": s_ton if source_ton is None else source_ton,
        "source_addr_npi": s_npi if source_npi is None else source_npi,
        "source_addr": source,
        "dest_addr_ton": d_ton if dest_ton is None else dest_ton,
        "dest_addr_npi": d_npi if dest_npi is None else dest_npi,
        "destination_addr": destination.lstrip("+"),
        "protocol_id": protocol_id,
        "priority_flag": priority_flag,
        "schedule_delivery_time": schedule_delivery_time,
        "validity_period": validity_period,
        "registered_delivery": registered_delivery,
        "replace_if_present_flag": 0,
        "data_coding": split.data_coding if data_coding is None else data_coding,
        "sm_default_msg_id": 0,
    }
    extra = list(tlvs)
    pdus: list[Pdu] = []
    for seg in split.parts:
        fields = dict(base)
        part_tlvs = list(extra)
        esm = esm_class
        if mode == "payload":
            fields["short_message"] = b""
            part_tlvs.insert(0, Tlv("message_payload", seg.udh + seg.payload))
            if seg.udh:
                esm |= ESM_UDHI
        else:
            fields["short_message"] = seg.udh + seg.payload
            if seg.udh:
                esm |= ESM_UDHI
            if seg.sar is not None and mode == "sar":
                sar_ref, total, seq = seg.sar
                # typed by the reference table: 2, 1 and 1 octets (SMPP 3.4 5.3.2.22-24)
                part_tlvs[:0] = [Tlv("sar_msg_ref_num", sar_ref & 0xFFFF),
                                 Tlv("sar_total_segments", total),
                                 Tlv("sar_segment_seqnum", seq)]
        fields["esm_class"] = esm
        pdus.append(Pdu("submit_sm", fields=fields, tlvs=part_tlvs))
    return pdus


async def send_sms(session: SmppSession, source: str, destination: str, text: str, *,
                   encoding: Any = None, concat: Concat = "udh", registered_delivery: int = 1,
                   source_ton: int | None = None, source_npi: int | None = None,
                   dest_ton: int | None = None, dest_npi: int | None = None,
                   data_coding: int | None = None, tlvs: Iterable[Tlv] = (),
                   timeout: float | None = None, **options: Any) -> list[str]:
    """Encode and split ``text``, submit every part, return the message ids in part order.

    ``concat``: "udh" (8-bit reference; "udh16" for 16-bit), "sar" (SAR TLVs) or "payload"
    (one submit_sm with message_payload). ``encoding`` None picks GSM7, Latin-1 or UCS2 from
    the text. Parts go out together inside the session window. Raises
    :class:`SubmitRejected` when a part is refused.
    """
    pdus = build_submits(source, destination, text, encoding=encoding, concat=concat,
                         registered_delivery=registered_delivery, source_ton=source_ton,
                         source_npi=source_npi, dest_ton=dest_ton, dest_npi=dest_npi,
                         data_coding=data_coding, tlvs=tlvs, **options)
    responses = await session.submit_many(pdus, timeout=timeout)
    ids: list[str] = []
    for number, resp in enumerate(responses, 1):
        if isinstance(resp, SessionError):
            raise resp
        if resp.command_status != 0 or resp.command != "submit_sm_resp":
            raise SubmitRejected(
                f"part {number}/{len(pdus)} refused: {resp.status_name} "
                f"(0x{resp.command_status:08X})", resp.command_status, resp, ids)
        ids.append(str(resp.fields.get("message_id", "")))
    return ids
