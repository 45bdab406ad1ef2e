"""The vehicle catalogue: staged boosters and their payloads, as data (``vehicles.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import yaml

from lookout.errors import LookoutError
from lookout.geodesy import G0


class CatalogueError(LookoutError, ValueError):
    """A vehicle description that cannot be flown; the message names the field and value."""


@dataclass(frozen=True)
class Stage:
    propellant_kg: float
    dry_kg: float
    burn_s: float
    isp_sl_s: float
    isp_vac_s: float
    diameter_m: float

    @property
    def mass_flow_kgps(self) -> float:
        return self.propellant_kg / self.burn_s

    @property
    def area_m2(self) -> float:
        return np.pi * self.diameter_m**2 / 4.0


@dataclass(frozen=True)
class Payload:
    mass_kg: float
    diameter_m: float
    drag: str
    #: False: the payload stays on the spent airframe, which flies on as one body (KN-23 class).
    separates: bool = True

    @property
    def area_m2(self) -> float:
        return np.pi * self.diameter_m**2 / 4.0


@dataclass(frozen=True)
class Aero:
    """The lift of a body that manoeuvres in the atmosphere after burnout (see
    ``lookout.physics.dynamics.Aero``): maximum lift-to-drag ratio of its polar, the largest lift
    coefficient as a multiple of the best-L/D one, the largest lift acceleration (g), the
    altitude it holds after apogee unless the aim says otherwise (km), the speed below which it
    dives (m/s) and the period of its altitude hold (s)."""

    role: str  # pull_up (a manoeuvring airframe) or glide (a glide vehicle)
    lift_to_drag: float
    cl_max_factor: float
    max_lift_g: float
    glide_km: float
    dive_speed_mps: float
    hold_period_s: float
    source: str


@dataclass(frozen=True)
class Underwater:
    """A cold launch from a submerged tube: the missile leaves it at ``ejection_speed_mps``,
    rises through the water (buoyed by its volume, a cylinder ``length_m`` long, and braked by
    water drag) and lights its motor ``ignition_delay_s`` after it breaks the surface."""

    ejection_speed_mps: float
    ignition_delay_s: float
    length_m: float
    source: str


@dataclass(frozen=True)
class Vehicle:
    name: str
    vehicle_class: str
    description: str
    source: str
    stages: tuple[Stage, ...]
    payload: Payload
    vertical_rise_s: float
    pitch_over_s: float
    aero: Aero | None = None
    underwater: Underwater | None = None

    @property
    def lifting(self) -> bool:
        return self.aero is not None

    @property
    def booster_mass_kg(self) -> float:
        """Liftoff mass without the payload: how big a booster it is."""
        return sum(s.propellant_kg + s.dry_kg for s in self.stages)

    @property
    def liftoff_mass_kg(self) -> float:
        return sum(s.propellant_kg + s.dry_kg for s in self.stages) + self.payload.mass_kg

    @property
    def full_burn_s(self) -> float:
        """Time from liftoff to the last stage's burnout when every stage burns out."""
        return sum(s.burn_s for s in self.stages)

    def ideal_delta_v_mps(self) -> float:
        """Tsiolkovsky delta-v with vacuum Isp, no losses (m/s)."""
        dv, mass = 0.0, self.liftoff_mass_kg
        for s in self.stages:
            dv += s.isp_vac_s * G0 * np.log(mass / (mass - s.propellant_kg))
            mass -= s.propellant_kg + s.dry_kg
        return dv


@dataclass(frozen=True)
class DragTable:
    mach: np.ndarray
    cd: np.ndarray

    def __call__(self, mach: np.ndarray) -> np.ndarray:
        return np.interp(mach, self.mach, self.cd)


def _positive(where: str, field: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise CatalogueError(f"{where}: {field}={value!r} is not a number") from None
    if not v > 0:
        raise CatalogueError(f"{where}: {field}={value!r} must be positive")
    return v


def _stage(where: str, raw: dict) -> Stage:
    fields = ("propellant_kg", "dry_kg", "burn_s", "isp_sl_s", "isp_vac_s", "diameter_m")
    missing = [f for f in fields if f not in raw]
    if missing:
        raise CatalogueError(f"{where}: missing {', '.join(missing)}")
    return Stage(**{f: _positive(where, f, raw[f]) for f in fields})


@cache
def drag_tables() -> dict[str, DragTable]:
    data = _raw_catalogue()
    return {
        name: DragTable(np.asarray(t["mach"], float), np.asarray(t["cd"], float))
        for name, t in data["drag_tables"].items()
    }


@cache
def _raw_catalogue() -> dict:
    text = resources.files("lookout.physics").joinpath("vehicles.yaml").read_text()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when there is one
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


@cache
def catalogue() -> dict[str, Vehicle]:
    """All catalogue vehicles by name, smallest booster first."""
    out = []
    tables = drag_tables()
    for i, raw in enumerate(_raw_catalogue()["vehicles"]):
        where = f"vehicles[{i}] ({raw.get('name', '?')})"
        stages = tuple(_stage(f"{where}.stages[{j}]", s) for j, s in enumerate(raw["stages"]))
        p = raw["payload"]
        if p.get("drag") not in tables:
            raise CatalogueError(f"{where}.payload: drag={p.get('drag')!r} is not a drag table")
        payload = Payload(
            _positive(where, "payload.mass_kg", p["mass_kg"]),
            _positive(where, "payload.diameter_m", p["diameter_m"]),
            p["drag"],
            bool(p.get("separates", True)),
        )
        out.append(
            Vehicle(
                name=raw["name"],
                vehicle_class=raw["class"],
                description=raw["description"],
                source=" ".join(raw["source"].split()),
                stages=stages,
                payload=payload,
                vertical_rise_s=_positive(where, "vertical_rise_s", raw["vertical_rise_s"]),
                pitch_over_s=_positive(where, "pitch_over_s", raw["pitch_over_s"]),
                aero=_aero(where, raw["aero"]) if "aero" in raw else None,
                underwater=_underwater(where, raw["underwater"]) if "underwater" in raw else None,
            )
        )
    # Smallest booster first; of one booster, the heavier (standard) payload first, so that a
    # light-payload variant is only chosen for what the standard one cannot do.
    out.sort(key=lambda v: (v.booster_mass_kg, -v.payload.mass_kg))
    return {v.name: v for v in out}


def _aero(where: str, raw: dict) -> Aero:
    fields = (
        "lift_to_drag",
        "cl_max_factor",
        "max_lift_g",
        "glide_km",
        "dive_speed_mps",
        "hold_period_s",
    )
    missing = [f for f in (*fields, "source") if f not in raw]
    if missing:
        raise CatalogueError(f"{where}.aero: missing {', '.join(missing)}")
    values = {f: _positive(f"{where}.aero", f, raw[f]) for f in fields}
    if raw.get("role") not in ("pull_up", "glide"):
        raise CatalogueError(f"{where}.aero: role={raw.get('role')!r} is not pull_up or glide")
    return Aero(role=raw["role"], **values, source=" ".join(str(raw["source"]).split()))


def _underwater(where: str, raw: dict) -> Underwater:
    fields = ("ejection_speed_mps", "ignition_delay_s", "length_m")
    missing = [f for f in (*fields, "source") if f not in raw]
    if missing:
        raise CatalogueError(f"{where}.underwater: missing {', '.join(missing)}")
    values = {f: _positive(f"{where}.underwater", f, raw[f]) for f in fields}
    return Underwater(**values, source=" ".join(str(raw["source"]).split()))


def vehicle(name: str) -> Vehicle:
    """A catalogue vehicle by name; the error lists the names there are."""
    cat = catalogue()
    if name not in cat:
        raise CatalogueError(f"vehicle={name!r} is not in the catalogue ({', '.join(cat)})")
    return cat[name]
