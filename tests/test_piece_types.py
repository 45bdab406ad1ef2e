"""What a launch event says each piece is when no separation was seen (issue 13): pieces first
seen parted, each first assessed with no launch point, share their launch's event once they
have one; the one trailing along the track is the stage, with a probability before the order
is sure; a salvo's second missile is no stage of the first; and the assessment mixes a
reentry vehicle's and a stage's fall by that probability."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

from lookout.assess import Assessor, ellipse_from_cov, mahalanobis2
from lookout.assess.assessment import Assessment
from lookout.assess.events import LaunchEvents
from lookout.flight import Aim, fly
from lookout.flight.plancache import plan_cached
from lookout.geodesy import GM_EARTH, OMEGA_EARTH
from lookout.physics.frame import rotating_frame_acceleration

SITE = (34.50, 45.60)  # me5-00's launch site, its SRBM's aim
AIM = Aim(target_lat_deg=33.41, target_lon_deg=40.67)
#: A good radar track's sigmas (m, m/s).
SIG_POS, SIG_VEL = 60.0, 3.0


@pytest.fixture(scope="module")
def srbm():
    """me5-00's SRBM (srbm-solid): (reentry vehicle, its spent stage) truths."""
    launch = plan_cached(*SITE, AIM, "srbm-solid", object_id="M", launch_time=0.0)
    trs = {tr.object_id: tr for tr in fly([launch])}
    return trs["M"], trs["M-stage1"]


def _assessment(track_id, t, x, launch: bool) -> Assessment:
    return _assessment_at(track_id, t, x, launch, SITE)


def _assessment_at(track_id, t, x, launch: bool, site) -> Assessment:
    P = np.diag([SIG_POS**2] * 3 + [SIG_VEL**2] * 3)
    a = Assessment(t=float(t), track_id=track_id, state=x.copy(), covariance=P, phase="coast",
                   boost_prob=0.0)  # fmt: skip
    if launch:  # flown back from a coast: the site within 10 km, the time within 20 s
        a.launch_lat, a.launch_lon = np.radians(site[0]), np.radians(site[1])
        a.launch_ellipse = ellipse_from_cov(np.diag([10e3**2, 10e3**2]))
        a.launch_time, a.launch_time_sigma, a.launch_method = 0.0, 20.0, "backward"
    return a


def _pair_over(rv, stage, times, births, site):
    """A reentry vehicle R and its stage S assessed at ``times`` from their ``births`` (each
    with no launch point at its first assessment): the events, and each piece's stage
    probability at each of its assessments."""
    ev = LaunchEvents()
    p_stage: dict[str, list[float]] = {"R": [], "S": []}
    for t in times:
        now = [
            _assessment_at(k, t, tr.state_at(t), launch=t > births[k], site=site)
            for k, tr in (("R", rv), ("S", stage))
            if t >= births[k]
        ]
        ev.update(float(t), now)
        for a in now:
            p_stage[a.track_id].append(ev.stage_probability(a.track_id))
    return ev, p_stage


def test_pieces_first_seen_parted_share_an_event_and_the_trailing_one_is_the_stage(srbm):
    """me5-00: the SRBM's reentry vehicle and its stage, first seen 85 s after launch already
    parted, each with no launch point at its first assessment, each made an event of its own
    and were never typed: the stage was flown as a reentry vehicle, its ellipses holding its
    impact in 0.33 of its predictions. Now the stage joins the vehicle's event at its second
    assessment; the trailing piece is the stage, with a probability above one half once the
    order shows, and the vehicle never gets one above one half."""
    rv, stage = srbm
    births = {"R": 85.0, "S": 95.0}
    ev, p_stage = _pair_over(rv, stage, np.arange(85.0, 300.0, 5.0), births, SITE)
    assert ev.of("R")[0] == ev.of("S")[0]
    assert ev.of("S")[1] == "spent_stage" and ev.of("R")[1] == "payload"
    assert max(p_stage["R"]) <= 0.5
    assert p_stage["S"][-1] == 1.0


def _energy_sigma(x: np.ndarray) -> float:
    """Sigma (J/kg) of the difference of two states' inertial specific energies, each near
    ``x`` with the good radar track's sigmas."""
    from lookout.geodesy import GM_EARTH, OMEGA_EARTH

    omega = np.array([0.0, 0.0, OMEGA_EARTH])
    r, v_in = x[:3], x[3:] + np.cross(omega, x[:3])
    grad_r = GM_EARTH * r / np.linalg.norm(r) ** 3 + np.cross(v_in, omega)
    var = SIG_POS**2 * (grad_r @ grad_r) + SIG_VEL**2 * (v_in @ v_in)
    return float(np.sqrt(2.0 * var))


def _order_odds(x: np.ndarray, behind: np.ndarray) -> LaunchEvents:
    """Two sibling pieces A (at ``x``) and B (``behind``) assessed twice 20 s apart, coasting
    (``SETTLE_S``: their order is taken), flown on in vacuum between (their drag says
    nothing): the events."""
    ev = LaunchEvents()
    x, behind = x.copy(), behind.copy()
    for t in (100.0, 120.0):
        ev.update(t, [_assessment("A", t, x, launch=True),
                      _assessment("B", t, behind, launch=True)])  # fmt: skip
        g = rotating_frame_acceleration(
            np.array([x[:3], behind[:3]]), np.array([x[3:], behind[3:]])
        )
        for y, a in ((x, g[0]), (behind, g[1])):
            y[:3] += 20.0 * y[3:] + 200.0 * a
            y[3:] += 20.0 * a
    assert ev.of("A")[0] == ev.of("B")[0]
    return ev


def test_the_stage_probability_is_the_chance_the_piece_trails():
    """Two sibling pieces climbing in the air (90-94 km up), one 1 sigma of their along-track
    uncertainty behind the other: the trailing one is the stage with probability Phi(1) =
    0.84, the leading one 0.16. (Falling, their energies order them: ``events._order``.)"""
    x = np.array([6378137.0 + 90e3, 0.0, 0.0, 300.0, 2.0e3, 1.0e3])  # 90 km up, climbing
    u = x[3:] / np.linalg.norm(x[3:])
    sigma = np.sqrt(2.0) * SIG_POS  # the two tracks' along-track sigmas summed
    behind = x.copy()
    behind[:3] -= sigma * u
    ev = _order_odds(x, behind)
    # (Taken 20 s on, where gravity has turned the climbing velocity from the offset a little.)
    assert ev.stage_probability("B") == pytest.approx(ndtr(1.0), abs=5e-3)
    assert ev.stage_probability("A") == pytest.approx(ndtr(-1.0), abs=5e-3)


def _energy_sigma(x: np.ndarray) -> float:
    """Sigma (J/kg) of the difference of two states' inertial specific energies, each near
    ``x`` with the good radar track's sigmas."""
    omega = np.array([0.0, 0.0, OMEGA_EARTH])
    r, v_in = x[:3], x[3:] + np.cross(omega, x[:3])
    grad_r = GM_EARTH * r / np.linalg.norm(r) ** 3 + np.cross(v_in, omega)
    var = SIG_POS**2 * (grad_r @ grad_r) + SIG_VEL**2 * (v_in @ v_in)
    return float(np.sqrt(2.0 * var))


def test_above_the_air_the_stage_probability_is_the_chance_the_piece_has_less_energy():
    """Above the air the order is the pieces' energies (``events._order``: the separation's
    push leaves the stage ``v dv`` short, and over a long coast the piece of more energy may
    be behind along the track, gen-world-47-01): one 1 sigma of their energies' difference
    short of the other is the stage with probability Phi(1) = 0.84, the other 0.16, wherever
    it is along the track."""
    x = np.array([6.4e6, 0.0, 1.0e6, 0.0, 2.0e3, 1.0e3])  # 1,000 km up, 2.2 km/s
    v_in = x[3:] + np.cross([0.0, 0.0, OMEGA_EARTH], x[:3])
    short = x.copy()
    short[3:] -= _energy_sigma(x) / (v_in @ v_in) * v_in  # v dv = 1 sigma of energy
    short[:3] += 500.0 * x[3:] / np.linalg.norm(x[3:])  # and 500 m ahead
    ev = _order_odds(x, short)
    # (Taken 20 s on, where the speed and so the energy's sigma have moved by 1 %.)
    assert ev.stage_probability("B") == pytest.approx(ndtr(1.0), abs=1e-2)
    assert ev.stage_probability("A") == pytest.approx(ndtr(-1.0), abs=1e-2)


def test_a_salvo_s_second_missile_is_no_stage_of_the_first(srbm):
    """me5-02: SRBMs from one site seconds apart share a launch point within its uncertainty;
    the second, behind the first, was taken for the first's spent stage (me5-02's SRBM-3 in
    0.92 of its assessments). Above the air, 5 s apart, their velocities differ by 50 m/s,
    which no separation gives (``SIBLING_SPREAD_MPS``): neither is the other's stage."""
    rv, _ = srbm
    ev = LaunchEvents()
    gap = 5.0
    p2 = []
    for t in np.arange(120.0, 260.0, 5.0):
        ev.update(float(t), [_assessment("1", t, rv.state_at(t), launch=True),
                             _assessment("2", t, rv.state_at(t - gap), launch=True)])  # fmt: skip
        assert ev.of("2")[1] != "spent_stage", t
        p2.append(ev.stage_probability("2"))
    assert max(p2) == 0.0


def test_an_untyped_piece_falls_as_a_stage_by_its_odds(srbm):
    """A piece not typed, with a stage probability p (``stage_probs``), is flown both as a
    reentry vehicle and as a stage, the two mixed at p (at most even odds): its impact lies
    p / 0.5 of the way from the vehicle's to the typed stage's (mixed at even odds); it keeps
    its manoeuvre footprint (no ``no_lift``), left out here to compare the falls."""
    _, stage = srbm
    t = stage.t[0] + 60.0
    P = np.diag([30.0**2] * 3 + [1.0**2] * 3)
    got = {}
    for key, kw in (("rv", {}), ("typed", {"stages": {"s"}}), ("p", {"stage_probs": {"s": 0.3}}),
                    ("high", {"stage_probs": {"s": 0.9}})):  # fmt: skip
        (a,) = Assessor().update(t, ["s"], stage.state_at(t)[None], P[None], np.array([0.0]),
                                 no_lift={"s"}, **kw)  # fmt: skip
        got[key] = a
    (kept,) = Assessor().update(t, ["s"], stage.state_at(t)[None], P[None], np.array([0.0]),
                                stage_probs={"s": 0.3})  # fmt: skip
    assert kept.manoeuvre_footprint and not got["p"].manoeuvre_footprint
    typed, rv, mixed = got["typed"], got["rv"], got["p"]
    # typed = the mixture at 0.5; the 0.3 one sits 0.6 of the way from the vehicle's to it.
    d_all = mahalanobis2(rv.impact_lat, rv.impact_lon, np.eye(2), typed.impact_lat,
                         typed.impact_lon)  # fmt: skip
    d_mix = mahalanobis2(rv.impact_lat, rv.impact_lon, np.eye(2), mixed.impact_lat,
                         mixed.impact_lon)  # fmt: skip
    assert np.sqrt(d_mix / d_all) == pytest.approx(0.6, abs=0.01)
    # Above even odds, the typing's odds: the same as a typed stage.
    assert got["high"].impact_lat == pytest.approx(typed.impact_lat, abs=1e-12)


@pytest.fixture(scope="module")
def low_srbm():
    """srbm-salvo's SRBM-1 (srbm-solid, a 90 km apogee: in the air where drag shows all the
    way): (reentry vehicle, its spent stage) truths."""
    aim = Aim(target_lat_deg=39.60, target_lon_deg=131.00, loft=90)
    launch = plan_cached(39.20, 125.67, aim, "srbm-solid", object_id="M", launch_time=0.0)
    trs = {tr.object_id: tr for tr in fly([launch])}
    return trs["M"], trs["M-stage1"]


def test_a_piece_s_deceleration_tells_a_stage_from_a_reentry_vehicle(low_srbm):
    """The drag's impulse between two states 5 s apart, against the two priors' (a radar
    track's 3 m/s velocity sigma): over its fall a spent stage's makes it a stage at far more
    than 19 to 1, a reentry vehicle's makes it a vehicle, and above the air it says nothing."""
    from lookout.assess.piece_drag import log_likelihood_ratio

    P = np.diag([SIG_POS**2] * 3 + [SIG_VEL**2] * 3)
    llr = {}
    for name, tr in zip(("rv", "stage"), low_srbm, strict=True):
        t0 = tr.event("burnout").t + 5.0 if tr.event("burnout") else tr.t[0] + 5.0
        ts = np.arange(t0, tr.t[-1] - 1.0, 5.0)
        llr[name] = sum(log_likelihood_ratio(5.0, tr.state_at(a), P, tr.state_at(b), P)
                        for a, b in zip(ts, ts[1:], strict=False))  # fmt: skip
    assert llr["stage"] > 3 * np.log(19.0), llr
    assert llr["rv"] < -3 * np.log(19.0), llr
    high = np.array([6.4e6, 0.0, 2.0e6, 0.0, 2.0e3, 1.0e3])  # 400 km up
    after = high.copy()
    after[:3] += 5.0 * high[3:]
    assert abs(log_likelihood_ratio(5.0, high, P, after, P)) < 1e-3


def test_a_salvo_s_next_missile_in_the_air_is_no_debris_of_the_first(low_srbm):
    """srbm-salvo: SRBM-1 and SRBM-2 from one site 11 s apart, in the air all the way (below
    100 km their velocities tell nothing); SRBM-2's reentry vehicle joined SRBM-1's event by its
    launch point and was typed debris in 0.94 of its assessments, SRBM-4's and SRBM-6's in all.
    Its drag is a reentry vehicle's: never typed a stage or debris once that is known, while
    SRBM-1's stage, whose drag is a stage's, is typed one."""
    rv, stage = low_srbm
    ev = LaunchEvents()
    gap = 11.0
    t_b = rv.event("burnout").t
    types, stage_types = [], []
    for t in np.arange(np.ceil(t_b) + 10.0, rv.t[-1] - gap - 5.0, 5.0):
        now = [_assessment("1", t, rv.state_at(t), launch=True)]
        if t < stage.t[-1] - 5.0:
            now.append(_assessment("S", t, stage.state_at(t), launch=True))
        if t - gap > t_b + 10.0:
            now.append(_assessment("2", t, rv.state_at(t - gap), launch=True))
        ev.update(float(t), now)
        if t - gap > t_b + 10.0:
            types.append(ev.of("2")[1])
        if t < stage.t[-1] - 5.0:
            stage_types.append(ev.of("S")[1])
    late = types[len(types) // 3 :]
    assert late and not {"spent_stage", "debris"} & set(late), types
    assert stage_types[-1] in ("spent_stage", "debris"), stage_types
    assert ev.stage_probability("2") < 0.5


#: me5-01's SRBMs: lofted to a 222 km apogee, both a reentry vehicle and its stage coast above
#: 100 km after the air has parted them.
LOFTED_SITE = (34.50, 45.60)
LOFTED_AIM = Aim(target_lat_deg=34.22, target_lon_deg=42.13, loft=222.0)


@pytest.fixture(scope="module")
def lofted_srbm():
    """me5-01's SRBM (srbm-solid, a 222 km apogee): (reentry vehicle, its spent stage)."""
    launch = plan_cached(*LOFTED_SITE, LOFTED_AIM, "srbm-solid", object_id="M", launch_time=0.0)
    trs = {tr.object_id: tr for tr in fly([launch])}
    return trs["M"], trs["M-stage1"]


def test_siblings_are_told_by_the_energy_drag_took_at_any_altitude(srbm, lofted_srbm):
    """Two pieces of one flight differ in velocity by what drag took (its work, ``v dv``, is
    the energy one falls short by) and a push; a salvo's next missile on the same aim has the
    same energy and a velocity ``g dt`` apart. Below 100 km, where nothing was told, me5-04's
    SRBM-2's reentry vehicle (14 s behind SRBM-1's) was typed SRBM-1's stage; above it, a
    stage the air had slowed by hundreds of m/s was no sibling of its reentry vehicle
    (me5-01's SRBM-2 stage, its ellipses holding its impact in 0.21 of its predictions)."""
    from lookout.assess.events import _siblings
    from lookout.geodesy import ecef_to_geodetic

    P = np.diag([SIG_POS**2] * 3 + [SIG_VEL**2] * 3)
    rv, stage = srbm
    for t in (60.0, 80.0):  # both below 100 km, 14 s apart: 137 m/s
        x, later = rv.state_at(t), rv.state_at(t - 14.0)
        assert ecef_to_geodetic(x[:3])[2] < 100e3
        assert not _siblings(x, P, later, P), t
        assert _siblings(x, P, stage.state_at(t), P), t  # 640 m/s apart, 950 kJ/kg
    rv, stage = lofted_srbm

    def height(t):  # the lower of the two (m)
        return min(ecef_to_geodetic(tr.state_at(t)[:3])[2] for tr in (rv, stage))

    above = [t for t in np.arange(stage.t[0] + 60.0, stage.t[-1], 20.0) if height(t) > 100e3]
    assert len(above) >= 5
    for t in above:
        x, s = rv.state_at(t), stage.state_at(t)
        assert np.linalg.norm(x[3:] - s[3:]) > 150.0
        assert _siblings(x, P, s, P), t
        assert not _siblings(x, P, rv.state_at(t - 14.0), P), t


def test_a_stage_the_air_parted_from_its_reentry_vehicle_shares_its_event_and_is_typed(
    lofted_srbm,
):
    """me5-01: SRBM-2's reentry vehicle and its stage, first seen above 100 km already 166 m/s
    apart after the air slowed the stage on the way up, each with no launch point at its first
    assessment, stayed in two events: the stage was never typed and was flown as a reentry
    vehicle. Now it joins the vehicle's event and is typed the stage; the vehicle never gets a
    stage probability above one half."""
    rv, stage = lofted_srbm
    from lookout.geodesy import ecef_to_geodetic

    t0 = next(t for t in np.arange(stage.t[0], stage.t[-1], 5.0)
              if ecef_to_geodetic(stage.state_at(t)[:3])[2] > 100e3)  # fmt: skip
    births = {"R": t0 - 10.0, "S": t0}
    ev, p_stage = _pair_over(rv, stage, np.arange(t0 - 10.0, t0 + 200.0, 5.0), births,
                             LOFTED_SITE)  # fmt: skip
    assert ev.of("R")[0] == ev.of("S")[0]
    assert ev.of("S")[1] in ("spent_stage", "debris")
    assert p_stage["S"][-1] > 0.5
    assert max(p_stage["R"]) <= 0.5


def test_a_salvo_s_next_missile_is_never_typed_the_first_s_stage_below_100_km(srbm):
    """me5-04: two SRBMs from one site 14 s apart on one aim, each with its stage, all joined
    by their launch point; the first's reentry vehicle was identified the payload while all
    four were below 100 km, where siblings were not told, and the second's reentry vehicle
    was typed a spent stage behind it (0.75 of its assessments). It is no sibling of it by its
    velocity (``_siblings``): never typed a stage or debris, never above one half."""
    rv, stage = srbm
    gap = 14.0
    ev = LaunchEvents()
    t_b = rv.event("burnout").t
    p2, types2 = [], []
    for t in np.arange(np.ceil(t_b) + 5.0, 200.0, 5.0):
        now = [_assessment("1", t, rv.state_at(t), launch=True),
               _assessment("S1", t, stage.state_at(t), launch=True)]  # fmt: skip
        if t - gap > t_b + 5.0:
            now += [_assessment("2", t, rv.state_at(t - gap), launch=True),
                    _assessment("S2", t, stage.state_at(t - gap), launch=True)]  # fmt: skip
        ev.update(float(t), now)
        if t - gap > t_b + 5.0:
            types2.append(ev.of("2")[1])
            p2.append(ev.stage_probability("2"))
    assert not {"spent_stage", "debris"} & set(types2), types2
    assert max(p2) < 0.5, p2
