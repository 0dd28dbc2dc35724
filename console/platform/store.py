"""The message store: every MT message (from either door) and every MO message."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

LOG_WINDOW = timedelta(hours=48)  # /sms/1/logs shows the last 48 hours
PULL_QUEUE_LIMIT = 100_000  # unread reports (and inbox messages) kept per account


def infobip_time(t: datetime | None) -> str | None:
    """The API's date format: ``2015-02-12T09:51:43.123+0000``."""
    if t is None:
        return None
    off = t.utcoffset()
    if off is None:
        zone = ""
    else:
        minutes = int(off.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    return (f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}."
            f"{t.microsecond // 1000:03d}{zone}")


# one status change in Message.history: (time, intermediate, status name, error name)
HistoryItem = tuple[datetime | None, bool, Any, Any]


@dataclass
class NotifyAttempt:
    """One notifyUrl push attempt (attempt 0 is the first try, then retries 1…20)."""

    message_id: str
    url: str
    attempt: int
    time: datetime
    content_type: str
    intermediate: bool
    status: int | None = None  # HTTP status, None when the request failed
    error: str | None = None
    duration: float | None = None  # real seconds
    next_retry: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def to_dict(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id, "url": self.url, "attempt": self.attempt,
            "time": infobip_time(self.time), "contentType": self.content_type,
            "intermediate": self.intermediate, "status": self.status, "error": self.error,
            "duration": self.duration, "nextRetry": infobip_time(self.next_retry), "ok": self.ok,
        }


@dataclass(slots=True)
class Message:
    """One MT message and its life so far."""

    message_id: str
    account: str
    door: str  # "http" or "smpp"
    from_: str
    to: str
    text: str
    bulk_id: str | None = None
    channel: str | None = None  # door-specific origin, e.g. the SMPP session id
    registered_delivery: int = 0  # SMPP registered_delivery byte (HTTP: 0)
    encoding: str = "GSM7"
    data_coding: int = 0
    sms_count: int = 1
    flash: bool = False
    transliteration: str | None = None
    language: dict[str, Any] | None = None
    validity_minutes: int = 2880
    send_at: datetime | None = None
    intermediate_report: bool = False
    notify_url: str | None = None
    notify_content_type: str = "application/json"
    explicit_notify: bool = False  # notifyUrl given in the request (not the account default)
    callback_data: str | None = None
    tracking: dict[str, Any] | None = None
    short_urls: Sequence[str] = ()  # a tuple: most messages have none (and share this one)
    status: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] = field(default_factory=dict)
    price: float = 0.0
    currency: str = "EUR"
    mcc: str | None = None
    mnc: str | None = None
    network: str | None = None
    country: str | None = None
    scenario: str = ""
    submitted_at: datetime | None = None
    sent_at: datetime | None = None
    done_at: datetime | None = None
    expires_at: datetime | None = None
    final: bool = False
    smpp_status: int = 0  # non-zero: refused at submission (SMPP command_status)
    extra: dict[str, Any] = field(default_factory=dict)  # door-specific details
    # notifyUrl push attempts; an empty tuple until the first (most messages have none)
    notify_attempts: list[NotifyAttempt] | tuple[()] = ()
    # status changes so far, oldest first: (time, intermediate, status name, error name),
    # shown as dicts by to_dict(); plain values only, so a big store costs the GC little
    history: tuple[HistoryItem, ...] = ()
    # SMPP: the submit_sm_resp id of every part of a multipart message (the first is message_id)
    part_ids: list[str] | None = None
    # the platform's one pending timer for this message (next step, expiry or scheduled send)
    timer: Any = field(default=None, repr=False, compare=False)
    next_step: Any = field(default=None, repr=False, compare=False)  # (due, steps, index)

    @property
    def mcc_mnc(self) -> str | None:
        return (self.mcc or "") + (self.mnc or "") if self.mcc else None

    @property
    def rejected(self) -> bool:
        return self.smpp_status != 0

    def price_obj(self) -> dict[str, Any]:
        return {"pricePerMessage": self.price, "currency": self.currency}

    def report(self) -> dict[str, Any]:
        """The spec's delivery report result object (pull and push)."""
        return self.report_at(self.status, self.error, self.done_at, self.sent_at, self.price)

    def report_at(self, status: dict[str, Any], error: dict[str, Any], done_at: datetime | None,
                  sent_at: datetime | None, price: float) -> dict[str, Any]:
        """The report result object as it was when the message had these values (a
        ReportEvent builds its result from the values it captured, only when asked)."""
        out: dict[str, Any] = {}
        if self.bulk_id:
            out["bulkId"] = self.bulk_id
        sent = sent_at or self.submitted_at
        out.update({
            "messageId": self.message_id, "to": self.to, "sentAt": infobip_time(sent),
            "doneAt": infobip_time(done_at or sent),
            "smsCount": self.sms_count, "mccMnc": self.mcc_mnc,
            "price": {"pricePerMessage": price, "currency": self.currency},
        })
        if self.callback_data is not None:
            out["callbackData"] = self.callback_data
        out["status"] = dict(status)
        out["error"] = dict(error)
        if out["mccMnc"] is None:
            del out["mccMnc"]
        return out

    def log(self) -> dict[str, Any]:
        """The spec's /sms/1/logs result object."""
        out: dict[str, Any] = {}
        if self.bulk_id:
            out["bulkId"] = self.bulk_id
        out.update({
            "messageId": self.message_id, "to": self.to, "from": self.from_, "text": self.text,
            "sentAt": infobip_time(self.sent_at or self.submitted_at),
            "doneAt": infobip_time(self.done_at) if self.final else None,
            "smsCount": self.sms_count, "mccmnc": self.mcc_mnc, "price": self.price_obj(),
        })
        if self.callback_data is not None:
            out["callbackData"] = self.callback_data
        out["status"] = dict(self.status)
        out["error"] = dict(self.error)
        return {k: v for k, v in out.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-safe (for the GUI and the journal)."""
        d = self.log()
        d.update({
            "account": self.account, "door": self.door, "channel": self.channel,
            "registeredDelivery": self.registered_delivery, "encoding": self.encoding,
            "dataCoding": self.data_coding, "flash": self.flash, "scenario": self.scenario,
            "notifyUrl": self.notify_url, "notifyContentType": self.notify_content_type,
            "intermediateReport": self.intermediate_report, "validityPeriod": self.validity_minutes,
            "sendAt": infobip_time(self.send_at), "final": self.final, "smppStatus": self.smpp_status,
            "network": self.network, "country": self.country,
            "notifyAttempts": [a.to_dict() for a in self.notify_attempts],
            "history": [{"time": infobip_time(t), "intermediate": intermediate, "status": status,
                         "error": error} for t, intermediate, status, error in self.history],
        })
        if self.part_ids:
            d["smppPartIds"] = list(self.part_ids)
        return d


@dataclass
class MoMessage:
    """An inbound (MO) message."""

    message_id: str
    from_: str
    to: str
    text: str
    received_at: datetime
    account: str
    keyword: str | None = None
    data_coding: int = 0
    esm_class: int = 0
    binary: bytes = b""
    sms_count: int = 1
    forwarded: list[dict[str, Any]] = field(default_factory=list)

    @property
    def clean_text(self) -> str:
        if self.keyword and self.text.upper().startswith(self.keyword.upper()):
            return self.text[len(self.keyword):].lstrip()
        return self.text

    def result(self) -> dict[str, Any]:
        """The spec's /sms/1/inbox/reports result object."""
        out: dict[str, Any] = {
            "messageId": self.message_id, "from": self.from_, "to": self.to, "text": self.text,
            "cleanText": self.clean_text,
        }
        if self.keyword:
            out["keyword"] = self.keyword
        out["receivedAt"] = infobip_time(self.received_at)
        out["smsCount"] = self.sms_count
        return out


    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-safe (for the GUI and the journal)."""
        d = self.result()
        d.update({"account": self.account, "dataCoding": self.data_coding,
                  "esmClass": self.esm_class, "bin": self.binary.hex(),
                  "forwarded": list(self.forwarded)})
        return d


class MessageStore:
    """Messages by id, in submission order; MO messages; per-account pull queues."""

    def __init__(self) -> None:
        self._by_id: dict[str, Message] = {}
        self._order: list[Message] = []
        self.mo: list[MoMessage] = []
        self._reports: dict[str, deque[dict[str, Any]]] = {}
        self._inbox: dict[str, deque[MoMessage]] = {}

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self._order))

    def add(self, msg: Message) -> None:
        self._by_id[msg.message_id] = msg
        self._order.append(msg)

    def get(self, message_id: str) -> Message | None:
        """The message with this id (or with this SMPP part id)."""
        return self._by_id.get(message_id)

    def alias(self, part_id: str, msg: Message) -> None:
        """Make ``get(part_id)`` find ``msg`` (the other parts' ids of a multipart SMPP message)."""
        self._by_id[part_id] = msg

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._by_id

    def prune(self, before: datetime) -> int:
        """Forget final messages done before ``before`` (beyond the logs' reach) and MO
        messages received before it; returns how many MT messages went.

        Only the messages submitted before ``before`` are looked at (the store is in
        submission order, and a message is done after it was submitted), so a prune costs
        what it drops, not the size of the store."""
        order = self._order
        n = 0
        while n < len(order) and (order[n].submitted_at is None or order[n].submitted_at < before):
            n += 1
        if not n:
            self._prune_mo(before)
            return 0
        keep: list[Message] = []
        by_id = self._by_id
        for m in order[:n]:
            if m.final and m.done_at is not None and m.done_at < before:
                for mid in (m.message_id, *(m.part_ids or ())):
                    if by_id.get(mid) is m:
                        del by_id[mid]
            else:
                keep.append(m)  # still pending (or never done): stays
        order[:n] = keep
        self._prune_mo(before)
        return n - len(keep)

    def _prune_mo(self, before: datetime) -> int:
        mo = self.mo
        n = 0
        while n < len(mo) and mo[n].received_at < before:
            n += 1
        del mo[:n]
        return n

    # -- pull queues (each item returned once) ------------------------------------
    def queue_report(self, account: str, result: dict[str, Any]) -> None:
        queue = self._reports.get(account)
        if queue is None:
            queue = self._reports[account] = deque(maxlen=PULL_QUEUE_LIMIT)
        queue.append(result)  # a full queue forgets its oldest report

    def take_reports(self, account: str, *, bulk_id: str | None = None,
                     message_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Remove and return up to ``limit`` unread reports matching the filters."""
        queue = self._reports.get(account)
        if not queue:
            return []
        taken: list[dict[str, Any]] = []
        if bulk_id is None and message_id is None:  # the oldest ones: no need to look further
            while queue and len(taken) < limit:
                taken.append(queue.popleft())
            return taken
        kept: deque[dict[str, Any]] = deque(maxlen=queue.maxlen)
        while queue:
            r = queue.popleft()
            if (len(taken) < limit and (bulk_id is None or r.get("bulkId") == bulk_id)
                    and (message_id is None or r.get("messageId") == message_id)):
                taken.append(r)
            else:
                kept.append(r)
        self._reports[account] = kept
        return taken

    def pending_reports(self, account: str) -> int:
        return len(self._reports.get(account, ()))

    def add_mo(self, mo: MoMessage) -> None:
        self.mo.append(mo)
        inbox = self._inbox.get(mo.account)
        if inbox is None:
            inbox = self._inbox[mo.account] = deque(maxlen=PULL_QUEUE_LIMIT)
        inbox.append(mo)

    def take_inbox(self, account: str, limit: int = 50) -> list[MoMessage]:
        queue = self._inbox.get(account)
        out: list[MoMessage] = []
        while queue and len(out) < limit:
            out.append(queue.popleft())
        return out

    # -- logs ------------------------------------------------------------------------
    def logs(self, account: str | None, now: datetime, *, from_: str | None = None,
             to: str | None = None, bulk_ids: list[str] | None = None,
             message_ids: list[str] | None = None, general_status: str | None = None,
             sent_since: datetime | None = None, sent_until: datetime | None = None,
             mcc: str | None = None, mnc: str | None = None, limit: int = 50) -> list[Message]:
        """Messages of the last 48 h matching every given filter, newest first."""
        oldest = now - LOG_WINDOW
        out: list[Message] = []
        for m in reversed(self._order):
            sent = m.sent_at or m.submitted_at
            if sent is None or sent < oldest:
                continue
            if account is not None and m.account != account:
                continue
            if from_ is not None and m.from_ != from_:
                continue
            if to is not None and m.to != to:
                continue
            if bulk_ids and m.bulk_id not in bulk_ids:
                continue
            if message_ids and m.message_id not in message_ids:
                continue
            if general_status and m.status.get("groupName") != general_status:
                continue
            if sent_since and sent < sent_since:
                continue
            if sent_until and sent > sent_until:
                continue
            if mcc is not None and m.mcc != mcc:
                continue
            if mnc is not None and m.mnc != mnc:
                continue
            out.append(m)
            if len(out) >= limit:
                break
        return out
