"""Cut whole SMPP PDUs out of a TCP byte stream (partial reads, several PDUs per read)."""

from __future__ import annotations

from console.errors import FramingError

MAX_PDU_LENGTH = 64 * 1024
HEADER_LENGTH = 16


class Framer:
    """Sans-IO stream framer: ``feed(bytes)`` returns the complete PDUs received so far.

    A command_length below 16 or above ``max_length`` raises :class:`FramingError`; the stream
    cannot be trusted after that (the framer stays in the failed state until ``reset()``).
    """

    __slots__ = ("max_length", "_buf", "_error")

    def __init__(self, max_length: int = MAX_PDU_LENGTH) -> None:
        self.max_length = max_length
        self._buf = bytearray()
        self._error: FramingError | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete PDU."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Add received bytes; return every PDU now complete, in order."""
        if self._error is not None:
            raise self._error
        buf = self._buf
        buf += data
        out: list[bytes] = []
        pos = 0
        n = len(buf)
        while n - pos >= 4:
            length = int.from_bytes(buf[pos:pos + 4], "big")
            if length < HEADER_LENGTH or length > self.max_length:
                del buf[:pos]
                self._error = FramingError(
                    f"command_length {length} is outside 16..{self.max_length}: "
                    "the stream is not SMPP or lost synchronisation")
                if out:  # hand out what was complete; the error comes with the next feed
                    return out
                raise self._error
            if n - pos < length:
                break
            out.append(bytes(buf[pos:pos + length]))
            pos += length
        if pos:
            del buf[:pos]
        return out

    def reset(self) -> None:
        """Forget buffered bytes and a previous framing error."""
        self._buf.clear()
        self._error = None
