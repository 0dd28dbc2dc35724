"""Where the console keeps its files (journal, certificates, settings)."""

from __future__ import annotations

import os
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def data_dir() -> Path:
    """The per-user data folder; ``INFOBIP_CONSOLE_HOME`` overrides it (tests use this)."""
    override = os.environ.get("INFOBIP_CONSOLE_HOME")
    if override:
        base = Path(override)
    else:
        xdg = os.environ.get("XDG_DATA_HOME")
        base = Path(xdg) / "infobip-console" if xdg else Path.home() / ".local/share/infobip-console"
    base.mkdir(parents=True, exist_ok=True)
    return base
