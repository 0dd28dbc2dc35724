"""The scenario engine: each message's fate, decided deterministically from its destination.

The table is data (``resources/simulator/scenarios.json``); see docs/simulator.md.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.paths import RESOURCES
from console.platform import codes


@functools.cache
def _final(status_id: int) -> bool:
    return codes.status(status_id)["groupName"] not in ("PENDING", "ACCEPTED")


@functools.cache
def _group(status_id: int) -> Any:
    return codes.status(status_id)["groupId"]


@dataclass(frozen=True)
class Step:
    """One status change, ``after`` simulated seconds after the previous one."""

    after: float
    status: int
    error: int
    stat: str | None = None

    @property
    def final(self) -> bool:
        return _final(self.status)


@dataclass(frozen=True)
class Reject:
    """A refusal at submission: HTTP status id and the SMPP command_status."""

    status: int
    error: int
    smpp_status: int


@dataclass(frozen=True)
class Scenario:
    """A named fate: either rejected at submission or a list of steps."""

    name: str
    title: str
    description: str
    steps: tuple[Step, ...] = ()
    reject: Reject | None = None
    to_suffix: tuple[str, ...] = ()
    from_: tuple[str, ...] = ()
    lookup: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "title": self.title, "description": self.description,
            "to_suffix": list(self.to_suffix), "from": list(self.from_),
            "steps": [s.__dict__ for s in self.steps],
            "reject": self.reject.__dict__ if self.reject else None,
        }


def _scenario(raw: dict[str, Any]) -> Scenario:
    rej = raw.get("reject")
    return Scenario(
        name=raw["name"], title=raw.get("title", raw["name"]),
        description=raw.get("description", ""),
        steps=tuple(Step(float(s["after"]), int(s["status"]), int(s.get("error", 0)), s.get("stat"))
                    for s in raw.get("steps", ())),
        reject=Reject(int(rej["status"]), int(rej.get("error", 0)), int(rej["smpp_status"])) if rej else None,
        to_suffix=tuple(raw.get("to_suffix", ())), from_=tuple(raw.get("from", ())),
        lookup=dict(raw.get("lookup", {})),
    )


class ScenarioTable:
    """Rules in file order; the first match wins, else the default."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or RESOURCES / "simulator" / "scenarios.json"
        data = json.loads(self.path.read_text("utf-8"))
        self.default = _scenario(data["default"])
        self.rules = [_scenario(r) for r in data.get("rules", ())]
        self.stat_by_group = {int(k): v for k, v in data["dlr_stat_by_group"].items()}
        exp = data["expire"]
        self.expire = Step(0, int(exp["status"]), int(exp.get("error", 0)), exp.get("stat"))
        self._by_name = {s.name: s for s in [self.default, *self.rules]}
        # first rule wins: index suffixes and senders once, keeping the earliest rule
        self._by_from: dict[str, tuple[int, Scenario]] = {}
        self._by_suffix: dict[str, tuple[int, Scenario]] = {}
        for i, rule in enumerate(self.rules):
            for f in rule.from_:
                self._by_from.setdefault(f, (i, rule))
            for x in rule.to_suffix:
                self._by_suffix.setdefault(x, (i, rule))
        self._suffix_lengths = sorted({len(x) for x in self._by_suffix})

    def decide(self, to: str, from_: str = "") -> Scenario:
        """The scenario for a destination (and sender)."""
        hits = [self._by_from[from_]] if from_ in self._by_from else []
        for n in self._suffix_lengths:
            hit = self._by_suffix.get(to[-n:])
            if hit is not None:
                hits.append(hit)
        return min(hits, key=lambda h: h[0])[1] if hits else self.default

    def get(self, name: str) -> Scenario | None:
        return self._by_name.get(name)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter([self.default, *self.rules])

    def stat_for(self, status_id: int, stat: str | None = None) -> str:
        """The SMPP receipt ``stat:`` word for an HTTP status id."""
        if stat:
            return stat
        return self.stat_by_group.get(_group(status_id), "UNKNOWN")

    def markdown(self) -> str:
        """The table as Markdown (docs/simulator.md is generated from this)."""
        lines = ["| destination ends with / sender | scenario | what happens |", "|---|---|---|"]
        for s in [*self.rules, self.default]:
            key = ", ".join([f"`…{x}`" for x in s.to_suffix] + [f"from `{x}`" for x in s.from_]) or "anything else"
            lines.append(f"| {key} | {s.title} | {s.description} |")
        return "\n".join(lines)
