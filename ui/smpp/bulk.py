"""Send the same message many times over a bound session (load-testing a bind).

As many sends run at once as the session window allows, so the bind is kept busy the way a
real client would; progress is counted into any object with a ``done`` attribute (the tab's
:class:`ui.progress_strip.ProgressStrip`). :meth:`BulkSend.stop` lets the messages in
flight finish and sends no more. No Qt here.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from console.errors import SessionError


@dataclass
class BulkResult:
    """What a bulk send did."""

    requested: int
    sent: int = 0  # messages whose every part was accepted
    failed: int = 0  # messages refused or lost (a part answered with an error, a timeout…)
    parts: int = 0  # submit_sm accepted
    first_error: str | None = None
    stopped: bool = False  # stopped by the user before the end
    seconds: float = 0.0

    @property
    def finished(self) -> int:
        return self.sent + self.failed

    def summary(self) -> str:
        rate = f" ({self.finished / self.seconds:,.0f} messages/s)" if self.seconds > 0 else ""
        text = (f"{'stopped after' if self.stopped else 'sent'} {self.finished:,} of "
                f"{self.requested:,} messages in {self.seconds:.1f} s{rate}: {self.sent:,} "
                f"accepted ({self.parts:,} submit_sm), {self.failed:,} failed")
        if self.first_error:
            text += f"; first error: {self.first_error}"
        return text


class BulkSend:
    """``await BulkSend(session, count, source, destination, text, **send_sms_options).run()``."""

    def __init__(self, session: Any, count: int, source: str, destination: str, text: str,
                 *, progress: Any = None, concurrency: int | None = None,
                 **options: Any) -> None:
        self.session = session
        self.count = count
        self.args = (source, destination, text)
        self.options = options
        self.progress = progress
        self.concurrency = concurrency
        self.result = BulkResult(count)
        self._stop = False

    def stop(self) -> None:
        """Send no more messages (the ones in flight still get their answers)."""
        self._stop = True

    async def run(self) -> BulkResult:
        from console.smpp.sms import send_sms

        res = self.result
        numbers = iter(range(self.count))  # shared: each worker takes the next message
        session = self.session

        async def worker() -> None:
            for _ in numbers:
                if self._stop:
                    res.stopped = True
                    return
                if not session.bound:
                    res.first_error = res.first_error or "the session is no longer bound"
                    return
                try:
                    ids = await send_sms(session, *self.args, **self.options)
                except SessionError as exc:  # refused, timed out, connection lost
                    res.failed += 1
                    res.first_error = res.first_error or str(exc)
                else:
                    res.sent += 1
                    res.parts += len(ids)
                if self.progress is not None:
                    self.progress.done = res.finished

        width = self.concurrency or int(getattr(session, "window", 0) or 10)
        started = time.monotonic()
        try:
            await asyncio.gather(*(worker() for _ in range(max(1, min(self.count, width)))))
        finally:
            res.seconds = time.monotonic() - started
        return res
