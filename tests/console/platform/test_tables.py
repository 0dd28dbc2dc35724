"""The simulator's data tables are consistent with the reference tables and the docs."""

from __future__ import annotations

from pathlib import Path

from console.platform import NumberingPlan, ScenarioTable
from console.reference import lookup

ROOT = Path(__file__).resolve().parents[3]


def test_every_scenario_code_is_a_known_reference_entry():
    table = ScenarioTable()
    for scenario in table:
        for step in scenario.steps:
            assert lookup("http_status", step.status).known, (scenario.name, step.status)
            assert lookup("gsm_error", step.error).known, (scenario.name, step.error)
        if scenario.reject:
            assert lookup("http_status", scenario.reject.status).known
            assert lookup("smpp_command_status", scenario.reject.smpp_status).known, scenario.name
    assert lookup("http_status", table.expire.status).known
    assert lookup("gsm_error", table.expire.error).known


def test_every_scenario_ends_or_expires():
    for scenario in ScenarioTable():
        assert scenario.reject or scenario.steps, scenario.name
        assert not (scenario.reject and scenario.steps), scenario.name


def test_suffixes_are_unique():
    seen: dict[str, str] = {}
    for scenario in ScenarioTable().rules:
        for suffix in scenario.to_suffix:
            assert suffix not in seen, (suffix, seen.get(suffix), scenario.name)
            seen[suffix] = scenario.name


def test_numbering_plan_longest_prefix():
    plan = NumberingPlan()
    assert plan.lookup("447700900123").network == "O2 UK"  # 4477 beats 447
    assert plan.lookup("447400900123").network == "Vodafone UK"
    assert plan.lookup("+41793026727").mcc_mnc == "22801"
    assert plan.lookup("0041793026727").mcc_mnc == "22801"
    assert plan.lookup("99912345") is None


def test_docs_show_the_current_scenario_table():
    doc = (ROOT / "docs" / "simulator.md").read_text("utf-8")
    assert ScenarioTable().markdown() in doc, "regenerate the table in docs/simulator.md"
