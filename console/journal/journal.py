"""The journal: every HTTP exchange, webhook hit, SMPP PDU event and delivery report, in SQLite.

A journal file is a *case*: open it again later (``Journal(path)``), save a copy
(:meth:`Journal.save_as`), export it (:mod:`console.journal.export`).

Writing. :meth:`Journal.append` only queues the record and returns its sequence number; a
background writer thread turns queued records into rows and commits them with ``executemany``
in batches: a batch is committed ``flush_interval`` (10 ms) after its first record arrived, or
as soon as it holds ``max_batch`` records, or at once when :meth:`Journal.flush` waits. One
commit per interval matters: every commit rewrites the index pages it touched.

Durability. The database runs in WAL mode with ``synchronous=NORMAL``: a committed batch is in
the operating system's hands and survives the process being killed (``kill -9``); a kill loses
only records not yet committed — the batch being collected or written, at most ≤ 50 ms of
traffic (10 ms of collecting plus the commit; WAL checkpoints, which fsync, run in a thread of
their own so they never hold a commit back; ``bench/journal.py`` measures the lag). :attr:`Journal.saved_seq` is the highest
sequence number committed, and every record with a lower one is committed too, so a UI showing
"saved" for ``seq <= saved_seq`` never lies. A power cut can additionally lose the last commits
since the WAL was synced; pass ``durable=True`` (``synchronous=FULL``) to close that gap at
some cost in speed. Appending never blocks unless ``max_pending`` records are queued (the disk
cannot keep up): then it waits, so memory stays bounded.

Derived records. Appending an exchange of ``/sms/1/reports``, a webhook hit carrying reports or
a ``deliver_sm`` receipt also appends the :class:`~console.reports.DeliveryReport` s inside it
(kind "report"), linked to their submits by the journal's :class:`~console.reports.Correlator`
(which learns submits from appended HTTP send responses and ``submit_sm_resp`` events). Do not
append those reports yourself as well. Secrets never reach the file: every record is stored
through its ``to_dict()``, which masks credentials (:mod:`console.redact`).
"""

from __future__ import annotations

import atexit
import json
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
from console.reports import Correlator, DeliveryReport

SCHEMA_VERSION = 1
KINDS = ("http", "webhook", "pdu", "report")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS events(
    seq INTEGER PRIMARY KEY, time REAL NOT NULL, kind TEXT NOT NULL,
    message_id TEXT, bulk_id TEXT, summary TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_time ON events(time);
CREATE INDEX IF NOT EXISTS events_kind_time ON events(kind, time);
CREATE INDEX IF NOT EXISTS events_message ON events(message_id) WHERE message_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_bulk ON events(bulk_id) WHERE bulk_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS reports(
    seq INTEGER PRIMARY KEY, time REAL NOT NULL, message_id TEXT, bulk_id TEXT,
    to_addr TEXT, from_addr TEXT, source TEXT, final INTEGER, status_group TEXT,
    status_id INTEGER, status_name TEXT, error_id INTEGER, error_name TEXT,
    permanent INTEGER, done_at TEXT, latency REAL, summary TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS reports_time ON reports(time);
CREATE INDEX IF NOT EXISTS reports_message ON reports(message_id);
CREATE INDEX IF NOT EXISTS reports_bulk ON reports(bulk_id) WHERE bulk_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS reports_status ON reports(status_group);
CREATE INDEX IF NOT EXISTS reports_source ON reports(source);
CREATE INDEX IF NOT EXISTS reports_to ON reports(to_addr);
"""

# Reports live in their own table only (one row, its columns are the DLR viewer's filters);
# the events table holds the other kinds. Queries over every kind merge both by seq.
# columns of the reports table, in order (the DLR viewer's model reads these)
REPORT_COLUMNS = ("seq", "time", "message_id", "bulk_id", "to_addr", "from_addr", "source",
                  "final", "status_group", "status_id", "status_name", "error_id", "error_name",
                  "permanent", "done_at", "latency")


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


def kind_of(record: Any) -> str:
    """The journal kind of a record object."""
    name = type(record).__name__
    kind = {"HttpExchange": "http", "WebhookHit": "webhook", "PduEvent": "pdu",
            "DeliveryReport": "report"}.get(name)
    if kind is None:
        raise JournalError(f"cannot journal a {name}: expected HttpExchange, WebhookHit, "
                           "PduEvent or DeliveryReport")
    return kind


class Journal:
    """An append-only SQLite journal with a background writer (see the module docstring)."""

    def __init__(self, path: str | Path | None = None, *, durable: bool = False,
                 max_batch: int = 2000, max_pending: int = 500_000,
                 flush_interval: float = 0.01, derive_reports: bool = True) -> None:
        if path is None:
            from console.paths import data_dir

            path = data_dir() / f"journal-{time.strftime('%Y%m%d-%H%M%S')}.sqlite"
        self.path = Path(path)
        self.max_batch, self.max_pending = max_batch, max_pending
        self.flush_interval = flush_interval
        self.derive_reports = derive_reports
        self.correlator = Correlator()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._wconn = self._connect(durable)
            # checkpoints (the fsyncs) run in their own thread, never inside a batch's commit
            self._wconn.execute("PRAGMA wal_autocheckpoint=0")
            self._wconn.executescript(_SCHEMA)
            self._wconn.execute("INSERT OR IGNORE INTO meta VALUES('schema', ?)",
                                (str(SCHEMA_VERSION),))
            self._wconn.execute("INSERT OR IGNORE INTO meta VALUES('created', ?)",
                                (str(time.time()),))
            self._wconn.commit()
            self._rconn = self._connect(durable)
            last = self._rconn.execute(
                "SELECT max(coalesce((SELECT max(seq) FROM events), 0),"
                " coalesce((SELECT max(seq) FROM reports), 0))").fetchone()[0] or 0
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open journal {self.path}: {exc}") from None
        self._seq = last
        self._saved = last
        self._pending: list[tuple[int, str, Any, str | None]] = []
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

    def _connect(self, durable: bool) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        conn.execute("PRAGMA cache_size=-65536")  # 64 MB: index inserts into big tables stay in memory
        return conn

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
        kind = kind_of(record)
        derived = self._derive(kind, record) if self.derive_reports else []
        if kind == "report" and record.latency is None and self.derive_reports:
            record = self.correlator.link(record)
        with self._cond:
            if self._error is not None:
                raise JournalError(f"journal writer failed: {self._error}")
            if self._closing:
                raise JournalError("journal is closed")
            while len(self._pending) >= self.max_pending:  # back-pressure, never unbounded
                self._cond.wait(0.05)
            was_empty = not self._pending
            if was_empty:
                self._first_pending = time.monotonic()
            self._seq += 1
            seq = self._seq
            self._pending.append((seq, kind, record, None))
            for rep in derived:
                self._seq += 1
                self._pending.append((self._seq, "report", rep, str(seq)))
            if was_empty:
                self._cond.notify_all()
        return seq

    def append_many(self, records: Iterable[Any]) -> int:
        """Append several records; returns the last sequence number."""
        seq = self._seq
        for r in records:
            seq = self.append(r)
        return seq

    def _derive(self, kind: str, record: Any) -> list[DeliveryReport]:
        if kind == "http":
            self.correlator.add_exchange(record)
            path = record.request.url.split("?", 1)[0]
            if record.ok and path.endswith("/sms/1/reports"):
                from console.reports import reports_from_value

                reps = reports_from_value(record.response_value(), "http-pull",
                                          received_at=record.started)
                return [self.correlator.link(r) for r in reps]
            return []
        if kind == "webhook":
            return [self.correlator.link(r) for r in record.reports]
        if kind == "pdu":
            self.correlator.add_pdu_event(record)
            rep = DeliveryReport.from_pdu_event(record)
            return [self.correlator.link(rep)] if rep is not None else []
        return []

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
                self._write(batch)
            except BaseException as exc:  # keep the reason; append()/flush() report it
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
                    import logging

                    logging.getLogger(__name__).exception("journal subscriber failed")

    def _write(self, batch: list[tuple[int, str, Any, str | None]]) -> None:
        events = []
        reports = []
        for seq, kind, record, parent in batch:
            data = record.to_dict()
            if parent is not None:
                data["parent_seq"] = int(parent)
            t, mid, bulk, summary = _index_fields(kind, record)
            if kind == "report":
                r = record
                reports.append((seq, t, r.message_id, r.bulk_id, r.to, r.from_, r.source,
                                0 if r.intermediate else 1, r.status_group, r.status_id,
                                r.status_name, r.error_id, r.error_name,
                                None if r.error_permanent is None else int(r.error_permanent),
                                r.done_at, r.latency, summary, _encode(data)))
            else:
                events.append((seq, t, kind, mid, bulk, summary, _encode(data)))
        conn = self._wconn
        conn.execute("BEGIN")
        if events:
            conn.executemany("INSERT INTO events VALUES(?,?,?,?,?,?,?)", events)
        if reports:
            conn.executemany(f"INSERT INTO reports VALUES({','.join('?' * (len(REPORT_COLUMNS) + 2))})",
                             reports)
        conn.execute("COMMIT")

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
            pat = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
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

    def _report_where(self, *, since: float | None = None, until: float | None = None,
                      message_id: str | None = None, bulk_id: str | None = None,
                      to: str | None = None, source: str | None = None,
                      status_group: str | None = None, final: bool | None = None,
                      error_name: str | None = None, text: str | None = None,
                      after_seq: int | None = None, before_seq: int | None = None
                      ) -> tuple[str, list[Any]]:
        clauses, args = [], []
        for col, op, val in (("time", ">=", since), ("time", "<", until),
                             ("message_id", "=", message_id), ("bulk_id", "=", bulk_id),
                             ("to_addr", "=", to), ("source", "=", source),
                             ("status_group", "=", status_group), ("error_name", "=", error_name),
                             ("seq", ">", after_seq), ("seq", "<", before_seq)):
            if val is not None:
                clauses.append(f"{col} {op} ?")
                args.append(val)
        if final is not None:
            clauses.append("final = ?")
            args.append(1 if final else 0)
        if text:
            more, targs = self._common(None, None, None, None, text, None, None)
            clauses += more
            args += targs
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def report_values(self, column: str) -> list[Any]:
        """The distinct values of a reports column (for quick-filter menus), sorted."""
        if column not in REPORT_COLUMNS:
            raise JournalError(f"no reports column {column!r}; one of {', '.join(REPORT_COLUMNS)}")
        rows = self._read(f"SELECT DISTINCT {column} FROM reports WHERE {column} IS NOT NULL "
                          f"ORDER BY {column}", [])
        return [r[0] for r in rows]

    def report_timeline(self, bucket: float = 60.0, **filters: Any
                        ) -> list[tuple[float, str, int]]:
        """(bucket start, status group, count) of the reports matching the filters of
        :meth:`report_rows`, for a timeline chart; counted in SQL, not in Python."""
        where, args = self._report_where(**filters)
        rows = self._read(f"SELECT CAST(time / ? AS INTEGER) AS b, status_group, count(*) "
                          f"FROM reports{where} GROUP BY b, status_group ORDER BY b",
                          [bucket, *args])
        return [(b * bucket, g or "", n) for b, g, n in rows]

    def report_rows(self, *, limit: int = 1000, offset: int = 0, descending: bool = False,
                    **filters: Any) -> list[tuple[Any, ...]]:
        """Rows of the reports table (columns :data:`REPORT_COLUMNS`) for the DLR viewer.

        Filters: since, until, message_id, bulk_id, to, source, status_group, final,
        error_name, text (substring of the summary or stored record), after_seq / before_seq
        (keyset paging: ``after_seq=last row's seq`` reads the next page at any depth).
        """
        where, args = self._report_where(**filters)
        order = "DESC" if descending else "ASC"
        return self._read(f"SELECT {', '.join(REPORT_COLUMNS)} FROM reports{where} "
                          f"ORDER BY seq {order} LIMIT ? OFFSET ?", [*args, limit, offset])

    def count_reports(self, **filters: Any) -> int:
        """How many stored reports match the filters of :meth:`report_rows`."""
        where, args = self._report_where(**filters)
        return int(self._read(f"SELECT count(*) FROM reports{where}", args)[0][0])

    def reports(self, *, limit: int = 1000, offset: int = 0, descending: bool = False,
                **filters: Any) -> list[DeliveryReport]:
        """Stored reports as DeliveryReport records (filters of :meth:`report_rows`)."""
        where, args = self._report_where(**filters)
        order = "DESC" if descending else "ASC"
        rows = self._read(f"SELECT data FROM reports{where} ORDER BY seq {order} LIMIT ? OFFSET ?",
                          [*args, limit, offset])
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


def _close_at_exit(ref: weakref.ref[Journal]) -> None:
    journal = ref()
    if journal is not None:
        try:
            journal.close()
        except Exception:  # exiting anyway: nothing more useful to do
            pass


def _json_default(v: Any) -> Any:
    if isinstance(v, bytes | bytearray):
        return v.hex()
    if isinstance(v, tuple | set):
        return list(v)
    return str(v)


# one reusable encoder: compact, no circular check (records are trees), non-ASCII kept
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"),
                           default=_json_default).encode


def _index_fields(kind: str, r: Any) -> tuple[float, str | None, str | None, str]:
    """(time, message id, bulk id, summary) of a record, for the indexed columns."""
    if kind == "report":
        return r.received_at, r.message_id or None, r.bulk_id, r.summary()
    if kind == "pdu":
        mid = None
        pdu = r.pdu
        if pdu is not None:
            mid = pdu.fields.get("message_id") or None
            if pdu.command in ("deliver_sm", "data_sm"):
                text = pdu.fields.get("short_message") or b""
                if isinstance(text, bytes) and text[:3].lower() == b"id:":
                    mid = text[3:].split(b" ", 1)[0].decode("latin-1")
            summary = (f"{r.direction} {pdu.command} seq={pdu.sequence_number}"
                       f" status={pdu.command_status:#x}")
        else:
            summary = f"{r.direction} undecodable {len(r.raw)} bytes: {r.error}"
        return r.time, mid, None, summary
    if kind == "http":
        ids = r.message_ids() if r.response is not None and r.response.body else []
        return r.started, (ids[0] if ids else None), r.bulk_id(), r.summary()
    rep = r.reports[0] if r.reports else None
    return (r.time, rep.message_id if rep else None, rep.bulk_id if rep else None, r.summary())
