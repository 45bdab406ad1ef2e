"""The ``lookout`` command-line tool: ``app`` is the entry point (``lookout = lookout.cli:app``).

The commands by group, registered on ``app`` in this order (the order of ``lookout --help``):
``simulator`` (fly, validate, scenarios, simulate, generate, track), ``coalition`` (demo,
replay, warn), ``audit`` (audit verify, audit export), ``distributed`` (nats-config, serve,
node, fusion, assessor) and ``bench`` (lookout bench ...); ``common`` holds what they share.
"""

from lookout.cli.common import app, main

# The command modules register on ``app`` when imported, in the order of ``lookout --help``.
# isort: off
from lookout.cli import simulator, coalition, audit, distributed, bench  # noqa: F401, E402
# isort: on

__all__ = ["app", "main"]
