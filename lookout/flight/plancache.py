"""A memo of solved launch guidance, so a scenario plans each distinct launch once.

Solving guidance takes seconds (``lookout.flight.plan``); flying the solved launch takes a
fraction of one. The solution depends only on the vehicle, the site and the aim: the dynamics are
written in the Earth-fixed frame, so the launch time does not change it (``plan_many`` solves
every request at t = 0, so not even in its last digits). This module keeps
solutions in memory and on disk, keyed by a hash of those inputs *and of the source and data of
``lookout.flight`` and ``lookout.physics``* (``model_files``) and the step that flies them
(compiled or numpy, ``lookout.physics.propagate.use_compiled_step``), so any change to the
physics, the vehicle catalogue or the solver invalidates every entry.

The disk cache lives in ``$LOOKOUT_CACHE_DIR`` or ``~/.cache/lookout/plans``; set
``LOOKOUT_CACHE_DIR=off`` to disable it. A cached entry holds only the guidance parameters
(heading, pitch-over, cutoff); the flight is always re-integrated.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from functools import cache
from pathlib import Path

import numpy as np

from lookout.flight.aim import Aim, AimError
from lookout.flight.launch import Launch, Turn
from lookout.flight.planner import Request, plan_many
from lookout.physics.propagate import use_compiled_step
from lookout.physics.vehicles import vehicle

#: What a plan is, beyond its request: the solved guidance and what the planner chose (the
#: vehicle's glide altitude, a default depth).
_GUIDANCE_FIELDS = (
    "azimuth",
    "kick",
    "cutoff_s",
    "orbit",
    "hold_pitch",
    "glide_alt_m",
    "lift_to_drag",
    "depth_m",
)
_memory: dict[str, dict] = {}


def model_files() -> list[Path]:
    """Every file a solution depends on: the source of ``lookout.flight`` (the solver) and of
    ``lookout.physics`` with its data (the equations of motion, the vehicle catalogue, the
    atmosphere table), and geodesy."""
    package = Path(__file__).parent.parent
    files = []
    for folder, patterns in (("flight", ("*.py",)), ("physics", ("*.py", "*.yaml", "*.csv"))):
        for pattern in patterns:
            files += sorted((package / folder).glob(pattern))
    return files + [package / "geodesy.py"]


@cache
def _physics_fingerprint() -> str:
    """Hash of every file of ``model_files``."""
    digest = hashlib.sha256()
    for path in model_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_dir() -> Path | None:
    """Where solved plans are kept on disk, or None when disabled."""
    env = os.environ.get("LOOKOUT_CACHE_DIR")
    if env == "off":
        return None
    if env:
        return Path(env)
    return Path.home() / ".cache" / "lookout" / "plans"


def _key(
    site_lat_deg: float, site_lon_deg: float, aim: Aim, vehicle_name: str | None, depth_m: float
) -> str:
    spec = {
        "site": [float(site_lat_deg), float(site_lon_deg)],
        "aim": dataclasses.asdict(aim),
        "vehicle": vehicle_name,
        "depth_m": float(depth_m),
        "physics": _physics_fingerprint(),
        # The compiled and the numpy step fly the same flights to the last digits, which a
        # solution's bisections can tell apart: each keeps its own.
        "step": "compiled" if use_compiled_step() else "numpy",
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:32]


def plan_cached(
    site_lat_deg: float,
    site_lon_deg: float,
    aim: Aim,
    vehicle_name: str | None = None,
    object_id: str = "launch",
    launch_time: float = 0.0,
    depth_m: float = 0.0,
) -> Launch:
    """``lookout.flight.plan`` with the guidance solution remembered across calls and runs."""
    req = Request(site_lat_deg, site_lon_deg, aim, vehicle_name, object_id, launch_time, depth_m)
    result = plan_cached_many([req])[0]
    if isinstance(result, AimError):
        raise result
    return result


def plan_cached_many(requests: list[Request]) -> list[Launch | AimError]:
    """``lookout.flight.plan_many`` with each solution remembered: the requests not yet solved
    (once per distinct site, aim, vehicle and depth) are planned together in one batch."""
    keys = [_key(r.site_lat_deg, r.site_lon_deg, r.aim, r.vehicle, r.depth_m) for r in requests]
    todo: dict[str, Request] = {}
    for key, req in zip(keys, requests, strict=True):
        entry = _memory.get(key) or _read(key)
        if entry is not None:
            _memory[key] = entry
        elif key not in todo:
            todo[key] = req
    errors: dict[str, AimError] = {}
    for key, launch in zip(todo, plan_many(list(todo.values())), strict=True):
        if isinstance(launch, AimError):
            errors[key] = launch
            continue
        entry = {"vehicle": launch.vehicle.name}
        entry.update({f: _plain(getattr(launch, f)) for f in _GUIDANCE_FIELDS})
        entry["turns"] = [[t.start_s, t.end_s, t.bank] for t in launch.turns]
        _write(key, entry)
        _memory[key] = entry
    out: list[Launch | AimError] = []
    for key, req in zip(keys, requests, strict=True):
        if key in errors:
            out.append(errors[key])
            continue
        entry = _memory[key]
        out.append(
            Launch(
                object_id=req.object_id,
                vehicle=vehicle(entry["vehicle"]),
                site_lat=float(np.radians(req.site_lat_deg)),
                site_lon=float(np.radians(req.site_lon_deg)),
                launch_time=req.launch_time,
                turns=tuple(Turn(*t) for t in entry.get("turns", [])),
                **{f: entry.get(f, _DEFAULTS[f]) for f in _GUIDANCE_FIELDS},
            )
        )
    return out


_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Launch)}


def _plain(x):
    if x is None or isinstance(x, bool):
        return x
    return float(x)


def _read(key: str) -> dict | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        return json.loads((folder / f"{key}.json").read_text())
    except (OSError, ValueError):
        return None


def _write(key: str, entry: dict) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{key}.json.{os.getpid()}"
        tmp.write_text(json.dumps(entry))
        tmp.replace(folder / f"{key}.json")
    except OSError:
        pass  # a read-only home only costs speed
