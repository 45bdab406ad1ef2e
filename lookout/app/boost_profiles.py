"""The table of ``lookout.tracking.mono``: the catalogue's boosts as flown from the ground, each
vehicle over a grid of pitch-overs (lofted to depressed), their positions every
``STEP_S`` seconds of their burn in the launch site's East-North-Up frame, fired north, and
each position's response to the Earth's rotation in that frame (``mono.rotation_response``).

    .venv/bin/python -m lookout.app.boost_profiles  # writes lookout/tracking/boost_profiles.csv

The flight model is a stage before the tracker, so the flying is done here and the tracker reads
the table (as ``lookout.app.boost_table`` does for the assessment).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from lookout.app import boost_table
from lookout.tracking.mono import (
    PROFILE_COLUMNS,
    PROFILE_LAT_DEG,
    PROFILE_STEP_S,
    PROFILE_TABLE,
    RESPONSE_COLUMNS,
    earth_rate_axes,
)

#: The pitch-overs flown (deg from the vertical): ``lookout.app.boost_table``'s, and between
#: 10 and 60 degrees every 2.5-7.5: one satellite's lines of sight tell a boost's pitch-over
#: from its neighbours' only through its first sighting (``mono.PLUME_FIRST_SEEN_M``), a few
#: degrees, and a fit at the grid's nearest misses a flight between (world75 #07's IRBM, flown
#: at about 27.5 degrees: the 30-degree boosts' burnouts 24-27 km and 740-870 m/s off); and 5.5
#: and 8.5, where a long burn pitched over a few degrees moves its burnout 10 km a degree
#: (mrbm-liquid-long: the 4, 7 and 10 degree boosts 30-60 km and 1.3-1.6 km/s apart), so a
#: flight between them fitted its lines of sight worse than other vehicles' boosts 10 degrees
#: steeper, its burnout NEES 19-58 (me68 #00, me69 #05, me81 #03; branch mono58).
KICKS_DEG = tuple(
    sorted({*boost_table.KICKS_DEG, 5.5, 8.5, 12.5, 17.5, 22.5, 25.0, 27.5, 35.0, 40.0, 52.5})
)
#: Where the grid is flown (deg): the offsets are taken in the site's own frame, so the site
#: only enters through the Earth's rotation (``RESPONSE_FRAMES``).
SITE_DEG = (PROFILE_LAT_DEG, 127.0)
#: The grid is flown again in these frames (latitude, azimuth deg), each turned back to fired
#: north, for its positions' response to the Earth's rotation rate in the table's axes: a
#: gravity turn steers along a velocity the rotation bends, so a boost flown west at 35 N
#: burns out 3.2 km and 110 m/s off the same boost flown north at 40 N and turned (the
#: Coriolis drift alone, integrated on the table's velocity, is a fifth of that); the three
#: rates' responses, linear in the rate, leave 0.05-0.7 km and 2-23 m/s of it
#: (mrbm-liquid-long at 6.2 degrees, irbm-liquid at 27.5, five sites and azimuths).
RESPONSE_FRAMES = ((SITE_DEG[0], 180.0), (SITE_DEG[0], 90.0), (-SITE_DEG[0], 0.0))


def _fly_frame(lat_deg: float, az_deg: float, catalogue) -> list[np.ndarray]:
    """Every boost of the grid flown from (``lat_deg``, ``SITE_DEG[1]``) at ``az_deg``: its
    positions (T, 3) m in the site's East-North-Up frame turned to fired north."""
    from lookout.flight.launch import Launch, launch_spec
    from lookout.geodesy import enu_basis, geodetic_to_ecef
    from lookout.physics.propagate import propagate

    lat0, lon0, az = np.radians(lat_deg), np.radians(SITE_DEG[1]), np.radians(az_deg)
    site = geodetic_to_ecef(np.array([lat0]), np.array([lon0]), 0.0)[0]
    basis = enu_basis(lat0, lon0)
    rows, launches = [], []
    for v in catalogue.values():
        for kick in KICKS_DEG:
            rows.append(v.full_burn_s)
            launches.append(Launch(v.name, v, lat0, lon0, az, np.radians(kick),
                                   max_flight_s=v.full_burn_s + 1.0))  # fmt: skip
    trs = propagate([launch_spec(x) for x in launches], spawn_debris=False)
    out = []
    ca, sa = np.cos(az), np.sin(az)
    for burn, tr in zip(rows, trs, strict=True):
        tau = np.arange(0.0, min(burn, tr.t_end - tr.t_start) + 1e-9, PROFILE_STEP_S)
        enu = (tr.state_at(tr.t_start + tau)[:, :3] - site) @ basis.T
        east = enu[:, 0] * ca - enu[:, 1] * sa
        north = enu[:, 0] * sa + enu[:, 1] * ca
        out.append(np.stack([east, north, enu[:, 2]], axis=-1))
    return out


def fly() -> list[tuple[str, float, np.ndarray, np.ndarray]]:
    """(vehicle, kick deg, positions (T, 3) m east, north, up of the site every
    ``PROFILE_STEP_S`` from lift-off to the end of the full burn, and their response (T, 3, 3)
    to the Earth's rotation rate in the table's axes, m per Earth rate) of every boost flown."""
    from lookout.physics.vehicles import catalogue

    cat = catalogue()
    names = [(v.name, kick) for v in cat.values() for kick in KICKS_DEG]
    base = _fly_frame(SITE_DEG[0], 0.0, cat)
    others = [_fly_frame(lat, az, cat) for lat, az in RESPONSE_FRAMES]
    w0 = earth_rate_axes(np.radians(SITE_DEG[0]), 0.0)
    dw = np.stack([earth_rate_axes(np.radians(lat), np.radians(az)) - w0
                   for lat, az in RESPONSE_FRAMES], axis=-1)  # fmt: skip
    inv = np.linalg.inv(dw)
    out = []
    for i, ((name, kick), p) in enumerate(zip(names, base, strict=True)):
        n = min([p.shape[0]] + [o[i].shape[0] for o in others])
        moved = np.stack([o[i][:n] - p[:n] for o in others], axis=-1)  # (T, 3, 3)
        resp = np.zeros(p.shape + (3,))
        resp[:n] = moved @ inv
        out.append((name, kick, p, resp))
    return out


def write(path: Path = PROFILE_TABLE) -> int:
    """Fly the grid and write the table; the number of boosts written."""
    flown = fly()
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PROFILE_COLUMNS + RESPONSE_COLUMNS)
        for name, kick, enu, resp in flown:
            for k, ((e, n, u), r) in enumerate(zip(enu, resp, strict=True)):
                w.writerow([name, f"{kick:g}", f"{k * PROFILE_STEP_S:g}", f"{e:.0f}",
                            f"{n:.0f}", f"{u:.0f}", *(f"{v:.0f}" for v in r.ravel())])  # fmt: skip
    return len(flown)


if __name__ == "__main__":
    print(f"{write()} boosts written to {PROFILE_TABLE}")
