"""Ed25519 keys of partners and of the exchange, and the :class:`Keyring` of public keys.

Keys come from ``cryptography``. :func:`derive_key` makes a key from a seed and a name so that
tests and demos are deterministic: derived keys are for simulation only, since anyone who knows
the seed has the key; real deployments use :func:`generate_key` and keep private keys in files
readable only by their owner.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

#: The sender name of the exchange's own messages (system tracks).
EXCHANGE = "EXCHANGE"

_RAW = serialization.Encoding.Raw
_PEM = serialization.Encoding.PEM


def generate_key() -> Ed25519PrivateKey:
    """A fresh random private key."""
    return Ed25519PrivateKey.generate()


def derive_key(seed: str | bytes, name: str) -> Ed25519PrivateKey:
    """A private key derived from ``seed`` and ``name`` (SHA-256): SIMULATION ONLY.

    The same seed and name always give the same key, which keeps tests and demos deterministic;
    anyone who knows the seed can sign as ``name``.
    """
    seed_bytes = seed.encode() if isinstance(seed, str) else bytes(seed)
    digest = hashlib.sha256(b"lookout-simulation-key\x00" + seed_bytes + b"\x00" + name.encode())
    return Ed25519PrivateKey.from_private_bytes(digest.digest())


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key (or of a private key's public key)."""
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(_RAW, serialization.PublicFormat.Raw)


def save_private_key(key: Ed25519PrivateKey, path: str | Path, *, raw: bool = False) -> None:
    """Write a private key as unencrypted PKCS#8 PEM (or its 32 raw bytes), mode 0600."""
    if raw:
        data = key.private_bytes(
            _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    else:
        data = key.private_bytes(
            _PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def save_public_key(key: Ed25519PrivateKey | Ed25519PublicKey, path: str | Path, *, raw=False):
    """Write a public key as SubjectPublicKeyInfo PEM (or its 32 raw bytes)."""
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    if raw:
        data = public_bytes(key)
    else:
        data = key.public_bytes(_PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    Path(path).write_bytes(data)


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Read a private key written by :func:`save_private_key`: PEM, or exactly 32 raw bytes."""
    data = Path(path).read_bytes()
    if len(data) == 32:
        return Ed25519PrivateKey.from_private_bytes(data)
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: expected an Ed25519 private key, got {type(key).__name__}")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """Read a public key: PEM, or exactly 32 raw bytes."""
    data = Path(path).read_bytes()
    if len(data) == 32:
        return Ed25519PublicKey.from_public_bytes(data)
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path}: expected an Ed25519 public key, got {type(key).__name__}")
    return key


class Keyring(Mapping[str, Ed25519PublicKey]):
    """Public keys by sender name (partner id, or :data:`EXCHANGE`)."""

    def __init__(self, keys: Mapping[str, Ed25519PublicKey] | None = None) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        for name, key in (keys or {}).items():
            self.add(name, key)

    @classmethod
    def derived(cls, seed: str | bytes, names: Iterable[str]) -> Keyring:
        """The public keys of :func:`derive_key` for each name: SIMULATION ONLY."""
        return cls({n: derive_key(seed, n).public_key() for n in names})

    @classmethod
    def from_dir(cls, path: str | Path) -> Keyring:
        """Every ``<NAME>.pub`` file (PEM or raw) in a directory, keyed by NAME."""
        files = sorted(Path(path).glob("*.pub"))
        return cls({f.stem: load_public_key(f) for f in files})

    def add(self, name: str, key: Ed25519PublicKey | Ed25519PrivateKey) -> None:
        if isinstance(key, Ed25519PrivateKey):
            key = key.public_key()
        if not isinstance(key, Ed25519PublicKey):
            raise TypeError(f"keyring[{name!r}]: expected an Ed25519 public key, got {key!r}")
        self._keys[name] = key

    def __getitem__(self, name: str) -> Ed25519PublicKey:
        return self._keys[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)
