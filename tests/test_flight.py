"""Flight physics: the model's invariants, its numerics, and the published flights."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from lookout.cli import app
from lookout.flight import (
    Aim,
    AimError,
    Launch,
    Request,
    TurnSpec,
    fly,
    fly_summary,
    plan,
    plan_many,
    summarise,
)
from lookout.flight.launch import Launch as _Launch
from lookout.flight.launch import LaunchError, Turn, underwater_rise
from lookout.flight.planner import kepler_arc
from lookout.geodesy import (
    GM_EARTH,
    J2,
    OMEGA_EARTH,
    R_EQUATOR,
    ecef_to_geodetic,
    enu_basis,
    geodesic_inverse,
    geodetic_to_ecef,
)
from lookout.physics import atmosphere
from lookout.physics.gravity import gravity_j2
from lookout.physics.propagate import ObjectSpec, Segment, propagate
from lookout.physics.vehicles import vehicle
from lookout.scoring.validation import default_csv, read_published, validate_flight

runner = CliRunner()


def test_gravity_matches_normal_gravity_at_equator_and_pole():
    # WGS84 normal gravity: 9.7803 m/s^2 at the equator, 9.8322 at the pole (with centrifugal).
    eq = gravity_j2(np.array([[R_EQUATOR, 0.0, 0.0]]))[0]
    pole = gravity_j2(np.array([[0.0, 0.0, 6356752.3]]))[0]
    centrifugal = OMEGA_EARTH**2 * R_EQUATOR
    assert abs(-eq[0] - centrifugal - 9.7803) < 0.002
    assert abs(-pole[2] - 9.8322) < 0.002


def test_atmosphere_table_is_ambiances_us1976():
    from ambiance import Atmosphere

    table = atmosphere.us1976_table()
    atm = Atmosphere(table[:, 0])
    for col, values in ((1, atm.density), (2, atm.pressure), (3, atm.speed_of_sound)):
        assert np.allclose(table[:, col], values, rtol=1e-11, atol=0)


def test_atmosphere_matches_us1976_and_decays_above_it():
    assert atmosphere.density(np.array([0.0]))[0] == pytest.approx(1.225, rel=1e-3)
    assert atmosphere.density(np.array([10e3]))[0] == pytest.approx(0.41351, rel=1e-3)
    assert atmosphere.density(np.array([100e3]))[0] == pytest.approx(5.604e-7, rel=1e-3)
    rho = atmosphere.density(np.linspace(0, 1000e3, 500))
    assert np.all(np.diff(rho) < 0)
    # The flight model leaves drag out above its ceiling, where it is negligible.
    assert atmosphere.density(np.array([atmosphere.DRAG_CEILING_M]))[0] < 2e-11


def _coasting(pos, vel, t_stop):
    return ObjectSpec("body", 0.0, pos, vel, [Segment(np.inf, 1000.0, area_m2=1e-6)], t_stop)


def test_jacobi_integral_is_conserved_in_vacuum():
    # In the rotating frame with an axisymmetric field, v^2/2 - w^2 (x^2+y^2)/2 + U is constant.
    pos = geodetic_to_ecef(np.radians(35.0), np.radians(130.0), 2000e3)
    east, north, _ = enu_basis(np.radians(35.0), np.radians(130.0))
    vel = 6500.0 * east + 1500.0 * north  # a suborbital arc that stays in vacuum for 30 min
    tr = propagate([_coasting(pos, vel, 1800.0)])[0]
    assert tr.alt.min() > 150e3  # in vacuum throughout
    r = np.linalg.norm(tr.pos, axis=1)
    sin2 = (tr.pos[:, 2] / r) ** 2
    potential = -GM_EARTH / r * (1 - J2 * (R_EQUATOR / r) ** 2 * (1.5 * sin2 - 0.5))
    jacobi = (
        0.5 * np.einsum("ij,ij->i", tr.vel, tr.vel)
        - 0.5 * OMEGA_EARTH**2 * (tr.pos[:, 0] ** 2 + tr.pos[:, 1] ** 2)
        + potential
    )
    assert np.ptp(jacobi) / abs(jacobi.mean()) < 1e-8


def test_interpolated_state_matches_a_finer_integration():
    pos = geodetic_to_ecef(np.radians(35.0), np.radians(130.0), 2000e3)
    vel = np.array([1500.0, -2500.0, 3000.0])
    tr = propagate([_coasting(pos, vel, 1800.0)])[0]
    mid = 0.5 * (tr.t[10] + tr.t[11])
    fine = propagate([_coasting(pos, vel, mid)])[0]
    assert np.linalg.norm(tr.state_at(mid)[:3] - fine.pos[-1]) < 1.0


def test_flown_state_keeps_the_velocity_the_cubic_loses_between_samples():
    """Between the 30 s samples of a coast in vacuum the cubic Hermite's velocity misses the
    orbit's fourth derivative by up to millimetres per second, a coasting track's sigma
    being 5-15 mm/s; ``flown_state_at`` (gravity's RK4 from the sample before, the rest
    interpolated) is within 0.1 mm/s of an integration that stops there, and equal at the
    samples."""
    pos = geodetic_to_ecef(np.radians(38.0), np.radians(135.0), 700e3)
    east, north, up = enu_basis(np.radians(38.0), np.radians(135.0))
    vel = 6500.0 * east + 1500.0 * north + 300.0 * up
    tr = propagate([_coasting(pos, vel, 600.0)])[0]
    assert tr.alt.min() > 150e3
    cubic, flown = [], []
    for i in (5, 9, 13):
        t = tr.t[i] + 0.21 * (tr.t[i + 1] - tr.t[i])  # where the cubic's slope is worst
        fine = propagate([_coasting(pos, vel, t)])[0]
        cubic.append(np.linalg.norm(tr.state_at(t)[3:] - fine.vel[-1]))
        flown.append(np.linalg.norm(tr.flown_state_at(t)[3:] - fine.vel[-1]))
    assert max(cubic) > 5e-4  # ~1 mm/s at 700 km
    assert max(flown) < 1e-4 and max(flown) < max(cubic) / 10.0
    samples = tr.flown_state_at(tr.t)
    np.testing.assert_allclose(samples, np.concatenate([tr.pos, tr.vel], axis=1), rtol=0, atol=1e-6)


ICBM = Launch(
    "icbm",
    vehicle("icbm-solid-3stage"),
    np.radians(39.0),
    np.radians(125.7),
    np.radians(70.0),
    np.radians(6.0),
    cutoff_s=150.0,
)


def test_halving_the_steps_moves_the_impact_by_less_than_100_m(monkeypatch):
    import lookout.physics.propagate as prop

    coarse = fly([ICBM], debris=False)[0].event("impact")
    for name in ("DT_THRUST", "DT_PITCH_OVER", "DT_VACUUM", "ATMOSPHERE_STEP_M", "DRAG_STEP"):
        monkeypatch.setattr(prop, name, getattr(prop, name) / 2)
    fine = fly([ICBM], debris=False)[0].event("impact")
    assert np.linalg.norm(coarse.pos - fine.pos) < 100.0
    assert abs(coarse.t - fine.t) < 0.5


def _plunging_stage():
    """A dense spent stage (3 t, 1.5 m across) entering at 90 km, 6 km/s, 50 degrees down,
    heading south: it decelerates at up to ~800 m/s^2."""
    lat, lon = np.radians(39.0), np.radians(131.0)
    east, north, up = enu_basis(lat, lon)
    vel = 6000.0 * (np.cos(np.radians(50.0)) * -north - np.sin(np.radians(50.0)) * up)
    area = np.pi * 0.75**2
    seg = Segment(np.inf, 3000.0, area_m2=area, drag="spent_stage", kind="spent_stage")
    return ObjectSpec("stage", 0.0, geodetic_to_ecef(lat, lon, 90e3), vel, [seg], 600.0)


def _fine_steps_in_the_air(monkeypatch) -> None:
    import lookout.physics.propagate as prop

    for name, value in (("ATMOSPHERE_STEP_M", 100.0), ("DT_ATMOSPHERE_MAX", 0.05),
                        ("DT_MIN", 1e-3), ("DRAG_STEP", prop.DRAG_STEP / 16)):  # fmt: skip
        monkeypatch.setattr(prop, name, value)


def test_a_plunging_stage_flies_its_own_equations_of_motion(monkeypatch):
    """The truth of a dense stage plunging through the air agrees with a flight of the same
    equations at 0.05 s steps (itself within 1 cm and 1 mm/s of one at 0.025 s) to 0.05 m/s
    and 0.5 m, between its samples as flown (``flown_state_at``, what the scores compare a
    track with, its velocity sigma there down to 0.1 m/s) as at them. Before the air step was
    bounded by the drag's rate (``propagate.DRAG_STEP``) and the altitude inside a step
    followed the ellipsoid, this stage was integrated at ``h k`` up to 0.47 (``k`` the drag's
    rate, ``propagate.drag_rate``) and was 1.1 m/s and 8 m off."""
    import lookout.physics.propagate as prop

    tr = propagate([_plunging_stage()])[0]
    peak = np.abs(np.diff(np.linalg.norm(tr.vel, axis=1)) / np.diff(tr.t)).max()
    assert peak > 500.0  # hundreds of m/s^2
    with monkeypatch.context() as m:
        m.setattr(prop, "DRAG_STEP", np.inf)
        old = propagate([_plunging_stage()])[0]
    _fine_steps_in_the_air(monkeypatch)
    fine = propagate([_plunging_stage()])[0]
    assert fine.t.size > 10 * tr.t.size
    times = np.arange(tr.t[0], min(tr.t_end, fine.t_end), 0.1)

    def off(traj):
        d = traj.flown_state_at(times) - fine.state_at(times)
        return np.linalg.norm(d[:, :3], axis=1).max(), np.linalg.norm(d[:, 3:], axis=1).max()

    dp, dv = off(tr)
    assert dp < 0.5 and dv < 0.05, (dp, dv)
    old_dp, old_dv = off(old)
    assert old_dv > 20 * dv and old_dp > 10 * dp, (old_dp, old_dv)
    assert np.linalg.norm(tr.event("impact").pos - fine.event("impact").pos) < 0.5


def test_flight_has_its_events_and_spent_stages_fall():
    trs = fly([ICBM])
    main = trs[0]
    names = [e.name for e in main.events]
    for name in (
        "burnout",
        "stage_separation",
        "payload_separation",
        "apogee",
        "reentry",
        "impact",
    ):
        assert name in names
    assert [e.stage for e in main.events if e.name == "burnout"] == [1, 2, 3]
    spent = [t for t in trs if t.parent_id == "icbm"]
    assert len(spent) == 3
    for s in spent:
        assert s.event("impact") is not None
        assert not s.thrusting.any()
    # The booster burns, the reentry vehicle does not; phases run boost -> coast -> reentry.
    assert main.thrusting[0] and not main.thrusting[-1]
    assert list(dict.fromkeys(main.phase.tolist())) == [0, 1, 2]
    # The first stage falls much closer to the site than the payload.
    assert np.linalg.norm(spent[0].pos[-1] - main.pos[0]) < 0.2 * np.linalg.norm(
        main.pos[-1] - main.pos[0]
    )


def test_batch_of_flights_equals_flights_one_at_a_time():
    other = Launch(
        "srbm",
        vehicle("srbm-solid"),
        np.radians(38.0),
        np.radians(127.0),
        np.radians(90.0),
        np.radians(20.0),
        launch_time=30.0,
    )
    together = fly([ICBM, other], debris=False)
    alone = [fly([ICBM], debris=False)[0], fly([other], debris=False)[0]]
    for a, b in zip(together, alone, strict=True):
        assert np.allclose(a.pos[-1], b.pos[-1], atol=1e-6)


def test_target_aim_lands_on_the_target():
    launch = plan(39.0, 125.7, Aim(target_lat_deg=39.5, target_lon_deg=129.5), "srbm-solid")
    s = summarise(launch, fly([launch], debris=False), with_max_range=False)
    assert s.impact["lat_deg"] == pytest.approx(39.5, abs=0.01)
    assert s.impact["lon_deg"] == pytest.approx(129.5, abs=0.01)


def test_unreachable_aims_are_refused_naming_the_value():
    with pytest.raises(AimError, match="3700 km"):
        plan(39.0, 125.0, Aim(azimuth_deg=80, apogee_km=770, range_km=3700), "srbm-solid")
    low = "apogee_km=20, range_km=2000: apogee 20 km over 2000 km is below the lowest irbm-liquid"
    with pytest.raises(AimError, match=low):
        plan(39.0, 125.0, Aim(azimuth_deg=80, apogee_km=20, range_km=2000), "irbm-liquid")


def test_cli_fly_json_has_the_documented_keys():
    res = runner.invoke(
        app,
        [
            "fly",
            "--site",
            "39.2,125.67",
            "--azimuth",
            "80",
            "--apogee-km",
            "770",
            "--range-km",
            "3700",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key in (
        "flight_time_s",
        "apogee_km",
        "range_km",
        "burnout_time_s",
        "burnout_altitude_km",
        "burnout_speed_kms",
        "impact",
        "vehicle",
        "max_range_km",
    ):
        assert key in out
    assert out["apogee_km"] == pytest.approx(770, rel=0.01)
    assert out["range_km"] == pytest.approx(3700, rel=0.01)
    assert set(out["impact"]) == {"lat_deg", "lon_deg", "time_s"}


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--site", "95,125", "--azimuth", "80", "--apogee-km", "500", "--range-km", "900"], "95"),
        (
            [
                "--site",
                "39,125",
                "--azimuth",
                "80",
                "--apogee-km",
                "10",
                "--range-km",
                "900",
                "--vehicle",
                "mrbm-liquid",
            ],
            "apogee 10 km",
        ),
        (
            ["--site", "39,125", "--azimuth", "80", "--apogee-km", "500", "--range-km", "30000"],
            "30000",
        ),
    ],
)
def test_cli_fly_bad_arguments_exit_2_with_one_line(args, needle):
    res = runner.invoke(app, ["fly", *args])
    assert res.exit_code == 2
    assert needle in res.output
    assert len(res.output.strip().splitlines()) == 1


PUBLISHED = read_published(default_csv())


@pytest.mark.parametrize("row", PUBLISHED, ids=[r["id"] for r in PUBLISHED])
def test_published_flight(row, monkeypatch):
    # Each row's guidance solved once and kept, as a scenario's is (``plancache``: keyed by the
    # source of the solver and the physics, so any change to them solves it again); the flight
    # is flown and checked against the published figures every time. Solving was 14 of the
    # rows' 19 CPU s; the planner's own tests below solve every time.
    from lookout.flight.plancache import plan_cached
    from lookout.scoring import validation

    monkeypatch.setattr(validation, "plan", plan_cached)
    r = validate_flight(row)
    assert r.checks["apogee"], r.errors_pct
    assert r.checks["range"], r.errors_pct
    if "flight_time" in r.checks:  # where a flight time was published
        assert r.checks["flight_time"], (r.simulated["flight_time_s"], r.published["flight_time_s"])
    if "max_range" in r.checks:
        assert r.checks["max_range"], (r.simulated["max_range_km"], r.published["max_range_km"])


# --- Lifting bodies, submerged starts and the batched planner ----------------------------------


def _glider(turns=(), **kw):
    return _Launch(
        "hgv",
        vehicle("hgv-solid"),
        np.radians(39.0),
        np.radians(125.75),
        np.radians(90.0),
        np.radians(56.5),
        cutoff_s=83.0,
        glide_alt_m=35e3,
        turns=turns,
        **kw,
    )


def test_glide_holds_its_altitude_and_a_bank_turns_it_to_that_side():
    straight, right, left = fly(
        [
            _glider(),
            _glider((Turn(400.0, 470.0, np.radians(30.0)),)),
            _glider((Turn(400.0, 470.0, np.radians(-30.0)),)),
        ],
        debris=False,
    )
    names = [e.name for e in straight.events]
    for name in ("apogee", "glide", "pull_up", "dive", "impact"):
        assert name in names
    # A minute after the pull-up began, until the dive, the hold keeps it within 2.5 km of 35 km.
    held = (straight.t > straight.event("pull_up").t + 60) & (straight.t < straight.event("dive").t)
    assert held.sum() > 50
    assert np.abs(straight.alt[held] - 35e3).max() < 2.5e3
    # The lift is perpendicular to the velocity and within the 15 g limit.
    lift = straight.lift
    assert np.abs(np.einsum("ij,ij->i", lift, straight.vel)).max() < 1e-6 * np.abs(lift).max() * 1e4
    assert np.linalg.norm(lift, axis=1).max() <= 15 * 9.80665 * (1 + 1e-9)

    def bearing(tr):
        imp = tr.event("impact")
        lat, lon, _ = ecef_to_geodetic(imp.pos)
        return float(geodesic_inverse(np.radians(39.0), np.radians(125.75), lat, lon)[1])

    assert bearing(right) > bearing(straight) + np.radians(1.0)
    assert bearing(left) < bearing(straight) - np.radians(1.0)


def test_lifting_flight_converges_with_the_step(monkeypatch):
    import lookout.physics.propagate as prop

    launches = [
        _glider(),
        _Launch(
            "kn23",
            vehicle("srbm-lifting"),
            np.radians(39.45),
            np.radians(127.55),
            np.radians(65.0),
            np.radians(66.0),
            glide_alt_m=40e3,
        ),
    ]
    coarse = [tr.event("impact") for tr in fly(launches, debris=False)]
    monkeypatch.setattr(prop, "DT_LIFTING_MAX", prop.DT_LIFTING_MAX / 4)
    fine = [tr.event("impact") for tr in fly(launches, debris=False)]
    # Under 150 m after 700 km (the glider) and 600 km (the pull-up), like a ballistic flight's
    # halving test.
    for a, b in zip(coarse, fine, strict=True):
        assert np.linalg.norm(a.pos - b.pos) < 150.0


def test_submerged_start_rises_through_the_water_then_ignites():
    launch = _Launch(
        "slbm",
        vehicle("slbm-lifting"),
        np.radians(40.0),
        np.radians(128.35),
        np.radians(90.0),
        np.radians(64.0),
        glide_alt_m=40e3,
        depth_m=30.0,
    )
    tr = fly([launch], debris=False)[0]
    t_ign, v_surface = underwater_rise(launch.vehicle, 30.0)
    assert 1.0 < t_ign < 4.0 and 5.0 < v_surface < 30.0
    assert tr.alt[0] == pytest.approx(-30.0, abs=0.5)
    ignition = tr.event("ignition")
    assert ignition.t == pytest.approx(t_ign, abs=1e-6)
    # It breaks the surface before the motor lights, and nothing is an event before that.
    assert tr.alt[tr.t <= ignition.t].max() > 0.0
    assert not tr.thrusting[tr.t < ignition.t - 1e-9].any()
    first = [e for e in tr.events if e.name != "ignition"]
    assert min(e.t for e in first) > ignition.t
    assert tr.event("impact") is not None and tr.event("impact").t > 300
    with pytest.raises(LaunchError, match="cannot start under water"):
        underwater_rise(vehicle("srbm-lifting"), 30.0)


def test_kepler_arc_lands_where_a_vacuum_flight_does():
    # A coasting body above the drag ceiling: the two-body arc (no J2) must land within 0.5%
    # of the propagated flight's range, at the same radius.
    pos = geodetic_to_ecef(np.radians(40.0), np.radians(127.0), 400e3)
    east, north, up = enu_basis(np.radians(40.0), np.radians(127.0))
    vel = 4000.0 * east + 500.0 * north + 1500.0 * up
    tr = propagate([_coasting(pos, vel, 4000.0)])[0]
    imp = tr.event("impact")
    _, impact, ok = kepler_arc(pos[None], vel[None], float(np.linalg.norm(imp.pos)))
    assert ok[0]
    start = ecef_to_geodetic(pos)
    d_true = geodesic_inverse(start[0], start[1], *ecef_to_geodetic(imp.pos)[:2])[0]
    d_kep = geodesic_inverse(start[0], start[1], *ecef_to_geodetic(impact[0])[:2])[0]
    assert abs(d_kep - d_true) < 0.005 * d_true


def test_plan_many_reports_an_error_per_aim_and_solves_the_rest():
    reqs = [
        Request(
            39.2, 125.67, Aim(target_lat_deg=39.6, target_lon_deg=131.0, loft=90), "srbm-solid"
        ),
        Request(39.0, 125.0, Aim(azimuth_deg=80, apogee_km=770, range_km=3700), "srbm-solid"),
        Request(39.45, 127.55, Aim(azimuth_deg=65, apogee_km=50, range_km=600, pull_up_km=40)),
    ]
    good, bad, lifting = plan_many(reqs)
    assert isinstance(bad, AimError) and "3700 km" in str(bad)
    s = summarise(good, fly([good], debris=False), with_max_range=False)
    assert s.impact["lat_deg"] == pytest.approx(39.6, abs=0.01)
    assert s.apogee_km == pytest.approx(90, rel=1e-3)
    assert lifting.vehicle.name == "srbm-lifting"
    s = summarise(lifting, fly([lifting], debris=False), with_max_range=False)
    assert s.apogee_km == pytest.approx(50, rel=1e-3) and s.range_km == pytest.approx(600, rel=1e-3)


def _guidance(x):
    """What the planner chose for one request (or its error), to compare bit for bit."""
    if isinstance(x, AimError):
        return str(x)
    fields = ("azimuth", "kick", "cutoff_s", "orbit", "hold_pitch", "glide_alt_m", "depth_m")
    return repr([x.vehicle.name] + [getattr(x, f) for f in fields])


def test_planning_aims_together_gives_each_the_solution_it_gets_alone():
    # Other sites, bearings and lofts, with and without a named vehicle, and one the vehicle
    # cannot reach: solved in one lockstep batch, each comes out as when solved by itself.
    reqs = [
        Request(
            39.2, 125.67, Aim(target_lat_deg=39.6, target_lon_deg=131.0, loft=90), "srbm-solid"
        ),
        Request(35.0, 40.0, Aim(azimuth_deg=200, apogee_km=300, range_km=1200)),
        Request(-10.0, 120.0, Aim(target_lat_deg=-5.0, target_lon_deg=135.0)),
        Request(
            60.0,
            30.0,
            Aim(target_lat_deg=52.0, target_lon_deg=60.0, loft="depressed"),
            "irbm-liquid",
        ),
        Request(39.0, 125.0, Aim(target_lat_deg=10.0, target_lon_deg=-150.0), "srbm-solid"),
    ]
    together = plan_many(reqs)
    alone = [plan_many([r])[0] for r in reqs]
    assert [_guidance(x) for x in together] == [_guidance(x) for x in alone]
    # The third, 1,745 km: the long-range liquid MRBM (irbm-liquid before it was catalogued).
    assert [x.vehicle.name for x in together[:4]] == [
        "srbm-solid", "mrbm-liquid", "mrbm-liquid-long", "irbm-liquid"
    ]  # fmt: skip
    assert isinstance(together[4], AimError)


def test_an_aim_out_of_reach_names_the_vehicle_and_the_range():
    far = Aim(target_lat_deg=10.0, target_lon_deg=-150.0)  # 8,889 km from the site
    named, unnamed = plan_many([Request(39.0, 125.0, far, "srbm-solid"), Request(39.0, 125.0, far)])
    assert isinstance(named, AimError)
    assert "target=(10, -150): range 8889 km is beyond what srbm-solid can reach" in str(named)
    assert "at most about 6" in str(named)  # its reach, some 640 km
    # Without a vehicle, a ballistic one flies it (an ICBM), not an error.
    assert not isinstance(unnamed, AimError) and unnamed.vehicle.vehicle_class == "ICBM"
    # With none that can, the error names the largest candidate, the range and why.
    with pytest.raises(AimError) as exc:
        plan(0.0, 0.0, Aim(azimuth_deg=90, apogee_km=300, range_km=15000))
    msg = str(exc.value)
    assert msg.startswith("apogee_km=300, range_km=15000: no catalogue vehicle can fly this aim")
    assert "icbm-liquid-2stage-heavy" in msg and "15000 km" in msg


def test_cli_plan_solves_several_scenarios_at_once_into_the_plan_cache(tmp_path, monkeypatch):
    from lookout.flight import plancache

    monkeypatch.setenv("LOOKOUT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(plancache, "_memory", {})
    result = runner.invoke(app, ["plan", "irbm-overflight", "srbm-salvo", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["scenarios"]["srbm-salvo"] == {"launches": 6, "errors": []}
    assert out["cache_dir"] == str(tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == 4  # the distinct aims: 1 and 3
    # A launch that cannot be flown is named, the others are planned, and the exit status is 1.
    from lookout.scenario.parse import SHIPPED_DIR

    text = (SHIPPED_DIR / "irbm-overflight.yaml").read_text()
    bad = tmp_path / "bad" / "short.yaml"
    bad.parent.mkdir()
    bad.write_text(text.replace("vehicle: irbm-liquid", "vehicle: srbm-solid"))
    result = runner.invoke(app, ["plan", str(bad), "srbm-salvo", "--json"])
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    (error,) = out["scenarios"]["irbm-overflight"]["errors"]
    assert "launches[0] (IRBM-1)" in error and "beyond what srbm-solid can reach" in error
    assert out["scenarios"]["srbm-salvo"]["errors"] == []


def test_a_scenario_flies_the_same_flights_cold_and_from_a_cache_another_scenario_filled(
    tmp_path, monkeypatch
):
    # The cache keys a plan by site, aim and vehicle, not by launch time. mass-raid's MR-07
    # (minimum-energy IRBM, launched at 105 s) was solved at its own time: from a cache filled
    # by the same aim launched at 0 s its guidance differed in the 15th digit, and so did its
    # flight (the goldens depended on the machine's cache history).
    from dataclasses import replace

    from lookout.flight import plancache
    from lookout.scenario import load
    from lookout.simulate import _requests

    reqs = [r for r in _requests(load("mass-raid")) if r.object_id in ("MR-01", "MR-07")]
    assert {r.launch_time for r in reqs} == {60.0, 105.0}

    def planned(folder, before=()):
        monkeypatch.setenv("LOOKOUT_CACHE_DIR", str(tmp_path / folder))
        monkeypatch.setattr(plancache, "_memory", {})
        if before:
            plancache.plan_cached_many(list(before))  # another scenario's launches of the aims
            monkeypatch.setattr(plancache, "_memory", {})  # a later run: from the disk
        return plancache.plan_cached_many(reqs)

    cold = planned("cold")
    warm = planned("warm", [replace(r, launch_time=t) for r in reqs for t in (0.0, 37.5)])
    assert [x.launch_time for x in warm] == [r.launch_time for r in reqs]
    assert cold == warm
    for a, b in zip(fly(cold, debris=False), fly(warm, debris=False), strict=True):
        assert np.array_equal(a.t, b.t) and np.array_equal(a.pos, b.pos)


def test_the_plan_cache_is_keyed_by_the_physics_and_the_vehicle_catalogue_too():
    # A change to the equations of motion, the catalogue or the atmosphere table must not
    # reuse a solution planned with the old ones (the key once hashed lookout/flight alone).
    from lookout.flight.plancache import model_files

    files = {(f.parent.name, f.name) for f in model_files()}
    for needed in [
        ("physics", "vehicles.yaml"), ("physics", "dynamics.py"), ("physics", "propagate.py"),
        ("physics", "us1976.csv"), ("flight", "planner.py"), ("lookout", "geodesy.py"),
    ]:  # fmt: skip
        assert needed in files
    assert all(f.is_file() for f in model_files())


def test_bench_plan_says_beforehand_when_its_baseline_takes_minutes(capsys):
    from lookout.bench.plan import baseline_estimate_s
    from lookout.cli.bench import warn_long

    # The old planner on barrage's 44 aims takes minutes; on kn23-pullup none (it cannot fly
    # a pull-up), on the default two well under them.
    assert baseline_estimate_s(["kn23-pullup"]) == 0
    assert baseline_estimate_s(["irbm-overflight", "srbm-salvo"]) < 180
    warn_long(baseline_estimate_s(["barrage"]), "the baseline", "--no-baseline")
    assert "note: the baseline: about 7 min" in capsys.readouterr().err


def test_an_aim_only_a_much_bigger_vehicle_flies_is_refused_saying_so():
    # The 2019-07-25 KN-23 flight as a ballistic aim: no SRBM flies 600 km that low.
    with pytest.raises(AimError) as exc:
        plan(39.45, 127.55, Aim(azimuth_deg=65, apogee_km=50, range_km=600))
    msg = str(exc.value)
    assert "srbm-solid reaches that range" in msg
    assert "name it" in msg and "pull_up_km" in msg


def test_aims_with_manoeuvres_are_checked():
    with pytest.raises(AimError, match="cannot fly a glide"):
        plan(
            39.0,
            125.75,
            Aim(azimuth_deg=90, apogee_km=100, range_km=1000, glide_km=40),
            "irbm-liquid",
        )
    with pytest.raises(AimError, match="before hgv-solid's burnout"):
        plan(
            39.0,
            125.75,
            Aim(
                azimuth_deg=90,
                apogee_km=100,
                range_km=1000,
                glide_km=40,
                turns=(TurnSpec(50, 90, 20),),
            ),
            "hgv-solid",
        )
    with pytest.raises(AimError, match="cannot start under water"):
        plan(40.0, 128.3, Aim(azimuth_deg=90, apogee_km=60, range_km=590), "srbm-solid", depth_m=30)


def test_cli_fly_a_pull_up_lists_the_manoeuvre():
    res = runner.invoke(
        app,
        [
            "fly",
            "--site",
            "39.98,125.25",
            "--azimuth",
            "90",
            "--apogee-km",
            "50",
            "--range-km",
            "420",
            "--pull-up-km",
            "40",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["vehicle"] == "srbm-lifting"
    names = [e["name"] for e in out["events"]]
    assert "pull_up" in names and "dive" in names
    assert out["max_lift_g"] > 1.0
    assert out["max_range_km"] > 420
    assert out["max_range_realistic_rv_km"] is None  # an ICBM figure


def test_a_flight_is_the_same_whatever_flies_beside_it():
    """A batch drops its landed rows as it goes (``propagate.COMPACT_FRACTION``): an SRBM that
    lands early and an ICBM flown on together give exactly their flights alone."""
    srbm = _Launch("srbm", vehicle("srbm-solid"), 0.68, 2.2, 1.2, kick=np.radians(40.0))
    icbm = _Launch("icbm", vehicle("icbm-liquid-2stage"), 0.68, 2.2, 1.2, kick=np.radians(30.0))
    short = [_Launch(f"s{i}", srbm.vehicle, 0.68, 2.2, 1.2 + 0.1 * i, kick=np.radians(40.0))
             for i in range(6)]  # fmt: skip
    together = fly([icbm, srbm, *short], debris=False)
    for launch, tr in zip([icbm, srbm], together, strict=False):
        alone = fly([launch], debris=False)[0]
        assert np.array_equal(tr.t, alone.t) and np.array_equal(tr.pos, alone.pos)
        assert [(e.name, e.t) for e in tr.events] == [(e.name, e.t) for e in alone.events]


def test_fly_summary_gives_the_figures_of_fly_then_summarise():
    """``lookout fly`` flies the launch with the maximum-range search (two calls, not four):
    every figure, the maximum ranges included, is the one ``summarise(fly(...))`` gives."""
    launch = plan(39.0, 125.7, Aim(target_lat_deg=45.0, target_lon_deg=140.0, loft=900.0),
                  "icbm-liquid-2stage-light")  # fmt: skip
    assert fly_summary(launch) == summarise(launch, fly([launch]))


def _buried(depth_m: float, up_mps: float, t_stop: float = 3600.0) -> ObjectSpec:
    """A reentry vehicle ``depth_m`` under the ground (a sigma point of a track near it) moving
    up at ``up_mps`` and 100 m/s east."""
    lat, lon = np.radians(38.0), np.radians(127.0)
    pos = geodetic_to_ecef(lat, lon, -depth_m)
    east, _, up = enu_basis(lat, lon)
    return ObjectSpec(
        "buried", 0.0, pos, up_mps * up + 100.0 * east,
        [Segment(np.inf, 1000.0, area_m2=1.0, drag="reentry_vehicle", kind="reentry_vehicle")],
        t_stop,
    )  # fmt: skip


def test_a_body_under_the_ground_that_cannot_come_up_stops_without_an_impact(monkeypatch):
    import lookout.physics.propagate as prop

    falling = [_buried(500.0, -120.0), _buried(2000.0, 50.0)]
    rising = _buried(500.0, 400.0)  # enough to come up (8 km) and come down again
    stopped = propagate([*falling, rising])
    # It used to fall through the Earth until its stop time (an hour at 2 s steps); the answer
    # is the same: no impact.
    assert all(tr.event("impact") is None for tr in stopped[:2])
    assert all(tr.t[-1] < 30.0 for tr in stopped[:2])
    assert stopped[2].event("impact") is not None
    monkeypatch.setattr(prop, "SURFACE_POTENTIAL_MIN", -np.inf)
    full = propagate([*falling, rising], spawn_debris=False)
    assert all(tr.event("impact") is None for tr in full[:2])
    assert full[0].t[-1] > 3000.0
    assert full[2].event("impact").t == stopped[2].event("impact").t


def test_effective_potential_is_the_potential_of_gravity_and_the_centrifugal_force():
    from lookout.physics.propagate import effective_potential

    pos = np.array([[4.1e6, 2.3e6, 4.4e6], [6.5e6, -1.0e6, 0.3e6]])
    force = gravity_j2(pos) + OMEGA_EARTH**2 * pos * np.array([1.0, 1.0, 0.0])
    h = 1.0
    grad = np.column_stack([
        (effective_potential(pos + h * e) - effective_potential(pos - h * e)) / (2 * h)
        for e in np.eye(3)
    ])  # fmt: skip
    np.testing.assert_allclose(-grad, force, rtol=1e-6)


def test_the_flight_models_einsum_is_numpys_bit_for_bit():
    from lookout.physics.einsum import einsum

    rng = np.random.default_rng(16)
    a, b = rng.standard_normal((37, 3)), rng.standard_normal((37, 3))
    P = rng.standard_normal((5, 6, 6))
    for spec, ops in (("ij,ij->i", (a, b)), ("nij,nj->ni", (P, rng.standard_normal((5, 6)))),
                      ("ki,ij,kj->k", (a, rng.standard_normal((3, 3)), b))):  # fmt: skip
        assert np.array_equal(einsum(spec, *ops), np.einsum(spec, *ops))


def test_a_degenerate_cell_of_the_guidance_grid_is_passed_over_quietly():
    """A cell whose outcomes are collinear (det 0) gives barycentric coordinates of opposite
    infinite signs: their sum is NaN, which numpy warned about outside the guarded block (a
    RuntimeWarning, an error under pytest), so a cold plan of mrbm-iran-israel's MRBM-3 failed.
    The degenerate triangle is passed over and the well-formed one still inverts."""
    import warnings

    from lookout.flight.guidance import invert_grid

    params = np.array([[[0.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]])
    out = np.array([[[0.0, 0.0], [2.0, 0.0]], [[1.0, 0.0], [1.0, 1.0]]])  # a, b, c collinear
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = invert_grid(params, out, np.array([1.2, 0.5]))
    assert got is not None and np.all(np.isfinite(got))


def test_segment_index_is_the_clipped_search_at_the_ends_and_between():
    """``physics.tables.segment_index``: the knot at or before each query, held to 0 .. last,
    before the first knot, on knots, between them and past the last."""
    from lookout.physics.tables import segment_index

    knots = np.array([0.0, 1.0, 2.5, 4.0])
    x = np.array([-3.0, 0.0, 0.5, 1.0, 2.4, 2.5, 3.9, 4.0, 9.0])
    for last in (knots.size - 2, knots.size - 1):
        want = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, last)
        assert segment_index(knots, x, last).tolist() == want.tolist()
    assert segment_index(knots, x, 2).tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 2]


# --- Iranian-class MRBMs of 1,300-2,000 km (issue 13) ------------------------------------------

#: Published range (km) of each catalogue MRBM of this class, fired north (the Earth's rotation
#: across the flight, neither with it nor against it): CSIS Missile Threat, "Ghadr-1" (1,950 km
#: with 750 kg) and "Sejjil" (2,000 km); ``vehicles.yaml`` gives their sources.
IRANIAN_MRBMS = {"mrbm-liquid-long": 1950.0, "mrbm-solid-2stage": 2000.0}
CENTRAL_IRAN = (32.65, 51.67)  # near Isfahan


def test_long_range_mrbms_reach_their_published_ranges_and_stay_in_their_class():
    """Each one's maximum range (the boost re-flown at the best pitch-over) within 5 % of its
    published figure fired north; fired west from central Iran (towards Israel, against the
    Earth's rotation) still beyond 1,850 km, past the 1,800 km of the longest 2024 flights; and
    every MRBM of the catalogue in its class's band, 1,000-3,000 km (``assess.energy``)."""
    from lookout.assess.energy import CLASS_BOUNDS_M
    from lookout.flight.guidance import max_range_many
    from lookout.physics.vehicles import catalogue

    lat, lon = np.radians(CENTRAL_IRAN)
    names = list(IRANIAN_MRBMS)
    bases = [
        _Launch(f"{n}/{az:g}", vehicle(n), lat, lon, np.radians(az), np.radians(5.0))
        for az in (0.0, 270.0)
        for n in names
    ]
    north, west = np.array([r for r, _ in max_range_many(bases)]).reshape(2, -1) / 1e3
    published = np.array([IRANIAN_MRBMS[n] for n in names])
    assert np.all(np.abs(north / published - 1.0) < 0.05), dict(zip(names, north, strict=True))
    assert np.all(west > 1850.0), dict(zip(names, west, strict=True))
    mrbms = [v for v in catalogue().values() if v.vehicle_class == "MRBM"]
    assert {v.name for v in mrbms} >= set(names)
    reach = max_range_many([_Launch(v.name, v, lat, lon, 0.0, np.radians(5.0)) for v in mrbms])
    lo, hi = CLASS_BOUNDS_M[0][0], CLASS_BOUNDS_M[1][0]
    got = {v.name: r / 1e3 for v, (r, _) in zip(mrbms, reach, strict=True)}
    assert all(lo / 1e3 <= r < hi / 1e3 for r in got.values()), got


def test_long_range_mrbms_fly_minimum_energy_to_israel_as_published_flights_did():
    """Minimum-energy flights from central Iran to the Negev, 1,590 and 1,890 km: apogee within
    10 % of the Keplerian minimum-energy apogee for the range (the boost's own altitude and
    drag move it a little), in flight 10-13 minutes (the April 2024 flights took about 12)."""
    from lookout.flight.planner import minimum_energy_apogee

    reqs = [
        Request(*CENTRAL_IRAN, Aim(target_lat_deg=31.25, target_lon_deg=34.95), "mrbm-liquid-long"),
        Request(35.40, 54.40, Aim(target_lat_deg=30.95, target_lon_deg=34.80), "mrbm-solid-2stage"),
    ]
    for launch in plan_many(reqs):
        s = summarise(launch, fly([launch], debris=False), with_max_range=False)
        kepler_km = minimum_energy_apogee(s.range_km * 1e3) / 1e3
        assert abs(s.apogee_km / kepler_km - 1.0) < 0.10, (s.vehicle, s.apogee_km, kepler_km)
        assert 600.0 < s.flight_time_s < 780.0, (s.vehicle, s.flight_time_s)


def test_without_a_vehicle_an_aim_of_1600_to_1900_km_takes_an_mrbm_not_an_irbm():
    """The smallest able booster: 1,590 and 1,890 km at minimum energy from central Iran were
    flown by the Hwasong-12-class IRBM while the catalogue's only MRBM reached ~1,200 km; now
    by the long liquid MRBM, and 1,890 km lofted to 500 km (beyond the liquid one) by the solid
    one."""
    semnan, negev = (35.40, 54.40), dict(target_lat_deg=30.95, target_lon_deg=34.80)
    reqs = [
        Request(*CENTRAL_IRAN, Aim(target_lat_deg=31.25, target_lon_deg=34.95)),
        Request(*semnan, Aim(**negev)),
        Request(*semnan, Aim(**negev, loft=500)),
    ]
    got = plan_many(reqs)
    assert [x.vehicle.name for x in got] == [
        "mrbm-liquid-long", "mrbm-liquid-long", "mrbm-solid-2stage"
    ]  # fmt: skip


def test_an_aim_past_the_fans_longest_arc_but_within_reach_is_flown():
    """mrbm-solid-2stage's range peaks sharply in the pitch-over (at 34 degrees, between the
    fan's 29 and 40): the fan's longest arc westward from near Semnan is 1,904 km where the
    re-flown maximum is 1,957, and a 1,922 km aim was refused as out of its reach (and flown
    by the IRBM without a vehicle). The top of the parabola through the longest arc and its
    neighbours (1,939 km) lets it be tried; 1,961 km is still refused."""
    from lookout.geodesy import geodesic_inverse

    semnan = (35.40, 54.40)
    near = Aim(target_lat_deg=30.6, target_lon_deg=34.6)
    far = Aim(target_lat_deg=30.3, target_lon_deg=34.3)
    got = plan_many([Request(*semnan, near, "mrbm-solid-2stage"), Request(*semnan, near),
                     Request(*semnan, far, "mrbm-solid-2stage")])  # fmt: skip
    assert [getattr(x, "vehicle", None) and x.vehicle.name for x in got[:2]] == [
        "mrbm-solid-2stage", "mrbm-solid-2stage"
    ]  # fmt: skip
    s = summarise(got[0], fly([got[0]], debris=False), with_max_range=False)
    d, _ = geodesic_inverse(*np.radians([s.impact["lat_deg"], s.impact["lon_deg"], 30.6, 34.6]))
    assert s.range_km > 1920.0 and d < 100.0, (s.range_km, d)
    assert isinstance(got[2], AimError) and "at most about 19" in str(got[2])


def test_published_iranian_mrbm_rows_name_their_catalogue_vehicles(tmp_path):
    """A published-flights row of a Ghadr-1, Emad or Sejjil flight without a catalogue_vehicle
    is read (it was refused: no catalogue vehicle of the kind), and every published name maps
    to a vehicle of the catalogue."""
    from lookout.physics.vehicles import catalogue
    from lookout.scoring.validation import COLUMNS, VEHICLE_FOR

    rows = [",".join(COLUMNS)]
    for i, name in enumerate(("Ghadr-1", "Emad", "Sejjil")):
        rows.append(f"ir-{i},{name},32.65,51.67,31.25,34.95,370,1590,,,")
    path = tmp_path / "iran.csv"
    path.write_text("\n".join(rows) + "\n")
    assert [r["vehicle"] for r in read_published(path)] == ["Ghadr-1", "Emad", "Sejjil"]
    assert set(VEHICLE_FOR.values()) <= set(catalogue())
    assert VEHICLE_FOR["Sejjil"] == "mrbm-solid-2stage"
