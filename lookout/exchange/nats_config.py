"""nats-server configuration generated from the coalition's releasability policy.

The broker enforces, per connection, what the exchange enforces per message: partner ``P`` may
publish only its own inbound subjects ``lookout.in.P.>`` and receive only its own outbound
subjects ``lookout.out.P.>``. The ``EXCHANGE`` user (the fusion service) reads every inbound
subject and writes every outbound one. Finer rules (which message class from which sender) stay
with the exchange, which is the only publisher on ``lookout.out.>``.

Each partner gets:

- publish ``lookout.in.P.>`` (with a JetStream ack to its own inbox);
- the three JetStream API subjects its durable consumer ``P`` on ``LOOKOUT_OUT`` needs, with the
  consumer's filter fixed to ``lookout.out.P.>`` in the API subject itself, so it cannot create
  or rebind a consumer that reads another partner's messages;
- subscribe ``lookout.out.P.>`` (live, non-durable reads) and ``_INBOX.P.>``: replies and pulled
  messages come to a per-partner inbox prefix, so no partner can listen to another's replies.

Passwords are written into the configuration as bcrypt hashes when the ``bcrypt`` package is
installed, and in plain text otherwise: then protect the file like a key (mode 0600).
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

log = logging.getLogger(__name__)

EXCHANGE = "EXCHANGE"
"""User name of the exchange (fusion service) on the broker."""

IN_STREAM = "LOOKOUT_IN"
OUT_STREAM = "LOOKOUT_OUT"
ACCOUNT = "LOOKOUT"


def inbox_prefix(user: str) -> str:
    """The reply-inbox prefix reserved for ``user`` (its subscribe permission covers only it)."""
    return f"_INBOX.{user}"


def partner_permissions(partner: str) -> dict[str, dict[str, list[str]]]:
    """Publish/subscribe allow lists for partner ``partner`` (e.g. ``"KR"``)."""
    _check_name(partner)
    filt = f"lookout.out.{partner}.>"
    return {
        "publish": {
            "allow": [
                f"lookout.in.{partner}.>",
                # Create (or update) its own durable pull consumer; the filter is part of the
                # API subject, and the server refuses a config whose filter differs from it.
                f"$JS.API.CONSUMER.CREATE.{OUT_STREAM}.{partner}.{filt}",
                f"$JS.API.CONSUMER.INFO.{OUT_STREAM}.{partner}",
                f"$JS.API.CONSUMER.MSG.NEXT.{OUT_STREAM}.{partner}",
                f"$JS.ACK.{OUT_STREAM}.{partner}.>",
            ]
        },
        "subscribe": {"allow": [filt, f"{inbox_prefix(partner)}.>"]},
    }


def exchange_permissions(user: str = EXCHANGE) -> dict[str, dict[str, list[str]]]:
    """Allow lists for the exchange: read all inbound, write all outbound, manage the streams."""
    return {
        "publish": {
            "allow": ["lookout.out.>", "$JS.API.>", f"$JS.ACK.{IN_STREAM}.>"],
        },
        "subscribe": {"allow": ["lookout.in.>", f"{inbox_prefix(user)}.>"]},
    }


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


def _hash_password(password: str) -> str:
    try:
        import bcrypt  # type: ignore[import-not-found]
    except ImportError:
        return password
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=11)).decode()


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
    max_memory_store: str = "256M",
    cluster: Cluster | None = None,
    hash_passwords: bool = True,
) -> str:
    """The nats-server configuration text for the partners of ``policy_or_partners``.

    ``passwords`` maps each user (every partner and ``EXCHANGE``) to its password; see
    :func:`make_passwords`. ``http_port`` enables the monitoring endpoint (``/healthz``).
    """
    partners = partners_of(policy_or_partners)
    users = [EXCHANGE, *partners]
    missing = [u for u in users if u not in passwords]
    if missing:
        raise ValueError(f"passwords: no password for {missing}; expected one per user {users}")
    hashing = hash_passwords and _hash_password("x") != "x"
    if not hashing:
        log.info("nats config: bcrypt not installed, passwords stored in plain text")
    out = [
        "# nats-server configuration for Lookout, generated by lookout.exchange.nats_config.",
        f"# Partners: {', '.join(partners)}. Broker-side releasability: each partner publishes",
        "# only lookout.in.<P>.> and receives only lookout.out.<P>.>.",
        f"server_name: {_q(server_name)}",
        f"listen: {_q(f'{host}:{port}')}",
    ]
    if http_port is not None:
        out.append(f"http: {_q(f'{host}:{http_port}')}")
    out += [
        "max_payload: 1MB",
        "jetstream {",
        f"  store_dir: {_q(str(Path(store_dir)))}",
        f"  max_file_store: {max_file_store}",
        f"  max_memory_store: {max_memory_store}",
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
    out += ["accounts {", f"  {ACCOUNT} {{", "    jetstream: enabled", "    users: ["]
    for user in users:
        perms = exchange_permissions(user) if user == EXCHANGE else partner_permissions(user)
        pw = _hash_password(passwords[user]) if hashing else passwords[user]
        out.append(f"      {{ user: {_q(user)}, password: {_q(pw)},")
        out.append(_perm_block(perms, "        ") + " }")
    out += ["    ]", "  }", "}", ""]
    return "\n".join(out)


def write_credentials(
    directory: str | os.PathLike[str], passwords: Mapping[str, str], servers: str
) -> dict[str, Path]:
    """Write ``<user>.json`` (``servers``, ``user``, ``password``) per user, mode 0600.

    Each partner site gets only its own file; :meth:`NatsBus.from_credentials` reads it.
    """
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = {}
    for user, pw in passwords.items():
        path = d / f"{user}.json"
        text = json.dumps({"servers": servers, "user": user, "password": pw}, indent=2) + "\n"
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
) -> dict[str, Path]:
    """Everything a broker deployment needs, in ``directory``: ``nats-server.conf`` and
    ``credentials/<user>.json`` (fresh passwords; ``url`` is what clients will dial), all 0600.
    Returns the paths by name (``"config"`` and each user)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    partners = partners_of(policy_or_partners)
    passwords = make_passwords([EXCHANGE, *partners])
    text = nats_config(
        partners,
        port=port,
        host=host,
        http_port=http_port,
        store_dir=store_dir if store_dir is not None else d / "jetstream",
        passwords=passwords,
        cluster=cluster,
        server_name=server_name,
    )
    conf = d / "nats-server.conf"
    fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(conf, 0o600)
    return {"config": conf, **write_credentials(d / "credentials", passwords, url)}


def read_credentials(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``servers``, ``user`` and ``password`` of a file from :func:`write_credentials`."""
    data = json.loads(Path(path).read_text())
    for key in ("servers", "user", "password"):
        if not isinstance(data.get(key), str):
            raise ValueError(f"{path}: field {key!r} missing or not a string")
    return data
