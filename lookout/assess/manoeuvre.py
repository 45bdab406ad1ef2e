"""What kind of flight a track is: lift seen, depressed or lofted, glide, sea launch.

A track's states tell whether it manoeuvres: between two states ``dt`` apart the velocity
changes by gravity and the rotating frame's terms (``lookout.tracking.motion.acceleration``),
drag along the velocity, and whatever else acts; the part *across* the velocity that gravity
does not explain is lift. It is counted as seen when it exceeds ``LIFT_SEEN_MPS2`` and three
times its own uncertainty (from the two states' velocity covariances) at ``LIFT_HITS``
consecutive looks.

The type, from the figures of the assessment:

- ``HGV``: lift seen at hypersonic glide speed (``GLIDE_SPEED_MPS``, Mach ~6.5: boost-glide
  vehicles enter their glide at Mach 6-10, quasi-ballistic SRBMs pull up at Mach 4-6; the
  catalogue's at 2.4 and 1.6-1.7 km/s). (Near-level flight for 30 s was tried first: the
  shipped hgv's glide vehicle dives from 53 to 27 km before it levels out, and was called
  "depressed, manoeuvring".)
- ``depressed`` when the apogee is below ``DEPRESSED_FACTOR`` of the minimum-energy apogee for
  the range (``lookout.assess.energy``), ``lofted`` above it (the existing test);
- ``manoeuvring`` when lift was seen;
- ``SLBM`` for a flight launched at sea: its launch point off every land outline with
  probability ``SEA_LAUNCH_PROB`` over its 95% ellipse (a coastal site's first rough launch
  point, kilometres out to sea, is not a submarine).

A flight is *manoeuvre-capable* (its impact gets the reachable footprint,
``lookout.assess.footprint``) once lift was seen, or when its apogee stays in the air where lift
acts (below 90 km: the catalogue's lifting SRBMs and glide vehicles fly at 45-60 km), while it is
in the air and not thrusting. A short SRBM on a ballistic path that low gets the footprint too:
nothing tells it from a KN-23 before it manoeuvres. (Requiring a depressed path instead, apogee
under half the minimum-energy one, measured on kn23-pullup: containment 0.51 and 0.53 against
0.82 and 1.00, because the ballistic range of a depressed flight's early states is short and
its path does not look depressed until late.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lookout.assess.energy import minimum_energy_apogee
from lookout.assess.footprint import LIFT_CEILING_M
from lookout.geodesy import geodesic_direct
from lookout.tracking.motion import acceleration

LIFT_SEEN_MPS2 = 4.9
LIFT_HITS = 2
#: Shortest interval (s) between the two states of a look (their velocity noise over dt).
MIN_LOOK_S = 4.0
GLIDE_SPEED_MPS = 2000.0
DEPRESSED_FACTOR = 0.5
#: Replays fly the reach of every track that has stayed below this altitude (m) in batches
#: (``lookout.scoring.evaluation``); the assessor decides which of them are capable.
CAPABLE_MAX_ALT_M = 150e3
#: A launch is called a sea launch when its launch point is at sea with this probability.
SEA_LAUNCH_PROB = 0.95
#: A flight whose apogee stays below this (m) is flown where a lifting body manoeuvres all
#: along (``lift_shaped``): the published depressed and pull-up SRBMs, the submarine-launched
#: one and the glide vehicles fly at 45-60 km (issue 17; the catalogue's at 45-62 km), a
#: ballistic SRBM's path to its range reaches 80 km and more (srbm-salvo's 85-90 km), where
#: the air holds no lift (a dynamic pressure of some ten pascals at 2 km/s).
LIFT_PATH_APOGEE_M = 70e3


@dataclass
class LiftMemory:
    """What an assessor remembers of a track's manoeuvres."""

    last: tuple[float, np.ndarray, np.ndarray] | None = None
    hits: int = 0
    seen: bool = False
    #: Fastest speed (m/s) at which lift was seen.
    lift_speed_mps: float = 0.0
    max_lift_mps2: float = 0.0


def lift_across(t0, x0, P0, t1, x1, P1) -> tuple[float, float]:
    """The acceleration across the velocity not explained by gravity (m/s²) between two states
    (6,) with covariances (6, 6), and its standard deviation."""
    dt = t1 - t0
    a_g = 0.5 * (
        acceleration(x0[None, :3], x0[None, 3:6])[0] + acceleration(x1[None, :3], x1[None, 3:6])[0]
    )
    a = (x1[3:6] - x0[3:6]) / dt - a_g
    v = 0.5 * (x0[3:6] + x1[3:6])
    u = v / max(np.linalg.norm(v), 1e-9)
    across = a - np.dot(a, u) * u
    var = (np.trace(P0[3:6, 3:6]) + np.trace(P1[3:6, 3:6])) / dt**2
    return float(np.linalg.norm(across)), float(np.sqrt(var))


def observe(mem: LiftMemory, t: float, x: np.ndarray, P: np.ndarray, boost: bool) -> None:
    """Take a track's state at ``t`` into its lift memory (thrust is not lift: boosting states
    only restart the look)."""
    if boost or mem.last is None:
        mem.last = (t, x.copy(), P.copy())
        mem.hits = 0
        return
    t0, x0, P0 = mem.last
    if t - t0 < MIN_LOOK_S:
        return
    a, sig = lift_across(t0, x0, P0, t, x, P)
    hit = a > max(LIFT_SEEN_MPS2, 3.0 * sig)
    mem.hits = mem.hits + 1 if hit else 0
    if mem.hits >= LIFT_HITS:
        mem.seen = True
        mem.max_lift_mps2 = max(mem.max_lift_mps2, a)
        speed = 0.5 * float(np.linalg.norm(x0[3:6]) + np.linalg.norm(x[3:6]))
        mem.lift_speed_mps = max(mem.lift_speed_mps, speed)
    mem.last = (t, x.copy(), P.copy())


def capable(mem: LiftMemory, apogee_m: float | None, alt_m: float, boost: bool) -> bool:
    """Whether a track's impact should carry the reachable footprint of a lifting body: lift
    seen, or a flight whose apogee stays below ``LIFT_CEILING_M`` (all of it in air where a
    lifting airframe can manoeuvre: the catalogue's lifting SRBMs and glide vehicles fly at
    45-60 km), while in the air and not thrusting."""
    if boost or alt_m > LIFT_CEILING_M:
        return False
    return mem.seen or (apogee_m is not None and apogee_m < LIFT_CEILING_M)


def lift_shaped(mem: LiftMemory, apogee_m: float | None) -> bool:
    """Whether a flight is flown the way lifting bodies fly: lift seen, or an apogee below
    ``LIFT_PATH_APOGEE_M``. Its impact is a choice of its guidance within its footprint, which
    no point of the footprint predicts: kn23-pullup's second missile, whose ballistic impact
    and nearest reach lay in North Korea's EEZ and its glide in Russia's, had the centre of its
    footprint in North Korea's for 160 s and came down in Russia's; the slbm's centre lay in
    Russia's EEZ, its glide took it to Japan's."""
    return mem.seen or (apogee_m is not None and apogee_m < LIFT_PATH_APOGEE_M)


def sea_launch_probability(outlines, lat: float, lon: float, cov_en: np.ndarray | None) -> float:
    """Probability that a launch point (rad) with its 2-D covariance (m²) lies at sea: the
    fraction of its Gaussian (on a 9 x 9 grid to 2 sigma) off every shipped land outline."""
    q = np.linspace(-2.0, 2.0, 9)
    wq = np.exp(-0.5 * q * q)
    a, b = np.meshgrid(q, q, indexing="ij")
    w = (wq[:, None] * wq[None, :]).ravel()
    if cov_en is None or not np.all(np.isfinite(cov_en)):
        cov_en = np.zeros((2, 2))
    vals, vecs = np.linalg.eigh(0.5 * (cov_en + cov_en.T))
    en = np.stack([a.ravel(), b.ravel()], axis=1) @ (vecs * np.sqrt(np.maximum(vals, 0.0))).T
    lats, lons = geodesic_direct(
        np.full(w.size, lat), np.full(w.size, lon), np.arctan2(en[:, 0], en[:, 1]),
        np.hypot(en[:, 0], en[:, 1]),
    )  # fmt: skip
    sea = np.array([c is None for c in outlines.land_at(np.asarray(lats), np.asarray(lons))])
    return float(w[sea].sum() / w.sum())


def flight_type(
    mem: LiftMemory,
    apogee_m: float | None,
    range_m: float | None,
    lofted: bool,
    sea_prob: float,
) -> str | None:
    """The type label of a flight (see the module docstring), or None if nothing is known;
    ``sea_prob`` the probability that it was launched at sea (``sea_launch_probability``)."""
    tags = []
    if sea_prob >= SEA_LAUNCH_PROB:
        tags.append("SLBM")
    if mem.seen and mem.lift_speed_mps >= GLIDE_SPEED_MPS:
        tags.append("HGV")
    elif lofted:
        tags.append("lofted")
    elif (
        apogee_m is not None
        and range_m is not None
        and range_m > 0
        and apogee_m < DEPRESSED_FACTOR * float(minimum_energy_apogee(range_m))
    ):
        tags.append("depressed")
    if mem.seen and "HGV" not in tags:
        tags.append("manoeuvring")
    if not tags:
        return "ballistic" if apogee_m is not None and range_m is not None else None
    return ", ".join(tags)


_ORDER = ("SLBM", "HGV", "lofted", "depressed", "manoeuvring", "ballistic")


def merge_types(old: str | None, new: str | None) -> str | None:
    """A flight's type as known so far: what was seen once stays seen (lift, a glide, a sea
    launch, a depressed path), "ballistic" only while nothing else is, "HGV" over
    "manoeuvring"."""
    tags = set()
    for label in (old, new):
        if label:
            tags.update(label.split(", "))
    if len(tags) > 1:
        tags.discard("ballistic")
    if "HGV" in tags:
        tags.discard("manoeuvring")
    if "lofted" in tags and "depressed" in tags:
        tags.discard("lofted" if new and "depressed" in new else "depressed")
    return ", ".join(t for t in _ORDER if t in tags) or None
