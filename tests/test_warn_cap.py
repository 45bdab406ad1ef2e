"""CAP 1.2 alerts from notices: the OASIS and IPAWS schemas, the fields each channel needs, the
exercise marking, the length limits per channel and language, the J-Alert wording."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta

import pytest
import shapely
from lxml import etree

from lookout.warn import areas as A
from lookout.warn.areas.seas import seas
from lookout.warn.cap import (
    LONG_MAX,
    SHORT_MAX,
    build_alert,
    template,
    texts,
    validate,
)
from lookout.warn.notice import KINDS, NoticeError, Reference
from lookout.warn.samples import LANGUAGES, all_samples, sample_notice

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
MARKS = {
    "ja": "【訓練】", "ko": "[훈련]", "en": "EXERCISE", "es": "EJERCICIO", "he": "תרגיל",
    "ar": "تمرين", "hi": "अभ्यास", "nb": "ØVELSE",
}  # fmt: skip
NOT_A_DRILL = (
    "not a drill", "訓練ではありません", "훈련이 아닙니다", "실제 상황", "no es un simulacro",
    "זה לא תרגיל", "אינו תרגיל", "ليس تمرين", "ليس تدريب", "अभ्यास नहीं", "ikke en øvelse",
    "ikke øvelse",
)  # fmt: skip
SAMPLES = [(c, k, s) for s in ("Exercise", "Actual") for c, k, _ in all_samples(s)]


def _xml(alert: bytes):
    return etree.fromstring(alert)


def _all(doc, path):
    return doc.findall(path, NS)


def _params(info) -> dict[str, str]:
    return {
        p.findtext("cap:valueName", namespaces=NS): p.findtext("cap:value", namespaces=NS)
        for p in _all(info, "cap:parameter")
    }


@pytest.mark.parametrize("country,kind,status", SAMPLES)
def test_every_message_validates_and_has_the_fields_each_channel_needs(country, kind, status):
    notice = sample_notice(kind, country, status)
    alert = build_alert(notice)
    assert validate(alert) == []
    if country == "US":
        assert validate(alert, ipaws=True) == []
    doc = _xml(alert)
    assert doc.findtext("cap:status", namespaces=NS) == status
    assert doc.findtext("cap:scope", namespaces=NS) == "Public"
    assert CAP_TIME.match(doc.findtext("cap:sent", namespaces=NS))
    msg_type = doc.findtext("cap:msgType", namespaces=NS)
    assert msg_type == ("Alert" if kind == "LAUNCH" else "Update")
    infos = _all(doc, "cap:info")
    assert [i.findtext("cap:language", namespaces=NS) for i in infos] == [
        {"ja": "ja-JP", "ko": "ko-KR"}.get(lang, lang if country in ("JP", "KR") else
                                          f"{lang}-{country}")
        for lang in LANGUAGES[country]
    ]  # fmt: skip
    for info in infos:
        assert info.findtext("cap:category", namespaces=NS) == "Security"
        response = info.findtext("cap:responseType", namespaces=NS)
        certainty = info.findtext("cap:certainty", namespaces=NS)
        assert certainty != "Possible"
        if response == "Shelter":
            assert certainty in ("Observed", "Likely")
            assert info.findtext("cap:urgency", namespaces=NS) == "Immediate"
            assert info.findtext("cap:severity", namespaces=NS) == "Extreme"
        if kind == "LAUNCH":
            assert (response, certainty) == ("Shelter", "Observed")
        if kind == "IMPACT_PREDICTED":
            assert (response, certainty) == ("Shelter", "Likely")
        if kind in ("NO_THREAT", "ALL_CLEAR", "CORRECTION"):
            assert response == "AllClear" and msg_type == "Update"
            assert info.findtext("cap:description", namespaces=NS)
        assert CAP_TIME.match(info.findtext("cap:expires", namespaces=NS))
        for name in ("event", "headline", "description", "instruction", "senderName"):
            assert info.findtext(f"cap:{name}", namespaces=NS), name
        params = _params(info)
        if country == "US":
            assert params["EAS-ORG"] == "CIV"
            assert params["WEAHandling"] == "Imminent Threat"
            assert len(params["CMAMtext"]) <= SHORT_MAX
            assert len(params["CMAMlongtext"]) <= LONG_MAX
            same = info.findtext("cap:eventCode/cap:value", namespaces=NS)
            assert same == ("CDW" if response == "Shelter" else "CEM")
        if country == "KR":
            assert len(params["CBStext"]) <= SHORT_MAX
        for area in _all(info, "cap:area"):
            assert area.findtext("cap:areaDesc", namespaces=NS)
            polygons = [p.text.split() for p in _all(area, "cap:polygon")]
            assert polygons and all(4 <= len(p) <= 100 and p[0] == p[-1] for p in polygons)
    assert "Cancel" not in alert.decode()


def test_areas_are_named_in_each_language_with_their_codes():
    doc = _xml(build_alert(sample_notice("LAUNCH", "JP")))
    ja, en = _all(doc, "cap:info")
    assert [a.findtext("cap:areaDesc", namespaces=NS) for a in _all(ja, "cap:area")] == [
        "北海道", "青森県", "岩手県"
    ]  # fmt: skip
    assert _all(en, "cap:area")[0].findtext("cap:areaDesc", namespaces=NS) == "Hokkaido"
    codes = [g.findtext("cap:value", namespaces=NS) for g in _all(ja, "cap:area/cap:geocode")]
    assert codes[:2] == ["01", "JP-01"]
    us = _xml(build_alert(sample_notice("LAUNCH", "US")))
    same = [
        g.findtext("cap:value", namespaces=NS)
        for g in _all(us, "cap:info[1]/cap:area/cap:geocode")
        if g.findtext("cap:valueName", namespaces=NS) == "SAME"
    ]
    assert same == ["066010", "069085", "069100", "069110", "069120"]
    # The polygons cover the place: Hagatna is inside Guam's.
    guam = _all(us, "cap:info[1]/cap:area")[0]
    rings = [
        shapely.Polygon([tuple(map(float, p.split(",")))[::-1] for p in poly.text.split()])
        for poly in _all(guam, "cap:polygon")
    ]
    assert any(r.contains(shapely.Point(144.752, 13.474)) for r in rings)


def test_references_list_every_earlier_message():
    notice = sample_notice("ALL_CLEAR", "JP", references=3)
    doc = _xml(build_alert(notice))
    refs = doc.findtext("cap:references", namespaces=NS).split(" ")
    assert len(refs) == 3
    for ref, earlier in zip(refs, notice.references, strict=True):
        sender, identifier, sent = ref.split(",")
        assert (sender, identifier) == (earlier.sender, earlier.identifier)
        assert CAP_TIME.match(sent) and datetime.fromisoformat(sent) == earlier.sent


def test_sent_has_the_authoritys_offset():
    jp = _xml(build_alert(sample_notice("LAUNCH", "JP")))
    assert jp.findtext("cap:sent", namespaces=NS) == "2017-08-29T06:00:00+09:00"
    us = _xml(build_alert(sample_notice("LAUNCH", "US")))
    assert us.findtext("cap:sent", namespaces=NS) == "2017-08-29T07:00:00+10:00"  # Guam
    n = sample_notice("LAUNCH", "JP")
    n = dataclasses.replace(n, sent=n.sent + timedelta(microseconds=999_999))
    assert _xml(build_alert(n)).findtext("cap:sent", namespaces=NS).endswith(":00+09:00")


@pytest.mark.parametrize("country,kind,status", [s for s in SAMPLES if s[2] == "Exercise"])
def test_exercise_texts_are_marked_in_every_language(country, kind, status):
    notice = sample_notice(kind, country, status)
    doc = _xml(build_alert(notice))
    assert "EXERCISE" in doc.findtext("cap:note", namespaces=NS)
    for info in _all(doc, "cap:info"):
        lang = info.findtext("cap:language", namespaces=NS).split("-")[0]
        mark = MARKS[lang]
        for name in ("event", "headline", "description", "instruction"):
            assert mark in info.findtext(f"cap:{name}", namespaces=NS), (lang, name)
        for name, value in _params(info).items():
            if name in ("CMAMtext", "CMAMlongtext", "CBStext"):
                assert value.startswith(mark), (lang, name)
        text = etree.tostring(info, encoding="unicode").lower()
        assert not any(p in text for p in NOT_A_DRILL)


def test_actual_texts_carry_no_exercise_mark():
    for country, kind, notice in all_samples("Actual"):
        doc = _xml(build_alert(notice))
        assert doc.find("cap:note", NS) is None
        text = etree.tostring(doc, encoding="unicode")
        assert not any(m in text for m in MARKS.values()), (country, kind)
        assert not any(p in text.lower() for p in NOT_A_DRILL)


def test_lengths_per_channel_and_language_in_the_worst_case():
    """Every kind, language and status with every launching territory and sea name a template
    knows: the short text fits 90 characters (WEA, Korea's cell broadcast), the long 360."""
    worst: dict[tuple[str, str], int] = {}
    for country, kind, base in all_samples("Exercise"):
        for lang in LANGUAGES[country]:
            # A text names the sea once at most, so the longest sea name of the language is the
            # worst case for every territory (a text that is too long with it says "abroad").
            longest = max(seas(), key=lambda sea: len(sea.name(lang, country)))
            for code in template(lang).phrase("territories"):
                for sea in (longest,):
                    n = dataclasses.replace(
                        base, launch_territory=None if code == "unknown" else code,
                        sea_area=sea if base.impact else None,
                        passage=dataclasses.replace(base.passage, towards=sea)
                        if base.passage else None,
                    )  # fmt: skip
                    tx = texts(n, lang)
                    for name in ("short", "long"):
                        worst[(lang, name)] = max(worst.get((lang, name), 0), len(tx[name]))
                    assert len(tx["short"]) <= SHORT_MAX, (country, kind, lang, tx["short"])
                    assert len(tx["long"]) <= LONG_MAX, (country, kind, lang, tx["long"])
    assert set(worst) == {(lang, f) for lang in MARKS for f in ("short", "long")}


def test_a_launch_from_anywhere_is_named():
    """A launch from a territory the templates do not name themselves (issue 13: a US warning
    of a launch from Iran said "an unknown site") takes the CLDR's name; one too long for the
    90-character text says "abroad" there and its name in the long text."""
    base = sample_notice("LAUNCH", "US", "Exercise")
    iran = dataclasses.replace(base, launch_territory="IR")
    assert "Missile launch from Iran." in texts(iran, "en")["short"]
    assert "Irán" in texts(iran, "es")["short"]
    assert "イラン" in texts(iran, "ja")["short"] and "이란" in texts(iran, "ko")["long"]
    assert "North Korea" in texts(base, "en")["short"]  # the template's own name first
    car = texts(dataclasses.replace(base, launch_territory="CF"), "en")
    assert "Missile launch from abroad." in car["short"] and len(car["short"]) <= SHORT_MAX
    assert "Central African Republic" in car["long"]
    build_alert(iran)  # fits its channels


def test_japanese_follows_j_alert_wording():
    tx = texts(sample_notice("LAUNCH", "JP", "Actual"), "ja")
    assert tx["description"].startswith(
        "ミサイル発射。ミサイル発射。北朝鮮からミサイルが発射されたものとみられます。"
        "建物の中、又は地下に避難して下さい。"
    )
    tx = texts(sample_notice("PASSED_OVER", "JP", "Actual"), "ja")
    assert (
        "ミサイル通過。ミサイル通過。先程、この地域の上空をミサイルが通過した模様です。"
        in (tx["description"])
    )
    assert "避難の呼びかけを解除します" in texts(sample_notice("ALL_CLEAR", "JP"), "ja")["headline"]
    tx = texts(sample_notice("LAUNCH", "JP"), "ja")
    assert tx["headline"].startswith("【訓練】ミサイル発射。")


def test_korean_follows_the_emergency_text_style():
    tx = texts(sample_notice("LAUNCH", "KR", "Actual"), "ko")
    assert tx["short"].startswith("[행정안전부] 오늘 05시 57분 북한 미사일 발사.")
    assert "국민께서는 대피할 준비를 하시고" in tx["short"]
    assert texts(sample_notice("LAUNCH", "KR"), "ko")["short"].startswith("[훈련][행정안전부]")


def test_impact_place_is_described_from_the_nearest_area():
    tx = texts(sample_notice("FELL_AT_SEA", "JP", "Actual"), "ja")
    assert "北海道の南東約260km" in tx["description"] and "太平洋" in tx["description"]
    assert "日本の排他的経済水域（EEZ）内" in tx["description"]
    en = texts(sample_notice("FELL_AT_SEA", "KR", "Actual"), "en")["description"]
    assert "East Sea" in en and "inside the exclusive economic zone" in en


def test_maritime_message_is_addressed_to_the_sea_around_the_impact():
    notice = sample_notice("MARITIME", "JP")
    doc = _xml(build_alert(notice))
    area = _all(doc, "cap:info[1]/cap:area")
    assert len(area) == 1
    ring = [tuple(map(float, p.split(",")))[::-1] for p in area[0].findtext(
        "cap:polygon", namespaces=NS).split()]  # fmt: skip
    assert shapely.Polygon(ring).contains(
        shapely.Point(notice.impact.lon_deg, notice.impact.lat_deg)
    )
    assert doc.findtext("cap:info/cap:responseType", namespaces=NS) == "Avoid"


def test_impact_prediction_has_onset_at_the_predicted_fall():
    notice = sample_notice("IMPACT_PREDICTED", "JP")
    onset = _xml(build_alert(notice)).findtext("cap:info/cap:onset", namespaces=NS)
    assert datetime.fromisoformat(onset) == notice.impact.time


def test_same_limit_of_31_per_message():
    us = A.areas("US")
    many = tuple(a for a in us if len(a.same_codes()) == 1)[:32]
    notice = dataclasses.replace(sample_notice("LAUNCH", "US"), areas=many)
    with pytest.raises(NoticeError, match="32 SAME codes"):
        build_alert(notice)
    assert validate(build_alert(dataclasses.replace(notice, areas=many[:31])), ipaws=True) == []


def test_the_same_notice_gives_the_same_bytes():
    for _, _, notice in all_samples():
        assert build_alert(notice) == build_alert(notice)


def test_bad_notices_are_refused_with_the_field_named():
    n = sample_notice("LAUNCH", "JP")
    with pytest.raises(NoticeError, match="notice.sent"):
        dataclasses.replace(n, sent=n.sent.replace(tzinfo=None))
    with pytest.raises(NoticeError, match="notice.references"):
        dataclasses.replace(sample_notice("ALL_CLEAR", "JP"), references=())
    with pytest.raises(NoticeError, match="notice.identifier"):
        dataclasses.replace(n, identifier="two words")
    with pytest.raises(NoticeError, match="notice.impact"):
        dataclasses.replace(sample_notice("IMPACT_PREDICTED", "JP"), impact=None)
    with pytest.raises(NoticeError, match="not in the partner's country"):
        dataclasses.replace(n, areas=(A.area("KR", "11"),))
    with pytest.raises(NoticeError, match="has no template"):
        dataclasses.replace(n, languages=("fr",))
    assert Reference("a@b.example", "X", n.sent).cap() == "a@b.example,X,2017-08-28T21:00:00+00:00"


def test_schema_refuses_a_broken_alert():
    alert = build_alert(sample_notice("LAUNCH", "US"))
    broken = alert.replace(b"<status>Exercise</status>", b"<status>Drill</status>")
    assert validate(broken)
    no_code = re.sub(rb"<code>IPAWSv1.0</code>\s*", b"", alert)
    assert validate(no_code) == []  # plain CAP 1.2 does not need it
    assert validate(no_code, ipaws=True)  # the IPAWS profile does


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_every_field_in_every_language(kind):
    for lang in MARKS:
        entry = template(lang).entry(kind)
        assert all(entry[f].strip() for f in ("event", "headline", "description", "short"))


@pytest.mark.parametrize("lang", ["es", "he", "ar", "hi", "nb"])
def test_the_translations_say_the_same_facts_as_english(lang):
    """The templates of issue 13's languages (and Spanish) fill every text with exactly the
    facts of the English one: no fact dropped in translation, none added."""
    import string

    def facts(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    en, other = template("en"), template(lang)
    for kind in KINDS:
        for name in ("event", "headline", "description", "instruction", "short", "long"):
            assert facts(other.entry(kind)[name]) == facts(en.entry(kind)[name]), (kind, name)
    for key in ("place_at_sea", "eez_inside", "eez_outside", "place_on_land"):
        assert facts(other.phrase(key)) == facts(en.phrase(key)), key


def test_hebrew_and_arabic_alerts_are_right_to_left_text_in_utf8():
    """Israel's alert in Hebrew, Arabic and English: valid CAP whose texts read back exactly
    (no escaping, no direction marks added), with the Home Front Command as sender."""
    notice = sample_notice("IMPACT_PREDICTED", "IL", "Actual")
    alert = build_alert(notice)
    assert validate(alert) == [] and alert.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    he, ar, en = _all(_xml(alert), "cap:info")
    assert he.findtext("cap:senderName", namespaces=NS) == "פיקוד העורף"
    assert he.findtext("cap:headline", namespaces=NS) == texts(notice, "he")["headline"]
    assert "היכנסו למרחב המוגן" in he.findtext("cap:headline", namespaces=NS)
    assert ar.findtext("cap:area/cap:areaDesc", namespaces=NS) == "لواء الجنوب"
    assert "قد يسقط صاروخ" in ar.findtext("cap:headline", namespaces=NS)
    assert en.findtext("cap:language", namespaces=NS) == "en-IL"
    assert "\u200f" not in alert.decode() and "&#" not in alert.decode()
