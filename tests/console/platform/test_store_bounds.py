"""The message store stays bounded in a long run: old messages and MO messages are pruned
(at the cost of what is dropped, not of the whole store), unread pull queues are capped, and
a message keeps no per-message containers it does not need."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

from console.platform import store as store_module
from console.platform.store import Message, MessageStore, MoMessage

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def message(n: int, *, submitted: datetime, done: datetime | None, parts: int = 0) -> Message:
    m = Message(message_id=f"M{n}", account="Aladdin", door="smpp", from_="InfoSMS",
                to="41793026727", text=f"text {n}", submitted_at=submitted, done_at=done,
                final=done is not None)
    if parts:
        m.part_ids = [f"M{n}", *(f"M{n}.{i}" for i in range(1, parts))]
    return m


def mo(n: int, received: datetime) -> MoMessage:
    return MoMessage(message_id=f"MO{n}", from_="41793026727", to="41793026700", text="hi",
                     received_at=received, account="Aladdin")


def test_prune_drops_old_final_messages_and_their_aliases_and_old_mo():
    s = MessageStore()
    for n in range(10):  # one per hour; done a minute later, except message 3 (pending)
        t = T0 + timedelta(hours=n)
        s.add(message(n, submitted=t, done=None if n == 3 else t + timedelta(minutes=1),
                      parts=2 if n == 1 else 0))
        s.add_mo(mo(n, t))
    s.alias("M1.1", s.get("M1"))
    assert s.prune(T0 + timedelta(hours=5)) == 4  # 0, 1, 2, 4 (3 is still pending)
    assert [m.message_id for m in s] == ["M3", "M5", "M6", "M7", "M8", "M9"]
    assert s.get("M1") is None and s.get("M1.1") is None and s.get("M4") is None
    assert s.get("M3") is not None and "M9" in s
    assert [m.message_id for m in s.mo] == ["MO5", "MO6", "MO7", "MO8", "MO9"]
    assert s.prune(T0) == 0 and len(s) == 6  # nothing older: nothing walked, nothing dropped


def test_unread_pull_queues_keep_the_newest(monkeypatch):
    monkeypatch.setattr(store_module, "PULL_QUEUE_LIMIT", 5)
    s = MessageStore()
    for n in range(12):
        s.queue_report("Aladdin", {"messageId": f"M{n}", "bulkId": "B" if n % 2 else None})
        s.add_mo(mo(n, T0))
    assert s.pending_reports("Aladdin") == 5
    assert [r["messageId"] for r in s.take_reports("Aladdin", limit=2)] == ["M7", "M8"]
    assert [r["messageId"] for r in s.take_reports("Aladdin", bulk_id="B")] == ["M9", "M11"]
    assert [r["messageId"] for r in s.take_reports("Aladdin")] == ["M10"]
    assert [m.message_id for m in s.take_inbox("Aladdin")] == [f"MO{n}" for n in range(7, 12)]


def test_a_stored_message_holds_few_containers_for_the_gc():
    m = message(1, submitted=T0, done=T0)
    other = message(2, submitted=T0, done=T0)
    # empty per-message collections are shared immutable tuples, not a list each
    assert m.short_urls == () and m.notify_attempts == () and m.history == ()
    assert m.short_urls is other.short_urls and m.history is other.history
    m.history += ((T0, False, "DELIVERED_TO_HANDSET", "NO_ERROR"),)
    gc.collect()
    gc.collect()  # the inner tuple is let go in one pass, the outer in the next
    assert not gc.is_tracked(m.history)  # plain values: the collector stops visiting it
    assert m.to_dict()["history"] == [{"time": "2026-01-01T00:00:00.000+0000",
                                       "intermediate": False, "status": "DELIVERED_TO_HANDSET",
                                       "error": "NO_ERROR"}]
