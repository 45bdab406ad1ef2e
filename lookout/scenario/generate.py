"""Seeded sets of varied scenarios, so that no single scenario can be tuned to.

``generate(seed, count)`` draws ``count`` scenarios as ordinary scenario mappings (the public
format of ``docs/scenarios.md``; ``write`` saves them as YAML files). Each is one kind of flight
of the sorts North Korea has flown in recent years, with its site, bearing, range and loft drawn
afresh:

- ``srbm``: one to three solid SRBMs (KN-23/-24 class, 2019-2024) from inland or coastal sites,
  or from a vessel at sea, east into the East Sea or west into the Yellow Sea, minimum-energy,
  depressed (``DEPRESSED_RANGE_KM`` at ``DEPRESSED_FRACTION`` of the minimum-energy apogee) or
  lofted;
- ``mrbm``: a liquid MRBM (Nodong class) into the East Sea, minimum-energy or lofted;
- ``irbm-overflight``: a liquid IRBM (Hwasong-12 class) over northern Japan into the Pacific
  (29 Aug 2017, 15 Sep 2017, 4 Oct 2022), or over western Japan towards Guam (the plan announced
  in Aug 2017);
- ``irbm-lofted``: the same IRBM lofted into the East Sea (14 May 2017, 30 Jan 2022);
- ``icbm-lofted``: a liquid or solid ICBM (Hwasong-14/-15/-17/-18 class) lofted into the East Sea
  (2017-2023);
- ``space-launch``: a three-stage launcher (Chollima-1 class) from Sohae south into orbit (2023).

Every launch is planned (``lookout.flight.plan``, the solution cached) before it is kept, so a
set holds only flights the catalogue can fly as asked; an aim it cannot fly is drawn again, with
the same kind of flight, site, loft and salvo (``_Draw.kept``): only its figures are new, so a
depressed SRBM the catalogue cannot fly at first is drawn again as a depressed SRBM, not as a
minimum-energy one. The
partners are Korea, Japan and the United States, with radars chosen and pointed for the flight's
geometry from generic sites, ships placed at sea near the ground track, two geostationary
infrared satellites; two scenarios in each six add a fourth partner (Australia) with a ship's
radar. Scenario #i of a seed is the same whatever the set's size. Sites, sensors and parameters
are generic and plausible, not any real sensor's.

    .venv/bin/lookout generate --seed 1 --count 12 --out generated/
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from lookout.flight import Aim, AimError, fly
from lookout.flight.plancache import plan_cached
from lookout.flight.planner import minimum_energy_apogee
from lookout.geodesy import geodesic_direct, geodesic_inverse

#: Launch sites on land (lat, lon deg): areas North Korea has launched from.
LAND_SITES = {
    "Sunan": (39.20, 125.67),
    "Pyongyang north": (39.03, 125.75),
    "Sukchon": (39.40, 125.63),
    "Kaechon": (39.70, 125.90),
    "Kusong": (40.00, 125.23),
    "Jangyon": (38.23, 125.10),
    "Hamhung": (39.92, 127.55),
    "Wonsan": (39.15, 127.45),
    "Tongchon": (38.95, 127.90),
}
#: Launch points at sea (lat, lon deg): off the coasts, as from a vessel or barge.
SEA_SITES = {
    "off Sinpo": (39.90, 128.45),
    "off Wonsan": (39.30, 128.00),
    "off Nampo": (38.55, 124.80),
}
#: The space launch station.
SOHAE = (39.66, 124.70)

#: Fixed radar sites (id, lat, lon, alt_m) per partner: generic, plausible, chosen for geometry.
KR_RADARS = [("kr-ewr-central", 36.60, 127.50, 300), ("kr-ewr-west", 36.00, 126.70, 250),
             ("kr-ewr-south", 35.30, 128.60, 400)]  # fmt: skip
JP_RADARS = [("jp-ewr-north", 39.00, 139.90, 150), ("jp-ewr-west", 34.80, 132.50, 200),
             ("jp-ewr-hokkaido", 42.90, 143.20, 300), ("jp-ewr-sado", 38.10, 138.40, 200),
             ("jp-ewr-kyushu", 33.20, 129.70, 150)]  # fmt: skip
US_RADARS = [("us-fbx-north", 40.90, 140.30, 100), ("us-fbx-west", 35.60, 135.20, 100)]

#: A depressed SRBM's ground range (km) and apogee as a fraction of the minimum-energy apogee
#: for that range. From the published KN-23 flights without a pull-up
#: (``lookout/scoring/published_flights.csv``): 9 May 2019's second missile, 270 km at about
#: 50 km (0.75 of the minimum-energy 67 km); the longer ones (420 km and 600 km at about 50 km,
#: 0.48 and 0.34) pulled up, which the ballistic srbm-solid cannot (``srbm-lifting`` flies them,
#: in the shipped kn23-pullup). Iskander-class quasi-ballistic shots of a few hundred km are
#: quoted at about 50 km too. Below about 0.5 the guidance's flattest pitch-over no longer
#: reaches (``planner.KICK_MAX``): 0.6-0.7 keeps to the flyable, published side.
DEPRESSED_RANGE_KM = (220.0, 340.0)
DEPRESSED_FRACTION = (0.6, 0.7)

#: Plume radiant intensity (kW/sr) the infrared satellites see, per vehicle. The long MRBMs:
#: mrbm-liquid-long burns mrbm-liquid's engine (80); mrbm-solid-2stage's first stage has 2.6
#: times srbm-solid's sea-level thrust (590 against 231 kN): its 40 scaled by the thrust, 100.
PLUME_KW_SR = {
    "srbm-solid": 40, "mrbm-liquid": 80, "mrbm-liquid-long": 80, "mrbm-solid-2stage": 100,
    "irbm-liquid": 100, "icbm-liquid-2stage-light": 120, "icbm-liquid-2stage": 150,
    "icbm-liquid-2stage-heavy": 180, "icbm-solid-3stage": 150, "slv-3stage": 200,
}  # fmt: skip


@dataclass(frozen=True)
class Drawn:
    """One drawn launch: its file entry and its flight's ground track (lat, lon deg) and end
    time after liftoff (s)."""

    entry: dict
    ground: np.ndarray  # (K, 2) deg
    flight_s: float


def _r(x: float, nd: int = 2) -> float:
    return round(float(x), nd)


def _point(lat: float, lon: float, az_deg: float, dist_km: float) -> tuple[float, float]:
    la, lo = geodesic_direct(math.radians(lat), math.radians(lon), math.radians(az_deg),
                             dist_km * 1e3)  # fmt: skip
    return float(np.degrees(la)), float(np.degrees(lo))


def _azimuth_deg(lat1, lon1, lat2, lon2) -> float:
    _, az = geodesic_inverse(*np.radians([lat1, lon1, lat2, lon2]))
    return float(np.degrees(az)) % 360.0


def _distance_km(lat1, lon1, lat2, lon2) -> float:
    return float(geodesic_inverse(*np.radians([lat1, lon1, lat2, lon2]))[0]) / 1e3


def _at_sea(lat: float, lon: float) -> bool:
    # The assessment's outlines, so a ship "at sea" is at sea for the scores too.
    from lookout.assess.territory import territories

    return territories().land_at(math.radians(lat), math.radians(lon))[0] is None


class _Draw:
    """The random draws of one scenario (numpy Generator), with the planning check."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._kept: dict[str, Any] = {}

    def kept(self, name: str, draw: Callable[[], Any]) -> Any:
        """``draw()`` the first time, the same value on every later attempt: what a flight is
        (its kind, site, loft, salvo) stays when its figures are drawn again."""
        if name not in self._kept:
            self._kept[name] = draw()
        return self._kept[name]

    def u(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def pick(self, options: dict | list):
        keys = list(options)
        k = keys[int(self.rng.integers(len(keys)))]
        return (k, options[k]) if isinstance(options, dict) else k

    def launch(self, lid: str, time_s: float, site, vehicle: str, aim: dict) -> Drawn:
        """Plan and fly one launch; raises ``AimError`` when the catalogue cannot fly it."""
        kw: dict[str, Any] = {}
        if "target" in aim:
            kw = {"target_lat_deg": aim["target"][0], "target_lon_deg": aim["target"][1],
                  "loft": aim.get("loft", "minimum-energy")}  # fmt: skip
        elif "orbit_km" in aim:
            kw = {"azimuth_deg": aim["azimuth_deg"], "orbit_km": aim["orbit_km"]}
        else:
            kw = dict(aim)
        launch = plan_cached(site[0], site[1], Aim(**kw), vehicle, object_id=lid)
        tr = fly([launch], debris=False)[0]
        lat, lon = np.degrees(tr.lat), np.degrees(tr.lon)
        step = max(1, tr.t.size // 200)
        ground = np.column_stack([lat[::step], lon[::step]])
        flight_s = tr.t_end - tr.t_start
        if tr.event("orbit_insertion") is not None:
            flight_s = tr.event("orbit_insertion").t - tr.t_start + 300.0
            ground = ground[: max(2, ground.shape[0] // 2)]
        entry = {"id": lid, "time_s": _r(time_s, 1), "site": [_r(site[0]), _r(site[1])],
                 "vehicle": vehicle, "aim": aim}  # fmt: skip
        return Drawn(entry, ground, float(flight_s))


# ---- the kinds of flight ------------------------------------------------------------------


def _srbm(d: _Draw) -> tuple[list[Drawn], str, str]:
    at_sea = d.kept("at_sea", lambda: d.u(0, 1) < 0.3)
    name, site = d.kept("site", lambda: d.pick(SEA_SITES if at_sea else LAND_SITES))
    west = d.kept("west", lambda: site[1] < 126.0 and d.u(0, 1) < 0.3)
    az = d.u(200, 250) if west else d.u(45, 115)
    loft_kind = d.kept("loft", lambda: d.pick(["minimum-energy", "minimum-energy", "depressed",
                                                "lofted"]))  # fmt: skip
    loft: str | float = loft_kind
    if loft_kind == "depressed":
        rng_km = d.u(*DEPRESSED_RANGE_KM)
        fraction = d.u(*DEPRESSED_FRACTION)
        loft = _r(fraction * minimum_energy_apogee(rng_km * 1e3) / 1e3, 0)
    elif loft_kind == "lofted":
        rng_km = d.u(200, 400)
    else:
        rng_km = d.u(250, 600)
    target = _point(*site, az, rng_km)
    if loft_kind == "lofted":
        loft = _r(d.u(130, 220), 0)
    n = d.kept("salvo", lambda: 1 + int(d.rng.integers(3)))
    t0 = d.u(60, 150)
    out = []
    for k in range(n):
        # A salvo: the same aim, or a second aim a few tens of km apart.
        tgt = target if k == 0 or d.u(0, 1) < 0.5 else _point(*target, d.u(0, 360), d.u(20, 60))
        apogee = loft
        if loft_kind == "depressed" and tgt is not target:  # the same fraction for its range
            apogee = _r(fraction * minimum_energy_apogee(_distance_km(*site, *tgt) * 1e3) / 1e3, 0)
        aim = {"target": [_r(tgt[0]), _r(tgt[1])], "loft": apogee}
        out.append(d.launch(f"SRBM-{k + 1}", t0 + k * d.u(8, 25), site, "srbm-solid", aim))
    where = "at sea " + name if at_sea else "from " + name
    how = (
        f"depressed to {fraction:.2f} of the minimum-energy apogee"
        if loft_kind == "depressed"
        else loft_kind
    )
    desc = f"{n} SRBM(s) {where}, {rng_km:.0f} km on bearing {az:.0f}, {how}"
    return (
        out,
        desc,
        "Like the KN-23/KN-24 launches of 2019-2024 (and the 2021-2023 launches at sea).",
    )


def _mrbm(d: _Draw) -> tuple[list[Drawn], str, str]:
    name, site = d.pick(LAND_SITES)
    az = d.u(55, 110)
    lofted = d.u(0, 1) < 0.4
    rng_km = d.u(500, 800) if lofted else d.u(700, 1200)
    tgt = _point(*site, az, rng_km)
    loft: str | float = _r(d.u(400, 800), 0) if lofted else "minimum-energy"
    aim = {"target": [_r(tgt[0]), _r(tgt[1])], "loft": loft}
    out = [d.launch("MRBM-1", d.u(60, 150), site, "mrbm-liquid", aim)]
    desc = f"an MRBM from {name}, {rng_km:.0f} km on bearing {az:.0f}, " + (
        f"lofted to {loft} km" if lofted else "minimum-energy"
    )
    return out, desc, "Like the Nodong-class launches into the East Sea (2016-2023)."


def _irbm_overflight(d: _Draw) -> tuple[list[Drawn], str, str]:
    name, site = d.pick({k: LAND_SITES[k] for k in ("Sunan", "Pyongyang north", "Sukchon",
                                                     "Kaechon", "Hamhung")})  # fmt: skip
    guam = d.u(0, 1) < 0.25
    az = d.u(125, 140) if guam else d.u(62, 95)
    rng_km = d.u(3000, 3600) if guam else d.u(2700, 4500)
    tgt = _point(*site, az, rng_km)
    loft: str | float = _r(d.u(550, 950), 0) if d.u(0, 1) < 0.5 else "minimum-energy"
    aim = {"target": [_r(tgt[0]), _r(tgt[1])], "loft": loft}
    out = [d.launch("IRBM-1", d.u(60, 180), site, "irbm-liquid", aim)]
    where = "over western Japan towards Guam" if guam else "over northern Japan"
    desc = f"an IRBM from {name} {where}, {rng_km:.0f} km on bearing {az:.0f}"
    return out, desc, "Like the Hwasong-12 flights of 29 Aug 2017, 15 Sep 2017 and 4 Oct 2022."


def _irbm_lofted(d: _Draw) -> tuple[list[Drawn], str, str]:
    name, site = d.pick(LAND_SITES)
    az = d.u(60, 110)
    rng_km = d.u(700, 1000)
    tgt = _point(*site, az, rng_km)
    apogee = _r(d.u(1500, 2100), 0)
    aim = {"target": [_r(tgt[0]), _r(tgt[1])], "loft": apogee}
    out = [d.launch("IRBM-1", d.u(60, 180), site, "irbm-liquid", aim)]
    desc = f"an IRBM from {name} lofted to {apogee:.0f} km, {rng_km:.0f} km on bearing {az:.0f}"
    return out, desc, "Like the lofted Hwasong-12 flights of 14 May 2017 and 30 Jan 2022."


def _icbm_lofted(d: _Draw) -> tuple[list[Drawn], str, str]:
    name, site = d.pick({k: LAND_SITES[k] for k in ("Sunan", "Pyongyang north", "Sukchon",
                                                     "Kusong")})  # fmt: skip
    vehicle, (lo_km, hi_km) = d.pick({
        "icbm-liquid-2stage-light": (2600, 3700), "icbm-liquid-2stage": (4000, 6000),
        "icbm-liquid-2stage-heavy": (5000, 6500), "icbm-solid-3stage": (4500, 6600),
    })  # fmt: skip
    az = d.u(70, 110)
    rng_km = d.u(800, 1100)
    tgt = _point(*site, az, rng_km)
    apogee = _r(d.u(lo_km, hi_km), 0)
    aim = {"target": [_r(tgt[0]), _r(tgt[1])], "loft": apogee}
    out = [d.launch("ICBM-1", d.u(60, 180), site, vehicle, aim)]
    article = "an" if vehicle[0] in "aeiou" else "a"
    desc = f"{article} {vehicle} ICBM from {name} lofted to {apogee:.0f} km, {rng_km:.0f} km east"
    return out, desc, "Like the lofted Hwasong-14/-15/-17/-18 flights of 2017-2023."


def _space_launch(d: _Draw) -> tuple[list[Drawn], str, str]:
    az = d.u(170, 195)
    orbit = _r(d.u(450, 550), 0)
    out = [d.launch("SLV-1", d.u(60, 300), SOHAE, "slv-3stage",
                    {"azimuth_deg": _r(az, 1), "orbit_km": orbit})]  # fmt: skip
    desc = f"a space launch from Sohae on bearing {az:.0f} into a {orbit:.0f} km orbit"
    return out, desc, "Like the Chollima-1 launches of 2023."


KINDS: dict[str, Callable[[_Draw], tuple[list[Drawn], str, str]]] = {
    "srbm": _srbm,
    "mrbm": _mrbm,
    "irbm-overflight": _irbm_overflight,
    "irbm-lofted": _irbm_lofted,
    "icbm-lofted": _icbm_lofted,
    "space-launch": _space_launch,
}
#: How often each kind comes up in a set (SRBMs are most of what is launched).
WEIGHTS = {"srbm": 4, "mrbm": 2, "irbm-overflight": 2, "irbm-lofted": 1, "icbm-lofted": 1,
           "space-launch": 1}  # fmt: skip


# ---- sensors ------------------------------------------------------------------------------


def _radar(d: _Draw, sid: str, ground: np.ndarray, max_range_km: float, quality: str,
           **where) -> dict:  # fmt: skip
    """A radar at ``where`` (lat_deg/lon_deg or a ship's track) pointed at the part of the
    ground track within its range (or the nearest point)."""
    lat, lon = (where["lat_deg"], where["lon_deg"]) if "lat_deg" in where else where["track"][0][1:]
    dist = np.array([_distance_km(lat, lon, a, b) for a, b in ground])
    near = ground[dist <= max_range_km * 0.8] if (dist <= max_range_km * 0.8).any() else \
        ground[[int(dist.argmin())]]  # fmt: skip
    aim = near.mean(axis=0) if near.shape[0] > 1 else near[0]
    az = _azimuth_deg(lat, lon, *aim)
    sigma = {"ewr": (25, 1.5), "fbx": (5, 0.3), "ship": (15, 1.0)}[quality]
    j = d.u(0.8, 1.25)
    out: dict[str, Any] = {"type": "radar", "id": sid, **where}
    if "track" in where:
        out.update(span_deg=360, el_max_deg=85)
    else:
        out.update(azimuth_deg=_r(az, 0), span_deg=120 if quality == "ewr" else 100,
                   el_max_deg=80 if quality == "ewr" else 85)  # fmt: skip
    out.update(
        el_min_deg=1, max_range_km=max_range_km, revisit_s=1 if quality != "ewr" else 2,
        sigma_range_m=_r(sigma[0] * j, 1), sigma_az_mrad=_r(sigma[1] * j),
        sigma_el_mrad=_r(sigma[1] * j), snr_ref_db=_r({"ewr": 27, "fbx": 32, "ship": 22}[quality]
                                                      + d.u(-2, 2), 1),
        false_alarms_per_scan=_r(d.u(0.3, 1.5)),
    )  # fmt: skip
    if quality != "ewr":
        out["sigma_rr_mps"] = 0.5 if quality == "fbx" else 3.0
    return out


def _ship(d: _Draw, sid: str, ground: np.ndarray, frac: tuple[float, float], duration: float,
          max_range_km: float, max_from_site_km: float = 2000.0) -> dict | None:  # fmt: skip
    """A ship's radar at sea beside the ground track, within ``max_from_site_km`` of the launch
    (None if no sea spot is found)."""
    dist = np.array([_distance_km(*ground[0], a, b) for a, b in ground])
    n = max(2, int(np.count_nonzero(dist <= max_from_site_km)))
    for _ in range(30):
        k = min(n - 1, int(d.u(*frac) * (n - 1)))
        a, b = ground[max(k - 1, 0)], ground[min(k + 1, n - 1)]
        heading = _azimuth_deg(*a, *b) if (a != b).any() else 90.0
        side = 90.0 if d.u(0, 1) < 0.5 else -90.0
        lat, lon = _point(*ground[k], heading + side, d.u(40, 200))
        end = _point(lat, lon, d.u(0, 360), d.u(5, 30))
        if _at_sea(lat, lon) and _at_sea(*end) and abs(lat) < 60:
            track = [[0, _r(lat), _r(lon)], [_r(duration, 0), _r(end[0]), _r(end[1])]]
            where = {"alt_m": 25, "track": track}
            return _radar(d, sid, ground, max_range_km, "ship", **where)
    return None


def _nearest(sites, ground: np.ndarray, k: int) -> list:
    dist = [min(_distance_km(s[1], s[2], a, b) for a, b in ground[:: max(1, len(ground) // 40)])
            for s in sites]  # fmt: skip
    return [sites[i] for i in np.argsort(dist)[:k]]


def _partners(d: _Draw, ground: np.ndarray, duration: float, vehicles: list[str],
              fourth: bool) -> list[dict]:  # fmt: skip
    first_third = ground[: max(2, ground.shape[0] // 3)]
    kr = [_radar(d, s[0], first_third, 900, "ewr", lat_deg=s[1], lon_deg=s[2], alt_m=s[3])
          for s in _nearest(KR_RADARS, first_third, 1)]  # fmt: skip
    ship = _ship(d, "kr-ship", ground, (0.1, 0.6), duration, 1000, 900) if d.u(0, 1) < 0.8 else None
    kr += [ship] if ship else []
    jp = [_radar(d, s[0], ground, 1200, "ewr", lat_deg=s[1], lon_deg=s[2], alt_m=s[3])
          for s in _nearest(JP_RADARS, ground, 1 + int(d.u(0, 1) < 0.6))]  # fmt: skip
    ship = _ship(d, "jp-ship", ground, (0.3, 0.9), duration, 1000) if d.u(0, 1) < 0.6 else None
    jp += [ship] if ship else []
    plume = max(PLUME_KW_SR[v] for v in vehicles)
    us = [_radar(d, s[0], ground, 2000, "fbx", lat_deg=s[1], lon_deg=s[2], alt_m=s[3])
          for s in _nearest(US_RADARS, ground, 1)]  # fmt: skip
    us += [{"type": "infrared", "id": "us-geo-west", "geo_lon_deg": 90.0,
            "plume_intensity_kw_sr": plume},
           {"type": "infrared", "id": "us-geo-east", "geo_lon_deg": 165.0,
            "plume_intensity_kw_sr": plume}]  # fmt: skip
    partners = [
        {"id": "KR", "name": "Republic of Korea", "country": "KR", "languages": ["ko", "en"],
         "sensors": kr},
        {"id": "JP", "name": "Japan", "country": "JP", "languages": ["ja", "en"], "sensors": jp},
        {"id": "US", "name": "United States", "country": "US", "languages": ["en"],
         "sensors": us},
    ]  # fmt: skip
    if fourth:
        ship = _ship(d, "au-ship", ground, (0.2, 0.8), duration, 900)
        if ship is not None:
            partners.append({"id": "AU", "name": "Australia", "country": "AU",
                             "languages": ["en"], "sensors": [ship]})  # fmt: skip
    return partners


# ---- the set ------------------------------------------------------------------------------


def _kind_sequence(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` kinds: every kind once per round of the weighted list, in a shuffled order
    (drawn round by round: a set's first kinds are those of a longer set of the same seed)."""
    pool = [k for k, w in WEIGHTS.items() for _ in range(w)]
    out: list[str] = []
    while len(out) < count:
        out += [pool[i] for i in rng.permutation(len(pool))]
    return out[:count]


def _fourth(seed: int, index: int) -> bool:
    """Whether scenario ``index`` of set ``seed`` has the fourth partner: two in each block of
    six, whatever the set's size (a scenario is the same in a set of 6 and one of 12). The first
    block is drawn from the set's stream after its first round of kinds (the sets of six
    reported before 2026-12-04 are the same), the others each from their own."""
    block, k = divmod(index, 6)
    if block == 0:
        rng = np.random.default_rng(seed)
        _kind_sequence(rng, 1)  # a whole round, as a set of up to len(pool) kinds draws
    else:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    return bool(rng.permutation(6)[k] % 3 == 0)


def generate_one(seed: int, index: int, kind: str, fourth: bool, attempts: int = 20) -> dict:
    """Scenario ``index`` of set ``seed``: a ``kind`` of flight (a key of ``KINDS``)."""
    rng = np.random.default_rng([seed, index])
    d = _Draw(rng)
    last: Exception | None = None
    for _ in range(attempts):
        try:
            drawn, desc, note = KINDS[kind](d)
            break
        except AimError as e:  # the catalogue cannot fly this one as asked: draw again
            last = e
    else:
        raise AimError(
            f"generated scenario {index} ({kind}): no flyable draw in {attempts}: {last}"
        )
    end = max(x.entry["time_s"] + x.flight_s for x in drawn)
    duration = float(math.ceil((end + 60.0) / 10.0) * 10.0)
    vehicles = [x.entry["vehicle"] for x in drawn]
    partners = _partners(d, drawn[0].ground, duration, vehicles, fourth)
    year = int(rng.integers(2022, 2026))
    epoch = dt.datetime(year, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
        days=int(rng.integers(0, 365)), hours=int(rng.integers(0, 24)),
        minutes=int(rng.integers(0, 60)),
    )  # fmt: skip
    name = f"gen-{seed}-{index:02d}-{kind}"
    return {
        "name": name,
        "description": f"Generated (set {seed}, #{index}): {desc}"
        + (", with a fourth partner" if len(partners) > 3 else "") + ".",
        "note": (f"{note} Drawn by lookout.scenario.generate (seed {seed}); sites and sensors "
                 "are generic and plausible, not any real sensor's position or performance."),
        "epoch": epoch.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": int(rng.integers(0, 2**31)),
        "duration_s": duration,
        "partners": partners,
        "launches": [x.entry for x in drawn],
    }  # fmt: skip


def generate(
    seed: int, count: int, progress: Callable[[int, int], None] | None = None
) -> list[dict]:
    """``count`` varied scenarios of set ``seed`` (see the module doc), as mappings."""
    kinds = _kind_sequence(np.random.default_rng(seed), count)
    out = []
    for i, kind in enumerate(kinds):
        out.append(generate_one(seed, i, kind, _fourth(seed, i)))
        if progress:
            progress(i + 1, count)
    return out


def write(scenarios: list[dict], out_dir: str | Path) -> list[Path]:
    """Each scenario as ``<name>.yaml`` in ``out_dir``; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for sc in scenarios:
        path = out / f"{sc['name']}.yaml"
        path.write_text(yaml.safe_dump(sc, sort_keys=False, width=100))
        paths.append(path)
    return paths
