"""The README's Python example runs as written (top-level await, as in Jupyter)."""

from __future__ import annotations

import asyncio
import re
import textwrap
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _python_block() -> str:
    text = README.read_text("utf-8")
    section = text.split("## From Python or Jupyter", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_python_example_runs():
    code = _python_block()
    code += "\nawait sim.stop()\nreturn locals()\n"
    wrapped = "async def _example():\n" + textwrap.indent(code, "    ")
    namespace: dict = {}
    exec(compile(wrapped, str(README), "exec"), namespace)
    result = asyncio.run(asyncio.wait_for(namespace["_example"](), 60))
    assert result["exchange"].response.status == 200
    assert len(result["ids"]) == 3                      # the Greek text needs 3 UCS2 parts
    assert result["receipt"].receipt.stat == "DELIVRD"
