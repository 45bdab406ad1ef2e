"""nats-server configuration generated from the coalition's releasability policy.

The broker enforces, per connection, what the exchange enforces per message: partner ``P`` may
publish only its own inbound subjects ``lookout.in.P.>`` and receive only its own outbound
subjects ``lookout.out.P.>``; nothing it does can write onto another partner's subjects or read
them. The ``EXCHANGE`` user (the fusion service) reads every inbound subject and writes every
outbound one.

Isolation is by **account**: the streams and the exchange live in account ``LOOKOUT``; each
partner has an account of its own (its name), which sees of ``LOOKOUT`` only what is exported to
it, as services (requests answered in ``LOOKOUT``, replies routed back to the requester):

- ``lookout.in.P.>``: publishing into its inbound stream ``LOOKOUT_IN_P`` (the JetStream ack
  comes back whatever reply subject it names: a reply subject in a partner's account can only
  ever reach that account, so no "reply-to" trick makes the broker write PubAck or pulled
  messages onto another partner's subjects);
- its durable pull consumer ``P`` on ``LOOKOUT_OUT_P``: ``$JS.API.CONSUMER.MSG.NEXT`` (a stream of
  responses), ``$JS.API.CONSUMER.INFO`` and the acks ``$JS.ACK.LOOKOUT_OUT_P.P.>``. The exchange
  creates the consumer; a partner cannot create, change or delete any consumer or stream (no
  JetStream API of ``LOOKOUT`` is exported to it), so no push consumer delivering anywhere;
- ``lookout.out.P.>`` as a stream export, for live (non-durable) reads.

Within its account each partner user is further limited to those subjects and its inbox
``_INBOX.P.>``; each account has ``max_connections`` (a partner cannot open 200 connections).
Each partner's inbound stream has its own byte and message quota with *discard new*: a partner
flooding fills only its own stream, and is refused (its publishes fail) rather than evicting
anything acked, its own or another's.

Passwords are written as bcrypt hashes (the ``bcrypt`` package, a dependency). With ``tls``
(:class:`TlsFiles`, :func:`write_test_ca`) clients must connect over TLS; JetStream writes are
fsynced as ``sync_interval`` says (``"always"``: each write, the default here; NATS's own default
is two minutes).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lookout.exchange.bus import in_all, out_all

log = logging.getLogger(__name__)

EXCHANGE = "EXCHANGE"
"""User name of the exchange (fusion service) on the broker."""

IN_STREAM = "LOOKOUT_IN"
OUT_STREAM = "LOOKOUT_OUT"
ACCOUNT = "LOOKOUT"


def inbox_prefix(user: str) -> str:
    """The reply-inbox prefix reserved for ``user`` (its subscribe permission covers only it)."""
    return f"_INBOX.{user}"


def in_stream(partner: str) -> str:
    """The inbound stream of ``partner``: what it sends the exchange."""
    return f"{IN_STREAM}_{partner}"


def out_stream(partner: str) -> str:
    """The outbound stream of ``partner``: what the exchange delivers to it."""
    return f"{OUT_STREAM}_{partner}"


def partner_api(partner: str, kind: str) -> str:
    """The subject in ``partner``'s account for its consumer's ``kind`` ("next" or "info") JetStream
    request: imported from ``LOOKOUT`` under a name of its own, since a ``$JS.API`` subject in an
    account without JetStream is answered by that account's (absent) JetStream."""
    return f"lookout.api.{partner}.{kind}"


def partner_services(partner: str) -> list[tuple[str, str]]:
    """``(subject in LOOKOUT, subject in the partner's account)`` of what a partner's account
    imports as services."""
    stream = out_stream(partner)
    return [
        (in_all(partner), in_all(partner)),
        (f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{partner}", partner_api(partner, "next")),
        (f"$JS.API.CONSUMER.INFO.{stream}.{partner}", partner_api(partner, "info")),
        (f"$JS.ACK.{stream}.{partner}.>", f"$JS.ACK.{stream}.{partner}.>"),
    ]


def partner_permissions(partner: str) -> dict[str, dict[str, list[str]]]:
    """Publish/subscribe allow lists for partner ``partner`` (e.g. ``"KR"``) in its account."""
    _check_name(partner)
    return {
        "publish": {"allow": [local for _, local in partner_services(partner)]},
        "subscribe": {"allow": [out_all(partner), f"{inbox_prefix(partner)}.>"]},
    }


def exchange_permissions(user: str = EXCHANGE) -> dict[str, dict[str, list[str]]]:
    """Allow lists for the exchange: read all inbound, write all outbound, manage the streams."""
    # The exchange's own picture workers (lookout.app.picture_workers) log in as it: they read what
    # it feeds them (lookout.fuse.>, lookout.assess.>) and send it system-track batches.
    return {
        "publish": {
            "allow": [
                "lookout.out.>", "$JS.API.>", "$JS.ACK.>",
                "lookout.fuse.>", "lookout.assess.>", "lookout.in.*.system_track_batch",
            ],
        },
        "subscribe": {
            "allow": [
                "lookout.in.>", "lookout.fuse.>", "lookout.assess.>", f"{inbox_prefix(user)}.>"
            ]
        },
    }  # fmt: skip


def partners_of(policy_or_partners: Any) -> list[str]:
    """Partner names from a ``Policy`` (anything with ``.partners``), a mapping or a list."""
    p = policy_or_partners
    if hasattr(p, "partners"):
        p = p.partners
    elif isinstance(p, Mapping) and "partners" in p:
        p = p["partners"]
    if isinstance(p, Mapping):
        names = list(p.keys())
    elif isinstance(p, str):
        names = [p]
    elif isinstance(p, Iterable):
        names = [x if isinstance(x, str) else getattr(x, "name", str(x)) for x in p]
    else:
        raise TypeError(f"partners: expected a Policy, mapping or list of names, got {type(p)}")
    names = [str(n) for n in names if str(n) != EXCHANGE]
    if ACCOUNT in names:
        raise ValueError(f"partners: {ACCOUNT!r} is the exchange's account, not a partner name")
    for n in names:
        _check_name(n)
    if len(set(names)) != len(names):
        raise ValueError(f"partners: duplicate names in {names}")
    return sorted(names)


def _check_name(name: str) -> None:
    if not name or any(c in name for c in " .*>\t\r\n$\"'") or name.startswith("_"):
        raise ValueError(
            f"partner name {name!r}: expected one subject token (letters, digits, - or _), "
            "e.g. 'KR'"
        )


def make_passwords(users: Iterable[str], *, nbytes: int = 24) -> dict[str, str]:
    """A fresh random password per user (URL-safe, ``nbytes`` of entropy each)."""
    return {u: secrets.token_urlsafe(nbytes) for u in users}


BCRYPT_COST = 10


def _hash_password(password: str) -> str:
    import bcrypt

    # Cost 10 (about 50-80 ms of the server's CPU per login): the server checks it at every
    # connection and reconnection, and a burst of reconnecting clients after a broker restart
    # must not starve it. The passwords themselves are 192-bit random (make_passwords), so the
    # hash's cost is not what protects them.
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=BCRYPT_COST)).decode()


@dataclass(frozen=True)
class TlsFiles:
    """A server's TLS: its certificate and key, and the CA clients check it against (PEM)."""

    cert: Path
    key: Path
    ca: Path


def write_test_ca(directory: str | os.PathLike[str], hosts: Iterable[str] = ("127.0.0.1",
                  "localhost")) -> TlsFiles:  # fmt: skip
    """A fresh CA and a server certificate it signs for ``hosts`` (IP addresses or names), in
    ``directory`` (keys mode 0600). For tests and a coalition's own private PKI; a real
    deployment may use its own CA's files instead."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(minutes=5), now + dt.timedelta(days=365)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Lookout coalition CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for h in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            names.append(x509.DNSName(h))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lookout-broker")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                              ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    files = TlsFiles(d / "server-cert.pem", d / "server-key.pem", d / "ca.pem")
    files.ca.write_bytes(ca.public_bytes(pem))
    files.cert.write_bytes(cert.public_bytes(pem))
    key_bytes = key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())  # fmt: skip
    fd = os.open(files.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_bytes)
    return files


@dataclass(frozen=True)
class Cluster:
    """A JetStream cluster route block: this server's ``port`` and its peers' ``routes``."""

    name: str
    port: int
    routes: tuple[str, ...] = ()
    host: str = "0.0.0.0"


def _q(s: str) -> str:
    return json.dumps(s)


def _perm_block(perms: Mapping[str, Mapping[str, list[str]]], indent: str) -> str:
    lines = [f"{indent}permissions: {{"]
    for kind in ("publish", "subscribe"):
        allow = ", ".join(_q(s) for s in perms[kind]["allow"])
        lines.append(f"{indent}  {kind}: {{ allow: [{allow}] }}")
    lines.append(f"{indent}}}")
    return "\n".join(lines)


def nats_config(
    policy_or_partners: Any,
    *,
    port: int = 4222,
    store_dir: str | os.PathLike[str],
    passwords: Mapping[str, str],
    host: str = "127.0.0.1",
    http_port: int | None = None,
    server_name: str = "lookout",
    max_file_store: str = "4G",
    max_memory_store: str = "1G",
    cluster: Cluster | None = None,
    hash_passwords: bool = True,
    tls: TlsFiles | None = None,
    sync_interval: str = "always",
    max_connections: int = 8,
) -> str:
    """The nats-server configuration text for the partners of ``policy_or_partners``.

    ``passwords`` maps each user (every partner and ``EXCHANGE``) to its password; see
    :func:`make_passwords`. ``http_port`` enables the monitoring endpoint (``/healthz``).
    ``max_connections`` is per account (each partner's, and the exchange's).
    """
    partners = partners_of(policy_or_partners)
    users = [EXCHANGE, *partners]
    missing = [u for u in users if u not in passwords]
    if missing:
        raise ValueError(f"passwords: no password for {missing}; expected one per user {users}")
    if sync_interval != "always" and not sync_interval[:-1].replace(".", "").isdigit():
        raise ValueError(f"sync_interval = {sync_interval!r}, expected 'always' or e.g. '1s'")

    def pw(user: str) -> str:
        return _hash_password(passwords[user]) if hash_passwords else passwords[user]

    out = [
        "# nats-server configuration for Lookout, generated by lookout.exchange.nats.config.",
        f"# Partners: {', '.join(partners)}, each in an account of its own; the streams and the",
        "# exchange in LOOKOUT. A partner publishes only lookout.in.<P>.> and reads only",
        "# lookout.out.<P>.> (through its durable consumer <P>); see docs/deploy.md.",
        f"server_name: {_q(server_name)}",
        f"listen: {_q(f'{host}:{port}')}",
    ]
    if http_port is not None:
        out.append(f"http: {_q(f'{host}:{http_port}')}")
    if tls is not None:
        out += [
            "tls {",
            f"  cert_file: {_q(str(tls.cert))}",
            f"  key_file: {_q(str(tls.key))}",
            f"  ca_file: {_q(str(tls.ca))}",
            "  timeout: 5",
            "}",
        ]
    out += [
        "max_payload: 1MB",
        "jetstream {",
        f"  store_dir: {_q(str(Path(store_dir)))}",
        f"  max_file_store: {max_file_store}",
        f"  max_memory_store: {max_memory_store}",
        f"  sync_interval: {sync_interval}",
        "}",
    ]
    if cluster is not None:
        routes = ", ".join(_q(r) for r in cluster.routes)
        out += [
            "cluster {",
            f"  name: {_q(cluster.name)}",
            f"  listen: {_q(f'{cluster.host}:{cluster.port}')}",
            f"  routes: [{routes}]",
            "}",
        ]
    out += ["accounts {", f"  {ACCOUNT} {{", "    jetstream: enabled",
            f"    limits: {{ max_connections: {max_connections} }}", "    users: ["]  # fmt: skip
    perms = exchange_permissions(EXCHANGE)
    out.append(f"      {{ user: {_q(EXCHANGE)}, password: {_q(pw(EXCHANGE))},")
    out.append(_perm_block(perms, "        ") + " }")
    out += ["    ]", "    exports: ["]
    for p in partners:
        services = partner_services(p)
        for subject, _ in services:
            stream = ", response_type: stream" if ".MSG.NEXT." in subject else ""
            out.append(f"      {{ service: {_q(subject)}, accounts: [{_q(p)}]{stream} }}")
        out.append(f"      {{ stream: {_q(out_all(p))}, accounts: [{_q(p)}] }}")
    out += ["    ]", "  }"]
    for p in partners:
        out += [f"  {_q(p)} {{", f"    limits: {{ max_connections: {max_connections} }}"]
        out.append(f"    users: [ {{ user: {_q(p)}, password: {_q(pw(p))},")
        out.append(_perm_block(partner_permissions(p), "        ") + " } ]")
        out.append("    imports: [")
        for subject, local in partner_services(p):
            to = f", to: {_q(local)}" if local != subject else ""
            out.append(
                f"      {{ service: {{ account: {_q(ACCOUNT)}, subject: {_q(subject)} }}{to} }}"
            )
        out.append(f"      {{ stream: {{ account: {_q(ACCOUNT)}, subject: {_q(out_all(p))} }} }}")
        out += ["    ]", "  }"]
    out += ["}", ""]
    return "\n".join(out)


def write_credentials(
    directory: str | os.PathLike[str],
    passwords: Mapping[str, str],
    servers: str,
    *,
    ca_file: str | os.PathLike[str] | None = None,
) -> dict[str, Path]:
    """Write ``<user>.json`` (``servers``, ``user``, ``password``, and ``ca_file`` with TLS)
    per user, mode 0600. Each partner site gets only its own file; :meth:`NatsBus.from_credentials`
    reads it."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = {}
    for user, pw in passwords.items():
        path = d / f"{user}.json"
        data = {"servers": servers, "user": user, "password": pw}
        if ca_file is not None:
            data["ca_file"] = str(ca_file)
        text = json.dumps(data, indent=2) + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
        paths[user] = path
    return paths


def write_setup(
    policy_or_partners: Any,
    directory: str | os.PathLike[str],
    *,
    url: str = "nats://127.0.0.1:4222",
    host: str = "127.0.0.1",
    port: int = 4222,
    http_port: int | None = 8222,
    store_dir: str | os.PathLike[str] | None = None,
    cluster: Cluster | None = None,
    server_name: str = "lookout",
    tls: bool = False,
) -> dict[str, Path]:
    """Everything a broker deployment needs, in ``directory``: ``nats-server.conf`` and
    ``credentials/<user>.json`` (fresh passwords; ``url`` is what clients will dial), all 0600;
    with ``tls`` a fresh CA and server certificate in ``tls/`` (:func:`write_test_ca`) and
    ``tls://`` URLs. Returns the paths by name (``"config"`` and each user)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    partners = partners_of(policy_or_partners)
    passwords = make_passwords([EXCHANGE, *partners])
    tls_files = write_test_ca(d / "tls", hosts=(host, "127.0.0.1", "localhost")) if tls else None
    if tls and url.startswith("nats://"):
        url = "tls://" + url.removeprefix("nats://")
    text = nats_config(
        partners,
        port=port,
        host=host,
        http_port=http_port,
        store_dir=store_dir if store_dir is not None else d / "jetstream",
        passwords=passwords,
        cluster=cluster,
        server_name=server_name,
        tls=tls_files,
    )
    conf = d / "nats-server.conf"
    fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(conf, 0o600)
    creds = write_credentials(
        d / "credentials", passwords, url, ca_file=None if tls_files is None else tls_files.ca
    )
    return {"config": conf, **creds}


def read_credentials(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``servers``, ``user``, ``password`` (and ``ca_file``, if any) of a file from
    :func:`write_credentials`."""
    data = json.loads(Path(path).read_text())
    for key in ("servers", "user", "password"):
        if not isinstance(data.get(key), str):
            raise ValueError(f"{path}: field {key!r} missing or not a string")
    return data
