"""An httpx client with the demo account's Basic auth, against the ``sim`` fixture."""

from __future__ import annotations

import httpx
import pytest

AUTH = ("Aladdin", "open sesame")


@pytest.fixture
async def client(sim):
    async with httpx.AsyncClient(base_url=sim.http_url, auth=AUTH) as c:
        yield c
