"""``infobip-console simulate``: run the embedded platform simulator headless."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from console.errors import ConsoleError, SimulatorError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="run the embedded Infobip platform simulator (HTTP API, SMPP)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--http-port", type=int, default=8080, help="HTTP API port (0 = any free; default 8080)")
    p.add_argument("--smpp-port", type=int, default=2775,
                   help="SMPP port (0 = any free; -1 = no SMPP door; default 2775)")
    p.add_argument("--smpp-tls-port", type=int, default=None,
                   help="SMPP over TLS port (0 = any free; default: none)")
    p.add_argument("--time-scale", type=float, default=60.0,
                   help="simulated seconds per real second (default 60: the 48 h validity lasts 48 min)")
    p.add_argument("--account", action="append", default=[], metavar="USER:PASSWORD[:SMPPPASS]",
                   help="add an account valid on both doors (repeatable); without it the demo "
                        "account Aladdin / 'open sesame' (SMPP password opensesa) exists")
    p.add_argument("--notify-url", default=None, help="default notifyUrl for HTTP messages without one")
    p.add_argument("--mo-url", default=None,
                   help="forward MO messages to this URL (GET template with %%sender%% %%text%% …)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0
    except ConsoleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


async def _serve(args: argparse.Namespace) -> int:
    from console.platform import parse_account
    from console.simulator import Simulator

    if args.time_scale <= 0:
        raise SimulatorError("--time-scale must be > 0")
    accounts = [parse_account(a) for a in args.account] or None
    smpp_port = None if args.smpp_port is not None and args.smpp_port < 0 else args.smpp_port
    sim = Simulator(http_port=args.http_port, smpp_port=smpp_port,
                    smpp_tls_port=args.smpp_tls_port, time_scale=args.time_scale,
                    accounts=accounts, host=args.host, notify_default_url=args.notify_url)
    if args.mo_url:
        for acct in sim.platform.accounts:
            acct.mo_url = acct.mo_url or args.mo_url
    await sim.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    print(f"HTTP API   {sim.http_url}", flush=True)
    if sim.smpp_port:
        print(f"SMPP       {args.host}:{sim.smpp_port}", flush=True)
    if sim.smpp_tls_port:
        print(f"SMPP TLS   {args.host}:{sim.smpp_tls_port}", flush=True)
    print(f"time scale {args.time_scale:g}× (1 real second = {args.time_scale:g} simulated seconds)", flush=True)
    for acct in sim.credentials():
        print(f"account    {acct['username']} / {acct['password']!r} (SMPP password {acct['smpp_password']!r})",
              flush=True)
    print("scenarios  see docs/simulator.md (destination suffix decides the fate); Ctrl+C stops", flush=True)
    try:
        await stop.wait()
    finally:
        await sim.stop()
        print("simulator stopped", flush=True)
    return 0
