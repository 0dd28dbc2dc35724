"""Exports of a journal (a case): CSV, JSON, and pcap of its SMPP part.

All exports read what is stored, so secrets are already masked (see :mod:`console.redact`).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from console.journal.journal import REPORT_COLUMNS, Journal

_PAGE = 5000
EVENT_COLUMNS = ("seq", "time", "kind", "message_id", "bulk_id", "summary")


def _pages(journal: Journal, **filters: Any):  # type: ignore[no-untyped-def]
    after = 0
    while True:
        rows = journal.query(after_seq=after, limit=_PAGE, **filters)
        if not rows:
            return
        yield rows
        after = rows[-1].seq


def export_csv(journal: Journal, path: str | Path, *, reports: bool = False,
               **filters: Any) -> int:
    """Write events (or, with ``reports=True``, the reports table) as CSV; returns the row count.

    Event rows carry the indexed columns and the record as JSON in a ``data`` column.
    """
    journal.flush()
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        if reports:
            w.writerow(REPORT_COLUMNS)
            after = 0
            while True:
                rows = journal.report_rows(after_seq=after, limit=_PAGE, **filters)
                if not rows:
                    break
                w.writerows(rows)
                n += len(rows)
                after = rows[-1][0]
            return n
        w.writerow((*EVENT_COLUMNS, "data"))
        for page in _pages(journal, **filters):
            for e in page:
                w.writerow((e.seq, e.time, e.kind, e.message_id or "", e.bulk_id or "",
                            e.summary, json.dumps(e.data, ensure_ascii=False)))
            n += len(page)
    return n


def export_json(journal: Journal, path: str | Path, **filters: Any) -> int:
    """Write events as one JSON document ``{"events": [...]}``; returns the event count."""
    journal.flush()
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"events": [\n')
        for page in _pages(journal, **filters):
            for e in page:
                item = {"seq": e.seq, "time": e.time, "kind": e.kind, "message_id": e.message_id,
                        "bulk_id": e.bulk_id, "summary": e.summary, "data": e.data}
                f.write((",\n" if n else "") + json.dumps(item, ensure_ascii=False))
                n += 1
        f.write("\n]}\n")
    return n


def export_pcap(journal: Journal, path: str | Path, **filters: Any) -> int:
    """Write the journal's SMPP PDU events as a ``.pcap`` (Wireshark opens it); returns count."""
    from console.smpp.pcap import PcapWriter

    journal.flush()
    n = 0
    with PcapWriter(path) as pcap:
        for page in _pages(journal, kind="pdu", **filters):
            for e in page:
                pcap.write(e.record())
                n += 1
    return n
