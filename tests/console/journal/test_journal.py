"""The journal: append and query every record kind, derived reports, secrets, cases (reopen,
save-as), exports, paging, and a writer process killed with SIGKILL mid-stream."""

from __future__ import annotations

import csv
import json
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.errors import JournalError
from console.http.exchange import HttpExchange, RequestRecord, ResponseRecord, Timings
from console.journal import REPORT_COLUMNS, Journal, export_csv, export_json, export_pcap
from console.reports import DeliveryReport
from console.smpp.events import PduEvent
from console.webhooks import WebhookHit

ROOT = Path(__file__).resolve().parents[3]
SPEC_AUTH = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="


def bind_raw(system_id: bytes = b"smppuser", password: bytes = b"opensesa") -> bytes:
    body = system_id + b"\0" + password + b"\0" + b"\0" + bytes([0x34, 0, 0]) + b"\0"
    return struct.pack(">IIII", 16 + len(body), 0x00000009, 0, 1) + body


def report(mid: str, t: float, *, group: str = "DELIVERED", source: str = "webhook",
           bulk: str | None = None, final: bool = True) -> DeliveryReport:
    return DeliveryReport(message_id=mid, source=source, intermediate=not final, to="41793026727",
                          bulk_id=bulk, status_group=group, status_id=5,
                          status_name="DELIVERED_TO_HANDSET", error_id=0, error_name="NO_ERROR",
                          received_at=t)


def send_exchange(mid: str, t: float) -> HttpExchange:
    body = json.dumps({"bulkId": "B-1", "messages": [
        {"to": "41793026727", "messageId": mid, "smsCount": 1,
         "status": {"groupId": 1, "groupName": "PENDING", "id": 7, "name": "PENDING_ENROUTE"}}]})
    return HttpExchange(
        request=RequestRecord("POST", "http://Aladdin:open%20sesame@127.0.0.1:1/sms/1/text/advanced",
                              [("Authorization", SPEC_AUTH), ("Content-Type", "application/json")],
                              b'{"messages":[]}'),
        response=ResponseRecord(200, "OK", [("Content-Type", "application/json")], body.encode()),
        started=t, timings=Timings(total=0.01))


def dlr_hit(mid: str, t: float) -> WebhookHit:
    body = {"results": [{"bulkId": "B-1", "messageId": mid, "to": "41793026727",
                         "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5,
                                    "name": "DELIVERED_TO_HANDSET"},
                         "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
                                   "permanent": False}}]}
    from console.reports import reports_from_value

    return WebhookHit(time=t, client=("127.0.0.1", 5000), method="POST", path="/dlr", query=[],
                      headers=[("Content-Type", "application/json"),
                               ("Authorization", "Basic c2VjcmV0")],
                      body=json.dumps(body).encode(), kind="dlr", parsed=body,
                      reports=reports_from_value(body, "webhook", received_at=t))


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "case.sqlite")
    yield j
    j.close()


def test_append_every_kind_query_and_rebuild(journal):
    t0 = 1_700_000_000.0
    s1 = journal.append(send_exchange("MID-1", t0))
    s2 = journal.append(dlr_hit("MID-1", t0 + 5))  # also stores its report (s2 + 1)
    s4 = journal.append(PduEvent(t0 + 6, "out", "sess-1", ("127.0.0.1", 4000),
                                 ("127.0.0.1", 2775), bind_raw()))
    s5 = journal.append(report("MID-2", t0 + 7, source="smpp", bulk="B-2"))
    assert (s1, s2, s4, s5) == (1, 2, 4, 5)
    assert journal.flush() == 5 == journal.saved_seq
    assert journal.count() == 5
    assert [journal.count(kind=k) for k in ("http", "webhook", "pdu", "report")] == [1, 1, 1, 2]
    assert [e.seq for e in journal.query(message_id="MID-1")] == [1, 2, 3]
    assert [e.seq for e in journal.query(bulk_id="B-2")] == [5]
    assert [e.seq for e in journal.query(since=t0 + 5, until=t0 + 6.5)] == [2, 3, 4]
    assert [e.seq for e in journal.query(text="DELIVERED_TO_HANDSET", kind="report")] == [3, 5]
    assert journal.count(text="100%_literal") == 0
    assert [e.seq for e in journal.query(descending=True, limit=2)] == [5, 4]
    ex = journal.get(1).record()
    assert isinstance(ex, HttpExchange) and ex.status == 200 and ex.message_ids() == ["MID-1"]
    hit = journal.get(2).record()
    assert isinstance(hit, WebhookHit) and hit.reports[0].message_id == "MID-1"
    rep = journal.get(3).record()
    assert isinstance(rep, DeliveryReport) and rep.source == "webhook"
    assert journal.get(3).data["parent_seq"] == 2
    # the derived report was linked to the appended send: submit time and latency
    assert rep.submitted_at == t0 and rep.latency == pytest.approx(5.0) and rep.submit_door == "http"
    assert journal.get(99) is None


def test_secrets_never_reach_the_file(journal):
    journal.append(send_exchange("MID-1", 1.0))
    journal.append(dlr_hit("MID-1", 2.0))
    journal.append(PduEvent(3.0, "out", "s", ("127.0.0.1", 1), ("127.0.0.1", 2), bind_raw()))
    journal.flush()
    journal.close()
    raw = b"".join(p.read_bytes() for p in journal.path.parent.glob("case.sqlite*"))
    for secret in (SPEC_AUTH.split()[1].encode(), b"open sesame", b"open%20sesame",
                   b"c2VjcmV0", b"opensesa", b"opensesa".hex().encode()):
        assert secret not in raw, secret
    assert b"smppuser".hex().encode() in raw  # the system_id is kept, only the password masked


def test_reports_table_filters_and_keyset_paging(journal):
    groups = ("DELIVERED", "UNDELIVERABLE", "EXPIRED")
    for i in range(3000):
        journal.append(report(f"M{i}", 1000.0 + i, group=groups[i % 3],
                              source=("webhook", "smpp")[i % 2], bulk=f"B{i % 10}",
                              final=i % 5 != 0))
    journal.flush()
    assert journal.count_reports() == 3000
    assert journal.count_reports(status_group="EXPIRED") == 1000
    assert journal.count_reports(source="smpp", status_group="DELIVERED") == 500
    assert journal.count_reports(final=False) == 600
    assert journal.count_reports(bulk_id="B3", since=1000.0, until=1100.0) == 10
    rows = journal.report_rows(message_id="M42")
    assert len(rows) == 1 and dict(zip(REPORT_COLUMNS, rows[0], strict=True))["to_addr"] == "41793026727"
    seen, after = [], 0
    while page := journal.report_rows(after_seq=after, limit=700, status_group="DELIVERED"):
        seen += [r[0] for r in page]
        after = page[-1][0]
    assert len(seen) == 1000 and seen == sorted(seen)
    recs = journal.reports(status_group="UNDELIVERABLE", limit=3)
    assert [r.message_id for r in recs] == ["M1", "M4", "M7"]
    assert journal.report_values("status_group") == ["DELIVERED", "EXPIRED", "UNDELIVERABLE"]
    assert journal.report_values("source") == ["smpp", "webhook"]
    with pytest.raises(JournalError, match="no reports column"):
        journal.report_values("data; DROP TABLE reports")
    timeline = journal.report_timeline(1000.0)
    assert sum(n for _, _, n in timeline) == 3000
    assert {(b, g): n for b, g, n in timeline}[(2000.0, "EXPIRED")] == 333
    assert journal.count_reports(text="M299") == 1 + 10  # M299 and M2990…M2999


def test_a_case_is_reopened_saved_as_and_exported(journal, tmp_path):
    journal.append(send_exchange("MID-1", 10.0))
    journal.append(dlr_hit("MID-1", 11.0))
    journal.append(PduEvent(12.0, "out", "s", ("127.0.0.1", 4000), ("127.0.0.1", 2775),
                            bind_raw()))
    copy = journal.save_as(tmp_path / "copy.sqlite")
    assert export_csv(journal, tmp_path / "events.csv") == 4
    assert export_csv(journal, tmp_path / "reports.csv", reports=True) == 1
    assert export_json(journal, tmp_path / "events.json", kind="http") == 1
    assert export_pcap(journal, tmp_path / "smpp.pcap") == 1
    journal.close()
    with Journal.open(journal.path) as again:
        assert again.count() == 4 and again.last_seq == 4
        assert again.append(report("MID-9", 13.0)) == 5
        assert again.flush() == 5
    with Journal.open(copy) as c:
        assert c.count() == 4 and c.count_reports() == 1
    rows = list(csv.reader((tmp_path / "events.csv").read_text("utf-8").splitlines()))
    assert rows[0][:3] == ["seq", "time", "kind"] and [r[2] for r in rows[1:]] == \
        ["http", "webhook", "report", "pdu"]
    doc = json.loads((tmp_path / "events.json").read_text("utf-8"))
    assert [e["kind"] for e in doc["events"]] == ["http"]
    pcap = (tmp_path / "smpp.pcap").read_bytes()
    assert pcap[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4") and b"smppuser" in pcap
    assert b"opensesa" not in pcap


def test_bad_use_is_a_journal_error(tmp_path, journal):
    with pytest.raises(JournalError, match="no journal"):
        Journal.open(tmp_path / "missing.sqlite")
    with pytest.raises(JournalError, match="cannot journal a dict"):
        journal.append({"not": "a record"})
    with pytest.raises(JournalError, match="unknown kind"):
        journal.query(kind="smtp")
    (tmp_path / "garbage.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(JournalError, match="cannot open journal"):
        Journal(tmp_path / "garbage.sqlite")
    journal.close()
    with pytest.raises(JournalError, match="closed"):
        journal.append(report("x", 1.0))


_WRITER = r"""
import sys, time
from console.journal import Journal
from console.reports import DeliveryReport
from console.smpp.events import PduEvent
j = Journal(sys.argv[1])
i = 0
while True:
    i += 1
    if i % 2:
        j.append(DeliveryReport(message_id=f"M{i}", source="smpp", received_at=time.time(),
                                status_group="DELIVERED"))
    else:
        j.append(PduEvent(time.time(), "in", "s", ("127.0.0.1", 1), ("127.0.0.1", 2), b"x" * 40))
    if i % 500 == 0:
        print(j.saved_seq, flush=True)
"""


def test_writer_killed_with_sigkill_loses_nothing_it_reported_saved(tmp_path):
    path = tmp_path / "killed.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    saved = 0
    try:
        deadline = time.monotonic() + 60
        while saved < 20_000 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "writer died"
            saved = max(saved, int(line))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert saved >= 20_000
    with Journal.open(path) as j:
        n = j.count()
        assert n >= saved
        assert j.count(before_seq=saved + 1) == saved  # every seq 1..saved is there
        assert j.count_reports(before_seq=saved + 1) == (saved + 1) // 2
        assert j.last_seq == n  # no holes: seqs are 1..n


def test_a_journal_left_open_commits_its_queue_at_exit(tmp_path):
    path = tmp_path / "left-open.sqlite"
    code = ("import sys\nfrom console.journal import Journal\nfrom console.reports import "
            "DeliveryReport\nj = Journal(sys.argv[1])\nfor i in range(3000):\n"
            "    j.append(DeliveryReport(message_id=str(i), source='smpp'))\n")
    subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True, timeout=60)
    with Journal.open(path) as j:
        assert j.count() == 3000 == j.count_reports()
