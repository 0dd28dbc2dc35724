"""Accounts of the simulated platform: one login for both doors (HTTP and SMPP)."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from console.errors import SimulatorError
from console.paths import RESOURCES

SMPP_PASSWORD_MAX = 8  # SMPP 3.4 bind password is a C-octet string of at most 9 octets


@dataclass
class Account:
    """A customer account: HTTP password, SMPP password (≤ 8 chars), balance, MO routing."""

    username: str
    password: str
    smpp_password: str | None = None
    balance: float = 100.0
    currency: str = "EUR"
    enabled: bool = True
    mo_numbers: list[str] = field(default_factory=list)
    mo_url: str | None = None  # GET template with %sender% … or a POST target
    mo_method: str = "GET"  # "GET" (URL template) or "POST" (JSON/XML body)
    mo_content_type: str = "application/json"
    notify_url: str | None = None  # default notifyUrl for HTTP messages without one
    route_code: str | None = None
    keywords: list[str] = field(default_factory=list)  # MO keywords (first word of the text)

    def __post_init__(self) -> None:
        if self.smpp_password is None:
            self.smpp_password = self.password[:SMPP_PASSWORD_MAX]
        if len(self.smpp_password) > SMPP_PASSWORD_MAX:
            raise SimulatorError(
                f"SMPP password for {self.username!r} is {len(self.smpp_password)} characters; "
                f"SMPP 3.4 allows at most {SMPP_PASSWORD_MAX}"
            )

    def check(self, password: str, door: str = "http") -> bool:
        """True when ``password`` is right for ``door`` ("http" or "smpp")."""
        expected = self.smpp_password if door == "smpp" else self.password
        return hmac.compare_digest(password.encode(), (expected or "").encode())

    def to_dict(self, *, secrets: bool = False) -> dict[str, Any]:
        """JSON-safe view; passwords redacted unless ``secrets``."""
        return {
            "username": self.username,
            "password": self.password if secrets else "***",
            "smpp_password": self.smpp_password if secrets else "***",
            "balance": round(self.balance, 6),
            "currency": self.currency,
            "enabled": self.enabled,
            "mo_numbers": list(self.mo_numbers),
            "mo_url": self.mo_url,
            "mo_method": self.mo_method,
            "notify_url": self.notify_url,
        }


def parse_account(spec: str) -> Account:
    """``USER:PASSWORD`` or ``USER:PASSWORD:SMPPPASS`` (the command line's ``--account``)."""
    user, sep, rest = spec.partition(":")
    if not sep or not user:
        raise SimulatorError(f"account must be USER:PASSWORD, got {spec!r}")
    password, _, smpp = rest.partition(":")
    return Account(user, password, smpp_password=smpp or None)


def demo_accounts() -> list[Account]:
    """The documented demo accounts from ``resources/simulator/accounts.json``."""
    data = json.loads((RESOURCES / "simulator" / "accounts.json").read_text("utf-8"))
    return [Account(**a) for a in data["accounts"]]


class AccountRegistry:
    """Accounts by username."""

    def __init__(self, accounts: list[Account] | None = None) -> None:
        self._by_name: dict[str, Account] = {}
        for acct in accounts if accounts is not None else demo_accounts():
            self.add(acct)

    def add(self, account: Account) -> Account:
        self._by_name[account.username] = account
        return account

    def get(self, username: str) -> Account | None:
        return self._by_name.get(username)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self._by_name.values()))

    def __len__(self) -> int:
        return len(self._by_name)

    def authenticate(self, username: str, password: str, door: str = "http") -> Account | None:
        """The account when the credentials are right for ``door`` and it is enabled."""
        acct = self._by_name.get(username)
        if acct is None or not acct.enabled or not acct.check(password, door):
            return None
        return acct

    def owner_of(self, number: str) -> Account | None:
        """The account that owns an MO number, else the first account."""
        for acct in self._by_name.values():
            if number in acct.mo_numbers:
                return acct
        return next(iter(self._by_name.values()), None)
