"""Sensor models: what each partner's radars and infrared satellites see of the flights.

Every sensor follows one protocol, vectorised over objects and times: the scenario runner asks a
sensor for its scan instants, samples the truth there (``TruthSamples.from_trajectories``), and
hands the samples to ``detect``, which returns ``Detection`` messages and, apart from them, the
truth label of each (for scoring; never sent). ``observe`` does the three steps at once.

Randomness comes only from the ``numpy.random.Generator`` passed in, so a run is deterministic
for its seed and its sequence of calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from lookout.messages import Detection
from lookout.sensors.batch import MeasurementBatch
from lookout.sensors.infrared import InfraredParams, InfraredSatellite
from lookout.sensors.orbit import KeplerOrbit
from lookout.sensors.radar import RCS_M2, Radar, RadarParams, radar_snr_db, swerling1_pd
from lookout.sensors.truth import TruthLabels, TruthSamples

__all__ = [
    "RCS_M2",
    "Detection",
    "InfraredParams",
    "InfraredSatellite",
    "KeplerOrbit",
    "MeasurementBatch",
    "Radar",
    "RadarParams",
    "Sensor",
    "TruthLabels",
    "TruthSamples",
    "make_sensor",
    "observe",
    "radar_snr_db",
    "swerling1_pd",
]


@runtime_checkable
class Sensor(Protocol):
    """What the scenario runner needs of a sensor."""

    id: str
    partner: str
    kind: str

    def scan_times(self, t0: float, t1: float) -> np.ndarray:
        """The sensor's scan or frame instants (s) in [t0, t1)."""

    def measure(self, truth: TruthSamples, rng: np.random.Generator) -> MeasurementBatch:
        """Detections, as arrays, at each of ``truth.t`` (each one scan or frame)."""

    def detect(
        self, truth: TruthSamples, rng: np.random.Generator
    ) -> tuple[list[Detection], TruthLabels]:
        """Detections, as messages, at each of ``truth.t``, with their truth labels."""


def observe(
    sensor: Sensor, trajectories: Sequence, t0: float, t1: float, rng: np.random.Generator
) -> tuple[list[Detection], TruthLabels]:
    """Everything ``sensor`` detects of ``trajectories`` in [t0, t1) s."""
    truth = TruthSamples.from_trajectories(trajectories, sensor.scan_times(t0, t1))
    return sensor.detect(truth, rng)


def make_sensor(spec: dict) -> Sensor:
    """A sensor from a scenario mapping with ``type: radar`` or ``type: infrared`` and the fields
    of ``RadarParams`` or ``InfraredParams``."""
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind == "radar":
        return Radar(RadarParams.from_dict(spec))
    if kind == "infrared":
        return InfraredSatellite(InfraredParams.from_dict(spec))
    raise ValueError(
        f"sensor {spec.get('id', '?')!r}: type = {kind!r}, expected 'radar' or 'infrared'"
    )
