"""CesiumJS, pinned and checked, unpacked outside git: the globe the web page draws on.

The set-up (``make cesium``, which ``make demo`` and ``make test`` depend on) runs
``python -m lookout.web.cesium``: ``npm pack cesium@CESIUM_VERSION`` (the npm registry's own
client; a 23 MB tarball that already holds the built library), checks the tarball against the
pinned npm integrity hash (SRI, sha512), and unpacks ``package/Build/Cesium`` into the cache
directory (``$LOOKOUT_CESIUM_DIR``, else ``$XDG_CACHE_HOME/lookout/cesium-VERSION``). Nothing
else is fetched: the imagery is the Natural Earth II tiles Cesium ships, and the page asks for
no Cesium ion token.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from lookout.errors import LookoutError

CESIUM_VERSION = "1.145.0"
#: ``npm view cesium@1.145.0 dist.integrity``: what the tarball must hash to.
CESIUM_INTEGRITY = (
    "sha512-6Azix8b5LPpoVSx8XQ6zPztpluJVmq+CEO3W2rOWxtc6bri6Nc9MvCYhKmTW1LAEwfisV7yzNgfulCXw9842+g=="
)  # fmt: skip
_PREFIX = "package/Build/Cesium/"
_STAMP = ".lookout-integrity"


class CesiumError(LookoutError, RuntimeError):
    """Cesium could not be fetched or is not where it should be; the message says what to do."""


def cesium_dir() -> Path:
    """Where the unpacked ``Build/Cesium`` lives (it may not be there yet)."""
    env = os.environ.get("LOOKOUT_CESIUM_DIR")
    if env:
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "lookout" / f"cesium-{CESIUM_VERSION}"


def is_ready(path: Path | None = None) -> bool:
    """Whether ``path`` holds the pinned, checked Cesium."""
    path = path or cesium_dir()
    stamp = path / _STAMP
    return (
        (path / "Cesium.js").is_file()
        and stamp.is_file()
        and (stamp.read_text().strip() == CESIUM_INTEGRITY)
    )


def require() -> Path:
    """The Cesium directory, or :class:`CesiumError` saying how to fetch it."""
    path = cesium_dir()
    if not is_ready(path):
        raise CesiumError(
            f"CesiumJS {CESIUM_VERSION} is not set up in {path}: run `make cesium` "
            "(or `python -m lookout.web.cesium`), which needs npm"
        )
    return path


def sri(data_path: Path) -> str:
    """The npm integrity string (``sha512-<base64>``) of a file."""
    h = hashlib.sha512()
    with open(data_path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha512-" + base64.b64encode(h.digest()).decode()


def unpack(tarball: Path, dest: Path) -> Path:
    """Check ``tarball`` against the pinned integrity and unpack its ``Build/Cesium`` into
    ``dest`` (replaced whole, through a temporary sibling, so a broken unpack leaves nothing)."""
    got = sri(tarball)
    if got != CESIUM_INTEGRITY:
        raise CesiumError(
            f"{tarball}: integrity {got} does not match the pinned {CESIUM_INTEGRITY}; "
            "the download is not cesium@" + CESIUM_VERSION
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            members = []
            for m in tar.getmembers():
                if m.name.startswith(_PREFIX) and (m.isfile() or m.isdir()):
                    m.name = m.name[len(_PREFIX) :]
                    if m.name:
                        members.append(m)
            tar.extractall(tmp, members=members, filter="data")
        (tmp / _STAMP).write_text(CESIUM_INTEGRITY + "\n")
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return dest


def fetch(dest: Path | None = None) -> Path:
    """``npm pack`` the pinned Cesium, check it and unpack it (nothing if already there)."""
    dest = dest or cesium_dir()
    if is_ready(dest):
        return dest
    npm = shutil.which("npm")
    if npm is None:
        raise CesiumError("npm is not installed; install Node.js and npm (apt-get install npm)")
    with tempfile.TemporaryDirectory() as work:
        done = subprocess.run(
            [npm, "pack", f"cesium@{CESIUM_VERSION}", "--silent", "--pack-destination", work],
            cwd=work,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise CesiumError(f"npm pack cesium@{CESIUM_VERSION} failed: {done.stderr.strip()}")
        tarball = Path(work) / f"cesium-{CESIUM_VERSION}.tgz"
        if not tarball.is_file():
            raise CesiumError(f"npm pack wrote no {tarball.name} in {work}")
        return unpack(tarball, dest)


def main() -> None:  # pragma: no cover - the set-up step
    try:
        path = fetch()
    except CesiumError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    print(f"CesiumJS {CESIUM_VERSION} ready in {path}")


if __name__ == "__main__":  # python -m lookout.web.cesium
    main()
