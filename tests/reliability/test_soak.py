"""bench/soak.py: the verdict rules on known series, and a few seconds of the real soak."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

# bench/ is a top-level package of the repository, importable when pytest runs from its root
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.soak import Sample, soak, verdict  # noqa: E402

pytestmark = pytest.mark.timeout(60)


def series(rss: list[float], fds: list[int] | None = None,
           lag: list[float] | None = None) -> list[Sample]:
    n = len(rss)
    fds = fds or [20] * n
    lag = lag or [2.0] * n
    return [Sample(t=10.0 * i, rss=r, fds=f, lag_p50=1.0, lag_p99=g, lag_max=g)
            for i, (r, f, g) in enumerate(zip(rss, fds, lag, strict=True))]


def test_flat_after_warm_up():
    # fast growth during the warm-up (caches filling), then noise around a plateau
    rss = [50, 80, 100, 110, 120, 121, 119, 122, 120, 121, 120, 122, 121, 119, 121]
    word, notes = verdict(series(rss))
    assert word == "flat", notes


def test_steady_rss_growth_is_growing():
    word, notes = verdict(series([100 + 3 * i for i in range(20)]))
    assert word == "growing" and "RSS" in notes[0] and "GROWING" in notes[0]


def test_leaking_file_descriptors_are_growing():
    fds = [20] * 8 + [20 + i for i in range(12)]
    word, notes = verdict(series([100.0] * 20, fds=fds))
    assert word == "growing" and "GROWING" in notes[1]


def test_rising_loop_lag_is_growing():
    lag = [2.0] * 10 + [40.0] * 10
    word, notes = verdict(series([100.0] * 20, lag=lag))
    assert word == "growing" and "GROWING" in notes[2]


def test_too_few_samples_say_so():
    word, notes = verdict(series([100.0, 200.0]))
    assert word == "flat" and "too few samples" in notes[0]


async def test_a_short_real_soak_moves_traffic_and_keeps_descriptors():
    out = io.StringIO()
    samples = await soak(0.1, 50.0, 5.0, 1.0, out)  # six seconds, a sample a second
    assert len(samples) >= 5
    text = out.getvalue()
    assert "RSS MB" in text and "traffic errors" not in text
    last = samples[-1].counts
    assert last["submits"] >= 100 and last["receipts"] >= 50 and last["http"] >= 10
    assert last["hits"] >= 5 and last["journal"] > last["submits"]  # PDUs, exchanges, hits
    assert last["errors"] == 0
    # no descriptor leak while traffic flows: sockets and files are reused, not piled up
    assert max(s.fds for s in samples) - min(s.fds for s in samples) <= 3
