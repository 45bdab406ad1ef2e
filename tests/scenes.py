"""Small tracking scenes shared by the tracker's tests (``test_tracking*.py``) and those of the
manoeuvre and drag models: test radars, the detections of flights with their truth labels, and
a tracker's reports second by second."""

from __future__ import annotations

import numpy as np

from lookout.flight import Aim, fly
from lookout.flight.plancache import plan_cached as plan
from lookout.sensors import make_sensor, observe
from lookout.tracking import Tracker, TrackLog
from lookout.tracking.initiation import new_states

IR_GEO = {"type": "infrared", "id": "ir1", "partner": "US", "geo_lon_deg": 110.0}
IR_GEO2 = {"type": "infrared", "id": "ir2", "partner": "US", "geo_lon_deg": 160.0}


def irbm_launch():
    """The tracking tests' IRBM: 3000 km east from 39.0 N 125.7 E at a 600 km apogee, launched
    at 10 s. Its guidance is solved once per aim and kept, as a scenario's is (``plancache``:
    keyed by the source of the solver and the physics, so any change to them solves it again)."""
    return plan(
        39.0,
        125.7,
        Aim(azimuth_deg=90.0, apogee_km=600.0, range_km=3000.0),
        "irbm-liquid",
        object_id="i1",
        launch_time=10.0,
    )


def radar(id_, lat, lon, az, clutter=0.0, **kw):
    """A test radar: wide, long-range, sensitive enough to hold a reentry vehicle."""
    spec = dict(
        type="radar",
        id=id_,
        partner="P" + id_,
        lat_deg=lat,
        lon_deg=lon,
        azimuth_deg=az,
        span_deg=180.0,
        max_range_km=2500.0,
        el_max_deg=89.0,
        snr_ref_db=40.0,
        false_alarms_per_scan=clutter,
    )
    spec.update(kw)
    return spec


def sense(trajectories, specs, seed):
    """Every sensor's detections of the flights, time-ordered, with their truth labels."""
    rng = np.random.default_rng(seed)
    t1 = max(t.t_end for t in trajectories) + 5.0
    dets, labels = [], []
    for spec in specs:
        d, lab = observe(make_sensor(spec), trajectories, 0.0, t1, rng)
        dets += d
        labels += lab
    order = sorted(range(len(dets)), key=lambda i: dets[i].t_ns)
    return [dets[i] for i in order], [labels[i] for i in order]


def labels_of(log: TrackLog, labels) -> np.ndarray:
    return np.array([labels[i] if i >= 0 else "clutter" for i in log.detection_index], dtype=object)


def majority(log: TrackLog, labels) -> dict[int, tuple[str, float]]:
    """Per track id: the truth label most of its detections carry, and that fraction."""
    lab = labels_of(log, labels)
    out = {}
    for tid in np.unique(log.track_id):
        vals, counts = np.unique(lab[log.track_id == tid].astype(str), return_counts=True)
        k = int(np.argmax(counts))
        out[int(tid)] = (str(vals[k]), counts[k] / counts.sum())
    return out


def fed_until(tracker, feed, times):
    """Feed ``tracker`` the detections of ``feed`` (time-ordered) up to each of ``times`` (s)
    in turn, yielding each time once its detections are in."""
    k = 0
    for t in times:
        j = k
        while j < len(feed) and feed[j].t_ns <= t * 1_000_000_000:
            j += 1
        tracker.process(feed[k:j])
        k = j
        yield t


def reports_each_second(feed, t_end, config=None, coverage=None):
    """Reports at each whole second of a tracker fed ``feed`` (time-ordered) second by second."""
    tracker = Tracker(config, coverage=coverage)
    seconds = fed_until(tracker, feed, range(1, int(t_end)))
    return TrackLog.concatenate([tracker.report(float(second)) for second in seconds])


def confirmed_siblings(est, vel, pos_sigma_m: float, vel_sigma_mps: float) -> Tracker:
    """A tracker holding two confirmed coasting tracks at ``est`` (2, 3), both at velocity
    ``vel`` (3,), their position and velocity sigmas ``pos_sigma_m``, ``vel_sigma_mps`` per
    axis: a payload's (row 0) and its stage's (row 1), born next to it (its parent row 0)."""
    tracker = Tracker()
    P_pos = np.broadcast_to(np.eye(3) * pos_sigma_m**2, (2, 3, 3)).copy()
    P_vel = np.broadcast_to(np.eye(3) * vel_sigma_mps**2, (2, 3, 3)).copy()
    xm, Pm, mu = new_states(est, P_pos, np.stack([vel, vel]), P_vel, 1e-6, tracker.config)
    (older,) = tracker._add(xm[:1], Pm[:1], mu[:1], 0.0, 20, 100.0, 10.0)
    tracker._add(xm[1:], Pm[1:], mu[1:], 0.0, 20, 100.0, 10.0, np.array([older]))
    tracker.tracks.confirmed[:2] = True
    return tracker


def radar_took(sim) -> list[tuple[int, float, str | None]]:
    """A tracker's take of simulation ``sim``'s radar detections alone, fed in 1 s chunks as
    the partners' fusion feeds its tracker: (track id, time s, truth label) per detection
    taken."""
    radar = [i for i, d in enumerate(sim.detections) if d.kind == "radar"]
    radar.sort(key=lambda i: sim.detections[i].t_ns)
    tracker = Tracker(keep_updates=False)
    took: list[tuple[int, float, str | None]] = []
    fed, k = 0, 0
    t0 = sim.detections[radar[0]].t_ns
    while k < len(radar):
        end = t0 + (1 + (sim.detections[radar[k]].t_ns - t0) // 10**9) * 10**9
        chunk = []
        while k < len(radar) and sim.detections[radar[k]].t_ns < end:
            chunk.append(radar[k])
            k += 1
        rows = tracker.process([sim.detections[i] for i in chunk])
        for tid, di in zip(rows.track_id.tolist(), rows.detection_index.tolist(), strict=True):
            if di >= fed:
                i = chunk[di - fed]
                took.append((tid, sim.detections[i].t_ns / 1e9, sim.labels[i]))
        fed += len(chunk)
    return took


def count_calls(monkeypatch, module, names) -> list[str]:
    """The names of ``module``'s functions ``names`` as they are called (in order), each
    wrapped to note its call and return what it returns."""
    called: list[str] = []
    for name in names:
        real = getattr(module, name)

        def counted(*a, _real=real, _name=name):
            called.append(_name)
            return _real(*a)

        monkeypatch.setattr(module, name, counted)
    return called


def irbm_detections():
    """An IRBM's detections, two radars and two infrared satellites (as ``test_tracking``'s),
    and its flight's end (s)."""
    (traj,) = fly([irbm_launch()], debris=False)
    specs = [radar("r1", 38.0, 129.0, 60.0), radar("r2", 40.0, 145.0, 270.0, span_deg=360.0)]
    dets, _ = sense([traj], specs + [IR_GEO, IR_GEO2], 1)
    return dets, traj.t_end


def flight_states(rng: np.random.Generator, n: int, kappa_low: float = 1.0) -> np.ndarray:
    """``n`` tracker states (N, 10) as flights carry them: a third each in vacuum (250-1200 km,
    orbital to suborbital speeds), in the thin air (60-250 km) and low (0-60 km, at most 3
    km/s); a third thrusting (20 m/s² per axis); ``kappa`` from ``kappa_low`` to 40."""
    from lookout.geodesy import R_EQUATOR
    from lookout.tracking.motion import KAPPA, NX

    alt = np.concatenate(
        [rng.uniform(250e3, 1.2e6, n - 2 * (n // 3)), rng.uniform(60e3, 250e3, n // 3),
         rng.uniform(0.0, 60e3, n // 3)]
    )  # fmt: skip
    speed = np.where(alt > 60e3, rng.uniform(500.0, 7500.0, n), rng.uniform(50.0, 3000.0, n))
    up = rng.normal(size=(n, 3))
    up /= np.linalg.norm(up, axis=1)[:, None]
    vel = rng.normal(size=(n, 3))
    vel *= (speed / np.linalg.norm(vel, axis=1))[:, None]
    x = np.zeros((n, NX))
    x[:, 0:3] = up * (R_EQUATOR + alt)[:, None]
    x[:, 3:6] = vel
    thrusting = rng.random(n) < 0.3
    x[thrusting, 6:9] = rng.normal(size=(thrusting.sum(), 3)) * 20.0
    x[:, KAPPA] = rng.uniform(kappa_low, 40.0, n)
    return x
