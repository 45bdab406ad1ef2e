"""The consistency of a track's state across the tracker's stages: a track woken by a false
alarm put back exactly as it was (``existence.Wakes``), and a formation's relative state
moved with its track when drag is kept from pushing (``update.truncate_drag``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scenes import irbm_launch, radar, sense

from lookout.flight import Aim, fly

# Guidance solved once per aim and kept, as a scenario's is (``plancache``).
from lookout.flight.plancache import plan_cached as plan
from lookout.geodesy import enu_basis
from lookout.messages import Detection
from lookout.tracking import Tracker, TrackerConfig
from lookout.tracking.existence import WAKE_ARRAYS, WAKE_KEPT
from lookout.tracking.store import TRACK_ARRAYS


def test_every_per_track_array_is_either_restored_or_kept_by_a_wake():
    """A per-track array added to the store must be sorted: put back when a woken track is
    put back to sleep (``WAKE_ARRAYS``), or kept on purpose (``WAKE_KEPT``)."""
    assert len(set(WAKE_ARRAYS)) == len(WAKE_ARRAYS)
    assert len(set(WAKE_KEPT)) == len(WAKE_KEPT)
    assert not set(WAKE_ARRAYS) & set(WAKE_KEPT)
    assert set(WAKE_ARRAYS) | set(WAKE_KEPT) == set(TRACK_ARRAYS)


def _false_alarm(traj, seen0: Detection, t: float, off_m: float) -> Detection:
    """A radar detection (r1's, as ``seen0``) at ``t`` s, ``off_m`` across the line of sight from
    the missile."""
    truth = traj.state_at(np.array([t]))[0, :3]
    s = np.asarray(seen0.sensor_pos_ecef_m)
    los = (truth - s) / np.linalg.norm(truth - s)
    side = np.cross(los, truth / np.linalg.norm(truth))
    p = truth + off_m * side / np.linalg.norm(side)
    e = enu_basis(np.radians(37.0), np.radians(128.5)) @ (p - s)
    r = float(np.linalg.norm(e))
    z = [r, float(np.arctan2(e[0], e[1]) % (2 * np.pi)), float(np.arcsin(e[2] / r))]
    return Detection(t_ns=round(t * 1e9), sensor_id="r1", partner="Pr1", kind="radar", z=z,
                     R=seen0.R, snr_db=15.0,
                     sensor_pos_ecef_m=seen0.sensor_pos_ecef_m)  # fmt: skip


def _row(tracker: Tracker, tid: int) -> dict[str, np.ndarray]:
    tracks = tracker.tracks
    i = int(np.searchsorted(tracks.ids[: tracks.n], tid))
    assert tracks.ids[i] == tid
    return {name: np.array(getattr(tracks, name)[i], copy=True) for name in TRACK_ARRAYS}


@pytest.mark.parametrize(
    ("phase", "gap_s", "off_m"),
    [
        # An SRBM lost for a minute after burnout, then one false alarm 5 km off in its coast
        # gate.
        ("coast", 60.0, 5e3),
        # An IRBM lost for 8 s while thrusting (its boost mode, staging hypothesis and exhaust
        # speed live), then one false alarm 300 m off.
        ("boost", 8.0, 300.0),
    ],
)
def test_a_track_woken_by_a_false_alarm_is_put_back_exactly_as_it_was(phase, gap_s, off_m):
    """A missile seen by one coarse radar (2 mrad, two false alarms a scan) for 20 s, then lost;
    one false alarm in its gate wakes it (``existence.Wakes.note``: too weak to tell its object
    from clutter). Nothing follows, so it is put back to sleep (``Wakes.unwake``): every array
    of ``WAKE_ARRAYS`` is then exactly what it was before the false alarm's scan, and the
    track's state is of one time (its modes and the boost mode's staging hypothesis at the same
    ``t_base``). Before the fix the staging hypothesis, the exhaust speed learnt from the
    thrust, the fixes, the radars' looks, the times seen thrusting and lifting kept what the
    false alarm and the scans since had written (and the staging hypothesis and the lifting
    time were written before the state was noted)."""
    if phase == "coast":
        launch = plan(39.0, 125.7, Aim(azimuth_deg=90.0, apogee_km=150.0, range_km=450.0),
                      "srbm-solid", "a", 10.0)  # fmt: skip
    else:
        launch = irbm_launch()  # burning to 120 s, seen from 60 s
    (traj,) = fly([launch], debris=False)
    spec = radar("r1", 37.0, 128.5, 0.0, clutter=2.0, revisit_s=2.0, sigma_range_m=200.0,
                 sigma_az_mrad=2.0, sigma_el_mrad=2.0)  # fmt: skip
    dets, labels = sense([traj], [spec], seed=5)
    burnout = traj.final_burnout().t
    t_seen = burnout + 20.0 if phase == "coast" else 60.0
    seen = [d for d, lab in zip(dets, labels, strict=True)
            if lab is not None and t_seen <= d.t_ns * 1e-9 < t_seen + 20.0]  # fmt: skip
    clutter = [d for d, lab in zip(dets, labels, strict=True) if lab is None]
    assert len(seen) >= 8
    # At a whole second, housekept (rebased) by the report there before the false alarm.
    t_fa = float(np.ceil(seen[-1].t_ns * 1e-9 + gap_s))
    if phase == "boost":
        assert t_fa < burnout
    fa = _false_alarm(traj, seen[0], t_fa, off_m)
    feed = sorted(seen + clutter, key=lambda d: d.t_ns)
    before = [d for d in feed if d.t_ns < fa.t_ns]
    after = [d for d in feed if fa.t_ns < d.t_ns <= round((t_fa + 30.0) * 1e9)]

    # The object is taken out of the radar's sight inside its coverage: no deletion by missed
    # looks, as if it had left the coverage.
    tracker = Tracker(TrackerConfig(delete_score_drop=math.inf))
    tracker.process(before)
    rep = tracker.report(t_fa)
    (tid,) = (int(i) for i in np.unique(rep.track_id))
    saved = _row(tracker, tid)
    tracker.process([fa])
    assert tid in tracker.wakes.woken, "the false alarm did not wake the track"
    woken = _row(tracker, tid)
    assert woken["hits"] == saved["hits"] + 1
    # The state as the unwake leaves it (the same scan's radar looks then go on from it).
    restored = {}
    unwake = tracker.wakes.unwake

    def spy(t, wait):
        unwake(t, wait)
        if tid not in tracker.wakes.woken and not restored:
            restored.update(_row(tracker, tid))

    tracker.wakes.unwake = spy
    second = int(t_fa) + 1
    for d in after:
        while d.t_ns > second * 1_000_000_000:
            tracker.report(float(second))
            second += 1
        tracker.process([d])
        if restored:
            break
    assert restored, "the woken track was not put back to sleep"
    # What a restore must bring back: every array but those kept on purpose.
    names = [name for name in TRACK_ARRAYS if name not in WAKE_KEPT]
    for name in names:
        assert np.array_equal(restored[name], saved[name], equal_nan=True), name
    # ... which the false alarm's update had written: the state and what the fix added.
    changed = {name for name in names
               if not np.array_equal(woken[name], saved[name], equal_nan=True)}  # fmt: skip
    assert {"xm", "Pm", "mu", "xs", "Ps", "fixes", "pd_hits", "llr"} <= changed, changed


def test_drag_kept_from_pushing_moves_a_formations_relative_state_with_its_track():
    """A formation's track carries the pair's relative state ``r`` with its cross-covariance
    (``formations.update_formation``), estimated jointly with the track's modes. When an update
    leaves a coasting mode's drag coefficient negative, ``update.truncate_drag`` moves that
    mode's estimate by its regression on ``kappa``; ``r`` must move by its own covariance with
    ``kappa`` as well, or the track and the relative state it carries are two different beliefs
    (the partner's position it predicts, the track less ``r``, moves with the track alone). The
    per-mode result is checked against the joint state ``[x; r]`` updated by hand with
    ``[H, 0]`` and truncated at ``kappa >= 0`` on the joint Gaussian (the truncated mean of
    ``kappa``, every other state moved by its regression on it)."""
    from scipy.stats import norm

    from lookout.geodesy import geodetic_to_ecef
    from lookout.tracking import measure
    from lookout.tracking.config import TrackerConfig
    from lookout.tracking.formations import Formation
    from lookout.tracking.mixing import BOOST, COAST, MANOEUVRE, NMODE
    from lookout.tracking.motion import KAPPA, NX
    from lookout.tracking.scans import Scan
    from lookout.tracking.update import update_modes

    rng = np.random.default_rng(13)
    s = geodetic_to_ecef(np.radians(37.0), np.radians(128.5), 0.0)
    p = geodetic_to_ecef(np.radians(39.0), np.radians(129.0), 150e3)
    up = p / np.linalg.norm(p)
    vel = 2500.0 * np.cross(up, [0.0, 0.0, 1.0]) / np.linalg.norm(np.cross(up, [0.0, 0.0, 1.0]))
    x = np.zeros(NX)
    x[0:3], x[3:6], x[KAPPA] = p, vel, 0.5
    # A joint covariance of the track's state and the relative state, correlated throughout:
    # metres and metres per second, kappa (KAPPA_UNIT) to 2, the relative state to metres.
    scale = np.array([30.0] * 3 + [3.0] * 3 + [1.0] * 3 + [2.0] + [5.0] * 3 + [0.5] * 3)
    A = rng.standard_normal((NX + 6, NX + 6)) * scale[:, None]
    Y = A @ A.T / (NX + 6) + np.diag(scale**2) * 0.05
    r = rng.standard_normal(6) * scale[NX:]
    B = enu_basis(np.radians(37.0), np.radians(128.5))
    R = np.diag([50.0**2, 2e-4**2, 2e-4**2])
    scan = Scan(t=100.0, sensor="r1", kind="radar", z=np.zeros((1, 3)), R=R[None],
                s=s, index=np.array([0]), s_vel=np.zeros(3), B=B)  # fmt: skip
    zh, H = measure.predict("radar", x[None], scan, 3)
    H = H[0]
    # A detection whose innovation pushes kappa three sigmas below zero.
    Ha = np.zeros((3, NX + 6))
    Ha[:, :6] = H
    S = Ha @ Y @ Ha.T + R
    gain_k = (Y @ Ha.T @ np.linalg.inv(S))[KAPPA]
    nu = -gain_k @ S / (gain_k @ S @ gain_k) * (x[KAPPA] + 3.0 * np.sqrt(Y[KAPPA, KAPPA]))
    scan.z[0] = zh[0] + nu

    # By hand: the joint update, then the truncation on the joint Gaussian.
    y0 = np.concatenate([x, r])
    K = Y @ Ha.T @ np.linalg.inv(S)
    y = y0 + K @ nu
    Yp = Y - K @ S @ K.T
    assert y[KAPPA] < 0.0
    sk = np.sqrt(Yp[KAPPA, KAPPA])
    a = y[KAPPA] / sk
    mean = y[KAPPA] + sk * norm.pdf(a) / norm.cdf(a)
    want = y + Yp[:, KAPPA] * (mean - y[KAPPA]) / sk**2

    xp = np.repeat(x[None, None], NMODE, axis=1)
    Pp = np.repeat(Y[None, None, :NX, :NX], NMODE, axis=1)
    c = np.full((1, NMODE), 1.0 / NMODE)
    empty = np.zeros(0, dtype=np.int64)
    f = Formation(rows=empty, w=np.zeros(0), own=empty, other=empty, sign=np.zeros(0),
                  extra=np.zeros((0, 3, 3)), r0=np.zeros((0, 6)), Prr0=np.zeros((0, 6, 6)),
                  partner=empty)  # fmt: skip
    f.rel, f.ids, f.rel_partner = np.array([0]), np.array([7]), np.array([8])
    f.r, f.Prr, f.C = r[None], Y[None, NX:, NX:], Y[None, :NX, NX:]
    x_new, _, _ = update_modes(scan, np.array([0]), f, xp, Pp, c, np.ones(1, bool),
                               TrackerConfig())  # fmt: skip
    for mode in (COAST, MANOEUVRE):  # the modes where drag is the only force along the path
        np.testing.assert_allclose(x_new[0, mode], want[:NX], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(f.r_m[0, mode], want[NX:], rtol=1e-9, atol=1e-9)
    # The boost mode's kappa is clipped, nothing moved with it: its relative state is the
    # joint update's.
    np.testing.assert_allclose(f.r_m[0, BOOST], y[NX:], rtol=1e-9, atol=1e-9)


def test_thrust_kept_from_pulling_back():
    """A boost mode whose update leaves its thrust pointing against the velocity (a body's drag
    taken for thrust: hgv-hwasong16b's spent first stage, 14-70 m/s² back, 3-4 sigma below
    zero, while its coast mode kept a drag coefficient a fifth of the truth's) pays for it in
    its likelihood, ``log Phi(f / s) - log Phi(f0 / s0)`` of the thrust ``f`` along the
    velocity, and its mean moves to the truncated Gaussian's, every state by its regression on
    ``f``; a track whose velocity is not known yet is left alone (fails on 4b6fcaa: no such
    constraint, the boost mode thrusting back at no cost)."""
    from scipy.stats import norm

    from lookout.tracking.motion import NX
    from lookout.tracking.update import truncate_thrust

    rng = np.random.default_rng(5)
    u = np.array([0.6, 0.8, 0.0])
    x0 = np.zeros((2, NX))
    x0[:, 3:6] = 1300.0 * u
    A = rng.standard_normal((NX, NX)) * np.array([30.0] * 3 + [5.0] * 3 + [4.0] * 3 + [1.0])
    P0 = np.repeat((A @ A.T / NX + np.eye(NX))[None], 2, axis=0)
    P0[1, 3:6, 3:6] += np.eye(3) * 1e6  # a track just born: its velocity not known
    x1, P1 = x0.copy(), 0.5 * P0
    x1[:, 6:9] = -10.0 * u  # thrust 10 m/s² back along the velocity
    before = x1.copy()
    dll, moved, gain = truncate_thrust(x0, P0, x1, P1, np.arange(2))
    f, s = -10.0, np.sqrt(u @ P1[0, 6:9, 6:9] @ u)
    assert dll[0] == pytest.approx(norm.logcdf(f / s) - norm.logcdf(0.0))
    assert dll[1] == 0.0 and moved.tolist() == [0]
    mean = f + s * norm.pdf(f / s) / norm.cdf(f / s)
    assert u @ x1[0, 6:9] == pytest.approx(mean) and mean > 0.0
    assert np.allclose(x1[0] - before[0], P1[0][:, 6:9] @ u * (mean - f) / s**2)
    assert np.array_equal(x1[1], before[1])
