"""send_sms: long GSM7 and UCS2 texts by each concatenation mode, over a real socket."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

from console.smpp.session import SmppSession
from console.smpp.sms import SubmitRejected, build_submits, default_ton_npi

sys.path.insert(0, str(Path(__file__).parent))
from smsc_stub import StubSmsc  # noqa: E402

GSM_TEXT = ("Infobip test console: long GSM 7-bit text with @ and £ and {braces} " * 4).strip()
UCS2_TEXT = "Привет из Infobip 測試 😀 " * 12


def gsm_septets_to_text(septets: bytes) -> str:
    """Unpacked GSM 03.38 septets to text (independent of our encoding module)."""
    import gsm0338  # noqa: F401 - registers the codec

    return septets.decode("gsm03.38")


def reassemble(submits: list[dict], mode: str) -> tuple[str, list[tuple[int, int, int]]]:
    """(text, [(ref, total, seq)]) rebuilt from what the SMSC received."""
    parts = []
    for sub in submits:
        sm, dcs = sub["short_message"], sub["data_coding"]
        if mode == "udh":
            assert sub["esm_class"] & 0x40
            udhl = sm[0]
            ie = sm[1:1 + udhl]
            if ie[0] == 0x00:
                ref, total, seq = ie[2], ie[3], ie[4]
            else:
                assert ie[0] == 0x08
                ref, total, seq = struct.unpack(">H", ie[2:4])[0], ie[4], ie[5]
            body = sm[1 + udhl:]
        elif mode == "sar":
            t = sub["tlvs"]
            ref = struct.unpack(">H", t[0x020C])[0]
            total, seq = t[0x020E][0], t[0x020F][0]
            body = sm
        else:
            assert sm == b""
            ref, total, seq = 0, 1, 1
            body = sub["tlvs"][0x0424]
        if dcs == 8:
            parts.append((seq, body.decode("utf-16-be", errors="surrogatepass")))
        else:
            assert dcs == 0
            text = gsm_septets_to_text(body)
            parts.append((seq, text))
        parts[-1] = (*parts[-1], (ref, total, seq))
    parts.sort(key=lambda p: p[0])
    joined = "".join(p[1] for p in parts)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in joined):  # a surrogate pair split across parts
        joined = joined.encode("utf-16-be", "surrogatepass").decode("utf-16-be")
    return joined, [p[2] for p in parts]


@pytest.mark.parametrize("mode", ["udh", "sar", "payload"])
@pytest.mark.parametrize(("text", "dcs"), [(GSM_TEXT, 0), (UCS2_TEXT, 8)])
async def test_long_text_by_each_concat_mode(mode, text, dcs):
    stub = await StubSmsc().start()
    s = await SmppSession("127.0.0.1", stub.port, system_id="Aladdin", password="secret").open()
    try:
        ids = await s.send_sms("InfoSMS", "+41793026727", text, concat=mode)
    finally:
        await s.close()
        await stub.stop()
    assert ids == [sub["message_id"] for sub in stub.submits]
    assert all(sub["data_coding"] == dcs for sub in stub.submits)
    assert all(sub["destination_addr"] == "41793026727" for sub in stub.submits)
    assert all((sub["dest_addr_ton"], sub["dest_addr_npi"]) == (1, 1) for sub in stub.submits)
    assert all((sub["source_addr_ton"], sub["source_addr_npi"]) == (5, 0) for sub in stub.submits)
    assert all(sub["registered_delivery"] == 1 for sub in stub.submits)
    if mode == "payload":
        assert len(stub.submits) == 1
    else:
        assert len(stub.submits) > 1
    rebuilt, sar = reassemble(stub.submits, mode)
    assert rebuilt == text
    totals = {t for _, t, _ in sar}
    assert totals == {len(stub.submits)}
    assert [q for _, _, q in sar] == list(range(1, len(stub.submits) + 1))
    assert len({r for r, _, _ in sar}) == 1  # one reference for all parts


async def test_short_text_is_one_plain_part():
    stub = await StubSmsc().start()
    s = await SmppSession("127.0.0.1", stub.port, system_id="Aladdin", password="secret").open()
    try:
        ids = await s.send_sms("38591", "41793026727", "Hello", registered_delivery=0)
    finally:
        await s.close()
        await stub.stop()
    assert len(ids) == 1
    sub = stub.submits[0]
    assert sub["short_message"] == b"Hello" and sub["esm_class"] == 0
    assert (sub["source_addr_ton"], sub["source_addr_npi"]) == (1, 1)
    assert sub["registered_delivery"] == 0


async def test_refused_part_raises_with_status():
    stub = await StubSmsc(reject={"41000000000": 0x0B}).start()
    s = await SmppSession("127.0.0.1", stub.port, system_id="Aladdin", password="secret").open()
    try:
        with pytest.raises(SubmitRejected) as info:
            await s.send_sms("InfoSMS", "41000000000", "Hello")
    finally:
        await s.close()
        await stub.stop()
    assert info.value.status == 0x0B
    assert "ESME_RINVDSTADR" in str(info.value)


def test_build_submits_rejects_unknown_mode_and_picks_ton_npi():
    with pytest.raises(ValueError):
        build_submits("a", "1", "x", concat="smoke")  # type: ignore[arg-type]
    assert default_ton_npi("InfoSMS") == (5, 0)
    assert default_ton_npi("+41793026727") == (1, 1)
    pdus = build_submits("InfoSMS", "41793026727", "x", data_coding=1, source_ton=3)
    assert pdus[0].fields["data_coding"] == 1 and pdus[0].fields["source_addr_ton"] == 3
