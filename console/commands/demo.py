"""``infobip-console demo``: run the scripted story in the desktop app (every tab fills in).

``--screenshots DIR`` runs it offscreen, saves one PNG per tab and exits (non-zero if a step
failed).
"""

from __future__ import annotations

import argparse
import os


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the scripted demo in the app (fills every tab)")
    p.add_argument("--screenshots", metavar="DIR",
                   help="run offscreen, save one PNG per tab into DIR, then exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.screenshots:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ui.demo import run_demo_app  # Qt is imported only here

    return run_demo_app(args.screenshots)
