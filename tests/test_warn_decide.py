"""The warning decisions of a partner's desk, on flights through the picture's own assessment
and event code: each lifecycle step, the references chain, the exercise status, the maritime
message, and what must not warn (no launch point, an object in orbit)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lookout.flight import Aim, fly
from lookout.flight.plancache import plan_cached
from lookout.messages import SystemTrack
from lookout.picture.common import CommonPicture
from lookout.picture.fusion import FusedTrack
from lookout.warn.decide import DeskConfig, WarnDesk
from lookout.warn.notice import default_authority

EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
#: Position and velocity sigmas (m, m/s) of the synthetic tracks: a good radar track.
SIGMA_POS, SIGMA_VEL = 300.0, 15.0


def jp_desk(**kw) -> WarnDesk:
    config = DeskConfig("JP", "JP", ("ja", "en"), default_authority("JP"), EPOCH, **kw)
    return WarnDesk(config)


def flight(site, aim: Aim, vehicle: str):
    launch = plan_cached(site[0], site[1], aim, vehicle, object_id="M", launch_time=100.0)
    return next(tr for tr in fly([launch]) if tr.object_id == "M")


def picture_tracks(truth, period_s: float = 5.0, t_first: float | None = None, scale=None):
    """System tracks of one object flown on its truth (with a radar-like covariance), through
    the common picture's assessment and launch events, every ``period_s``."""
    picture = CommonPicture(assess_period_s=period_s)
    t0 = t_first if t_first is not None else truth.t_start + 20.0
    out = []
    for t in np.arange(t0, truth.t_end - 1.0, period_s):
        k = 1.0 if scale is None else scale(t)
        P = np.diag([(k * SIGMA_POS) ** 2] * 3 + [(k * SIGMA_VEL) ** 2] * 3)
        boost = float(truth.thrusting_at(t))
        ft = FusedTrack("S1", float(t), truth.state_at(t), P, boost, ("KR",))
        out += picture._publish(float(t), [ft])
    return out


def run(desk: WarnDesk, tracks: list[SystemTrack], t_end: float):
    decisions = []
    for st in tracks:
        decisions += desk.on_track(st)
    decisions += desk.flush()
    for t in np.arange(tracks[-1].t_ns * 1e-9 + 1, t_end, 1.0):
        decisions += desk.tick(round(t * 1e9))
    return decisions


def by_area(decisions, key):
    return [d for d in decisions if key in [a.key for a in d.notice.areas]]


@pytest.fixture(scope="module")
def oki_strike():
    """An SRBM from North Korea's east coast aimed at Dogo, Oki Islands (Shimane)."""
    truth = flight((38.90, 128.00), Aim(target_lat_deg=36.25, target_lon_deg=133.30), "srbm-solid")
    desk = jp_desk()
    return truth, run(desk, picture_tracks(truth), truth.t_end + 120.0), desk


@pytest.mark.slow
def test_a_flight_aimed_at_land_is_predicted_then_fell_on_land(oki_strike):
    truth, decisions, _ = oki_strike
    shimane = by_area(decisions, "JP:32")
    kinds = [d.notice.kind for d in shimane]
    assert kinds[0] in ("LAUNCH", "IMPACT_PREDICTED")
    assert "IMPACT_PREDICTED" in kinds
    assert kinds.index("IMPACT_PREDICTED") < kinds.index("FELL_ON_LAND")
    assert kinds[-1] == "ALL_CLEAR"
    predicted = next(d for d in shimane if d.notice.kind == "IMPACT_PREDICTED")
    # Predicted before the fall, with the predicted time within a few seconds of the truth.
    assert predicted.t < truth.t_end
    assert abs((predicted.notice.impact.time - EPOCH).total_seconds() - truth.t_end) < 10.0
    assert predicted.notice.shelter and predicted.geometry["JP:32"]["rule"] == "impact_ellipse"


@pytest.mark.slow
def test_a_call_to_shelter_stays_in_force_until_well_after_the_fall_it_is_about(oki_strike):
    """Every call to shelter expires ``EXPIRES_S`` after the end of the passage or fall it
    was made for (its ``exit_s``), not only after it was sent: a fall farther off than that
    (a space launch's second stage 25 minutes on, a lofted ICBM's 40) must not drop out of the
    public feeds before it comes down, nor when a run ends before its all-clear."""
    from lookout.warn.decide import EXPIRES_S

    truth, decisions, _ = oki_strike
    calls = [d for d in decisions if d.notice.kind in ("LAUNCH", "IMPACT_PREDICTED")]
    assert calls
    for d in calls:
        end = max(g["exit_s"] for g in d.geometry.values())
        assert end > d.t  # the fall is ahead of the call
        expires = (d.notice.expires - EPOCH).total_seconds()
        assert expires == pytest.approx(end + EXPIRES_S, abs=1e-3)
    others = [d for d in decisions if d.notice.kind not in ("LAUNCH", "IMPACT_PREDICTED")]
    for d in others:
        assert (d.notice.expires - d.notice.sent).total_seconds() == pytest.approx(EXPIRES_S)


@pytest.mark.slow
def test_a_fall_predicted_on_land_ends_as_fell_on_land_even_when_the_track_is_lost_early():
    """The Oki SRBM, its track lost 90 s before the fall (below the radars' horizon): the fall
    predicted on Shimane is told as FELL_ON_LAND once it is due, not as a passage (gen-7-00's
    Ishikawa was told PASSED_OVER between the predicted impact time and the fall's)."""
    truth = flight((38.90, 128.00), Aim(target_lat_deg=36.25, target_lon_deg=133.30), "srbm-solid")
    tracks = [st for st in picture_tracks(truth) if st.t_ns * 1e-9 < truth.t_end - 90.0]
    decisions = run(jp_desk(), tracks, truth.t_end + 120.0)
    kinds = [d.notice.kind for d in by_area(decisions, "JP:32")]
    assert "IMPACT_PREDICTED" in kinds and "PASSED_OVER" not in kinds
    assert kinds.index("IMPACT_PREDICTED") < kinds.index("FELL_ON_LAND")
    assert kinds[-1] == "ALL_CLEAR"


@pytest.mark.slow
def test_a_track_coasted_without_measurements_makes_no_shelter_call():
    """srbm-salvo's SRBM-3 (east along 39 N, 40 km north of Gangwon), its track lost at burnout
    and coasted by the picture for 35 s (the estimate flown on with a boost-mode process noise,
    its velocity 60 m/s off to the south), then measured again: the coasted estimates' growing
    corridors reach Gangwon and North Gyeongsang, but no measurement backs them; no shelter
    call (the desk before this rule called both), one maritime message after the fall."""
    truth = flight((38.95, 126.60), Aim(target_lat_deg=39.00, target_lon_deg=131.50, loft=80),
                   "srbm-solid")  # fmt: skip
    t_b = next(t for t in np.arange(truth.t_start, truth.t_end) if not truth.thrusting_at(t))
    t_lost, t_back = t_b + 2.0, t_b + 35.0
    x = truth.state_at(t_lost)
    lat, lon = np.arctan2(x[2], np.hypot(x[0], x[1])), np.arctan2(x[1], x[0])
    south = np.array([np.sin(lat) * np.cos(lon), np.sin(lat) * np.sin(lon), -np.cos(lat)])
    p_lost = np.diag([450.0**2] * 3 + [130.0**2] * 3)
    q = 5000.0  # m^2/s^3: white acceleration noise of a boost mode
    picture = CommonPicture(assess_period_s=5.0)
    tracks = []
    for t in np.arange(truth.t_start + 20.0, truth.t_end - 1.0, 5.0):
        x = truth.state_at(t).copy()
        if t_lost <= t < t_back:  # the tracker's prediction: F P F' + Q, the error carried on
            d = t - t_lost
            x[:3] += south * 60.0 * (d + 2.0)
            x[3:] += south * 60.0
            F = np.eye(6)
            F[:3, 3:] = d * np.eye(3)
            Q = q * np.block([[d**3 / 3 * np.eye(3), d**2 / 2 * np.eye(3)],
                              [d**2 / 2 * np.eye(3), d * np.eye(3)]])  # fmt: skip
            P = F @ p_lost @ F.T + Q
        else:
            sv = 100.0 if t < t_b else SIGMA_VEL
            P = np.diag([SIGMA_POS**2] * 3 + [sv**2] * 3)
        ft = FusedTrack("S1", float(t), x, P, float(truth.thrusting_at(t)), ("KR",))
        tracks += picture._publish(float(t), [ft])
    kr = WarnDesk(DeskConfig("KR", "KR", ("ko", "en"), default_authority("KR"), EPOCH))
    decisions = run(kr, tracks, truth.t_end + 60.0)
    assert not [d for d in decisions if d.notice.shelter]
    assert [d.notice.kind for d in decisions] == ["MARITIME"]


@pytest.mark.slow
def test_every_later_message_refers_to_all_earlier_ones_of_its_area(oki_strike):
    _, decisions, _ = oki_strike
    shimane = by_area(decisions, "JP:32")
    assert shimane[0].notice.msg_type == "Alert" and not shimane[0].notice.references
    for k, d in enumerate(shimane[1:], start=1):
        n = d.notice
        assert n.msg_type == "Update"
        assert [r.identifier for r in n.references] == [e.notice.identifier for e in shimane[:k]]
        assert all(r.sender == n.authority.sender for r in n.references)
    ids = [d.notice.identifier for d in decisions]
    assert len(set(ids)) == len(ids)


@pytest.mark.slow
def test_only_areas_the_corridor_meets_are_warned(oki_strike):
    _, decisions, desk = oki_strike
    warned = {a.key for d in decisions if d.notice.shelter for a in d.notice.areas}
    assert warned == {"JP:32"}
    for d in decisions:
        assert d.rule and d.geometry and d.notice.status == "Exercise"


@pytest.fixture(scope="module")
def hokkaido_overflight():
    """An IRBM from Sunan over Hokkaido into the Pacific (29 Aug 2017)."""
    truth = flight((39.20, 125.67), Aim(target_lat_deg=41.8, target_lon_deg=157.2, loft=550),
                   "irbm-liquid")  # fmt: skip
    return truth, run(jp_desk(), picture_tracks(truth), truth.t_end + 120.0)


@pytest.mark.slow
def test_an_overflight_is_warned_then_passed_over_then_all_clear(hokkaido_overflight):
    truth, decisions = hokkaido_overflight
    hokkaido = by_area(decisions, "JP:01")
    kinds = [d.notice.kind for d in hokkaido]
    assert kinds == ["LAUNCH", "PASSED_OVER", "ALL_CLEAR"]
    launch, passed, clear = hokkaido
    # Warned long before the passage (about 8 minutes after launch), told of it once it is
    # behind, towards the Pacific.
    assert launch.t - truth.t_start < 150.0
    assert passed.notice.passage.towards is not None
    assert passed.notice.passage.towards.key == "pacific"
    assert clear.t >= passed.t
    assert not passed.notice.shelter and not clear.notice.shelter


def test_a_track_without_a_launch_point_warns_nobody():
    desk = jp_desk()
    x = np.array([-3.6e6, 3.3e6, 4.0e6, 1000.0, 2000.0, 500.0])
    P = np.diag([1e6] * 3 + [1e2] * 3)
    for t in range(100):
        st = SystemTrack(system_track_id="S9", t_ns=t * 10**9, x=list(x), P=P.tolist(),
                         partners=["JP"], event_id="E1", object_type="unknown")  # fmt: skip
        assert desk.on_track(st) == []
    assert desk.flush() == [] and desk.events["E1"].credible_t is None


def test_actual_status_needs_a_live_feed():
    with pytest.raises(ValueError, match="live feed"):
        DeskConfig("JP", "JP", ("ja", "en"), default_authority("JP"), EPOCH, status="Actual")
    DeskConfig("JP", "JP", ("ja",), default_authority("JP"), EPOCH, status="Actual", live_feed=True)
    with pytest.raises(ValueError, match="epoch"):
        DeskConfig("JP", "JP", ("ja",), default_authority("JP"), EPOCH.replace(tzinfo=None))


@pytest.mark.slow
def test_a_wide_early_estimate_is_withdrawn_as_soon_as_it_narrows():
    """An IRBM over Hokkaido tracked at first with a covariance 8 times too wide: the areas its
    wide corridor meets are warned, those the first narrow estimates rule out are withdrawn
    (NO_THREAT) within two estimates, then given the all-clear; Hokkaido stays warned."""
    truth = flight((39.20, 125.67), Aim(target_lat_deg=41.8, target_lon_deg=157.2, loft=550),
                   "irbm-liquid")  # fmt: skip
    t_narrow = truth.t_start + 300.0
    tracks = picture_tracks(truth, t_first=truth.t_start + 150.0,
                            scale=lambda t: 8.0 if t < t_narrow else 1.0)  # fmt: skip
    decisions = run(jp_desk(), tracks, truth.t_end + 120.0)
    withdrawn = [d for d in decisions if d.notice.kind == "NO_THREAT"]
    assert withdrawn, "the wide corridor should have met areas the narrow one does not"
    assert any(t_narrow <= d.t <= t_narrow + 10.0 for d in withdrawn)
    for d in withdrawn:
        for a in d.notice.areas:
            assert [e.notice.kind for e in by_area(decisions, a.key)][-1] == "ALL_CLEAR"
    hokkaido = [d.notice.kind for d in by_area(decisions, "JP:01")]
    assert hokkaido[0] == "LAUNCH" and "NO_THREAT" not in hokkaido


@pytest.mark.slow
def test_a_passage_already_behind_is_information_not_a_shelter_call():
    """The event becomes credible only after the IRBM passed Hokkaido: Hokkaido is told it
    passed, never to shelter."""
    truth = flight((39.20, 125.67), Aim(target_lat_deg=41.8, target_lon_deg=157.2, loft=550),
                   "irbm-liquid")  # fmt: skip
    late = picture_tracks(truth, t_first=truth.t_start + 600.0)
    decisions = run(jp_desk(), late, truth.t_end + 60.0)
    hokkaido = by_area(decisions, "JP:01")
    assert [d.notice.kind for d in hokkaido] == ["PASSED_OVER"]
    assert hokkaido[0].notice.msg_type == "Alert" and not hokkaido[0].notice.shelter
    assert not [d for d in decisions if d.notice.shelter]


@pytest.mark.slow
def test_a_fall_inside_the_eez_off_the_areas_is_a_maritime_message():
    """An SRBM into the Sea of Japan about 150 km off Akita: no shelter call, one maritime
    message for the Sea of Japan after the fall."""
    truth = flight((39.90, 127.60), Aim(target_lat_deg=40.0, target_lon_deg=138.2), "mrbm-liquid")
    decisions = run(jp_desk(), picture_tracks(truth), truth.t_end + 60.0)
    assert not [d for d in decisions if d.notice.shelter]
    maritime = [d for d in decisions if d.notice.kind == "MARITIME"]
    assert len(maritime) == 1
    n = maritime[0].notice
    assert n.sea_area.key == "sea_of_japan" and n.inside_eez and maritime[0].t >= truth.t_end - 5


@pytest.mark.slow
def test_a_wild_last_estimate_does_not_hide_a_fall_at_sea():
    """world66 #05's stage 1: tracked on its way down with its fall predicted within 2 km, the
    track's last update (at 11 km) was wild, a 726 km ellipse and a fall 50 km and 13 s off;
    it replaced the good prediction and the fall then came later than a lost track's rule
    allows: the sea area was never told (the sweep's base). Here the Akita MRBM, its track's
    last update thrown upward by 1 km/s with a 1 km/s sigma, then lost 50 s before the
    fall: the maritime message still comes, on the good prediction's ellipse."""
    truth = flight((39.90, 127.60), Aim(target_lat_deg=40.0, target_lon_deg=138.2), "mrbm-liquid")
    t_lost = truth.t_end - 50.0
    picture = CommonPicture(assess_period_s=5.0)
    tracks = []
    for t in np.arange(truth.t_start + 20.0, t_lost, 5.0):
        x, P = truth.state_at(t).copy(), np.diag([SIGMA_POS**2] * 3 + [SIGMA_VEL**2] * 3)
        if t + 5.0 >= t_lost:  # the last update: wild
            x[3:] += 1000.0 * x[:3] / np.linalg.norm(x[:3])
            P = np.diag([50e3**2] * 3 + [1000.0**2] * 3)
        ft = FusedTrack("S1", float(t), x, P, float(truth.thrusting_at(t)), ("KR",))
        tracks += picture._publish(float(t), [ft])
    wild = tracks[-1].assessment
    assert wild.impact_ellipse.semi_major_m > 250e3  # it says nothing about the fall
    decisions = run(jp_desk(), tracks, truth.t_end + 60.0)
    assert not [d for d in decisions if d.notice.shelter]
    maritime = [d for d in decisions if d.notice.kind == "MARITIME"]
    assert len(maritime) == 1 and maritime[0].notice.sea_area.key == "sea_of_japan"
    told = maritime[0].notice.impact
    assert told.ellipse.semi_major_m < 250e3
    assert abs((told.time - EPOCH).total_seconds() - truth.t_end) < 10.0


def test_decisions_are_a_pure_function_of_the_tracks():
    """Two desks fed the same tracks decide the same, identifiers and times included."""
    truth = flight((39.20, 125.67), Aim(target_lat_deg=41.8, target_lon_deg=157.2, loft=550),
                   "irbm-liquid")  # fmt: skip
    tracks = picture_tracks(truth, period_s=20.0, t_first=truth.t_start + 40.0)[:12]
    a = run(jp_desk(), tracks, tracks[-1].t_ns * 1e-9 + 10)
    b = run(jp_desk(), tracks, tracks[-1].t_ns * 1e-9 + 10)
    assert a and [d.notice for d in a] == [d.notice for d in b]
    assert [d.notice.identifier for d in a] == [d.notice.identifier for d in b]


@pytest.mark.slow
def test_a_spent_stage_falling_near_a_border_is_no_shelter_call():
    """srbm-salvo's SRBM-6 (east along 39 N, 40 km north of Gangwon) and its motor case, both
    tracked through the picture: the case separates at burnout, drag brakes it from 1.7 km/s
    to 0.5 km/s by 30 km and it falls in North Korea. It has no lift surfaces and no guidance,
    so its fall is ballistic; read as a lifting body that might glide (its flight stays below
    the ceiling of lift), its impact region reached 90 km east onto Gangwon, and Korea's desk
    called Gangwon to shelter. No shelter call; one maritime message for the warhead's fall."""
    site, aim = (38.95, 126.60), Aim(target_lat_deg=39.00, target_lon_deg=131.50, loft=80)
    launch = plan_cached(site[0], site[1], aim, "srbm-solid", object_id="M", launch_time=100.0)
    trajs = fly([launch])
    warhead = next(tr for tr in trajs if tr.object_id == "M")
    stage = next(tr for tr in trajs if tr.parent_id == "M")
    picture = CommonPicture(assess_period_s=5.0)
    P = np.diag([SIGMA_POS**2] * 3 + [SIGMA_VEL**2] * 3)
    tracks = []
    for t in np.arange(warhead.t_start + 20.0, warhead.t_end - 1.0, 5.0):
        fts = [FusedTrack("S1", float(t), warhead.state_at(t), P,
                          float(warhead.thrusting_at(t)), ("KR",))]  # fmt: skip
        if stage.t_start + 1.0 <= t < stage.t_end - 1.0:
            fts.append(FusedTrack("S2", float(t), stage.state_at(t), P, 0.0, ("KR",)))
        tracks += picture._publish(float(t), fts)
    assert {st.object_type for st in tracks if st.system_track_id == "S2"} >= {"spent_stage"}
    kr = WarnDesk(DeskConfig("KR", "KR", ("ko", "en"), default_authority("KR"), EPOCH))
    decisions = run(kr, tracks, warhead.t_end + 60.0)
    assert not [d for d in decisions if d.notice.shelter]
    assert [d.notice.kind for d in decisions] == ["MARITIME"]


@pytest.mark.slow
def test_a_track_that_goes_on_after_its_object_came_down_does_not_hold_its_areas():
    """The Oki SRBM, tracked to the ground; its track then goes on under the surface for 10 s
    and takes over another missile's flight (a track that jumped objects, as Korea's track on
    satellite-launch's first stage did). The object came down when its estimate went below the
    surface: Shimane, told a fall was predicted on it, is told it fell on its land and gets its
    all-clear (before, the new flight's predictions kept its fall ahead or moved it to sea)."""
    truth = flight((38.90, 128.00), Aim(target_lat_deg=36.25, target_lon_deg=133.30), "srbm-solid")
    other = flight((39.20, 127.50), Aim(target_lat_deg=39.60, target_lon_deg=131.00), "srbm-solid")
    picture = CommonPicture(assess_period_s=5.0)
    P = np.diag([SIGMA_POS**2] * 3 + [SIGMA_VEL**2] * 3)
    t_last = truth.t_end - 1.0
    x_end = truth.state_at(t_last)
    tracks = []
    for t in np.arange(truth.t_start + 20.0, t_last + 100.0, 5.0):
        if t <= t_last:
            x, boost = truth.state_at(t), float(truth.thrusting_at(t))
        elif t <= t_last + 10.0:  # the track flown on underground
            x, boost = np.concatenate([x_end[:3] + x_end[3:] * (t - t_last), x_end[3:]]), 0.0
        else:  # the track on another missile, 60 s into its flight
            s = other.t_start + 60.0 + (t - t_last - 10.0)
            x, boost = other.state_at(s), float(other.thrusting_at(s))
        tracks += picture._publish(float(t), [FusedTrack("S1", float(t), x, P, boost, ("JP",))])
    decisions = run(jp_desk(), tracks, t_last + 200.0)
    kinds = [d.notice.kind for d in by_area(decisions, "JP:32")]
    assert "IMPACT_PREDICTED" in kinds
    assert "FELL_ON_LAND" in kinds and kinds[-1] == "ALL_CLEAR"
    fell = next(d for d in by_area(decisions, "JP:32") if d.notice.kind == "FELL_ON_LAND")
    assert fell.t <= t_last + 30.0


def test_an_area_is_not_held_for_an_object_whose_fall_moved_off_it():
    """One launch event, two objects (as gen-11-01's first stage and warhead): S1, the Oki
    SRBM, whose fall is predicted on Shimane and comes; S2, an MRBM lofted to fall 60 km north
    of the Oki Islands six minutes later, seen by a far sensor only (velocity sigma 60 m/s)
    until 20 s after S1's fall, so that once S1 is down S2's 95 % impact ellipse reaches
    Shimane, which is still in shelter: its fall too is now predicted there. Then a nearer
    radar takes S2 and its estimates put its fall at sea. Shimane is told S1 fell on its land
    and given its all-clear, not held for S2, whose predicted fall moved off it (nor told there
    was no threat: gen-11-01 held Gangwon 28 minutes for a warhead whose early wide ellipse had
    touched it; without the rule, Shimane here is told NO_THREAT 26 s after S1's fall)."""
    import msgspec

    oki = flight((38.90, 128.00), Aim(target_lat_deg=36.25, target_lon_deg=133.30), "srbm-solid")
    far = flight((38.90, 128.00), Aim(target_lat_deg=36.85, target_lon_deg=133.4, loft=500),
                 "mrbm-liquid")  # fmt: skip
    picture = CommonPicture(assess_period_s=5.0)
    P1 = np.diag([SIGMA_POS**2] * 3 + [SIGMA_VEL**2] * 3)
    tracks = []
    for t in np.arange(far.t_start + 20.0, far.t_end - 1.0, 5.0):
        k = 4.0 if t < oki.t_end + 20.0 else 1.0  # the far sensor's track, then the radar's
        P = np.diag([SIGMA_POS**2] * 3 + [(k * SIGMA_VEL) ** 2] * 3)
        fts = [FusedTrack("S2", float(t), far.state_at(t), P, float(far.thrusting_at(t)), ("JP",))]
        if oki.t_start + 125.0 <= t < oki.t_end - 1.0:
            fts.append(FusedTrack("S1", float(t), oki.state_at(t), P1, 0.0, ("JP",)))
        tracks += picture._publish(float(t), fts)
    tracks = [msgspec.structs.replace(st, event_id="E1") for st in tracks]  # one launch event
    desk = jp_desk()
    decisions = by_area(run(desk, tracks, far.t_end + 120.0), "JP:32")
    # What the test is about: S2's fall was predicted on Shimane while it sheltered.
    assert desk.events["E1"].areas["JP:32"].fallers == ["S1", "S2"]
    kinds = [d.notice.kind for d in decisions]
    assert kinds == ["IMPACT_PREDICTED", "FELL_ON_LAND", "ALL_CLEAR"]
    assert decisions[0].geometry["JP:32"]["object"] == "S1"
    fell = decisions[1]
    assert fell.geometry["JP:32"]["object"] == "S1"
    assert oki.t_end <= fell.t <= oki.t_end + 40.0  # two of the radar's estimates after S1's fall
    assert decisions[-1].t < far.t_end - 240.0  # not held until S2 comes down


@pytest.mark.slow
def test_a_space_launch_whose_iip_sweeps_a_far_country_is_no_shelter_call_there():
    """world72 #07: a launch from Sriharikota into a 562 km orbit on bearing 130. During the
    second and third stages' burn its instantaneous impact point ran over Christmas Island,
    Western and South Australia, Victoria and New South Wales, 15-25 minutes before any piece
    could pass there; the Australian desk told all five to shelter, then withdrew them as the
    vehicle went into orbit. The burn's outcome is known long before such a passage (it ends
    at the latest after the catalogue's longest burn): waiting for it still leaves the lead a
    shelter call needs. Here the vehicle's own track, as the picture assesses it: no message
    in Australia."""
    launch = plan_cached(13.72, 80.23, Aim(azimuth_deg=130.1, orbit_km=562.0), "slv-3stage",
                         object_id="M", launch_time=100.0)  # fmt: skip
    truth = next(tr for tr in fly([launch]) if tr.object_id == "M")
    orbit = truth.event("orbit_insertion").t
    picture = CommonPicture(assess_period_s=5.0)
    tracks = []
    for t in np.arange(truth.t_start + 20.0, orbit + 60.0, 5.0):
        sv = 100.0 if truth.thrusting_at(t) else SIGMA_VEL
        P = np.diag([SIGMA_POS**2] * 3 + [sv**2] * 3)
        ft = FusedTrack("S1", float(t), truth.state_at(t), P, float(truth.thrusting_at(t)), ("IN",))
        tracks += picture._publish(float(t), [ft])
    au = WarnDesk(DeskConfig("AU", "AU", ("en",), default_authority("AU"), EPOCH))
    told = [(d.notice.kind, [a.key for a in d.notice.areas]) for d in run(au, tracks, orbit + 120)]
    assert told == []  # before: LAUNCH for CX, WA, SA 210-240 s after launch, SA twice


def test_an_area_at_the_edge_of_a_far_fall_s_first_estimates_waits_for_them():
    """me74 #03: an MRBM from western Iran on Tel Aviv. Its first post-burnout estimates are
    wide (here a covariance 4 times a good radar track's, halving every 5 s, as the picture's
    went from 50 to 17 km in 10 s): the districts under the predicted flight are told to
    shelter at once, more than 500 s before the fall; the Southern District, only at the edge
    of the first two 95 % regions, is not (before: told with them, withdrawn 10 s later). Its
    call could wait; by the time it could wait no longer (five minutes before its passage)
    the estimates had ruled it out."""
    truth = flight((34.35, 46.95), Aim(target_lat_deg=32.01, target_lon_deg=34.83, loft=409.0),
                   "mrbm-liquid-long")  # fmt: skip
    t_first = truth.t_start + 140.0
    tracks = picture_tracks(
        truth, t_first=t_first, scale=lambda t: max(0.1, 4.0 * 0.5 ** ((t - t_first) / 5.0))
    )
    il = WarnDesk(DeskConfig("IL", "IL", ("en",), default_authority("IL"), EPOCH))
    decisions = run(il, tracks, truth.t_end + 60.0)
    first = {}
    for d in decisions:
        for a in d.notice.areas if d.notice.shelter else ():
            first.setdefault(a.key, d.t)
    assert sorted(first) == ["IL:4", "IL:5"]  # Central and Tel Aviv, where it came down
    assert all(truth.t_end - t > 500.0 for t in first.values())
    assert not [d for d in decisions if d.notice.kind == "NO_THREAT"]


def test_the_first_estimate_after_a_coast_is_not_one_of_two_in_a_row():
    """me81 #03 and #00: an MRBM's track coasted unseen after burnout (a satellite's refit), then
    taken up by a radar; the estimates 1 and 6 s (4 and 9 s) after carried the coast's error
    with a radar's covariance, put the flight over an area it missed by 12 km (80 km), and that
    area was told to shelter 600 s (450 s) before the passage, withdrawn 15 s later. Here the
    Tel Aviv MRBM (as above), its track coasted 30 s from 38 s after burnout, its first two
    estimates after it 45 m/s off across the flight (3 sigma), the next ones on the truth:
    before, Jerusalem (IL:1) was told a fall was predicted on it and Tel Aviv (IL:5), where
    it came down, was told NO_THREAT, each on the two estimates sharing that error. The
    estimate that ends a coast counts neither for a far call nor for a withdrawal."""
    truth = flight((34.35, 46.95), Aim(target_lat_deg=32.01, target_lon_deg=34.83, loft=409.0),
                   "mrbm-liquid-long")  # fmt: skip
    t_b = next(t for t in np.arange(truth.t_start, truth.t_end) if not truth.thrusting_at(t))
    t_lost, t_back = t_b + 38.0, t_b + 68.0
    x = truth.state_at(t_back)
    across = np.cross(x[:3], x[3:])
    across /= np.linalg.norm(across)
    p0 = np.diag([1e3**2] * 3 + [100.0**2] * 3)
    picture = CommonPicture(assess_period_s=5.0)
    tracks = []
    for t in np.arange(t_b + 18.0, truth.t_end - 1.0, 5.0):
        x = truth.state_at(t).copy()
        P = np.diag([SIGMA_POS**2] * 3 + [SIGMA_VEL**2] * 3)
        if t_lost <= t < t_back:  # the picture's prediction, no measurement: F P F' + Q
            d = t - t_lost + 5.0
            F = np.eye(6)
            F[:3, 3:] = d * np.eye(3)
            Q = 50.0 * np.block([[d**3 / 3 * np.eye(3), d**2 / 2 * np.eye(3)],
                                 [d**2 / 2 * np.eye(3), d * np.eye(3)]])  # fmt: skip
            P = F @ p0 @ F.T + Q
        elif t < t_back + 10.0:
            x[3:] += 45.0 * across * (t >= t_back)
        ft = FusedTrack("S1", float(t), x, P, 0.0, ("US",))
        tracks += picture._publish(float(t), [ft])
    il = WarnDesk(DeskConfig("IL", "IL", ("en",), default_authority("IL"), EPOCH))
    decisions = run(il, tracks, truth.t_end + 60.0)
    assert not by_area(decisions, "IL:1")
    tel_aviv = [d.notice.kind for d in by_area(decisions, "IL:5")]
    assert tel_aviv[0] == "IMPACT_PREDICTED" and "NO_THREAT" not in tel_aviv


@pytest.mark.slow
def test_the_ascent_from_a_desks_own_ground_is_warned_where_it_would_come_down():
    """world77 #03: an MRBM from Abdul Kalam Island, in Odisha's territorial sea, climbing out
    over the Bay of Bengal, over Odisha's sea until +87 s, its instantaneous impact point out
    of Odisha's waters from about +51 s. Tracked from +55 s (the picture's first track came at
    +75 s), 07c19d2's desk told Odisha to shelter at once for the climb over its sea (as
    world73 #01 at +60 s): nothing of the missile could come down there. The ascent from the
    desk's own ground now calls its areas only where it would come down were its thrust to
    stop: Odisha is told that it passed over, not to shelter. So does an SRBM from the same
    island, burnt out 14 km up over Odisha's sea and climbing on over it (world80 #04,
    world71 #01: told to shelter at +30 s, or not, by the picture's phase at burnout); one
    aimed inland comes down on Odisha and is told to shelter, by its fall."""

    def told(truth, t_first):
        desk = WarnDesk(DeskConfig("IN", "IN", ("en",), default_authority("IN"), EPOCH))
        decisions = run(desk, picture_tracks(truth, t_first=t_first), truth.t_end + 60.0)
        return [(d.notice.kind, d.notice.shelter) for d in by_area(decisions, "IN:OR")]

    mrbm = flight((20.76, 87.08), Aim(target_lat_deg=11.87, target_lon_deg=89.54), "mrbm-liquid")
    assert told(mrbm, mrbm.t_start + 55.0) == [("PASSED_OVER", False)]
    srbm = flight((20.76, 87.08), Aim(target_lat_deg=18.24, target_lon_deg=87.28, loft=43.0),
                  "srbm-solid")  # fmt: skip
    assert told(srbm, srbm.t_start + 20.0) == [("PASSED_OVER", False)]
    inland = flight((20.76, 87.08), Aim(target_lat_deg=21.60, target_lon_deg=85.70), "srbm-solid")
    kinds = told(inland, inland.t_start + 20.0)
    assert ("IMPACT_PREDICTED", True) in kinds and ("FELL_ON_LAND", True) in kinds
    # A launch from abroad is warned by the ground under its climb, burning or not: North
    # Korea's SRBM of korea72 #01 over Gyeonggi's islands (KR:41) from +31 s, after burnout.
    nk = flight((38.23, 125.10), Aim(target_lat_deg=36.40, target_lon_deg=124.09, loft=33.0),
                "srbm-solid")  # fmt: skip
    kr = WarnDesk(DeskConfig("KR", "KR", ("ko", "en"), default_authority("KR"), EPOCH))
    decisions = run(kr, picture_tracks(nk, t_first=nk.t_start + 15.0), nk.t_end + 60.0)
    calls = [d for d in by_area(decisions, "KR:41") if d.notice.shelter]
    assert calls and calls[0].notice.kind == "LAUNCH" and calls[0].t < nk.t_start + 31.0


def test_a_launch_point_long_along_the_flight_and_narrow_across_it_is_on_own_ground():
    """world80 #04: India's launch point estimate from Abdul Kalam Island, 99.9 % ellipse
    23.2 x 1.3 km along the flight (south), 18.7 km inside Odisha's territorial sea across it:
    the desk's own ground (the circle of its longest axis reached 1.5 km beyond the sea, and
    India's own test was warned as a foreign launch, its climb over Odisha's sea a shelter
    call). The same ellipse across the coast, or a small one 20 km off South Korea's waters
    (North Korea's site of korea72 #01), is not."""
    from lookout.warn.decide import LAUNCH_GATE_CHI2

    desk = WarnDesk(DeskConfig("IN", "IN", ("en",), default_authority("IN"), EPOCH))
    along = np.diag([1.342e3**2, 23.159e3**2]) / LAUNCH_GATE_CHI2  # east, north (m^2)
    lat, lon = np.radians(20.8195), np.radians(87.0803)
    assert desk._on_own_ground(lat, lon, along)
    assert not desk._on_own_ground(lat, lon, along[::-1, ::-1])  # 23 km east-west
    kr = WarnDesk(DeskConfig("KR", "KR", ("ko", "en"), default_authority("KR"), EPOCH))
    assert not kr._on_own_ground(np.radians(38.23), np.radians(125.10), np.eye(2) * 1e6)


def told_after_passed_over(script: dict[float, dict]) -> list[tuple[float, str]]:
    """Japan's desk on a synthetic event: an IRBM from Sunan whose trail, before the event was
    credible, crossed Hokkaido (the line from its launch point to its first sub-point, east of
    Hokkaido), so Hokkaido is told ``PASSED_OVER`` as information at +100 s; then, one fresh
    estimate a second, what threatens Hokkaido is ``script[t]`` (the desk's own ``_threats``
    replaced): the messages Hokkaido gets, (t, kind)."""
    from lookout.warn.decide import _Event, _Object

    desk = jp_desk()
    ev = _Event("E1", first_t=90.0, credible_t=95.0)
    ev.launches = [(95.0, np.radians(39.20), np.radians(125.67), np.eye(2) * 1e6, 0.0, 1.0)]
    ev.objects["S1"] = _Object("S1", object_type="unknown", last_seen=95.0,
                               trail=[(95.0, 43.0, 147.5), (99.0, 43.1, 148.5)])  # fmt: skip
    # A spent stage whose fall (+300 s) is predicted on Hokkaido's land.
    ev.objects["S2"] = _Object("S2", object_type="spent_stage", last_seen=95.0,
                               impact=(43.0, 142.0, 300.0, 5.0, np.eye(2) * 1e8))  # fmt: skip
    desk._threats = lambda ev, t, held=None: {0: script[t]} if t in script else {}
    decisions = []
    for t in np.arange(100.0, 131.0):
        ev.fresh_t = ev.measured_t = float(t)
        decisions += desk._decide_event(ev, float(t))
    return [(d.t, d.notice.kind) for d in by_area(decisions, "JP:01")]


def threat(obj: str, entry_s: float, exit_s: float, fall: bool = False) -> dict:
    rule = "stage_impact_ellipse" if fall else "corridor"
    return {"object": obj, "rule": rule, "entry_s": entry_s, "exit_s": exit_s, "fall": fall,
            "first_s": entry_s, "nominal": True, "geometry": {"region": []}}  # fmt: skip


def test_an_area_told_it_was_passed_over_is_called_for_a_fall_predicted_on_it():
    """Told that the flight passed over it, Hokkaido is still under the corridor for a few
    seconds (the flight over it, the edge of its region): no call, that is the passage told.
    Then a stage's fall is predicted on it, two fresh estimates in a row: ``IMPACT_PREDICTED``
    (before: nothing, ever, in that event: "it passed over you", then a stage on their heads).
    A passage still ahead of it (its entry after now) is called as well."""
    passing = {t: threat("S1", 96.0, 104.0) for t in (101.0, 102.0, 103.0)}
    fall = {t: threat("S2", 300.0, 300.0, fall=True) for t in np.arange(110.0, 131.0)}
    assert told_after_passed_over(passing | fall) == [
        (100.0, "PASSED_OVER"), (111.0, "IMPACT_PREDICTED")
    ]  # fmt: skip
    ahead = {t: threat("S1", 250.0, 270.0) for t in np.arange(110.0, 131.0)}
    assert told_after_passed_over(passing | ahead) == [(100.0, "PASSED_OVER"), (111.0, "LAUNCH")]


def test_an_area_told_it_was_passed_over_is_not_called_for_that_passage():
    """What the information rule prevents stays prevented: the corridor over Hokkaido as the
    flight leaves it (every estimate for half a minute, its passage begun: the segment from
    the estimate's time, a few seconds back, after the information was sent) calls nothing,
    nor does one estimate of a fall on it or of a passage ahead between two of those (an
    ellipse's edge flickering): Hokkaido gets its one ``PASSED_OVER``."""
    script = {t: threat("S1", t - 3.0, t + 5.0) for t in np.arange(101.0, 131.0)}
    script[110.0] = threat("S2", 300.0, 300.0, fall=True)
    script[120.0] = threat("S1", 250.0, 270.0)
    assert told_after_passed_over(script) == [(100.0, "PASSED_OVER")]
