"""Warnings on the exchange: the signed CAP alert as a payload (schema, releasability, forgery),
the files and the Atom index, and a whole run decided again byte for byte from its audit log."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from lookout.app.defaults import default_policy
from lookout.app.demo import replay_alerts, run_demo
from lookout.exchange.clock import SimClock
from lookout.exchange.envelope import envelope_bytes, seal
from lookout.exchange.keys import Keyring, derive_key
from lookout.exchange.policy import Policy
from lookout.exchange.verify import Verifier
from lookout.messages import Alert, decode_json, decode_msgpack, encode_json, encode_msgpack
from lookout.scenario import parse
from lookout.warn.cap import validate
from lookout.warn.decide import Decision
from lookout.warn.issue import Issuer, write_alerts
from lookout.warn.samples import sample_notice
from lookout.warn.sign import AlertSignatureError, verify_alert

SEED = "test-warn-issue"


def issued(kind="LAUNCH", partner="JP", country="JP") -> Alert:
    notice = sample_notice(kind, country, "Exercise")
    return Issuer(partner, derive_key(SEED, partner)).alert(Decision(10.0, notice, "test", {}))


def test_an_issued_alert_is_valid_signed_and_says_what_it_is():
    alert = issued()
    assert validate(alert.cap) == []
    issuer = Issuer("JP", derive_key(SEED, "JP"))
    verify_alert(alert.cap, issuer.certificate)
    with pytest.raises(AlertSignatureError):
        verify_alert(alert.cap.replace(b"Shelter", b"Monitor"), issuer.certificate)
    other = Issuer("KR", derive_key(SEED, "KR"))
    with pytest.raises(AlertSignatureError):
        verify_alert(alert.cap, other.certificate)
    assert alert.shelter and alert.kind == "LAUNCH" and alert.areas and alert.t_ns == 10**10
    assert decode_json(encode_json(alert)) == alert
    assert decode_msgpack(encode_msgpack(alert)) == alert
    with pytest.raises(ValueError, match="Alert.cap"):
        msgspec.structs.replace(alert, cap=b"not xml")


def test_alerts_are_released_as_the_policy_says_and_forgeries_refused():
    sc = parse(SCENARIO)
    doc = default_policy(sc)
    alert = issued()
    assert Policy.from_dict(doc).recipients("JP", alert) == ["KR", "US"]
    doc["release"]["JP"]["US"] = ["local_track", "system_track", "heartbeat"]
    assert Policy.from_dict(doc).recipients("JP", alert) == ["KR"]
    keyring = Keyring.derived(SEED, ["KR", "JP", "US"])
    verifier = Verifier(keyring, SimClock(10**10))
    good = envelope_bytes(seal(alert, "JP", 1, 10**10, derive_key(SEED, "JP")))
    assert verifier.check(good).message == alert
    forged = envelope_bytes(seal(alert, "JP", 2, 10**10, derive_key(SEED, "KR")))
    assert verifier.check(forged).reason == "forged"
    as_kr = envelope_bytes(seal(alert, "KR", 3, 10**10, derive_key(SEED, "KR")))
    assert verifier.check(as_kr).reason == "malformed"  # JP's alert in KR's envelope


def test_alerts_written_as_files_with_an_atom_index_of_the_active(tmp_path):
    first = issued("LAUNCH")
    notice = sample_notice("ALL_CLEAR", "JP", "Exercise")
    clear = Issuer("JP", derive_key(SEED, "JP")).alert(Decision(20.0, notice, "test", {}))
    index = write_alerts(tmp_path, [first, clear], notice.sent + dt.timedelta(seconds=1))
    files = sorted(p.name for p in tmp_path.glob("*.xml"))
    assert len(files) == 2
    feed = index.read_text()
    assert clear.identifier in feed
    if any(r.identifier == first.identifier for r in notice.references):
        assert first.identifier not in feed  # replaced by the update that refers to it


#: A small scenario: one SRBM from North Korea's east coast aimed at Dogo, Oki Islands
#: (Shimane), seen by a Korean ship radar, a Japanese radar and US infrared.
SCENARIO = {
    "name": "oki-strike",
    "epoch": "2024-01-01T00:00:00Z",
    "seed": 7,
    "duration_s": 560,
    "partners": [
        {"id": "KR", "country": "KR", "languages": ["ko", "en"], "sensors": [
            {"type": "radar", "id": "kr-ship", "lat_deg": 37.6, "lon_deg": 130.0, "alt_m": 25,
             "azimuth_deg": 0, "span_deg": 360, "el_min_deg": 1, "el_max_deg": 85,
             "max_range_km": 900, "revisit_s": 1, "sigma_range_m": 15, "sigma_az_mrad": 1.0,
             "sigma_el_mrad": 1.0, "sigma_rr_mps": 3.0, "snr_ref_db": 22}]},
        {"id": "JP", "country": "JP", "languages": ["ja", "en"], "sensors": [
            {"type": "radar", "id": "jp-west", "lat_deg": 35.5, "lon_deg": 133.0, "alt_m": 100,
             "azimuth_deg": 320, "span_deg": 120, "el_min_deg": 1, "el_max_deg": 80,
             "max_range_km": 1200, "revisit_s": 2, "sigma_range_m": 20, "sigma_az_mrad": 1.2,
             "sigma_el_mrad": 1.2, "snr_ref_db": 28}]},
        {"id": "US", "country": "US", "languages": ["en", "es"], "sensors": [
            {"type": "infrared", "id": "us-geo", "geo_lon_deg": 140.0,
             "plume_intensity_kw_sr": 40}]},
    ],
    "launches": [{"id": "SRBM-1", "time_s": 60, "site": [38.9, 128.0], "vehicle": "srbm-solid",
                  "aim": {"target": [36.25, 133.30]}}],
}  # fmt: skip


@pytest.fixture(scope="module")
def oki_run(tmp_path_factory):
    sc = parse(SCENARIO)
    tmp = tmp_path_factory.mktemp("oki")
    result = run_demo(sc, speed=0, audit_path=tmp / "audit.sqlite", alerts_dir=tmp / "alerts")
    return result, tmp


@pytest.mark.slow
def test_a_run_warns_its_area_and_replays_its_warnings_byte_for_byte(oki_run):
    result, tmp = oki_run
    alerts = result.state.alerts()
    jp = [a for a in alerts if a.partner == "JP"]
    shimane = [a.kind for a in jp if "JP:32" in a.areas]
    assert shimane and shimane[-1] == "ALL_CLEAR"
    assert "IMPACT_PREDICTED" in shimane or "LAUNCH" in shimane
    assert all(validate(a.cap) == [] for a in alerts)
    # Every alert went through the exchange, signed and audited, and reached the others.
    assert result.state.nodes["JP"].sent["alert"] == len(jp)
    assert result.state.nodes["KR"].received["alert"] == len(jp)
    again = replay_alerts(result.audit_path)
    assert set(again) == {"KR", "JP", "US"}
    for p, r in again.items():
        assert r["identical"], p
        assert [a.cap for a in r["alerts"]] == [a.cap for a in alerts if a.partner == p]
    files = list((tmp / "alerts").glob("*.xml"))
    assert len(files) == len(alerts) and (tmp / "alerts" / "index.atom").exists()


def test_a_partner_without_warning_areas_shares_but_warns_nobody():
    # A sensor partner of a country without shipped areas (New Zealand here; Australia, which
    # generated scenarios add, has its areas since issue 13) has no desk, and the run goes on
    # instead of failing on its missing authority.
    from lookout.warn.issue import warner_for, warns

    doc = dict(SCENARIO)
    doc["partners"] = [*SCENARIO["partners"], {
        "id": "NZ", "country": "NZ", "languages": ["en"], "sensors": [
            {"type": "infrared", "id": "nz-geo", "geo_lon_deg": 150.0,
             "plume_intensity_kw_sr": 40}]}]  # fmt: skip
    sc = parse(doc)
    assert not warns(sc.partner("NZ")) and warns(sc.partner("JP"))
    assert warner_for(sc, "NZ", derive_key(SEED, "NZ")) is None
    assert warner_for(sc, "JP", derive_key(SEED, "JP")) is not None


def test_an_alert_too_large_with_its_outlines_is_sent_with_its_codes():
    """srbm-salvo's JP alert for many prefectures, each outline once per language, was larger
    than an envelope may be, and the exchange refused it as oversize: a warning lost."""
    import dataclasses

    from lookout.exchange.verify import MAX_BYTES
    from lookout.messages import MAX_ALERT_BYTES
    from lookout.warn import areas as A
    from lookout.warn.cap import build_alert

    notice = dataclasses.replace(sample_notice("LAUNCH", "JP", "Exercise"),
                                 areas=A.areas("JP")[:20])  # fmt: skip
    assert len(build_alert(notice)) > MAX_ALERT_BYTES  # the outlines alone are too many
    issuer = Issuer("JP", derive_key(SEED, "JP"))
    alert = issuer.alert(Decision(10.0, notice, "test", {}))
    assert len(alert.cap) <= MAX_ALERT_BYTES and validate(alert.cap) == []
    verify_alert(alert.cap, issuer.certificate)
    assert alert.cap.count(b"<geocode>") >= 20 and b"<polygon>" not in alert.cap
    assert len(envelope_bytes(seal(alert, "JP", 1, 10**10, derive_key(SEED, "JP")))) <= MAX_BYTES
