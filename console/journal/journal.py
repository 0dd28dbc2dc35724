"""The journal: every HTTP exchange, webhook hit, SMPP PDU event and delivery report, in SQLite.

A journal file is a *case*: open it again later (``Journal(path)``), save a copy
(:meth:`Journal.save_as`), export it (:mod:`console.journal.export`).

Writing. :meth:`Journal.append` only queues the record and returns its sequence number; a
background writer thread turns queued records into rows and commits them in batches
(:mod:`console.journal.writer`): a batch is committed ``flush_interval`` (10 ms) after its
first record arrived, or as soon as it holds ``max_batch`` records, or at once when
:meth:`Journal.flush` waits. One commit per interval matters: every commit rewrites the index
pages it touched. A record that cannot be stored as it is (text SQLite cannot encode, a
failing ``to_dict``, …) is stored in its raw form with the reason and counted in
:attr:`Journal.write_errors`; it never stops the writer (numbers beyond 64 bits are no error:
see :mod:`console.journal.rows`).

Durability. The database runs in WAL mode with ``synchronous=NORMAL``: a committed batch is in
the operating system's hands and survives the process being killed (``kill -9``); a kill loses
only records not yet committed — the batch being collected or written, at most ≤ 50 ms of
traffic (10 ms of collecting plus the commit; WAL checkpoints, which fsync, run in a thread of
their own so they never hold a commit back; ``bench/journal.py`` measures the lag).
:attr:`Journal.saved_seq` is the highest sequence number committed, and every record with a
lower one is committed too, so a UI showing "saved" for ``seq <= saved_seq`` never lies. A
power cut can additionally lose the last commits since the WAL was synced; pass
``durable=True`` (``synchronous=FULL``) to close that gap at some cost in speed. Appending
never blocks unless ``max_pending`` records are queued (the disk cannot keep up): then it
waits, so memory stays bounded.

Derived records. Appending an exchange of ``/sms/1/reports``, a webhook hit carrying reports or
a ``deliver_sm`` receipt also appends the :class:`~console.reports.DeliveryReport` s inside it
(kind "report"). The writer links every report to its submit with the journal's
:class:`~console.reports.Correlator`, which learns submits from appended HTTP send responses
and ``submit_sm_resp`` events; it holds the recent ones in memory and finds older ones in the
file's ``submits`` table. Do not append those reports yourself as well. Secrets never reach
the file: every record is stored through its ``to_dict()``, which masks credentials
(:mod:`console.redact`).

Reading. :meth:`Journal.query` reads every kind; :meth:`Journal.report_rows` and its siblings
read the reports table with the DLR viewer's filters, each served by an index
(:mod:`console.journal.report_query`).
"""

from __future__ import annotations

import atexit
import json
import logging
import shutil
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.errors import JournalError
from console.journal import schema
from console.journal.report_query import Plan, check_column, like_pattern
from console.journal.schema import FACET_COLUMNS, KINDS, REPORT_COLUMNS, SCHEMA_VERSION
from console.journal.writer import MEMORY_SUBMITS, BatchWriter, PendingReceipt
from console.reports import Correlator, DeliveryReport

__all__ = ["KINDS", "REPORT_COLUMNS", "SCHEMA_VERSION", "Journal", "JournalEntry", "kind_of"]

log = logging.getLogger(__name__)
# SQLite's page cache per connection: the writer's holds the index pages that appends touch
# (a smaller one makes every append into a big journal read pages back); readers page through
# indexes and need little. The OS caches the rest of the file. 64 MB per connection made the
# app's memory grow with its journal.
WRITER_CACHE_KB = 32_768
READER_CACHE_KB = 8_192
# command ids of the PDUs that can carry a delivery receipt (deliver_sm, data_sm)
_RECEIPT_COMMANDS = (0x00000005, 0x00000103)
# esm_class message types (bits 2-5): SMSC delivery receipt, intermediate notification
_RECEIPT_ESM = (0x04, 0x20)
# the first write errors are logged one by one, then one in this many
_LOG_EVERY = 1000


@dataclass(frozen=True)
class JournalEntry:
    """One stored event; :meth:`record` rebuilds the original record object."""

    seq: int
    time: float
    kind: str
    message_id: str | None
    bulk_id: str | None
    summary: str
    data: dict[str, Any]

    def record(self) -> Any:
        """The HttpExchange / WebhookHit / PduEvent / DeliveryReport this row was made from."""
        return _from_dict(self.kind, self.data)


def _from_dict(kind: str, data: dict[str, Any]) -> Any:
    if kind == "http":
        from console.http.exchange import HttpExchange

        return HttpExchange.from_dict(data)
    if kind == "webhook":
        from console.webhooks.listener import WebhookHit

        return WebhookHit.from_dict(data)
    if kind == "pdu":
        from console.smpp.events import PduEvent

        return PduEvent.from_dict(data)
    if kind == "report":
        return DeliveryReport.from_dict(data)
    return data


_KIND_NAMES = {"HttpExchange": "http", "WebhookHit": "webhook", "PduEvent": "pdu",
               "DeliveryReport": "report"}
_kinds: dict[type, str] = {}


def kind_of(record: Any) -> str:
    """The journal kind of a record object."""
    cls = type(record)
    kind = _kinds.get(cls)
    if kind is None:
        kind = _KIND_NAMES.get(cls.__name__)
        if kind is None:
            raise JournalError(f"cannot journal a {cls.__name__}: expected HttpExchange, "
                               "WebhookHit, PduEvent or DeliveryReport")
        _kinds[cls] = kind
    return kind


class Journal:
    """An append-only SQLite journal with a background writer (see the module docstring)."""

    def __init__(self, path: str | Path | None = None, *, durable: bool = False,
                 max_batch: int = 2000, max_pending: int = 500_000,
                 flush_interval: float = 0.01, derive_reports: bool = True,
                 memory_submits: int = MEMORY_SUBMITS) -> None:
        """``memory_submits``: how many recent submits the correlator holds in memory (older
        ones are read from the file when a report needs them)."""
        if path is None:
            from console.paths import data_dir

            path = data_dir() / f"journal-{time.strftime('%Y%m%d-%H%M%S')}.sqlite"
        self.path = Path(path)
        self.max_batch, self.max_pending = max_batch, max_pending
        self.flush_interval = flush_interval
        self.derive_reports = derive_reports
        self.write_errors = 0  # records stored in their raw form (see the module docstring)
        self.last_write_error: str | None = None
        self._errors_lock = threading.Lock()
        opened: list[sqlite3.Connection] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._wconn = self._connect(durable, WRITER_CACHE_KB)
            opened.append(self._wconn)
            # checkpoints (the fsyncs) run in their own thread, never inside a batch's commit
            self._wconn.execute("PRAGMA wal_autocheckpoint=0")
            schema.create(self._wconn)
            self._batches = BatchWriter(self._wconn, correlate=derive_reports,
                                        memory_submits=memory_submits,
                                        on_error=self._note_error)
            self._rconn = self._connect(durable, READER_CACHE_KB)
            opened.append(self._rconn)
            last = self._rconn.execute(
                "SELECT max(coalesce((SELECT max(seq) FROM events), 0),"
                " coalesce((SELECT max(seq) FROM reports), 0))").fetchone()[0] or 0
        except (sqlite3.Error, OSError) as exc:
            for conn in opened:
                conn.close()
            raise JournalError(f"cannot open journal {self.path}: {exc}") from None
        self._seq = last
        self._saved = last
        self._pending: list[tuple[int, str, Any, int | None]] = []
        self._cond = threading.Condition()
        self._rlock = threading.Lock()
        self._closing = False
        self._urgent = False  # flush() is waiting: commit without coalescing
        self._first_pending = 0.0  # monotonic time the oldest queued record arrived
        self._error: BaseException | None = None
        self._subscribers: list[Callable[[int, int], Any]] = []
        self._writer = threading.Thread(target=self._run, name=f"journal-writer {self.path.name}",
                                        daemon=True)
        self._writer.start()
        self._stop_checkpoints = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoints, daemon=True,
                                              name=f"journal-checkpoint {self.path.name}")
        self._checkpointer.start()
        # a journal left open at interpreter exit still commits what it queued
        atexit.register(_close_at_exit, weakref.ref(self))

    def _connect(self, durable: bool, cache_kb: int) -> sqlite3.Connection:
        # autocommit mode: the writer opens and commits its transactions itself
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0,
                               isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        conn.execute(f"PRAGMA cache_size=-{cache_kb}")
        return conn

    @property
    def correlator(self) -> Correlator:
        """The correlator the writer links reports with (used by the writer thread only)."""
        return self._batches.correlator

    @property
    def report_facets(self) -> frozenset[tuple[Any, ...]]:
        """Every stored combination of the quick-filter values (status_group, source, final,
        error_name) — a few hundred at most."""
        return self._batches.facets

    @classmethod
    def open(cls, path: str | Path, **kwargs: Any) -> Journal:
        """Open an existing journal file (a case); raises JournalError if it does not exist."""
        if not Path(path).exists():
            raise JournalError(f"no journal at {path}")
        return cls(path, **kwargs)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    @property
    def saved_seq(self) -> int:
        """Every record with ``seq <= saved_seq`` is committed to the file."""
        return self._saved

    @property
    def last_seq(self) -> int:
        """The sequence number of the last appended record (saved or not)."""
        return self._seq

    def append(self, record: Any) -> int:
        """Queue ``record`` (and the reports derived from it); returns its sequence number."""
        kind = _kinds.get(type(record)) or kind_of(record)
        derived = self._derive(kind, record) if self.derive_reports and kind != "report" else ()
        with self._cond:
            if self._error is not None:
                raise JournalError(f"journal writer failed: {self._error}")
            if self._closing:
                raise JournalError("journal is closed")
            pending = self._pending
            while len(pending) >= self.max_pending:  # back-pressure, never unbounded
                self._cond.wait(0.05)
            if not pending:
                self._first_pending = time.monotonic()
                self._cond.notify_all()
            seq = self._seq = self._seq + 1
            pending.append((seq, kind, record, None))
            for rep in derived:
                self._seq += 1
                pending.append((self._seq, "report", rep, seq))
        return seq

    def append_many(self, records: Iterable[Any]) -> int:
        """Append several records; returns the last sequence number."""
        seq = self._seq
        for r in records:
            seq = self.append(r)
        return seq

    def _derive(self, kind: str, record: Any) -> list[Any]:
        """The reports a record carries (linked to their submits later, by the writer). A
        receipt recognised from its raw bytes is read by the writer thread (parsing one costs
        tens of microseconds the appending thread, often the UI's, need not spend)."""
        try:
            if kind == "pdu":
                if record.direction != "in":
                    return []
                receipt = _is_receipt(record.raw)
                if receipt:
                    return [PendingReceipt(record)]
                if receipt is False:
                    return []  # not a receipt: leave a lazily decoded PDU undecoded here
                rep = DeliveryReport.from_pdu_event(record)
                return [rep] if rep is not None else []
            if kind == "webhook":
                return list(record.reports)
            if kind == "http" and record.ok and \
                    record.request.url.split("?", 1)[0].endswith("/sms/1/reports"):
                from console.reports import reports_from_value

                return reports_from_value(record.response_value(), "http-pull",
                                          received_at=record.started)
        except Exception as exc:  # the record itself is still journaled
            self._note_error(f"no reports derived from a {kind} record: "
                             f"{type(exc).__name__}: {exc}")
        return []

    def _note_error(self, message: str) -> None:
        with self._errors_lock:
            self.write_errors += 1
            self.last_write_error = message
            n = self.write_errors
        if n <= 20 or n % _LOG_EVERY == 0:
            log.warning("%s (%d journal write error(s) so far)", message, n)

    def flush(self, timeout: float | None = 10.0) -> int:
        """Wait until everything appended so far is committed; returns :attr:`saved_seq`."""
        target = self._seq
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._urgent = True
            self._cond.notify_all()
            while self._saved < target and self._error is None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise JournalError(f"journal flush timed out ({self._saved}/{target} saved)")
                self._cond.wait(left)
            if self._error is not None:
                raise JournalError(f"journal writer failed: {self._error}")
        return self._saved

    def subscribe(self, callback: Callable[[int, int], Any]) -> Callable[[], None]:
        """Call ``callback(first_seq, last_seq)`` after each commit (in the writer thread)."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def close(self) -> None:
        """Commit what is queued, stop the writer and close the file."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._cond.notify_all()
        self._writer.join()
        self._stop_checkpoints.set()
        self._checkpointer.join()
        with self._rlock:
            self._rconn.close()
        try:  # leave one tidy file behind (the WAL folded in), when no reader holds it open
            self._wconn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass
        self._wconn.close()

    def _checkpoints(self, every: float = 0.5) -> None:
        """Fold the WAL into the database now and then, off the writer's path."""
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0)
        try:
            while not self._stop_checkpoints.wait(every):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:  # busy or closing: the next round will do it
                    pass
        finally:
            conn.close()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                if not self._pending and self._closing:
                    return
                # coalesce: one commit per flush_interval at most (unless the batch is full or
                # someone waits in flush()); each commit rewrites the touched index pages
                deadline = self._first_pending + self.flush_interval
                while (len(self._pending) < self.max_batch and not self._closing
                       and not self._urgent and (now := time.monotonic()) < deadline):
                    self._cond.wait(deadline - now)
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                if self._pending:
                    self._first_pending = time.monotonic()
                else:
                    self._urgent = False
                self._cond.notify_all()  # wake appenders held by back-pressure
            try:
                self._batches.write(batch)
            except BaseException as exc:  # the database failed: append()/flush() report it
                log.error("journal %s: writer stopped: %s", self.path, exc)
                with self._cond:
                    self._error = exc
                    self._cond.notify_all()
                return
            with self._cond:
                self._saved = batch[-1][0]
                self._cond.notify_all()
            for cb in list(self._subscribers):
                try:
                    cb(batch[0][0], batch[-1][0])
                except Exception:
                    log.exception("journal subscriber failed")

    # ------------------------------------------------------------------ reading

    @staticmethod
    def _common(since: float | None, until: float | None, message_id: str | None,
                bulk_id: str | None, text: str | None, after_seq: int | None,
                before_seq: int | None) -> tuple[list[str], list[Any]]:
        clauses, args = [], []
        for col, op, val in (("time", ">=", since), ("time", "<", until),
                             ("message_id", "=", message_id), ("bulk_id", "=", bulk_id),
                             ("seq", ">", after_seq), ("seq", "<", before_seq)):
            if val is not None:
                clauses.append(f"{col} {op} ?")
                args.append(val)
        if text:
            clauses.append("(summary LIKE ? ESCAPE '\\' OR data LIKE ? ESCAPE '\\')")
            pat = like_pattern(text)
            args += [pat, pat]
        return clauses, args

    def _select(self, columns: str, report_columns: str, *, kind: str | Iterable[str] | None = None,
                since: float | None = None, until: float | None = None,
                message_id: str | None = None, bulk_id: str | None = None,
                text: str | None = None, after_seq: int | None = None,
                before_seq: int | None = None) -> tuple[list[str], list[list[Any]]]:
        """One SELECT per table holding the requested kinds, with their arguments."""
        kinds = set(KINDS if kind is None else [kind] if isinstance(kind, str) else kind)
        unknown = kinds - set(KINDS)
        if unknown:
            raise JournalError(f"unknown kind(s) {sorted(unknown)}; one of {', '.join(KINDS)}")
        common, cargs = self._common(since, until, message_id, bulk_id, text, after_seq,
                                     before_seq)
        selects, args = [], []
        event_kinds = sorted(kinds - {"report"})
        if event_kinds:
            clauses = list(common)
            kargs: list[Any] = []
            if len(event_kinds) < len(KINDS) - 1:
                clauses.insert(0, f"kind IN ({','.join('?' * len(event_kinds))})")
                kargs = list(event_kinds)
            where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
            selects.append(f"SELECT {columns} FROM events{where}")
            args.append([*kargs, *cargs])
        if "report" in kinds:
            where = (" WHERE " + " AND ".join(common)) if common else ""
            selects.append(f"SELECT {report_columns} FROM reports{where}")
            args.append(list(cargs))
        return selects, args

    def _read(self, sql: str, args: list[Any]) -> list[tuple[Any, ...]]:
        try:
            with self._rlock:
                return self._rconn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise JournalError(f"journal query failed: {exc}") from None

    def query(self, *, limit: int = 1000, offset: int = 0, descending: bool = False,
              **filters: Any) -> list[JournalEntry]:
        """Stored records matching the filters, by sequence number.

        Filters: ``kind`` (one or several of "http", "webhook", "pdu", "report"), ``since`` /
        ``until`` (epoch seconds), ``message_id``, ``bulk_id``, ``text`` (substring of the
        summary or data), ``after_seq`` / ``before_seq`` (keyset paging: fast at any depth).
        """
        selects, args = self._select("seq, time, kind, message_id, bulk_id, summary, data",
                                     "seq, time, 'report', message_id, bulk_id, summary, data",
                                     **filters)
        order = "DESC" if descending else "ASC"
        sql = " UNION ALL ".join(selects) + f" ORDER BY seq {order} LIMIT ? OFFSET ?"
        rows = self._read(sql, [a for part in args for a in part] + [limit, offset])
        return [JournalEntry(r[0], r[1], r[2], r[3], r[4], r[5] or "", json.loads(r[6]))
                for r in rows]

    def count(self, **filters: Any) -> int:
        """How many stored records match the filters of :meth:`query`."""
        selects, args = self._select("count(*)", "count(*)", **filters)
        return sum(int(self._read(sql, a)[0][0]) for sql, a in zip(selects, args, strict=True))

    def get(self, seq: int) -> JournalEntry | None:
        """The event with sequence number ``seq``."""
        rows = self.query(after_seq=seq - 1, before_seq=seq + 1, limit=1)
        return rows[0] if rows else None

    def records(self, **filters: Any) -> list[Any]:
        """Like :meth:`query` but rebuilt into record objects."""
        return [e.record() for e in self.query(**filters)]

    def _plan(self, filters: dict[str, Any]) -> Plan:
        return Plan(filters, self.report_facets)

    def report_values(self, column: str) -> list[Any]:
        """The distinct values of a reports column (for quick-filter menus), sorted."""
        check_column(column)
        if column in FACET_COLUMNS:  # known without reading the table
            i = FACET_COLUMNS.index(column)
            values = {f[i] for f in self.report_facets if f[i] is not None}
            return sorted(values, key=lambda v: (type(v).__name__, v))
        rows = self._read(f"SELECT DISTINCT {column} FROM reports WHERE {column} IS NOT NULL "
                          f"ORDER BY {column}", [])
        return [r[0] for r in rows]

    def report_timeline(self, bucket: float = 60.0, **filters: Any
                        ) -> list[tuple[float, str, int]]:
        """(bucket start, status group, count) of the reports matching the filters of
        :meth:`report_rows`, for a timeline chart; counted in SQL, not in Python."""
        statement = self._plan(filters).timeline(bucket)
        if statement is None:
            return []
        return [(b * bucket, g or "", n) for b, g, n in self._read(*statement)]

    def report_rows(self, *, limit: int = 1000, offset: int = 0, descending: bool = False,
                    **filters: Any) -> list[tuple[Any, ...]]:
        """Rows of the reports table (columns :data:`REPORT_COLUMNS`) for the DLR viewer.

        Filters: since, until, message_id, bulk_id, to, source, status_group, final,
        error_name, text (words that start words of the report's ids, numbers, source,
        status, error or callback data; see :mod:`console.journal.report_query`),
        after_seq / before_seq (keyset paging: ``after_seq=last row's seq`` reads the next
        page at any depth). Every filter reads an index, on a million reports too.
        """
        statement = self._plan(filters).rows(REPORT_COLUMNS, limit=limit, offset=offset,
                                             descending=descending)
        return [] if statement is None else self._read(*statement)

    def count_reports(self, **filters: Any) -> int:
        """How many stored reports match the filters of :meth:`report_rows`."""
        statement = self._plan(filters).count()
        return 0 if statement is None else int(self._read(*statement)[0][0] or 0)

    def reports(self, *, limit: int = 1000, offset: int = 0, descending: bool = False,
                **filters: Any) -> list[DeliveryReport]:
        """Stored reports as DeliveryReport records (filters of :meth:`report_rows`)."""
        statement = self._plan(filters).rows(("data",), limit=limit, offset=offset,
                                             descending=descending)
        rows = [] if statement is None else self._read(*statement)
        return [DeliveryReport.from_dict(json.loads(r[0])) for r in rows]

    # ------------------------------------------------------------------ files

    def save_as(self, path: str | Path) -> Path:
        """Write a consistent copy of the journal (everything appended so far) to ``path``."""
        self.flush()
        path = Path(path)
        if path.resolve() == self.path.resolve():
            return path
        tmp = path.with_name(path.name + ".tmp")
        try:
            dest = sqlite3.connect(tmp)
            with self._rlock:
                self._rconn.backup(dest)
            dest.close()
            shutil.move(tmp, path)
        except (sqlite3.Error, OSError) as exc:
            raise JournalError(f"cannot save journal to {path}: {exc}") from None
        return path


def _is_receipt(raw: bytes) -> bool | None:
    """Whether a received PDU is a delivery receipt, read from its bytes without decoding it:
    True for a deliver_sm / data_sm whose esm_class says receipt or intermediate notification,
    False for any other command, None when only decoding can tell (a receipted_message_id
    TLV without those esm_class bits, or bytes too short or malformed to read)."""
    if len(raw) < 8:
        return None
    if int.from_bytes(raw[4:8], "big") not in _RECEIPT_COMMANDS:
        return False
    # service_type, source ton/npi/address, destination ton/npi/address, then esm_class
    pos = raw.find(b"\0", 16)
    for _ in range(2):
        if pos < 0:
            return None
        pos = raw.find(b"\0", pos + 3)
    if pos < 0 or pos + 1 >= len(raw):
        return None
    return True if raw[pos + 1] & 0x3C in _RECEIPT_ESM else None


def _close_at_exit(ref: weakref.ref[Journal]) -> None:
    journal = ref()
    if journal is not None:
        try:
            journal.close()
        except Exception:  # exiting anyway: nothing more useful to do
            pass
