"""The physics of sensing: horizon masking, noise, detection probability, false alarms,
infrared boost-only visibility, orbits; and the schema and parameter checks around them."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest
from scipy import stats

from lookout.geodesy import R_EQUATOR, R_POLAR, enu_basis, geodesic_direct, geodetic_to_ecef
from lookout.messages import Detection, decode_json, decode_msgpack, encode_json, encode_msgpack
from lookout.physics.trajectory import KINDS, Trajectory
from lookout.sensors import (
    InfraredParams,
    InfraredSatellite,
    KeplerOrbit,
    Radar,
    RadarParams,
    Sensor,
    TruthSamples,
    make_sensor,
    observe,
    radar_snr_db,
    swerling1_pd,
)
from lookout.sensors.orbit import R_GEO

SITE = (37.0, 127.0)  # generic radar site, degrees
RV = KINDS.index("reentry_vehicle")
BOOSTER = KINDS.index("booster")


def points(lat_deg, lon_deg, az_deg, dist_m, alt_m) -> np.ndarray:
    """ECEF (N, 3) of points ``dist_m`` along the geodesic from (lat, lon) at ``az_deg``,
    ``alt_m`` above the ellipsoid."""
    dist, alt, az = np.broadcast_arrays(
        np.atleast_1d(np.asarray(dist_m, float)),
        np.atleast_1d(np.asarray(alt_m, float)),
        np.atleast_1d(np.radians(az_deg)),
    )
    one = np.ones(dist.shape)
    lat, lon = geodesic_direct(
        math.radians(lat_deg) * one, math.radians(lon_deg) * one, az * one, dist
    )
    return geodetic_to_ecef(lat, lon, alt)


def all_seeing_radar(**kw) -> Radar:
    """A radar whose only limit is the Earth: all round, -10..90 deg, 5000 km, Pd ~ 1."""
    params = dict(
        id="r",
        partner="KR",
        lat_deg=SITE[0],
        lon_deg=SITE[1],
        span_deg=360.0,
        el_min_deg=-10.0,
        el_max_deg=90.0,
        max_range_km=5000.0,
        snr_ref_db=200.0,
        false_alarms_per_scan=0.0,
        revisit_s=1.0,
        phase_s=0.0,
    )
    params.update(kw)
    return Radar(RadarParams(**params))


def meridional_radius(lat_deg: float) -> float:
    e2 = 1.0 - (R_POLAR / R_EQUATOR) ** 2
    s2 = math.sin(math.radians(lat_deg)) ** 2
    return R_EQUATOR * (1.0 - e2) / (1.0 - e2 * s2) ** 1.5


def horizon_distance(radius: float, h_radar: float, h_target: float) -> float:
    """Ground distance (m) at which a straight line from h_radar grazes the sphere to h_target."""
    return radius * sum(math.acos(radius / (radius + h)) for h in (h_radar, h_target))


def seen_fraction(sensor, truth, seed=0) -> np.ndarray:
    """Per object: fraction of scans in which the sensor detected it."""
    dets, labels = sensor.detect(truth, np.random.default_rng(seed))
    assert len(dets) == len(labels)
    index = {oid: j for j, oid in enumerate(truth.object_ids)}
    hits = [index[label] for label in labels if label is not None]
    return np.bincount(hits, minlength=truth.n_objects) / truth.n_times


# --- Earth-horizon masking -------------------------------------------------------------------


def test_radar_does_not_see_below_horizon_and_sees_above():
    radar = all_seeing_radar()
    low_and_high = points(*SITE, 0.0, 1000e3, [10e3, 200e3])
    truth = TruthSamples.static(radar.scan_times(0.0, 10.0), low_and_high)
    assert seen_fraction(radar, truth).tolist() == [0.0, 1.0]


@pytest.mark.parametrize("h_radar", [0.0, 300.0])
@pytest.mark.parametrize("h_target", [10e3, 50e3, 100e3, 200e3])
def test_radar_horizon_matches_geometric_horizon_distance(h_radar, h_target):
    radar = all_seeing_radar(alt_m=h_radar)
    d_h = horizon_distance(meridional_radius(SITE[0] + 3.0), h_radar, h_target)
    near_and_far = points(*SITE, 0.0, [0.99 * d_h, 1.01 * d_h], h_target)
    truth = TruthSamples.static([0.0], near_and_far)
    assert radar.measure_true(truth)["in_view"][0].tolist() == [True, False]


def test_rising_missile_appears_when_it_clears_the_horizon():
    radar = all_seeing_radar()
    times = np.arange(0.0, 300.0, 1.0)
    alt = 1e3 * times / 1.0  # climbs 1 km/s over a point 1000 km away
    pos = points(*SITE, 0.0, 1000e3 * np.ones_like(times), alt)
    truth = TruthSamples(
        t=times,
        pos=pos[:, None, :],
        vel=np.zeros((times.size, 1, 3)),
        kind=np.full((times.size, 1), BOOSTER),
        thrusting=np.ones((times.size, 1), bool),
        alive=np.ones((times.size, 1), bool),
        object_ids=("m",),
    )
    seen = radar.measure_true(truth)["in_view"][:, 0]
    first = np.argmax(seen)
    radius = meridional_radius(SITE[0] + 4.5)
    h_expected = radius / math.cos(1000e3 / radius) - radius  # straight-line horizon height
    assert not seen[:first].any() and seen[first:].all()
    assert abs(alt[first] - h_expected) / h_expected < 0.02


# --- Measurement geometry and noise ----------------------------------------------------------


def true_rae(site_lat_deg, site_lon_deg, site_alt, pos, vel):
    """Independent range, azimuth, elevation, range-rate from the ENU basis."""
    lat, lon = math.radians(site_lat_deg), math.radians(site_lon_deg)
    d = pos - geodetic_to_ecef(lat, lon, site_alt)
    enu = d @ enu_basis(lat, lon).T
    r = np.linalg.norm(d, axis=-1)
    az = np.arctan2(enu[:, 0], enu[:, 1]) % (2 * math.pi)
    el = np.arcsin(enu[:, 2] / r)
    rr = np.einsum("ij,ij->i", d, vel) / r
    return np.stack([r, az, el, rr], axis=-1)


def test_radar_azimuth_convention_north_clockwise():
    radar = all_seeing_radar()
    truth = TruthSamples.static([0.0], points(*SITE, [0.0, 90.0, 180.0, 270.0], 200e3, 50e3))
    az = radar.measure_true(truth)["azimuth"][0]
    wrapped = (np.degrees(az) - [0.0, 90.0, 180.0, 270.0] + 180.0) % 360.0 - 180.0
    assert np.all(np.abs(wrapped) < 0.5)


def test_radar_noise_matches_stated_sigmas():
    n = 6000
    radar = all_seeing_radar(
        sigma_range_m=25.0, sigma_az_mrad=0.8, sigma_el_mrad=1.2, sigma_rr_mps=3.0
    )
    rng = np.random.default_rng(42)
    pos = points(*SITE, rng.uniform(0, 360, n), rng.uniform(100e3, 800e3, n), 300e3)
    vel = rng.normal(0.0, 2000.0, (n, 3))
    truth = TruthSamples.static([0.0], pos, vel, kind=BOOSTER)
    batch = radar.measure(truth, np.random.default_rng(7))
    assert len(batch) == n and (batch.truth_index >= 0).all()

    z_true = true_rae(*SITE, 0.0, pos, vel)[batch.truth_index]
    err = batch.z - z_true
    err[:, 1] = (err[:, 1] + math.pi) % (2 * math.pi) - math.pi
    sigma = np.array([25.0, 0.8e-3, 1.2e-3, 3.0])
    np.testing.assert_allclose(err.std(axis=0) / sigma, 1.0, atol=0.04)
    assert np.all(np.abs(err.mean(axis=0)) < 4 * sigma / math.sqrt(n))
    np.testing.assert_allclose(batch.R[0], np.diag(sigma**2))

    nis = np.einsum("ki,kij,kj->k", err, np.linalg.inv(batch.R), err)
    dof = 4 * n
    assert stats.chi2.ppf(0.001, dof) < nis.sum() < stats.chi2.ppf(0.999, dof)


def test_ship_radar_sails_its_track_and_measures_relative_range_rate():
    ship = Radar(
        RadarParams(
            id="ship",
            partner="JP",
            track=((0.0, 35.0, 135.0), (3600.0, 36.0, 135.0)),
            alt_m=25.0,
            span_deg=360.0,
            sigma_rr_mps=0.01,
            false_alarms_per_scan=0.0,
            snr_ref_db=200.0,
        )
    )
    pos, vel, _ = ship.antenna_at([1800.0])
    lat_mid, _ = geodesic_direct(
        np.radians([35.0]), np.radians([135.0]), np.array([0.0]), np.array([0.5 * 110_950.0])
    )
    leg_m = 110_950.0  # geodesic length of 35N..36N along 135E, m (±100 m)
    assert abs(np.linalg.norm(vel) - leg_m / 3600.0) < 0.05
    assert np.linalg.norm(pos[0] - geodetic_to_ecef(lat_mid[0], math.radians(135.0), 25.0)) < 60
    # A still object far ahead (north, low elevation) closes at about the ship's speed.
    ahead = points(36.0, 135.0, 0.0, 100e3, 5e3)
    dets, _ = ship.detect(TruthSamples.static([1800.0], ahead), np.random.default_rng(0))
    assert len(dets) == 1
    assert abs(dets[0].z[3] + leg_m / 3600.0) < 0.5
    assert dets[0].sensor_pos_ecef_m == pytest.approx(pos[0].tolist(), abs=1e-6)


# --- Detection probability and false alarms --------------------------------------------------


def test_radar_equation_snr_falls_as_fourth_power_of_range():
    assert radar_snr_db(1000e3, 1.0, 20.0, 1000e3) == pytest.approx(20.0)
    assert radar_snr_db(500e3, 1.0, 20.0, 1000e3) == pytest.approx(20.0 + 40 * math.log10(2))
    assert radar_snr_db(1000e3, 0.05, 20.0, 1000e3) == pytest.approx(20.0 - 13.0103, abs=1e-3)
    assert swerling1_pd(-300.0, 1e-6) == pytest.approx(1e-6)
    assert swerling1_pd(300.0, 1e-6) == pytest.approx(1.0)


def test_detection_probability_follows_radar_equation_with_range():
    n = 4000
    radar = all_seeing_radar(snr_ref_db=20.0, ref_range_km=1000.0, pfa=1e-6)
    ground = [150e3, 400e3, 600e3, 800e3, 1000e3]
    per_range = [points(*SITE, 0.0, g, 300e3) for g in ground]
    pos = np.concatenate([np.repeat(p, n, axis=0) for p in per_range])
    truth = TruthSamples.static([0.0], pos, kind=RV)
    seen = seen_fraction(radar, truth, seed=3).reshape(len(ground), n)
    empirical = seen.mean(axis=1)

    slant = radar.measure_true(TruthSamples.static([0.0], np.concatenate(per_range)))["range"][0]
    snr = 20.0 + 10 * math.log10(0.05) - 40 * np.log10(slant / 1000e3)
    expected = 1e-6 ** (1.0 / (1.0 + 10 ** (snr / 10)))
    tol = 4 * np.sqrt(expected * (1 - expected) / n) + 1e-3
    assert np.all(np.abs(empirical - expected) < tol), (empirical, expected)
    assert np.all(np.diff(empirical) < 0)
    assert expected[0] > 0.95 and expected[-1] < 0.2  # the sweep spans the curve


def test_false_alarms_have_stated_mean_count_and_stay_in_view():
    scans, rate = 4000, 3.0
    radar = Radar(
        RadarParams(
            id="fa",
            partner="KR",
            lat_deg=SITE[0],
            lon_deg=SITE[1],
            azimuth_deg=350.0,
            span_deg=90.0,
            el_min_deg=2.0,
            el_max_deg=40.0,
            max_range_km=800.0,
            sigma_rr_mps=5.0,
            false_alarms_per_scan=rate,
            revisit_s=0.5,
            phase_s=0.0,
        )
    )
    times = radar.scan_times(0.0, scans * 0.5)
    empty = TruthSamples(
        t=times,
        pos=np.zeros((scans, 0, 3)),
        vel=np.zeros((scans, 0, 3)),
        kind=np.zeros((scans, 0), int),
        thrusting=np.zeros((scans, 0), bool),
        alive=np.zeros((scans, 0), bool),
        object_ids=(),
    )
    batch = radar.measure(empty, np.random.default_rng(11))
    counts = np.bincount(np.searchsorted(times, batch.t), minlength=scans)
    assert abs(counts.mean() - rate) < 4 * math.sqrt(rate / scans)
    assert abs(counts.var() / rate - 1.0) < 0.1  # Poisson: variance = mean
    assert (batch.truth_index == -1).all()
    r, az, el = batch.z[:, 0], batch.z[:, 1], batch.z[:, 2]
    off = (np.degrees(az) - 350.0 + 180.0) % 360.0 - 180.0
    assert r.max() <= 800e3 and abs(r.mean() / 400e3 - 1) < 0.02
    assert np.abs(off).max() <= 45.0 and np.degrees(el).min() >= 2 and np.degrees(el).max() <= 40
    assert (batch.snr_db >= 10 * math.log10(-math.log(1e-6))).all()
    _, labels = radar.detect(empty, np.random.default_rng(11))
    assert set(labels) == {None}


def test_field_of_view_sector_elevation_and_range():
    radar = all_seeing_radar(
        azimuth_deg=90.0, span_deg=60.0, el_min_deg=5.0, el_max_deg=60.0, max_range_km=900.0
    )
    pos = np.concatenate(
        [
            points(*SITE, 90.0, 500e3, 300e3),  # in view
            points(*SITE, 150.0, 500e3, 300e3),  # outside the sector
            points(*SITE, 90.0, 20e3, 300e3),  # too steep
            points(*SITE, 90.0, 1100e3, 300e3),  # too far
            points(*SITE, 90.0, 300e3, 2e3),  # too low in elevation (and below the horizon)
        ]
    )
    assert radar.measure_true(TruthSamples.static([0.0], pos))["in_view"][0].tolist() == [
        True,
        False,
        False,
        False,
        False,
    ]


# --- Infrared --------------------------------------------------------------------------------


def geo_ir(**kw) -> InfraredSatellite:
    return InfraredSatellite(
        InfraredParams(id="ir", partner="US", geo_lon_deg=130.0, phase_s=0.0, **kw)
    )


def test_infrared_sees_thrusting_above_cloud_tops_only():
    sat = geo_ir()
    pos = np.concatenate(
        [
            points(39.0, 125.7, 0.0, 0.0, 50e3),  # thrusting, above cloud tops: seen
            points(39.0, 125.7, 0.0, 0.0, 50e3),  # coasting: not seen
            points(39.0, 125.7, 0.0, 0.0, 5e3),  # thrusting below cloud tops: not seen
            points(39.0, -50.0, 0.0, 0.0, 100e3),  # thrusting behind the Earth: not seen
        ]
    )
    thrusting = np.array([True, False, True, True])
    truth = TruthSamples.static(sat.scan_times(0.0, 5.0), pos, thrusting=thrusting)
    assert seen_fraction(sat, truth).tolist() == [1.0, 0.0, 0.0, 0.0]


def test_infrared_sees_boost_not_coast_of_a_trajectory():
    # A vertical climb from a site: 120 s of burn at 20 m/s², then a ballistic-ish coast.
    t = np.arange(0.0, 301.0, 1.0)
    burn = 120.0
    h = np.where(
        t <= burn, 10.0 * t**2, 10.0 * burn**2 + 2400.0 * (t - burn) - 4.9 * (t - burn) ** 2
    )
    hdot = np.where(t <= burn, 20.0 * t, 2400.0 - 9.8 * (t - burn))
    lat, lon = math.radians(39.0), math.radians(125.7)
    up = enu_basis(lat, lon)[2]
    pos = geodetic_to_ecef(lat, lon, 0.0) + h[:, None] * up
    traj = Trajectory(
        object_id="b1",
        t=t,
        pos=pos,
        vel=hdot[:, None] * up,
        thrusting=t < burn,
        kind=np.full(t.size, BOOSTER),
    )
    sat = geo_ir()
    truth = TruthSamples.from_trajectories([traj], sat.scan_times(-20.0, 400.0))
    assert not truth.alive[truth.t < 0].any() and not truth.alive[truth.t > 300].any()
    dets, labels = observe(sat, [traj], -20.0, 400.0, np.random.default_rng(0))
    t_seen = np.array([d.t_ns for d in dets]) / 1e9
    t_cloud = math.sqrt(10e3 / 10.0)  # h = 10 t² reaches 10 km
    assert set(labels) == {"b1"}
    assert t_seen.min() == pytest.approx(t_cloud, abs=1.01)
    assert t_seen.max() == pytest.approx(burn, abs=1.01)
    assert len(dets) == pytest.approx(burn - t_cloud, abs=2)


MOLNIYA = dict(
    a_km=26_560.0, e=0.72, i_deg=63.4, raan_deg=40.0, argp_deg=270.0, mean_anomaly_deg=180.0
)  # at apogee over 63.4N 130E at t = 0


@pytest.mark.parametrize("orbit", ["geo", "molniya"])
def test_infrared_line_of_sight_noise_and_geometry(orbit):
    n = 5000
    if orbit == "geo":
        sat = geo_ir(sigma_los_urad=30.0)
    else:
        sat = InfraredSatellite(
            InfraredParams(id="heo", partner="US", orbit=MOLNIYA, sigma_los_urad=30.0, phase_s=0.0)
        )
    target = points(39.0, 125.7, 0.0, 0.0, 60e3)
    truth = TruthSamples.static([0.0], np.repeat(target, n, axis=0), thrusting=True)
    batch = sat.measure(truth, np.random.default_rng(5))
    assert len(batch) == n
    u_true = target[0] - batch.sensor_pos[0]
    u_true /= np.linalg.norm(u_true)
    az_t, el_t = math.atan2(u_true[1], u_true[0]), math.asin(u_true[2])
    if orbit == "molniya":
        assert math.degrees(el_t) < -45.0  # a steep line of sight: azimuth noise stretches
    err = batch.z - [az_t, el_t]
    sigma = 30e-6
    assert err[:, 1].std() / sigma == pytest.approx(1.0, abs=0.04)
    assert (err[:, 0] * math.cos(el_t)).std() / sigma == pytest.approx(1.0, abs=0.04)
    nis = np.einsum("ki,kij,kj->k", err, np.linalg.inv(batch.R), err)
    assert stats.chi2.ppf(0.001, 2 * n) < nis.sum() < stats.chi2.ppf(0.999, 2 * n)
    # The mean ray passes within a few hundred metres of the plume.
    az, el = batch.z[:, 0].mean(), batch.z[:, 1].mean()
    u = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
    d = target[0] - batch.sensor_pos[0]
    assert np.linalg.norm(d - (d @ u) * u) < 300.0
    assert batch.snr_db[0] == pytest.approx(10 * math.log10(1e5 / (np.linalg.norm(d) ** 2 * 1e-13)))


def test_geostationary_satellite_sits_at_geo_radius():
    pos = geo_ir().position_at([0.0, 43200.0])
    assert np.linalg.norm(pos, axis=1) == pytest.approx(R_GEO, abs=1.0)
    assert R_GEO == pytest.approx(42_164.17e3, abs=100.0)
    assert np.ptp(pos, axis=0).max() == 0.0


# --- Orbits ----------------------------------------------------------------------------------


def test_two_body_orbit_returns_after_one_period_and_kepler_geo_is_fixed_in_ecef():
    orbit = KeplerOrbit(
        a_km=26_560.0,
        e=0.7,
        i_deg=63.4,
        raan_deg=40.0,
        argp_deg=270.0,
        mean_anomaly_deg=10.0,
        j2=False,
    )
    period = 2 * math.pi / orbit.mean_motion
    r = orbit.position_eci([0.0, period])
    assert np.linalg.norm(r[1] - r[0]) < 1e-3
    geo = KeplerOrbit(a_km=R_GEO / 1e3, raan_deg=130.0, j2=False)
    p = geo.position_ecef(np.linspace(0.0, 86164.0, 7))
    assert np.ptp(p, axis=0).max() < 1.0


def test_orbit_elements_orient_the_ellipse():
    orbit = KeplerOrbit(**MOLNIYA, j2=False)
    r = orbit.position_eci([0.0, 10.0])
    h = np.cross(r[0], r[1])
    i, raan = math.radians(63.4), math.radians(40.0)
    normal = [math.sin(i) * math.sin(raan), -math.sin(i) * math.cos(raan), math.cos(i)]
    np.testing.assert_allclose(h / np.linalg.norm(h), normal, atol=1e-9)
    apogee = orbit.position_ecef([0.0])[0]  # ECEF = inertial at the epoch
    assert np.linalg.norm(apogee) == pytest.approx(26_560e3 * 1.72)
    lat = math.degrees(math.asin(apogee[2] / np.linalg.norm(apogee)))
    lon = math.degrees(math.atan2(apogee[1], apogee[0]))
    assert (lat, lon) == pytest.approx((63.4, 130.0), abs=1e-6)


def test_j2_regresses_node_of_sun_synchronous_orbit_one_degree_a_day():
    orbit = KeplerOrbit(a_km=7078.0, i_deg=98.19)
    raan_dot = orbit.secular_rates()[0]
    assert math.degrees(raan_dot) * 86400 == pytest.approx(360 / 365.2422, rel=0.01)
    leo = InfraredSatellite(
        InfraredParams(id="leo", partner="US", orbit=dict(a_km=7078.0, i_deg=98.19))
    )
    assert np.linalg.norm(leo.position_at([0.0, 1000.0]), axis=1) == pytest.approx(7078e3)


# --- Protocol, determinism, messages, parameter errors ---------------------------------------


def test_sensors_satisfy_protocol_and_are_deterministic_for_a_seed():
    radar = Radar(
        RadarParams(
            id="kr-1", partner="KR", lat_deg=37.5, lon_deg=129.0, azimuth_deg=20.0, sigma_rr_mps=2.0
        )
    )
    assert isinstance(radar, Sensor) and isinstance(geo_ir(), Sensor)
    pos = points(37.5, 129.0, 20.0, np.linspace(100e3, 900e3, 30), 250e3)
    truth = TruthSamples.static(radar.scan_times(0.0, 60.0), pos, kind=RV)
    a = radar.detect(truth, np.random.default_rng(9))
    b = radar.detect(truth, np.random.default_rng(9))
    assert a == b and len(a[0]) > 100
    assert all(d.t_ns >= 0 for d in a[0])
    np.testing.assert_array_equal(
        np.concatenate([radar.scan_times(0.0, 7.3), radar.scan_times(7.3, 20.0)]),
        radar.scan_times(0.0, 20.0),
    )


def test_detection_round_trips_and_carries_no_truth():
    det = Detection(
        t_ns=1_500_000_000,
        sensor_id="kr-1",
        partner="KR",
        kind="radar",
        z=[5e5, 0.3, 0.2],
        R=[[100.0, 0, 0], [0, 2.5e-7, 0], [0, 0, 2.5e-7]],
        snr_db=18.5,
        sensor_pos_ecef_m=[1.0, 2.0, 3.0],
    )
    assert decode_json(encode_json(det)) == det
    assert decode_msgpack(encode_msgpack(det)) == det
    assert not {"object_id", "truth", "target_id"} & set(Detection.__struct_fields__)
    bad = encode_json(det).replace(b'"R":[[100.0,0,0],', b'"R":[')
    with pytest.raises(msgspec.ValidationError, match="R"):
        decode_json(bad)
    with pytest.raises(msgspec.ValidationError, match="z"):
        decode_json(encode_json(det).replace(b"[500000.0,0.3,0.2]", b"[500000.0]"))
    with pytest.raises(msgspec.ValidationError, match="z: expected finite"):
        decode_msgpack(
            encode_msgpack(
                {**msgspec.structs.asdict(det), "type": "detection", "z": [5e5, float("nan"), 0.2]}
            )
        )
    with pytest.raises(ValueError, match="R: diagonal must be positive"):
        Detection(**{**msgspec.structs.asdict(det), "R": [[1.0, 0, 0], [0, 0.0, 0], [0, 0, 1]]})
    with pytest.raises(msgspec.ValidationError, match="kind"):
        decode_json(encode_json(det).replace(b'"radar"', b'"sonar"'))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"revisit_s": 0.0}, "revisit_s"),
        ({"max_range_km": -5.0}, "max_range_km"),
        ({"el_min_deg": 30.0, "el_max_deg": 10.0}, "el_max_deg"),
        ({"lat_deg": 95.0}, "lat_deg"),
        ({"pfa": 1.5}, "pfa"),
        ({"sigma_az_mrad": float("nan")}, "sigma_az_mrad"),
        ({"track": ((0.0, 35.0, 135.0),)}, "track"),
        ({"false_alarms_per_scan": -1.0}, "false_alarms_per_scan"),
    ],
)
def test_bad_radar_parameters_name_the_field(kwargs, field):
    base = dict(id="kr-1", partner="KR", lat_deg=37.0, lon_deg=127.0)
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"'kr-1'.*{field} = "):
        RadarParams(**base)


def test_bad_sensor_specs_name_the_field():
    with pytest.raises(ValueError, match="track"):
        RadarParams(id="s", partner="JP", track=((10.0, 35.0, 135.0), (5.0, 36.0, 135.0)))
    with pytest.raises(ValueError, match="max_range = "):
        make_sensor(
            {
                "type": "radar",
                "id": "x",
                "partner": "KR",
                "lat_deg": 1,
                "lon_deg": 2,
                "max_range": 900,
            }
        )
    with pytest.raises(ValueError, match="type = 'sonar'"):
        make_sensor({"type": "sonar", "id": "x"})
    with pytest.raises(ValueError, match="e = 1.5"):
        InfraredParams(id="ir", partner="US", orbit={"a_km": 7000.0, "e": 1.5})
    with pytest.raises(ValueError, match="orbit"):
        InfraredParams(id="ir", partner="US", geo_lon_deg=130.0, orbit={"a_km": 42164.0})
    with pytest.raises(ValueError, match="sigma_los_urad = 0"):
        InfraredParams(id="ir", partner="US", geo_lon_deg=130.0, sigma_los_urad=0)
    ir = make_sensor({"type": "infrared", "id": "g", "partner": "US", "geo_lon_deg": 140.0})
    assert isinstance(ir, InfraredSatellite)
