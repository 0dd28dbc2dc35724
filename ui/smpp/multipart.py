"""Multipart messages in the PDU list: which parts of a message are present, in which rows,
and the text they make together (the decode tree shows it under the message)."""

from __future__ import annotations

from typing import Any

from ui.smpp.decode_tree import MultipartInfo

_MESSAGE_COMMANDS = frozenset({"submit_sm", "deliver_sm", "data_sm"})


def multipart_info(event: Any, row: int, model: Any) -> MultipartInfo | None:
    """The multipart message ``event`` (shown in ``row``) belongs to, from the rows around it
    in ``model`` (:meth:`ui.smpp.pdu_model.PduListModel.nearby`) with the same session,
    direction, command, addresses and concatenation reference; None for a single part."""
    pdu = event.pdu
    if pdu.command not in _MESSAGE_COMMANDS:
        return None
    try:
        c = pdu.message.concat
    except Exception:
        return None
    if c is None or c.total <= 1:
        return None
    key = (event.session_id, event.direction, pdu.command,
           pdu.fields.get("source_addr"), pdu.fields.get("destination_addr"), c.ref, c.total)
    info = MultipartInfo(ref=c.ref, total=c.total, seq=c.seq, kind=c.kind)
    parts: dict[int, Any] = {}
    for r, ev in model.nearby(row):
        p = ev.pdu if ev.session_id == event.session_id else None
        if p is None or p.command != pdu.command:
            continue
        try:
            pc = p.message.concat
        except Exception:
            continue
        if pc is None:
            continue
        k = (ev.session_id, ev.direction, p.command, p.fields.get("source_addr"),
             p.fields.get("destination_addr"), pc.ref, pc.total)
        if k == key and pc.seq not in info.present:
            info.present[pc.seq] = r
            parts[pc.seq] = p.message
    info.text = _joined_text(parts, c.total)
    return info


def _joined_text(parts: dict[int, Any], total: int) -> str:
    if parts and len(parts) == total and all(m.encoding == "UCS2" for m in parts.values()):
        # a surrogate pair may straddle two parts: decode the joined payload
        joined = b"".join(parts[i].payload for i in range(1, total + 1))
        return joined.decode("utf-16-be", errors="replace")
    return "".join(parts[i].text if i in parts else f"[part {i} missing]"
                   for i in range(1, total + 1))
