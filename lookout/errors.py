"""The root of Lookout's own errors.

Every error Lookout raises on purpose derives from :class:`LookoutError`, and keeps the built-in
base it had (``ValueError`` for bad input, ``RuntimeError`` for a step that failed,
``PermissionError`` for a refusal), so ``except ValueError`` still catches what it caught. The
message names the field, the value and what was expected, or says what to do next; an edge (the
command line) catches the root and prints that message in one line. The classes live beside the
code that raises them:

- bad input (``ValueError``): ``scenario.schema.ScenarioError``,
  ``sensors._validate.ParameterError``, ``flight.aim.AimError``, ``flight.launch.LaunchError``,
  ``physics.vehicles.CatalogueError``, ``exchange.policy.PolicyError``,
  ``scoring.validation.PublishedFlightsError``, ``warn.areas.AreaError``,
  ``warn.cap.TemplateError``, ``warn.notice.NoticeError``, ``warn.sign.AlertSignatureError``,
  ``web.alerts.AlertError``, ``web.cot.CotPolicyError``;
- a step that failed (``RuntimeError``): ``exchange.replay.ReplayError``,
  ``exchange.nats.BusPublishError``, ``exchange.nats.NatsServerError``,
  ``web.cesium.CesiumError``;
- a refusal (``PermissionError``): ``exchange.nats.BusPermissionError``.

``tests/test_errors.py`` checks that every public exception class of the package is one.
"""

from __future__ import annotations


class LookoutError(Exception):
    """An error Lookout raises on purpose; its message is all a user needs to act on it."""
