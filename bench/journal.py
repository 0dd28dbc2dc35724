"""Journal append throughput: records/s appended and committed (goal ≥ 50,000/s), against a
bare sqlite3 ``executemany`` of the same rows into an unindexed table in the same run; plus
paged reads over a 1,000,000-row reports table (keyset page and filtered count).

The stream is a message's traffic: four PDU events and one delivery report per message.
A reports-only stream is slower (each report row feeds the reports table's indexes — time,
message id, destination, the quick-filter index — and the filter box's FTS5 index) and is
measured separately while filling the 1M table. A third stream is SMPP traffic as an ESME
session hands it to the journal: PDUs decoded lazily, receipts turned into reports and linked
to their submits by the journal (informational: it adds decoding and receipt parsing).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from pathlib import Path

from console.journal import Journal
from console.reports import DeliveryReport
from console.smpp.events import PduEvent

N = 200_000
BIG = 1_000_000


def _records(n: int) -> list[object]:
    """A message's traffic: four PDU events (submit_sm, its resp, deliver_sm, its resp) and
    one delivery report — one record in five is a report (reports cost more: two tables)."""
    t = time.time()
    out: list[object] = []
    for i in range(n):
        if i % 5 == 4:
            out.append(DeliveryReport(message_id=f"M{i}", source="smpp", to="41793026727",
                                      status_group="DELIVERED", status_id=5,
                                      status_name="DELIVERED_TO_HANDSET", error_id=0,
                                      error_name="NO_ERROR", received_at=t + i * 1e-5))
        else:
            out.append(PduEvent(t + i * 1e-5, "in", "s1", ("127.0.0.1", 40000),
                                ("127.0.0.1", 2775), bytes(60)))
    return out


def _journal_rate(path: Path, records: list[object]) -> float:
    with Journal(path, derive_reports=False) as j:
        t0 = time.perf_counter()
        for r in records:
            j.append(r)
        j.flush(timeout=None)
        return len(records) / (time.perf_counter() - t0)


def _bare_rate(path: Path, records: list[object]) -> float:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t(seq INTEGER PRIMARY KEY, time REAL, data TEXT)")
    t0 = time.perf_counter()
    rows = [(i, 0.0, json.dumps(r.to_dict())) for i, r in enumerate(records)]  # type: ignore[attr-defined]
    for k in range(0, len(rows), 5000):
        conn.executemany("INSERT INTO t VALUES(?,?,?)", rows[k:k + 5000])
        conn.commit()
    rate = len(records) / (time.perf_counter() - t0)
    conn.close()
    return rate


def _saved_latency(path: Path, records: list[object], rate: float = 20_000.0) -> tuple[float, float]:
    """(p99, max) ms from append to commit at a steady ``rate`` (what "saved" lags behind)."""
    appended: list[float] = []
    committed: list[tuple[int, float]] = []
    with Journal(path, derive_reports=False) as j:
        j.subscribe(lambda first, last: committed.append((last, time.perf_counter())))
        t0 = time.perf_counter()
        chunk = 100
        for k in range(0, len(records), chunk):
            for r in records[k:k + chunk]:
                j.append(r)
                appended.append(time.perf_counter())
            pause = t0 + (k + chunk) / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        j.flush(timeout=None)
    lat, c = [], 0
    for seq, t in enumerate(appended, 1):
        while committed[c][0] < seq:
            c += 1
        lat.append((committed[c][1] - t) * 1000)
    lat.sort()
    return lat[int(len(lat) * 0.99)], lat[-1]


def _smpp_stream(n: int) -> list[object]:
    """``n`` messages as a session emits them: submit_sm, submit_sm_resp, the receipt
    (deliver_sm) and its deliver_sm_resp, raw bytes decoded only when read."""
    from console.smpp import Pdu
    from console.smpp.events import DECODE_LAZILY

    local, remote, t = ("127.0.0.1", 40000), ("127.0.0.1", 2775), time.time()
    out: list[object] = []
    for i in range(n):
        mid, dest, seq = format(0x10000 + i, "x"), f"4179302{i % 10000:04d}", i + 1
        receipt = (f"id:{mid} sub:001 dlvrd:001 submit date:2511250830 done date:2511250831 "
                   "stat:DELIVRD err:000 text:Load test").encode()
        for direction, pdu in (
                ("out", Pdu("submit_sm", seq, fields={
                    "source_addr": "InfoSMS", "destination_addr": dest, "registered_delivery": 1,
                    "short_message": f"Load test message {i}".encode()})),
                ("in", Pdu("submit_sm_resp", seq, fields={"message_id": mid})),
                ("in", Pdu("deliver_sm", seq, fields={
                    "source_addr": dest, "destination_addr": "InfoSMS", "esm_class": 4,
                    "short_message": receipt})),
                ("out", Pdu("deliver_sm_resp", seq))):
            out.append(PduEvent.make(t + i * 1e-4, direction, "s1", local, remote, pdu.encode(),
                                     DECODE_LAZILY))
    return out


def _smpp_rate(path: Path, events: list[object]) -> tuple[float, int]:
    """(records/s appended and committed, reports linked to their submit)."""
    with Journal(path) as j:
        t0 = time.perf_counter()
        for e in events:
            j.append(e)
        j.flush(timeout=None)
        rate = j.last_seq / (time.perf_counter() - t0)
        linked = sum(1 for r in j.reports(limit=len(events)) if r.submit_door == "smpp")
    return rate, linked


def _big_reads(path: Path) -> tuple[float, float, float]:
    """(fill rate, ms for a keyset page deep in a filtered view, ms for a filtered count)."""
    groups = ("DELIVERED", "UNDELIVERABLE", "EXPIRED", "PENDING")
    with Journal(path, derive_reports=False, max_batch=20_000) as j:
        t = time.time()
        t0 = time.perf_counter()
        for i in range(BIG):
            j.append(DeliveryReport(message_id=f"M{i}", source=("webhook", "smpp")[i % 2],
                                    to=f"4179302{i % 10000:04d}", status_group=groups[i % 4],
                                    bulk_id=f"B{i % 1000}", received_at=t + i * 1e-3))
        j.flush(timeout=None)
        fill = BIG / (time.perf_counter() - t0)
        after = BIG // 2
        t1 = time.perf_counter()
        page = j.report_rows(after_seq=after, limit=200, status_group="EXPIRED")
        page_ms = (time.perf_counter() - t1) * 1000
        assert len(page) == 200
        t2 = time.perf_counter()
        n = j.count_reports(status_group="EXPIRED")
        count_ms = (time.perf_counter() - t2) * 1000
        assert n > 0
    return fill, page_ms, count_ms


def run() -> list[dict]:
    records = _records(N)
    with tempfile.TemporaryDirectory() as d:
        # best of three for both: the machine is shared, the best run is the least disturbed
        journal = max(_journal_rate(Path(d) / f"j{i}.sqlite", records) for i in range(3))
        bare = max(_bare_rate(Path(d) / f"bare{i}.sqlite", records) for i in range(3))
        p99, worst = _saved_latency(Path(d) / "lat.sqlite", records[:60_000])
        smpp = _smpp_stream(20_000)
        smpp_rate, linked = max(_smpp_rate(Path(d) / f"smpp{i}.sqlite", smpp) for i in range(2))
        fill, page_ms, count_ms = _big_reads(Path(d) / "big.sqlite")
    metrics = [
        {"name": "journal: records appended+committed", "value": journal, "unit": "records/s",
         "baseline": bare, "ratio": journal / bare,
         "goal": "≥ 50,000/s (baseline: bare sqlite executemany, no indexes)"},
        {"name": "journal: append → committed latency p99 at 20,000/s", "value": p99,
         "unit": "ms", "baseline": None, "ratio": None,
         "goal": f"≤ 50 ms (a kill -9 loses at most this much; max seen {worst:.0f} ms)"},
        {"name": "journal: SMPP traffic as a session emits it (4 PDUs + 1 derived, linked "
                 "report per message)", "value": smpp_rate, "unit": "records/s",
         "baseline": None, "ratio": None,
         "goal": f"informational (decoding and receipt parsing included; {linked:,} of "
                 f"{len(smpp) // 4:,} reports linked to their submit)"},
        {"name": "journal: 1M-report fill (reports only, with the filter indexes and FTS)",
         "value": fill,
         "unit": "reports/s", "baseline": None, "ratio": None,
         "goal": "informational (the 50,000/s goal is the mixed stream above)"},
        {"name": "journal: keyset page of 200 (1M reports, filtered)", "value": page_ms,
         "unit": "ms", "baseline": None, "ratio": None, "goal": "< 50 ms"},
        {"name": "journal: count of one status group in 1M reports", "value": count_ms, "unit": "ms",
         "baseline": None, "ratio": None, "goal": "< 150 ms"},
    ]
    for m in metrics:
        ratio = f"  ({m['ratio']:.2f}× baseline {m['baseline']:,.0f})" if m["ratio"] else ""
        print(f"{m['name']}: {m['value']:,.1f} {m['unit']}{ratio}  goal {m['goal']}")
    return metrics


if __name__ == "__main__":
    run()
