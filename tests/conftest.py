"""Shared test setup: every test gets its own data folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("INFOBIP_CONSOLE_HOME", str(home))
    return home
