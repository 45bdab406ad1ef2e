"""Write the shipped ``barrage`` scenario: ten times mass-raid, for load.

400 launches in ten minutes from fourteen land areas and two submarine patrol boxes, at sea
aim points of the Sea of Japan and the western Pacific; every radar reports three false alarms
per scan (the mass-raid sensor network, unchanged). Deterministic (seed below); regenerate with

    .venv/bin/python benchmarks/make_barrage.py > lookout/scenario/shipped/barrage.yaml

Each area has three (vehicle, aim) pairs, so the whole raid asks 44 distinct plans of the
planner, which then fly 400 times (the launch time does not change a plan). Aim points are at
sea; like every shipped scenario it is a load case, not a reconstruction of anything real.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import yaml

from lookout.geodesy import geodesic_inverse

SEED = 400
LAUNCHES = 400
FIRST_S, LAST_S = 60.0, 660.0
#: Land areas (lat, lon): generic places spread over the launching country's territory.
AREAS = [
    (39.20, 125.67), (38.95, 126.60), (40.00, 124.60), (38.70, 125.40), (40.60, 126.40),
    (39.60, 127.50), (41.40, 129.20), (40.80, 129.60), (42.00, 128.50), (39.90, 128.00),
    (38.40, 126.10), (41.00, 125.40), (40.10, 126.90), (38.80, 127.30),
]  # fmt: skip
#: Submarine patrol boxes (lat, lon): sea launches (slbm-lifting from 30 m down).
BOXES = [(40.30, 128.90), (39.40, 129.30)]
#: Sea aim points (lat, lon) by reach: short, medium, intermediate.
SHORT = [(39.6, 131.0), (39.0, 131.5), (40.2, 130.4), (41.2, 131.8), (38.6, 132.2)]
MEDIUM = [(40.5, 136.0), (38.5, 137.5), (37.5, 134.5), (41.5, 137.2), (39.9, 138.4)]
LONG = [(41.8, 157.2), (40.8, 150.0), (38.2, 153.5), (43.0, 154.0)]


def _within(rng: np.random.Generator, site, aims, lo_m: float, hi_m: float):
    """One of ``aims`` at a range in [lo_m, hi_m] from ``site`` (the nearest to that window
    if none is)."""
    rad = np.radians
    r = np.array([geodesic_inverse(rad(site[0]), rad(site[1]), rad(a[0]), rad(a[1]))[0]
                  for a in aims])  # fmt: skip
    ok = np.flatnonzero((r >= lo_m) & (r <= hi_m))
    if ok.size:
        return aims[int(rng.choice(ok))]
    return aims[int(np.argmin(np.maximum(lo_m - r, r - hi_m)))]


def pairs_for(rng: np.random.Generator, area: int) -> list[dict]:
    """Three (vehicle, aim) pairs of one land area: an SRBM and an MRBM on minimum-energy paths,
    and an IRBM (one in three of them lofted, one in three of the lighter kind)."""
    s = _within(rng, AREAS[area], SHORT, 250e3, 550e3)
    m = _within(rng, AREAS[area], MEDIUM, 700e3, 1300e3)
    long = _within(rng, AREAS[area], LONG, 2000e3, 3500e3)
    irbm = {"vehicle": "irbm-liquid", "aim": {"target": list(long)}}
    if area % 3 == 0:
        irbm["aim"]["loft"] = 550
    elif area % 3 == 1:
        irbm = {"vehicle": "irbm-liquid-light", "aim": {"target": list(long)}}
    return [
        {"vehicle": "srbm-solid", "aim": {"target": list(s)}},
        {"vehicle": "mrbm-liquid", "aim": {"target": list(m)}},
        irbm,
    ]


def barrage() -> dict:
    rng = np.random.default_rng(SEED)
    mass_raid = yaml.safe_load(
        (Path(__file__).parents[1] / "lookout/scenario/shipped/mass-raid.yaml").read_text()
    )
    pairs = [pairs_for(rng, a) for a in range(len(AREAS))]
    sea_aims = [SHORT[1], SHORT[3]]
    times = np.sort(rng.uniform(FIRST_S, LAST_S, LAUNCHES))
    launches = []
    for k, t in enumerate(times):
        launch: dict = {"id": f"BR-{k + 1:03d}", "time_s": round(float(t) * 2) / 2}
        if rng.random() < 0.05:  # a sea launch
            b = int(rng.integers(len(BOXES)))
            aim = {"target": list(sea_aims[b]), "loft": 60, "pull_up_km": 40}
            launch |= {"site": list(BOXES[b]), "depth_m": 30, "vehicle": "slbm-lifting", "aim": aim}
        else:
            a = int(rng.integers(len(AREAS)))
            # Short-range shots are most of a raid: 1/2 SRBM, 1/3 MRBM, 1/6 IRBM.
            kind = int(rng.choice(3, p=[0.5, 1 / 3, 1 / 6]))
            launch |= {"site": list(AREAS[a])} | copy.deepcopy(pairs[a][kind])
        launches.append(launch)
    return {
        "name": "barrage",
        "description": "Four hundred launches in ten minutes from many areas, for load.",
        "note": (
            "A load case, not a reconstruction: ten times mass-raid. 400 short-, medium- and "
            "intermediate-range missiles (a few lofted, one in twenty from a submarine) from "
            "fourteen land areas and two patrol boxes at sea aim points, between 60 s and 660 s; "
            "every single-stage missile sheds its spent stage and every radar reports three false "
            "alarms per scan. The sensors are mass-raid's: generic, plausible sites chosen for "
            "geometry, no claim about any real sensor. Written by benchmarks/make_barrage.py."
        ),
        "epoch": "2024-01-01T00:00:00Z",
        "seed": SEED,
        "duration_s": 1800,
        "partners": mass_raid["partners"],
        "launches": launches,
    }


class _Flow(yaml.SafeDumper):
    def ignore_aliases(self, data):  # a launch's aim written out, never as an anchor
        return True


def _represent_dict(dumper, data):
    # Launches and sensors one line each, as the shipped scenarios are written.
    flow = "type" in data or "time_s" in data
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


def _represent_list(dumper, data):
    flow = all(not isinstance(x, dict | list) for x in data) or all(
        isinstance(x, list) for x in data
    )
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Flow.add_representer(dict, _represent_dict)
_Flow.add_representer(list, _represent_list)


if __name__ == "__main__":
    sys.stdout.write(yaml.dump(barrage(), Dumper=_Flow, sort_keys=False, width=100))
