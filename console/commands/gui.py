"""``infobip-console gui``: open the desktop app (the default subcommand)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the desktop app (default)")
    p.add_argument("--no-simulator", action="store_true",
                   help="do not start the embedded simulator")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ui.app import run_app  # Qt is imported only here

    return run_app(start_simulator=not args.no_simulator)
