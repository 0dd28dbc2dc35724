"""console/ is a library: importing any of it must never import Qt."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import console


def test_console_never_imports_qt():
    names = [m.name for m in pkgutil.walk_packages(console.__path__, "console.")
             if not m.name.startswith(("console.commands", "console.__main__"))]
    code = (
        "import importlib, sys\n"
        f"for n in {names!r}: importlib.import_module(n)\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'qasync'))]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert len(names) >= 3
    assert out.stdout.strip() == ""


def test_cli_help_lists_subcommands():
    out = subprocess.run([sys.executable, "-m", "console", "--help"], capture_output=True,
                         text=True, check=True)
    assert "gui" in out.stdout
