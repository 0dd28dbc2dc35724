"""The Simulator facade from synchronous code and the ``infobip-console simulate`` command."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from console.errors import SimulatorError
from console.platform import Account
from console.simulator import Simulator

ROOT = Path(__file__).resolve().parents[3]


def test_run_in_thread_serves_and_stops():
    sim = Simulator(time_scale=600.0, accounts=[Account("alice", "secret", smpp_password="s3cret")])
    sim.run_in_thread()
    try:
        r = httpx.post(sim.http_url + "/sms/1/text/single", auth=("alice", "secret"),
                       json={"to": "41793026727", "text": "from a thread"})
        assert r.status_code == 200
        mid = r.json()["messages"][0]["messageId"]
        sim.call(sim.clock.advance, 60)
        mo = sim.call(sim.platform.inject_mo, "38598111", "41793026727", "hello")
        assert mo.account == "alice"
        inbox = httpx.get(sim.http_url + "/sms/1/inbox/reports", auth=("alice", "secret")).json()
        assert inbox["results"][0]["text"] == "hello"
        assert httpx.get(sim.http_url + "/sms/1/logs", auth=("Aladdin", "open sesame")).status_code == 401
        assert sim.platform.store.get(mid) is not None
    finally:
        sim.stop_thread()
    with pytest.raises(SimulatorError):
        _ = sim.http_url


async def test_port_in_use_is_a_clear_error():
    first = await Simulator().start()
    try:
        with pytest.raises(SimulatorError, match="cannot listen"):
            await Simulator(http_port=first.http_port).start()
    finally:
        await first.stop()


def test_simulate_command_prints_urls_and_stops_on_ctrl_c(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "console", "simulate", "--http-port", "0", "--smpp-port", "0",
         "--time-scale", "120",
         "--account", "bob:hunter22:bobsmpp"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while len(lines) < 5:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line)
        url = re.search(r"http://127\.0\.0\.1:\d+", lines[0]).group(0)
        assert "bob" in "".join(lines) and "bobsmpp" in "".join(lines)
        assert re.search(r"SMPP\s+127\.0\.0\.1:\d+", lines[1]), lines
        r = httpx.post(url + "/sms/1/text/single", auth=("bob", "hunter22"),
                       json={"to": "41793026727", "text": "hi"})
        assert r.status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0 and "stopped" in out and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("argv", [
    ["--time-scale", "0"], ["--account", "no-password"], ["--account", "a:b:123456789"],
])
def test_simulate_rejects_bad_options(argv, capsys):
    from console.cli import main

    assert main(["simulate", "--http-port", "0", "--smpp-port", "-1", *argv]) == 2
    assert capsys.readouterr().err.startswith("error: ")
