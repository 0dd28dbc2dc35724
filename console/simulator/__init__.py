"""The embedded simulator: the platform core behind its HTTP API (and SMPP) doors."""

from console.simulator.http_api import make_app
from console.simulator.simulator import Simulator

__all__ = ["Simulator", "make_app"]
