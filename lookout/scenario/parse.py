"""Reading and checking a scenario file: ``load`` (a shipped name or a path), ``parse`` (a
mapping as read from YAML), ``shipped`` and ``resolve``. Every field is checked before anything
runs: an invalid file raises ``ScenarioError`` naming the field (as a path such as
``launches[2].aim.loft``), the value found and what was expected.

Units at this edge are the file's: degrees, km, seconds after the epoch.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import shapely
import yaml

from lookout import fields
from lookout.failure import Failure
from lookout.flight import Aim, AimError, TurnSpec
from lookout.flight.launch import underwater_rise
from lookout.geodesy import ring_round_pole, unwrap_lon_deg
from lookout.physics.vehicles import CatalogueError, catalogue
from lookout.scenario.document import (
    AimDocument,
    LaunchDocument,
    NoticeDocument,
    Outages,
    ScenarioDocument,
)
from lookout.scenario.schema import (
    LaunchEntry,
    NoticeEntry,
    Partner,
    Scenario,
    ScenarioError,
    SensorEntry,
)
from lookout.sensors import make_sensor
from lookout.sensors._validate import ParameterError

SHIPPED_DIR = Path(__file__).parent / "shipped"

_SENSOR_RUNNER_FIELDS = {"outages"}
_AIM_KINDS = (
    "target (with an optional loft), or azimuth_deg with apogee_km and range_km, "
    "or azimuth_deg with orbit_km"
)


def depth_rise(vehicle, depth_m: float) -> float:
    """Time (s) from a submerged launch to the vehicle's ignition (0 from the ground)."""
    return underwater_rise(vehicle, depth_m)[0] if depth_m > 0 else 0.0


def shipped() -> dict[str, str]:
    """Shipped scenario names and their one-line descriptions, in file-name order."""
    out = {}
    for path in sorted(SHIPPED_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text()) or {}
        out[path.stem] = str(data.get("description", "")).strip().splitlines()[0]
    return out


def resolve(name_or_path: str | Path) -> Path:
    """The file of a shipped scenario name, or a user's path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ScenarioError(f"scenario file {str(path)!r} does not exist")
        return path
    candidate = SHIPPED_DIR / f"{name_or_path}.yaml"
    if candidate.is_file():
        return candidate
    names = ", ".join(shipped())
    raise ScenarioError(
        f"scenario = {str(name_or_path)!r}, expected a shipped name ({names}) or a YAML file path"
    )


def load(name_or_path: str | Path) -> Scenario:
    """Read and check a scenario; raises ``ScenarioError`` on the first problem found."""
    path = resolve(name_or_path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
    return parse(data, source=str(path), default_name=path.stem)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error in one line: what is wrong and where (line and column, 1-based)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{problem}{where}"


def parse(data: Any, source: str = "<scenario>", default_name: str = "scenario") -> Scenario:
    """Check a scenario mapping (as read from YAML) and build the ``Scenario``."""
    c = _Checker(source)
    doc = fields.convert(data, ScenarioDocument, c.fail)
    partners: list[Partner] = []
    sensors: list[SensorEntry] = []
    for i, p in enumerate(doc.partners):
        where = f"partners[{i}]"
        pid = p.id.strip()
        if any(q.id == pid for q in partners):
            c.fail(f"{where}.id", pid, "a partner id not used before")
        raw_authority = data["partners"][i].get("authority")
        partners.append(
            Partner(
                id=pid,
                name=(p.name or pid).strip(),
                country=p.country.strip(),
                languages=tuple(x.strip() for x in p.languages),
                authority=tuple(raw_authority.items()) if raw_authority else (),
            )
        )
        for j, s in enumerate(p.sensors or []):
            sensors.append(c.sensor(f"{where}.sensors[{j}]", s, pid, sensors))
    launches: list[LaunchEntry] = []
    for i, entry in enumerate(doc.launches or []):
        raw = data["launches"][i]
        launches.append(c.launch(f"launches[{i}]", entry, raw, launches, doc.duration_s))
    notices: list[NoticeEntry] = []
    for i, entry in enumerate(doc.notices or []):
        raw = data["notices"][i]
        notices.append(c.notice(f"notices[{i}]", entry, raw, notices, partners, doc.duration_s))
    epoch = doc.epoch if doc.epoch.tzinfo is not None else doc.epoch.replace(tzinfo=dt.UTC)
    return Scenario(
        name=(doc.name or default_name).strip(),
        description=doc.description.strip(),
        epoch=epoch.astimezone(dt.UTC),
        seed=doc.seed,
        duration_s=doc.duration_s,
        partners=tuple(partners),
        sensors=tuple(sensors),
        launches=tuple(launches),
        note=doc.note.strip(),
        notices=tuple(notices),
        source=source,
        raw=data,
    )


class _Checker:
    """What relates fields to each other (unique ids, a launch within the run, the kind of an
    aim, a vehicle of the catalogue); each failure names the field path, the value and what was
    expected, as ``lookout.fields`` does for the types and ranges."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, value: Any, expected: str) -> NoReturn:
        field_name = where or "the file"
        raise ScenarioError(f"{self.source}: {field_name} = {value!r}, expected {expected}")

    def sensor(self, where: str, value: dict, partner: str, seen: list) -> SensorEntry:
        spec = {k: v for k, v in value.items() if k not in _SENSOR_RUNNER_FIELDS}
        if "partner" in spec and spec["partner"] != partner:
            self.fail(f"{where}.partner", spec["partner"], f"{partner!r} (the owning partner)")
        spec["partner"] = partner
        sid = spec.get("id")
        if not isinstance(sid, str) or not sid.strip():
            self.fail(f"{where}.id", sid, "a non-empty string")
        if any(s.id == sid for s in seen):
            self.fail(f"{where}.id", sid, "a sensor id not used before")
        try:
            make_sensor(spec)
        except (ParameterError, ValueError, TypeError) as exc:
            raise ScenarioError(f"{self.source}: {where}: {exc}") from None
        raw = value.get("outages") or []
        outages = fields.convert(raw, Outages, self.fail, root=f"{where}.outages")
        for k, (a, b) in enumerate(outages):
            if b <= a:
                self.fail(f"{where}.outages[{k}]", raw[k], "[from_s, to_s] with to_s > from_s")
        return SensorEntry(spec=spec, outages=tuple(outages))

    def launch(
        self, where: str, value: LaunchDocument, raw: dict, seen: list, duration: float
    ) -> LaunchEntry:
        lid = value.id.strip()
        if any(x.id == lid for x in seen):
            self.fail(f"{where}.id", lid, "a launch id not used before")
        if value.time_s > duration:
            self.fail(f"{where}.time_s", raw["time_s"], f"a number <= {duration:g}")
        lat, lon = value.site
        vehicle_name = value.vehicle
        if vehicle_name is not None:
            try:
                vehicle = catalogue()[vehicle_name]
            except (KeyError, TypeError, CatalogueError):
                self.fail(f"{where}.vehicle", vehicle_name, f"one of {list(catalogue())}")
        aim = self.aim(f"{where}.aim", value.aim, raw["aim"])
        depth = 0.0
        if value.depth_m is not None:
            depth = value.depth_m
            if vehicle_name is not None and vehicle.underwater is None:
                uw = [name for name, v in catalogue().items() if v.underwater is not None]
                expected = f"a vehicle that starts under water ({', '.join(uw)}) with depth_m"
                self.fail(f"{where}.vehicle", vehicle_name, expected)
        failure = None
        if value.failure is not None:
            f = value.failure
            if f.pieces is not None and f.kind != "breakup":
                self.fail(f"{where}.failure.pieces", f.pieces, "no pieces with kind cutoff")
            end = vehicle.full_burn_s + depth_rise(vehicle, depth) if vehicle_name else None
            if end is not None and f.time_s > end:
                self.fail(f"{where}.failure.time_s", raw["failure"]["time_s"],
                          f"a time within {vehicle_name}'s boost, at most {end:g} s")  # fmt: skip
            failure = Failure(f.time_s, f.kind, f.pieces)
        return LaunchEntry(lid, value.time_s, lat, lon, vehicle_name, aim, depth, failure)

    def notice(
        self, where: str, value: NoticeDocument, raw: dict, seen: list, partners: list, duration
    ) -> NoticeEntry:
        nid = value.id.strip()
        if any(n.id == nid for n in seen):
            self.fail(f"{where}.id", nid, "a notice id not used before")
        ids = [p.id for p in partners]
        if value.partner.strip() not in ids:
            # A non-partner (a state announcing through IMO or ICAO notices alone) has no key
            # on the exchange: its notices cannot be signed and are not trusted.
            self.fail(f"{where}.partner", value.partner, f"one of the partners {ids}")
        start, end = value.window_s
        if end <= start:
            self.fail(f"{where}.window_s", raw["window_s"], "[start_s, end_s] with end_s > start_s")
        if value.issued_s > duration:
            self.fail(f"{where}.issued_s", raw["issued_s"], f"a number <= {duration:g}")
        areas = []
        for k, h in enumerate(value.hazard_areas or []):
            wh = f"{where}.hazard_areas[{k}]"
            if h.polygon is not None and (h.center is not None or h.radius_km is not None):
                self.fail(wh, raw["hazard_areas"][k], "a circle (center, radius_km) or a polygon")
            if h.polygon is not None:
                la, lo = np.asarray(h.polygon, dtype=float).T
                if ring_round_pole(lo):
                    self.fail(f"{wh}.polygon", raw["hazard_areas"][k]["polygon"],
                              "corners round a polygon that holds no pole")  # fmt: skip
                # Each side the short way round (a polygon may cross 180 E).
                if not shapely.Polygon(np.column_stack([unwrap_lon_deg(lo), la])).is_valid:
                    self.fail(f"{wh}.polygon", raw["hazard_areas"][k]["polygon"],
                              "corners in order round a simple polygon")  # fmt: skip
                areas.append((h.stage, None, tuple(tuple(c) for c in h.polygon)))
            elif h.center is not None and h.radius_km is not None:
                areas.append((h.stage, (*h.center, h.radius_km), None))
            else:
                self.fail(wh, raw["hazard_areas"][k], "a circle (center, radius_km) or a polygon")
        return NoticeEntry(
            id=nid,
            partner=value.partner.strip(),
            window_s=(start, end),
            site=tuple(value.site),
            site_radius_km=value.site_radius_km,
            azimuth_deg=tuple(value.azimuth_deg),
            kind=value.kind,
            hazard_areas=tuple(areas),
            issued_s=value.issued_s,
        )

    def aim(self, where: str, value: AimDocument, raw: dict) -> Aim:
        given = {f for f in value.__struct_fields__ if getattr(value, f) is not None}
        kw: dict[str, Any] = {}
        if "target" in given:
            kw["target_lat_deg"], kw["target_lon_deg"] = value.target
            kw["loft"] = value.loft if value.loft is not None else "minimum-energy"
            kinds = {"target", "loft"}
        elif "orbit_km" in given:
            if value.azimuth_deg is None:
                self.fail(f"{where}.azimuth_deg", None, "a heading in degrees from north, 0 to 360")
            kw["orbit_km"], kw["azimuth_deg"] = value.orbit_km, value.azimuth_deg
            kinds = {"orbit_km", "azimuth_deg"}
        elif {"azimuth_deg", "apogee_km", "range_km"} <= given:
            kw["azimuth_deg"] = value.azimuth_deg
            kw["apogee_km"], kw["range_km"] = value.apogee_km, value.range_km
            kinds = {"azimuth_deg", "apogee_km", "range_km"}
        else:
            self.fail(where, raw, _AIM_KINDS)
        manoeuvres = {"pull_up_km", "glide"} if "orbit_km" not in given else set()
        extra = sorted(given - kinds - manoeuvres)
        if extra:
            self.fail(f"{where}.{extra[0]}", raw[extra[0]], "no such field with this kind of aim")
        kw.update(self.manoeuvre(where, value, raw))
        try:
            aim = Aim(**kw)
            aim.kind()
        except AimError as exc:
            raise ScenarioError(f"{self.source}: {where}: {exc}") from None
        return aim

    def manoeuvre(self, where: str, value: AimDocument, raw: dict) -> dict:
        """The pull-up or glide of an aim, as ``Aim`` fields."""
        kw: dict[str, Any] = {}
        if value.pull_up_km is not None:
            kw["pull_up_km"] = value.pull_up_km
        if value.glide is not None:
            glide = value.glide
            if value.pull_up_km is not None:
                self.fail(f"{where}.glide", raw["glide"], "a pull-up or a glide, not both")
            kw["glide_km"] = glide.altitude_km
            if glide.lift_to_drag is not None:
                kw["lift_to_drag"] = glide.lift_to_drag
            turns = []
            for i, t in enumerate(glide.turns or []):
                if t.end_s <= t.start_s:
                    wt = f"{where}.glide.turns[{i}]"
                    end = raw["glide"]["turns"][i]["end_s"]
                    self.fail(f"{wt}.end_s", end, f"a time after start_s ({t.start_s:g})")
                turns.append(TurnSpec(t.start_s, t.end_s, t.bank_deg))
            kw["turns"] = tuple(turns)
        return kw
