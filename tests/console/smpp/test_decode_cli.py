"""``infobip-console decode``, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from console.smpp import Pdu, Tlv

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", "decode", *args], cwd=ROOT,
                          capture_output=True, text=True, input=stdin, timeout=60)


DELIVER = Pdu("deliver_sm", 9, {"source_addr": "38591", "destination_addr": "InfoSMS",
                                "esm_class": 4,
                                "short_message": b"id:1 sub:001 dlvrd:001 stat:DELIVRD err:000"},
              [Tlv(0x001E, "1"), Tlv(0x1403, b"219101100935850"), Tlv(0x7777, b"\x01")]).encode()


def test_json_output() -> None:
    p = run(DELIVER.hex(), "--json")
    assert p.returncode == 0, p.stderr
    obj = json.loads(p.stdout)
    assert obj["command"] == "deliver_sm" and obj["sequence_number"] == 9
    assert obj["command_status"] == {"value": 0, "name": "ESME_ROK"}
    assert obj["fields"]["source_addr"] == "38591" and obj["fields"]["esm_class"] == 4
    tl = {t["tag"]: t for t in obj["tlvs"]}
    assert tl[0x1403]["name"] == "imsi" and tl[0x1403]["value"] == "219101100935850"
    assert tl[0x001E]["value"] == "1" and tl[0x7777]["name"] == "unknown (0x7777)"
    assert tl[0x001E]["offset"] == len(DELIVER) - 4 - 1 - 4 - 15 - 4 - 2
    assert obj["warnings"] == [] and obj["raw"] == DELIVER.hex()
    assert obj["message"]["text"].startswith("id:1 sub:001")
    assert obj["receipt"]["stat"] == "DELIVRD" and obj["receipt"]["receipted_message_id"] == "1"


def test_json_spans() -> None:
    p = run(DELIVER.hex(), "--json", "--spans")
    spans = json.loads(p.stdout)["spans"]
    assert [s["name"] for s in spans[:4]] == ["command_length", "command_id", "command_status",
                                              "sequence_number"]
    imsi = next(s for s in spans if s["name"] == "imsi")
    assert [c["name"] for c in imsi["children"]] == ["tag", "length", "value"]
    assert spans[-1]["offset"] + spans[-1]["length"] == len(DELIVER)


def test_tree_output_several_pdus_in_one_argument() -> None:
    two = Pdu("enquire_link", 1).encode() + Pdu("submit_sm_resp", 2, {"message_id": "m9"}).encode()
    spaced = " ".join(f"{b:02x}" for b in two)
    p = run(spaced)
    assert p.returncode == 0, p.stderr
    assert "enquire_link (0x00000015)  seq 1" in p.stdout
    assert "[0010+3] message_id: 'm9'" in p.stdout


def test_stdin_and_json_lines() -> None:
    p = run("-", "--json", stdin=Pdu("unbind", 4).encode().hex() + "\n"
            + Pdu("unbind_resp", 4).encode().hex() + "\n")
    assert [json.loads(line)["command"] for line in p.stdout.splitlines()] == ["unbind", "unbind_resp"]
    spaced = " ".join(f"{b:02x}" for b in Pdu("enquire_link", 8).encode())
    p = run("-", "--json", stdin=spaced[:20] + "\n" + spaced[20:])
    assert json.loads(p.stdout)["sequence_number"] == 8


def test_bad_input() -> None:
    p = run("zz")
    assert p.returncode == 1 and "not hex" in p.stderr
    short = run("0000001000000015", "--json")
    assert short.returncode == 1
    assert "a 16-byte header" in json.loads(short.stdout)["error"]
    trailing = run(Pdu("enquire_link", 1).encode().hex() + "00000010", "--json")
    assert trailing.returncode == 1
    assert "do not form a whole PDU" in json.loads(trailing.stdout.splitlines()[-1])["error"]
    warn = run("0000001480000004000000000000000161626364", "--json")
    assert warn.returncode == 0
    assert json.loads(warn.stdout)["warnings"] == [
        "message_id: C-string without NUL terminator at offset 16"]
    assert run().returncode == 2
    missing = run("--pcap", "/nonexistent/capture.pcap")
    assert missing.returncode == 2 and missing.stderr.startswith("error:")


def test_pcap_input(tmp_path: Path) -> None:
    from console.smpp.events import PduEvent
    from console.smpp.pcap import write_events

    esme, smsc = ("127.0.0.1", 40001), ("127.0.0.1", 2775)
    events = [PduEvent(1_700_000_000.0 + i, d, "s1", esme, smsc, raw, None, None, None)
              for i, (d, raw) in enumerate([("out", Pdu("enquire_link", 1).encode()),
                                            ("in", Pdu("enquire_link_resp", 1).encode()),
                                            ("in", DELIVER)])]
    path = tmp_path / "cap.pcap"
    write_events(path, events)
    p = run("--pcap", str(path), "--json")
    assert p.returncode == 0, p.stderr
    objs = [json.loads(line) for line in p.stdout.splitlines()]
    assert [o["command"] for o in objs] == ["enquire_link", "enquire_link_resp", "deliver_sm"]
    assert objs[0]["direction"] == "out" and objs[2]["direction"] == "in"
