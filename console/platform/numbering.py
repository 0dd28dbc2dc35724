"""Prefix → country / MCC / MNC / network / price, from ``resources/simulator/networks.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from console.paths import RESOURCES


@dataclass(frozen=True)
class Network:
    """One row of the numbering plan."""

    prefix: str
    country: str
    iso: str
    country_prefix: str
    network_prefix: str
    mcc: str
    mnc: str
    network: str
    price: float
    currency: str

    @property
    def mcc_mnc(self) -> str:
        return self.mcc + self.mnc


class NumberingPlan:
    """Longest-prefix lookup over the networks table."""

    def __init__(self, path: Path | None = None) -> None:
        data = json.loads((path or RESOURCES / "simulator" / "networks.json").read_text("utf-8"))
        currency = data.get("currency", "EUR")
        self.currency = currency
        self.lookup_price = float(data.get("lookupPrice", 0.005))
        self.networks = [
            Network(
                prefix=n["prefix"], country=n["country"], iso=n["iso"],
                country_prefix=n["countryPrefix"], network_prefix=n["networkPrefix"],
                mcc=n["mcc"], mnc=n["mnc"], network=n["network"], price=float(n["price"]),
                currency=n.get("currency", currency),
            )
            for n in data["networks"]
        ]
        self._by_prefix = {n.prefix: n for n in self.networks}
        self._max = max((len(p) for p in self._by_prefix), default=0)

    def lookup(self, msisdn: str) -> Network | None:
        """The network of an international number (digits, optional leading +/00), or None."""
        digits = normalize(msisdn)
        for size in range(min(self._max, len(digits)), 0, -1):
            hit = self._by_prefix.get(digits[:size])
            if hit is not None:
                return hit
        return None

    def other_network(self, net: Network) -> Network | None:
        """Another network of the same country (where a ported number went)."""
        return next((n for n in self.networks if n.iso == net.iso and n.mnc != net.mnc), None)

    def by_mcc_mnc(self, mcc_mnc: str) -> Network | None:
        return next((n for n in self.networks if n.mcc_mnc == mcc_mnc), None)


def normalize(msisdn: str) -> str:
    """Strip a leading ``+`` or ``00`` from an international number."""
    s = msisdn.strip()
    if s.startswith("+"):
        return s[1:]
    if s.startswith("00"):
        return s[2:]
    return s
