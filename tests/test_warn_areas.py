"""The partners' warning areas: codes, known places, footprints, EEZs and sea names."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, box

from lookout.warn import areas as A


def test_japan_has_47_prefectures_with_jis_codes():
    jp = A.areas("JP")
    assert [a.code for a in jp] == [f"{i:02d}" for i in range(1, 48)]
    assert all(a.iso_3166_2 == f"JP-{a.code}" for a in jp)
    assert all(("JIS X 0401", a.code) in a.geocodes for a in jp)
    names = {a.code: a.name_local for a in jp}
    assert names["01"] == "北海道" and names["13"] == "東京都" and names["47"] == "沖縄県"
    assert A.area("JP", "JP-47").name("en") == "Okinawa Prefecture"


# 행정표준코드 시·도 code -> ISO 3166-2 (they differ for Sejong, Jeju, Gangwon and Jeonbuk).
KR_ISO = {
    "11": "KR-11", "26": "KR-26", "27": "KR-27", "28": "KR-28", "29": "KR-29", "30": "KR-30",
    "31": "KR-31", "36": "KR-50", "41": "KR-41", "43": "KR-43", "44": "KR-44", "46": "KR-46",
    "47": "KR-47", "48": "KR-48", "50": "KR-49", "51": "KR-42", "52": "KR-45",
}  # fmt: skip


def test_korea_has_17_divisions_with_the_iso_mapping():
    kr = A.areas("KR")
    assert len(kr) == 17
    assert {a.code: a.iso_3166_2 for a in kr} == KR_ISO
    assert A.area("KR", "50").name_local == "제주특별자치도"
    assert A.area("KR", "KR-49").code == "50"  # Jeju
    assert A.area("KR", "36").name_local == "세종특별자치시"
    assert A.area("KR", "KR-50").code == "36"  # Sejong
    assert A.area("KR", "42").code == "51"  # Gangwon's former code
    assert all(("KR-SIDO", a.code) in a.geocodes for a in kr)


def test_us_states_and_territories_with_same_codes():
    us = {a.iso_3166_2: a for a in A.areas("US")}
    assert len(us) == 56  # 50 states, DC, PR, GU, MP, AS, VI
    assert us["US-HI"].same_codes() == ("015000",)
    assert us["US-GU"].same_codes() == ("066010",)
    assert us["US-AK"].same_codes() == ("002000",)
    assert set(us["US-MP"].same_codes()) == {"069085", "069100", "069110", "069120"}
    assert us["US-HI"].code == "15" and ("FIPS", "15") in us["US-HI"].geocodes
    for a in us.values():
        assert all(len(c) == 6 and c.isdigit() and c[1:3] == a.code for c in a.same_codes())
    assert us["US-HI"].name("es") == "Hawái"


PLACES = [
    # (place, lat, lon, country, code, on land)
    ("Naha", 26.2124, 127.6792, "JP", "47", True),
    ("Miyako island", 24.7800, 125.3000, "JP", "47", True),
    ("Ishigaki", 24.3400, 124.1600, "JP", "47", True),
    ("Amami Oshima (Kagoshima)", 28.3770, 129.4940, "JP", "46", True),
    ("Hachijojima", 33.1100, 139.7900, "JP", "13", True),
    ("Chichijima", 27.0900, 142.1950, "JP", "13", False),  # below the 1:10m land's detail
    ("Minamitorishima", 24.2900, 153.9800, "JP", "13", True),
    ("Sapporo", 43.0620, 141.3540, "JP", "01", True),
    ("Aomori", 40.8220, 140.7470, "JP", "02", True),
    ("Seoul", 37.5665, 126.9780, "KR", "11", True),
    ("Jeju", 33.4996, 126.5312, "KR", "50", True),
    ("Sejong", 36.4800, 127.2890, "KR", "36", True),
    ("Ulleungdo", 37.4840, 130.9050, "KR", "47", True),
    ("Attu", 52.9000, 173.1500, "US", "02", True),
    ("Adak", 51.8800, -176.6500, "US", "02", True),
    ("Anchorage", 61.2180, -149.9000, "US", "02", True),
    ("Honolulu", 21.3070, -157.8580, "US", "15", True),
    ("Hagatna", 13.4740, 144.7520, "US", "66", True),
    ("Saipan", 15.1850, 145.7460, "US", "69", True),
]


@pytest.mark.parametrize("place,lat,lon,country,code,land", PLACES, ids=[p[0] for p in PLACES])
def test_known_places_are_in_their_area(place, lat, lon, country, code, land):
    found = [a.code for a in A.areas_at(country, lat, lon)[0]]
    assert code in found, f"{place} in {found}"
    if land:
        assert code in [a.code for a in A.areas_at(country, lat, lon, land=True)[0]]


def test_territorial_sea_is_in_the_footprint_and_the_open_sea_is_not():
    # Cape Erimo (41.925 N, 143.245 E): 10 nmi south is Hokkaido's sea, 30 nmi south is not.
    lat0, lon0 = 41.925, 143.245
    near, far = lat0 - 10 / 60, lat0 - 30 / 60
    inside = A.contains("JP", [near, far], [lon0, lon0])
    hokkaido = [a.code for a in A.areas("JP")].index("01")
    assert inside[hokkaido].tolist() == [True, False]
    assert A.areas_at("JP", near, lon0, land=True) == [()]
    # Landlocked: Saitama's footprint does not reach Tokyo Bay across Tokyo's land.
    assert "11" not in [a.code for a in A.areas_at("JP", 35.55, 139.95)[0]]


@pytest.mark.parametrize("country", A.COUNTRIES)
def test_footprints_contain_the_land_and_have_at_most_99_vertices(country):
    for a in A.areas(country):
        # 1e-5 degree: the shipped coordinates' precision.
        assert a.footprint.buffer(1e-5).contains(a.land), a.key
        for ring in a.polygons():
            assert ring[0] == ring[-1] and 4 <= len(ring) <= 100, (a.key, len(ring))
        lon0, lat0, lon1, lat1 = a.footprint.bounds
        assert -180 <= lon0 <= lon1 <= 180 and -90 <= lat0 <= lat1 <= 90


def test_small_islands_survive():
    tokyo = A.area("JP", "13")
    assert len(tokyo.polygons()) >= 5  # mainland, Izu, Ogasawara, Minamitorishima, ...
    okinawa = A.area("JP", "47")
    assert len(okinawa.polygons()) >= 4  # Okinawa, Miyako, Yaeyama, Daito, ...
    alaska = A.area("US", "02")
    assert alaska.footprint.bounds[0] == -180 and alaska.footprint.bounds[2] == 180
    assert alaska.footprint.intersects(box(172.0, 52.0, 174.0, 53.5))  # Attu and Agattu


def test_areas_meeting_a_ground_track():
    # Pyongyang over the Tsugaru strait to the Pacific (the 2017 and 2022 overflights).
    track = LineString([(125.75, 39.03), (140.5, 41.3), (145.0, 42.0), (157.2, 41.8)])
    met = {a.code for a in A.areas_meeting("JP", track)}
    assert {"01", "02"} <= met and "47" not in met
    # A corridor drawn across the antimeridian (lon 170..190) meets the Aleutians.
    corridor = box(170.0, 51.0, 190.0, 53.5)
    assert "02" in [a.code for a in A.areas_meeting("US", corridor)]
    assert A.areas_meeting("US", box(-150.0, 30.0, -149.0, 31.0)) == []


def test_eez_is_approximately_right():
    inside = A.in_eez(
        "JP", [41.50, 38.00, 24.30, 41.80, 39.50], [144.30, 135.00, 153.98, 157.20, 129.50]
    )
    # 100 km off Erimo, central Sea of Japan, Minamitorishima: Japan's; the 2017 IRBM's fall
    # 1,180 km east of Hokkaido and the sea off North Korea's east coast: not.
    assert inside.tolist() == [True, True, True, False, False]
    assert A.in_eez("KR", [37.30, 33.00], [131.60, 126.50]).tolist() == [True, True]
    us = A.in_eez("US", [14.60, 21.00, 30.00, 52.50], [146.80, -160.00, -140.00, 179.50])
    assert us.tolist() == [True, True, False, True]
    assert A.eez("JP").contains(A.area("JP", "47").land)


def test_sea_names():
    assert A.sea_area(40.0, 135.0).key == "sea_of_japan"
    assert A.sea_area(40.0, 135.0).name("ko") == "동해"
    assert A.sea_area(40.0, 135.0).name("en", "KR") == "East Sea"
    assert A.sea_area(40.0, 135.0).name("en", "JP") == "Sea of Japan"
    assert A.sea_area(41.8, 157.2).key == "pacific"
    assert A.sea_area(28.0, 125.0).key == "east_china_sea"
    assert A.sea_area(36.0, 123.0).key == "yellow_sea"
    assert A.sea_area(57.0, -175.0).key == "bering_sea"
    assert A.sea_area(20.0, 135.0).key == "philippine_sea"
    # Beyond the partners' seas (issue 13): no longer all the Pacific.
    assert A.sea_area(-23.0, 98.5).name("en") == "Indian Ocean"  # an Agni-V's fall
    assert A.sea_area(12.0, 65.0).key == "indian"  # the Arabian Sea
    assert A.sea_area(34.0, 33.0).name("ko") == "지중해"
    assert A.sea_area(43.0, 34.0).key == "mediterranean"  # the Black Sea
    assert A.sea_area(30.0, -40.0).name("es") == "océano Atlántico"
    assert A.sea_area(55.0, 3.0).key == "atlantic"  # the North Sea
    assert A.sea_area(-40.0, 5.0).key == "atlantic" and A.sea_area(-40.0, 30.0).key == "indian"
    assert A.sea_area(75.0, 40.0).key == "arctic"  # the Barents Sea
    assert A.sea_area(10.0, -100.0).key == "pacific" and A.sea_area(-50.0, 160.0).key == "pacific"


def test_nearest_area_and_geojson():
    area, dist, bearing = A.nearest_area("JP", 41.8, 157.2)
    assert area.code == "01" and 900e3 < dist < 1000e3 and 45 < bearing < 135
    feature = A.area("US", "66").geojson()
    assert feature["type"] == "Feature" and feature["properties"]["key"] == "US:66"
    geom = shapely.geometry.shape(feature["geometry"])
    assert geom.contains(shapely.Point(144.75, 13.47))
    collection = A.areas_geojson("KR")
    assert len(collection["features"]) == 17
    assert A.source("JP")["source_sha256"] and "Natural Earth" in A.source("JP")["source"]


def test_bad_codes_are_named():
    with pytest.raises(A.AreaError, match="'99' is not an area of JP"):
        A.area("JP", "99")
    with pytest.raises(A.AreaError, match="'FR' has no shipped areas"):
        A.areas("FR")


def test_vectorised_lookup_matches_single_points():
    lat = np.array([p[1] for p in PLACES])
    lon = np.array([p[2] for p in PLACES])
    many = A.areas_at("JP", lat, lon)
    for i in range(len(PLACES)):
        assert many[i] == A.areas_at("JP", lat[i], lon[i])[0]
