"""The vehicle catalogue: staged boosters and their payloads, as data (``vehicles.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import yaml

G0 = 9.80665


class CatalogueError(ValueError):
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

    @property
    def area_m2(self) -> float:
        return np.pi * self.diameter_m**2 / 4.0


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
    text = resources.files("lookout.flight").joinpath("vehicles.yaml").read_text()
    return yaml.safe_load(text)


@cache
def catalogue() -> dict[str, Vehicle]:
    """All catalogue vehicles by name, smallest (by liftoff mass) first."""
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
            )
        )
    out.sort(key=lambda v: v.liftoff_mass_kg)
    return {v.name: v for v in out}


def vehicle(name: str) -> Vehicle:
    """A catalogue vehicle by name; the error lists the names there are."""
    cat = catalogue()
    if name not in cat:
        raise CatalogueError(f"vehicle={name!r} is not in the catalogue ({', '.join(cat)})")
    return cat[name]
