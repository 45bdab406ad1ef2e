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

That is the ``korea`` region, the default. ``region`` (``--region``) draws elsewhere
(``REGIONS``), each with its own kinds of flight and partners (3 to 5, from plausible
neighbours' generic sites), only what the catalogue flies:

- ``middle-east``: MRBMs towards Israel (13-14 Apr and 1 Oct 2024): the single-stage one (about
  1,190 km) from Kermanshah province, the long ones (Ghadr / Emad, Sejjil class, 1,900-1,955 km)
  from Tabriz, Kermanshah, Isfahan, Shiraz or Semnan (1,150-1,880 km); SRBMs into Iraq (8 Jan
  2020) and towards Arabia over the Gulf or the Gulf of Oman (from land or at sea), an MRBM
  into the Indian Ocean (Jan 2021), space launches from Semnan; partners IL, US, and of JO, GB, AE;
- ``south-asia``: India's SRBMs, MRBMs, IRBMs (from land or at sea) and ICBMs from the Odisha
  coast and the Bay of Bengal into the Bay and the Indian Ocean, space launches from
  Sriharikota; IN, US, AU, and of GB, LK;
- ``russia``: ICBMs from Plesetsk and Dombarovsky and SLBMs from the Barents Sea to Kura,
  SLBMs from the Sea of Okhotsk to Chizha, an IRBM from Kapustin Yar to Sary Shagan, space
  launches from Plesetsk to the north; NO, US, JP, and of TR, FI;
- ``space``: launches from Vandenberg (south), Cape Canaveral (east), Tanegashima and Naro,
  each with its neighbours;
- ``world``: every region in turn (Korea too), a shuffled round of them at a time.

A space launch from a partner's own range carries that state's pre-launch notice: window, pad,
sector and the spent stages' drop zones at sea (``_range_notice``, no random draw: the flights
are the same with it).

A region's scenarios are named ``gen-<region>-<seed>-<index>-<kind>``, the world set's
``gen-world-<seed>-<index>-<region>-<kind>``; Korea's are as before regions came.
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
    #: A space launch's flight with its spent stages (``_range_notice`` reads their falls).
    flown: tuple = ()


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
        space = "orbit_km" in aim
        flown = fly([launch], debris=space)
        tr = flown[0]
        lat, lon = np.degrees(tr.lat), np.degrees(tr.lon)
        step = max(1, tr.t.size // 200)
        ground = np.column_stack([lat[::step], lon[::step]])
        flight_s = tr.t_end - tr.t_start
        if tr.event("orbit_insertion") is not None:
            flight_s = tr.event("orbit_insertion").t - tr.t_start + 300.0
            ground = ground[: max(2, ground.shape[0] // 2)]
        entry = {"id": lid, "time_s": _r(time_s, 1), "site": [_r(site[0]), _r(site[1])],
                 "vehicle": vehicle, "aim": aim}  # fmt: skip
        return Drawn(entry, ground, float(flight_s), tuple(flown) if space else ())


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


# ---- regions beyond Korea -----------------------------------------------------------------
#
# Each region is a few kinds of flight drawn on launches that have flown there, with the same
# variety as the Korean draws (sites on land and at sea, bearings, ranges, lofts, salvos), and
# the partners plausible neighbours would be, each with generic radar sites chosen for geometry
# (no claim about any real sensor), ships placed at sea near the ground track, and geostationary
# infrared satellites. Only what the catalogue flies: the single-stage MRBM reaches about
# 1,190 km, so it leaves for Israel from the west of Iran; the long MRBMs from farther east.


@dataclass(frozen=True)
class Side:
    """A partner of a region: fixed radar sites (id, lat, lon, alt_m) of one ``quality``
    (``_radar``), up to ``n_radars`` of them nearest the ground track; the chance of a ship's
    radar beside the track (``ship_frac``: where along it, within ``ship_from_site_km`` of the
    launch); geostationary infrared satellites at ``geo_ir`` longitudes. ``required``: in every
    scenario of the region, else drawn (3 to 5 partners in all)."""

    id: str
    name: str
    country: str
    radars: tuple = ()
    quality: str = "ewr"
    max_range_km: float = 1200.0
    n_radars: int = 1
    ship: float = 0.0
    ship_frac: tuple[float, float] = (0.2, 0.8)
    ship_range_km: float = 1000.0
    ship_from_site_km: float = 2000.0
    geo_ir: tuple[float, ...] = ()
    required: bool = True
    languages: tuple[str, ...] = ("en",)


def _side(d: _Draw, s: Side, ground: np.ndarray, duration: float, plume: float) -> dict | None:
    """One partner's entry: its radars that can see some of the flight (the nearest one if none
    can and it has no ship), its ship, its satellites; None if it has no sensor at all."""
    sensors: list[dict] = []
    if s.radars:
        near = _nearest(list(s.radars), ground, s.n_radars if d.u(0, 1) < 0.6 else 1)
        sparse = ground[:: max(1, len(ground) // 40)]
        for r in near:
            dist = min(_distance_km(r[1], r[2], a, b) for a, b in sparse)
            # In range of some of the track (the radar horizon aside): 1.3 x its range.
            if dist <= 1.3 * s.max_range_km or (not sensors and r is near[-1] and not s.ship):
                sensors.append(_radar(d, r[0], ground, s.max_range_km, s.quality,
                                      lat_deg=r[1], lon_deg=r[2], alt_m=r[3]))  # fmt: skip
    if s.ship and (d.u(0, 1) < s.ship or not sensors):
        ship = _ship(d, f"{s.id.lower()}-ship", ground, s.ship_frac, duration, s.ship_range_km,
                     s.ship_from_site_km)  # fmt: skip
        sensors += [ship] if ship else []
    sensors += [{"type": "infrared", "id": f"{s.id.lower()}-geo-{k + 1}", "geo_lon_deg": lon,
                 "plume_intensity_kw_sr": plume} for k, lon in enumerate(s.geo_ir)]  # fmt: skip
    if not sensors:
        return None
    return {"id": s.id, "name": s.name, "country": s.country, "languages": list(s.languages),
            "sensors": sensors}  # fmt: skip


def _sides(d: _Draw, sides: tuple[Side, ...], ground: np.ndarray, duration: float,
           vehicles: list[str], extra: bool) -> list[dict]:  # fmt: skip
    """The partners of one scenario: the region's required ones and enough drawn ones to make 3
    to 5 (one more with ``extra``, two in five one more again)."""
    plume = max(PLUME_KW_SR[v] for v in vehicles)
    required = [s for s in sides if s.required]
    optional = [s for s in sides if not s.required]
    k = max(0, 3 - len(required)) + int(extra) + int(d.u(0, 1) < 0.4)
    k = min(k, len(optional), 5 - len(required))
    picked = {int(i) for i in d.rng.permutation(len(optional))[:k]}
    chosen = required + [s for i, s in enumerate(optional) if i in picked]
    out = [p for p in (_side(d, s, ground, duration, plume) for s in chosen) if p is not None]
    spare = [s for i, s in enumerate(optional) if i not in picked]
    while len(out) < 3 and spare:  # a partner with nothing to see is left out: another one
        p = _side(d, spare.pop(0), ground, duration, plume)
        out += [p] if p else []
    return out


def _salvo(d: _Draw, prefix: str, vehicle: str, site, target, loft, n: int, t0: float,
           spread_km: tuple[float, float] = (20, 60)) -> list[Drawn]:  # fmt: skip
    """``n`` launches from ``site`` a few seconds apart: the same aim, or one a few tens of km
    from it."""
    out = []
    for k in range(n):
        tgt = target if k == 0 or d.u(0, 1) < 0.5 else _point(*target, d.u(0, 360),
                                                               d.u(*spread_km))  # fmt: skip
        aim = {"target": [_r(tgt[0]), _r(tgt[1])], "loft": loft}
        out.append(d.launch(f"{prefix}-{k + 1}", t0 + k * d.u(5, 25), site, vehicle, aim))
    return out


def _loft(d: _Draw, kind: str, rng_km: float, lofted_km: tuple[float, float]) -> str | float:
    """A loft for ``kind`` (minimum-energy, depressed as the Korean SRBMs, or lofted)."""
    if kind == "depressed":
        return _r(d.u(*DEPRESSED_FRACTION) * minimum_energy_apogee(rng_km * 1e3) / 1e3, 0)
    if kind == "lofted":
        return _r(d.u(*lofted_km), 0)
    return "minimum-energy"


def _how(loft: str | float) -> str:
    return loft if isinstance(loft, str) else f"apogee {loft:.0f} km"


def _space(d: _Draw, site_name: str, site, az: tuple[float, float], orbit: tuple[float, float],
           note: str) -> tuple[list[Drawn], str, str]:  # fmt: skip
    a = d.u(*az)
    km = _r(d.u(*orbit), 0)
    out = [d.launch("SLV-1", d.u(60, 300), site, "slv-3stage",
                    {"azimuth_deg": _r(a % 360.0, 1), "orbit_km": km})]  # fmt: skip
    desc = f"a space launch from {site_name} on bearing {a % 360:.0f} into a {km:.0f} km orbit"
    return out, desc, note


# Middle East: Iran's launches towards Israel (13-14 Apr 2024, 1 Oct 2024), into Iraq (8 Jan
# 2020), across the Gulf and into the northern Indian Ocean in its drills, and from Semnan.

#: Western Iran, within the single-stage MRBM's reach of the Negev (Kermanshah province).
IRAN_WEST = {"Kermanshah": (34.35, 46.95), "Eslamabad-e Gharb": (34.10, 46.50),
             "Qasr-e Shirin": (34.50, 45.60)}  # fmt: skip
#: Iran's launch areas for the long MRBMs (Ghadr / Emad, Sejjil): 1,150-1,880 km from the aims
#: in Israel (Tabriz 1,240-1,340, Isfahan 1,580-1,620, Shiraz 1,690-1,730, Semnan 1,800-1,860).
IRAN_LONG = {"Tabriz": (38.08, 46.29), "Kermanshah": (34.35, 46.95), "Isfahan": (32.65, 51.67),
             "Shiraz": (29.60, 52.55), "Semnan": (35.23, 53.92)}  # fmt: skip
IRAN_SOUTH = {"Bandar Abbas": (27.30, 56.20), "Bushehr": (28.95, 50.90), "Jask": (25.90, 58.00),
              "Shiraz": (29.60, 52.55)}  # fmt: skip
IRAN_SEA = {"in the Strait of Hormuz": (26.60, 56.45), "in the Gulf off Bushehr": (28.60, 50.50),
            "in the Gulf of Oman": (25.20, 58.60)}  # fmt: skip
IRAN_CENTRAL = {"Isfahan": (32.65, 51.67), "Shiraz": (29.60, 52.55), "Khorramabad": (33.45, 48.30)}
SEMNAN = (35.23, 53.92)
ISRAEL_AIMS = {"the Negev": (31.21, 35.01), "Ramon": (30.78, 34.67), "the coast": (32.10, 34.85)}
MRBM_REACH_KM = 1180.0
#: The longest aim drawn for each MRBM westward from Iran, a little short of its reach there
#: (docs/flight.md, vehicles.yaml): mrbm-liquid ~1,190 km, mrbm-liquid-long ~1,900 km,
#: mrbm-solid-2stage ~1,955 km; a draw takes up to 60 km more off.
MRBM_REACH_WEST_KM = {"mrbm-liquid": MRBM_REACH_KM, "mrbm-liquid-long": 1890.0,
                      "mrbm-solid-2stage": 1945.0}  # fmt: skip


def _me_mrbm_israel(d: _Draw) -> tuple[list[Drawn], str, str]:
    # The single-stage MRBM from Kermanshah province, or a long one (Ghadr / Emad, Sejjil) from
    # anywhere it reaches Israel from, as on 13-14 Apr and 1 Oct 2024.
    vehicle = d.kept("vehicle", lambda: d.pick(list(MRBM_REACH_WEST_KM)))
    sites = IRAN_WEST if vehicle == "mrbm-liquid" else IRAN_LONG
    name, site = d.kept("site", lambda: d.pick(sites))
    where, aim = d.kept("aim", lambda: d.pick(ISRAEL_AIMS))
    tgt = _point(*aim, d.u(0, 360), d.u(0, 30))
    az = _azimuth_deg(*site, *tgt)
    rng_km = min(_distance_km(*site, *tgt), MRBM_REACH_WEST_KM[vehicle] - d.u(0, 60))
    tgt = _point(*site, az, rng_km)
    loft = d.kept("loft", lambda: d.pick(["minimum-energy", "minimum-energy", "lofted"]))
    # Lofted: 1.17-1.5 times the minimum-energy apogee (320-420 km at the single-stage MRBM's
    # 1,150 km), so a long MRBM's loft is above its own minimum-energy apogee too.
    me_km = minimum_energy_apogee(rng_km * 1e3) / 1e3
    apogee = _loft(d, loft, rng_km, (1.17 * me_km, 1.5 * me_km))
    n = d.kept("salvo", lambda: 1 + int(d.rng.integers(3)))
    out = _salvo(d, "MRBM", vehicle, site, tgt, apogee, n, d.u(60, 150), (5, 25))
    what = {"mrbm-liquid": "MRBM(s)", "mrbm-liquid-long": "Ghadr-class MRBM(s)",
            "mrbm-solid-2stage": "Sejjil-class MRBM(s)"}[vehicle]  # fmt: skip
    desc = f"{n} {what} from {name} towards {where}, {rng_km:.0f} km on bearing {az:.0f}, "
    return out, desc + _how(apogee), "Like Iran's launches on Israel of 13-14 Apr and 1 Oct 2024."


def _regional_srbm(
    d: _Draw, land: dict, sea: dict, az: tuple[float, float], rng_min_km: float, salvo_max: int
) -> tuple[list[Drawn], str, float, float, str | float, int]:
    """A salvo of 1..``salvo_max`` solid SRBMs from a site on ``land`` or (three times in
    ten) at ``sea``, on a bearing in ``az``, depressed or ``rng_min_km``-550 km: the flights,
    "from X" / "at sea X", bearing, range, loft and count."""
    at_sea = d.kept("at_sea", lambda: d.u(0, 1) < 0.3)
    name, site = d.kept("site", lambda: d.pick(sea if at_sea else land))
    loft = d.kept("loft", lambda: d.pick(["minimum-energy", "minimum-energy", "depressed",
                                           "lofted"]))  # fmt: skip
    bearing = d.u(*az)
    rng_km = d.u(*DEPRESSED_RANGE_KM) if loft == "depressed" else d.u(rng_min_km, 550)
    apogee = _loft(d, loft, rng_km, (130, 220))
    n = d.kept("salvo", lambda: 1 + int(d.rng.integers(salvo_max)))
    out = _salvo(d, "SRBM", "srbm-solid", site, _point(*site, bearing, rng_km), apogee, n,
                 d.u(60, 150))  # fmt: skip
    where = ("at sea " if at_sea else "from ") + name
    return out, where, bearing, rng_km, apogee, n


def _me_srbm_gulf(d: _Draw) -> tuple[list[Drawn], str, str]:
    out, where, az, rng_km, apogee, n = _regional_srbm(d, IRAN_SOUTH, IRAN_SEA, (190, 260), 200, 3)
    desc = f"{n} SRBM(s) {where} towards Arabia, {rng_km:.0f} km on bearing {az:.0f}, "
    return out, desc + _how(apogee), "Like the Fateh-110-class launches of Iran's Gulf drills."


def _me_srbm_iraq(d: _Draw) -> tuple[list[Drawn], str, str]:
    name, site = d.kept("site", lambda: d.pick(IRAN_WEST))
    az = d.u(235, 290)
    rng_km = d.u(300, 550)
    loft = d.kept("loft", lambda: d.pick(["minimum-energy", "lofted"]))
    apogee = _loft(d, loft, rng_km, (150, 230))
    n = d.kept("salvo", lambda: 1 + int(d.rng.integers(3)))
    out = _salvo(d, "SRBM", "srbm-solid", site, _point(*site, az, rng_km), apogee, n,
                 d.u(60, 150))  # fmt: skip
    desc = f"{n} SRBM(s) from {name} into Iraq, {rng_km:.0f} km on bearing {az:.0f}, "
    return out, desc + _how(apogee), "Like the launches on Ain al-Asad of 8 Jan 2020."


def _me_mrbm_ocean(d: _Draw) -> tuple[list[Drawn], str, str]:
    name, site = d.kept("site", lambda: d.pick(IRAN_CENTRAL))
    az = d.u(150, 185)
    rng_km = d.u(800, MRBM_REACH_KM)
    loft = d.kept("loft", lambda: d.pick(["minimum-energy", "lofted"]))
    apogee = _loft(d, loft, rng_km, (350, 500))
    out = _salvo(d, "MRBM", "mrbm-liquid", site, _point(*site, az, rng_km), apogee, 1,
                 d.u(60, 150))  # fmt: skip
    desc = f"an MRBM from {name} into the Indian Ocean, {rng_km:.0f} km on bearing {az:.0f}, "
    return out, desc + _how(apogee), "Like Iran's drill of 15-16 Jan 2021 (Great Prophet 15)."


def _me_space(d: _Draw) -> tuple[list[Drawn], str, str]:
    return _space(d, "Semnan", SEMNAN, (135, 150), (400, 550),
                  "Like the Simorgh and Qaem-100 launches from Semnan (2020-2024).")  # fmt: skip


ME_SIDES = (
    Side("IL", "Israel", "IL", (("il-ewr-south", 31.00, 34.90, 400),
                                ("il-ewr-north", 32.60, 35.30, 300)), max_range_km=1000,
         n_radars=2),
    Side("US", "United States", "US", (("us-fbx-negev", 30.80, 34.70, 500),
                                       ("us-fbx-qatar", 25.10, 51.30, 50)), "fbx", 2000,
         ship=0.8, ship_frac=(0.3, 0.9), ship_range_km=2000, geo_ir=(58.0,)),
    Side("JO", "Jordan", "JO", (("jo-ewr-east", 32.00, 36.90, 800),), max_range_km=700,
         required=False),
    Side("GB", "United Kingdom", "GB", (("gb-ewr-cyprus", 34.60, 32.95, 600),),
         max_range_km=1200, ship=0.4, ship_frac=(0.4, 1.0), required=False),
    Side("AE", "United Arab Emirates", "AE", (("ae-ewr-west", 24.30, 54.50, 50),
                                              ("ae-ewr-north", 25.60, 56.20, 300)),
         max_range_km=900, n_radars=2, required=False),
)  # fmt: skip


# South Asia: India's tests from the Odisha coast and at sea into the Bay of Bengal and the
# Indian Ocean, and Sriharikota's space launches.

ODISHA = {"Abdul Kalam Island": (20.76, 87.08), "Chandipur": (21.50, 86.90)}
BAY_SEA = {"off Visakhapatnam": (17.30, 84.20), "in the northern Bay of Bengal": (18.50, 87.50)}
SRIHARIKOTA = (13.72, 80.23)


def _sa_srbm(d: _Draw) -> tuple[list[Drawn], str, str]:
    out, where, az, rng_km, apogee, n = _regional_srbm(d, ODISHA, BAY_SEA, (120, 190), 150, 2)
    desc = f"{n} SRBM(s) {where}, {rng_km:.0f} km on bearing {az:.0f}, " + _how(apogee)
    return out, desc, "Like the Prithvi / Pralay tests from the Odisha coast (2021-2024)."


def _sa_mrbm(d: _Draw) -> tuple[list[Drawn], str, str]:
    site = ODISHA["Abdul Kalam Island"]
    az = d.u(130, 175)
    rng_km = d.u(700, MRBM_REACH_KM)
    loft = d.kept("loft", lambda: d.pick(["minimum-energy", "lofted"]))
    apogee = _loft(d, loft, rng_km, (350, 550))
    out = _salvo(d, "MRBM", "mrbm-liquid", site, _point(*site, az, rng_km), apogee, 1,
                 d.u(60, 150))  # fmt: skip
    desc = f"an MRBM from Abdul Kalam Island, {rng_km:.0f} km on bearing {az:.0f}, "
    return out, desc + _how(apogee), "Like the Agni-I/-II and Agni-P tests (2019-2024)."


def _sa_irbm(d: _Draw) -> tuple[list[Drawn], str, str]:
    at_sea = d.kept("at_sea", lambda: d.u(0, 1) < 0.4)
    name = "off Visakhapatnam" if at_sea else "Abdul Kalam Island"
    site = {**BAY_SEA, **ODISHA}[name]
    az = d.u(150, 180)
    rng_km = d.u(2500, 3600)
    apogee = _loft(d, d.kept("loft", lambda: d.pick(["minimum-energy", "lofted"])), rng_km,
                   (700, 1000))  # fmt: skip
    out = _salvo(d, "IRBM", "irbm-liquid", site, _point(*site, az, rng_km), apogee, 1,
                 d.u(60, 150))  # fmt: skip
    where = ("at sea " if at_sea else "from ") + name
    desc = f"an IRBM {where}, {rng_km:.0f} km on bearing {az:.0f}, " + _how(apogee)
    return out, desc, "Like the Agni-III/-4 tests and the K-4 test of 27 Nov 2024."


def _sa_icbm(d: _Draw) -> tuple[list[Drawn], str, str]:
    site = ODISHA["Abdul Kalam Island"]
    az = d.u(155, 175)
    rng_km = d.u(4500, 5500)
    out = _salvo(d, "ICBM", "icbm-solid-3stage", site, _point(*site, az, rng_km),
                 "minimum-energy", 1, d.u(60, 150))  # fmt: skip
    desc = f"an ICBM from Abdul Kalam Island, {rng_km:.0f} km on bearing {az:.0f}, minimum-energy"
    return out, desc, "Like the Agni-V tests (19 Apr 2012 to 11 Mar 2024)."


def _sa_space(d: _Draw) -> tuple[list[Drawn], str, str]:
    return _space(d, "Sriharikota", SRIHARIKOTA, (100, 140), (450, 650),
                  "Like the PSLV and SSLV launches from Sriharikota.")  # fmt: skip


SA_SIDES = (
    Side("IN", "India", "IN", (("in-ewr-east", 17.70, 83.30, 200),
                               ("in-ewr-odisha", 20.30, 85.80, 100),
                               ("in-ewr-south", 8.50, 77.00, 300)), max_range_km=1500,
         n_radars=2, ship=0.7, ship_frac=(0.3, 0.9), ship_range_km=1500, ship_from_site_km=6000),
    Side("US", "United States", "US", ship=1.0, ship_frac=(0.5, 1.0), ship_range_km=2000,
         ship_from_site_km=6000, geo_ir=(75.0,)),
    Side("AU", "Australia", "AU", (("au-ewr-west", -21.90, 114.10, 50),), max_range_km=2000,
         ship=0.5, ship_frac=(0.6, 1.0), ship_from_site_km=6000),
    Side("GB", "United Kingdom", "GB", ship=1.0, ship_frac=(0.4, 1.0), ship_from_site_km=6000,
         required=False),
    Side("LK", "Sri Lanka", "LK", (("lk-ewr-west", 6.90, 79.90, 50),), max_range_km=1200,
         required=False),
)  # fmt: skip


# Russia: ICBMs from Plesetsk and Dombarovsky and SLBMs from the Barents Sea to the Kura range
# in Kamchatka, SLBMs from the Sea of Okhotsk to Chizha, Kapustin Yar to Sary Shagan, and
# Plesetsk's space launches to the north.

KURA = (57.77, 161.85)
CHIZHA = (67.10, 44.30)
SARY_SHAGAN = (46.40, 73.60)
RU_ICBM_SITES = {"Plesetsk": (62.93, 40.57), "Dombarovsky": (51.10, 59.85)}
BARENTS = {"in the Barents Sea north of Kola": (71.50, 38.00), "in the eastern Barents Sea":
           (70.80, 45.00)}  # fmt: skip
OKHOTSK = {"in the Sea of Okhotsk": (54.00, 148.00)}
KAPUSTIN_YAR = (48.58, 45.72)
PLESETSK = RU_ICBM_SITES["Plesetsk"]


def _ru_icbm(d: _Draw) -> tuple[list[Drawn], str, str]:
    name, site = d.kept("site", lambda: d.pick(RU_ICBM_SITES))
    vehicle = d.kept("vehicle", lambda: d.pick(["icbm-solid-3stage", "icbm-solid-3stage",
                                                 "icbm-liquid-2stage"]))  # fmt: skip
    tgt = _point(*KURA, d.u(0, 360), d.u(0, 40))
    rng_km = _distance_km(*site, *tgt)
    out = _salvo(d, "ICBM", vehicle, site, tgt, "minimum-energy", 1, d.u(60, 150))
    article = "an" if vehicle[0] in "aeiou" else "a"
    desc = (
        f"{article} {vehicle} ICBM from {name} to the Kura range, {rng_km:.0f} km, minimum-energy"
    )
    return out, desc, "Like the Topol-M / Yars / Sarmat test flights to Kura (2007-2024)."


def _ru_slbm(d: _Draw) -> tuple[list[Drawn], str, str]:
    north = d.kept("north", lambda: d.u(0, 1) < 0.7)
    name, site = d.kept("site", lambda: d.pick(BARENTS if north else OKHOTSK))
    site = _point(*site, d.u(0, 360), d.u(0, 60))
    aim, where = (KURA, "the Kura range") if north else (CHIZHA, "Chizha")
    tgt = _point(*aim, d.u(0, 360), d.u(0, 40))
    rng_km = _distance_km(*site, *tgt)
    n = d.kept("salvo", lambda: 1 + int(d.u(0, 1) < 0.3))
    out = _salvo(d, "SLBM", "icbm-solid-3stage", site, tgt, "minimum-energy", n, d.u(60, 150),
                 (10, 40))  # fmt: skip
    desc = f"{len(out)} SLBM(s) {name} to {where}, {rng_km:.0f} km, minimum-energy"
    return out, desc, "Like the Bulava salvo launches of 2018-2023 (the Barents Sea to Kura)."


def _ru_irbm(d: _Draw) -> tuple[list[Drawn], str, str]:
    tgt = _point(*SARY_SHAGAN, d.u(0, 360), d.u(0, 50))
    rng_km = _distance_km(*KAPUSTIN_YAR, *tgt)
    apogee = _loft(d, d.kept("loft", lambda: d.pick(["minimum-energy", "lofted"])), rng_km,
                   (600, 900))  # fmt: skip
    out = _salvo(d, "IRBM", "irbm-liquid", KAPUSTIN_YAR, tgt, apogee, 1, d.u(60, 150))
    desc = f"an IRBM from Kapustin Yar to Sary Shagan, {rng_km:.0f} km, " + _how(apogee)
    return out, desc, "Like the RS-26 Rubezh flights from Kapustin Yar to Sary Shagan (2012-2015)."


def _ru_space(d: _Draw) -> tuple[list[Drawn], str, str]:
    return _space(d, "Plesetsk", PLESETSK, (-15, 15), (500, 800),
                  "Like the Soyuz-2 and Angara launches from Plesetsk, polar.")  # fmt: skip


RU_SIDES = (
    Side("NO", "Norway", "NO", (("no-ewr-north", 70.37, 31.10, 100),
                                ("no-ewr-west", 69.30, 16.10, 100)), max_range_km=2000,
         n_radars=2),
    Side("US", "United States", "US", (("us-fbx-aleutians", 52.72, 174.10, 80),
                                       ("us-fbx-alaska", 64.30, -149.20, 200),
                                       ("us-fbx-greenland", 76.50, -68.70, 200)), "fbx", 2000,
         ship=0.6, ship_frac=(0.8, 1.0), ship_range_km=2000, ship_from_site_km=9000,
         geo_ir=(60.0, 150.0)),
    Side("JP", "Japan", "JP", (("jp-ewr-hokkaido", 42.90, 143.20, 300),
                               ("jp-ewr-north", 39.00, 139.90, 150)), max_range_km=2000,
         ship=0.5, ship_frac=(0.7, 1.0), ship_from_site_km=9000, languages=("ja", "en")),
    Side("TR", "Türkiye", "TR", (("tr-ewr-east", 38.30, 37.80, 1500),), max_range_km=2000,
         required=False),
    Side("FI", "Finland", "FI", (("fi-ewr-north", 68.00, 27.00, 300),), max_range_km=1200,
         required=False),
)  # fmt: skip


# Space launches: Vandenberg south, Cape Canaveral east, Tanegashima, Naro.

VANDENBERG = (34.63, -120.61)
CANAVERAL = (28.49, -80.58)
TANEGASHIMA = (30.40, 130.97)
NARO = (34.43, 127.53)


def _sp_vandenberg(d: _Draw) -> tuple[list[Drawn], str, str]:
    return _space(d, "Vandenberg", VANDENBERG, (175, 200), (450, 650),
                  "Like the sun-synchronous launches from Vandenberg's SLC-4E.")  # fmt: skip


def _sp_canaveral(d: _Draw) -> tuple[list[Drawn], str, str]:
    return _space(d, "Cape Canaveral", CANAVERAL, (40, 110), (300, 600),
                  "Like the launches from Cape Canaveral to low orbits.")  # fmt: skip


def _sp_tanegashima(d: _Draw) -> tuple[list[Drawn], str, str]:
    return _space(d, "Tanegashima", TANEGASHIMA, (90, 160), (450, 700),
                  "Like the H-IIA and H3 launches from Tanegashima.")  # fmt: skip


def _sp_naro(d: _Draw) -> tuple[list[Drawn], str, str]:
    return _space(d, "Naro", NARO, (165, 185), (450, 650),
                  "Like the Nuri launches from Naro (2021-2023).")  # fmt: skip


_JP_SOUTH = (("jp-ewr-kyushu", 33.20, 129.70, 150), ("jp-ewr-okinawa", 26.30, 127.80, 200))
_PH = Side("PH", "Philippines", "PH", (("ph-ewr-luzon", 18.20, 120.60, 200),),
           max_range_km=1200, required=False)  # fmt: skip
_AU_SHIP = Side("AU", "Australia", "AU", ship=1.0, ship_frac=(0.3, 1.0), required=False)
SPACE_SIDES = {
    "space-vandenberg": (
        Side("US", "United States", "US", (("us-range-vandenberg", 34.58, -120.56, 150),),
             max_range_km=1200, ship=0.8, ship_frac=(0.4, 1.0), ship_range_km=2000,
             geo_ir=(-135.0,)),
        Side("MX", "Mexico", "MX", (("mx-ewr-baja", 31.80, -116.60, 300),
                                    ("mx-ewr-sur", 24.10, -110.30, 200)), max_range_km=900,
             languages=("es", "en")),
        Side("CA", "Canada", "CA", ship=1.0, ship_frac=(0.2, 0.8), required=False),
        Side("GB", "United Kingdom", "GB", ship=1.0, ship_frac=(0.4, 1.0), required=False),
    ),
    "space-canaveral": (
        Side("US", "United States", "US", (("us-range-canaveral", 28.46, -80.55, 10),),
             max_range_km=1200, ship=0.7, ship_frac=(0.4, 1.0), ship_range_km=2000,
             geo_ir=(-75.0,)),
        Side("GB", "United Kingdom", "GB", (("gb-ewr-bermuda", 32.36, -64.68, 50),),
             max_range_km=1500),
        Side("CA", "Canada", "CA", (("ca-ewr-halifax", 44.60, -63.60, 100),),
             max_range_km=1500, languages=("en", "fr")),
        Side("FR", "France", "FR", ship=1.0, ship_frac=(0.3, 1.0), required=False,
             languages=("fr", "en")),
    ),
    "space-tanegashima": (
        Side("JP", "Japan", "JP", (("jp-range-tanegashima", 30.38, 130.96, 100), *_JP_SOUTH),
             max_range_km=1200, n_radars=2, ship=0.6, languages=("ja", "en")),
        Side("US", "United States", "US", (("us-fbx-west", 35.60, 135.20, 100),), "fbx", 2000,
             ship=0.8, ship_frac=(0.4, 1.0), geo_ir=(140.0,)),
        Side("KR", "Republic of Korea", "KR", (("kr-ewr-south", 35.30, 128.60, 400),),
             max_range_km=900, languages=("ko", "en")),
        _AU_SHIP, _PH,
    ),
    "space-naro": (
        Side("KR", "Republic of Korea", "KR", (("kr-range-naro", 34.43, 127.50, 100),
                                               ("kr-ewr-south", 35.30, 128.60, 400),
                                               ("kr-ewr-jeju", 33.40, 126.50, 300)),
             max_range_km=900, n_radars=2, ship=0.8, languages=("ko", "en")),
        Side("JP", "Japan", "JP", _JP_SOUTH, max_range_km=1200, n_radars=2, ship=0.5,
             languages=("ja", "en")),
        Side("US", "United States", "US", (("us-fbx-west", 35.60, 135.20, 100),), "fbx", 2000,
             ship=0.6, ship_frac=(0.4, 1.0), geo_ir=(140.0,)),
        _AU_SHIP, _PH,
    ),
}  # fmt: skip


#: A range's pre-launch notice (``_range_notice``): the launch area's radius (km), the window
#: either side of the planned liftoff (s), the margin (deg) either side of the planned
#: flight's directions in the azimuth sector, and a stage's hazard area, a circle about its
#: planned fall whose radius is this fraction of the fall's distance from the pad, at least
#: ``NOTICE_HAZARD_MIN_KM`` (an unguided stage's fall spreads with its range).
NOTICE_SITE_KM = 10.0
NOTICE_WINDOW_S = 300.0
NOTICE_SECTOR_MARGIN_DEG = 5.0
NOTICE_HAZARD_FRACTION = 0.05
NOTICE_HAZARD_MIN_KM = 50.0


def _range_notice(drawn: Drawn, partners: list[dict]) -> dict | None:
    """The launching state's pre-launch notice of a space launch (``docs/scenarios.md``,
    Notices), as ranges publish them ahead (NOTAM and NAVAREA warnings of the drop zones, the
    Hague Code of Conduct's notifications): issued by the partner whose country the pad is in
    (none when that state is not a partner: it has no key on the exchange), a window about
    the planned liftoff, the pad, the sector holding every planned sub-point of the flight
    while sub-orbital (``NOTICE_SECTOR_MARGIN_DEG`` either side), and a hazard area about
    each spent stage's planned fall *at sea*: a range announces its drop zones at sea, never
    on anyone's land, so a stage the plan brings down on land is left out, and the flight
    leaves its notice there (the desks warn of it as of any launch). No random draw: the
    flights of a seed are the same with the notice as without it."""
    from lookout.assess.territory import territories

    e = drawn.entry
    if "orbit_km" not in e["aim"]:
        return None
    lat0, lon0 = e["site"]
    state = territories().area_at(math.radians(lat0), math.radians(lon0)).code
    issuer = next((p["id"] for p in partners if p["country"] == state), None)
    if issuer is None:
        return None
    lats, lons, areas = [], [], []
    for tr in drawn.flown:
        if tr.object_id != e["id"] and tr.parent_id != e["id"]:
            continue
        ins, imp = tr.event("orbit_insertion"), tr.event("impact")
        if tr.object_id != e["id"] and imp is None:
            continue  # in orbit beside the payload
        end = ins.t if ins is not None else tr.t_end
        keep = tr.t <= end
        lats.append(np.degrees(tr.lat[keep]))
        lons.append(np.degrees(tr.lon[keep]))
        if imp is not None and tr.object_id != e["id"]:
            la, lo = float(np.degrees(tr.lat[-1])), float(np.degrees(tr.lon[-1]))
            if _at_sea(la, lo):
                dist = _distance_km(lat0, lon0, la, lo)
                radius = max(NOTICE_HAZARD_MIN_KM, NOTICE_HAZARD_FRACTION * dist)
                areas.append({"stage": f"stage {len(areas) + 1}", "center": [_r(la), _r(lo)],
                              "radius_km": _r(radius, 0)})  # fmt: skip
    lat, lon = np.concatenate(lats), np.concatenate(lons)
    dist, az = geodesic_inverse(
        np.full(lat.size, math.radians(lat0)), np.full(lat.size, math.radians(lon0)),
        np.radians(lat), np.radians(lon),
    )  # fmt: skip
    off = (np.degrees(az[dist > NOTICE_SITE_KM * 1e3]) - e["aim"]["azimuth_deg"] + 180.0) % 360.0
    lo_deg = math.floor(float(off.min()) - 180.0 - NOTICE_SECTOR_MARGIN_DEG)
    hi_deg = math.ceil(float(off.max()) - 180.0 + NOTICE_SECTOR_MARGIN_DEG)
    base = e["aim"]["azimuth_deg"]
    t = e["time_s"]
    return {
        "id": f"{issuer}-{e['id']}",
        "partner": issuer,
        "window_s": [_r(max(0.0, t - NOTICE_WINDOW_S), 1), _r(t + NOTICE_WINDOW_S, 1)],
        "site": [_r(lat0), _r(lon0)],
        "site_radius_km": NOTICE_SITE_KM,
        "azimuth_deg": [_r((base + lo_deg) % 360.0, 1), _r((base + hi_deg) % 360.0, 1)],
        "kind": "space_launch",
        "hazard_areas": areas,
    }


@dataclass(frozen=True)
class Region:
    """A region's kinds of flight, how often each comes up, the boxes (lat, lon deg: south,
    north, west, east) its launch sites lie in, and its partners (per kind, or ``"*"``)."""

    kinds: dict[str, Callable[[_Draw], tuple[list[Drawn], str, str]]]
    weights: dict[str, int]
    boxes: tuple[tuple[float, float, float, float], ...]
    sides: dict[str, tuple[Side, ...]]
    code: int  # the region's key in the random streams


REGIONS: dict[str, Region] = {
    "korea": Region(KINDS, WEIGHTS, ((37.5, 41.0, 124.0, 129.0),), {}, 0),
    "middle-east": Region(
        {"mrbm-israel": _me_mrbm_israel, "srbm-gulf": _me_srbm_gulf,
         "srbm-iraq": _me_srbm_iraq, "mrbm-ocean": _me_mrbm_ocean, "space-launch": _me_space},
        {"mrbm-israel": 3, "srbm-gulf": 3, "srbm-iraq": 2, "mrbm-ocean": 1, "space-launch": 1},
        ((24.5, 39.0, 44.0, 60.0),), {"*": ME_SIDES}, 1),
    "south-asia": Region(
        {"srbm": _sa_srbm, "mrbm": _sa_mrbm, "irbm": _sa_irbm, "icbm": _sa_icbm,
         "space-launch": _sa_space},
        {"srbm": 3, "mrbm": 2, "irbm": 2, "icbm": 1, "space-launch": 1},
        ((12.0, 23.0, 79.0, 89.0),), {"*": SA_SIDES}, 2),
    "russia": Region(
        {"icbm-kura": _ru_icbm, "slbm": _ru_slbm, "irbm-sary-shagan": _ru_irbm,
         "space-launch": _ru_space},
        {"icbm-kura": 3, "slbm": 2, "irbm-sary-shagan": 2, "space-launch": 1},
        ((62.0, 64.0, 39.0, 42.0), (50.0, 52.0, 58.0, 61.0), (48.0, 49.0, 45.0, 46.5),
         (69.0, 73.0, 30.0, 50.0), (52.0, 57.0, 145.0, 152.0)), {"*": RU_SIDES}, 3),
    "space": Region(
        {"space-vandenberg": _sp_vandenberg, "space-canaveral": _sp_canaveral,
         "space-tanegashima": _sp_tanegashima, "space-naro": _sp_naro},
        {"space-vandenberg": 1, "space-canaveral": 1, "space-tanegashima": 1, "space-naro": 1},
        ((33.0, 36.0, -122.0, -119.0), (27.0, 30.0, -82.0, -79.0), (29.0, 32.0, 129.0, 132.0),
         (33.0, 36.0, 126.0, 129.0)), SPACE_SIDES, 4),
}  # fmt: skip
#: ``world``: every region in turn (a shuffled round of them), each with its own kinds.
WORLD = "world"
WORLD_CODE = 99


# ---- the set ------------------------------------------------------------------------------


def _kind_sequence(
    rng: np.random.Generator, count: int, weights: dict[str, int] = WEIGHTS
) -> list[str]:
    """``count`` kinds: every kind once per round of the weighted list, in a shuffled order
    (drawn round by round: a set's first kinds are those of a longer set of the same seed)."""
    pool = [k for k, w in weights.items() for _ in range(w)]
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


def _extra(seed: int, index: int, code: int) -> bool:
    """``_fourth`` for a region beyond Korea (or the world set, ``code``): an extra partner in
    two of each six, each block of six from its own stream."""
    block, k = divmod(index, 6)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(code, block)))
    return bool(rng.permutation(6)[k] % 3 == 0)


def _world_sequence(seed: int, count: int) -> list[tuple[str, str]]:
    """``count`` (region, kind) of the world set: every region once per round in a shuffled
    order, each with a kind drawn from its weighted list; whole rounds are drawn, so a set's
    first scenarios are those of a longer set of the same seed."""
    rng = np.random.default_rng([seed, WORLD_CODE])
    names = list(REGIONS)
    out: list[tuple[str, str]] = []
    while len(out) < count:
        for i in rng.permutation(len(names)):
            r = REGIONS[names[int(i)]]
            pool = [k for k, w in r.weights.items() for _ in range(w)]
            out.append((names[int(i)], pool[int(rng.integers(len(pool)))]))
    return out[:count]


def check_region(region: str) -> str:
    """``region`` if it is one (a key of ``REGIONS`` or ``world``), else a ValueError naming
    it and the choices."""
    if region not in (*REGIONS, WORLD):
        raise ValueError(f"region = {region!r}, expected one of {', '.join([*REGIONS, WORLD])}")
    return region


def generate_one(
    seed: int, index: int, kind: str, fourth: bool, attempts: int = 20,
    region: str = "korea", world: bool = False,
) -> dict:  # fmt: skip
    """Scenario ``index`` of set ``seed`` of ``region``: a ``kind`` of flight (a key of the
    region's kinds; ``KINDS`` for Korea), ``fourth``: with an extra partner. ``world``: of the
    world set (its own stream and name). Korea's own sets are as before regions came."""
    r = REGIONS[check_region(region)]
    korea = region == "korea" and not world
    key = [seed, index] if korea else [seed, index, r.code, *([WORLD_CODE] if world else [])]
    rng = np.random.default_rng(key)
    d = _Draw(rng)
    last: Exception | None = None
    if kind not in r.kinds:
        raise ValueError(f"kind = {kind!r}, expected one of {', '.join(r.kinds)} ({region})")
    for _ in range(attempts):
        try:
            drawn, desc, note = r.kinds[kind](d)
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
    if region == "korea":
        partners = _partners(d, drawn[0].ground, duration, vehicles, fourth)
    else:
        sides = r.sides.get(kind, r.sides.get("*", ()))
        partners = _sides(d, sides, drawn[0].ground, duration, vehicles, fourth)
    year = int(rng.integers(2022, 2026))
    epoch = dt.datetime(year, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
        days=int(rng.integers(0, 365)), hours=int(rng.integers(0, 24)),
        minutes=int(rng.integers(0, 60)),
    )  # fmt: skip
    if korea:
        name, which = f"gen-{seed}-{index:02d}-{kind}", f"set {seed}, #{index}"
    elif world:
        name = f"gen-world-{seed}-{index:02d}-{region}-{kind}"
        which = f"world set {seed}, #{index}, {region}"
    else:
        name, which = f"gen-{region}-{seed}-{index:02d}-{kind}", f"{region} set {seed}, #{index}"
    more = {4: ", with a fourth partner", 5: ", with a fourth and a fifth partner"}
    notices = [n for x in drawn if (n := _range_notice(x, partners)) is not None]
    return {
        "name": name,
        "description": f"Generated ({which}): {desc}" + more.get(len(partners), "") + ".",
        "note": (f"{note} Drawn by lookout.scenario.generate (seed {seed}); sites and sensors "
                 "are generic and plausible, not any real sensor's position or performance."),
        "epoch": epoch.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": int(rng.integers(0, 2**31)),
        "duration_s": duration,
        "partners": partners,
        "launches": [x.entry for x in drawn],
        **({"notices": notices} if notices else {}),
    }  # fmt: skip


def generate(
    seed: int,
    count: int,
    progress: Callable[[int, int], None] | None = None,
    region: str = "korea",
) -> list[dict]:
    """``count`` varied scenarios of set ``seed`` of ``region`` (a key of ``REGIONS``, or
    ``world``: every region in turn; see the module doc), as mappings."""
    check_region(region)
    if region == WORLD:
        plan = [(r, k, _extra(seed, i, WORLD_CODE), True)
                for i, (r, k) in enumerate(_world_sequence(seed, count))]  # fmt: skip
    elif region == "korea":
        kinds = _kind_sequence(np.random.default_rng(seed), count)
        plan = [("korea", k, _fourth(seed, i), False) for i, k in enumerate(kinds)]
    else:
        r = REGIONS[region]
        kinds = _kind_sequence(np.random.default_rng([seed, r.code]), count, r.weights)
        plan = [(region, k, _extra(seed, i, r.code), False) for i, k in enumerate(kinds)]
    out = []
    for i, (where, kind, fourth, world) in enumerate(plan):
        kw = {"region": where, "world": world} if world or where != "korea" else {}
        out.append(generate_one(seed, i, kind, fourth, **kw))
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
