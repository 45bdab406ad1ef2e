"""Scenario files: the public contract of what happens in a run.

A scenario (YAML) names its epoch, random seed and duration, the partners with their sensors, and
the launches with their aims; ``docs/scenarios.md`` documents every field.

- ``schema``: the checked scenario (``Scenario``, ``Partner``, ``SensorEntry``,
  ``LaunchEntry``) and ``ScenarioError``.
- ``parse``: ``load`` reads a shipped scenario by name or a user's file by path and checks it
  completely before anything runs; ``parse`` checks a mapping; ``shipped`` lists the shipped
  scenarios (``shipped/*.yaml``).
- ``generate``: generated scenario sets (``lookout generate``).
"""

from lookout.scenario.parse import SHIPPED_DIR, load, parse, resolve, shipped, yaml_problem
from lookout.scenario.schema import (
    LaunchEntry,
    NoticeEntry,
    Partner,
    Scenario,
    ScenarioError,
    SensorEntry,
)

__all__ = [
    "SHIPPED_DIR",
    "LaunchEntry",
    "NoticeEntry",
    "Partner",
    "Scenario",
    "ScenarioError",
    "SensorEntry",
    "load",
    "parse",
    "resolve",
    "shipped",
    "yaml_problem",
]
