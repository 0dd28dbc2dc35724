"""SQL for the reports table's filters, planned so that every filter of the DLR viewer reads
an index range instead of scanning a million rows.

Filters (the keywords of :meth:`console.journal.Journal.report_rows`): ``since``, ``until``,
``message_id``, ``bulk_id``, ``to``, ``source``, ``status_group``, ``final``,
``error_name``, ``text``, ``after_seq``, ``before_seq``. Rows come in ``seq`` order.

Plans, first match wins:

1. *exact* — a message id, bulk id or destination: that column's index (a handful of rows);
   other filters are checked on those rows.
2. *text* — the filter box: the FTS5 index ``report_text`` yields matching rows newest (or
   oldest) first, so a page stops after ``limit`` matches. Each word of the text matches the
   start of a word of the report (``MID-0011`` finds ``MID-00110``; ``absent`` finds
   ``EC_ABSENT_SUBSCRIBER``), every word must match. Quick filters given with the text are
   asked of the index too (their values are words of the indexed text), then checked exactly
   on each candidate row. Text without a letter or digit falls back to a substring scan of
   the summary and record.
3. *facets* — quick filters (status group, source, final, error name): the journal knows
   every combination of these four values that occurs (``report_facets``, a few hundred at
   most); each matching combination is one range of the ``reports_facet`` index, already in
   ``seq`` order, so a page reads at most ``limit`` entries per combination and a count
   reads only the matching entries. No matching combination: no rows, at once.
4. otherwise the table in ``seq`` order (time filters checked on the way).

Quick filters that match no combination short-cut every plan to "no rows".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from console.errors import JournalError
from console.journal.schema import FACET_COLUMNS, REPORT_COLUMNS

FILTERS = ("since", "until", "message_id", "bulk_id", "to", "source", "status_group", "final",
           "error_name", "text", "after_seq", "before_seq")
# more matching combinations than this: one plain query instead of one range per combination
MAX_COMBINATIONS = 200
_EXACT = (("message_id", "message_id"), ("to", "to_addr"), ("bulk_id", "bulk_id"))


class Plan:
    """The SQL pieces of one filtered read of the reports table (``r`` is its alias)."""

    def __init__(self, filters: dict[str, Any], facets: Iterable[tuple[Any, ...]]) -> None:
        unknown = set(filters) - set(FILTERS)
        if unknown:
            raise JournalError(f"unknown report filter(s) {sorted(unknown)}; "
                               f"one of {', '.join(FILTERS)}")
        f = {k: v for k, v in filters.items() if v is not None}
        if "final" in f:
            f["final"] = 1 if f["final"] else 0
        self.filters = f
        wanted = {col: f[col] for col in FACET_COLUMNS if col in f}
        self.combinations: list[tuple[Any, ...]] | None = None
        self.empty = False
        if wanted:
            self.combinations = [c for c in facets
                                 if all(c[i] == wanted[col] for i, col in enumerate(FACET_COLUMNS)
                                        if col in wanted)]
            self.empty = not self.combinations
        self.exact = next(((key, col) for key, col in _EXACT if key in f), None)
        self.match = fts_query(f["text"]) if f.get("text") else None
        if self.match and wanted:
            # the quick filters' values are words of the indexed text too: asking the index
            # for them as well leaves only candidates (each row is still checked exactly)
            words = [_phrase(str(v)) for col, v in wanted.items() if col != "final"]
            if "final" in wanted:
                words.append('"final"' if wanted["final"] else '"intermediate"')
            self.match = " AND ".join([self.match, *(w for w in words if w)])
        if self.exact:
            self.kind = "exact"
        elif self.match:
            self.kind = "text"
        elif self.combinations and len(self.combinations) <= MAX_COMBINATIONS:
            self.kind = "facets"
        else:
            self.kind = "plain"

    # ------------------------------------------------------------------ pieces

    def _conditions(self, *, seq: str = "r.seq", skip: Iterable[str] = (),
                    facets: bool = True) -> tuple[list[str], list[Any]]:
        """WHERE conditions of the filters not already served by the plan's index. Columns
        get a unary ``+`` where the plan reads another index: SQLite must not switch to
        theirs (without statistics it would guess that four equalities are the fewest)."""
        f, skip = self.filters, set(skip)
        clauses: list[str] = []
        args: list[Any] = []
        for key, op, col in (("since", ">=", "r.time"), ("until", "<", "r.time"),
                             ("after_seq", ">", seq), ("before_seq", "<", seq)):
            if key in f and key not in skip:
                clauses.append(f"{col} {op} ?")
                args.append(f[key])
        for key, col in _EXACT:
            if key in f and key not in skip:
                clauses.append(f"+r.{col} = ?")
                args.append(f[key])
        if facets:
            for col in FACET_COLUMNS:
                if col in f:
                    clauses.append(f"+r.{col} = ?")
                    args.append(f[col])
        if "text" in f and "text" not in skip:
            clauses.append("(r.summary LIKE ? ESCAPE '\\' OR r.data LIKE ? ESCAPE '\\')")
            pat = like_pattern(f["text"])
            args += [pat, pat]
        return clauses, args

    def source(self) -> tuple[str, str, list[str], list[Any]]:
        """(FROM clause, the seq column to order by, conditions, arguments) of the plan,
        for queries that read every matching row (counts, timelines, plain pages)."""
        if self.kind == "exact":
            key, col = self.exact  # type: ignore[misc]
            clauses, args = self._conditions(skip={key})
            return "reports AS r", "r.seq", [f"r.{col} = ?", *clauses], [self.filters[key], *args]
        if self.kind == "text":
            clauses, args = self._conditions(seq="report_text.rowid", skip={"text"})
            return ("report_text CROSS JOIN reports AS r ON r.seq = report_text.rowid",
                    "report_text.rowid", ["report_text MATCH ?", *clauses],
                    [self.match, *args])
        # facets or plain: plain column equalities, SQLite picks reports_facet itself
        clauses, args = self._conditions(facets=False)
        for col in FACET_COLUMNS:
            if col in self.filters:
                clauses.append(f"r.{col} = ?")
                args.append(self.filters[col])
        return "reports AS r", "r.seq", clauses, args

    # ------------------------------------------------------------------ statements

    def rows(self, columns: Iterable[str], *, limit: int, offset: int = 0,
             descending: bool = False) -> tuple[str, list[Any]] | None:
        """A page of rows (None: certainly no rows)."""
        if self.empty:
            return None
        select = ", ".join(f"r.{c}" for c in columns)
        order = "DESC" if descending else "ASC"
        if self.kind == "facets":
            return self._facet_rows(select, order, limit, offset)
        frm, seq, clauses, args = self.source()
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return (f"SELECT {select} FROM {frm}{where} ORDER BY {seq} {order} LIMIT ? OFFSET ?",
                [*args, limit, offset])

    def _facet_rows(self, select: str, order: str, limit: int,
                    offset: int) -> tuple[str, list[Any]]:
        clauses, args = self._conditions(facets=False)
        arms, arm_args = [], []
        for combo in self.combinations or ():
            cond = " AND ".join([*(f"r.{c} IS ?" for c in FACET_COLUMNS), *clauses])
            arms.append(f"SELECT seq FROM (SELECT r.seq FROM reports AS r WHERE {cond} "
                        f"ORDER BY r.seq {order} LIMIT ?)")
            arm_args += [*combo, *args, limit + offset]
        union = " UNION ALL ".join(arms)
        sql = (f"SELECT {select} FROM reports AS r WHERE r.seq IN ({union} ORDER BY 1 {order} "
               f"LIMIT ? OFFSET ?) ORDER BY r.seq {order}")
        return sql, [*arm_args, limit, offset]

    def count(self) -> tuple[str, list[Any]] | None:
        """The number of matching rows (None: certainly none)."""
        if self.empty:
            return None
        if self.kind == "facets":
            clauses, args = self._conditions(facets=False)
            arms, arm_args = [], []
            for combo in self.combinations or ():
                cond = " AND ".join([*(f"r.{c} IS ?" for c in FACET_COLUMNS), *clauses])
                arms.append(f"SELECT count(*) AS n FROM reports AS r WHERE {cond}")
                arm_args += [*combo, *args]
            return f"SELECT sum(n) FROM ({' UNION ALL '.join(arms)})", arm_args
        if self.kind == "text" and set(self.filters) == {"text"}:  # the index alone
            return "SELECT count(*) FROM report_text WHERE report_text MATCH ?", [self.match]
        frm, _seq, clauses, args = self.source()
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return f"SELECT count(*) FROM {frm}{where}", args

    def timeline(self, bucket: float) -> tuple[str, list[Any]] | None:
        """(bucket, status group, count) of the matching rows (None: certainly none)."""
        if self.empty:
            return None
        frm, _seq, clauses, args = self.source()
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return (f"SELECT CAST(r.time / ? AS INTEGER) AS b, r.status_group, count(*) FROM {frm}"
                f"{where} GROUP BY b, r.status_group ORDER BY b", [bucket, *args])


def fts_query(text: str) -> str | None:
    """The FTS5 query of filter-box text: each word a phrase whose last token is a prefix,
    all words required. None when the text has no letter or digit to look up."""
    words = [w for w in text.split() if any(c.isalnum() for c in w)]
    if not words:
        return None
    return " AND ".join(f"{_phrase(w)}*" for w in words)


def _phrase(value: str) -> str:
    """``value`` as an FTS5 phrase (its words in order), or "" without a letter or digit."""
    return '"' + value.replace('"', '""') + '"' if any(c.isalnum() for c in value) else ""


def like_pattern(text: str) -> str:
    """A LIKE pattern (escape ``\\``) matching ``text`` anywhere."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def check_column(column: str) -> str:
    """``column`` if it is a reports column, else JournalError."""
    if column not in REPORT_COLUMNS:
        raise JournalError(f"no reports column {column!r}; one of {', '.join(REPORT_COLUMNS)}")
    return column
