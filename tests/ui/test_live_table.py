"""LiveTableModel: queued events reach the view in one insert per batch; lazy older pages."""

from __future__ import annotations

from ui.models import Column, LiveTableModel

COLS = (Column("n", lambda r: r), Column("double", lambda r: r * 2, align_right=True))


def test_burst_is_one_insert(qtbot):
    m = LiveTableModel(COLS, interval_ms=10_000)  # flushed by hand below
    inserts = []
    m.rowsInserted.connect(lambda _p, first, last: inserts.append((first, last)))
    for i in range(10_000):
        m.enqueue(i)
    assert m.rowCount() == 0  # nothing reaches the view before the flush
    assert m.flush() == 10_000
    assert inserts == [(0, 9_999)]
    assert m.data(m.index(9_999, 1)) == "19998"


def test_timer_flushes(qtbot):
    m = LiveTableModel(COLS, interval_ms=20)
    m.enqueue(1)
    m.enqueue(2)
    qtbot.waitUntil(lambda: m.rowCount() == 2, timeout=2000)


def test_newest_first_and_max_rows(qtbot):
    m = LiveTableModel(COLS, newest_first=True, max_rows=3, interval_ms=10_000)
    for i in range(5):
        m.enqueue(i)
    m.flush()
    assert [m.record(r) for r in range(m.rowCount())] == [4, 3, 2]
    old = LiveTableModel(COLS, max_rows=3, interval_ms=10_000)
    for i in range(5):
        old.enqueue(i)
    old.flush()
    assert old.records == [2, 3, 4]


def test_lazy_loader_pages(qtbot):
    store = list(range(1000, 0, -1))  # newest first, like a journal query DESC
    calls = []

    def load(offset, limit):
        calls.append((offset, limit))
        return store[offset:offset + limit]

    m = LiveTableModel(COLS, newest_first=True, loader=load, page=400, interval_ms=10_000)
    assert m.canFetchMore()
    m.fetchMore()
    assert m.rowCount() == 400 and m.record(0) == 1000
    m.fetchMore()
    m.fetchMore()
    assert m.rowCount() == 1000 and not m.canFetchMore()
    assert calls == [(0, 400), (400, 400), (800, 400)]
    m.enqueue(1001)  # a live record goes on top of the loaded history
    m.flush()
    assert m.record(0) == 1001 and m.record(1000) == 1
