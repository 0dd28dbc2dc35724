"""A journal writer process for the SIGKILL test (run as a script, not collected by pytest).

``python journal_writer_proc.py PATH RATE`` appends submit_sm PduEvents to the journal at PATH,
RATE events per second, until killed. It prints, one per line and flushed at once:

- ``saved N`` whenever the journal reports a commit (``Journal.subscribe``): every event with
  a sequence number <= N is durable — what a UI would show as saved;
- ``appended N`` every 100 events: the last sequence number handed to ``append``.

Each event's PDU carries its own journal sequence number as sequence_number, so the test can
check the reopened file event by event.
"""

from __future__ import annotations

import sys
import threading
import time

from console.journal import Journal
from console.smpp import Pdu
from console.smpp.events import PduEvent

_out = threading.Lock()


def say(line: str) -> None:
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def main(path: str, rate: float) -> None:
    journal = Journal(path)
    journal.subscribe(lambda first, last: say(f"saved {last}"))
    fields = {"source_addr": "InfoSMS", "destination_addr": "41793026727",
              "registered_delivery": 1, "short_message": b"kill me softly"}
    interval = 1.0 / rate
    start = time.monotonic()
    n = 0
    while True:
        n += 1
        seq = journal.last_seq + 1  # nothing else appends: this is the number append returns
        pdu = Pdu("submit_sm", seq, fields)
        event = PduEvent.make(time.time(), "out", "writer", ("127.0.0.1", 40000),
                              ("127.0.0.1", 2775), pdu.encode(), pdu)
        got = journal.append(event)
        if got != seq:
            say(f"error append returned {got}, expected {seq}")
        if n % 100 == 0:
            say(f"appended {got}")
        # pace to the rate on average (bursts catch up after a slow append)
        delay = start + n * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
