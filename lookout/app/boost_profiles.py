"""The table of ``lookout.tracking.mono``: the catalogue's boosts as flown from the ground, each
vehicle over a grid of pitch-overs (lofted to depressed), their positions every
``STEP_S`` seconds of their burn in the launch site's East-North-Up frame, fired north.

    .venv/bin/python -m lookout.app.boost_profiles  # writes lookout/tracking/boost_profiles.csv

The flight model is a stage before the tracker, so the flying is done here and the tracker reads
the table (as ``lookout.app.boost_table`` does for the assessment).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from lookout.app import boost_table
from lookout.tracking.mono import PROFILE_COLUMNS, PROFILE_STEP_S, PROFILE_TABLE

#: The pitch-overs flown (deg from the vertical): ``lookout.app.boost_table``'s, and between
#: 10 and 60 degrees every 2.5-7.5: one satellite's lines of sight tell a boost's pitch-over
#: from its neighbours' only through its first sighting (``mono.PLUME_FIRST_SEEN_M``), a few
#: degrees, and a fit at the grid's nearest misses a flight between (world75 #07's IRBM, flown
#: at about 27.5 degrees: the 30-degree boosts' burnouts 24-27 km and 740-870 m/s off).
KICKS_DEG = tuple(sorted({*boost_table.KICKS_DEG, 12.5, 17.5, 22.5, 25.0, 27.5, 35.0, 40.0, 52.5}))
#: Where the grid is flown (deg): the offsets are taken in the site's own frame, so the site
#: only enters through the Earth's rotation (a kilometre across the track in 100 s).
SITE_DEG = (40.0, 127.0)


def fly() -> list[tuple[str, float, np.ndarray]]:
    """(vehicle, kick deg, positions (T, 3) m east, north, up of the site every
    ``PROFILE_STEP_S`` from lift-off to the end of the full burn) of every boost flown."""
    from lookout.flight.launch import Launch, launch_spec
    from lookout.geodesy import enu_basis, geodetic_to_ecef
    from lookout.physics.propagate import propagate
    from lookout.physics.vehicles import catalogue

    lat0, lon0 = np.radians(SITE_DEG[0]), np.radians(SITE_DEG[1])
    site = geodetic_to_ecef(np.array([lat0]), np.array([lon0]), 0.0)[0]
    basis = enu_basis(lat0, lon0)
    rows, launches = [], []
    for v in catalogue().values():
        for kick in KICKS_DEG:
            rows.append((v.name, kick, v.full_burn_s))
            launches.append(Launch(v.name, v, lat0, lon0, 0.0, np.radians(kick),
                                   max_flight_s=v.full_burn_s + 1.0))  # fmt: skip
    trs = propagate([launch_spec(x) for x in launches], spawn_debris=False)
    out = []
    for (name, kick, burn), tr in zip(rows, trs, strict=True):
        tau = np.arange(0.0, min(burn, tr.t_end - tr.t_start) + 1e-9, PROFILE_STEP_S)
        x = tr.state_at(tr.t_start + tau)
        out.append((name, kick, (x[:, :3] - site) @ basis.T))
    return out


def write(path: Path = PROFILE_TABLE) -> int:
    """Fly the grid and write the table; the number of boosts written."""
    flown = fly()
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PROFILE_COLUMNS)
        for name, kick, enu in flown:
            for k, (e, n, u) in enumerate(enu):
                w.writerow([name, f"{kick:g}", f"{k * PROFILE_STEP_S:g}",
                            f"{e:.0f}", f"{n:.0f}", f"{u:.0f}"])  # fmt: skip
    return len(flown)


if __name__ == "__main__":
    print(f"{write()} boosts written to {PROFILE_TABLE}")
