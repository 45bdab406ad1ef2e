"""The measuring stick of the warnings: how near the truth passed a warned area, and the
per-scenario row of ``lookout bench warnings``."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from lookout.bench.warnings import markdown, summary
from lookout.warn.judge import closest_km


def test_closest_approach_of_a_ground_track_to_an_area_is_measured_on_the_ellipsoid():
    box = shapely.box(0.0, -0.5, 1.0, 0.5)  # lon 0-1, lat +-0.5
    track = np.array([[2.0, -1.0], [2.0, 0.0], [2.0, 1.0]])  # 1 degree east of it, on the equator
    assert closest_km(track, box) == pytest.approx(111.32, abs=0.1)  # WGS84 equatorial degree
    assert closest_km(np.array([[0.5, 0.0]]), box) == 0.0
    assert closest_km(np.empty((0, 2)), box) is None


def _row(partner, code, truth, first, shelter, kinds, **kw):
    return {"flight": "F", "partner": partner, "code": code, "name_en": code, "truth_s": truth,
            "hazard_end_s": None, "first_message_s": first,
            "lead_s": None if truth is None or first is None else truth - first,
            "shelter": shelter, "first_shelter_s": first if shelter else None,
            "all_clear_s": None, "all_clear_delay_s": None, "kinds": kinds, **kw}  # fmt: skip


def test_a_scenario_row_names_first_messages_leads_and_how_near_each_false_area_was():
    r = {
        "scenario": "s", "mode": "exchange", "messages": 5, "xsd_valid": True,
        "missed_areas": [], "false_areas": ["JP:02"], "withdrawals": 1,
        "areas": [
            _row("JP", "01", 435.0, 95.0, True, ["LAUNCH", "PASSED_OVER", "ALL_CLEAR"]),
            _row("JP", "02", None, 100.0, True, ["LAUNCH", "NO_THREAT"],
                 truth_closest_km=7.1, withdrawn_after_s=25.0),
            _row("KR", "47", None, 120.0, False, ["PASSED_OVER"]),
        ],
        "maritime": [{"flight": "F", "partner": "US", "sea": "x", "truth_s": 600.0,
                      "first_message_s": 610.0}],
    }  # fmt: skip
    s = summary(r)
    assert s["first_s"] == {"JP": 95.0, "KR": 120.0, "US": 610.0}
    assert s["min_lead_s"] == 340.0 and s["threatened"] == ["JP:01"]
    assert s["false_closest_km"] == {"JP:02": 7.1}
    assert s["unthreatened"] == ["JP:02", "KR:47"]
    assert s["max_withdrawn_after_s"] == 25.0
    text = markdown([r], "cmd")
    assert "JP:02 (7 km off)" in text and "false shelter areas 1" in text


def test_the_scenario_row_tells_precautionary_calls_from_false_ones():
    """A call the desk made inside a stated region that held the truth is precautionary: its
    own column, with how near the truth passed, and not among the false."""
    r = {
        "scenario": "s", "mode": "exchange", "messages": 4, "xsd_valid": True,
        "missed_areas": [], "false_areas": ["JO:MN"], "precautionary_areas": ["JO:AT"],
        "withdrawals": 1,
        "areas": [
            _row("JO", "AT", None, 145.0, True, ["LAUNCH", "NO_THREAT"], truth_closest_km=4.1,
                 region_m2=2.0),
            _row("JO", "MN", None, 150.0, True, ["LAUNCH", "NO_THREAT"], truth_closest_km=60.0,
                 region_m2=40.0),
        ],
    }  # fmt: skip
    s = summary(r)
    assert s["false_closest_km"] == {"JO:MN": 60.0}
    assert s["precautionary_closest_km"] == {"JO:AT": 4.1}
    text = markdown([r], "cmd")
    assert "| JO:MN (60 km off) | JO:AT (4 km off) |" in text
    assert "false shelter areas 1, precautionary 1" in text


@pytest.mark.slow
def test_a_maritime_message_covers_every_fall_inside_its_hazard_area():
    """Two SRBMs from one site to one aim point 11 s apart whose tracks the picture put in one
    launch event (srbm-salvo's SRBM-3 and SRBM-4): the maritime message of that event, sent after
    both fell, is credited to both falls inside its hazard area, not only to the event's flight;
    a fall elsewhere is not credited."""
    from types import SimpleNamespace

    from test_warn_decide import EPOCH, picture_tracks, run

    from lookout.exchange.keys import derive_key
    from lookout.flight import Aim, fly
    from lookout.flight.plancache import plan_cached
    from lookout.warn.decide import DeskConfig, WarnDesk
    from lookout.warn.issue import Issuer
    from lookout.warn.judge import judge
    from lookout.warn.notice import default_authority

    site, aim = (38.95, 126.60), Aim(target_lat_deg=39.00, target_lon_deg=131.50, loft=80)
    launches = [
        plan_cached(*site, aim, "srbm-solid", object_id="A", launch_time=100.0),
        plan_cached(*site, aim, "srbm-solid", object_id="B", launch_time=89.0),
        plan_cached(
            *site,
            Aim(target_lat_deg=37.20, target_lon_deg=131.30, loft=80),
            "srbm-solid",
            object_id="C",
            launch_time=100.0,
        ),  # fmt: skip
    ]
    trajectories = fly(launches)
    a = next(tr for tr in trajectories if tr.object_id == "A")
    desk = WarnDesk(DeskConfig("KR", "KR", ("ko", "en"), default_authority("KR"), EPOCH))
    decisions = run(desk, picture_tracks(a), max(tr.t_end for tr in trajectories) + 60.0)
    issuer = Issuer("KR", derive_key("test", "KR"))
    alerts = [issuer.alert(d) for d in decisions]
    assert [al.kind for al in alerts] == ["MARITIME"]
    sim = SimpleNamespace(launches=launches, trajectories=trajectories,
                          scenario=SimpleNamespace(duration_s=1200.0))  # fmt: skip
    kr = SimpleNamespace(id="KR", country="KR")
    got = judge(sim, alerts, {alerts[0].event_id: "A"}, [kr])
    told = {m["flight"]: m["first_message_s"] for m in got["maritime"]}
    assert told["A"] is not None and told["B"] is not None
    assert told.get("C") is None  # near Ulleung/Dokdo, far from the message's hazard area


def test_a_satellite_and_its_spent_upper_stage_in_orbit_threaten_nobody():
    """quiet-sky's first launch: a satellite to a 550 km polar orbit from Kourou, over Korea 40
    minutes later with its spent upper stage beside it. Neither threatens an area there: the
    stage has no insertion of its own, but it is in orbit (perigee above the air) all the same.
    Its ascent over French Guiana's coast is before insertion, and would count."""
    from types import SimpleNamespace

    from lookout.flight import Aim, fly
    from lookout.flight.plancache import plan_cached
    from lookout.warn.judge import truth_threats

    launch = plan_cached(5.24, -52.77, Aim(azimuth_deg=350.0, orbit_km=550.0), "slv-3stage",
                         object_id="SAT-A", launch_time=0.0)  # fmt: skip
    trajectories = fly([launch])
    stage = [tr for tr in trajectories if tr.parent_id == "SAT-A" and tr.t_end > 2400.0]
    assert stage, "the upper stage stays up beside the satellite"
    sim = SimpleNamespace(launches=[launch], trajectories=trajectories,
                          scenario=SimpleNamespace(duration_s=3000.0))  # fmt: skip
    assert truth_threats(sim, "KR")["SAT-A"]["areas"] == {}


def test_a_flight_no_sensor_saw_is_unobserved_not_missed():
    """An SRBM onto Shimane whose warhead no partner's sensor detected (as quiet-sky's spent
    stage over Maine, of a launch from Kourou whose satellite is seen later in orbit): nobody
    could warn of it, so Shimane is in ``unobserved_areas``, not ``missed_areas``, even when
    its spent stage (which falls short, off Korea) was seen; one detection of the warhead makes
    the same silence a miss."""
    from types import SimpleNamespace

    from lookout.flight import Aim, fly
    from lookout.flight.plancache import plan_cached
    from lookout.warn.judge import judge

    launch = plan_cached(38.90, 128.00, Aim(target_lat_deg=36.25, target_lon_deg=133.30),
                         "srbm-solid", object_id="A", launch_time=100.0)  # fmt: skip
    trajectories = fly([launch])
    stage = next(tr.object_id for tr in trajectories if tr.parent_id == "A")
    jp = SimpleNamespace(id="JP", country="JP")

    def judged(labels):
        sim = SimpleNamespace(launches=[launch], trajectories=trajectories, labels=labels,
                              scenario=SimpleNamespace(duration_s=1200.0))  # fmt: skip
        return judge(sim, [], {}, [jp])

    for labels in ([None, None], [None, stage]):
        unseen = judged(labels)
        assert "JP:32" in unseen["unobserved_areas"] and "JP:32" not in unseen["missed_areas"]
    seen = judged([None, stage, "A"])
    assert "JP:32" in seen["missed_areas"] and seen["unobserved_areas"] == []


class _Shifted:
    """A flight's truth turned about the Earth's axis by ``deg`` of longitude: a flight as
    physical as the truth (gravity, the rotating frame and the air are symmetric about the
    axis), the same path ``deg`` further east."""

    def __init__(self, tr, deg: float):
        c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
        self.R = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        self.tr, self.t_start, self.t_end = tr, tr.t_start, tr.t_end

    def state_at(self, t):
        x = self.tr.state_at(t)
        return np.concatenate([self.R @ x[:3], self.R @ x[3:]])

    def thrusting_at(self, t):
        return self.tr.thrusting_at(t)


@pytest.mark.slow
def test_a_call_inside_an_honest_95_percent_region_is_precautionary_not_false():
    """An SRBM from North Korea's east coast into the sea 45 km west of the Oki islands
    (Shimane), 140 km off Tottori's coast. Tracked on its truth with a covariance 8 times a
    good radar's (an honest, wide estimate), its 95 % impact ellipse takes in Shimane and
    Tottori: both are told to shelter, and neither is reached. The truth was at the heart of
    the stated region (squared Mahalanobis distance near 0): the calls are precautionary, not
    false. Tracked with a good covariance on a state 0.8 degrees east of the truth (a picture
    that is confidently wrong), the fall is predicted on Dogo: Shimane is told to shelter on a
    region 10 sigma off the truth, a false call."""
    from types import SimpleNamespace

    from test_warn_decide import jp_desk, picture_tracks, run

    from lookout.app.warn_run import regions
    from lookout.exchange.keys import derive_key
    from lookout.flight import Aim, fly
    from lookout.flight.plancache import plan_cached
    from lookout.warn.issue import Issuer
    from lookout.warn.judge import judge

    launch = plan_cached(38.90, 128.00, Aim(target_lat_deg=36.25, target_lon_deg=132.50),
                         "srbm-solid", object_id="A", launch_time=100.0)  # fmt: skip
    trajectories = fly([launch])
    truth = next(tr for tr in trajectories if tr.object_id == "A")
    sim = SimpleNamespace(launches=[launch], trajectories=trajectories,
                          scenario=SimpleNamespace(duration_s=1200.0))  # fmt: skip
    jp = SimpleNamespace(id="JP", country="JP")
    issuer = Issuer("JP", derive_key("test", "JP"))

    def judged(flown, scale):
        decisions = run(jp_desk(), picture_tracks(flown, scale=lambda t: scale), truth.t_end + 90)
        alerts = [issuer.alert(d) for d in decisions]
        event = {a.event_id: "A" for a in alerts}
        return judge(sim, alerts, event, [jp], regions(decisions)), judge(sim, alerts, event, [jp])

    wide, unknown = judged(truth, 8.0)
    assert {"JP:31", "JP:32"} <= set(wide["precautionary_areas"])
    assert wide["false_areas"] == [] and wide["missed_areas"] == []
    rows = {r["code"]: r for r in wide["areas"]}
    assert rows["32"]["region_m2"] < 1.0 and rows["32"]["truth_s"] is None
    # Without the desks' regions nothing is precautionary: told to shelter, never reached.
    assert unknown["precautionary_areas"] == [] and {"JP:31", "JP:32"} <= set(
        unknown["false_areas"]
    )
    wrong, _ = judged(_Shifted(truth, 0.8), 1.0)
    assert "JP:32" in wrong["false_areas"] and wrong["precautionary_areas"] == []
    assert {r["code"]: r for r in wrong["areas"]}["32"]["region_m2"] > 50.0


def test_a_region_said_of_a_burning_object_is_judged_against_its_unpowered_flight():
    """The desk's corridor of a burning object is the flight that would follow if its thrust
    stopped now (``lookout.warn.hazard``). An SRBM 20 s into its burn, its corridor flown from
    a good radar estimate on its true state: 60 s on, the corridor says where it would be
    unpowered, the truth (still burning) is far ahead of that. Judged against what was said
    (the truth's own flight with thrust stopped then) the region holds it; against the
    burning truth it would not (satellite-launch's KR:41, 3.9 km off the booster's corridor at
    85 s, was false by 79 sigma for that reason)."""
    from types import SimpleNamespace

    from lookout.flight import Aim, fly
    from lookout.flight.plancache import plan_cached
    from lookout.warn.decide import _stated
    from lookout.warn.hazard import corridor
    from lookout.warn.judge import CHI2_2D_95, region_m2

    launch = plan_cached(38.90, 128.00, Aim(target_lat_deg=36.25, target_lon_deg=133.30),
                         "srbm-solid", object_id="A", launch_time=100.0)  # fmt: skip
    trajectories = fly([launch])
    truth = next(tr for tr in trajectories if tr.object_id == "A")
    t = truth.t_start + 20.0  # its burn ends at 27 s
    assert truth.thrusting_at(t)
    P = np.diag([300.0**2] * 3 + [15.0**2] * 3)
    c = corridor(t, truth.flown_state_at(t), P)
    k = int(np.searchsorted(c.times, t + 60.0))
    said = _stated(c, k)
    sim = SimpleNamespace(launches=[launch], trajectories=trajectories)
    assert region_m2(sim, "A", [said]) <= CHI2_2D_95
    assert region_m2(sim, "A", [{**said, "from_t_s": None}]) > CHI2_2D_95
    fall = _stated(c, c.times.size - 1, fall=True)
    assert region_m2(sim, "A", [fall]) <= CHI2_2D_95


def _stage_fall_call(expires_after_s: float):
    """world73 #06's space launch from Sriharikota (bearing 127.2, a 643 km orbit, lifting off
    117.2 s into a 910 s run) and Australia's signed IMPACT_PREDICTED for South Australia at
    +243 s on its second stage's fall, expiring ``expires_after_s`` after it is sent."""
    import dataclasses
    from datetime import timedelta
    from types import SimpleNamespace

    from lookout.exchange.keys import derive_key
    from lookout.flight import Aim, fly
    from lookout.flight.plancache import plan_cached
    from lookout.warn import areas
    from lookout.warn.decide import Decision
    from lookout.warn.issue import Issuer
    from lookout.warn.samples import sample_notice

    launch = plan_cached(13.72, 80.23, Aim(azimuth_deg=127.2, orbit_km=643.0), "slv-3stage",
                         object_id="SLV-1", launch_time=117.2)  # fmt: skip
    trajectories = fly([launch])
    epoch = sample_notice("IMPACT_PREDICTED", "AU").launch_time  # any epoch: the clock's zero
    sent = epoch + timedelta(seconds=117.2 + 243.0)
    notice = dataclasses.replace(
        sample_notice("IMPACT_PREDICTED", "AU"),
        areas=(areas.area("AU", "SA"),), sent=sent, launch_time=epoch + timedelta(seconds=117.2),
        expires=sent + timedelta(seconds=expires_after_s), event_id="E1",
    )  # fmt: skip
    alert = Issuer("AU", derive_key("test", "AU")).alert(
        Decision(117.2 + 243.0, notice, "impact_ellipse", {})
    )
    sim = SimpleNamespace(launches=[launch], trajectories=trajectories,
                          scenario=SimpleNamespace(duration_s=910.0, epoch=epoch))  # fmt: skip
    return sim, alert


def test_a_stage_that_comes_down_after_the_run_is_judged_where_it_falls():
    """The second stage comes down on South Australia's land 1,799 s after liftoff, 15 minutes
    after the run's end: the judge flies it to the ground, so the call is right (lead
    1,556 s), not false; no all-clear could come in the run, and the call, in force 30
    minutes, outlasts the fall. On its way the stage passes 200-650 km over Western Australia
    and the Northern Territory: a spent stage threatens where it comes down, so neither is
    missed. Had the call expired before the fall, the judge says so."""
    from types import SimpleNamespace

    from lookout.warn.judge import judge

    au = SimpleNamespace(id="AU", country="AU")
    sim, alert = _stage_fall_call(1800.0)
    got = judge(sim, [alert], {"E1": "SLV-1"}, [au])
    sa = next(r for r in got["areas"] if r["code"] == "SA")
    assert sa["truth_s"] == pytest.approx(1799.0, abs=2.0) and sa["lead_s"] > 1500.0
    assert got["false_areas"] == [] and got["precautionary_areas"] == []
    assert got["missed_areas"] == [] and got["late_areas"] == []
    assert got["sheltered_without_all_clear"] == []
    assert got["all_clear_after_run"] == ["AU:SA"] and got["expired_before_hazard_end"] == []
    sim, alert = _stage_fall_call(600.0)
    got = judge(sim, [alert], {"E1": "SLV-1"}, [au])
    assert got["expired_before_hazard_end"] == ["AU:SA"] and got["all_clear_after_run"] == []


def test_an_announced_flight_threatens_only_where_a_piece_falls_outside_its_notice():
    """world73 #06 with India's notice as the file gives it: the launch area at Sriharikota,
    the sector 122-135 degrees, the first stage's drop zone alone. The second stage comes down
    on South Australia, outside the notice: it threatens South Australia, where it falls, and
    only there. The ascent over Andhra Pradesh and Tamil Nadu, inside the sector, threatens
    nobody (on 8da49de the whole flight counted as unannounced: both were truly threatened,
    missed without a call), so India's shelter call for Andhra Pradesh at +60 s is false."""
    import dataclasses
    from datetime import timedelta
    from types import SimpleNamespace

    from lookout.exchange.keys import derive_key
    from lookout.scenario.schema import NoticeEntry
    from lookout.warn import areas
    from lookout.warn.decide import Decision
    from lookout.warn.issue import Issuer
    from lookout.warn.judge import announced_flights, judge
    from lookout.warn.samples import sample_notice

    sim, alert = _stage_fall_call(1800.0)
    notice = NoticeEntry(
        id="IN-SLV-1", partner="IN", window_s=(0.0, 417.2), site=(13.72, 80.23),
        site_radius_km=10.0, azimuth_deg=(122.2, 135.2), kind="space_launch",
        hazard_areas=(("stage 1", (8.07, 86.98, 50.0), None),),
    )  # fmt: skip
    partners = [SimpleNamespace(id=c, country=c) for c in ("IN", "AU")]
    sim.scenario.notices, sim.scenario.partners = (notice,), partners
    assert announced_flights(sim) == {}  # a piece leaves the notice: not wholly announced
    got = judge(sim, [alert], {"E1": "SLV-1"}, partners)
    assert got["missed_areas"] == [] and got["false_areas"] == []
    threatened = {(r["partner"], r["code"]) for r in got["areas"] if r["truth_s"] is not None}
    assert threatened == {("AU", "SA")}
    # Nothing told: South Australia alone is missed.
    assert judge(sim, [], {}, partners)["missed_areas"] == ["AU:SA"]
    # A shelter call for the pad's state, under the announced ascent, is a false call.
    epoch = sim.scenario.epoch
    sent = epoch + timedelta(seconds=117.2 + 60.0)
    call = dataclasses.replace(
        sample_notice("LAUNCH", "IN"), areas=(areas.area("IN", "AP"),), sent=sent,
        launch_time=epoch + timedelta(seconds=117.2), expires=sent + timedelta(hours=1),
        event_id="E1",
    )  # fmt: skip
    told = Issuer("IN", derive_key("test", "IN")).alert(
        Decision(117.2 + 60.0, call, "corridor", {})
    )
    got = judge(sim, [alert, told], {"E1": "SLV-1"}, partners)
    assert got["false_areas"] == ["IN:AP"] and got["missed_areas"] == []
    ap = next(r for r in got["areas"] if r["code"] == "AP")
    assert ap["shelter"] and ap["truth_s"] is None and ap["under_notice"]


def test_the_burning_ascent_threatens_nothing_under_the_ground_it_rose_from():
    """world77 #03: an MRBM from Abdul Kalam Island, in Odisha's territorial sea, burns 107 s
    and climbs out over that sea until +87 s (36 km up), its instantaneous impact point out of
    Odisha's waters from about +50 s; the first sensor saw it at +49 s, the picture had a track
    at +75 s. Odisha is not threatened by that ascent (07c19d2 judged it missed from +0 s): a
    failure would come down at its IIP, beyond, and is judged where it falls; the warhead and
    the spent body come down 1,000 km off in the Bay of Bengal. Nor by the coast that goes on
    climbing: an SRBM from the same island (world80 #04, world71 #01), burnt out 14 km up
    over Odisha's sea at +28 s, climbs on over it to +39-41 s, its impact point 300 km south
    (before: threatened from +28 s, called or missed by the picture's phase at burnout).
    Its descent and its fall threaten as any: one aimed inland comes down on Odisha, which it
    threatens from its apogee on. A launch from abroad threatens the ground under it burning
    or climbing, as before: a Sohae space launch over Gyeonggi's islands (korea71 #03,
    +154-177 s), North Korea's SRBM over them (korea72 #01, from +31 s, after burnout)."""
    from types import SimpleNamespace

    from lookout.flight import Aim, fly
    from lookout.flight.plancache import plan_cached
    from lookout.warn.judge import judge, truth_threats

    def flown(lat, lon, aim, vehicle, flight, t0):
        launch = plan_cached(lat, lon, aim, vehicle, object_id=flight, launch_time=t0)
        return SimpleNamespace(launches=[launch], trajectories=fly([launch]),
                               scenario=SimpleNamespace(duration_s=t0 + 700.0))  # fmt: skip

    mrbm = flown(20.76, 87.08, Aim(target_lat_deg=11.87, target_lon_deg=89.54), "mrbm-liquid",
                 "MRBM-1", 86.7)  # fmt: skip
    assert truth_threats(mrbm, "IN")["MRBM-1"]["areas"] == {}
    mrbm.labels = ["MRBM-1"]  # seen: a miss would be a miss
    assert judge(mrbm, [], {}, [SimpleNamespace(id="IN", country="IN")])["missed_areas"] == []
    srbm = flown(20.76, 87.08, Aim(target_lat_deg=18.24, target_lon_deg=87.28, loft=43.0),
                 "srbm-solid", "SRBM-1", 69.8)  # fmt: skip
    assert truth_threats(srbm, "IN")["SRBM-1"]["areas"] == {}
    inland = flown(20.76, 87.08, Aim(target_lat_deg=21.60, target_lon_deg=85.70), "srbm-solid",
                   "SRBM-2", 69.8)  # fmt: skip
    first, last = truth_threats(inland, "IN")["SRBM-2"]["areas"]["OR"]
    tr = inland.trajectories[0]
    ts = np.arange(tr.final_burnout().t, tr.t_end, 0.5)
    x = tr.state_at(ts)
    apogee = ts[np.argmax(np.einsum("ij,ij->i", x[:, :3], x[:, 3:]) <= 0.0)] - 69.8
    assert first == pytest.approx(apogee, abs=1.0) and last == pytest.approx(tr.t_end - 69.8)
    nk = flown(38.23, 125.10, Aim(target_lat_deg=36.40, target_lon_deg=124.09, loft=33.0),
               "srbm-solid", "SRBM-3", 82.2)  # fmt: skip
    first, _ = truth_threats(nk, "KR")["SRBM-3"]["areas"]["41"]
    t = 82.2 + first
    assert not nk.trajectories[0].thrusting_at(t)
    x = nk.trajectories[0].state_at(t)
    assert float(np.dot(x[:3], x[3:])) > 0.0  # climbing, after burnout
    slv = flown(39.66, 124.70, Aim(azimuth_deg=179.4, orbit_km=532.0), "slv-3stage", "SLV-1",
                113.7)  # fmt: skip
    first, _ = truth_threats(slv, "KR")["SLV-1"]["areas"]["41"]
    assert slv.trajectories[0].thrusting_at(113.7 + first)
