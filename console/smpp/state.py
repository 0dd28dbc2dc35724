"""The ESME session's state table (SMPP 3.4 section 2.2): states, transitions, and which
requests an ESME may send in each state. Pure data and one lookup; no I/O."""

from __future__ import annotations

import enum

from console.errors import SessionError


class NotBoundError(SessionError):
    """The request is not allowed in the session's current state (e.g. not bound)."""


class State(enum.Enum):
    """Session states (SMPP 3.4 section 2.2)."""

    CLOSED = "closed"
    OPEN = "open"
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    UNBOUND = "unbound"


BOUND = (State.BOUND_TX, State.BOUND_RX, State.BOUND_TRX)

# (state, event) -> next state; any pair missing here is a protocol error
TRANSITIONS: dict[tuple[State, str], State] = {
    (State.CLOSED, "connected"): State.OPEN,
    (State.UNBOUND, "connected"): State.OPEN,
    (State.OPEN, "bound_tx"): State.BOUND_TX,
    (State.OPEN, "bound_rx"): State.BOUND_RX,
    (State.OPEN, "bound_trx"): State.BOUND_TRX,
    (State.OPEN, "unbind"): State.UNBOUND,
    **{(s, "unbind"): State.UNBOUND for s in BOUND},
    **{(s, "closed"): State.CLOSED for s in State},
}

_SUBMITS = frozenset({"submit_sm", "submit_multi", "data_sm", "query_sm", "cancel_sm",
                      "replace_sm"})
_ALWAYS = frozenset({"enquire_link", "unbind", "generic_nack"})
# requests an ESME may originate in each state
ALLOWED_REQUESTS: dict[State, frozenset[str]] = {
    State.CLOSED: frozenset(),
    State.OPEN: frozenset({"bind_transmitter", "bind_receiver", "bind_transceiver",
                           "enquire_link", "generic_nack"}),
    State.BOUND_TX: _SUBMITS | _ALWAYS,
    State.BOUND_RX: frozenset({"data_sm"}) | _ALWAYS,
    State.BOUND_TRX: _SUBMITS | _ALWAYS,
    State.UNBOUND: frozenset(),
}

BIND_COMMANDS = {"tx": "bind_transmitter", "rx": "bind_receiver", "trx": "bind_transceiver"}


def transition(state: State, event: str) -> State:
    """The state after ``event``; raises :class:`NotBoundError` for an illegal one."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise NotBoundError(f"{event!r} is not allowed in state {state.value}") from None


__all__ = ["ALLOWED_REQUESTS", "BIND_COMMANDS", "BOUND", "TRANSITIONS", "NotBoundError", "State",
           "transition"]
