"""The simulated Infobip platform: accounts, submission, scenarios on a simulated clock,
the DLR pipeline, MO injection and Number Lookup. No HTTP or SMPP in here: the doors
(``console.simulator.http_api`` and the SMSC) call it.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import secrets
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from console.platform import codes, text
from console.platform.accounts import Account, AccountRegistry
from console.platform.clock import SimClock
from console.platform.numbering import Network, NumberingPlan, normalize
from console.platform.pipeline import DlrPipeline, ReportEvent
from console.platform.scenarios import Reject, Scenario, ScenarioTable, Step
from console.platform.store import Message, MessageStore, MoMessage, NotifyAttempt

log = logging.getLogger(__name__)

MAX_VALIDITY_MINUTES = 48 * 60  # the spec clamps validityPeriod to 48 h
RETENTION = timedelta(hours=49)  # final messages are kept a little longer than the logs show
HOUSEKEEPING = 3600.0  # simulated seconds between prunes
STATUS_ACCEPTED, STATUS_ENROUTE, STATUS_PENDING_ACCEPTED = 0, 7, 26
DUPLICATE_ID = Reject(status=23, error=0, smpp_status=0x0C)
NOT_COVERED = Reject(status=6, error=0, smpp_status=0x22)
NO_CREDIT = Reject(status=12, error=0, smpp_status=0xFF)


@dataclass
class SubmitRequest:
    """What either door hands to :meth:`Platform.submit` for one destination."""

    to: str
    text: str = ""
    from_: str = "InfoSMS"
    door: str = "http"
    message_id: str | None = None  # client-chosen id (HTTP advanced)
    bulk_id: str | None = None
    channel: str | None = None  # door-specific origin (SMPP session id) for routing receipts
    registered_delivery: int = 0
    flash: bool = False
    transliteration: str | None = None
    language: dict[str, Any] | None = None
    validity_minutes: float | None = None
    send_at: datetime | None = None
    intermediate_report: bool = False
    notify_url: str | None = None
    notify_content_type: str = "application/json"
    callback_data: str | None = None
    tracking: dict[str, Any] | None = None
    encoding: str | None = None  # set by a door that already encoded (SMPP) …
    data_coding: int | None = None
    sms_count: int | None = None  # … together with its part count
    extra: dict[str, Any] = field(default_factory=dict)


_STATUS: dict[int, dict[str, Any]] = {}
_ERROR: dict[int, dict[str, Any]] = {}


def _status(ident: int) -> dict[str, Any]:
    """codes.status, built once per id: messages share these dicts and never mutate them
    (reports copy them), so a status change costs a lookup, not a table walk."""
    obj = _STATUS.get(ident)
    if obj is None:
        obj = _STATUS[ident] = codes.status(ident)
    return obj


def _error(ident: int) -> dict[str, Any]:
    """codes.error, built once per id (see _status)."""
    obj = _ERROR.get(ident)
    if obj is None:
        obj = _ERROR[ident] = codes.error(ident)
    return obj


MoCallback = Callable[[MoMessage], Any]
MessageCallback = Callable[[Message], Any]


class Platform:
    """One simulated platform shared by the HTTP and SMPP doors."""

    def __init__(self, clock: SimClock | None = None, accounts: list[Account] | None = None,
                 scenarios: ScenarioTable | None = None, numbering: NumberingPlan | None = None) -> None:
        self.clock = clock or SimClock()
        self.accounts = AccountRegistry(accounts)
        self.scenarios = scenarios or ScenarioTable()
        self.numbering = numbering or NumberingPlan()
        self.store = MessageStore()
        self.pipeline = DlrPipeline(self.clock, self.store)
        self._mo_subscribers: list[MoCallback] = []
        self._message_subscribers: list[MessageCallback] = []
        self._id_base = str(uuid.uuid4())[:24]  # "xxxxxxxx-xxxx-4xxx-yxxx-"
        self._ids = itertools.count(secrets.randbelow(1 << 47))
        self.clock.call_later(HOUSEKEEPING, self._housekeeping)

    # -- accounts -------------------------------------------------------------------
    def authenticate(self, username: str, password: str, door: str = "http") -> Account | None:
        """The account for these credentials on ``door`` ("http" or "smpp"), or None."""
        return self.accounts.authenticate(username, password, door)

    def add_account(self, account: Account) -> Account:
        return self.accounts.add(account)

    # -- subscriptions ----------------------------------------------------------------
    def subscribe_reports(self, callback: Callable[[ReportEvent], Any]) -> Callable[[], None]:
        """``callback(ReportEvent)`` on every status change (intermediate or final)."""
        return self.pipeline.subscribe(callback)

    def subscribe_attempts(self, callback: Callable[[NotifyAttempt], Any]) -> Callable[[], None]:
        """``callback(NotifyAttempt)`` after every notifyUrl push attempt."""
        return self.pipeline.subscribe_attempts(callback)

    def subscribe_mo(self, callback: MoCallback) -> Callable[[], None]:
        """``callback(MoMessage)`` for every injected inbound message."""
        self._mo_subscribers.append(callback)
        return lambda: self._mo_subscribers.remove(callback) if callback in self._mo_subscribers else None

    def subscribe_messages(self, callback: MessageCallback) -> Callable[[], None]:
        """``callback(Message)`` for every accepted or rejected submission."""
        self._message_subscribers.append(callback)
        return lambda: (self._message_subscribers.remove(callback)
                        if callback in self._message_subscribers else None)

    # -- submission -----------------------------------------------------------------
    def new_id(self) -> str:
        """A UUID-shaped id: a random per-platform base plus a counter (uuid4 per message
        costs a system call; ids only need to be unique and look like Infobip's)."""
        n = next(self._ids)
        return f"{self._id_base}{n & 0xFFFFFFFFFFFF:012x}"

    def submit(self, account: Account, req: SubmitRequest) -> Message:
        """Accept (or refuse) one message; its fate follows the scenario of its destination.

        A refusal at submission leaves ``message.smpp_status`` non-zero and the message final
        (HTTP: the rejection is the response status and a final report; SMPP: no receipt).
        """
        now = self.clock.now()
        duplicate = req.message_id is not None and req.message_id in self.store
        message_id = self.new_id() if req.message_id is None or duplicate else req.message_id
        body = text.transliterate(req.text, req.transliteration)
        links: list[dict[str, str]] = []
        if req.tracking and str(req.tracking.get("track", "")).upper() == "URL":
            body, links = text.shorten_urls(body, message_id)
        if req.sms_count is not None:
            encoding, dcs, parts = req.encoding or "GSM7", req.data_coding or 0, req.sms_count
        else:
            encoding, dcs, parts = text.measure(body, req.language)
        validity = req.validity_minutes if req.validity_minutes is not None else MAX_VALIDITY_MINUTES
        validity = min(float(validity), MAX_VALIDITY_MINUTES)
        # interned: a store of many messages holds one copy of each sender and number
        to = sys.intern(normalize(req.to))
        net = self.numbering.lookup(to)
        scenario = self.scenarios.decide(to, req.from_)
        msg = Message(
            message_id=message_id, account=account.username, door=req.door,
            from_=sys.intern(req.from_),
            to=to, text=body, bulk_id=req.bulk_id, channel=req.channel,
            registered_delivery=req.registered_delivery, encoding=encoding, data_coding=dcs,
            sms_count=parts, flash=req.flash, transliteration=req.transliteration,
            language=req.language, validity_minutes=int(validity), send_at=req.send_at,
            intermediate_report=req.intermediate_report,
            notify_url=req.notify_url or (account.notify_url if req.door == "http" else None),
            notify_content_type=req.notify_content_type, explicit_notify=bool(req.notify_url),
            callback_data=req.callback_data, tracking=req.tracking,
            short_urls=tuple(link["shortUrl"] for link in links), currency=account.currency,
            scenario=scenario.name, submitted_at=now, extra=dict(req.extra),
        )
        if links:
            msg.extra["links"] = links
        if net is not None:
            msg.mcc, msg.mnc, msg.network, msg.country = net.mcc, net.mnc, net.network, net.country
        reject = self._refusal(account, scenario, net, parts, duplicate)
        if reject is not None:
            return self._refuse(msg, reject, scenario)
        assert net is not None
        msg.price = net.price
        account.balance -= net.price * parts
        start = max(now, req.send_at) if req.send_at else now
        msg.expires_at = start + timedelta(minutes=validity)
        if req.send_at and req.send_at > now:
            msg.status, msg.error = _status(STATUS_PENDING_ACCEPTED), _error(0)
            self.store.add(msg)
            msg.timer = self.clock.call_at(req.send_at, self._dispatch, msg, scenario)
        else:
            msg.status, msg.error = _status(STATUS_ENROUTE), _error(0)
            msg.sent_at = now
            self.store.add(msg)
            self._dispatch(msg, scenario)
        self._announce(msg)
        return msg

    def _refusal(self, account: Account, scenario: Scenario, net: Network | None, parts: int,
                 duplicate: bool) -> Reject | None:
        if duplicate:
            return DUPLICATE_ID
        if scenario.reject is not None:
            return scenario.reject
        if net is None:
            return NOT_COVERED
        if account.balance < net.price * parts:
            return NO_CREDIT
        return None

    def _refuse(self, msg: Message, reject: Reject, scenario: Scenario) -> Message:
        now = self.clock.now()
        msg.status, msg.error = _status(reject.status), _error(reject.error)
        msg.smpp_status, msg.final, msg.sent_at, msg.done_at = reject.smpp_status, True, now, now
        msg.price = 0.0
        self.store.add(msg)
        if msg.door == "http":  # SMPP refusals have no message id to receipt
            self.pipeline.emit(msg, intermediate=False,
                               stat=self.scenarios.stat_for(reject.status), err=reject.error)
        self._announce(msg)
        return msg

    def _announce(self, msg: Message) -> None:
        if not self._message_subscribers:
            return
        for cb in list(self._message_subscribers):
            try:
                cb(msg)
            except Exception:
                log.exception("message subscriber failed")

    def _dispatch(self, msg: Message, scenario: Scenario) -> None:
        msg.timer = None
        if msg.final:
            return
        if msg.sent_at is None:
            msg.sent_at = self.clock.now()
        if msg.status.get("id") != STATUS_ENROUTE:
            msg.status = _status(STATUS_ENROUTE)
        self._schedule_step(msg, scenario.steps, 0)

    def _schedule_step(self, msg: Message, steps: tuple[Step, ...], index: int) -> None:
        if index < len(steps):
            msg.next_step = (self.clock.timestamp() + steps[index].after, steps, index)
        else:
            msg.next_step = None
        self._arm(msg)

    def _arm(self, msg: Message) -> None:
        # One timer per message (on the clock's heap): its next step, or its expiry when that
        # comes first or the scenario has no final step. Moving the expiry re-arms it.
        if msg.timer is not None:
            msg.timer.cancel()
            msg.timer = None
        expires = msg.expires_at.timestamp() if msg.expires_at is not None else None
        nxt = msg.next_step
        if nxt is not None and (expires is None or nxt[0] < expires):
            msg.timer = self.clock.call_at(nxt[0], self._step, msg, nxt[1], nxt[2])
        elif expires is not None:
            msg.timer = self.clock.call_at(expires, self._expire, msg)

    def _step(self, msg: Message, steps: tuple[Step, ...], index: int) -> None:
        msg.timer = None
        if msg.final:
            return
        step = steps[index]
        now = self.clock.now()
        if msg.expires_at is not None and now >= msg.expires_at:
            self._expire(msg)
            return
        msg.status, msg.error = _status(step.status), _error(step.error)
        stat = self.scenarios.stat_for(step.status, step.stat)
        if step.final:
            msg.next_step = None
            self._finish(msg, stat, step.error)
            return
        msg.done_at = now
        self.pipeline.emit(msg, intermediate=True, stat=stat, err=step.error)
        self._schedule_step(msg, steps, index + 1)

    def _finish(self, msg: Message, stat: str, err: int) -> None:
        msg.final, msg.done_at = True, self.clock.now()
        if msg.timer is not None:
            msg.timer.cancel()
            msg.timer = None
        msg.next_step = None
        self.pipeline.emit(msg, intermediate=False, stat=stat, err=err)

    def _expire(self, msg: Message) -> None:
        msg.timer = None
        if msg.final:
            return
        if msg.expires_at is not None and self.clock.now() < msg.expires_at:
            self._arm(msg)  # the validity was extended meanwhile
            return
        exp = self.scenarios.expire
        msg.status, msg.error = _status(exp.status), _error(exp.error)
        self._finish(msg, self.scenarios.stat_for(exp.status, exp.stat), exp.error)

    def _pending(self, message_id: str, account: Account | str | None) -> Message | None:
        msg = self.store.get(message_id)
        if msg is None or msg.final:
            return None
        if account is not None:
            name = account if isinstance(account, str) else account.username
            if msg.account != name:
                return None
        return msg

    def set_expiry(self, message_id: str, when: datetime) -> bool:
        """Move a pending message's validity end; False if not pending."""
        msg = self._pending(message_id, None)
        if msg is None:
            return False
        self._move_expiry(msg, when)
        return True

    def _move_expiry(self, msg: Message, when: datetime) -> None:
        msg.expires_at = when
        start = msg.sent_at or msg.send_at or msg.submitted_at
        if start is not None:
            msg.validity_minutes = max(0, int((when - start).total_seconds() // 60))
        if msg.sent_at is not None:  # dispatched: its step/expiry timer moves
            self._arm(msg)

    def cancel(self, message_id: str, account: Account | str | None = None, *,
               status: int = 9, error: int = 4100, stat: str = "DELETED") -> bool:
        """Stop a pending message of ``account`` (SMPP cancel_sm) with a final report:
        UNDELIVERABLE_NOT_DELIVERED, EC_MESSAGE_CANCELED, receipt stat DELETED.

        ``message_id`` may be any part id of a multipart SMPP message. False when there is
        no such pending message (unknown, final, or another account's)."""
        msg = self._pending(message_id, account)
        if msg is None:
            return False
        msg.status, msg.error = _status(status), _error(error)
        msg.extra["smpp_stat"] = stat
        self._finish(msg, stat, error)
        return True

    def replace(self, message_id: str, account: Account | str | None = None, *,
                text: str | None = None, registered_delivery: int | None = None,
                expires_at: datetime | None = None, send_at: datetime | None = None) -> bool:
        """Change a pending message of ``account`` (SMPP replace_sm): its text, receipt
        request, validity end (the expiry timer moves with it) or, while it waits for its
        scheduled time, that time. False when there is no such pending message."""
        msg = self._pending(message_id, account)
        if msg is None:
            return False
        if text is not None:
            msg.text = text
        if registered_delivery is not None:
            msg.registered_delivery = registered_delivery
        if send_at is not None and msg.sent_at is None and msg.timer is not None:
            timer = msg.timer
            timer.cancel()
            msg.send_at = send_at
            msg.timer = self.clock.call_at(max(send_at, self.clock.now()), timer.callback,
                                           *timer.args)
        if expires_at is not None:
            self._move_expiry(msg, expires_at)
        return True

    # -- MO -----------------------------------------------------------------------------
    def inject_mo(self, from_: str, to: str, text_: str = "", *, data_coding: int = 0,
                  binary: bytes | None = None, esm_class: int = 0, keyword: str | None = None,
                  account: str | None = None, message_id: str | None = None) -> MoMessage:
        """An inbound message from a handset: stored for the inbox pull, then handed to
        subscribers (HTTP forwarding, the SMSC's deliver_sm)."""
        acct = self.accounts.get(account) if account else self.accounts.owner_of(normalize(to))
        if acct is None:
            raise ValueError("no account to receive the MO message")
        if binary is None:
            binary = _mo_bytes(text_, data_coding)
        if keyword is None and text_.split():
            first = text_.split()[0]
            keyword = next((k for k in acct.keywords if k.upper() == first.upper()), None)
        _, _, parts = text.measure(text_) if text_ else ("GSM7", 0, 1)
        mo = MoMessage(message_id=message_id or self.new_id(), from_=normalize(from_),
                       to=normalize(to), text=text_, received_at=self.clock.now(),
                       account=acct.username, keyword=keyword, data_coding=data_coding,
                       esm_class=esm_class, binary=binary, sms_count=parts)
        self.store.add_mo(mo)
        for cb in list(self._mo_subscribers):
            try:
                cb(mo)
            except Exception:
                log.exception("MO subscriber failed")
        return mo

    # -- Number Lookup ------------------------------------------------------------------
    def number_info(self, to: str) -> dict[str, Any]:
        """Number Lookup result (the spec's shape) plus ``details`` for the SMPP HLR flow:
        imsi, msc, hlr, original/ported/roaming network names, mcc, mnc, price."""
        digits = normalize(to)
        net = self.numbering.lookup(digits)
        scenario = self.scenarios.decide(digits)
        look = scenario.lookup
        if net is None:
            return {"to": to, "status": _status(6), "error": _error(0),
                    "ported": False, "roaming": False,
                    "details": {"price": 0.0, "currency": self.numbering.currency}}
        serving = net
        result: dict[str, Any] = {"to": to}
        ported_net = self.numbering.other_network(net) if look.get("ported") else None
        if ported_net is not None:
            serving = ported_net
        roaming_net = self.numbering.by_mcc_mnc(look["roaming"]) if look.get("roaming") else None
        imsi_net = serving
        seed = int(hashlib.sha256(digits.encode()).hexdigest(), 16)
        imsi = (imsi_net.mcc + imsi_net.mnc + str(seed))[:15]
        result["mccMnc"] = serving.mcc_mnc
        result["imsi"] = imsi
        result["originalNetwork"] = _network_obj(net)
        result["ported"] = ported_net is not None
        if ported_net is not None:
            result["portedNetwork"] = _network_obj(ported_net)
        result["roaming"] = roaming_net is not None
        if roaming_net is not None:
            result["roamingNetwork"] = _network_obj(roaming_net)
        result["status"] = _status(int(look.get("status", 5)))
        result["error"] = _error(int(look.get("error", 0)))
        visited = roaming_net or serving
        result["details"] = {
            "imsi": imsi, "mcc": serving.mcc, "mnc": serving.mnc, "mccMnc": serving.mcc_mnc,
            "msc": visited.country_prefix + (visited.network_prefix or "0") + str(seed)[-6:],
            "hlr": serving.country_prefix + (serving.network_prefix or "0") + str(seed)[-8:-4] + "00",
            "originalNetworkName": net.network, "originalCountry": net.country,
            "portedNetworkName": ported_net.network if ported_net else None,
            "roamingNetworkName": roaming_net.network if roaming_net else None,
            "roamingCountry": roaming_net.country if roaming_net else None,
            "roamingMccMnc": roaming_net.mcc_mnc if roaming_net else None,
            "countryPrefix": net.country_prefix, "networkPrefix": net.network_prefix,
            "price": self.numbering.lookup_price, "currency": self.numbering.currency,
        }
        return result

    def number_lookup(self, to: str) -> dict[str, Any]:
        """The spec's Number Lookup result object for one number."""
        info = self.number_info(to)
        info.pop("details", None)
        return info

    # -- housekeeping ---------------------------------------------------------------------
    def _housekeeping(self) -> None:
        # bounded memory in long demos: what the logs can no longer show is dropped
        self.store.prune(self.clock.now() - RETENTION)
        self.clock.call_later(HOUSEKEEPING, self._housekeeping)

    def message(self, message_id: str) -> Message | None:
        return self.store.get(message_id)

    def now(self) -> datetime:
        return self.clock.now()


def _network_obj(net: Network) -> dict[str, Any]:
    return {"networkPrefix": net.network_prefix, "countryPrefix": net.country_prefix,
            "networkName": net.network, "countryName": net.country, "mccMnc": net.mcc_mnc}


def _mo_bytes(text_: str, data_coding: int) -> bytes:
    if data_coding == 8:
        return text_.encode("utf-16-be")
    try:
        return text_.encode("latin-1")
    except UnicodeEncodeError:
        return text_.encode("utf-8")
