"""The one error hierarchy of the console library.

Every error a caller can meet derives from :class:`ConsoleError` and carries a
message a person can act on.
"""

from __future__ import annotations


class ConsoleError(Exception):
    """Base class of every error raised by the console library."""


class ReferenceError_(ConsoleError):
    """A reference table is missing or malformed (a packaging fault)."""


class EncodingError(ConsoleError):
    """Text cannot be represented in the requested SMS encoding."""


class DecodeError(ConsoleError):
    """Bytes cannot be decoded as the protocol unit they claim to be."""


class FramingError(DecodeError):
    """A byte stream cannot be cut into PDUs (e.g. an insane command_length)."""


class SessionError(ConsoleError):
    """An SMPP session operation failed (not bound, timed out, refused)."""


class BindError(SessionError):
    """The SMSC refused a bind; ``status`` holds the command_status."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class HttpApiError(ConsoleError):
    """An HTTP API call failed at the transport level or with an error body."""


class JournalError(ConsoleError):
    """The journal cannot be opened, written or read."""


class SimulatorError(ConsoleError):
    """The embedded simulator cannot start or was misconfigured."""
