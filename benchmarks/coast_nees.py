"""Where a scenario's coast NEES falls out of its bounds, on its own seed and on other seeds of
its sensors: per truth object and per span of time, over or under, seen or unseen, position or
velocity, and the error's direction against the covariance's.

    nice -n 10 .venv/bin/python benchmarks/coast_nees.py FILE [SEED ...] [--bin-s 100]
    nice -n 10 .venv/bin/python benchmarks/coast_nees.py FILE own 1 2 3 4 --brief

``SEED``: ``own`` (the scenario's, as ``lookout track`` runs it) or an integer put in its
``seed:``; the sensors' noise, false alarms and detection draws change with it, the flights do
not. Per seed: the fraction of coast report instants whose NEES, averaged over the instant's
samples, lies inside its 95 % bounds (``nees_in_bounds_by_phase['coast']``, ``lookout.scoring``)
and how many are under (``low``) or over (``high``); per truth object its samples' mean NEES (6
for a consistent filter; one draw of a track's error is carried through a coast unseen, so a
flight is a few samples, not hundreds), that while its track is seen (its last detection less
than ``--unseen-s`` before) and unseen. Without ``--brief``, per ``--bin-s`` of time: the
instants' verdicts, the NEES of position and of velocity (3 dof each), the time since the
track's last detection and the sensor of it, and the error's mean and RMS in the truth's radial
/ in-track / cross-track axes (m, m/s) beside the reported covariance's sigmas there. The
central tracker (``lookout.tracking.track``) scored alone, no PCRLB and no assessment.
"""

from __future__ import annotations

import argparse

import numpy as np

from lookout.errors import LookoutError
from lookout.scenario import load
from lookout.scoring.evaluation import on_sensor_seed, track_scored
from lookout.scoring.functions import nees_verdicts
from lookout.simulate import simulate

COAST = 1

#: ``nees_verdicts``' -1, 0, 1 as words.
VERDICTS = np.array(["low", "in", "high"], dtype=object)


def _quad(e: np.ndarray, P: np.ndarray) -> np.ndarray:
    """``e' P⁻¹ e`` per row."""
    return np.einsum("si,si->s", e, np.linalg.solve(P, e[..., None])[..., 0])


def _last_detection(updates, detections, track_id: np.ndarray, t: np.ndarray):
    """Time (s, NaN: none) and sensor of each ``track_id[i]``'s last detection at or before
    ``t[i]``, from a tracker's update log."""
    t_last = np.full(t.size, np.nan)
    sensor = np.full(t.size, "-", dtype=object)
    for tid in np.unique(track_id):
        u = np.flatnonzero(updates.track_id == tid)
        u = u[np.argsort(updates.t[u], kind="stable")]
        rows = np.flatnonzero(track_id == tid)
        k = np.searchsorted(updates.t[u], t[rows] + 1e-9, side="right") - 1
        ok = k >= 0
        t_last[rows[ok]] = updates.t[u[k[ok]]]
        sensor[rows[ok]] = [detections[int(i)].sensor_id for i in updates.detection_index[u[k[ok]]]]
    return t_last, sensor


def coast_nees(name: str, seed: str = "own", unseen_s: float = 30.0) -> dict:
    """The coast samples of ``name`` on sensor seed ``seed`` (module doc), as arrays."""
    sc = on_sensor_seed(load(name), seed)
    sim = simulate(sc)
    out, s = track_scored(sc, sim, with_pcrlb=False)
    m, a = s.matches, s.association
    sel = np.flatnonzero(m.phase == COAST)
    P = a.est_P[a.row[sel]]
    x_true = a.truth_x[m.instant[sel], m.truth[sel]]
    e = a.est_x[a.row[sel]] - x_true
    r, v = x_true[:, :3], x_true[:, 3:]
    radial = r / np.linalg.norm(r, axis=1, keepdims=True)
    cross = np.cross(r, v)
    cross /= np.linalg.norm(cross, axis=1, keepdims=True)
    B = np.stack([radial, np.cross(cross, radial), cross], axis=1)  # rows: R, I, C
    t = m.t[sel]
    nees = m.nees[sel]
    verdict = VERDICTS[nees_verdicts(m.instant[sel], nees) + 1]
    t_last, sensor = _last_detection(out.updates, sim.detections, m.track_id[sel], t)
    instants = {
        v_: int(sum(verdict[np.flatnonzero(m.instant[sel] == k)[0]] == v_
                    for k in np.unique(m.instant[sel])))
        for v_ in ("low", "in", "high")
    }  # fmt: skip
    return {
        "in_bounds": s.nees_in_bounds_by_phase["coast"],
        "instants": instants,
        "t": t,
        "truth": np.array([a.truths.ids[j] for j in m.truth[sel]]),
        "track": m.track_id[sel],
        "nees": nees,
        "nees_pos": _quad(e[:, :3], P[:, :3, :3]),
        "nees_vel": _quad(e[:, 3:], P[:, 3:, 3:]),
        "err_pos": np.einsum("sij,sj->si", B, e[:, :3]),
        "err_vel": np.einsum("sij,sj->si", B, e[:, 3:]),
        "sig_pos": np.sqrt(np.einsum("sij,sjk,sik->si", B, P[:, :3, :3], B)),
        "sig_vel": np.sqrt(np.einsum("sij,sjk,sik->si", B, P[:, 3:, 3:], B)),
        "age": t - t_last,
        "unseen": ~(t - t_last < unseen_s),
        "sensor": sensor,
        "verdict": verdict,
    }


def report(r: dict, bin_s: float, brief: bool) -> None:
    """Print ``coast_nees``'s ``r`` (module doc)."""
    inb = r["in_bounds"]
    print(f"  coast NEES in bounds {'-' if inb is None else format(inb, '.2f')}, "
          f"instants {r['instants']}")  # fmt: skip
    for obj in sorted(set(r["truth"].tolist())):
        rows = np.flatnonzero(r["truth"] == obj)
        seen, unseen = rows[~r["unseen"][rows]], rows[r["unseen"][rows]]

        def mean(ix):
            return f"{r['nees'][ix].mean():.2f} ({ix.size})" if ix.size else "- (0)"

        print(f"  {obj}: tracks {sorted(set(r['track'][rows].tolist()))}, NEES mean "
              f"{mean(rows)}, seen {mean(seen)}, unseen {mean(unseen)}")  # fmt: skip
        if brief:
            continue
        t = r["t"][rows]
        for b0 in np.arange(np.floor(t.min() / bin_s) * bin_s, t.max() + 1e-9, bin_s):
            b = rows[(t >= b0) & (t < b0 + bin_s)]
            if not b.size:
                continue
            v = {k: int(np.sum(r["verdict"][b] == k)) for k in ("low", "in", "high")}
            print(f"    {b0:6.0f} s  n {b.size:3d}  low/in/high {v['low']}/{v['in']}/{v['high']}"
                  f"  NEES {r['nees'][b].mean():6.2f}  pos {r['nees_pos'][b].mean():6.2f}  vel "
                  f"{r['nees_vel'][b].mean():6.2f}  unseen {np.nanmedian(r['age'][b]):5.1f} s"
                  f"  last {','.join(sorted(set(r['sensor'][b].tolist())))}")  # fmt: skip
            for name, err, sig in (("pos", "err_pos", "sig_pos"), ("vel", "err_vel", "sig_vel")):
                mu, rms = r[err][b].mean(0), np.sqrt((r[err][b] ** 2).mean(0))
                sg = np.sqrt((r[sig][b] ** 2).mean(0))
                print(f"        {name} R/I/C error mean {np.array2string(mu, precision=3)} "
                      f"RMS {np.array2string(rms, precision=3)} sigma "
                      f"{np.array2string(sg, precision=3)}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("seeds", nargs="*", default=["own"])
    ap.add_argument("--bin-s", type=float, default=100.0)
    ap.add_argument("--unseen-s", type=float, default=30.0)
    ap.add_argument("--brief", action="store_true", help="per seed and object only")
    a = ap.parse_args()
    for seed in a.seeds:
        if seed != "own" and not seed.isdigit():
            raise LookoutError(f"seed = {seed!r}: expected 'own' or a non-negative integer")
    load(a.scenario)  # a file that is not a scenario says so before any run
    for seed in a.seeds:
        print(f"{a.scenario} seed {seed}:", flush=True)
        report(coast_nees(a.scenario, seed, a.unseen_s), a.bin_s, a.brief)


if __name__ == "__main__":
    from lookout.cli.common import run_script

    run_script(main)
