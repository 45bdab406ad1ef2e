"""The partners' warning areas: codes, known places, footprints, EEZs and sea names."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, box

from lookout.warn import areas as A
from lookout.warn.areas.seas import seas


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
    # The partners of issue 13.
    ("Beersheba", 31.2520, 34.7915, "IL", "6", True),
    ("Nevatim", 31.2080, 35.0120, "IL", "6", True),
    ("Eilat", 29.5577, 34.9519, "IL", "6", True),
    ("Jerusalem", 31.7780, 35.2200, "IL", "1", True),
    ("Tel Aviv", 32.0853, 34.7818, "IL", "5", True),
    ("Haifa", 32.7940, 34.9896, "IL", "3", True),
    ("Amman", 31.9539, 35.9106, "JO", "AM", True),
    ("Aqaba", 29.5320, 35.0063, "JO", "AQ", True),
    ("Irbid", 32.5556, 35.8500, "JO", "IR", True),
    ("Bhubaneswar", 20.2961, 85.8245, "IN", "OR", True),
    ("Mumbai", 19.0760, 72.8777, "IN", "MH", True),
    ("Port Blair", 11.6234, 92.7265, "IN", "AN", True),
    ("Kavaratti", 10.5593, 72.6358, "IN", "LD", False),
    ("Perth", -31.9523, 115.8613, "AU", "WA", True),
    ("Exmouth", -21.9300, 114.1300, "AU", "WA", False),
    ("Hobart", -42.8821, 147.3272, "AU", "TAS", True),
    ("Lord Howe Island", -31.5530, 159.0820, "AU", "NSW", False),
    ("Flying Fish Cove", -10.4217, 105.6791, "AU", "CX", False),
    ("West Island", -12.1883, 96.8290, "AU", "CC", False),
    ("Tijuana", 32.5149, -117.0382, "MX", "02", True),
    ("La Paz", 24.1426, -110.3128, "MX", "03", True),
    ("Mexico City", 19.4326, -99.1332, "MX", "09", True),
    ("London", 51.5072, -0.1276, "GB", "E12000007", True),
    ("Edinburgh", 55.9533, -3.1883, "GB", "S92000003", True),
    ("Lerwick", 60.1550, -1.1450, "GB", "S92000003", True),
    ("Cardiff", 51.4816, -3.1791, "GB", "W92000004", True),
    ("Belfast", 54.5973, -5.9301, "GB", "N92000002", True),
    ("Oslo", 59.9139, 10.7522, "NO", "03", True),
    ("Bergen", 60.3913, 5.3221, "NO", "46", True),
    ("Tromsø", 69.6492, 18.9553, "NO", "55", False),
    ("Vardø", 70.3705, 31.1087, "NO", "56", False),
    ("Longyearbyen", 78.2232, 15.6267, "NO", "21", False),
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


def test_the_new_partners_first_level_areas_and_codes():
    """Issue 13: Israel's six districts, Jordan's twelve governorates, India's 36 states and
    union territories, Australia's eight states and territories, Mexico's 32 states, the UK's
    twelve ITL 1 regions, Norway's fifteen counties and Svalbard, each with its ISO 3166-2 code
    as a geocode (England's regions have none: GSS and ITL 1)."""
    il = A.areas("IL")
    assert [a.code for a in il] == ["1", "2", "3", "4", "5", "6"]
    assert {a.iso_3166_2 for a in il} == {"IL-JM", "IL-Z", "IL-HA", "IL-M", "IL-TA", "IL-D"}
    south = A.area("IL", "IL-D")
    assert south.name_local == "מחוז הדרום" and south.name("ar") == "لواء الجنوب"
    assert south.geocodes == (("IL-CBS", "6"), ("ISO 3166-2", "IL-D"))
    assert south.timezone == "Asia/Jerusalem"
    jo = A.areas("JO")
    assert len(jo) == 12 and all(("ISO 3166-2", f"JO-{a.code}") in a.geocodes for a in jo)
    assert A.area("JO", "AQ").name_local == "محافظة العقبة"
    assert len(A.areas("IN")) == 36 and A.area("IN", "IN-OR").name("hi") == "ओडिशा"
    assert [a.code for a in A.areas("AU")] == [
        "ACT", "CC", "CX", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA"
    ]  # fmt: skip
    # The Indian Ocean Territories (Natural Earth admin-0 IOA), on their own islands' time.
    assert A.area("AU", "CX").timezone == "Indian/Christmas"
    assert A.area("AU", "CC").geocodes == (("ISO 3166-1", "CC"),)
    assert A.area("AU", "CC").name_en == "Cocos (Keeling) Islands"
    assert A.area("AU", "WA").timezone == "Australia/Perth"
    mx = A.areas("MX")
    assert [a.code for a in mx] == [f"{i:02d}" for i in range(1, 33)]
    assert A.area("MX", "09").iso_3166_2 == "MX-CMX" and A.area("MX", "02").name_local == (
        "Baja California"
    )
    assert A.area("MX", "02").timezone == "America/Tijuana"
    gb = A.areas("GB")
    assert len(gb) == 12 and A.area("GB", "E12000007").name_en == "London"
    assert ("ISO 3166-2", "GB-SCT") in A.area("GB", "S92000003").geocodes
    assert not any(k == "ISO 3166-2" for k, _ in A.area("GB", "E12000007").geocodes)
    no = A.areas("NO")
    assert len(no) == 16 and A.area("NO", "NO-50").name_local == "Trøndelag"
    assert A.area("NO", "21").timezone == "Arctic/Longyearbyen"
    for country, local in (("IL", "he"), ("JO", "ar"), ("IN", "hi"), ("MX", "es"), ("NO", "nb")):
        assert all(a.name(local) == a.name_local for a in A.areas(country))
        assert A.source(country)["source_sha256"] == A.source("JP")["source_sha256"]


def test_the_new_partners_eez_is_approximately_right():
    # Off Haifa and off Eilat: Israel's; off Gaza, and Jordan's land near the border: not.
    assert A.in_eez("IL", [32.90, 32.60, 31.45, 31.00], [34.70, 34.30, 34.20, 35.80]).tolist() == [
        True, True, False, False
    ]  # fmt: skip
    assert A.in_eez("JO", [29.42], [34.98]).tolist() == [True]
    # 150 km off Odisha (the Agni tests' range) and off Port Blair: India's; the Agni-V's
    # fall in the southern Indian Ocean: nobody's here.
    assert A.in_eez("IN", [19.0, 11.5, -23.0], [87.5, 93.5, 98.5]).tolist() == [True, True, False]
    assert not A.in_eez("AU", -23.0, 98.5)[0] and A.in_eez("AU", -23.5, 112.5)[0]
    # 150 km off Christmas Island and off the Cocos (Keeling) Islands: Australia's; the
    # Agni-V's second stage falls 400 km south of the Cocos, 30 km beyond 200 nmi: not.
    assert A.in_eez("AU", [-11.8, -13.5, -15.82], [105.7, 96.8, 96.50]).tolist() == [
        True, True, False
    ]  # fmt: skip
    assert A.in_eez("MX", [29.0, 20.0], [-116.2, -125.0]).tolist() == [True, False]
    assert A.in_eez("NO", [71.5, 76.0], [30.0, 15.0]).tolist() == [True, True]
    assert A.in_eez("GB", [57.5, 50.0], [0.5, -1.0]).tolist() == [True, False]


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
    assert A.sea_area(12.0, 65.0).key == "arabian_sea"
    assert A.sea_area(34.0, 33.0).name("ko") == "지중해"
    assert A.sea_area(43.0, 34.0).key == "mediterranean"  # the Black Sea
    assert A.sea_area(30.0, -40.0).name("es") == "océano Atlántico"
    assert A.sea_area(55.0, 3.0).key == "north_sea"
    assert A.sea_area(-40.0, 5.0).key == "atlantic" and A.sea_area(-40.0, 30.0).key == "indian"
    assert A.sea_area(75.0, 40.0).key == "barents_sea"
    assert A.sea_area(80.0, -10.0).key == "arctic" and A.sea_area(45.0, -30.0).key == "atlantic"
    # The new partners' seas (issue 13), named in their languages.
    assert A.sea_area(29.40, 34.93).name("he") == "ים סוף"  # off Eilat and Aqaba
    assert A.sea_area(29.40, 34.93).name("ar") == "البحر الأحمر"
    assert A.sea_area(32.60, 34.30).name("he") == "הים התיכון"
    assert A.sea_area(17.00, 86.00).name("hi") == "बंगाल की खाड़ी"
    assert A.sea_area(71.50, 30.00).name("nb") == "Barentshavet"
    assert A.sea_area(64.00, 5.00).name("nb") == "Norskehavet"
    assert A.sea_area(26.00, -111.0).name("es") == "golfo de California"
    assert A.sea_area(25.00, -90.00).key == "gulf_of_mexico"
    assert A.sea_area(-35.0, 155.0).key == "tasman_sea" and A.sea_area(-18, 150).key == "coral_sea"
    for sea in seas():
        assert all(sea.name(lang) != sea.name("en") or lang == "en"
                   for lang in ("he", "ar", "hi", "nb")), sea.key  # fmt: skip
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
