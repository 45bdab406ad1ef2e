"""Warnings for the partners of issue 13 (Israel, Jordan, India, Australia, Mexico, the UK,
Norway): each partner's desk warns its own areas in its own languages, a fall predicted on its
land is a shelter call whose alert areas contain the true impact point, and areas the flight
never threatens are not warned."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from lxml import etree
from test_warn_decide import EPOCH, by_area, flight, picture_tracks, run

from lookout.flight import Aim
from lookout.geodesy import ecef_to_geodetic
from lookout.scenario import load
from lookout.warn import areas as A
from lookout.warn.cap import CAP_NS, build_alert, read_ring, validate
from lookout.warn.decide import DeskConfig, WarnDesk
from lookout.warn.issue import warner_for, warns
from lookout.warn.notice import default_authority

NS = {"cap": CAP_NS}
SCENARIOS = "tests/data/scenarios"


def desk(country: str, languages: tuple[str, ...]) -> WarnDesk:
    config = DeskConfig(country, country, languages, default_authority(country), EPOCH)
    return WarnDesk(config)


def alert_rings(alert: bytes) -> list[shapely.Polygon]:
    """The polygons of every area of an alert's first info, as (lon, lat) shapes."""
    doc = etree.fromstring(alert)
    return [
        shapely.Polygon([(lon, lat) for lat, lon in read_ring(p.text)])
        for p in doc.findall("cap:info[1]/cap:area/cap:polygon", NS)
    ]


@pytest.mark.parametrize(
    "name,partner,languages",
    [
        ("mrbm-iran-israel", "IL", ("he", "ar", "en")),
        ("mrbm-iran-israel", "JO", ("ar", "en")),
        ("mrbm-iran-israel", "GB", ("en",)),
        ("icbm-agni-indian-ocean", "IN", ("hi", "en")),
        ("icbm-agni-indian-ocean", "AU", ("en",)),
        ("slv-vandenberg", "MX", ("es", "en")),
        ("icbm-plesetsk-kura", "NO", ("nb", "en")),
    ],
)
def test_the_new_partners_of_the_shipped_scenarios_warn_their_people(name, partner, languages):
    """On d2d6b81 none of them warned anybody (no areas, templates or authority)."""
    from lookout.exchange.keys import derive_key

    sc = load(f"{SCENARIOS}/{name}.yaml")
    p = sc.partner(partner)
    assert warns(p) and tuple(p.languages) == languages
    warner = warner_for(sc, partner, derive_key("test-warn-regions", partner))
    assert warner is not None and warner.desk.areas == A.areas(p.country)
    assert warner.desk.config.authority == default_authority(p.country)


@pytest.fixture(scope="module")
def nevatim():
    """mrbm-iran-israel's MRBM-1: from Kermanshah province to Nevatim, about 1,190 km."""
    return flight((34.35, 46.95), Aim(target_lat_deg=31.21, target_lon_deg=35.01, loft=300),
                  "mrbm-liquid")  # fmt: skip


@pytest.mark.slow
def test_israel_is_told_to_shelter_where_the_missile_falls(nevatim):
    truth = nevatim
    decisions = run(desk("IL", ("he", "ar", "en")), picture_tracks(truth), truth.t_end + 120.0)
    south = by_area(decisions, "IL:6")
    kinds = [d.notice.kind for d in south]
    assert "IMPACT_PREDICTED" in kinds and kinds.index("IMPACT_PREDICTED") < kinds.index(
        "FELL_ON_LAND"
    )
    assert kinds[-1] == "ALL_CLEAR"
    # The impact falls in the Southern District (Nevatim): every shelter call for it is
    # addressed to polygons that contain the true impact point, in every language.
    lat, lon = _ground(truth, truth.t_end)
    assert A.areas_at("IL", lat, lon, land=True)[0][0].code == "6"
    impact = shapely.Point(lon, lat)
    for d in south:
        alert = build_alert(d.notice)
        assert validate(alert) == []
        doc = etree.fromstring(alert)
        langs = [i.findtext("cap:language", namespaces=NS) for i in doc.findall("cap:info", NS)]
        assert langs == ["he-IL", "ar-IL", "en-IL"]
        if d.notice.shelter:
            assert any(r.contains(impact) for r in alert_rings(alert)), d.notice.kind
    # Nothing threatens the north: no district there is warned.
    warned = {a.key for d in decisions if d.notice.shelter for a in d.notice.areas}
    assert warned and not warned & {"IL:2", "IL:3"}
    assert not [d for d in decisions if d.notice.kind == "MARITIME"]


@pytest.mark.slow
def test_jordan_is_warned_only_under_the_flight_and_never_told_of_a_fall(nevatim):
    truth = nevatim
    decisions = run(desk("JO", ("ar", "en")), picture_tracks(truth), truth.t_end + 120.0)
    track = shapely.LineString(
        [(lon, lat) for lat, lon in (_ground(truth, t) for t in range(int(truth.t_start),
                                                                      int(truth.t_end), 5))]
    )  # fmt: skip
    for d in decisions:
        assert d.notice.kind not in ("IMPACT_PREDICTED", "FELL_ON_LAND", "MARITIME")
        for a in d.notice.areas:
            # Every governorate warned lies under the flight (within 100 km of its ground track).
            assert a.footprint.distance(track) < 1.0, a.key
        assert validate(build_alert(d.notice)) == []
    # Aqaba and Irbid, far off the flight, are never warned.
    assert not by_area(decisions, "JO:AQ") and not by_area(decisions, "JO:IR")


def _ground(truth, t) -> tuple[float, float]:
    """The ground point (lat, lon degrees) under a truth at time t."""
    lat, lon, _ = ecef_to_geodetic(truth.state_at(float(t))[:3])
    return float(np.degrees(lat)), float(np.degrees(lon))
