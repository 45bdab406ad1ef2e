"""Announced launches (issue 13): a partner's pre-launch notification in a scenario, signed on
the exchange, matched by the picture's launch events, and a desk that does not call people to
shelter for a partner's own scheduled launch while it stays within what was announced, and
warns as before for any launch it does not cover."""

from __future__ import annotations

import asyncio
import copy
import math
from pathlib import Path

import msgspec
import numpy as np
import pytest
import yaml
from test_warn_decide import run as run_desk

from lookout.app.coalition import Coalition
from lookout.assess.notices import Announcement
from lookout.exchange import Reason, derive_key, envelope_bytes, in_subject, seal
from lookout.flight import fly
from lookout.flight.plancache import plan_cached
from lookout.messages import LaunchNotice, SystemTrack, decode_msgpack, encode_msgpack
from lookout.picture.common import CommonPicture
from lookout.picture.fusion import FusedTrack
from lookout.scenario import ScenarioError, load, parse
from lookout.warn.decide import DeskConfig, WarnDesk
from lookout.warn.notice import default_authority

SLV = Path(__file__).parent / "data" / "scenarios" / "slv-vandenberg.yaml"
SHELTER = ("LAUNCH", "IMPACT_PREDICTED")


def raw_scenario() -> dict:
    return yaml.safe_load(SLV.read_text())


def notice_of(**change) -> LaunchNotice:
    """The scenario's US notice, with fields changed (radians, as on the wire)."""
    return msgspec.structs.replace(load(SLV).notices[0].message(), **change)


# --- the scenario's section -------------------------------------------------------------------


def test_the_scenario_carries_the_us_notice_as_a_valid_message():
    sc = load(SLV)
    (n,) = sc.notices
    assert (n.partner, n.kind, n.window_s, n.azimuth_deg) == (
        "US", "space_launch", (60.0, 960.0), (180.0, 200.0)
    )  # fmt: skip
    msg = n.message()
    msg.check()
    assert decode_msgpack(encode_msgpack(msg), type=LaunchNotice) == msg
    assert math.degrees(msg.site_lat_rad) == pytest.approx(34.63)
    assert [h.stage for h in msg.hazard_areas] == ["stage 1", "stage 2"]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("partner", "KP", r"notices\[0\]\.partner = 'KP', expected one of the partners"),
        ("window_s", [900, 60], r"notices\[0\]\.window_s = \[900, 60\], expected \[start_s"),
        ("azimuth_deg", [180, 400], r"notices\[0\]\.azimuth_deg\[1\] = 400"),
        ("site_radius_km", 0, r"notices\[0\]\.site_radius_km = 0"),
        ("kind", "missile", r"notices\[0\]\.kind = 'missile', expected one of"),
        ("hazard_areas", [{"stage": "1", "center": [25, -122]}], r"hazard_areas\[0\] = "),
        ("hazard_areas", [{"polygon": [[1, 2], [3, 4]]}], r"hazard_areas\[0\]\.polygon"),
        (
            "hazard_areas",
            [{"center": [25, -122], "radius_km": 9, "polygon": [[0, 0], [1, 0], [1, 1]]}],
            r"a circle \(center, radius_km\) or a polygon",
        ),
        (
            "hazard_areas",
            [{"polygon": [[0, 0], [1, 1], [0, 1], [1, 0]]}],
            r"hazard_areas\[0\]\.polygon = .*simple polygon",
        ),
        ("wind_kt", 5, r"notices\[0\]\.wind_kt"),
    ],
)
def test_a_bad_notice_field_is_named(path, value, expected):
    data = raw_scenario()
    data["notices"][0][path] = value
    with pytest.raises(ScenarioError, match=expected):
        parse(data)


# --- geometry ---------------------------------------------------------------------------------


def test_announcement_window_site_sector_and_hazards():
    an = Announcement.of(notice_of(azimuth_min_rad=math.radians(350), azimuth_max_rad=0.2))
    rad = math.radians
    assert an.in_window(120.0, 1.0) and not an.in_window(1200.0, 1.0)
    assert an.in_window(57.0, 0.1)  # 3 s early: within the 5 s floor of the time gate
    cov = np.diag([500.0**2, 500.0**2])
    assert an.at_site(rad(34.66), rad(-120.61), cov)  # 3 km off the centre: inside
    assert not an.at_site(rad(34.90), rad(-120.61), cov)  # 30 km: 20 km beyond, 0.5 km sigma
    assert an.at_site(rad(34.90), rad(-120.61), np.diag([1e4**2, 1e4**2]))  # 10 km sigma
    # The sector wraps through north (350 to 11.5 degrees): north is inside, east is not.
    north, east = (rad(40.0), rad(-120.61)), (rad(34.0), rad(-110.0))
    assert not an.off_sector(*north, cov) and an.off_sector(*east, cov)
    # Near the site a direction is not known; far with a wide ellipse, not beyond it.
    assert not an.off_sector(rad(34.60), rad(-120.50), cov)
    assert not an.off_sector(*east, np.diag([2e6**2, 2e6**2]))
    # The stage-1 hazard circle (25.5 N, 122.7 W, 150 km) and the stage-2 polygon.
    from lookout.warn.hazard import ellipse_polygon

    assert an.fall_in_hazard(ellipse_polygon(25.5, -121.4, cov))  # 130 km east of its centre
    assert not an.fall_in_hazard(ellipse_polygon(25.5, -120.5, cov))  # 220 km
    assert an.fall_in_hazard(ellipse_polygon(-29.0, -134.0, cov))


def test_hazard_areas_across_the_antimeridian():
    # A Pacific range: a stage's polygon from 175 E to 175 W, and a circle about 179.5 E.
    from lookout.messages import HazardArea
    from lookout.warn.hazard import ellipse_polygon

    rad = math.radians
    box_deg = [[10.0, 175.0], [10.0, -175.0], [20.0, -175.0], [20.0, 175.0]]
    an = Announcement.of(notice_of(hazard_areas=[
        HazardArea(stage="2", polygon_rad=[[rad(a), rad(b)] for a, b in box_deg]),
        HazardArea(stage="3", lat_rad=rad(-5.0), lon_rad=rad(179.5), radius_m=200e3),
    ]))  # fmt: skip
    cov = np.diag([5e3**2, 5e3**2])
    minx, _, maxx, _ = an.hazards.bounds
    assert -180.0 <= minx and maxx <= 180.0
    # Inside the box on either side of 180, and not the long way round (0 E, 150 W).
    assert an.fall_in_hazard(ellipse_polygon(15.0, 178.0, cov))
    assert an.fall_in_hazard(ellipse_polygon(15.0, -178.0, cov))
    assert an.fall_in_hazard(ellipse_polygon(15.0, 180.0, cov))  # an ellipse astride 180
    assert not an.fall_in_hazard(ellipse_polygon(15.0, 0.0, cov))
    assert not an.fall_in_hazard(ellipse_polygon(15.0, -150.0, cov))
    # The circle reaches 1.3 degrees past 180 on the west side.
    assert an.fall_in_hazard(ellipse_polygon(-5.0, -179.5, cov))
    assert not an.fall_in_hazard(ellipse_polygon(-5.0, -176.0, cov))
    # The scenario takes the same box; a ring round a pole is named.
    data = raw_scenario()
    data["notices"][0]["hazard_areas"] = [{"polygon": box_deg}]
    (n,) = parse(data).notices
    n.message().check()
    data["notices"][0]["hazard_areas"] = [{"polygon": [[80, 0], [80, 90], [80, 180], [80, -90]]}]
    with pytest.raises(ScenarioError, match=r"hazard_areas\[0\]\.polygon = .*holds no pole"):
        parse(data)
    polar = [[rad(80.0), rad(lo)] for lo in (0.0, 90.0, 180.0, -90.0)]
    with pytest.raises(ValueError, match=r"hazard_areas\[0\]\.polygon_rad: goes round a pole"):
        notice_of(hazard_areas=[HazardArea(polygon_rad=polar)]).check()


# --- the exchange -----------------------------------------------------------------------------


def test_a_notice_is_relayed_signed_and_a_forged_one_refused_and_counted(tmp_path):
    scenario = load(SLV)

    async def main():
        co = Coalition.build(scenario, tmp_path / "audit.sqlite", warn=True)
        try:
            await co.start()  # the US node sends its notice
            genuine = scenario.notices[0].message()
            forged_msg = msgspec.structs.replace(genuine, notice_id="FAKE-1")
            # Signed "US" with Mexico's key, and with no signature at all.
            for key in (derive_key(co.seed, "MX"), None):
                env = seal(forged_msg, "US", 10**6, co.clock.now_ns(), derive_key(co.seed, "MX"))
                if key is None:
                    env = msgspec.structs.replace(env, signature=bytes(64))
                await co.bus.publish(in_subject("US", "launch_notice"), envelope_bytes(env))
                await co.bus.flush()
            # A state that is not a partner has no key on the exchange (the DPRK's IMO notices).
            kp = msgspec.structs.replace(forged_msg, partner="KP", notice_id="KP-1")
            env = seal(kp, "KP", 1, co.clock.now_ns(), derive_key(co.seed, "KP"))
            await co.bus.publish(in_subject("KP", "launch_notice"), envelope_bytes(env))
            await co.bus.flush()
            return co
        finally:
            co.picture.close()
            co.audit.close()

    co = asyncio.run(main())
    assert dict(co.exchange.refused["US"]) == {Reason.FORGED: 2}
    assert dict(co.exchange.refused["KP"]) == {Reason.UNKNOWN_SENDER: 1}
    assert [n.notice_id for n in co.nodes["MX"].notices] == ["US-VSFB-2024-064"]
    assert co.nodes["US"].sent["launch_notice"] == 1
    assert list(co.picture.events.announcements) == [("US", "US-VSFB-2024-064")]
    assert list(co.nodes["US"].warner.desk.notices) == [("US", "US-VSFB-2024-064")]


# --- the picture and the desk -----------------------------------------------------------------

#: Position and velocity sigmas (m, m/s) of the synthetic tracks (as test_warn_decide).
SIGMA_POS, SIGMA_VEL = 300.0, 15.0
T_END = 340.0  # 100 s past the first stage's separation (240 s): its predicted fall


def picture_tracks(notices) -> tuple[list[SystemTrack], CommonPicture]:
    """Every object of the SLV flown on its truth through the picture's assessment and events,
    every 5 s from 20 s after liftoff, with ``notices`` announced to the picture first."""
    sc = load(SLV)
    ln = sc.launches[0]
    launch = plan_cached(
        ln.site_lat_deg, ln.site_lon_deg, ln.aim, ln.vehicle, object_id="M", launch_time=ln.time_s
    )
    picture = CommonPicture(assess_period_s=5.0)
    for n in notices:
        picture.ingest(n.partner, n)
    return flown_through(picture, fly([launch]), ln.time_s + 20.0, T_END, "US"), picture


def flown_through(picture, truths, t0: float, t1: float, partner: str) -> list[SystemTrack]:
    """``truths`` published through ``picture`` as fused tracks of ``partner`` every 5 s from
    ``t0`` to ``t1`` (each object from 5 s after its start to 1 s before its end), with
    ``SIGMA_POS``/``SIGMA_VEL`` covariances: the system tracks it made."""
    out = []
    P = np.diag([SIGMA_POS**2] * 3 + [SIGMA_VEL**2] * 3)
    for t in np.arange(t0, t1, 5.0):
        fts = [
            FusedTrack(
                f"S{k + 1}", float(t), tr.state_at(t), P, float(tr.thrusting_at(t)), (partner,)
            )
            for k, tr in enumerate(truths)
            if tr.t_start + 5.0 <= t <= tr.t_end - 1.0
        ]
        out += picture._publish(float(t), fts)
    return out


def us_desk(*notices) -> WarnDesk:
    sc = load(SLV)
    config = DeskConfig(
        "US", "US", ("en",), default_authority("US"), sc.epoch,
        partner_countries=(("US", "US"), ("MX", "MX")),
    )  # fmt: skip
    desk = WarnDesk(config)
    for n in notices:
        desk.notice(n)
    return desk


def shelter_areas(decisions) -> set[str]:
    return {a.key for d in decisions if d.notice.kind in SHELTER for a in d.notice.areas}


def stamped(tracks, *keys):
    """The tracks as a picture that matched them to other notices ("PARTNER/ID") sends them."""
    return [msgspec.structs.replace(st, notices=list(keys)) for st in tracks]


@pytest.fixture(scope="module")
def announced():
    genuine = notice_of()
    # Two other notices by the US, one for another window and one heading east: neither is
    # this launch's, and the genuine one, announced last, is the one it matches.
    other_window = notice_of(notice_id="US-LATER", window_start_ns=2000 * 10**9,
                             window_end_ns=3000 * 10**9)  # fmt: skip
    east = notice_of(notice_id="US-EAST", azimuth_min_rad=math.radians(60),
                     azimuth_max_rad=math.radians(120))  # fmt: skip
    tracks, picture = picture_tracks([other_window, east, genuine])
    return tracks, picture, genuine, (other_window, east)


def test_without_a_notice_the_slv_is_warned_as_before(announced):
    # The picture without the notice: the same tracks, matched to nothing (the match changes
    # nothing else of the picture).
    tracks = stamped(announced[0])
    decisions = run_desk(us_desk(notice_of()), tracks, T_END + 60.0)
    assert "US:06" in shelter_areas(decisions)  # California, as on d2d6b81


def test_the_announced_slv_gives_no_shelter_call(announced):
    tracks, picture, genuine, others = announced
    # Until its heading is known (sub-points near the pad) the launch fits the eastbound
    # notice too; once it is, only the genuine one, for good.
    matched = [tuple(st.notices) for st in tracks if st.event_id == "E1"]
    assert matched[0] == ("US/US-EAST", "US/US-VSFB-2024-064")
    assert matched[-1] == ("US/US-VSFB-2024-064",)
    (ev,) = picture.events.events.values()
    assert ev.failed_notices == {("US", "US-LATER"), ("US", "US-EAST")}
    desk = us_desk(genuine)
    decisions = run_desk(desk, tracks, T_END + 60.0)
    assert decisions == []
    assert desk.events["E1"].notices_left == {}
    # The US's own desk holds all three: the eastbound one is left as the IIP heads south.
    desk = us_desk(*others, genuine)
    assert run_desk(desk, tracks, T_END + 60.0) == []
    assert list(desk.events["E1"].notices_left) == [("US", "US-EAST")]
    # Its first stage's predicted fall was held against the stage-1 hazard area.
    assert any(o.impact_from_burnout for o in desk.events["E1"].objects.values())


def test_a_desk_without_the_notice_warns(announced):
    tracks = announced[0]
    assert "US:06" in shelter_areas(run_desk(us_desk(), tracks, T_END + 60.0))


def test_a_notice_by_a_partner_of_another_country_silences_nothing(announced):
    tracks, _, genuine, _ = announced
    mx = msgspec.structs.replace(genuine, partner="MX", notice_id="MX-1")
    decisions = run_desk(us_desk(mx), stamped(tracks, "MX/MX-1"), T_END + 60.0)
    assert "US:06" in shelter_areas(decisions)


def test_off_its_announced_azimuth_it_is_warned(announced):
    tracks, _, genuine, _ = announced
    # The desk holds the notice as 200-230 degrees (the flight heads 189): its IIP leaves
    # the sector, whatever the picture matched.
    off = msgspec.structs.replace(
        genuine, azimuth_min_rad=math.radians(200), azimuth_max_rad=math.radians(230)
    )
    desk = us_desk(off)
    decisions = run_desk(desk, tracks, T_END + 60.0)
    left = desk.events["E1"].notices_left[genuine.partner, genuine.notice_id]
    assert left["rule"] == "iip_off_sector"
    # Out of the notice it is warned as any launch from the desk's own ground: by where it
    # would come down were its thrust to stop (warn53). Its IIP was out at sea when it left:
    # no shelter call for California under its climb (07c19d2 called it, as for a reentry).
    assert "US:06" not in shelter_areas(decisions)


def test_a_fall_outside_the_hazard_areas_leaves_the_announcement(announced):
    tracks, _, genuine, _ = announced
    elsewhere = copy.deepcopy(genuine.hazard_areas)
    elsewhere[0] = msgspec.structs.replace(elsewhere[0], lat_rad=math.radians(20.0))
    desk = us_desk(msgspec.structs.replace(genuine, hazard_areas=elsewhere))
    run_desk(desk, tracks, T_END + 60.0)
    left = desk.events["E1"].notices_left[genuine.partner, genuine.notice_id]
    assert left["rule"] == "fall_outside_hazard_areas"
    assert left["impact_deg"][0] == pytest.approx(25.5, abs=1.0)


def test_the_judge_takes_an_announced_flight_within_its_notice_as_no_threat():
    from types import SimpleNamespace

    from lookout.warn.judge import announced_flights

    sc = load(SLV)
    ln = sc.launches[0]
    launch = plan_cached(
        ln.site_lat_deg, ln.site_lon_deg, ln.aim, ln.vehicle, object_id="M", launch_time=ln.time_s
    )
    truths = fly([launch])

    def judged(data):
        sim = SimpleNamespace(scenario=parse(data), launches=[launch], trajectories=truths)
        return announced_flights(sim)

    data = raw_scenario()
    assert judged(data) == {"M": "US/US-VSFB-2024-064"}
    changes = [
        ("azimuth_deg", [195, 230]),  # the flight heads 189-193 degrees
        ("window_s", [300, 900]),  # launched at 120 s
        ("hazard_areas", [{"stage": "1", "center": [20.0, -122.7], "radius_km": 150}]),
        ("partner", "MX"),  # Mexico announcing a launch from California
    ]
    for key, value in changes:
        changed = copy.deepcopy(data)
        changed["notices"][0][key] = value
        assert judged(changed) == {}, key


AGNI = SLV.parent / "icbm-agni-indian-ocean.yaml"


def test_the_agni_test_carries_indias_own_notice_and_stays_within_it():
    """India announces its own Agni test (a NOTAM and a NAVAREA VIII warning): the flight, its
    three stages and its payload stay within the notice (on 1407126 the scenario had none)."""
    from types import SimpleNamespace

    from lookout.warn.judge import announced_flights

    sc = load(AGNI)
    (n,) = sc.notices
    assert (n.partner, n.kind, n.id) == ("IN", "test", "IN-AGNI-2012-01")
    n.message().check()
    ln = sc.launches[0]
    launch = plan_cached(
        ln.site_lat_deg, ln.site_lon_deg, ln.aim, ln.vehicle, object_id=ln.id,
        launch_time=ln.time_s,
    )  # fmt: skip
    sim = SimpleNamespace(scenario=sc, launches=[launch], trajectories=fly([launch]))
    assert announced_flights(sim) == {"ICBM-1": "IN/IN-AGNI-2012-01"}


@pytest.mark.slow
def test_the_announced_agni_test_gives_no_warning_of_india(tmp_path):
    """icbm-agni-indian-ocean through the whole chain: India's desk, holding its own notice,
    tells Odisha nothing (on 1407126: a PASSED_OVER for Odisha 45 s after the launch)."""
    from lookout.app.demo import run_demo

    res = run_demo(load(AGNI), speed=0, audit_path=tmp_path / "audit.sqlite", duration_s=600.0)
    assert [a for a in res.state.alerts() if a.partner == "IN"] == []
    tracks = [st for st in res.state.picture.current.values() if st.event_id is not None]
    assert tracks and all(st.notices == ["IN/IN-AGNI-2012-01"] for st in tracks)


@pytest.mark.slow
def test_the_announced_slv_through_the_whole_chain_gives_no_alert(tmp_path):
    """slv-vandenberg with the US's notice through nodes, exchange, picture and desks (on
    d2d6b81: California told to shelter at +75 s); the replay of its log decides the same."""
    from lookout.app.demo import replay_alerts, run_demo

    res = run_demo(load(SLV), speed=0, audit_path=tmp_path / "audit.sqlite", duration_s=420.0)
    assert res.state.alerts() == []
    assert res.state.nodes["MX"].received["launch_notice"] == 1
    tracks = [st for st in res.state.picture.current.values() if st.event_id is not None]
    assert tracks and all(st.notices == ["US/US-VSFB-2024-064"] for st in tracks)
    assert all(r["identical"] for r in replay_alerts(tmp_path / "audit.sqlite").values())


#: world65 #02: a space launch from Naro (bearing 171.4, a 521 km orbit) and KR's notice as
#: the file gives it: the launch area, the sector 166.4-181.4 degrees, the first stage's drop
#: zone alone (its second stage comes down in South Australia).
NARO_T0 = 20.0


@pytest.fixture(scope="module")
def naro():
    """The Naro launch's objects flown on their truth through the picture (KR's notice
    announced to it first), every 5 s from 20 s after liftoff to 320 s, past the moment the
    second stage's predicted fall leaves the notice (+240 s)."""
    from lookout.flight import Aim
    from lookout.scenario.schema import NoticeEntry

    launch = plan_cached(34.43, 127.53, Aim(azimuth_deg=171.4, orbit_km=521.0), "slv-3stage",
                         object_id="SLV-1", launch_time=NARO_T0)  # fmt: skip
    truths = fly([launch])
    notice = NoticeEntry(
        id="KR-SLV-1", partner="KR", window_s=(0.0, 520.9), site=(34.43, 127.53),
        site_radius_km=10.0, azimuth_deg=(166.4, 181.4), kind="space_launch",
        hazard_areas=(("stage 1", (25.06, 128.55, 52.0), None),),
    ).message()  # fmt: skip
    picture = CommonPicture(assess_period_s=5.0)
    picture.ingest("KR", notice)
    return flown_through(picture, truths, NARO_T0 + 20.0, NARO_T0 + 320.0, "KR"), notice


def naro_desk(country: str, *notices) -> WarnDesk:
    config = DeskConfig(
        country, country, ("en",), default_authority(country), load(SLV).epoch,
        partner_countries=(("KR", "KR"), ("JP", "JP"), ("AU", "AU")),
    )  # fmt: skip
    desk = WarnDesk(config)
    for n in notices:
        desk.notice(n)
    return desk


@pytest.mark.slow
def test_an_announced_flight_is_warned_only_where_a_piece_leaves_its_notice(naro):
    """The picture matches the Naro launch to KR's notice throughout. At +240 s the second
    stage's predicted fall, in South Australia, leaves the notice (outside its hazard area):
    Australia is told to shelter for it, 23 minutes ahead. The ascent within the sector
    threatens nobody: Japan gets no call for Kagoshima and Okinawa under it (on 78bf4b0 the
    desk warned the whole flight once the stage left: both sheltered at +240 s, judged false),
    and Korea no PASSED_OVER for South Jeolla, its own pad's province."""
    tracks, notice = naro
    assert {tuple(st.notices) for st in tracks} == {("KR/KR-SLV-1",)}
    left_at = NARO_T0 + 240.0
    au = naro_desk("AU", notice)
    calls = [
        d for d in run_desk(au, tracks, tracks[-1].t_ns * 1e-9 + 60.0) if d.notice.kind in SHELTER
    ]
    assert [(d.notice.kind, [a.key for a in d.notice.areas]) for d in calls] == [
        ("IMPACT_PREDICTED", ["AU:SA"])
    ]
    assert calls[0].t <= left_at + 10.0 and calls[0].rule == "stage_impact_ellipse"
    (ev,) = au.events.values()
    how = ev.notices_left[notice.partner, notice.notice_id]
    assert how["rule"] == "fall_outside_hazard_areas" and how["t_s"] <= left_at + 5.0
    assert how["impact_time_s"] - how["t_s"] > 1300.0
    for country in ("JP", "KR"):
        assert run_desk(naro_desk(country, notice), tracks, tracks[-1].t_ns * 1e-9 + 60.0) == []
    # The ascent does pass over them: a desk without the notice warns Japan.
    bare = run_desk(naro_desk("JP"), tracks, tracks[-1].t_ns * 1e-9 + 60.0)
    assert {"JP:46", "JP:47"} <= shelter_areas(bare)
