"""The simulated Infobip platform core (no HTTP or SMPP inside; the doors call it)."""

from console.platform.accounts import Account, AccountRegistry, demo_accounts, parse_account
from console.platform.clock import SimClock, Timer
from console.platform.core import Platform, SubmitRequest
from console.platform.numbering import Network, NumberingPlan
from console.platform.pipeline import DlrPipeline, ReportEvent, retry_delay
from console.platform.scenarios import Scenario, ScenarioTable, Step
from console.platform.store import Message, MessageStore, MoMessage, NotifyAttempt, infobip_time

__all__ = [
    "Account", "AccountRegistry", "DlrPipeline", "Message", "MessageStore", "MoMessage",
    "Network", "NotifyAttempt", "NumberingPlan", "Platform", "ReportEvent", "Scenario",
    "ScenarioTable", "SimClock", "Step", "SubmitRequest", "Timer", "demo_accounts",
    "infobip_time", "parse_account", "retry_delay",
]
