"""Why a bind was refused, in words: the command_status's description from the reference
tables, and for the statuses people hit first a hint at the usual cause."""

from __future__ import annotations

from typing import Any

SMPP34_PASSWORD_MAX = 8  # octets of the bind's password field, NUL excluded (SMPP 3.4 4.1)


def explain_bind_error(exc: Exception, settings: Any = None, simulator: Any = None) -> str:
    """``exc``'s message, the status's description ("Invalid Password") and a hint.

    ``settings`` are the panel's :class:`ui.smpp.connection_panel.BindSettings`;
    ``simulator`` the embedded one (when the bind went to it, the hint can name the demo
    account's SMPP password, which is public: it is the spec's own example).
    """
    text = str(exc)
    status = getattr(exc, "status", 0)
    if not status:
        return text
    from console.reference import lookup

    entry = lookup("smpp_command_status", status)
    head = text.split(":", 1)[0]  # "bind_transceiver refused: bind_transceiver_resp …"
    if head.endswith(" refused"):
        text = f"{head}: {entry.name} (0x{status:08X})"
    if entry.description and entry.description.casefold() not in text.casefold():
        text += f" {entry.description}"
    hint = _hint(entry.name, settings, simulator)
    return f"{text} — {hint}" if hint else text


def _hint(name: str, settings: Any, simulator: Any) -> str:
    if name == "ESME_RINVPASWD":
        hint = (f"the SMPP password is not the HTTP one, and SMPP 3.4 allows at most "
                f"{SMPP34_PASSWORD_MAX} characters")
        demo = _simulator_password(settings, simulator)
        if demo:
            hint += f" (the simulator's account {settings.system_id} has {demo!r})"
        return hint
    if name == "ESME_RINVSYSID":
        return "no such system_id: check the profile's SMPP account name"
    if name == "ESME_RALYBND":
        return "this session is bound already"
    return ""


def _simulator_password(settings: Any, simulator: Any) -> str:
    """The SMPP password of the embedded simulator's account ``settings.system_id`` when
    the bind went to that simulator, else ""."""
    if simulator is None or settings is None:
        return ""
    if int(getattr(simulator, "smpp_port", 0) or 0) != settings.port:
        return ""
    try:
        accounts = simulator.credentials()
    except Exception:
        return ""
    for a in accounts:
        if settings.system_id in (a.get("system_id"), a.get("username")):
            return str(a.get("smpp_password") or "")
    return ""
