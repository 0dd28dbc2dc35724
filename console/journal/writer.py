"""The journal's batch writer: queued records → rows → one transaction (the writer thread's
work; see :class:`console.journal.Journal`).

Rows are inserted with multi-row ``INSERT … VALUES (…),(…)`` statements: SQLite runs a whole
statement without Python's GIL, so the thread appending records keeps running meanwhile
(``executemany`` takes the GIL back after every row, and then waits for it).

One bad record never stops the writer: a record whose row cannot be made, or that SQLite
refuses, is stored by :func:`console.journal.rows.safe_row` (its wire form kept, the reason
in its data) and counted in :attr:`BatchWriter.errors`. Only a failure of the database itself
(disk full, file gone, corruption) ends the writer.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable
from typing import Any

from console.journal.rows import (
    event_row,
    facet_of,
    minimal_row,
    report_row,
    safe_row,
    safe_value,
)
from console.journal.schema import INDEX_TEXT, REPORT_COLUMNS
from console.reports import Correlator, DeliveryReport, Submit

Batch = list[tuple[int, str, Any, int | None]]  # (seq, kind, record, parent seq)
_EVENT_WIDTH = 7
_REPORT_WIDTH = len(REPORT_COLUMNS) + 3  # + summary, data, callback_data
_SUBMIT_WIDTH = 7
# rows per INSERT statement: enough to run SQLite for a while without the GIL, few enough
# that the statement (cached per size) stays small
_CHUNKS = (256, 64, 16, 4, 1)
# submits held in memory by the correlator (~10 MB at most); older ones are read back from
# the submits table
MEMORY_SUBMITS = 20_000


class _Insert:
    """Multi-row INSERT statements for one table (one cached statement per chunk size)."""

    def __init__(self, conn: sqlite3.Connection, head: str, width: int) -> None:
        self.conn = conn
        one = "(" + ",".join("?" * width) + ")"
        self.sql = {n: f"{head} VALUES {','.join([one] * n)}" for n in _CHUNKS}

    def rows(self, rows: list[tuple[Any, ...]]) -> None:
        i, n, chain = 0, len(rows), itertools.chain.from_iterable
        for size in _CHUNKS:
            sql = self.sql[size]
            while n - i >= size:
                self.conn.execute(sql, tuple(chain(rows[i:i + size])))
                i += size

    def row(self, row: tuple[Any, ...]) -> None:
        self.conn.execute(self.sql[1], row)


class SubmitTable:
    """The correlator's store: submits by every spelling of their message id, saved in the
    ``submits`` table with the batch that learned them."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pending: dict[str, Submit] = {}  # learned by the batch being written

    def save(self, keys: list[str], submit: Submit) -> None:
        for key in keys:
            self.pending[key] = submit

    def find(self, keys: list[str]) -> Submit | None:
        for key in keys:
            if key in self.pending:
                return self.pending[key]
        try:
            found = {r[0]: r for r in self.conn.execute(
                "SELECT key, message_id, time, door, to_addr, from_addr, bulk_id FROM submits "
                f"WHERE key IN ({','.join('?' * len(keys))})", keys)}
        except (sqlite3.Error, ValueError, UnicodeEncodeError):  # an id SQLite cannot take
            return None
        for key in keys:
            r = found.get(key)
            if r is not None:
                return Submit(r[1], r[2], r[3], r[4], r[5], r[6])
        return None

    def take(self) -> list[tuple[Any, ...]]:
        rows = [(k, s.message_id, s.time, s.door, s.to, s.from_, s.bulk_id)
                for k, s in self.pending.items()]
        self.pending = {}
        return rows


class PendingReceipt:
    """A received receipt PDU whose DeliveryReport the writer builds (see Journal.append)."""

    __slots__ = ("event",)

    def __init__(self, event: Any) -> None:
        self.event = event

    def build(self) -> DeliveryReport:
        report = DeliveryReport.from_pdu_event(self.event)
        if report is None:
            raise ValueError("the receipt PDU could not be read")
        return report


def _fatal(exc: BaseException) -> bool:
    """True when ``exc`` is the database's failure rather than one row's."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


class BatchWriter:
    """Writes batches of records in one transaction each; owns the write connection."""

    def __init__(self, conn: sqlite3.Connection, *, correlate: bool,
                 on_error: Callable[[str], None], memory_submits: int = MEMORY_SUBMITS) -> None:
        self.conn = conn
        self.correlate = correlate
        self.on_error = on_error
        self.submits = SubmitTable(conn)
        self.correlator = Correlator(memory_submits, store=self.submits)
        self.facets: frozenset[tuple[Any, ...]] = frozenset(
            tuple(r) for r in conn.execute("SELECT DISTINCT * FROM report_facets"))
        self._events = _Insert(conn, "INSERT INTO events", _EVENT_WIDTH)
        self._reports = _Insert(conn, "INSERT INTO reports", _REPORT_WIDTH)
        self._submit_rows = _Insert(conn, "INSERT OR REPLACE INTO submits", _SUBMIT_WIDTH)

    def write(self, batch: Batch) -> None:
        """Store ``batch`` (records in seq order) in one transaction."""
        events: list[tuple[Any, ...]] = []
        reports: list[tuple[Any, ...]] = []
        correlate, correlator = self.correlate, self.correlator
        for seq, kind, record, parent in batch:
            try:
                if kind == "report":
                    if type(record) is PendingReceipt:
                        record = record.build()
                    if correlate and record.latency is None:
                        record = correlator.link(record)
                    reports.append(report_row(seq, record, parent))
                else:
                    if correlate:
                        if kind == "pdu":
                            correlator.add_pdu_event(record)
                        elif kind == "http":
                            correlator.add_exchange(record)
                    events.append(event_row(seq, kind, record, parent))
            except Exception as exc:
                row = self._safe(seq, kind, record, parent, exc)
                (reports if kind == "report" else events).append(row)
        submits = self.submits.take()
        try:
            self._insert(events, reports, submits)
        except Exception as exc:
            self._rollback()
            if _fatal(exc):
                raise
            # a value SQLite refused: find the row(s), store them safely, keep the rest as is
            self._insert_each(events, reports, submits, {item[0]: item for item in batch})

    def _insert(self, events: list[tuple[Any, ...]], reports: list[tuple[Any, ...]],
                submits: list[tuple[Any, ...]]) -> None:
        conn = self.conn
        conn.execute("BEGIN")
        if events:
            self._events.rows(events)
        new = ()
        if reports:
            self._reports.rows(reports)
            conn.execute(INDEX_TEXT, (reports[0][0], reports[-1][0]))
            new = {facet_of(r) for r in reports} - self.facets
            if new:
                conn.executemany("INSERT INTO report_facets VALUES(?,?,?,?)", list(new))
        if submits:
            self._submit_rows.rows(submits)
        conn.execute("COMMIT")
        if new:
            self.facets = self.facets | new

    def _insert_each(self, events: list[tuple[Any, ...]], reports: list[tuple[Any, ...]],
                     submits: list[tuple[Any, ...]], items: dict[int, Any]) -> None:
        conn = self.conn
        conn.execute("BEGIN")
        for insert, rows in ((self._events, events), (self._reports, reports)):
            for i, row in enumerate(rows):
                try:
                    insert.row(row)
                except Exception as exc:
                    if _fatal(exc):
                        raise
                    rows[i] = self._safe(*items[row[0]], exc, insert=insert)
        new: set[tuple[Any, ...]] = set()
        if reports:
            conn.execute(INDEX_TEXT, (reports[0][0], reports[-1][0]))
            new = {tuple(safe_value(v) for v in facet_of(r)) for r in reports} - self.facets
            conn.executemany("INSERT INTO report_facets VALUES(?,?,?,?)", list(new))
        for row in submits:
            try:
                self._submit_rows.row(row)
            except Exception as exc:
                if _fatal(exc):
                    raise
                try:
                    self._submit_rows.row(tuple(safe_value(v) for v in row))
                except Exception as again:
                    if _fatal(again):
                        raise
                    self.on_error(f"a submit of {safe_value(row[1])!r} was not saved: {again}")
        conn.execute("COMMIT")
        if new:
            self.facets = self.facets | new

    def _safe(self, seq: int, kind: str, record: Any, parent: int | None, exc: BaseException,
              *, insert: _Insert | None = None) -> tuple[Any, ...]:
        """The safe row of a record that failed with ``exc`` (inserted when ``insert`` is
        given); the failure is reported through ``on_error``."""
        if type(record) is PendingReceipt:  # keep the receipt PDU's own form
            record = record.event
        reason = safe_value(f"{type(exc).__name__}: {exc}"[:1000])
        row: tuple[Any, ...] = ()
        for make in (safe_row, minimal_row):
            try:
                row = make(seq, kind, record, parent, reason)
                if insert is not None:
                    insert.row(row)
                break
            except Exception as again:
                if _fatal(again) or make is minimal_row:
                    raise
        self.on_error(f"journal record {seq} ({kind}) stored in its raw form: {reason}")
        return row

    def _rollback(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:  # no transaction open: nothing to undo
            pass
