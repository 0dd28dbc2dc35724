"""``make bench``: run every benchmark, write bench/results.json and docs/BENCHMARKS.md.

``python -m bench codec smsc`` re-runs only those modules and keeps the other modules' rows of
the last results.json (each row says which module measured it and when).

Each benchmark module exposes ``run() -> list[dict]``; a metric is a dict with
``name``, ``value``, ``unit``, ``baseline`` (the same quantity for the reference
implementation, measured in the same run), ``ratio`` and ``goal`` (text).
Modules run in separate processes so one's memory or event loop cannot skew another's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("codec", "session", "smsc", "http_sim", "webhook", "journal", "gui", "encoding")


def _run_one(module: str) -> list[dict]:
    code = (
        f"import json, importlib; m = importlib.import_module('bench.{module}'); "
        "print('@@RESULT@@' + json.dumps(m.run()))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    sys.stdout.write(proc.stdout.split("@@RESULT@@")[0])
    for line in proc.stdout.splitlines():
        if line.startswith("@@RESULT@@"):
            return json.loads(line[len("@@RESULT@@"):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return [{"name": f"{module}: failed", "value": None, "unit": "", "baseline": None,
             "ratio": None, "goal": "", "error": tail[0]}]


def _fmt(v: object) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


def main(argv: list[str] | None = None) -> int:
    started = time.time()
    wanted = list(argv if argv is not None else sys.argv[1:]) or list(MODULES)
    unknown = [m for m in wanted if m not in MODULES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(MODULES)}")
        return 2
    path = ROOT / "bench" / "results.json"
    previous: list[dict] = []
    if len(wanted) < len(MODULES) and path.exists():
        previous = [r for r in json.loads(path.read_text()) if r.get("module") not in wanted]
    fresh: dict[str, list[dict]] = {}
    for module in wanted:
        if not (ROOT / "bench" / f"{module}.py").exists():
            continue
        print(f"== bench/{module}.py", flush=True)
        t0 = time.time()
        rows = _run_one(module)
        for r in rows:
            r.setdefault("module", module)
            r.setdefault("measured", time.strftime("%Y-%m-%d %H:%M"))
        print(f"   ({time.time() - t0:.0f} s)", flush=True)
        fresh[module] = rows
    order = {m: i for i, m in enumerate(MODULES)}
    results = sorted(previous + [r for rows in fresh.values() for r in rows],
                     key=lambda r: order.get(r.get("module", ""), len(order)))
    path.write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')} (2 cores; this run took "
        f"{time.time() - started:.0f} s). Each ratio is against a baseline measured in the same "
        "run as the value.",
        "",
        "| metric | value | unit | baseline | ratio | goal |",
        "|---|---:|---|---:|---:|---|",
    ]
    for r in results:
        lines.append(f"| {r['name']} | {_fmt(r.get('value'))} | {r.get('unit', '')} | "
                     f"{_fmt(r.get('baseline'))} | {_fmt(r.get('ratio'))} | {r.get('goal', '')} |")
    (ROOT / "docs" / "BENCHMARKS.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if all(r.get("value") is not None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
