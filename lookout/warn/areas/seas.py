"""Names of the seas around the partners, for maritime messages and overflight texts.

The outlines are coarse polygons drawn by hand after the limits of IHO S-23 ("Limits of Oceans
and Seas", 1953) and are approximate to some tens of kilometres: good for naming the sea a
missile fell in, not for any legal purpose. Where they overlap the first listed wins. Beyond
the partners' seas, the Mediterranean (with the Black Sea), the Arctic Ocean (north of the
Arctic Circle), the Atlantic and the Indian Ocean are drawn coarser still (to about a hundred
kilometres; the Indian Ocean's limits are the meridians of Cape Agulhas, 20 E, and of Tasmania,
146.9 E, and the Indonesian islands), so that a flight elsewhere is not named in the Pacific;
a point in none is in the Pacific Ocean. Names follow each language's usage, and the partner's where
it differs (Korean 동해 and, in Korea's English, "East Sea" for the Sea of Japan).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import shapely
from shapely.geometry import Polygon

from lookout.warn.areas import SeaArea, wrap_lon

# key, names, outline (lon, lat) with longitudes in 0..360 so that the Bering Sea is whole.
_SEAS = [
    ("sea_of_japan",
     (("ja", "日本海"), ("ko", "동해"), ("en", "Sea of Japan"), ("en-KR", "East Sea"),
      ("es", "mar del Japón"), ("es-KR", "mar del Este"),
      ("he", "ים יפן"), ("ar", "بحر اليابان"), ("hi", "जापान सागर"), ("nb", "Japanhavet")),
     [(126.5, 34.3), (129.8, 33.2), (131.0, 34.2), (133.0, 35.7), (136.0, 36.4),
      (139.0, 38.4), (139.9, 40.5), (140.2, 41.5), (140.0, 43.2), (141.6, 45.4),
      (142.0, 46.5), (141.6, 52.0), (140.6, 53.0), (138.0, 50.0), (135.0, 46.0),
      (131.0, 42.5), (129.5, 40.5), (128.0, 38.0), (126.5, 34.3)]),
    ("sea_of_okhotsk",
     (("ja", "オホーツク海"), ("ko", "오호츠크해"), ("en", "Sea of Okhotsk"),
      ("es", "mar de Ojotsk"),
      ("he", "ים אוחוטסק"), ("ar", "بحر أوخوتسك"), ("hi", "ओखोत्स्क सागर"), ("nb", "Okhotskhavet")),
     [(141.6, 45.4), (145.4, 43.4), (150.0, 45.6), (156.0, 50.6), (156.7, 51.2),
      (156.0, 57.5), (150.0, 60.0), (140.0, 59.5), (137.0, 54.0), (141.6, 52.0),
      (142.0, 46.5), (141.6, 45.4)]),
    ("yellow_sea",
     (("ja", "黄海"), ("ko", "서해"), ("en", "Yellow Sea"), ("es", "mar Amarillo"),
      ("he", "הים הצהוב"), ("ar", "البحر الأصفر"), ("hi", "पीला सागर"), ("nb", "Gulehavet")),
     [(117.5, 41.0), (122.0, 41.0), (125.0, 40.0), (126.8, 37.5), (126.5, 34.3),
      (126.3, 33.2), (121.9, 31.7), (119.5, 34.0), (117.5, 38.0), (117.5, 41.0)]),
    ("east_china_sea",
     (("ja", "東シナ海"), ("ko", "동중국해"), ("en", "East China Sea"),
      ("es", "mar de China Oriental"),
      ("he", "ים סין המזרחי"), ("ar", "بحر الصين الشرقي"),
      ("hi", "पूर्वी चीन सागर"), ("nb", "Øst-Kinahavet")),
     [(121.9, 31.7), (126.3, 33.2), (126.5, 34.3), (128.6, 32.7), (129.8, 33.2),
      (130.6, 33.0), (131.0, 31.2), (130.5, 30.0), (129.0, 28.0), (127.8, 25.9),
      (125.5, 24.3), (123.0, 24.3), (121.9, 25.1), (120.0, 25.0), (119.5, 26.0),
      (121.9, 31.7)]),
    ("south_china_sea",
     (("ja", "南シナ海"), ("ko", "남중국해"), ("en", "South China Sea"),
      ("es", "mar de China Meridional"),
      ("he", "ים סין הדרומי"), ("ar", "بحر الصين الجنوبي"),
      ("hi", "दक्षिण चीन सागर"), ("nb", "Sør-Kinahavet")),
     [(103.0, 1.5), (105.0, 0.0), (117.0, 0.0), (119.5, 5.0), (120.5, 15.0), (120.5, 18.5),
      (121.8, 21.5), (121.0, 22.0), (120.0, 25.0), (117.0, 23.5), (110.0, 20.5),
      (106.0, 21.5), (105.0, 10.0), (103.0, 1.5)]),
    ("philippine_sea",
     (("ja", "フィリピン海"), ("ko", "필리핀해"), ("en", "Philippine Sea"),
      ("es", "mar de Filipinas"),
      ("he", "הים הפיליפיני"), ("ar", "بحر الفلبين"),
      ("hi", "फ़िलीपीन सागर"), ("nb", "Filippinhavet")),
     [(121.9, 25.1), (123.0, 24.3), (125.5, 24.3), (127.8, 25.9), (129.0, 28.0),
      (130.5, 30.0), (131.0, 31.2), (131.7, 32.5), (132.5, 33.0), (135.0, 33.5),
      (138.8, 34.6), (139.8, 34.8), (140.0, 33.0), (141.0, 28.0), (142.2, 26.5),
      (144.0, 20.0), (145.8, 15.2), (145.3, 13.0), (135.0, 8.0), (127.0, 6.5),
      (126.5, 9.0), (124.0, 18.5), (122.0, 18.5), (121.8, 21.5), (121.0, 22.0),
      (121.9, 25.1)]),
    ("bering_sea",
     (("ja", "ベーリング海"), ("ko", "베링해"), ("en", "Bering Sea"), ("es", "mar de Bering"),
      ("he", "ים ברינג"), ("ar", "بحر بيرينغ"), ("hi", "बेरिंग सागर"), ("nb", "Beringhavet")),
     [(162.0, 56.0), (166.0, 55.0), (172.5, 53.0), (180.0, 51.5), (187.0, 51.5),
      (195.0, 52.5), (197.0, 54.8), (203.0, 58.5), (198.0, 60.0), (195.0, 63.0),
      (192.0, 65.8), (190.0, 66.0), (180.0, 66.0), (178.0, 64.8), (170.0, 60.0),
      (163.0, 59.0), (162.0, 56.0)]),
    ("gulf_of_alaska",
     (("ja", "アラスカ湾"), ("ko", "알래스카만"), ("en", "Gulf of Alaska"),
      ("es", "golfo de Alaska"),
      ("he", "מפרץ אלסקה"), ("ar", "خليج ألاسكا"),
      ("hi", "अलास्का की खाड़ी"), ("nb", "Alaskabukta")),
     [(203.0, 56.5), (208.0, 57.5), (212.0, 60.5), (220.0, 60.0), (224.0, 58.0),
      (226.0, 55.0), (220.0, 52.5), (205.0, 54.5), (203.0, 56.5)]),
]  # fmt: skip

# The seas of the partners of issue 13 (Israel and Jordan, India, Australia, Mexico, the UK,
# Norway), drawn as coarsely as the oceans (to about a hundred kilometres), before them.
_MARGINAL = [
    ("red_sea",
     (("ja", "紅海"), ("ko", "홍해"), ("en", "Red Sea"), ("es", "mar Rojo"), ("he", "ים סוף"),
      ("ar", "البحر الأحمر"), ("hi", "लाल सागर"), ("nb", "Rødehavet")),
     [(32.2, 30.2), (34.3, 27.8), (34.8, 29.6), (35.1, 29.6), (35.0, 28.0), (39.0, 22.0),
      (42.0, 16.5), (43.6, 12.7), (43.2, 12.4), (41.0, 14.5), (38.5, 18.0), (36.5, 22.0),
      (35.0, 24.5), (33.5, 27.0), (32.2, 29.5), (32.2, 30.2)]),
    ("arabian_sea",
     (("ja", "アラビア海"), ("ko", "아라비아해"), ("en", "Arabian Sea"), ("es", "mar Arábigo"),
      ("he", "הים הערבי"), ("ar", "بحر العرب"), ("hi", "अरब सागर"), ("nb", "Arabiahavet")),
     [(54.5, 12.5), (59.8, 22.6), (61.6, 25.2), (67.2, 24.8), (72.8, 21.5), (73.0, 16.5),
      (74.7, 12.9), (76.3, 9.0), (77.5, 8.0), (73.2, -0.7), (54.5, 12.5)]),
    ("bay_of_bengal",
     (("ja", "ベンガル湾"), ("ko", "벵골만"), ("en", "Bay of Bengal"), ("es", "golfo de Bengala"),
      ("he", "מפרץ בנגל"), ("ar", "خليج البنغال"), ("hi", "बंगाल की खाड़ी"),
      ("nb", "Bengalbukta")),
     [(80.6, 5.9), (79.8, 10.3), (80.3, 13.5), (82.3, 16.6), (86.9, 20.8), (88.5, 22.0),
      (91.5, 22.5), (92.3, 20.5), (94.2, 16.0), (92.9, 13.5), (93.8, 7.0), (95.3, 5.6),
      (80.6, 5.9)]),
    ("north_sea",
     (("ja", "北海"), ("ko", "북해"), ("en", "North Sea"), ("es", "mar del Norte"),
      ("he", "הים הצפוני"), ("ar", "بحر الشمال"), ("hi", "उत्तरी सागर"), ("nb", "Nordsjøen")),
     [(1.4, 50.9), (4.0, 51.3), (8.5, 53.5), (8.0, 57.0), (10.5, 57.7), (8.0, 58.0),
      (5.0, 58.5), (5.0, 61.0), (-0.9, 61.0), (-3.0, 58.7), (-2.0, 56.0), (0.2, 53.5),
      (1.4, 50.9)]),
    ("norwegian_sea",
     (("ja", "ノルウェー海"), ("ko", "노르웨이해"), ("en", "Norwegian Sea"),
      ("es", "mar de Noruega"), ("he", "הים הנורווגי"), ("ar", "البحر النرويجي"),
      ("hi", "नॉर्वेजियन सागर"), ("nb", "Norskehavet")),
     [(5.0, 61.0), (-0.9, 61.0), (-7.0, 62.0), (-13.5, 65.0), (-8.0, 71.0), (19.0, 74.5),
      (20.0, 70.0), (14.0, 68.0), (5.0, 61.0)]),
    ("barents_sea",
     (("ja", "バレンツ海"), ("ko", "바렌츠해"), ("en", "Barents Sea"), ("es", "mar de Barents"),
      ("he", "ים ברנץ"), ("ar", "بحر بارنتس"), ("hi", "बैरेंट्स सागर"), ("nb", "Barentshavet")),
     [(19.0, 74.5), (20.0, 70.0), (30.0, 70.0), (41.0, 67.0), (44.0, 68.5), (55.0, 68.5),
      (58.0, 70.0), (55.0, 73.0), (62.0, 77.0), (65.0, 80.5), (45.0, 80.5), (28.0, 80.5),
      (19.0, 78.0), (19.0, 74.5)]),
    ("gulf_of_mexico",
     (("ja", "メキシコ湾"), ("ko", "멕시코만"), ("en", "Gulf of Mexico"),
      ("es", "golfo de México"), ("he", "מפרץ מקסיקו"), ("ar", "خليج المكسيك"),
      ("hi", "मेक्सिको की खाड़ी"), ("nb", "Mexicogolfen")),
     [(-97.5, 27.5), (-94.0, 30.0), (-89.0, 30.5), (-85.0, 30.0), (-82.5, 28.0), (-80.5, 25.2),
      (-81.0, 23.0), (-85.0, 21.8), (-86.8, 21.3), (-90.5, 21.0), (-92.0, 18.5), (-95.0, 18.2),
      (-97.5, 21.5), (-97.5, 27.5)]),
    ("caribbean",
     (("ja", "カリブ海"), ("ko", "카리브해"), ("en", "Caribbean Sea"), ("es", "mar Caribe"),
      ("he", "הים הקריבי"), ("ar", "البحر الكاريبي"), ("hi", "कैरिबियन सागर"),
      ("nb", "Karibhavet")),
     [(-87.5, 21.5), (-85.0, 21.9), (-77.0, 19.8), (-74.0, 20.0), (-68.5, 18.5), (-65.5, 18.3),
      (-61.5, 16.5), (-61.0, 14.0), (-61.5, 11.0), (-64.0, 10.5), (-72.0, 11.5), (-77.0, 9.0),
      (-80.0, 9.0), (-83.5, 10.5), (-83.5, 15.0), (-88.0, 15.8), (-87.5, 21.5)]),
    ("gulf_of_california",
     (("ja", "カリフォルニア湾"), ("ko", "캘리포니아만"), ("en", "Gulf of California"),
      ("es", "golfo de California"), ("he", "מפרץ קליפורניה"), ("ar", "خليج كاليفورنيا"),
      ("hi", "कैलिफ़ोर्निया की खाड़ी"), ("nb", "Californiabukta")),
     [(-114.9, 31.9), (-113.0, 31.3), (-109.0, 27.0), (-106.4, 23.2), (-109.9, 22.9),
      (-110.5, 24.5), (-112.2, 27.5), (-114.9, 31.9)]),
    ("tasman_sea",
     (("ja", "タスマン海"), ("ko", "태즈먼해"), ("en", "Tasman Sea"), ("es", "mar de Tasmania"),
      ("he", "ים טסמן"), ("ar", "بحر تسمان"), ("hi", "तस्मान सागर"), ("nb", "Tasmanhavet")),
     [(146.9, -43.6), (150.0, -37.5), (153.6, -28.0), (153.2, -24.7), (170.0, -30.0),
      (172.7, -34.4), (166.5, -46.0), (147.0, -47.0), (146.9, -43.6)]),
    ("coral_sea",
     (("ja", "珊瑚海"), ("ko", "산호해"), ("en", "Coral Sea"), ("es", "mar del Coral"),
      ("he", "ים האלמוגים"), ("ar", "بحر المرجان"), ("hi", "कोरल सागर"), ("nb", "Korallhavet")),
     [(142.5, -10.7), (145.5, -15.0), (147.0, -19.5), (150.5, -22.5), (153.2, -24.7),
      (163.0, -23.0), (167.0, -15.0), (162.0, -10.5), (155.0, -11.0), (150.0, -10.5),
      (145.0, -8.0), (142.5, -10.7)]),
]  # fmt: skip

# The oceans and the seas beyond the partners' (issue 13), after the partners' seas. Longitudes
# from -180 to 360: a point is looked up at its longitude in 0..360 and that minus 360, so the
# Atlantic, across the prime meridian, is one ring in -180..180.
_OCEANS = [
    ("mediterranean",
     (("ja", "地中海"), ("ko", "지중해"), ("en", "Mediterranean Sea"),
      ("es", "mar Mediterráneo"),
      ("he", "הים התיכון"), ("ar", "البحر المتوسط"), ("hi", "भूमध्य सागर"), ("nb", "Middelhavet")),
     [(-5.6, 37.0), (-5.6, 35.0), (10.0, 30.0), (32.5, 29.8), (36.5, 33.0), (36.5, 37.0),
      (42.0, 41.5), (41.0, 47.5), (28.0, 47.5), (26.0, 41.0), (20.0, 42.0), (12.0, 46.0),
      (6.0, 44.0), (3.0, 43.5), (-1.0, 39.0), (-5.6, 37.0)]),
    ("arctic",
     (("ja", "北極海"), ("ko", "북극해"), ("en", "Arctic Ocean"), ("es", "océano Ártico"),
      ("he", "אוקיינוס הקרח הצפוני"), ("ar", "المحيط المتجمد الشمالي"),
      ("hi", "आर्कटिक महासागर"), ("nb", "Nordishavet")),
     [(0.0, 66.5), (360.0, 66.5), (360.0, 90.0), (0.0, 90.0), (0.0, 66.5)]),
    ("atlantic",
     (("ja", "大西洋"), ("ko", "대서양"), ("en", "Atlantic Ocean"), ("es", "océano Atlántico"),
      ("he", "האוקיינוס האטלנטי"), ("ar", "المحيط الأطلسي"),
      ("hi", "अटलांटिक महासागर"), ("nb", "Atlanterhavet")),
     [(-67.3, -85.0), (-67.3, -55.9), (-79.5, 9.0), (-84.0, 10.0), (-90.0, 15.0),
      (-97.0, 18.0), (-98.0, 30.0), (-95.0, 50.0), (-80.0, 62.0), (-64.0, 66.5),
      (30.0, 66.5), (30.0, 53.0), (10.0, 53.0), (-2.0, 43.5), (-5.6, 37.0), (-5.6, 35.0),
      (-6.0, 33.0), (-17.0, 15.0), (9.0, 4.0), (12.0, -5.0), (20.0, -34.8), (20.0, -85.0),
      (-67.3, -85.0)]),
    ("indian",
     (("ja", "インド洋"), ("ko", "인도양"), ("en", "Indian Ocean"), ("es", "océano Índico"),
      ("he", "האוקיינוס ההודי"), ("ar", "المحيط الهندي"),
      ("hi", "हिंद महासागर"), ("nb", "Det indiske hav")),
     [(20.0, -85.0), (20.0, -34.8), (20.0, 10.0), (32.5, 29.8), (48.0, 31.0), (57.0, 27.0),
      (67.0, 25.0), (80.0, 25.0), (92.0, 23.0), (98.0, 16.0), (98.0, 8.0), (95.3, 5.6),
      (105.8, -5.9), (114.0, -8.5), (125.0, -9.0), (130.0, -11.0), (130.0, -20.0),
      (146.9, -43.6), (146.9, -85.0), (20.0, -85.0)]),
]  # fmt: skip

PACIFIC = SeaArea(
    "pacific",
    (
        ("ja", "太平洋"),
        ("ko", "태평양"),
        ("en", "Pacific Ocean"),
        ("es", "océano Pacífico"),
        ("he", "האוקיינוס השקט"),
        ("ar", "المحيط الهادئ"),
        ("hi", "प्रशांत महासागर"),
        ("nb", "Stillehavet"),
    ),
)


@cache
def _seas() -> tuple[tuple[SeaArea, ...], np.ndarray]:
    seas = tuple(SeaArea(key, names) for key, names, _ in _SEAS + _MARGINAL + _OCEANS)
    polys = np.array([Polygon(ring) for _, _, ring in _SEAS + _MARGINAL + _OCEANS], dtype=object)
    shapely.prepare(polys)
    return seas, polys


def seas() -> tuple[SeaArea, ...]:
    """Every named sea (the Pacific Ocean, the default, last)."""
    return (*_seas()[0], PACIFIC)


def sea_area(lat_deg: float, lon_deg: float) -> SeaArea:
    """The named sea at a point (the Pacific Ocean if in none of the others)."""
    seas_, polys = _seas()
    lon = float(wrap_lon(lon_deg)) % 360.0
    for sea, poly in zip(seas_, polys, strict=True):
        if shapely.contains_xy(poly, lon, lat_deg) or shapely.contains_xy(poly, lon - 360, lat_deg):
            return sea
    return PACIFIC
