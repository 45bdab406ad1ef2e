"""Scenario files with manoeuvring and sea-launched missiles: the fields are checked, and the
shipped scenarios of these kinds fly what their notes say and are seen by the sensors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from lookout.geodesy import ecef_to_geodetic
from lookout.scenario import SHIPPED_DIR, ScenarioError, load, parse
from lookout.simulate import simulate, truth_records


def _raw(name: str) -> dict:
    return yaml.safe_load((SHIPPED_DIR / f"{name}.yaml").read_text())


def _error(data: dict) -> str:
    with pytest.raises(ScenarioError) as info:
        parse(data, source="mine.yaml")
    return str(info.value)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["launches"][0]["aim"]["glide"]["turns"][0].update(end_s=100),
            "launches[0].aim.glide.turns[0].end_s = 100, expected a time after start_s",
        ),
        (
            lambda d: d["launches"][0]["aim"]["glide"]["turns"][0].update(bank_deg=95),
            "launches[0].aim.glide.turns[0].bank_deg = 95",
        ),
        (
            lambda d: d["launches"][0]["aim"]["glide"].pop("altitude_km"),
            "launches[0].aim.glide.altitude_km = None",
        ),
        (
            lambda d: d["launches"][0]["aim"]["glide"].update(wings=2),
            "launches[0].aim.glide.wings = 2, expected one of the fields",
        ),
        (
            lambda d: d["launches"][0]["aim"].update(pull_up_km=40),
            "launches[0].aim.glide = ",
        ),
        (
            lambda d: d["launches"][0].update(depth_m=30),
            "launches[0].vehicle = 'hgv-liquid', expected a vehicle that starts under water",
        ),
        (lambda d: d["launches"][0].update(depth_m=-5), "launches[0].depth_m = -5"),
    ],
)
def test_invalid_manoeuvre_names_field_and_value(edit, expected):
    data = copy.deepcopy(_raw("hgv"))
    edit(data)
    message = _error(data)
    assert message.startswith("mine.yaml: ")
    assert expected in message


@pytest.fixture(scope="module")
def runs():
    return {name: simulate(load(name)) for name in ("kn23-pullup", "slbm", "hgv")}


def _alt_km(event) -> float:
    return float(ecef_to_geodetic(event.pos)[2]) / 1e3


def test_shipped_manoeuvring_flights_fly_what_their_notes_say(runs):
    for launch_id in ("KN23-1", "KN23-2"):
        tr = runs["kn23-pullup"].trajectory(launch_id)
        assert _alt_km(tr.event("apogee")) == pytest.approx(50.0, rel=1e-3)
        assert tr.event("pull_up") is not None and tr.event("dive") is not None
        assert tr.alt.max() < 51e3
    slbm = runs["slbm"].trajectory("SLBM-1")
    assert slbm.alt[0] == pytest.approx(-30.0, abs=0.5)
    assert slbm.event("ignition") is not None
    assert _alt_km(slbm.event("apogee")) == pytest.approx(60.0, rel=1e-3)
    hgv = runs["hgv"].trajectory("HGV-1")
    assert _alt_km(hgv.event("apogee")) == pytest.approx(55.0, rel=1e-3)
    lat, lon, _ = ecef_to_geodetic(hgv.event("impact").pos)
    assert np.degrees(lat) == pytest.approx(39.60, abs=0.01)
    assert np.degrees(lon) == pytest.approx(134.50, abs=0.01)


def test_sensors_see_the_low_flights_after_burnout(runs):
    # Low, depressed and gliding paths: every flight is still held by radar after its burnout,
    # for most of its descent, by more than one partner.
    for sim in runs.values():
        for launch in sim.launches:
            tr = sim.trajectory(launch.object_id)
            t_bo = tr.final_burnout().t
            t_imp = tr.event("impact").t
            times = np.array(
                [
                    d.t_ns * 1e-9
                    for d, lab in zip(sim.detections, sim.labels, strict=True)
                    if lab == launch.object_id and d.sensor_id.split("-")[1] != "geo"
                ]
            )
            after = times[times > t_bo]
            assert after.size > 100
            assert after.max() > t_bo + 0.8 * (t_imp - t_bo)
            partners = {
                d.sensor_id.split("-")[0]
                for d, lab in zip(sim.detections, sim.labels, strict=True)
                if lab == launch.object_id
            }
            assert len(partners) >= 2


def test_truth_carries_the_lift_of_a_lifting_body(runs):
    records = truth_records(runs["hgv"])
    states = [r for r in records if r["type"] == "state" and r["object_id"] == "HGV-1"]
    lift = np.array([r["lift_acc_ecef"] for r in states])
    assert np.linalg.norm(lift, axis=1).max() > 9.80665
    events = next(r for r in records if r["type"] == "object" and r["object_id"] == "HGV-1")
    assert {"glide", "pull_up", "dive"} <= {e["name"] for e in events["events"]}
    stage = [r for r in records if r["type"] == "state" and r["object_id"] == "HGV-1-stage1"]
    assert stage and "lift_acc_ecef" not in stage[0]
