"""The table of ``lookout.assess.boost_ensemble``: the catalogue's boosts flown over a grid of
pitch-overs, cut-offs and azimuths (``lookout.flight``), each burnout flown back as the
assessment flies a coast state back (``launch_point._backward_to_ground``).

    .venv/bin/python -m lookout.app.boost_table     # writes lookout/assess/boost_ensemble.csv
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from lookout.assess.boost_ensemble import COLUMNS, TABLE, arc_features, arc_frame

#: The grid flown (deg, deg, fraction of the last stage's burn before cut-off).
AZIMUTHS_DEG = (0.0, 90.0, 180.0, 270.0)
KICKS_DEG = (0.5, 1.0, 2.0, 4.0, 7.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 75.0)
CUTOFF_FRACTIONS = (0.25, 0.5, 0.75, 1.0)
#: The cut-off fraction of a multi-stage vehicle's last staging (its last stage never lit): the
#: arc its spent stage below falls on, in the prior whatever range the flight is for
#: (``boost_ensemble.in_class``).
STAGING = 0.0
#: Where the grid is flown (deg): the middle of the region the scenarios are set in; the
#: offsets are taken in the arc's own frame, so the site only enters through Earth's rotation.
SITE_DEG = (40.0, 127.0)


def grid() -> list[tuple]:
    """(vehicle, azimuth deg, kick deg, cut-off fraction) of every boost flown."""
    from lookout.physics.vehicles import catalogue

    return [
        (v.name, az, k, f)
        for v in catalogue().values()
        if v.vehicle_class != "SLV"
        for az in AZIMUTHS_DEG
        for k in KICKS_DEG
        for f in ((STAGING,) if len(v.stages) > 1 else ()) + CUTOFF_FRACTIONS
    ]


def fly(rows: list[tuple]) -> np.ndarray:
    """The table's numeric columns (log_speed .. dt_s) of the boosts ``rows`` (``grid``'s); NaN for
    a boost that does not burn out in the air or whose arc does not reach the ground."""
    from lookout.assess.impact import BallisticPrior
    from lookout.assess.launch_point import _backward_to_ground, _enu_offsets
    from lookout.flight.launch import Launch, launch_spec
    from lookout.geodesy import ecef_to_geodetic
    from lookout.physics.propagate import propagate
    from lookout.physics.vehicles import catalogue

    cat = catalogue()
    lat0, lon0 = np.radians(SITE_DEG[0]), np.radians(SITE_DEG[1])
    launches = []
    for name, az, kick, frac in rows:
        v = cat[name]
        cut = v.full_burn_s - (1.0 - frac) * v.stages[-1].burn_s
        launches.append(Launch(name, v, lat0, lon0, np.radians(az), np.radians(kick),
                               cutoff_s=cut, max_flight_s=cut + 1.0))  # fmt: skip
    trs = propagate([launch_spec(x) for x in launches], spawn_debris=False)
    out = np.full((len(rows), 5), np.nan)
    bo = [tr.final_burnout() for tr in trs]
    ok = np.array([b is not None and ecef_to_geodetic(b.pos)[2] > 0 for b in bo])
    if not ok.any():
        return out
    idx = np.flatnonzero(ok)
    x = np.array([np.concatenate([bo[i].pos, bo[i].vel]) for i in idx])
    t = np.array([bo[i].t for i in idx])
    gp, _, gt = _backward_to_ground(t, x, BallisticPrior())
    feats = arc_features(x)
    glat, glon, _ = ecef_to_geodetic(np.nan_to_num(gp))
    blat, blon, _ = ecef_to_geodetic(x[:, :3])
    d = _enu_offsets(glat, glon, np.full(idx.size, lat0), np.full(idx.size, lon0))
    frame = arc_frame(glat, glon, blat, blon)
    off = np.einsum("nij,nj->ni", frame, d)
    res = np.column_stack([feats, off, 0.0 - gt])
    res[~np.isfinite(gt)] = np.nan
    out[idx] = res
    return out


def write(path: Path = TABLE) -> int:
    """Fly the whole grid and write the table; the number of rows written."""
    rows = grid()
    vals = fly(rows)
    keep = np.isfinite(vals).all(axis=1)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for r, v in zip(rows, vals, strict=True):
            if np.isfinite(v).all():
                w.writerow([r[0], f"{r[1]:g}", f"{r[2]:g}", f"{r[3]:g}", f"{v[0]:.6f}",
                            f"{v[1]:.6f}", f"{v[2]:.1f}", f"{v[3]:.1f}",
                            f"{v[4]:.2f}"])  # fmt: skip
    return int(keep.sum())


if __name__ == "__main__":
    print(f"{write()} boosts written to {TABLE}")
