"""A launch seen by one infrared satellite alone (issue 13, world61 #02: an IRBM seen for 67 s by
one geostationary satellite, no radar): its lines of sight cross no other's, so no crossing ever
started a track. Fitted by a boost of the catalogue rising from the ground, they start one, and
its launch point's ellipse holds the true site; a plume that is not a rocket rising from the
ground starts nothing."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest
from scenes import IR_GEO, IR_GEO2, irbm_launch, sense

from lookout.assess import Assessor
from lookout.assess.impact import mahalanobis2
from lookout.assess.launch_point import fitted
from lookout.assess.territory import territories
from lookout.flight import Aim, fly
from lookout.flight.plancache import plan_cached as plan
from lookout.geodesy import ecef_to_geodetic, geodesic_inverse
from lookout.tracking import TrackerConfig, mono, track
from lookout.tracking.measure import los_unit
from lookout.tracking.mono import CHI2_2D_95
from lookout.tracking.pcrlb import pcrlb
from lookout.tracking.scans import prepare


def _one_satellite(seed: int):
    """The tracking tests' IRBM seen by one geostationary satellite, nothing else: its flight
    and the detections."""
    (traj,) = fly([irbm_launch()], debris=False)
    dets, _ = sense([traj], [IR_GEO], seed=seed)
    return traj, dets


@pytest.mark.parametrize("seed", [1, 2])
def test_a_launch_seen_by_one_satellite_gets_a_track_and_its_launch_point(seed):
    traj, dets = _one_satellite(seed)
    assert {d.sensor_id for d in dets} == {"ir1"} and len(dets) >= 40
    # Without the fit, no second satellite, no crossing: nothing in the picture.
    assert len(track(dets, TrackerConfig(mono_initiation=False)).reports) == 0
    out = track(dets)
    ids = np.unique(out.reports.track_id)
    assert ids.size == 1, ids
    (fit,) = out.launches.values()
    # The launch point within its 95 % ellipse of the true site, and under 50 km off (what the
    # claims count a true launch); the launch time within three sigma.
    lat0, lon0, _ = ecef_to_geodetic(traj.pos[:1])
    dist, az = geodesic_inverse(np.array([fit.lat]), np.array([fit.lon]), lat0, lon0)
    en = np.array([dist[0] * np.sin(az[0]), dist[0] * np.cos(az[0])])
    assert en @ np.linalg.solve(fit.cov_en, en) <= CHI2_2D_95, (dist, fit.cov_en)
    assert dist[0] < 50e3
    assert abs(fit.t_launch - traj.t_start) <= 3.0 * fit.t_sigma, (fit.t_launch, fit.t_sigma)
    # The track's state holds the flight within its covariance (six degrees of freedom, 99.9 %).
    first = np.flatnonzero(out.reports.track_id == ids[0])[0]
    t = out.reports.t[first]
    err = out.reports.x[first] - traj.state_at(np.array([t]))[0]
    assert err @ np.linalg.solve(out.reports.P[first], err) <= 22.46
    # The assessment shows the fitted launch point as the track's.
    (a,) = Assessor().update(
        t, [str(ids[0])], out.reports.x[first : first + 1], out.reports.P[first : first + 1],
        out.reports.boost_prob[first : first + 1], launches=fitted(out.launches),
    )  # fmt: skip
    assert a.launch_lat == pytest.approx(fit.lat) and a.launch_lon == pytest.approx(fit.lon)
    assert a.launch_time == pytest.approx(fit.t_launch)


def test_a_plume_coming_down_to_the_ground_starts_nothing():
    """The same lines of sight played backwards: a plume sinking to the ground, which no boost
    from the ground flies. Nothing is started from it."""
    _, dets = _one_satellite(1)
    t_max = max(d.t_ns for d in dets)
    t_min = min(d.t_ns for d in dets)
    back = sorted(
        (msgspec.structs.replace(d, t_ns=t_max + t_min - d.t_ns) for d in dets),
        key=lambda d: d.t_ns,
    )
    out = track(back)
    assert len(out.reports) == 0 and not out.launches


def test_a_launch_seen_by_one_satellite_coasts_to_an_impact_whose_ellipse_holds_it():
    """Its plume out, nothing sees it again: the track coasts on its boost's fit (the lines of
    sight of its whole burn refitted at burnout, ``Tracker._coast_mono``) instead of dying with
    its plume, and every assessment from burnout on predicts an impact whose 95 % ellipse holds
    the true one, and claims no overflight the flight does not make. Before, its boost mode,
    90 km uncertain along the line of sight at burnout, was deleted there: no prediction."""
    traj, dets = _one_satellite(1)
    burnout, impact = traj.final_burnout().t, traj.event("impact")
    out = track(dets, t_end=impact.t)
    rep = out.reports
    (tid,) = np.unique(rep.track_id)
    half = 0.5 * (impact.t - burnout)
    assert rep.t.max() > burnout + half, (burnout, rep.t.max())
    lat_i, lon_i, _ = ecef_to_geodetic(impact.pos[None])
    outlines = territories()
    lat_g, lon_g, _ = ecef_to_geodetic(traj.pos)
    ground = np.zeros(traj.t.size, dtype=bool)
    flown = {o.code for o in outlines.overflights(traj.t, lat_g, lon_g, ground)}
    assessor = Assessor(outlines=outlines)
    launches = fitted(out.launches)
    last = out.updates.t[out.updates.track_id == tid].max()
    predicted = 0
    for t in np.arange(np.ceil(burnout / 20.0) * 20.0, rep.t.max(), 20.0):
        r = np.flatnonzero(rep.t == t)
        (a,) = assessor.update(
            float(t), [str(tid)], rep.x[r], rep.P[r], rep.boost_prob[r], launches=launches,
            last_seen=[min(last, t)],
        )  # fmt: skip
        assert set(a.overflown_codes) <= flown, (t, a.overflown_codes, flown)
        if t < burnout + 5.0 or (a.impact_lat is None and t > burnout + half):
            continue  # (late on, its covariance flown so far may hold an orbit: no claim)
        assert a.impact_lat is not None, t
        m2 = mahalanobis2(a.impact_lat, a.impact_lon, a.impact_ellipse.cov_en, lat_i, lon_i)
        assert m2[0] <= CHI2_2D_95, (t, m2, a.impact_ellipse.wire)
        predicted += 1
    assert predicted >= 10


@pytest.mark.parametrize("seed", [2, 5, 7, 12])
def test_a_launch_seen_by_one_satellite_keeps_its_track_through_its_burn(seed):
    """me66 #02's MRBM, seen burning by one satellite alone: between the fit and burnout the
    track's boost mode flies free along the lines of sight (its velocity as uncertain as the
    boosts that fit differ, km/s), and on these sensor seeds it runs tens of km down them,
    under the ground, 10-25 s before burnout. The ground is no evidence against it: it is put
    back on the fit of its lines of sight (``Tracker._refit_chain``), takes every line of sight
    of the burn, and coasts on its refit after it, one track to the end, consistent. Before,
    it was deleted under the ground mid-burn and nothing tracked the flight after."""
    launch = plan(33.45, 48.3, Aim(target_lat_deg=23.1, target_lon_deg=48.08), "mrbm-liquid",
                  object_id="m1", launch_time=10.0)  # fmt: skip
    (traj,) = fly([launch], debris=False)
    burnout = traj.final_burnout().t
    ir = dict(IR_GEO, geo_lon_deg=58.0, plume_intensity_kw_sr=80.0)
    dets, _ = sense([traj], [ir], seed=seed)
    out = track(dets, t_end=burnout + 30.0)
    rep = out.reports
    (tid,) = np.unique(rep.track_id)
    taken = out.updates.detection_index[out.updates.track_id == tid]
    assert set(taken.tolist()) == set(range(len(dets))), (len(set(taken.tolist())), len(dets))
    assert rep.t.max() >= burnout + 29.0, (burnout, rep.t.max())
    after = np.flatnonzero(rep.t >= burnout + 10.0)
    err = rep.x[after] - traj.state_at(rep.t[after])
    nees = np.einsum("ki,ki->k", err, np.linalg.solve(rep.P[after], err[..., None])[..., 0])
    assert nees.max() <= 22.46, nees  # 6 degrees of freedom, 99.9 %


def test_the_bound_of_a_launch_seen_by_one_satellite_is_not_given():
    """One satellite's lines of sight alone leave a position along them to the bound's prior
    (1000 km): the bound is the prior's, not the detections', and none is given (NaN), so no
    RMSE/PCRLB is made of it (me47 #01's read 0.0017); a second satellite's crossings fix it."""
    traj, dets = _one_satellite(1)
    alone = pcrlb(traj, dets)
    assert alone.pos_m.size and np.isnan(alone.pos_m).all(), np.nanmax(alone.pos_m)
    both, _ = sense([traj], [IR_GEO, IR_GEO2], seed=1)
    crossed = pcrlb(traj, both)
    assert np.isfinite(crossed.pos_m[5:]).all() and np.nanmax(crossed.pos_m) < 10e3


def _kapustin_yar_irbm(seed: int, drop: int = 0):
    """world75 #07's flight (an IRBM from Kapustin Yar to Sary Shagan, minimum energy) seen by
    a geostationary satellite at 60 E alone: its flight and its lines of sight, the first
    ``drop`` left out (times, satellite positions, lines of sight, sigmas)."""
    aim = Aim(target_lat_deg=46.32, target_lon_deg=73.76, loft="minimum-energy")
    launch = plan(48.58, 45.72, aim, "irbm-liquid", object_id="k1", launch_time=10.0)
    (traj,) = fly([launch], debris=False)
    dets, _ = sense([traj], [dict(IR_GEO, geo_lon_deg=60.0)], seed=seed)
    scans, _ = prepare(dets)
    los = np.array([los_unit(s.z)[0] for s in scans])
    chain = (
        np.array([s.t for s in scans]), np.array([s.s for s in scans]), los,
        np.array([np.sqrt(s.R[0, 1, 1]) for s in scans]),
    )  # fmt: skip
    return traj, tuple(a[drop:] for a in chain)


def _burnout_fit(traj, chain):
    """The chain refitted as its plume went out (``Tracker._coast_mono``): its fit, and the
    state's error and NEES against the flight."""
    fit = mono.fit_launch(*chain, float(chain[0][-1]), burnt_out_s=1.0)
    err = fit.x - traj.state_at(np.array([fit.t]))[0]
    return fit, err, float(err @ np.linalg.solve(fit.P, err))


@pytest.mark.parametrize("seed", [1, 2])
def test_where_a_plume_is_first_seen_tells_the_boost_one_satellite_leaves_open(seed, monkeypatch):
    """world75 #07: one satellite's lines of sight fit boosts pitched over 25-40 degrees alike,
    and their mixture put the IRBM's burnout 25-32 km and 0.8-1 km/s off; the plume was first
    seen as it rose through the cloud tops, which only the flatter ones of them had passed by
    then. With that, its burnout is known a third better, still within its covariance."""
    traj, chain = _kapustin_yar_irbm(seed)
    fit, err, nees = _burnout_fit(traj, chain)
    assert fit.ok and nees <= 22.46, nees  # 6 degrees of freedom, 99.9 %
    monkeypatch.setattr(mono, "PLUME_FIRST_SEEN_SIGMA_M", 1e12)  # the first sighting unused
    blind, err_blind, _ = _burnout_fit(traj, chain)
    sigma = np.sqrt(np.trace(fit.P[:3, :3])), np.sqrt(np.trace(blind.P[:3, :3]))
    assert sigma[0] < 0.8 * sigma[1], sigma
    assert np.linalg.norm(err[3:]) < 0.8 * np.linalg.norm(err_blind[3:]), (err, err_blind)


def test_a_plume_first_seen_late_still_holds_its_flight():
    """The same lines of sight but for the first 10 s (the plume first seen 16 km up, not at
    the cloud tops): the fit cannot tell a late first sighting from a steeper boost's, and
    takes both; its burnout state stays within its covariance and its launch point within
    its ellipse."""
    traj, chain = _kapustin_yar_irbm(1, drop=10)
    fit, _, nees = _burnout_fit(traj, chain)
    assert fit.ok and nees <= 22.46, nees
    lat0, lon0, _ = ecef_to_geodetic(traj.pos[:1])
    dist, az = geodesic_inverse(np.array([fit.lat]), np.array([fit.lon]), lat0, lon0)
    en = np.array([dist[0] * np.sin(az[0]), dist[0] * np.cos(az[0])])
    assert en @ np.linalg.solve(fit.cov_en, en) <= CHI2_2D_95, (dist, fit.cov_en)
