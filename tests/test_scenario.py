"""Scenario files and the simulator: checked input, deterministic output, the shipped set."""

from __future__ import annotations

import copy
import hashlib
import json

import msgspec
import pytest
import yaml
from typer.testing import CliRunner

from lookout.cli import app
from lookout.messages import Detection
from lookout.scenario import SHIPPED_DIR, ScenarioError, load, parse, shipped
from lookout.simulate import simulate, write

SHIPPED = [
    "lofted-icbm",
    "irbm-overflight",
    "srbm-salvo",
    "satellite-launch",
    "lost-track",
    "mass-raid",
    "quiet-sky",
    "kn23-pullup",
    "slbm",
    "hgv",
    "barrage",
    "irbm-breakup",
    "satellite-cutoff",
]
#: Simulated twice by the determinism test: all but the barrage (400 launches, the picture
#: benchmark's; the same code paths at a hundred times the cost). The mass raid (40 launches)
#: and the quiet sky (two hours of clutter, two orbits) take as long as the other eight together,
#: on paths srbm-salvo (a salvo, clutter) and satellite-launch (an orbit) take too: they are
#: ``slow`` (``make test-all`` runs them).
_LONG = {"mass-raid", "quiet-sky"}
SIMULATED = [
    pytest.param(n, marks=pytest.mark.slow) if n in _LONG else n for n in SHIPPED if n != "barrage"
]


def _raw(name: str) -> dict:
    return yaml.safe_load((SHIPPED_DIR / f"{name}.yaml").read_text())


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_shipped_set_is_listed_with_descriptions():
    listed = shipped()
    assert sorted(listed) == sorted(SHIPPED)
    assert all(len(d) > 20 for d in listed.values())
    out = CliRunner().invoke(app, ["scenarios"])
    assert out.exit_code == 0
    for name in SHIPPED:
        assert name in out.output


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_is_valid_and_says_sites_are_generic(name):
    sc = load(name)
    assert [p.id for p in sc.partners] == ["KR", "JP", "US"]
    assert "generic" in sc.note
    assert sc.launches and sc.sensors
    assert {s.spec["partner"] for s in sc.sensors} == {"KR", "JP", "US"}


@pytest.mark.parametrize("name", SIMULATED)
def test_two_runs_write_identical_files(name, tmp_path):
    sc = load(name)
    digests = []
    for run in ("a", "b"):
        sim = simulate(sc)
        paths = write(sim, tmp_path / run)
        digests.append({k: _digest(p) for k, p in paths.items()})
    assert digests[0] == digests[1]
    assert len(sim.detections) > 1000


@pytest.fixture(scope="module")
def lost_track():
    return simulate(load("lost-track"))


def test_detections_are_time_ordered_and_carry_no_truth(lost_track, tmp_path):
    paths = write(lost_track, tmp_path)
    lines = paths["detections"].read_bytes().splitlines()
    dets = [msgspec.json.decode(line, type=Detection) for line in lines]
    assert dets == lost_track.detections
    times = [d.t_ns for d in dets]
    assert times == sorted(times)
    assert b"ICBM-1" not in paths["detections"].read_bytes()
    # The truth file carries the association, one label per detection, and every object.
    records = [json.loads(line) for line in paths["truth"].read_text().splitlines()]
    labels = [x for r in records if r["type"] == "labels" for x in r["object_ids"]]
    assert labels == lost_track.labels
    objects = {r["object_id"] for r in records if r["type"] == "object"}
    assert objects == {t.object_id for t in lost_track.trajectories}
    states = [r for r in records if r["type"] == "state" and r["object_id"] == "ICBM-1"]
    assert states[0]["phase"] == "boost" and states[-1]["phase"] == "reentry"


def test_outage_silences_the_partner_that_lost_the_track(lost_track):
    sc = lost_track.scenario
    jp = {s.id for s in sc.sensors if s.spec["partner"] == "JP"}
    start = min(a for s in sc.sensors if s.id in jp for a, _ in s.outages)
    seen = {}
    for d, label in zip(lost_track.detections, lost_track.labels, strict=True):
        if label == "ICBM-1":
            seen.setdefault(d.partner, []).append(d.t_ns * 1e-9)
    assert max(seen["JP"]) < start  # JP saw the missile, then nothing after its outage
    assert min(seen["JP"]) < start - 20
    assert max(seen["KR"]) > start + 600  # KR kept it long after
    assert max(seen["US"]) > start + 300


def test_map_plot_is_written(lost_track, tmp_path):
    from lookout.app.plots import scenario_map

    path = scenario_map(lost_track, tmp_path / "map.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 20_000


def _error(data: dict) -> str:
    with pytest.raises(ScenarioError) as info:
        parse(data, source="mine.yaml")
    return str(info.value)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.pop("seed"), "seed = None"),
        (lambda d: d.update(seed=-3), "seed = -3, expected an integer >= 0"),
        (lambda d: d.update(duration_s="long"), "duration_s = 'long', expected a finite number"),
        (lambda d: d.update(epoch="yesterday"), "epoch = 'yesterday'"),
        (lambda d: d.update(colour="red"), "colour = 'red', expected one of the fields"),
        (
            lambda d: d["partners"][0].update(country=False),
            "country = False, expected a non-empty string (YAML reads an unquoted NO",
        ),
        (lambda d: d["partners"][1].update(id="KR"), "partners[1].id = 'KR'"),
        (
            lambda d: d["partners"][0]["sensors"][0].update(sigma_range_m=-1),
            "partners[0].sensors[0]: radar 'kr-ewr-central': sigma_range_m = -1",
        ),
        (
            lambda d: d["partners"][0]["sensors"][0].update(type="sonar"),
            "type = 'sonar', expected 'radar' or 'infrared'",
        ),
        (
            lambda d: d["partners"][0]["sensors"][0].update(outages=[[50, 10]]),
            "partners[0].sensors[0].outages[0] = [50, 10]",
        ),
        (lambda d: d["launches"][0].update(site=[95, 125]), "launches[0].site[0] = 95"),
        (
            lambda d: d["launches"][0].update(vehicle="hwasong-99"),
            "launches[0].vehicle = 'hwasong-99', expected one of",
        ),
        (
            lambda d: d["launches"][0]["aim"].update(loft="high"),
            "launches[0].aim.loft = 'high'",
        ),
        (
            lambda d: d["launches"][0].update(aim={"azimuth_deg": 90}),
            "launches[0].aim = {'azimuth_deg': 90}, expected target",
        ),
        (
            lambda d: d["launches"][0]["aim"].update(orbit_km=500),
            "launches[0].aim.orbit_km = 500, expected no such field",
        ),
        (lambda d: d["launches"][0].update(time_s=99999), "launches[0].time_s = 99999"),
    ],
)
def test_invalid_file_names_field_and_value(edit, expected):
    data = copy.deepcopy(_raw("lofted-icbm"))
    edit(data)
    message = _error(data)
    assert message.startswith("mine.yaml: ")
    assert expected in message


def test_cli_runs_a_users_own_file_and_refuses_a_bad_one(tmp_path):
    data = _raw("srbm-salvo")
    data["launches"] = data["launches"][:1]
    data["duration_s"] = 400
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump(data))
    runner = CliRunner()
    out = runner.invoke(app, ["simulate", str(mine), "--json", "--out", str(tmp_path / "o")])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output)
    assert summary["launches"] == 1 and summary["detections"] > 100
    assert (tmp_path / "o" / "detections.jsonl").exists()

    data["launches"][0]["aim"]["target"] = [39.6]
    mine.write_text(yaml.safe_dump(data))
    out = runner.invoke(app, ["simulate", str(mine)])
    assert out.exit_code == 2
    assert "launches[0].aim.target = [39.6], expected [lat_deg, lon_deg]" in out.output

    out = runner.invoke(app, ["simulate", "no-such-scenario"])
    assert out.exit_code == 2
    assert "expected a shipped name" in out.output
