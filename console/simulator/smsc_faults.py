"""Fault injection for the SMSC: reproduce a customer's problem on purpose.

>>> smsc.faults.delay_responses(500)          # every response 500 ms late
>>> smsc.faults.drop_after(10)                # cut each new connection after 10 PDUs received
>>> smsc.faults.fail_submits(3, 0x58)         # next 3 submits answered ESME_RTHROTTLED
>>> smsc.faults.stop_receipts()               # hold receipts (queued, not lost) …
>>> smsc.faults.resume_receipts()             # … and let them go
>>> smsc.faults.clear()
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SmscFaults:
    """The SMSC's current faults; the server reads them on every PDU."""

    response_delay_ms: float = 0.0
    drop_after_pdus: int | None = None  # PDUs received per connection before it is cut
    submit_status: int = 0
    submit_failures_left: int = 0
    receipts_stopped: bool = False
    _listeners: list[Callable[[SmscFaults], Any]] = field(default_factory=list, repr=False)

    def delay_responses(self, ms: float) -> None:
        """Hold every response for ``ms`` milliseconds (0 turns it off)."""
        if ms < 0:
            raise ValueError("delay must be >= 0 ms")
        self.response_delay_ms = float(ms)
        self._changed()

    def drop_after(self, pdus: int | None) -> None:
        """Close a connection once it has received ``pdus`` PDUs (None turns it off)."""
        if pdus is not None and pdus < 0:
            raise ValueError("PDU count must be >= 0")
        self.drop_after_pdus = pdus
        self._changed()

    def fail_submits(self, count: int, status: int) -> None:
        """Answer the next ``count`` submit_sm/data_sm/submit_multi with ``status``."""
        if count < 0 or not 0 < status <= 0xFFFFFFFF:
            raise ValueError("count must be >= 0 and status a non-zero command_status")
        self.submit_failures_left, self.submit_status = count, status
        self._changed()

    def stop_receipts(self) -> None:
        """Hold delivery receipts and MO messages in their queues until resumed."""
        self.receipts_stopped = True
        self._changed()

    def resume_receipts(self) -> None:
        """Send held receipts again."""
        self.receipts_stopped = False
        self._changed()

    def clear(self) -> None:
        """Remove every fault."""
        self.response_delay_ms, self.drop_after_pdus = 0.0, None
        self.submit_failures_left, self.submit_status = 0, 0
        self.receipts_stopped = False
        self._changed()

    def take_submit_failure(self) -> int:
        """The status to answer this submit with (0 = no fault), counting it down."""
        if self.submit_failures_left <= 0:
            return 0
        self.submit_failures_left -= 1
        return self.submit_status

    def subscribe(self, callback: Callable[[SmscFaults], Any]) -> Callable[[], None]:
        """``callback(faults)`` after every change (the server resumes receipts with it)."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def to_dict(self) -> dict[str, Any]:
        return {"response_delay_ms": self.response_delay_ms, "drop_after_pdus": self.drop_after_pdus,
                "submit_status": self.submit_status, "submit_failures_left": self.submit_failures_left,
                "receipts_stopped": self.receipts_stopped}

    def _changed(self) -> None:
        for cb in list(self._listeners):
            cb(self)
