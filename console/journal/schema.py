"""The journal file's tables and indexes, and the upgrade of files written by older versions.

Indexes are few on purpose: every row appended writes each of them. ``events`` is read by
kind, time, message id and bulk id. ``reports`` (the DLR viewer's table) is read by time,
message id, bulk id and destination, and through two structures built for its filters:

- ``reports_facet`` on (status_group, source, final, error_name): the quick filters. The
  distinct combinations of these four columns are few (a few hundred at most) and listed in
  ``report_facets``; a filter on any subset of them becomes one index range per matching
  combination, each already in ``seq`` order (see :mod:`console.journal.report_query`).
- ``report_text``: an FTS5 index (contentless: it stores no text of its own) over the words
  of a report's ids, numbers, source, status, error and callback data, for the filter box.
  It is written with the rows, in the same transaction (one ``INSERT … SELECT`` per batch).

``submits`` keeps every submit the correlator learned, by each spelling of its message id, so
a report is linked to its submit however long ago that was.
"""

from __future__ import annotations

import sqlite3
import time

SCHEMA_VERSION = 2
KINDS = ("http", "webhook", "pdu", "report")

# columns of the reports table, in order (the DLR viewer's model reads these); the table
# also stores the report's summary, its record as JSON (data) and its callback data
REPORT_COLUMNS = ("seq", "time", "message_id", "bulk_id", "to_addr", "from_addr", "source",
                  "final", "status_group", "status_id", "status_name", "error_id", "error_name",
                  "permanent", "done_at", "latency")
# the quick-filter columns, in the order of the reports_facet index
FACET_COLUMNS = ("status_group", "source", "final", "error_name")

TABLES = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS events(
    seq INTEGER PRIMARY KEY, time REAL NOT NULL, kind TEXT NOT NULL,
    message_id TEXT, bulk_id TEXT, summary TEXT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reports(
    seq INTEGER PRIMARY KEY, time REAL NOT NULL, message_id TEXT, bulk_id TEXT,
    to_addr TEXT, from_addr TEXT, source TEXT, final INTEGER, status_group TEXT,
    status_id INTEGER, status_name TEXT, error_id INTEGER, error_name TEXT,
    permanent INTEGER, done_at TEXT, latency REAL, summary TEXT, data TEXT NOT NULL,
    callback_data TEXT);
CREATE TABLE IF NOT EXISTS report_facets(
    status_group TEXT, source TEXT, final INTEGER, error_name TEXT);
CREATE TABLE IF NOT EXISTS submits(
    key TEXT PRIMARY KEY, message_id TEXT NOT NULL, time REAL, door TEXT,
    to_addr TEXT, from_addr TEXT, bulk_id TEXT) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS report_text USING fts5(doc, content='', columnsize=0);
"""

INDEXES = """
CREATE INDEX IF NOT EXISTS events_time ON events(time);
CREATE INDEX IF NOT EXISTS events_kind ON events(kind);
CREATE INDEX IF NOT EXISTS events_message ON events(message_id) WHERE message_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_bulk ON events(bulk_id) WHERE bulk_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS reports_time ON reports(time);
CREATE INDEX IF NOT EXISTS reports_message ON reports(message_id);
CREATE INDEX IF NOT EXISTS reports_bulk ON reports(bulk_id) WHERE bulk_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS reports_to ON reports(to_addr);
CREATE INDEX IF NOT EXISTS reports_facet ON reports(status_group, source, final, error_name);
"""

# schema 1 indexes that schema 2 replaced (by events_kind and reports_facet)
_DROPPED = ("events_kind_time", "reports_status", "reports_source")

# The words of a report the filter box searches, as an SQL expression over a reports row.
# Only these short columns are indexed: a report's whole record (raw payload, descriptions)
# would make the index several times bigger and every append slower.
# The kind (final / intermediate) is a word of it too, so that the filter box can narrow a
# search by the quick filters inside the index (see console.journal.report_query).
TEXT_DOC = " || ' ' || ".join(
    f"coalesce({c}, '')" for c in ("message_id", "bulk_id", "to_addr", "from_addr", "source",
                                  "status_group", "status_name", "error_name",
                                  "CASE final WHEN 1 THEN 'final' WHEN 0 THEN 'intermediate' END",
                                  "substr(callback_data, 1, 200)"))
# index the text of the reports in a seq range (the rows a batch just inserted)
INDEX_TEXT = (f"INSERT INTO report_text(rowid, doc) SELECT seq, {TEXT_DOC} FROM reports "
              "WHERE seq >= ? AND seq <= ?")
# FTS5 merges its segments when 16 (not 4) of a level exist: a third less work per report
# appended, queries still read few segments
_FTS_SETTINGS = "INSERT INTO report_text(report_text, rank) VALUES('automerge', 16)"


def create(conn: sqlite3.Connection) -> None:
    """Create the tables and indexes of a new file, or bring an older file up to date.

    Upgrading a schema 1 file indexes its reports for the new filters once (a few seconds
    for a million reports).
    """
    conn.executescript(TABLES)
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    version = int(row[0]) if row and str(row[0]).isdigit() else SCHEMA_VERSION
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"journal schema {version} is newer than this console "
                                    f"({SCHEMA_VERSION})")
    conn.execute("BEGIN")
    for name in _DROPPED:
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    for statement in INDEXES.strip().splitlines():
        conn.execute(statement)
    if version < 2:
        conn.execute("ALTER TABLE reports ADD COLUMN callback_data TEXT")
        conn.execute("UPDATE reports SET callback_data = json_extract(data, '$.callback_data') "
                     "WHERE instr(data, '\"callback_data\":') AND json_valid(data)")
        conn.execute(f"INSERT INTO report_facets SELECT DISTINCT {', '.join(FACET_COLUMNS)} "
                     "FROM reports")
        conn.execute(INDEX_TEXT, (0, 2**63 - 1))
    if row is None or version < 2:
        conn.execute(_FTS_SETTINGS)
    conn.execute("INSERT OR REPLACE INTO meta VALUES('schema', ?)", (str(SCHEMA_VERSION),))
    conn.execute("INSERT OR IGNORE INTO meta VALUES('created', ?)", (str(time.time()),))
    conn.execute("COMMIT")
