"""Manoeuvring flights: the IMM's manoeuvre mode (consistent through a pull-up), the reachable
footprint (holds the true impact where the ballistic ellipse does not), and the flight type."""

from __future__ import annotations

import numpy as np
import pytest
from scenes import labels_of, radar, sense
from scipy.stats import chi2

from lookout.assess import mahalanobis2, predict_impacts
from lookout.assess.footprint import hold_altitudes, reach_impacts, widen
from lookout.assess.impact import CHI2_2D_95
from lookout.assess.manoeuvre import LiftMemory, flight_type, merge_types, observe
from lookout.flight import Aim, fly

# Guidance solved once per aim and kept, as a scenario's is (``plancache``: keyed by the source of
# the solver and the physics, so any change to them solves it again); every flight is flown here.
from lookout.flight.plancache import plan_cached as plan
from lookout.geodesy import ecef_to_geodetic
from lookout.tracking import TrackerConfig, track
from lookout.tracking.manoeuvre import (
    DIVE_SPEEDS_MPS,
    ManoeuvreConfig,
    dive_probability,
    end_probability,
    lift_ceiling,
    process_noise,
    seen_lifting,
)
from lookout.tracking.mixing import MANOEUVRE, transition
from lookout.tracking.motion import NX


@pytest.fixture(scope="module")
def pullup():
    """A KN-23-class SRBM from another site and bearing than the shipped scenario's: 45 km
    apogee, pulling up to hold 30 km, seen by two radars."""
    aim = Aim(target_lat_deg=38.0, target_lon_deg=131.3, loft=45.0, pull_up_km=30.0)
    launch = plan(40.2, 126.8, aim, "srbm-lifting", object_id="p1", launch_time=10.0)
    (traj,) = fly([launch], debris=False)
    specs = [
        radar("r1", 37.0, 128.8, 45.0, sigma_range_m=20.0, revisit_s=1.0),
        radar("r2", 39.0, 135.0, 250.0, sigma_range_m=20.0, revisit_s=2.0),
    ]
    dets, labels = sense([traj], specs, seed=7)
    return traj, dets, labels, track(dets)


def test_manoeuvre_mode_noise_is_lift_across_the_velocity_and_vanishes_above_the_air():
    cfg = ManoeuvreConfig()
    x = np.zeros((2, NX))
    x[:, 0] = 6378137.0 + np.array([30e3, 150e3])  # 30 km and 150 km up
    x[:, 4] = 2000.0
    x[:, 9] = 3.0  # kappa 3e-4 m²/kg
    P = np.tile(np.eye(NX), (2, 1, 1))
    ceiling = lift_ceiling(x, P, cfg)
    assert ceiling[0] > 9.8 and ceiling[1] < 1e-3
    Q = process_noise(x, P, np.full(2, 1.0), cfg)
    v = x[0, 3:6] / np.linalg.norm(x[0, 3:6])
    across = np.array([1.0, 0.0, 0.0])
    # Pulling no lift: the jerk is the lift's, across the velocity only.
    assert np.abs(Q[0, 6:9, 6:9] @ v).max() < 1e-12 < Q[0, 6, 6]
    # Pulling all it can: along the velocity the induced drag's, (f / E)² of it in variance.
    pulling = x.copy()
    pulling[0, 8] = ceiling[0]
    Qp = process_noise(pulling, P, np.full(2, 1.0), cfg)
    ratio = (v @ Qp[0, 6:9, 6:9] @ v) / (across @ Qp[0, 6:9, 6:9] @ across)
    assert ratio == pytest.approx((cfg.cl_max_factor / cfg.lift_to_drag) ** 2, rel=1e-6)
    assert np.abs(Q[1]).max() < 1e-9
    with pytest.raises(ValueError, match="ManoeuvreConfig.dwell_s = -1"):
        ManoeuvreConfig(dwell_s=-1)


def _gliding(speeds_mps, alt_m=35e3):
    """Manoeuvre-mode states level at ``alt_m``, flying east at ``speeds_mps``."""
    n = len(speeds_mps)
    x = np.zeros((n, NX))
    x[:, 0] = 6378137.0 + alt_m
    x[:, 4] = speeds_mps
    x[:, 9] = 1.5  # kappa 1.5e-4 m²/kg: an airframe
    return x


def test_a_lifting_airframe_ends_its_lift_law_only_where_it_can_dive():
    """The catalogue's lifting bodies release their lift below their dive speed (900 m/s for
    the pull-up airframes, 1800 for the glide vehicles), never elsewhere: a track seen lifting
    keeps its manoeuvre mode through a lift passing zero at 1,200 m/s (slbm's hold), and
    leaves it as it slows through a dive speed. Slower than every one, the dwell."""
    cfg = ManoeuvreConfig()
    assert sorted(set(DIVE_SPEEDS_MPS)) == [900.0, 1800.0]
    dt = np.full(5, 1.0)
    p = dive_probability(_gliding([2500.0, 1200.0, 900.0, 1800.0, 600.0]), dt, cfg)
    assert p[0] == 0.0 and p[1] == 0.0
    assert 1e-3 < p[2] < 0.5 and 1e-4 < p[3] < 0.5
    assert p[4] == pytest.approx(end_probability(dt[:1], cfg)[0])
    # In the IMM's switch: the dwell for the others, the dive for a track seen lifting.
    x = _gliding([1200.0, 1200.0])
    xm = np.repeat(x[:, None], 3, axis=1)
    Pm = np.tile(np.eye(NX), (2, 3, 1, 1))
    Pi, _, _ = transition(xm, Pm, np.full(2, 1.0), np.zeros(2), TrackerConfig(),
                          np.array([False, True]))  # fmt: skip
    assert Pi[0, MANOEUVRE, 1] == pytest.approx(end_probability(np.ones(1), cfg)[0])
    assert Pi[1, MANOEUVRE, 1] == 0.0 and Pi[1, MANOEUVRE, MANOEUVRE] == 1.0


def test_seen_lifting_is_lift_across_the_velocity_in_a_likely_manoeuvre_mode():
    cfg = ManoeuvreConfig()
    x = _gliding([1500.0] * 4)
    P = np.tile(np.eye(NX) * 0.25, (4, 1, 1))  # lift sigma 0.5 m/s² per axis
    x[0, 6] = x[2, 6] = 5.0  # 5 m/s² up (across the velocity): 10 sigma
    x[1, 7] = 5.0  # 5 m/s² along the velocity: drag, not lift
    x[3, 6] = 1.0  # 2 sigma
    seen = seen_lifting(x, P, np.array([0.9, 0.9, 0.3, 0.9]), cfg)
    assert seen.tolist() == [True, False, False, False]


@pytest.mark.slow
def test_one_track_and_consistent_nees_through_the_pull_up(pullup):
    traj, dets, labels, out = pullup
    u = out.updates
    lab = labels_of(u, labels)
    assert len({int(i) for i in u.track_id[u.confirmed & (lab == "p1")]}) == 1
    assert len({int(i) for i in u.track_id[u.confirmed & (lab != "p1")]}) == 0
    # Updates while the truth pulls more than 1 g of lift.
    lift = np.linalg.norm(traj.lift_at(u.t), axis=1)
    sel = u.confirmed & (lab == "p1") & (lift > 9.8)
    assert sel.sum() > 40
    err = u.x[sel] - traj.state_at(u.t[sel])
    nees = np.einsum("ki,kij,kj->k", err, np.linalg.inv(u.P[sel]), err)
    lo, hi = chi2.ppf([0.025, 0.975], 6)
    inside = np.mean((nees > lo) & (nees < hi))
    assert inside >= 0.85, (inside, np.mean(nees))


@pytest.mark.slow
def test_nees_in_bounds_from_the_onset_of_lift(pullup):
    """The lifting body engages its lift at apogee (here pushing over, down to its 30 km
    hold): over the 40 s after, the track's NEES stays in its 95 % bounds at 0.85 of the
    updates (mean 11) before the physical drag noise (branch reentry-nees), 0.70 (mean 11)
    after it: without the old 5 % drag noise's slack, the lift estimate lagged the saturated
    push-over by some 20 s, its jerk (0.1 of the ceiling per second, the hold's natural
    frequency alone) slower than the hold's reversal. With the hold's damping term's rate,
    ``2 z w`` of the lift per second (0.21, branch manoeuvre-lag): 0.87 (mean 9.4), the floor
    0.75 again (it was 0.65 meanwhile). Before the onset at apogee
    (``manoeuvre.apogee_probability``, ``mix_onset``) and the induced drag along the
    velocity, the manoeuvre mode took over 12 s late, its lift held near zero by the mixing:
    0.05 (mean 61)."""
    traj, dets, labels, out = pullup
    u = out.updates
    lab = labels_of(u, labels)
    lift = np.linalg.norm(traj.lift_at(u.t), axis=1)
    t_on = u.t[(lab == "p1") & (lift > 0.1)].min()
    sel = u.confirmed & (lab == "p1") & (u.t >= t_on) & (u.t < t_on + 40.0)
    assert sel.sum() > 40
    err = u.x[sel] - traj.state_at(u.t[sel])
    nees = np.einsum("ki,kij,kj->k", err, np.linalg.inv(u.P[sel]), err)
    lo, hi = chi2.ppf([0.025, 0.975], 6)
    inside = np.mean((nees > lo) & (nees < hi))
    assert inside >= 0.75, (inside, np.mean(nees))


@pytest.mark.slow
def test_coast_only_tracker_is_inconsistent_on_the_same_pull_up(pullup):
    """The control: the same detections without the manoeuvre mode (the lift it may pull set
    to nothing) give a NEES far outside its bounds; the test above is not passing by luck."""
    traj, dets, labels, _ = pullup
    cfg = TrackerConfig(manoeuvre=ManoeuvreConfig(max_lift_mps2=1e-6, min_lift_mps2=1.0))
    u = track(dets, cfg).updates
    lab = labels_of(u, labels)
    lift = np.linalg.norm(traj.lift_at(u.t), axis=1)
    sel = u.confirmed & (lab == "p1") & (lift > 9.8)
    err = u.x[sel] - traj.state_at(u.t[sel])
    nees = np.einsum("ki,kij,kj->k", err, np.linalg.inv(u.P[sel]), err)
    assert np.mean(nees) > 20.0


@pytest.mark.slow
def test_reachable_footprint_holds_the_true_impact_where_the_ballistic_ellipse_does_not(pullup):
    traj = pullup[0]
    ev = traj.event("impact")
    lat_t, lon_t, _ = ecef_to_geodetic(ev.pos)
    t_bo = traj.event("glide").t
    times = np.arange(t_bo, ev.t - 20.0, 20.0)
    k = np.searchsorted(traj.t, times)
    x = np.concatenate([traj.pos[k], traj.vel[k]], axis=1)
    P = np.tile(np.diag([100.0**2] * 3 + [5.0**2] * 3), (len(k), 1, 1))
    b = predict_impacts(traj.t[k], x, P)
    hold, start = hold_altitudes(x, b.nominal)
    r_lat, r_lon, r_t = reach_impacts(traj.t[k], x, hold, start)
    ballistic_in, region_in = [], []
    for i in range(len(k)):
        lat, lon, cov, _, _ = widen(b.lat[i], b.lon[i], b.cov_en[i], b.t[i], b.t_sigma[i],
                                    r_lat[i], r_lon[i], r_t[i])  # fmt: skip
        region_in.append(float(mahalanobis2(lat, lon, cov, lat_t, lon_t)) <= CHI2_2D_95)
        d2 = float(mahalanobis2(b.lat[i], b.lon[i], b.cov_en[i], lat_t, lon_t))
        ballistic_in.append(d2 <= CHI2_2D_95)
    assert all(region_in), region_in
    assert np.mean(ballistic_in) < 0.5


@pytest.mark.slow
def test_lift_is_seen_on_a_pull_up_and_not_on_a_ballistic_flight(pullup):
    traj = pullup[0]
    launch = plan(39.0, 125.7, Aim(target_lat_deg=39.5, target_lon_deg=129.5), "srbm-solid")
    (ballistic,) = fly([launch], debris=False)
    P = np.diag([30.0**2] * 3 + [1.0**2] * 3)
    for tr, expect in ((traj, True), (ballistic, False)):
        mem = LiftMemory()
        t_bo = tr.event("burnout").t if tr.event("burnout") else tr.t[0]
        for t in np.arange(t_bo + 5.0, tr.t_end - 1.0, 5.0):
            observe(mem, float(t), tr.state_at(np.array([t]))[0], P, boost=False)
        assert mem.seen is expect


def test_flight_types():
    seen = LiftMemory(seen=True, lift_speed_mps=1700.0)
    glide = LiftMemory(seen=True, lift_speed_mps=2300.0)
    none = LiftMemory()
    assert flight_type(seen, 50e3, 600e3, False, 0.0) == "depressed, manoeuvring"
    assert flight_type(glide, 55e3, 700e3, False, 0.0) == "HGV"
    assert flight_type(none, 60e3, 590e3, False, 0.99) == "SLBM, depressed"
    assert flight_type(none, 900e3, 1000e3, True, 0.0) == "lofted"
    assert flight_type(none, 250e3, 1000e3, False, 0.0) == "ballistic"
    assert flight_type(none, 250e3, 1000e3, False, 0.8) == "ballistic"  # a coastal site
    assert merge_types("depressed", "manoeuvring") == "depressed, manoeuvring"
    assert merge_types("depressed, manoeuvring", "HGV") == "HGV, depressed"


def _claims_along(traj, step_s=10.0):
    """The impact areas an assessor names for a flight's true states (100 m, 5 m/s) every
    ``step_s`` after burnout, with whether each impact was widened to a footprint."""
    from lookout.assess import Assessor

    assessor = Assessor()
    t_bo = traj.final_burnout().t
    out = []
    for t in np.arange(t_bo + 3.0, traj.event("impact").t - 20.0, step_s):
        x = traj.state_at(np.array([t]))
        P = np.diag([100.0**2] * 3 + [5.0**2] * 3)[None]
        (a,) = assessor.update(float(t), ["1"], x, P, np.array([0.0]))
        if a.impact_kind == "predicted":
            out.append((float(t), a.impact_area.code if a.impact_area else None,
                        a.manoeuvre_footprint))  # fmt: skip
    return out


def test_a_lifting_body_names_no_impact_area_its_footprint_does_not_hold():
    """kn23-pullup's second missile: its ballistic impact and the nearest it can come down lay
    in North Korea's EEZ, its glide in Russia's. The centre of its footprint, in North Korea's
    EEZ for 160 s, was named as its impact area; it came down in Russia's. A flight flown as
    lifting bodies fly names the area holding its whole footprint region, or none yet."""
    aim = Aim(target_lat_deg=41.00, target_lon_deg=132.05, loft=50.0, pull_up_km=40.0)
    (traj,) = fly([plan(39.45, 127.55, aim, "srbm-lifting", "kn", 300.0)], debris=False)
    from lookout.assess.territory import territories

    lat, lon, _ = ecef_to_geodetic(traj.event("impact").pos)
    truth = territories().area_at(float(lat), float(lon)).code
    assert truth == "RU"
    claims = _claims_along(traj)
    assert all(fp for _, _, fp in claims)
    named = [code for _, code, _ in claims if code is not None]
    assert set(named) == {"RU"}, claims
    assert claims[-1][1] == "RU"


def test_a_ballistic_flight_above_the_lift_names_its_ballistic_predictions_area():
    """srbm-salvo's SRBM-1 (85-90 km apogee): low enough for a footprint, taken for a ballistic
    missile until it manoeuvres, its ballistic prediction's area named from its second
    prediction on, the first to confirm it (``IMPACT_AREA_CONFIRM_S``; its footprint spans
    North and South Korea's EEZs for two minutes)."""
    aim = Aim(target_lat_deg=39.60, target_lon_deg=131.00, loft=90.0)
    (traj,) = fly([plan(39.20, 125.67, aim, "srbm-solid", "s", 60.0)], debris=False)
    claims = _claims_along(traj, step_s=20.0)
    assert claims[0][2] and claims[0][1] is None, claims
    assert claims[1][2] and claims[1][1] == "KP", claims
