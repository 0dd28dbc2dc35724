"""Split throughput of console.encoding.split_text vs smpplib.gsm.make_parts on the same texts.

Run: ``.venv/bin/python -m bench.encoding``. Ours also picks the encoding, never splits an escape
or surrogate pair and reports counts and the characters forcing UCS2; smpplib does none of that.
Goal: ≥ 20,000 messages/s and ≥ 0.5× smpplib.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import smpplib.gsm

GOAL_RATE = 20_000.0


def corpus() -> list[str]:
    """A mix of what people send: short and long GSM text, escapes, Cyrillic, emoji."""
    return [
        "Your code is 482913",
        "Hello from Infobip! Your parcel {ID 42} ships today, price 5€ [incl. VAT]",
        "A long time ago, in a galaxy far, far away... " * 8,
        "Привет! Это длинное сообщение на русском языке, которое не помещается в одну часть. " * 3,
        "Party tonight 🎉🎉 at 8, bring snacks 🍕 and good mood 😀",
        "€{}[]~^|\\" * 30,
    ]


def _rate(fn: Callable[[str], object], texts: list[str], seconds: float = 0.5) -> float:
    """Messages/s: the best of three timed runs of ``fn`` over the corpus."""
    for t in texts:
        fn(t)
    best = 0.0
    for _ in range(3):
        count = 0
        start = time.perf_counter()
        while True:
            for t in texts:
                fn(t)
            count += len(texts)
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        best = max(best, count / elapsed)
    return best


def run() -> list[dict]:
    from console.encoding import count_parts, split_text

    texts = corpus()
    ours = _rate(lambda t: split_text(t, ref=1), texts)
    theirs = _rate(lambda t: smpplib.gsm.make_parts(t), texts)
    counting = _rate(count_parts, texts)
    metrics = [
        {"name": "encoding: split_text", "value": ours, "unit": "messages/s", "baseline": theirs,
         "ratio": ours / theirs,
         "goal": f"≥ {GOAL_RATE:,.0f} messages/s and ≥ 0.5× smpplib.gsm.make_parts"},
        {"name": "encoding: count_parts", "value": counting, "unit": "messages/s",
         "baseline": theirs, "ratio": counting / theirs,
         "goal": "informational (vs smpplib.gsm.make_parts)"},
    ]
    for m in metrics:
        print(f"{m['name']}: {m['value']:,.0f} {m['unit']} vs smpplib {m['baseline']:,.0f} "
              f"-> ratio {m['ratio']:.2f}  (goal {m['goal']})")
    return metrics


if __name__ == "__main__":
    run()
