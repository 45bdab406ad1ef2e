"""Enveloped XML signatures of CAP alerts (signxml, exclusive canonicalisation).

The partners' exchange keys are Ed25519 (``lookout.exchange.keys``), which XML-DSig as signxml
implements does not offer. Each partner therefore signs its alerts with an ECDSA P-256 key
*derived* from its Ed25519 private key (HKDF-SHA256; :func:`alert_signing_key`): whoever holds
the partner's key holds its alert key, and nobody else. The public half travels as a
self-signed X.509 certificate (:func:`alert_certificate`), which the other partners and the
public pin, as they pin the Ed25519 keys. Signatures use RFC 6979 deterministic ECDSA, and the
certificate is fixed by the key, so the same alert signed twice gives the same bytes (replays
reproduce them exactly).

The ``<ds:Signature>`` is the last child of ``<alert>``, where both the CAP 1.2 schema and the
IPAWS profile allow an element of the XML-DSig namespace: a signed alert still validates.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import (
    InvalidInput,
    InvalidSignature,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm

from lookout.errors import LookoutError

_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
_P256_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
_CONFIG = SignatureConfiguration(
    location="./",
    signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
)


class AlertSignatureError(LookoutError, ValueError):
    """An alert's signature is missing, malformed, not the expected signer's, or does not match
    the alert (it was changed after signing)."""


def alert_signing_key(partner_key: Ed25519PrivateKey) -> ec.EllipticCurvePrivateKey:
    """The partner's ECDSA P-256 alert key, derived from its Ed25519 key (HKDF-SHA256)."""
    raw = partner_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    okm = HKDF(hashes.SHA256(), 48, salt=b"lookout-cap-alert-signing", info=b"P-256").derive(raw)
    scalar = int.from_bytes(okm, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def alert_certificate(key: ec.EllipticCurvePrivateKey, partner: str) -> x509.Certificate:
    """A self-signed certificate of an alert key, fixed by the key and the partner id."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"Lookout public warnings {partner}"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Lookout"),
        ]
    )
    serial = int.from_bytes(_digest(key, partner)[:16], "big") >> 1  # positive, < 2**127
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
    )
    return builder.sign(key, hashes.SHA256(), ecdsa_deterministic=True)


def _digest(key: ec.EllipticCurvePrivateKey, partner: str) -> bytes:
    h = hashes.Hash(hashes.SHA256())
    h.update(key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))
    h.update(partner.encode())
    return h.finalize()


class _Deterministic:
    """An EC private key whose ``sign`` uses RFC 6979 deterministic nonces (for signxml)."""

    def __init__(self, key: ec.EllipticCurvePrivateKey):
        self._key = key
        self.key_size = key.key_size
        self.curve = key.curve

    def sign(self, data: bytes, signature_algorithm: ec.ECDSA) -> bytes:
        alg = ec.ECDSA(signature_algorithm.algorithm, deterministic_signing=True)
        return self._key.sign(data, alg)

    def public_key(self):
        return self._key.public_key()


def sign_alert(alert: bytes, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> bytes:
    """The alert with an enveloped signature (ECDSA-SHA256, SHA-256 digest, exclusive c14n) and
    the certificate in its ``<ds:KeyInfo>``, appended as the last child of ``<alert>``."""
    doc = etree.fromstring(alert)
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.ECDSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=_C14N,
    )
    signed = signer.sign(doc, key=_Deterministic(key), cert=[cert])
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def verify_alert(alert: bytes, cert: x509.Certificate) -> etree._Element:
    """The signed ``<alert>`` element if its signature is valid and by ``cert``'s key.

    Only what the signature covers is returned (signxml's "see what is signed"); raises
    :class:`AlertSignatureError` otherwise, naming why.
    """
    try:
        result = XMLVerifier().verify(alert, x509_cert=cert, expect_config=_CONFIG)
    except InvalidSignature as e:
        raise AlertSignatureError(f"alert signature: {e}") from None
    except (InvalidInput, etree.XMLSyntaxError) as e:
        raise AlertSignatureError(f"alert signature: malformed ({e})") from None
    return result.signed_xml
