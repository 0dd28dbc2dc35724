"""``infobip-console listen``: run the webhook listener headless, one line per hit."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from typing import TextIO


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("listen", help="receive delivery reports and MO on a local webhook",
                       description="Run the webhook listener: /dlr (notifyUrl reports, JSON or "
                       "XML), /intermediate, /mo (GET URL template or POST), anything else "
                       "recorded too. Prints one line per hit; Ctrl+C stops.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; 0.0.0.0 for the LAN)")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument("--status", type=int, default=200, help="HTTP status to answer (default 200)")
    p.add_argument("--fail-first", type=int, default=0, metavar="N",
                   help="answer 500 to the first N hits of each path, then --status "
                        "(to watch the platform's retries)")
    p.add_argument("--delay", type=float, default=0.0, help="seconds to wait before answering")
    p.add_argument("--max-body", type=int, default=1_000_000, help="body size limit in bytes")
    p.add_argument("--journal", metavar="FILE", help="also append every hit to this journal")
    p.add_argument("--json", action="store_true", help="print each hit as one JSON object")
    p.add_argument("--count", type=int, default=0, help="exit after N hits (0: run until Ctrl+C)")
    p.set_defaults(func=run)


def format_hit(hit: object, as_json: bool = False) -> str:
    """The line printed for one hit."""
    if as_json:
        return json.dumps(hit.to_dict(), ensure_ascii=False)  # type: ignore[attr-defined]
    stamp = time.strftime("%H:%M:%S", time.localtime(hit.time))  # type: ignore[attr-defined]
    client = hit.client  # type: ignore[attr-defined]
    return f"{stamp} {client[0]}:{client[1]} {hit.summary()}"  # type: ignore[attr-defined]


async def serve(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from console.webhooks import PATHS, WebhookListener

    journal = None
    if args.journal:
        from console.journal import Journal

        journal = Journal(args.journal)
    listener = WebhookListener(args.host, args.port, max_body=args.max_body, journal=journal)
    for path in (*PATHS, "*"):
        listener.set_reply(path, args.status, delay=args.delay,
                           sequence=[500] * args.fail_first)
    done = asyncio.Event()

    def on_hit(hit: object) -> None:
        print(format_hit(hit, args.json), file=out, flush=True)
        if args.count and listener.count >= args.count:
            done.set()

    listener.subscribe(on_hit)
    try:
        await listener.start()
    except OSError as exc:
        if journal is not None:
            journal.close()
        where = f"{args.host}:{args.port}" if args.port else args.host
        print(f"error: cannot listen on {where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    base = listener.url
    print(f"listening on {base}  (reports: {base}/dlr  intermediate: {base}/intermediate  "
          f"MO: {base}/mo?sender=%sender%&receiver=%receiver%&text=%text%&bin=%bin%)",
          file=out, flush=True)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, done.set)
        loop.add_signal_handler(signal.SIGTERM, done.set)
    try:
        await done.wait()
    finally:
        await listener.stop()
        if journal is not None:
            journal.close()
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(serve(args))
    except KeyboardInterrupt:
        return 0
