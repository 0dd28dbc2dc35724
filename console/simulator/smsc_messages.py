"""The SMSC's message commands against the platform: submit_sm, data_sm, submit_multi,
query_sm, cancel_sm, replace_sm, and the Number Context (HLR) and flash (NSMS) variants.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from console.platform import SubmitRequest
from console.platform.core import MAX_VALIDITY_MINUTES
from console.platform.numbering import normalize
from console.simulator import hlr
from console.simulator.smsc_receipts import MESSAGE_STATE, Delivery
from console.simulator.smsc_submit import (
    ESME_RINVDSTADR,
    ESME_RINVMSGLEN,
    ESME_RINVSRCADR,
    Part,
    Reassembler,
    SubmitRefused,
    count_parts,
    decode_parts,
    flash_data_coding,
    split_part,
    time_fields,
)
from console.simulator.smsc_wire import tlv_map

if TYPE_CHECKING:
    from console.simulator.smsc import SmscServer
    from console.simulator.smsc_session import SmscSession

log = logging.getLogger(__name__)

ESME_RSYSERR, ESME_RCANCELFAIL, ESME_RREPLACEFAIL, ESME_RTHROTTLED = 0x08, 0x11, 0x13, 0x58
ESME_RINVNUMDESTS, ESME_RQUERYFAIL, ESME_RNETWORK_NOT_COVERED = 0x33, 0x67, 0x22
FLASH_MAX_CHARS = 160
STATUS_CANCELLED, ERROR_CANCELLED = 9, 4100  # UNDELIVERABLE_NOT_DELIVERED, EC_Cancelled
_ALNUM_SENDER = re.compile(r"^[A-Za-z0-9 .\-_&+!?'#$%()*,/:;<=>@]{1,11}$")


_SOURCE_CHECKS: dict[str, str | None] = {}  # sender -> check_source(sender)


class _Throttle:
    """Token bucket: ``rate`` submits per second per account, bursts up to one second's worth."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(rate, 1.0)  # a rate below 1/s still lets one submit through
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def check_source(source: str) -> str | None:
    """Why a sender is invalid (the spec's rule: numeric 3–14 digits, alphanumeric 3–11)."""
    s = source[1:] if source.startswith("+") else source
    if s.isdigit():
        return None if 3 <= len(s) <= 14 else f"numeric sender {source!r} is not 3–14 digits"
    if not 3 <= len(source) <= 11 or not _ALNUM_SENDER.match(source):
        return f"alphanumeric sender {source!r} is not 3–11 characters"
    return None


class MessageService:
    """Answers message commands for every session of one server."""

    def __init__(self, server: SmscServer) -> None:
        self.server = server
        self.platform = server.platform
        self.reassembler = Reassembler()
        self._throttles: dict[str, _Throttle] = {}
        self._extras: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.countries = {n.mcc_mnc: n.iso for n in self.platform.numbering.networks}

    def handle(self, session: SmscSession, pdu: Any) -> None:
        cmd = pdu.command
        try:
            if cmd in ("submit_sm", "data_sm", "submit_multi"):
                self._submit_family(session, pdu)
            elif cmd == "query_sm":
                self._query(session, pdu)
            elif cmd == "cancel_sm":
                self._cancel(session, pdu)
            elif cmd == "replace_sm":
                self._replace(session, pdu)
        except SubmitRefused as exc:
            log.info("%s refused on %s: %s", cmd, session.id, exc)
            session.respond(pdu, exc.status)

    # -- submit ---------------------------------------------------------------------------
    def _submit_family(self, session: SmscSession, pdu: Any) -> None:
        session.submits += 1
        fault = self.server.faults.take_submit_failure()
        if fault:
            session.respond(pdu, fault)
            return
        rate = self.server.throttle_per_second
        if rate:
            assert session.account is not None
            bucket = self._throttles.setdefault(session.account.username, _Throttle(rate))
            if not bucket.take():
                session.respond(pdu, ESME_RTHROTTLED)
                return
        if pdu.command == "submit_multi":
            self._submit_multi(session, pdu)
            return
        fields = pdu.fields  # read, never changed, from here on
        if session.kind == "hlr":
            self._number_context(session, pdu, str(fields.get("destination_addr", "")))
            return
        message_id = self._submit_one(session, pdu, fields, tlv_map(pdu))
        if message_id is not None:
            session.respond(pdu, 0, message_id=message_id)

    def _submit_one(self, session: SmscSession, pdu: Any, fields: dict[str, Any],
                    tlvs: dict[int, bytes], bulk_id: str | None = None) -> str | None:
        """Submit (or collect a part of) one message; answers refusals itself and returns
        the message id to put in the response (None when already answered)."""
        acct = session.account
        assert acct is not None
        source = str(fields.get("source_addr", ""))
        dest = str(fields.get("destination_addr", ""))
        if not dest or not normalize(dest).isdigit():
            raise SubmitRefused(ESME_RINVDSTADR, f"destination {dest!r} is not a phone number")
        why = _SOURCE_CHECKS.get(source, "")
        if why == "":  # not seen yet: senders are few, checking one takes a regex
            if len(_SOURCE_CHECKS) >= 4096:
                _SOURCE_CHECKS.clear()
            why = _SOURCE_CHECKS[source] = check_source(source)
        if why:
            raise SubmitRefused(ESME_RINVSRCADR, why)
        part = split_part(fields, tlvs)
        dcs = int(fields.get("data_coding", 0))
        if session.flash and (part.total > 1 or count_parts([part], dcs) > 1):
            raise SubmitRefused(ESME_RINVMSGLEN, "flash notifications do not support long SMS")
        now = self.platform.clock.now()
        send_at, validity = time_fields(fields, now)
        if part.total > 1:
            early = self._precheck(source, dest)
            if early:
                raise SubmitRefused(early, "refused before the long message was complete")
            asm, parts = self.reassembler.add((acct.username, source, dest), part, fields,
                                              self.platform.new_id)
            part_id = asm.ids[part.seq]
            if parts is None:
                return part_id  # Infobip: every submit_sm gets its own id (and receipt)
            fields = asm.first  # addresses and flags of the first part count
            send_at, validity = time_fields(fields, now)
            ids = asm.part_ids()
            if self._to_platform(session, pdu, fields, parts, send_at, validity, ids,
                                 bulk_id) is None:
                return None
            return part_id
        return self._to_platform(session, pdu, fields, [part], send_at, validity, None, bulk_id)

    def _precheck(self, source: str, dest: str) -> int:
        scenario = self.platform.scenarios.decide(normalize(dest), source)
        if scenario.reject is not None:
            return scenario.reject.smpp_status
        if self.platform.numbering.lookup(dest) is None:
            return ESME_RNETWORK_NOT_COVERED
        return 0

    def _to_platform(self, session: SmscSession, pdu: Any, fields: dict[str, Any],
                     parts: list[Part], send_at: datetime | None, validity: float | None,
                     part_ids: list[str] | None, bulk_id: str | None) -> str | None:
        acct = session.account
        assert acct is not None
        dcs = int(fields.get("data_coding", 0))
        text, encoding = decode_parts(parts, dcs)
        store_dcs = flash_data_coding(dcs) if session.flash else dcs
        req = SubmitRequest(
            to=str(fields.get("destination_addr", "")), text=text,
            from_=str(fields.get("source_addr", "")), door="smpp",
            message_id=part_ids[0] if part_ids else None,
            bulk_id=bulk_id, channel=session.id,
            registered_delivery=int(fields.get("registered_delivery", 0)), flash=session.flash,
            validity_minutes=validity, send_at=send_at, encoding=encoding, data_coding=store_dcs,
            sms_count=count_parts(parts, dcs),
            extra={"smpp": self._smpp_extra(session, parts[0].via,
                                            int(fields.get("esm_class", 0)), dcs, pdu.command)},
        )
        msg = self.platform.submit(acct, req)
        if part_ids and len(part_ids) > 1:
            # one platform message (one logs entry, smsCount = parts) found by any part's id;
            # the receipt router sends one receipt per part id
            msg.part_ids = part_ids
            for pid in part_ids[1:]:
                self.platform.store.alias(pid, msg)
        if msg.smpp_status:
            session.respond(pdu, msg.smpp_status)
            return None
        return msg.message_id

    def _smpp_extra(self, session: SmscSession, concat: str, esm_class: int, data_coding: int,
                    command: str) -> dict[str, Any]:
        """The message's ``extra["smpp"]``: one dict shared by the messages of a session that
        came the same way (read-only; a dict per message would be most of its size)."""
        key = (session.id, concat, esm_class, data_coding, command)
        found = self._extras.get(key)
        if found is None or found["system_type"] != session.system_type:
            if len(self._extras) >= 1024:
                self._extras.clear()
            found = self._extras[key] = {
                "session": session.id, "system_type": session.system_type,
                "route_code": session.route_code, "concat": concat, "esm_class": esm_class,
                "data_coding": data_coding, "command": command}
        return found

    def _submit_multi(self, session: SmscSession, pdu: Any) -> None:
        fields = dict(pdu.fields)
        dests = _multi_destinations(fields)
        if not dests or len(dests) > 255:
            session.respond(pdu, ESME_RINVNUMDESTS)
            return
        bulk_id = str(uuid.uuid4())
        failed: list[dict[str, Any]] = []
        tlvs = tlv_map(pdu)
        for ton, npi, addr in dests:
            one = dict(fields, destination_addr=addr, dest_addr_ton=ton, dest_addr_npi=npi)
            try:
                mid = self._submit_one(_Quiet(session, failed, ton, npi, addr), pdu, one, tlvs,
                                       bulk_id)
            except SubmitRefused as exc:
                failed.append({"dest_addr_ton": ton, "dest_addr_npi": npi,
                               "destination_addr": addr, "error_status_code": exc.status})
                continue
            if mid is None and not any(f["destination_addr"] == addr for f in failed):
                failed.append({"dest_addr_ton": ton, "dest_addr_npi": npi,
                               "destination_addr": addr, "error_status_code": ESME_RSYSERR})
        session.respond(pdu, 0, message_id=bulk_id, no_unsuccess=len(failed),
                        unsuccess_sme=failed)

    # -- Number Context --------------------------------------------------------------------
    def _number_context(self, session: SmscSession, pdu: Any, dest: str) -> None:
        acct = session.account
        assert acct is not None
        if not dest:
            session.respond(pdu, ESME_RINVDSTADR)
            return
        message_id = str(uuid.uuid4())
        submitted = self.platform.clock.now()
        session.respond(pdu, 0, message_id=message_id)
        info = self.platform.number_info(dest)
        text, tlvs, _stat, _err = hlr.number_context(message_id, normalize(dest), info, submitted,
                                                     self.platform.clock.now(), self.countries)
        fields = {"source_addr_ton": 0, "source_addr_npi": 0, "source_addr": normalize(dest),
                  "dest_addr_ton": 0, "dest_addr_npi": 0, "destination_addr": "0000000000",
                  "esm_class": 0x04, "data_coding": 0, "short_message": text.encode("utf-8")}
        if len(fields["short_message"]) > 254:
            fields["short_message"] = fields["short_message"][:254]
        self.server.router.enqueue(Delivery(acct.username, "hlr", fields, tlvs, message_id))

    # -- query / cancel / replace -------------------------------------------------------------
    def _own(self, session: SmscSession, message_id: str) -> Any:
        msg = self.platform.store.get(message_id)
        if msg is None or session.account is None or msg.account != session.account.username:
            return None
        return msg

    def _query(self, session: SmscSession, pdu: Any) -> None:
        mid = str(pdu.fields.get("message_id", ""))
        msg = self._own(session, mid)
        if msg is None:
            session.respond(pdu, ESME_RQUERYFAIL)
            return
        stat = msg.extra.get("smpp_stat") or self.platform.scenarios.stat_for(
            int(msg.status.get("id", 0)))
        final_date = _smpp_time(msg.done_at) if msg.final and msg.done_at else ""
        session.respond(pdu, 0, message_id=mid, final_date=final_date,
                        message_state=MESSAGE_STATE.get(stat, 7),
                        error_code=int(msg.error.get("id", 0)) & 0xFF)

    def _cancel(self, session: SmscSession, pdu: Any) -> None:
        mid = str(pdu.fields.get("message_id", ""))
        # the platform ends it as DELETED and reports it through the one pipeline (a DELETED
        # receipt when one was asked for)
        ok = self.platform.cancel(mid, session.account, status=STATUS_CANCELLED,
                                  error=ERROR_CANCELLED, stat="DELETED")
        session.respond(pdu, 0 if ok else ESME_RCANCELFAIL)

    def _replace(self, session: SmscSession, pdu: Any) -> None:
        f = pdu.fields
        mid = str(f.get("message_id", ""))
        msg = self._own(session, mid)
        if msg is None or msg.final:
            session.respond(pdu, ESME_RREPLACEFAIL)
            return
        now = self.platform.clock.now()
        send_at, validity = time_fields({"schedule_delivery_time": f.get("schedule_delivery_time"),
                                         "validity_period": f.get("validity_period", "")}, now)
        sm = bytes(f.get("short_message") or b"")
        text = None
        if sm:
            text, _ = decode_parts([Part(sm, b"")], msg.extra.get("smpp", {}).get(
                "data_coding", msg.data_coding))
        rd = f.get("registered_delivery")
        expires = None
        if validity is not None:
            start = max(now, send_at) if send_at else now
            expires = start + timedelta(minutes=min(validity, MAX_VALIDITY_MINUTES))
        ok = self.platform.replace(mid, session.account, text=text,
                                   registered_delivery=None if rd is None else int(rd),
                                   expires_at=expires, send_at=send_at)
        session.respond(pdu, 0 if ok else ESME_RREPLACEFAIL)


class _Quiet:
    """A session stand-in for submit_multi: refusals become unsuccess_sme entries instead of
    responses (the one submit_multi_resp answers for every destination)."""

    def __init__(self, session: SmscSession, failed: list[dict[str, Any]], ton: int, npi: int,
                 addr: str) -> None:
        self._session, self._failed = session, failed
        self._entry = {"dest_addr_ton": ton, "dest_addr_npi": npi, "destination_addr": addr}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def respond(self, request: Any, status: int = 0, **fields: Any) -> None:
        self._failed.append(dict(self._entry, error_status_code=status))


def _multi_destinations(fields: dict[str, Any]) -> list[tuple[int, int, str]]:
    """(ton, npi, address) of the SME destinations of a submit_multi (distribution lists are
    not supported and skipped)."""
    out: list[tuple[int, int, str]] = []
    for d in fields.get("dest_address") or fields.get("dest_addresses") or []:
        if not isinstance(d, dict):
            continue
        addr = d.get("destination_addr") or d.get("dest_addr")
        if addr:
            out.append((int(d.get("dest_addr_ton", 0)), int(d.get("dest_addr_npi", 0)), str(addr)))
    return out


def _smpp_time(t: datetime) -> str:
    """Absolute SMPP time in UTC: ``YYMMDDhhmmss000+``."""
    return t.strftime("%y%m%d%H%M%S") + f"{t.microsecond // 100_000}00+"
