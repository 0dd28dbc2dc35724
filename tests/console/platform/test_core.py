"""Platform core: scenarios from destinations, refusals, the DLR pipeline, MO, lookup."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from console.errors import SimulatorError
from console.platform import Account, Platform, ReportEvent, SimClock, SubmitRequest, retry_delay
from console.platform.accounts import parse_account


@pytest.fixture
def platform() -> Platform:
    return Platform(clock=SimClock(scale=1.0))


def aladdin(p: Platform) -> Account:
    acct = p.authenticate("Aladdin", "open sesame")
    assert acct is not None
    return acct


async def settle(cond, rounds: int = 1000) -> None:
    for _ in range(rounds):
        if cond():
            return
        await asyncio.sleep(0.005)


def test_demo_account_on_both_doors(platform):
    assert platform.authenticate("Aladdin", "open sesame", door="http") is not None
    assert platform.authenticate("Aladdin", "opensesa", door="smpp") is not None
    assert platform.authenticate("Aladdin", "open sesame", door="smpp") is None
    assert platform.authenticate("Aladdin", "wrong") is None
    assert platform.authenticate("nobody", "open sesame") is None


def test_smpp_password_is_at_most_8_characters():
    with pytest.raises(SimulatorError):
        Account("u", "p", smpp_password="123456789")
    acct = parse_account("alice:longhttppassword")
    assert acct.smpp_password == "longhttp"
    assert parse_account("bob:x:y").smpp_password == "y"
    with pytest.raises(SimulatorError):
        parse_account("no-colon")


def test_retry_schedule_is_the_specs():
    delays = [retry_delay(n) for n in range(20)]
    assert [d.total_seconds() / 60 for d in delays[:7]] == [1, 2, 5, 10, 17, 26, 37]
    assert sum(delays, timedelta()) == timedelta(hours=41, minutes=30)


@pytest.mark.parametrize(("to", "scenario"), [
    ("41793026727", "delivered"), ("41793020001", "absent_then_delivered"),
    ("41793020002", "unknown_subscriber"), ("41793020003", "expired"),
    ("41793020004", "network_not_covered"), ("41793020005", "delivery_unknown"),
])
def test_scenario_is_decided_by_destination(platform, to, scenario):
    assert platform.scenarios.decide(to).name == scenario
    assert platform.scenarios.decide(to).name == scenario  # deterministic


@pytest.mark.parametrize(("to", "from_", "status", "smpp"), [
    ("41793020004", "InfoSMS", "REJECTED_NETWORK", 0x22),
    ("41793020006", "InfoSMS", "REJECTED_NOT_ENOUGH_CREDITS", 0xFF),
    ("41793020008", "InfoSMS", "REJECTED_SYSTEM_ERROR", 0x4A1),
    ("41793020011", "InfoSMS", "REJECTED_SOURCE", 0x0A),
    ("41793026727", "BADSOURCE", "REJECTED_SOURCE", 0x0A),
    ("99912345678", "InfoSMS", "REJECTED_NETWORK", 0x22),  # no network has this prefix
])
def test_refusals_at_submission(platform, to, from_, status, smpp):
    msg = platform.submit(aladdin(platform), SubmitRequest(to=to, text="x", from_=from_))
    assert msg.status["name"] == status
    assert msg.smpp_status == smpp
    assert msg.final and msg.price == 0


def test_balance_is_charged_and_enforced(platform):
    acct = aladdin(platform)
    acct.balance = 0.025
    first = platform.submit(acct, SubmitRequest(to="41793026727", text="x"))
    second = platform.submit(acct, SubmitRequest(to="41793026727", text="x"))
    third = platform.submit(acct, SubmitRequest(to="41793026727", text="x"))
    assert not first.rejected and not second.rejected
    assert third.status["name"] == "REJECTED_NOT_ENOUGH_CREDITS" and third.smpp_status == 0xFF
    assert acct.balance == pytest.approx(0.005)


def test_duplicate_client_message_id(platform):
    acct = aladdin(platform)
    platform.submit(acct, SubmitRequest(to="41793026727", text="x", message_id="MY-ID"))
    dup = platform.submit(acct, SubmitRequest(to="41793026727", text="x", message_id="MY-ID"))
    assert dup.status["name"] == "REJECTED_DUPLICATE_MESSAGE_ID" and dup.smpp_status == 0x0C
    assert dup.message_id != "MY-ID"
    assert platform.store.get("MY-ID").to == "41793026727"


async def test_absent_subscriber_gives_intermediate_reports_then_delivery(platform):
    events: list[ReportEvent] = []
    platform.subscribe_reports(events.append)
    msg = platform.submit(aladdin(platform), SubmitRequest(to="41793020001", text="x", door="smpp",
                                                           channel="sess-1", registered_delivery=0x11))
    platform.clock.advance(3600)
    await settle(lambda: len(events) == 3)
    assert [e.intermediate for e in events] == [True, True, False]
    assert [e.result["error"]["name"] for e in events] == ["EC_ABSENT_SUBSCRIBER"] * 2 + ["NO_ERROR"]
    assert events[0].result["error"]["permanent"] is False
    assert events[-1].stat == "DELIVRD" and events[-1].result["status"]["name"] == "DELIVERED_TO_HANDSET"
    # the SMSC routes receipts by door, channel and registered_delivery
    assert events[-1].door == "smpp" and events[-1].message.channel == "sess-1"
    assert events[-1].message.registered_delivery == 0x11
    assert msg.final
    # SMPP messages do not land in the HTTP pull queue
    assert platform.store.take_reports("Aladdin") == []


async def test_validity_expiry(platform):
    events: list[ReportEvent] = []
    platform.subscribe_reports(events.append)
    msg = platform.submit(aladdin(platform), SubmitRequest(to="41793020003", text="x", validity_minutes=30))
    platform.clock.advance(29 * 60)
    await settle(lambda: len(events) >= 1)
    assert not msg.final
    platform.clock.advance(2 * 60)
    await settle(lambda: msg.final)
    assert msg.status["name"] == "EXPIRED_EXPIRED" and events[-1].stat == "EXPIRED"
    assert msg.done_at - msg.sent_at == timedelta(minutes=30)


def test_validity_is_clamped_to_48_hours(platform):
    msg = platform.submit(aladdin(platform), SubmitRequest(to="41793026727", text="x", validity_minutes=10_000))
    assert msg.validity_minutes == 48 * 60
    assert msg.expires_at - msg.submitted_at == timedelta(hours=48)


async def test_scheduled_message_waits_for_send_at(platform):
    at = platform.clock.now() + timedelta(hours=2)
    msg = platform.submit(aladdin(platform), SubmitRequest(to="41793026727", text="x", send_at=at))
    assert msg.status["name"] == "PENDING_ACCEPTED"
    platform.clock.advance(3600)
    await asyncio.sleep(0.02)
    assert msg.status["name"] == "PENDING_ACCEPTED" and not msg.final
    platform.clock.advance(3700)
    await settle(lambda: msg.final)
    assert msg.status["name"] == "DELIVERED_TO_HANDSET"
    assert msg.sent_at == at


def test_sms_count_follows_encoding(platform):
    acct = aladdin(platform)
    assert platform.submit(acct, SubmitRequest(to="41793026727", text="a" * 160)).sms_count == 1
    assert platform.submit(acct, SubmitRequest(to="41793026727", text="a" * 161)).sms_count == 2
    ucs2 = platform.submit(acct, SubmitRequest(to="41793026727", text="中" * 71))
    assert ucs2.sms_count == 2 and ucs2.data_coding == 8


def test_url_shortening_with_tracking(platform):
    msg = platform.submit(aladdin(platform), SubmitRequest(
        to="41793026727", text="Can you beat my score: http://www.example.com/awesomeApp/someUserId",
        tracking={"track": "URL", "type": "SOCIAL_INVITES"}))
    assert "example.com" not in msg.text
    assert len(msg.short_urls) == 1 and len(msg.short_urls[0]) == 25
    assert msg.text.endswith(msg.short_urls[0])


def test_number_lookup_shapes(platform):
    plain = platform.number_lookup("41793026727")
    assert plain["mccMnc"] == "22801" and plain["originalNetwork"]["networkPrefix"] == "79"
    assert plain["originalNetwork"]["countryPrefix"] == "41"
    assert plain["imsi"].startswith("22801") and len(plain["imsi"]) == 15
    assert plain["ported"] is False and plain["roaming"] is False
    assert plain["status"]["name"] == "DELIVERED_TO_HANDSET"
    ported = platform.number_lookup("41793020013")
    assert ported["ported"] is True and ported["portedNetwork"]["networkPrefix"] == "76"
    assert ported["mccMnc"] == "22802"
    roaming = platform.number_info("41793020014")
    assert roaming["roaming"] is True and roaming["details"]["roamingMccMnc"] == "26201"
    unknown = platform.number_lookup("41793020002")
    assert unknown["error"]["name"] == "EC_UNKNOWN_SUBSCRIBER" and unknown["error"]["permanent"] is True


def test_inject_mo_keyword_and_inbox(platform):
    seen = []
    platform.subscribe_mo(seen.append)
    mo = platform.inject_mo("+38598111", "41793026700", "KEY Test message")
    assert mo.keyword == "KEY" and mo.clean_text == "Test message" and mo.from_ == "38598111"
    assert seen == [mo]
    got = platform.store.take_inbox("Aladdin")
    assert [m.result()["cleanText"] for m in got] == ["Test message"]
    assert platform.store.take_inbox("Aladdin") == []


async def test_validity_changed_after_submission(platform):
    acct = aladdin(platform)
    longer = platform.submit(acct, SubmitRequest(to="41793020003", text="x", validity_minutes=10))
    shorter = platform.submit(acct, SubmitRequest(to="41793020015", text="x", validity_minutes=60))
    longer.expires_at = longer.sent_at + timedelta(minutes=30)  # as replace_sm does, directly
    assert platform.set_expiry(shorter.message_id, shorter.sent_at + timedelta(minutes=5))
    platform.clock.advance(20 * 60)
    await settle(lambda: shorter.final)
    assert shorter.status["name"] == "EXPIRED_EXPIRED" and not longer.final
    platform.clock.advance(20 * 60)
    await settle(lambda: longer.final)
    assert longer.done_at - longer.sent_at == timedelta(minutes=30)


async def test_cancel_gives_a_final_report(platform):
    events: list[ReportEvent] = []
    platform.subscribe_reports(events.append)
    msg = platform.submit(aladdin(platform), SubmitRequest(to="41793020015", text="x"))
    assert platform.cancel(msg.message_id)
    assert not platform.cancel(msg.message_id)
    platform.clock.advance(3600)
    await asyncio.sleep(0.02)
    assert [e.stat for e in events] == ["DELETED"] and msg.error["name"] == "EC_MESSAGE_CANCELED"


async def test_old_final_messages_are_pruned(platform):
    acct = aladdin(platform)
    old = platform.submit(acct, SubmitRequest(to="41793026727", text="x"))
    platform.clock.advance(timedelta(hours=48))
    await settle(lambda: old.final)
    pending = platform.submit(acct, SubmitRequest(to="41793020003", text="y"))
    platform.clock.advance(timedelta(hours=3))
    await settle(lambda: platform.store.get(old.message_id) is None)
    assert platform.store.get(old.message_id) is None
    assert platform.store.get(pending.message_id) is pending  # still within its validity


async def test_cancel_and_replace_check_the_account(platform):
    acct = aladdin(platform)
    other = platform.add_account(Account("Other", "pw"))
    msg = platform.submit(acct, SubmitRequest(to="41793020015", text="x", validity_minutes=60))
    assert not platform.cancel(msg.message_id, other)  # someone else's message
    assert not platform.replace(msg.message_id, "Other", text="hijack")
    assert not platform.cancel("no-such-id", acct)
    assert platform.replace(msg.message_id, acct, text="y", registered_delivery=1,
                            expires_at=msg.sent_at + timedelta(minutes=5))
    assert (msg.text, msg.registered_delivery, msg.validity_minutes) == ("y", 1, 5)
    assert msg.timer is not None and msg.timer.when <= msg.expires_at.timestamp()
    platform.clock.advance(6 * 60)  # the moved expiry fires, not the old 60 minutes
    await settle(lambda: msg.final)
    assert msg.status["name"] == "EXPIRED_EXPIRED"
    assert msg.done_at - msg.sent_at == timedelta(minutes=5)
    assert not platform.replace(msg.message_id, acct, text="late")  # final: nothing to change
    assert not platform.cancel(msg.message_id, acct)


async def test_cancel_drops_the_pending_timer_and_keeps_one_report(platform):
    events: list[ReportEvent] = []
    platform.subscribe_reports(events.append)
    msg = platform.submit(aladdin(platform), SubmitRequest(to="41793020015", text="x"))
    assert msg.timer is not None
    timer = msg.timer
    assert platform.cancel(msg.message_id, "Aladdin")
    assert timer.cancelled and msg.timer is None
    assert msg.extra["smpp_stat"] == "DELETED"
    assert [e.stat for e in events] == ["DELETED"]
    # the report object is built on demand from the values at that change
    assert events[0].result["status"]["id"] == 9 and events[0].result["error"]["id"] == 4100
    assert msg.to_dict()["history"][0]["error"] == "EC_MESSAGE_CANCELED"


async def test_report_result_is_a_snapshot(platform):
    events: list[ReportEvent] = []
    platform.subscribe_reports(events.append)
    msg = platform.submit(aladdin(platform), SubmitRequest(to="41793020001", text="x"))
    platform.clock.advance(3600)
    await settle(lambda: msg.final)
    assert len(events) >= 2 and events[0].intermediate
    # built only now, after the message was delivered, each result shows its own moment
    assert events[0].result["error"]["name"] == "EC_ABSENT_SUBSCRIBER"
    assert events[0].result["status"]["groupName"] != "DELIVERED"
    assert events[-1].result["status"]["name"] == "DELIVERED_TO_HANDSET"
    assert events[0].result["doneAt"] < events[-1].result["doneAt"]
