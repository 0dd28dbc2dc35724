"""The journal: append and query every record kind, derived reports, secrets, cases (reopen,
save-as), exports, paging, and a writer process killed with SIGKILL mid-stream."""

from __future__ import annotations

import csv
import json
import os
import re
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


LOCAL, REMOTE = ("127.0.0.1", 40000), ("127.0.0.1", 2775)


def smpp_submit(journal: Journal, seq: int, mid: str, t: float, dest: str) -> None:
    """A submit_sm and its submit_sm_resp, as an ESME session emits them (decoded lazily)."""
    from console.smpp import Pdu
    from console.smpp.events import DECODE_LAZILY

    sm = Pdu("submit_sm", seq, fields={"source_addr": "InfoSMS", "destination_addr": dest,
                                       "short_message": b"hi", "registered_delivery": 1})
    resp = Pdu("submit_sm_resp", seq, fields={"message_id": mid})
    journal.append(PduEvent.make(t, "out", "s1", LOCAL, REMOTE, sm.encode(), DECODE_LAZILY))
    journal.append(PduEvent.make(t + 0.01, "in", "s1", LOCAL, REMOTE, resp.encode(),
                                 DECODE_LAZILY, latency=0.01))


def smpp_receipt(journal: Journal, receipt_id: str, t: float, dest: str) -> None:
    from console.smpp import Pdu
    from console.smpp.events import DECODE_LAZILY

    text = f"id:{receipt_id} sub:001 dlvrd:001 submit date:2511250830 done date:2511250831 " \
           "stat:DELIVRD err:000 text:hi"
    pdu = Pdu("deliver_sm", 900, fields={"source_addr": dest, "destination_addr": "InfoSMS",
                                         "esm_class": 4, "short_message": text.encode()})
    journal.append(PduEvent.make(t, "in", "s1", LOCAL, REMOTE, pdu.encode(), DECODE_LAZILY))


def test_an_old_submit_is_correlated_from_the_file_while_memory_stays_bounded(tmp_path):
    path, t0 = tmp_path / "corr.sqlite", 1_700_000_000.0
    with Journal(path, memory_submits=50) as j:
        for i in range(300):
            smpp_submit(j, i + 1, format(0x1000 + i, "x"), t0 + i, f"4179302{i:04d}")
        # the receipt of the oldest submit spells its id in decimal (0x1000 = 4096)
        smpp_receipt(j, "4096", t0 + 1000, "41793020000")
        smpp_receipt(j, "112b", t0 + 1000, "41793020299")  # the newest: still in memory
        j.flush()
        assert len(j.correlator) == 50  # 300 submits learned, 50 held in memory
        assert j.correlator.waiting == 0  # every submit_sm got its response
        old, new = j.reports(source="smpp")
        assert (old.message_id, old.submit_door, old.submitted_at) == ("4096", "smpp", t0)
        assert old.latency == pytest.approx(1000.0) and old.from_ == "InfoSMS"
        assert (new.submitted_at, new.latency) == (t0 + 299, pytest.approx(701.0))
        assert j.write_errors == 0
    # a case reopened later: a receipt of a submit from the earlier session is still linked
    with Journal.open(path, memory_submits=50) as j:
        assert len(j.correlator) == 0
        smpp_receipt(j, "1005", t0 + 2000, "41793020005")
        j.flush()
        (late,) = j.reports(message_id="1005")
        assert (late.submit_door, late.submitted_at) == ("smpp", t0 + 5)
        assert late.latency == pytest.approx(1995.0)


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for you")

    __repr__ = __str__


def test_bad_records_are_kept_raw_and_the_writer_goes_on(journal):
    t = 1_700_000_000.0
    good = journal.append(report("GOOD-1", t))
    huge = journal.append(DeliveryReport(message_id="HUGE", source="webhook", status_id=10**30,
                                         error_id=-(10**40), price=float("nan"),
                                         latency=float("inf"), received_at=t))
    surrogate = journal.append(report("BAD-\ud800", t))  # a JSON escape a webhook may send
    odd_type = journal.append(DeliveryReport(message_id="ODD", source="webhook",
                                             status_name={"not": "text"}, received_at=t))
    unprintable = journal.append(DeliveryReport(message_id="EVIL", source="webhook",
                                                callback_data=_Unprintable(), received_at=t))
    bad_time = journal.append(PduEvent(float("nan"), "in", "s", ("127.0.0.1", 1),
                                       ("127.0.0.1", 2), b"\x00\x00\x00\x10" + bytes(12)))
    after = [journal.append(report(f"AFTER-{i}", t + i)) for i in range(3)]
    assert journal.flush() == after[-1] == journal.last_seq
    # the writer is alive: every record is there, in order, none lost
    assert journal.count() == journal.last_seq == 9
    assert [r.message_id for r in journal.reports(text="AFTER")] == ["AFTER-0", "AFTER-1", "AFTER-2"]
    assert journal.write_errors == 4  # surrogate, odd type, unprintable, time NaN
    assert "journal_error" not in journal.get(good).data
    # numbers SQLite cannot hold: not an error; exact in the record, NaN/inf as text
    data = journal.get(huge).data
    assert (data["status_id"], data["error_id"]) == (10**30, -(10**40))
    assert (data["price"], data["latency"]) == ("nan", "inf") and "journal_error" not in data
    row = journal.report_rows(message_id="HUGE")[0]
    assert (row[9], row[11]) == (None, None)
    # the others kept in their raw form, with the reason
    bad = journal.get(surrogate).data
    assert "UnicodeEncodeError" in bad["journal_error"] and bad["message_id"] == "BAD-\ud800"
    assert journal.report_rows(message_id="BAD-\\ud800")  # the column holds escaped text
    assert journal.get(odd_type).data["status_name"] == {"not": "text"}
    evil = journal.get(unprintable).data
    assert "no text for you" in evil["journal_error"] and "repr" in evil
    pdu = journal.get(bad_time).data
    assert pdu["raw"] == "00000010" + "00" * 12 and "journal_error" in pdu
    assert journal.last_write_error and "stored in its raw form" in journal.last_write_error


def _fill_for_filters(journal: Journal) -> list[tuple[int, DeliveryReport]]:
    """1,200 reports over every combination of group, source, kind and error."""
    stored = []
    for i in range(1200):
        rep = DeliveryReport(
            message_id=f"M{i}", source=("webhook", "smpp", "http-pull")[i % 3],
            intermediate=i % 4 == 0, to=f"4179302{i % 50:04d}", bulk_id=f"B{i % 7}",
            status_group=("PENDING", "DELIVERED", "UNDELIVERABLE", "EXPIRED")[i % 4],
            status_name="PENDING_ENROUTE" if i % 4 == 0 else "X_" + str(i % 4),
            error_name=("NO_ERROR", "EC_ABSENT_SUBSCRIBER")[(i // 3) % 2],
            callback_data=f"order {i}" if i % 100 == 0 else None, received_at=1000.0 + i)
        stored.append((journal.append(rep), rep))
    journal.flush()
    return stored


def _matches(rep: DeliveryReport, f: dict) -> bool:
    cols = {"status_group": rep.status_group, "source": rep.source, "final": rep.final,
            "error_name": rep.error_name, "message_id": rep.message_id, "to": rep.to,
            "bulk_id": rep.bulk_id}
    return (all(cols[k] == v for k, v in f.items() if k in cols)
            and rep.received_at >= f.get("since", 0) and rep.received_at < f.get("until", 1e18))


@pytest.mark.parametrize("filters", [
    {"status_group": "EXPIRED"}, {"source": "smpp", "final": True},
    {"status_group": "UNDELIVERABLE", "error_name": "EC_ABSENT_SUBSCRIBER"},
    {"status_group": "UNDELIVERABLE", "error_name": "NO_SUCH_ERROR"},  # no combination: no rows
    {"error_name": "NO_ERROR", "final": False, "since": 1100.0, "until": 1900.0},
    {"message_id": "M42", "status_group": "UNDELIVERABLE"}, {"message_id": "M42", "source": "smpp"},
    {"to": "41793020007", "final": True}, {"bulk_id": "B3", "source": "webhook"}, {}])
def test_report_filters_agree_with_the_records_in_every_plan(journal, filters):
    stored = _fill_for_filters(journal)
    expected = [seq for seq, rep in stored if _matches(rep, filters)]
    assert [r[0] for r in journal.report_rows(limit=5000, **filters)] == expected
    assert journal.count_reports(**filters) == len(expected)
    newest = journal.report_rows(limit=7, descending=True, **filters)
    assert [r[0] for r in newest] == expected[::-1][:7]
    if len(expected) > 20:  # keyset paging and offsets inside a filtered view
        mid = expected[len(expected) // 2]
        assert [r[0] for r in journal.report_rows(limit=5, before_seq=mid, descending=True,
                                                  **filters)] == [s for s in expected if s < mid][::-1][:5]
        assert [r[0] for r in journal.report_rows(limit=5, after_seq=mid, **filters)] == \
            [s for s in expected if s > mid][:5]
        assert [r[0] for r in journal.report_rows(limit=3, offset=4, **filters)] == expected[4:7]
    timeline = journal.report_timeline(100.0, **filters)
    assert sum(n for _, _, n in timeline) == len(expected)


def test_text_filter_matches_word_starts_of_ids_numbers_statuses_and_callback_data(journal):
    stored = _fill_for_filters(journal)

    def found(text: str, **more) -> set[str]:
        rows = journal.report_rows(limit=5000, text=text, **more)
        assert journal.count_reports(text=text, **more) == len(rows)
        return {r[2] for r in rows}

    assert found("M12") == {f"M{i}" for i in range(1200) if str(i).startswith("12")}
    assert found("m12") == found("M12")  # case does not matter
    assert found("absent") == {r.message_id for _, r in stored if "ABSENT" in r.error_name}
    assert found("ec_absent subscriber smpp") == {
        r.message_id for _, r in stored if "ABSENT" in r.error_name and r.source == "smpp"}
    assert found("enroute", status_group="PENDING", source="webhook") == {
        r.message_id for _, r in stored if r.intermediate and r.source == "webhook"}
    assert found("order") == {f"M{i}" for i in range(0, 1200, 100)}  # callback data
    assert found("417930200") == {r.message_id for _, r in stored if r.to.startswith("417930200")}
    assert found("nothing-like-this") == set() and found('say "hi"') == set()
    assert found("ABSENT") and not found("BSENT")  # words match from their start
    # no letter or digit to look up: a substring of the summary (every one has an arrow)
    assert len(found("→")) == 1200
    # the newest page of a common word stops early, newest first
    page = journal.report_rows(limit=10, text="M1", descending=True)
    assert [r[2] for r in page] == [f"M{i}" for i in range(1199, 1189, -1)]


def test_quick_filters_read_indexes_not_the_table(journal):
    import sqlite3

    from console.journal.report_query import Plan
    from console.journal.schema import REPORT_COLUMNS as COLUMNS

    _fill_for_filters(journal)
    facets = journal.report_facets
    conn = sqlite3.connect(journal.path)
    cases = {"facets": {"status_group": "EXPIRED", "source": "smpp"},
             "text": {"text": "absent", "final": True},
             "exact": {"to": "41793020007", "status_group": "EXPIRED"}}
    for kind, filters in cases.items():
        plan = Plan(filters, facets)
        assert plan.kind == kind
        sql, args = plan.rows(COLUMNS, limit=500, descending=True)
        steps = " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, args))
        assert not re.search(r"\bSCAN r\b(?! USING)", steps), steps  # no full table scan
        assert "TEMP B-TREE" not in steps or kind == "facets", steps  # no sort of all matches
        assert {"facets": "reports_facet", "text": "report_text",
                "exact": "reports_to"}[kind] in steps, steps
    conn.close()


_SCHEMA_1 = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE events(seq INTEGER PRIMARY KEY, time REAL NOT NULL, kind TEXT NOT NULL,
    message_id TEXT, bulk_id TEXT, summary TEXT, data TEXT NOT NULL);
CREATE INDEX events_time ON events(time);
CREATE INDEX events_kind_time ON events(kind, time);
CREATE TABLE reports(seq INTEGER PRIMARY KEY, time REAL NOT NULL, message_id TEXT, bulk_id TEXT,
    to_addr TEXT, from_addr TEXT, source TEXT, final INTEGER, status_group TEXT,
    status_id INTEGER, status_name TEXT, error_id INTEGER, error_name TEXT,
    permanent INTEGER, done_at TEXT, latency REAL, summary TEXT, data TEXT NOT NULL);
CREATE INDEX reports_status ON reports(status_group);
CREATE INDEX reports_source ON reports(source);
INSERT INTO meta VALUES('schema', '1');
"""


def test_a_case_written_by_schema_1_is_upgraded_on_open(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(_SCHEMA_1)
    old = [report("OLD-1", 10.0, group="EXPIRED"), report("OLD-2", 11.0, source="smpp")]
    for seq, r in enumerate(old, 1):
        data = r.to_dict() | {"callback_data": f"cb{seq}"}
        conn.execute("INSERT INTO reports VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     (seq, r.received_at, r.message_id, None, r.to, None, r.source, 1,
                      r.status_group, 5, r.status_name, 0, r.error_name, 0, None, None,
                      r.summary(), json.dumps(data)))
    conn.execute("INSERT INTO reports VALUES(3,12.0,'NAN',NULL,NULL,NULL,'webhook',1,'DELIVERED',"
                 "5,NULL,0,NULL,NULL,NULL,NULL,'x','{\"price\": NaN}')")  # old files may hold NaN
    conn.commit()
    conn.close()
    with Journal.open(path) as j:
        assert j.count_reports() == 3
        assert [r[2] for r in j.report_rows(status_group="EXPIRED")] == ["OLD-1"]
        assert [r[2] for r in j.report_rows(text="cb2")] == ["OLD-2"]
        assert [r[2] for r in j.report_rows(text="old")] == ["OLD-1", "OLD-2"]
        assert j.report_values("source") == ["smpp", "webhook"]
        assert j.append(report("NEW-1", 13.0)) == 4
        j.flush()
        assert [r[2] for r in j.report_rows(status_group="DELIVERED")] == ["OLD-2", "NAN", "NEW-1"]
    names = {r[0] for r in sqlite3.connect(path).execute(
        "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "reports_facet" in names and "reports_status" not in names


def test_receipts_become_reports_and_other_deliver_sm_do_not(journal):
    from console.smpp import Pdu, Tlv
    from console.smpp.events import DECODE_LAZILY

    def deliver(command: str, esm: int, text: bytes, tlvs: list | None = None) -> bytes:
        return Pdu(command, 7, fields={"source_addr": "41793026727", "destination_addr": "InfoSMS",
                                       "esm_class": esm, "short_message": text},
                   tlvs=tlvs or []).encode()

    receipt = b"id:R1 sub:001 dlvrd:001 submit date:2511250830 done date:2511250831 stat:DELIVRD err:000"
    raws = {
        "receipt": deliver("deliver_sm", 0x04, receipt),
        "intermediate": deliver("deliver_sm", 0x20, receipt.replace(b"R1", b"R2").replace(
            b"DELIVRD", b"ENROUTE")),
        "mo": deliver("deliver_sm", 0x00, b"hello from a handset"),
        "tlv only": deliver("deliver_sm", 0x00, receipt.replace(b"R1", b"R3"),
                            [Tlv(0x001E, b"R3\0"), Tlv(0x0427, bytes([2]))]),
        "truncated": deliver("deliver_sm", 0x04, receipt)[:30],
    }
    raws["broken"] = raws["receipt"][:-1] + b""  # length field no longer matches: undecodable
    for raw in raws.values():
        journal.append(PduEvent.make(1.0, "in", "s", LOCAL, REMOTE, raw, DECODE_LAZILY))
    journal.append(PduEvent.make(1.0, "out", "s", LOCAL, REMOTE, raws["receipt"], DECODE_LAZILY))
    journal.flush()
    reports = journal.reports(limit=100)
    good = [r for r in reports if r.message_id]
    assert [(r.message_id, r.intermediate) for r in good] == [("R1", False), ("R2", True),
                                                              ("R3", False)]
    # the broken one looked like a receipt but could not be read: kept raw, counted
    assert journal.write_errors == 1 and len(reports) == 4
    (broken,) = journal.query(kind="report", text="journal_error")
    assert broken.data["raw"] == raws["broken"].hex()
    assert journal.count() == journal.last_seq == 7 + 4
