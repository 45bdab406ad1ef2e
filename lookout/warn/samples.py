"""Sample notices of every kind for each partner, and the warnings page built from them.

The samples are made-up but plausible facts (a launch from North Korea towards Hokkaido, Seoul,
Guam); they feed the tests of the formats and ``docs/warnings.md``, which shows every template
rendered in full::

    python -m lookout.warn.samples > docs/warnings.md
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from lookout.warn import areas as areas_mod
from lookout.warn.notice import (
    KINDS,
    Ellipse,
    Impact,
    Notice,
    Passage,
    Reference,
    default_authority,
)

LANGUAGES = {
    "JP": ("ja", "en"), "KR": ("ko", "en"), "US": ("en", "es"), "IL": ("he", "ar", "en"),
    "JO": ("ar", "en"), "IN": ("hi", "en"), "AU": ("en",), "MX": ("es", "en"), "GB": ("en",),
    "NO": ("nb", "en"),
}  # fmt: skip
LAUNCH_TIME = datetime(2017, 8, 28, 20, 57, 30, tzinfo=UTC)

# country: area codes, an impact on land, an impact at sea inside the EEZ, the overflight
_FACTS = {
    "JP": (("01", "02", "03"), (42.95, 143.20), (40.90, 146.40), 98.0),
    "KR": (("11", "41"), (37.55, 126.98), (37.30, 131.60), 85.0),
    "US": (("66", "69"), (13.45, 144.78), (14.60, 146.80), 120.0),
    # The partners of issue 13 (launches from the territory in _LAUNCHED_FROM).
    "IL": (("6", "1"), (31.21, 35.01), (32.60, 34.30), 250.0),
    "JO": (("MN", "AQ"), (29.80, 35.60), (29.42, 34.98), 240.0),
    "IN": (("OR", "AP"), (19.80, 85.50), (17.00, 86.00), 165.0),
    "AU": (("WA",), (-22.50, 114.50), (-23.50, 112.50), 160.0),
    "MX": (("02", "03"), (28.00, -114.00), (29.00, -116.20), 189.0),
    "GB": (("S92000003",), (57.50, -4.50), (57.50, 0.50), 280.0),
    "NO": (("56", "55"), (70.00, 25.00), (71.50, 30.00), 300.0),
}
# Where each partner's sample launch comes from (ISO 3166-1; None: an unknown site), and where.
_LAUNCHED_FROM = {
    "IL": ("IR", 34.35, 46.95), "JO": ("IR", 34.35, 46.95), "IN": (None, 20.76, 87.08),
    "AU": ("KP", 39.03, 125.75), "MX": ("US", 34.63, -120.61), "GB": ("RU", 62.93, 40.57),
    "NO": ("RU", 69.20, 33.40),
}  # fmt: skip
_OFFSET_S = {
    "LAUNCH": 150,
    "IMPACT_PREDICTED": 240,
    "PASSED_OVER": 480,
    "FELL_AT_SEA": 840,
    "FELL_ON_LAND": 600,
    "NO_THREAT": 300,
    "ALL_CLEAR": 1500,
    "MARITIME": 900,
    "CORRECTION": 420,
}


def sample_notice(
    kind: str, country: str, status: str = "Exercise", *, references: int | None = None
) -> Notice:
    """A plausible notice of a kind for a partner country ("JP", "KR", "US", "IL", ...)."""
    codes, land, sea, heading = _FACTS[country]
    territory, launch_lat, launch_lon = _LAUNCHED_FROM.get(country, ("KP", 39.03, 125.75))
    authority = default_authority(country)
    sent = LAUNCH_TIME + timedelta(seconds=_OFFSET_S[kind])
    area_list = tuple(areas_mod.area(country, c) for c in codes)
    if kind in ("IMPACT_PREDICTED", "FELL_ON_LAND"):
        area_list = area_list[:1]
    n_refs = references if references is not None else (0 if kind == "LAUNCH" else 1)
    refs = tuple(
        Reference(
            authority.sender,
            f"LOOKOUT-{country}-EV1-{i + 1:03d}",
            LAUNCH_TIME + timedelta(seconds=120 + 30 * i),
        )
        for i in range(n_refs)
    )
    impact = passage = None
    inside_eez = None
    sea_area = None
    if kind in ("IMPACT_PREDICTED", "FELL_ON_LAND"):
        impact = Impact(land[0], land[1], LAUNCH_TIME + timedelta(seconds=720),
                        Ellipse(18e3, 6e3, heading))  # fmt: skip
    elif kind in ("FELL_AT_SEA", "MARITIME"):
        impact = Impact(sea[0], sea[1], LAUNCH_TIME + timedelta(seconds=840),
                        Ellipse(25e3, 8e3, heading))  # fmt: skip
        inside_eez = bool(areas_mod.in_eez(country, sea[0], sea[1])[0])
        sea_area = areas_mod.sea_area(sea[0], sea[1])
        if kind == "MARITIME":
            area_list = ()
    elif kind == "PASSED_OVER":
        passage = Passage(LAUNCH_TIME + timedelta(seconds=420), heading,
                          areas_mod.sea_area(sea[0], sea[1]))  # fmt: skip
    return Notice(
        kind=kind,
        partner=country,
        country=country,
        authority=authority,
        languages=LANGUAGES[country],
        status=status,
        identifier=f"LOOKOUT-{country}-EV1-{n_refs + 1:03d}",
        sent=sent,
        expires=sent + timedelta(hours=1),
        event_id="EV1",
        areas=area_list,
        launch_time=LAUNCH_TIME,
        launch_territory=territory,
        launch_lat_deg=launch_lat,
        launch_lon_deg=launch_lon,
        references=refs,
        impact=impact,
        passage=passage,
        inside_eez=inside_eez,
        sea_area=sea_area,
    )


def all_samples(status: str = "Exercise"):
    """Every (country, kind, notice) sample."""
    for country in LANGUAGES:
        for kind in KINDS:
            yield country, kind, sample_notice(kind, country, status)


def warnings_page() -> str:
    """``docs/warnings.md``: every template rendered in every language, with lengths."""
    from lookout.warn.cap import FIELDS, texts

    out = [
        "# Public warnings: areas, CAP 1.2 messages, every text in full",
        "",
        *_formats_section(),
        "## Every message",
        "",
        "Generated by `python -m lookout.warn.samples > docs/warnings.md` from the template",
        "files in `lookout/warn/templates/` (one per language) and made-up facts (a launch from",
        "North Korea at 05:57:30 JST towards Hokkaido, Seoul, Guam; for the new partners from",
        "Iran, an unknown site, North Korea, the US or Russia). The facts in `{...}` of a",
        "template are filled from the notice: times in the authority's zone, places as the",
        "nearest area's land with direction and distance, the named sea. The table under each",
        "message gives the lengths (characters) of the short text (WEA `CMAMtext` and Korea's",
        "cell broadcast: at most 90) and the long one (WEA `CMAMlongtext`: at most 360).",
        "",
        "Shown as an exercise (`status` Exercise, as every run of a simulated scenario is): each",
        "text carries the exercise mark of its language (【訓練】, [훈련], EXERCISE, EJERCICIO,",
        "תרגיל, تمرين, अभ्यास, ØVELSE),",
        'the description says so, and none ever says "not a drill". An `Actual` message is the',
        "same text without the mark.",
        "",
        "| kind | responseType | certainty | CAP msgType | US SAME event |",
        "|---|---|---|---|---|",
    ]
    for kind in KINDS:
        n = sample_notice(kind, "US")
        same = "CDW" if n.shelter else "CEM"
        out.append(f"| {kind} | {n.response_type} | {n.certainty} | {n.msg_type} | {same} |")
    out.append("")
    for country, langs in LANGUAGES.items():
        out += [f"## {country} ({', '.join(langs)})", ""]
        for kind in KINDS:
            n = sample_notice(kind, country)
            out += [f"### {country} {kind}", ""]
            for lang in langs:
                tx = texts(n, lang)
                out.append(f"**{lang}**")
                out.append("")
                for name in FIELDS:
                    value = tx[name].replace("\n", "<br>")
                    out.append(f"- `{name}` ({len(tx[name])}): {value}")
                out.append("")
    return "\n".join(out) + "\n"


def _formats_section() -> list[str]:
    """The areas and formats part of the page, with figures computed from the shipped data."""
    import shapely

    out = [
        "`lookout.warn` writes each partner's public warnings for its own areas. The lifecycle",
        "(which message, when, for which areas) decides a `Notice` (`lookout/warn/notice.py`);",
        "this page is about what a notice becomes.",
        "",
        "## Areas (`lookout/warn/areas`)",
        "",
        "Each partner's first-level areas, shipped and read offline: Japan's prefectures",
        "(JIS X 0401 codes), Korea's 시·도 (행정표준코드, with ISO 3166-2: they differ for",
        "Sejong 36/KR-50, Jeju 50/KR-49, Gangwon 51/KR-42, Jeonbuk 52/KR-45), the US states,",
        "DC and territories (state FIPS; SAME `PSSCCC`, `0SS000` for a whole state, Guam",
        "066010, the Northern Marianas' four municipalities 069085/100/110/120). Source:",
        "Natural Earth 1:10m admin-1 (public domain), regenerated by",
        "`lookout/warn/areas/data/make_areas.py`, which records the source's SHA-256 in each",
        "data file and says what it fixes (the Amami islands, which Natural Earth puts in",
        "Okinawa, go to Kagoshima).",
        "",
        "The partners of issue 13, from the same source, each area with its ISO 3166-2 code as",
        "a `<geocode>`: Israel's six districts (מחוזות, Central Bureau of Statistics codes 1-6),",
        "Jordan's twelve governorates, India's 28 states and 8 union territories, Australia's",
        "six states and two territories (Lord Howe Island in New South Wales, Macquarie Island",
        "in Tasmania, the Jervis Bay Territory with the ACT, whose laws apply there), Mexico's 32",
        "states (INEGI codes; Mexico City is MX-CMX), the UK's twelve ITL 1 regions and Norway's",
        "fifteen counties of 2024 with Svalbard (county numbers). These are what a national",
        "authority can name, not always what it addresses:",
        "",
        "- Israel: the Home Front Command sends its alerts to its own alert zones (אזורי",
        "  התרעה, most a town or a part of one), far finer than a district; a district-wide",
        "  call here warns more people than the Command would. The districts are the finest",
        "  areas in the public source; they are as Natural Earth draws them (the Golan Heights",
        "  in the Northern District, the West Bank in none).",
        "- The UK: Natural Earth's ~230 counties and unitary authorities are not what UK",
        "  Emergency Alerts addresses (it broadcasts to drawn polygons); its four nations would",
        "  put all of England (56 million people) under one call for a fall anywhere in it. So",
        "  the areas are England's nine regions with Scotland, Wales and Northern Ireland (ITL 1;",
        "  GSS codes, with the ITL 1 code; ISO 3166-2 only for the three nations, England's",
        "  regions having none). The Isle of Man and the Channel Islands are not the UK's.",
        "- Norway: Natural Earth has the 19 counties before 2020; they are merged into the 15 of",
        "  2024 (Innlandet, Agder, Vestland, Trøndelag), without the few municipalities that",
        "  changed county since. Jan Mayen and Bouvet Island are not areas.",
        "- Australia: its eight states and territories, and Christmas Island and the Cocos",
        "  (Keeling) Islands (Natural Earth's admin-0 Indian Ocean Territories, an area each,",
        "  coded by their ISO 3166-1 codes CX and CC, which stand for them: they have no ISO",
        "  3166-2 code). Norfolk Island and Heard Island are not areas; their coasts count for the",
        "  EEZ.",
        "",
        "An area's `footprint`, the polygon a warning is addressed to, is its land plus its",
        "territorial sea (12 nmi), simplified *outward*: each polygon buffered by the smallest",
        "margin (0.5 km at least) whose simplification keeps at most 99 distinct vertices (a CAP",
        "ring of at most 100 points) and still contains the exact land and sea. Every island",
        "keeps its own polygon, so the Ryukyus, the Izu and Ogasawara islands, the Aleutians",
        "and the Marianas are all there. Polygons crossing the antimeridian are split at it.",
        "",
        "| country | areas | polygons | largest polygon (vertices) | largest outward margin |",
        "|---|---|---|---|---|",
    ]
    for country in areas_mod.COUNTRIES:
        alist = areas_mod.areas(country)
        rings = [r for a in alist for r in a.polygons()]
        with_margin = _margins(country)
        out.append(
            f"| {country} | {len(alist)} | {len(rings)} | {max(len(r) - 1 for r in rings)} "
            f"| {with_margin} |"
        )
    jp_eez = areas_mod.eez("JP")
    out += [
        "",
        "`eez(country)` is the partner's exclusive economic zone, *approximate*: the sea within",
        "200 nmi of its 1:10m coasts and nearer to them than to any other country's (an",
        "equidistance line), on a 0.05 degree grid (0.1 for the US, whose zone is its Pacific",
        "part). Real zones follow baselines, treaties and disputes this does not know.",
        f"Japan's comes out at {len(shapely.get_coordinates(jp_eez))} vertices. The new",
        "partners' grids are 0.02 degree for Israel, 0.01 for Jordan (the Gulf of Aqaba),",
        "0.05 for the UK and 0.1 for India, Australia (with Norfolk's and Heard's coasts),",
        "Mexico and Norway (with Svalbard's zone, a fisheries protection zone in law), and",
        "their neighbours' land is cut out of them.",
        "`sea_area(lat, lon)` names the sea (Sea of Japan / 동해 / East Sea in Korea's",
        "English, East China, Yellow, Okhotsk, Philippine, South China and Bering seas, Gulf",
        "of Alaska; for the new partners the Red, Arabian, North, Norwegian, Barents, Tasman",
        "and Coral seas, the Bay of Bengal, the Gulfs of Mexico and California and the",
        "Caribbean; the Mediterranean, Arctic, Atlantic and Indian oceans; else the Pacific)",
        "from coarse outlines after IHO S-23, in every template's language.",
        "`Area.geojson()` gives an area's footprint (or land) as a GeoJSON Feature for maps.",
        "",
        "## CAP 1.2 (`lookout/warn/cap.py`)",
        "",
        "One `<alert>` per notice: `sender`/`senderName` of the partner's authority (defaults",
        "per country, overridable; the defaults use the reserved `.example` domain), `sent` and",
        "`expires` in the authority's zone with a `±hh:mm` offset, `status` Exercise (every",
        "simulated run) or Actual, `msgType` Alert for an event's first message to the areas",
        "and Update after, with `<references>` listing every earlier one; a withdrawal is an",
        "Update with responseType AllClear and readable text, never a bare Cancel. The event id",
        "is in `<incidents>` and in the parameter `LookoutEvent`. One `<info>` per language;",
        "`<area>` per area with its name in that language, its codes as `<geocode>` and its",
        "footprint's polygons; a maritime message is addressed to the 95 % ellipse at sea.",
        "US alerts add `<code>IPAWSv1.0</code>`, the SAME event code (CDW for a shelter call,",
        "CEM otherwise), `EAS-ORG` CIV, `WEAHandling` Imminent Threat (all-clears too, so that",
        "they reach every phone the warning reached), `CMAMtext` and `CMAMlongtext`; at most 31",
        "SAME codes per message (more is an error naming the count: split the areas). Korean",
        "alerts carry the cell-broadcast text as `CBStext`. The `<language>` of an info names",
        "the country for the US and the new partners (he-IL, ar-IL, ar-JO, hi-IN, en-AU,",
        "es-MX, en-GB, nb-NO); Hebrew and Arabic are plain UTF-8 text, right to left as any",
        "reader shows them.",
        "",
        "Default authorities (`.example` senders): Israel's Home Front Command (פיקוד העורף),",
        "Jordan's National Centre for Security and Crisis Management, India's National Disaster",
        "Management Authority (SACHET), Australia's National Emergency Management Agency,",
        "Mexico's Coordinación Nacional de Protección Civil, UK Government Emergency Alerts",
        "and Norway's Directorate for Civil Protection (Nødvarsel). Australia, Mexico and",
        "Norway write times in each area's own zone.",
        "",
        "Every alert is checked against the OASIS CAP 1.2 schema and US alerts against the",
        "IPAWS profile (`lookout/warn/schema/`, see its README for where the files come from):",
        "`lookout.warn.cap.validate(alert)` returns the errors.",
        "",
        "## Signature (`lookout/warn/sign.py`) and Atom (`lookout/warn/atom.py`)",
        "",
        "Alerts are signed with an enveloped XML signature (signxml; ECDSA P-256 with SHA-256,",
        "exclusive canonicalisation), the last child of `<alert>`, where both schemas allow it.",
        "XML-DSig has no Ed25519, so each partner's alert key is derived from its Ed25519",
        "exchange key (HKDF-SHA256 to a P-256 scalar) and published as a self-signed",
        "certificate; signatures use RFC 6979 deterministic nonces, so the same alert signs to",
        "the same bytes and replays reproduce them. `verify_alert(alert, certificate)` returns",
        "what the signature covers or raises `AlertSignatureError` (tampered, unsigned, another",
        "signer).",
        "",
        "`build_feed(alerts, ...)` writes an Atom (RFC 4287) index of the alerts given (use",
        "`active(alerts, now)` for those still in force: not expired, not replaced by an update),",
        "one entry per alert with a `tag:` id, the headline, a link to the alert file",
        "(`alert_filename(identifier)`) and, as the NWS and IPAWS feeds do, a few `cap:`",
        "elements (event, status, msgType, urgency, severity, certainty, expires, areaDesc, SAME).",
        "",
    ]
    return out


def _margins(country: str) -> str:
    import json
    from importlib import resources

    doc = json.loads(
        resources.files("lookout.warn.areas").joinpath("data", f"{country}.json").read_text()
    )
    worst = max(doc["areas"], key=lambda a: a["margin_m"])
    return f"{worst['margin_m'] / 1e3:.1f} km ({worst['names']['en']})"


if __name__ == "__main__":
    sys.stdout.write(warnings_page())
