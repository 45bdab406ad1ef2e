"""Reading and checking a scenario file: ``load`` (a shipped name or a path), ``parse`` (a
mapping as read from YAML), ``shipped`` and ``resolve``. Every field is checked before anything
runs: an invalid file raises ``ScenarioError`` naming the field (as a path such as
``launches[2].aim.loft``), the value found and what was expected.

Units at this edge are the file's: degrees, km, seconds after the epoch.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import yaml

from lookout.flight import Aim, AimError, TurnSpec
from lookout.physics.vehicles import CatalogueError, catalogue
from lookout.scenario.schema import LaunchEntry, Partner, Scenario, ScenarioError, SensorEntry
from lookout.sensors import make_sensor
from lookout.sensors._validate import ParameterError

SHIPPED_DIR = Path(__file__).parent / "shipped"

_TOP_FIELDS = {"name", "description", "note", "epoch", "seed", "duration_s", "partners", "launches"}
_PARTNER_FIELDS = {"id", "name", "country", "languages", "sensors", "authority"}
_AUTHORITY_FIELDS = {"sender", "sender_name", "timezone", "web"}
_SENSOR_RUNNER_FIELDS = {"outages"}
_LAUNCH_FIELDS = {"id", "time_s", "site", "vehicle", "aim", "depth_m"}
_AIM_FIELDS = {
    "target": "a [lat_deg, lon_deg] target point",
    "loft": "minimum-energy, depressed or an apogee in km (with target)",
    "azimuth_deg": "a heading in degrees from north",
    "apogee_km": "an apogee in km (with azimuth_deg and range_km)",
    "range_km": "a ground range in km (with azimuth_deg and apogee_km)",
    "orbit_km": "an orbit insertion altitude in km (with azimuth_deg)",
    # --- flight branch: manoeuvres (docs/scenarios.md, "Manoeuvres and sea launches") ---
    "pull_up_km": "the altitude in km a manoeuvring SRBM pulls up to after apogee",
    "glide": "a glide: {altitude_km, lift_to_drag, turns: [{start_s, end_s, bank_deg}]}",
}
_MANOEUVRE_FIELDS = {"pull_up_km", "glide"}
_GLIDE_FIELDS = {"altitude_km", "lift_to_drag", "turns"}
_TURN_FIELDS = {"start_s", "end_s", "bank_deg"}


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
    c.mapping("", data, _TOP_FIELDS, required={"epoch", "seed", "duration_s", "partners"})
    name = c.string("name", data.get("name", default_name))
    description = c.string("description", data.get("description", ""), empty_ok=True)
    epoch = c.epoch("epoch", data["epoch"])
    seed = c.integer("seed", data["seed"], lo=0)
    duration = c.number("duration_s", data["duration_s"], lo=0.0, lo_open=True)
    partners, sensors = [], []
    c.list_("partners", data["partners"], min_len=1)
    for i, p in enumerate(data["partners"]):
        where = f"partners[{i}]"
        c.mapping(where, p, _PARTNER_FIELDS, required={"id", "country"})
        pid = c.string(f"{where}.id", p["id"])
        if any(q.id == pid for q in partners):
            c.fail(f"{where}.id", pid, "a partner id not used before")
        languages = p.get("languages", ["en"])
        c.list_(f"{where}.languages", languages, min_len=1)
        partners.append(
            Partner(
                id=pid,
                name=c.string(f"{where}.name", p.get("name", pid)),
                country=c.string(f"{where}.country", p["country"]),
                languages=tuple(
                    c.string(f"{where}.languages[{j}]", x) for j, x in enumerate(languages)
                ),
                authority=c.authority(f"{where}.authority", p.get("authority")),
            )
        )
        for j, s in enumerate(p.get("sensors") or []):
            sensors.append(c.sensor(f"{where}.sensors[{j}]", s, pid, sensors))
    launches: list[LaunchEntry] = []
    c.list_("launches", data.get("launches", []), min_len=0)
    for i, entry in enumerate(data.get("launches") or []):
        launches.append(c.launch(f"launches[{i}]", entry, launches, duration))
    return Scenario(
        name=name,
        description=description,
        epoch=epoch,
        seed=seed,
        duration_s=duration,
        partners=tuple(partners),
        sensors=tuple(sensors),
        launches=tuple(launches),
        note=str(data.get("note", "")).strip(),
        source=source,
        raw=data,
    )


class _Checker:
    """Field checks that name the field path, the value and what was expected."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, value: Any, expected: str):
        field_name = where or "the file"
        raise ScenarioError(f"{self.source}: {field_name} = {value!r}, expected {expected}")

    def mapping(self, where: str, value: Any, known: set[str], required: set[str]) -> None:
        if not isinstance(value, dict):
            self.fail(where, value, "a mapping of fields")
        prefix = f"{where}." if where else ""
        for key in value:
            if key not in known:
                self.fail(f"{prefix}{key}", value[key], f"one of the fields {sorted(known)}")
        for key in sorted(required):
            if key not in value:
                self.fail(f"{prefix}{key}", None, "a value (the field is required)")

    def list_(self, where: str, value: Any, min_len: int) -> None:
        if value is None and min_len == 0:
            return
        if not isinstance(value, list) or len(value) < min_len:
            self.fail(where, value, f"a list of at least {min_len} item(s)")

    def string(self, where: str, value: Any, empty_ok: bool = False) -> str:
        if not isinstance(value, str) or (not empty_ok and not value.strip()):
            self.fail(where, value, "a non-empty string" if not empty_ok else "a string")
        return value.strip()

    def number(
        self,
        where: str,
        value: Any,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(where, value, "a number")
        x = float(value)
        if not math.isfinite(x):
            self.fail(where, value, "a finite number")
        if lo is not None and (x < lo or (lo_open and x == lo)):
            self.fail(where, value, f"a number {'>' if lo_open else '>='} {lo:g}")
        if hi is not None and x > hi:
            self.fail(where, value, f"a number <= {hi:g}")
        return x

    def integer(self, where: str, value: Any, lo: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, value, "an integer")
        if lo is not None and value < lo:
            self.fail(where, value, f"an integer >= {lo}")
        return int(value)

    def epoch(self, where: str, value: Any) -> dt.datetime:
        if isinstance(value, dt.datetime):
            stamp = value
        else:
            try:
                stamp = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                self.fail(where, value, "an ISO 8601 UTC time such as 2023-12-18T00:24:00Z")
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        return stamp.astimezone(dt.UTC)

    def lat_lon(self, where: str, value: Any) -> tuple[float, float]:
        if not isinstance(value, list | tuple) or len(value) != 2:
            self.fail(where, value, "[lat_deg, lon_deg]")
        lat = self.number(f"{where}[0]", value[0], -90.0, 90.0)
        lon = self.number(f"{where}[1]", value[1], -180.0, 360.0)
        return lat, lon

    def authority(self, where: str, value: Any) -> tuple[tuple[str, Any], ...]:
        if value is None:
            return ()
        self.mapping(where, value, _AUTHORITY_FIELDS, required=set())
        for key in ("sender", "timezone", "web"):
            if key in value:
                self.string(f"{where}.{key}", value[key])
        names = value.get("sender_name")
        if names is not None:
            if not isinstance(names, dict) or not names:
                self.fail(f"{where}.sender_name", names, "a mapping language -> name")
            for lang, name in names.items():
                self.string(f"{where}.sender_name.{lang}", name)
        return tuple(value.items())

    def sensor(self, where: str, value: Any, partner: str, seen: list) -> SensorEntry:
        if not isinstance(value, dict):
            self.fail(where, value, "a mapping of sensor fields")
        spec = {k: v for k, v in value.items() if k not in _SENSOR_RUNNER_FIELDS}
        if "partner" in spec and spec["partner"] != partner:
            self.fail(f"{where}.partner", spec["partner"], f"{partner!r} (the owning partner)")
        spec["partner"] = partner
        sid = self.string(f"{where}.id", spec.get("id"))
        if any(s.id == sid for s in seen):
            self.fail(f"{where}.id", sid, "a sensor id not used before")
        try:
            make_sensor(spec)
        except (ParameterError, ValueError, TypeError) as exc:
            raise ScenarioError(f"{self.source}: {where}: {exc}") from None
        outages = []
        raw = value.get("outages") or []
        self.list_(f"{where}.outages", raw, min_len=0)
        for k, pair in enumerate(raw):
            w = f"{where}.outages[{k}]"
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                self.fail(w, pair, "[from_s, to_s]")
            a, b = self.number(f"{w}[0]", pair[0]), self.number(f"{w}[1]", pair[1])
            if b <= a:
                self.fail(w, pair, "[from_s, to_s] with to_s > from_s")
            outages.append((a, b))
        return SensorEntry(spec=spec, outages=tuple(outages))

    def launch(self, where: str, value: Any, seen: list, duration: float) -> LaunchEntry:
        self.mapping(where, value, _LAUNCH_FIELDS, required={"id", "time_s", "site", "aim"})
        lid = self.string(f"{where}.id", value["id"])
        if any(x.id == lid for x in seen):
            self.fail(f"{where}.id", lid, "a launch id not used before")
        time_s = self.number(f"{where}.time_s", value["time_s"], 0.0, duration)
        lat, lon = self.lat_lon(f"{where}.site", value["site"])
        vehicle_name = value.get("vehicle")
        if vehicle_name is not None:
            names = list(catalogue())
            try:
                catalogue()[vehicle_name]
            except (KeyError, TypeError, CatalogueError):
                self.fail(f"{where}.vehicle", vehicle_name, f"one of {names}")
        aim = self.aim(f"{where}.aim", value["aim"])
        # --- flight branch: a submerged start ---
        depth = 0.0
        if "depth_m" in value:
            depth = self.number(f"{where}.depth_m", value["depth_m"], 0.0, 500.0, lo_open=True)
            uw = [name for name, v in catalogue().items() if v.underwater is not None]
            if vehicle_name is not None and catalogue()[vehicle_name].underwater is None:
                expected = f"a vehicle that starts under water ({', '.join(uw)}) with depth_m"
                self.fail(f"{where}.vehicle", vehicle_name, expected)
        # --- end flight branch ---
        return LaunchEntry(lid, time_s, lat, lon, vehicle_name, aim, depth)

    def aim(self, where: str, value: Any) -> Aim:
        self.mapping(where, value, set(_AIM_FIELDS), required=set())
        kw: dict[str, Any] = {}
        if "target" in value:
            kw["target_lat_deg"], kw["target_lon_deg"] = self.lat_lon(
                f"{where}.target", value["target"]
            )
            loft = value.get("loft", "minimum-energy")
            if isinstance(loft, str):
                if loft not in ("minimum-energy", "depressed"):
                    self.fail(f"{where}.loft", loft, _AIM_FIELDS["loft"])
            else:
                loft = self.number(f"{where}.loft", loft, 0.0, lo_open=True)
            kw["loft"] = loft
            extra = sorted(set(value) - {"target", "loft"})
        elif "orbit_km" in value:
            kw["orbit_km"] = self.number(f"{where}.orbit_km", value["orbit_km"], 80.0, 40_000.0)
            kw["azimuth_deg"] = self.number(
                f"{where}.azimuth_deg", value.get("azimuth_deg"), 0.0, 360.0
            )
            extra = sorted(set(value) - {"orbit_km", "azimuth_deg"})
        elif {"azimuth_deg", "apogee_km", "range_km"} <= set(value):
            kw["azimuth_deg"] = self.number(f"{where}.azimuth_deg", value["azimuth_deg"], 0, 360)
            kw["apogee_km"] = self.number(f"{where}.apogee_km", value["apogee_km"], 0, None, True)
            kw["range_km"] = self.number(f"{where}.range_km", value["range_km"], 0, None, True)
            extra = sorted(set(value) - {"azimuth_deg", "apogee_km", "range_km"})
        else:
            self.fail(
                where,
                value,
                "target (with an optional loft), or azimuth_deg with apogee_km and range_km, "
                "or azimuth_deg with orbit_km",
            )
        extra = [e for e in extra if e not in _MANOEUVRE_FIELDS or "orbit_km" in value]
        if extra:
            self.fail(f"{where}.{extra[0]}", value[extra[0]], "no such field with this kind of aim")
        kw.update(self.manoeuvre(where, value))
        try:
            aim = Aim(**kw)
            aim.kind()
        except AimError as exc:
            raise ScenarioError(f"{self.source}: {where}: {exc}") from None
        return aim

    # --- flight branch: manoeuvres ---
    def manoeuvre(self, where: str, value: dict) -> dict:
        """The pull-up or glide of an aim, as ``Aim`` fields."""
        kw: dict[str, Any] = {}
        if "pull_up_km" in value:
            kw["pull_up_km"] = self.number(f"{where}.pull_up_km", value["pull_up_km"], 5.0, 120.0)
        if "glide" in value:
            if "pull_up_km" in value:
                self.fail(f"{where}.glide", value["glide"], "a pull-up or a glide, not both")
            w = f"{where}.glide"
            g = value["glide"]
            self.mapping(w, g, _GLIDE_FIELDS, required={"altitude_km"})
            kw["glide_km"] = self.number(f"{w}.altitude_km", g["altitude_km"], 5.0, 120.0)
            if "lift_to_drag" in g:
                kw["lift_to_drag"] = self.number(f"{w}.lift_to_drag", g["lift_to_drag"], 0.5, 6.0)
            turns = g.get("turns") or []
            self.list_(f"{w}.turns", turns, min_len=0)
            out = []
            for i, t in enumerate(turns):
                wt = f"{w}.turns[{i}]"
                self.mapping(wt, t, _TURN_FIELDS, required=_TURN_FIELDS)
                start = self.number(f"{wt}.start_s", t["start_s"], 0.0)
                end = self.number(f"{wt}.end_s", t["end_s"], 0.0)
                if end <= start:
                    self.fail(f"{wt}.end_s", t["end_s"], f"a time after start_s ({start:g})")
                bank = self.number(f"{wt}.bank_deg", t["bank_deg"], -80.0, 80.0)
                out.append(TurnSpec(start, end, bank))
            kw["turns"] = tuple(out)
        return kw

    # --- end flight branch ---
