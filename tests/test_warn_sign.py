"""XML signatures of CAP alerts: valid against the schemas, accepted, and refused if tampered."""

from __future__ import annotations

import pytest
from lxml import etree

from lookout.exchange.keys import derive_key
from lookout.warn.cap import build_alert, validate
from lookout.warn.samples import sample_notice
from lookout.warn.sign import (
    AlertSignatureError,
    alert_certificate,
    alert_signing_key,
    sign_alert,
    verify_alert,
)

SEED = "test-seed"


def _keys(partner):
    key = alert_signing_key(derive_key(SEED, partner))
    return key, alert_certificate(key, partner)


@pytest.fixture(scope="module")
def signed_us():
    key, cert = _keys("US")
    return sign_alert(build_alert(sample_notice("IMPACT_PREDICTED", "US")), key, cert), cert


def test_signed_alert_still_validates_and_verifies(signed_us):
    alert, cert = signed_us
    assert validate(alert) == [] and validate(alert, ipaws=True) == []
    root = etree.fromstring(alert)
    assert root[-1].tag == "{http://www.w3.org/2000/09/xmldsig#}Signature"
    assert b"xml-exc-c14n#" in alert and b"ecdsa-sha256" in alert
    signed = verify_alert(alert, cert)
    assert signed.tag == "{urn:oasis:names:tc:emergency:cap:1.2}alert"


@pytest.mark.parametrize(
    "old,new",
    [
        (b"<status>Exercise</status>", b"<status>Actual</status>"),
        (b"<msgType>Update</msgType>", b"<msgType>Cancel</msgType>"),
        (b"066010", b"015000"),
        (b"EXERCISE: A missile may fall", b"EXERCISE: A missile will fall"),
    ],
)
def test_tampered_copies_are_refused(signed_us, old, new):
    alert, cert = signed_us
    assert old in alert
    with pytest.raises(AlertSignatureError):
        verify_alert(alert.replace(old, new, 1), cert)


def test_unsigned_malformed_and_other_signers_are_refused(signed_us):
    alert, cert = signed_us
    with pytest.raises(AlertSignatureError):
        verify_alert(build_alert(sample_notice("IMPACT_PREDICTED", "US")), cert)
    with pytest.raises(AlertSignatureError, match="malformed"):
        verify_alert(alert[: len(alert) // 2], cert)
    _, jp_cert = _keys("JP")
    with pytest.raises(AlertSignatureError):
        verify_alert(alert, jp_cert)
    # Re-signed by another key after a change: refused against the partner's pinned cert.
    forged = alert.replace(b"<status>Exercise</status>", b"<status>Actual</status>")
    root = etree.fromstring(forged)
    root.remove(root[-1])
    mallory, mallory_cert = _keys("MALLORY")
    reforged = sign_alert(etree.tostring(root), mallory, mallory_cert)
    verify_alert(reforged, mallory_cert)
    with pytest.raises(AlertSignatureError):
        verify_alert(reforged, cert)


def test_signing_is_deterministic_and_per_partner():
    key, cert = _keys("JP")
    alert = build_alert(sample_notice("LAUNCH", "JP"))
    assert sign_alert(alert, key, cert) == sign_alert(alert, *_keys("JP"))
    kr_key, _ = _keys("KR")
    assert key.private_numbers().private_value != kr_key.private_numbers().private_value
    verify_alert(sign_alert(alert, key, cert), cert)
