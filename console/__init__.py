"""Infobip Test Console: the GUI-free library.

Everything the desktop app does is available here for scripts and Jupyter.
Public names are imported lazily so ``import console`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from console.errors import (
    BindError,
    ConsoleError,
    DecodeError,
    EncodingError,
    FramingError,
    HttpApiError,
    JournalError,
    SessionError,
    SimulatorError,
)

# public name -> module that defines it
_LAZY = {
    "reference": "console.reference",
    "encoding": "console.encoding",
}

__all__ = [
    "BindError",
    "ConsoleError",
    "DecodeError",
    "EncodingError",
    "FramingError",
    "HttpApiError",
    "JournalError",
    "SessionError",
    "SimulatorError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'console' has no attribute {name!r}")
    mod = importlib.import_module(module)
    return mod if module.endswith("." + name) else getattr(mod, name)
