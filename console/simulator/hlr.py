"""Number Context over SMPP (bind with system_type ``HLR``): the deliver_sm the spec shows.

Text: a normal receipt followed by ``IMSI:… MSC:… HLR:… ORN:… PON:… RON:… ROC:… MCCMNC:…``;
TLVs: network_error_code, message_state, receipted_message_id and Infobip's vendor TLVs
(0x1403 IMSI, 0x1406 MSC, 0x1409 serving HLR, 0x1412 … 0x1442; price ×100 in 0x1418).
Values come from ``Platform.number_info`` (the numbering plan and scenario tables).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from console.simulator.smsc_wire import RawTlv as Tlv
from console.simulator.smsc_wire import format_receipt

# Infobip vendor TLVs of the spec's Number Context table
IMSI, MSC, SERVING_HLR = 0x1403, 0x1406, 0x1409
ORIGINAL_NETWORK_PREFIX, ORIGINAL_NETWORK_NAME, PORTED_NETWORK_NAME = 0x140B, 0x1412, 0x1413
ROAMING_NETWORK_NAME, ROAMING_COUNTRY_NAME, MCCMNC, ROAMING_COUNTRY_CODE = 0x1414, 0x1415, 0x1416, 0x1417
PRICE, ROAMING_NETWORK_PREFIX, ROAMING_COUNTRY_PREFIX, IS_PORTED = 0x1418, 0x1419, 0x1420, 0x1421
ORIGINAL_COUNTRY_NAME, ORIGINAL_COUNTRY_CODE, ORIGINAL_COUNTRY_PREFIX = 0x1422, 0x1423, 0x1424
NUMBER_CORRECT = 0x1425
PORTED_NETWORK_PREFIX, PORTED_COUNTRY_NAME, PORTED_COUNTRY_PREFIX = 0x143E, 0x143F, 0x1442
TLV_RECEIPTED_MESSAGE_ID, TLV_MESSAGE_STATE, TLV_NETWORK_ERROR_CODE = 0x001E, 0x0427, 0x0423


def _s(tag: int, value: str | None) -> Tlv:
    return Tlv(tag, (value or "").encode("utf-8") + b"\x00")


def _i(tag: int, value: int) -> Tlv:
    return Tlv(tag, int(value).to_bytes(4, "big", signed=False))


def number_context(message_id: str, msisdn: str, info: dict[str, Any], submitted: datetime,
                   done: datetime, countries: dict[str, str]) -> tuple[str, list[Tlv], str, int]:
    """(short_message text, TLVs, stat, err) of a Number Context result.

    ``info`` is ``Platform.number_info(msisdn)``; ``countries`` maps an MCC+MNC to its ISO
    country code (for ROC).
    """
    d = info.get("details") or {}
    group = int((info.get("status") or {}).get("groupId", 0))
    err = int((info.get("error") or {}).get("id", 0))
    ok = group == 3 and err == 0 and bool(d.get("imsi"))  # DELIVERED
    stat = "DELIVRD" if ok else "UNDELIV"
    if not ok and err == 0:
        err = 1  # no subscriber behind the number: EC_UNKNOWN_SUBSCRIBER, as the spec's example
    state = 2 if ok else 5
    receipt = format_receipt(message_id, stat, err, submit=submitted, done=done, dlvrd=1)
    orig = info.get("originalNetwork") or {}
    ported = info.get("portedNetwork") or {}
    roaming = info.get("roamingNetwork") or {}
    orn = d.get("originalNetworkName") or orig.get("networkName") or ""
    pon = (ported.get("networkName") or orn) if ok else ""
    ron = (roaming.get("networkName") or pon) if ok else ""
    roc = countries.get(roaming.get("mccMnc") or d.get("mccMnc") or "", "") if ok else ""
    mccmnc = d.get("mccMnc", "") if ok else ""
    if ok:
        text = (f"{receipt} IMSI:{d['imsi']} MSC:{d.get('msc', '')} HLR:{d.get('hlr', '')} "
                f"ORN:{orn} PON:{pon} RON:{ron} ROC:{roc} MCCMNC:{mccmnc}")
    else:
        text = f"{receipt} IMSI:MSC:ORN:{orn} MCCMNC:"
    price = int(float(d.get("price", 0.0)) * 100 + 0.5)  # the spec: price × 100, an integer
    tlvs = [Tlv(TLV_NETWORK_ERROR_CODE, bytes([3]) + err.to_bytes(2, "big")),
            Tlv(TLV_MESSAGE_STATE, bytes([state])),
            Tlv(TLV_RECEIPTED_MESSAGE_ID, message_id.encode() + b"\x00")]
    if ok:
        tlvs += [_s(SERVING_HLR, d.get("hlr")), _s(ORIGINAL_NETWORK_NAME, orn),
                 _s(PORTED_NETWORK_NAME, pon), _s(ROAMING_NETWORK_NAME, ron),
                 _s(ROAMING_COUNTRY_NAME, d.get("roamingCountry") or d.get("originalCountry")),
                 _s(ROAMING_COUNTRY_CODE, roc), _s(MCCMNC, mccmnc), _i(PRICE, price),
                 _s(ROAMING_NETWORK_PREFIX, roaming.get("networkPrefix") or ported.get("networkPrefix")
                    or orig.get("networkPrefix")),
                 _s(ROAMING_COUNTRY_PREFIX, roaming.get("countryPrefix") or orig.get("countryPrefix")),
                 _i(IS_PORTED, 1 if info.get("ported") else 0)]
        if ported:
            tlvs += [_s(PORTED_NETWORK_PREFIX, ported.get("networkPrefix")),
                     _s(PORTED_COUNTRY_NAME, ported.get("countryName")),
                     _s(PORTED_COUNTRY_PREFIX, ported.get("countryPrefix"))]
    else:
        tlvs += [_s(ORIGINAL_NETWORK_NAME, orn), _s(MCCMNC, ""), _i(PRICE, price),
                 _i(IS_PORTED, 0)]
    if orig:
        tlvs += [_s(ORIGINAL_NETWORK_PREFIX, orig.get("networkPrefix")),
                 _s(ORIGINAL_COUNTRY_NAME, orig.get("countryName")),
                 _s(ORIGINAL_COUNTRY_CODE, countries.get(orig.get("mccMnc", ""), "")),
                 _s(ORIGINAL_COUNTRY_PREFIX, orig.get("countryPrefix"))]
    tlvs.append(_i(NUMBER_CORRECT, 1 if orig else 0))
    if ok:
        # the spec's "extraopt": IMSI and MSC as octet strings
        tlvs += [Tlv(IMSI, str(d["imsi"]).encode()), Tlv(MSC, str(d.get("msc", "")).encode())]
    return text, tlvs, stat, err
