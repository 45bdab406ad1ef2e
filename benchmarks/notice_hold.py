"""Whether an announced flight keeps its pre-launch notice: on the truth, how near each object's
sub-point comes to the edge of the notice's azimuth sector during the run; in a kept run, every
instant the picture's tracks of an event stop carrying a notice they carried (the picture drops
a notice for good once one live member's sub-point is off the sector beyond its uncertainty,
``LaunchEvents._match``, and the warn desks then warn the whole flight as any launch).

    nice -n 10 .venv/bin/python benchmarks/notice_hold.py truth FILE [FILE ...]
    nice -n 10 .venv/bin/python benchmarks/notice_hold.py replay LOG [LOG ...]

``truth``: per notice and object of the scenario, from its start to its end or the run's end
(the picture holds an object in orbit to the sector too), the least angle (deg) by which its
true sub-point stays inside the sector (``Announcement.off_sector_nominal``'s cone: the sector
widened by the launch area's radius seen from the site; negative: off), where and when, and
the azimuths it spans beyond 50 km. Seconds, no sensors.

``replay``: ``LOG`` an audit log kept by ``lookout bench warnings --out DIR`` (``NAME.sqlite``),
the picture rebuilt from it (``lookout.app.demo.replay_log``, fusion and assessment with the
code as it is now): per event, the notices its tracks carried and from when, the least angle
(deg) by which any of its tracks' sub-points was held within the sector (``off_sector``'s cone
with the track's 3.72 sigma across the line of sight, ``held_deg``; negative: off), and each
drop (the instant, and the event's tracks then off the sector beyond their uncertainty, with
the sub-point and its sigma). Minutes per log.
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from lookout.app.demo import replay_log, system_tracks_of
from lookout.assess.events import LAUNCH_GATE_CHI2
from lookout.assess.notices import Announcement
from lookout.cli.common import user_error_types
from lookout.exchange.envelope import decode, decode_payload
from lookout.geodesy import ecef_to_geodetic, enu_basis, geodesic_inverse
from lookout.messages import LaunchNotice
from lookout.scenario import load
from lookout.simulate import fly_scenario, plan_launches


def _held(an: Announcement, dist, az, r):
    """The angle (deg) by which points at ``dist`` (m) and azimuth ``az`` (rad) from the site,
    each the centre of a disc of radius ``r`` (m), are held within the sector's cone: to its
    nearer edge inside the sector plus the disc's half-angle ``asin(r / dist)`` seen from the
    site; off it, that half-angle less the gap (negative: off, as ``off_sector``); infinite
    nearer than ``r``."""
    two_pi = 2.0 * math.pi
    width = (an.azimuth_max - an.azimuth_min) % two_pi
    into = (az - an.azimuth_min) % two_pi
    signed = np.where(into <= width, np.minimum(into, width - into), -an.sector_gap(az))
    cone = np.arcsin(np.minimum(r / np.maximum(dist, 1.0), 1.0))
    return np.where(dist > r, np.degrees(signed + cone), np.inf)


def inside_deg(an: Announcement, lat, lon) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per point (rad, arrays) of the flight itself: the angle (deg) by which it is held
    within the sector (``_held`` with the launch area's radius; negative: off it, as
    ``off_sector_nominal``), its distance (m) and azimuth (deg) from the site."""
    n = np.size(lat)
    dist, az = geodesic_inverse(np.full(n, an.site_lat), np.full(n, an.site_lon), lat, lon)
    dist, az = np.atleast_1d(dist), np.atleast_1d(az) % (2.0 * math.pi)
    return _held(an, dist, az, an.site_radius_m), dist, np.degrees(az)


def held_deg(an: Announcement, lat: float, lon: float, cov_en: np.ndarray) -> float:
    """By how much (deg) an estimate's sub-point (rad; east/north covariance, m^2) is held
    within the sector by ``Announcement.off_sector``: ``_held`` with the launch area's radius
    plus 3.72 sigma across the line of sight (negative: off beyond its uncertainty)."""
    dist, az = geodesic_inverse(an.site_lat, an.site_lon, lat, lon)
    dist, az = float(dist), float(az) % (2.0 * math.pi)
    across = np.array([math.cos(az), -math.sin(az)])
    r = an.site_radius_m + math.sqrt(LAUNCH_GATE_CHI2 * float(across @ cov_en @ across))
    return float(_held(an, np.array([dist]), np.array([az]), r)[0])


def truth(path: str) -> None:
    sc = load(path)
    notices = [Announcement.of(n.message()) for n in sc.notices]
    print(f"== {path} (run to {sc.duration_s:.0f} s)")
    if not notices:
        print("   no notice")
        return
    flown = fly_scenario(sc, plan_launches(sc, None))
    for an in notices:
        lo, hi = math.degrees(an.azimuth_min), math.degrees(an.azimuth_max)
        print(f"   {an.partner}/{an.notice_id}: sector {lo:.1f}-{hi:.1f} deg")
        for tr in flown:
            ts = np.arange(tr.t_start, min(tr.t_end, sc.duration_s), 1.0)
            if ts.size == 0:
                continue
            lat, lon, _ = ecef_to_geodetic(tr.flown_state_at(ts)[:, :3])
            angle, dist, az = inside_deg(an, lat, lon)
            k = int(np.argmin(angle))
            far = dist > 50e3
            span = f"{az[far].min():.1f}-{az[far].max():.1f}" if far.any() else "-"
            print(
                f"   {tr.object_id:16s} {ts[0]:6.0f}-{ts[-1]:6.0f} s: least inside "
                f"{angle[k]:+6.2f} deg at {ts[k]:.0f} s ({dist[k] / 1e3:.0f} km out), "
                f"azimuths {span} deg"
            )


def replay(path: str) -> None:
    picture = replay_log(path)
    print(f"== {path}")
    recipient = sorted(picture)[0]
    delivered = picture[recipient]
    notices = {}
    for subject, data in delivered:
        if subject.rsplit(".", 1)[-1] == "launch_notice":
            msg = decode_payload(decode(data))
            if isinstance(msg, LaunchNotice):
                an = Announcement.of(msg)
                notices[f"{an.partner}/{an.notice_id}"] = an
    by_event: dict[str, dict[float, list]] = {}
    for st in system_tracks_of(delivered):
        if st.event_id is not None and not st.interim:
            by_event.setdefault(st.event_id, {}).setdefault(st.t_ns * 1e-9, []).append(st)
    print(f"   {recipient}'s picture; notices {sorted(notices)}")
    for eid, instants in sorted(by_event.items()):
        carried: dict[str, float] = {}
        drops = []
        for t, sts in sorted(instants.items()):
            now = set(sts[-1].notices)
            for key in now:
                carried.setdefault(key, t)
            for key in set(carried) - now:
                if all(d[1] != key for d in drops):
                    drops.append((t, key, sts))
        print(f"   {eid}: {len(instants)} instants; carried {carried or 'none'}")
        for key in carried:
            an = notices.get(key)
            if an is None:
                continue
            least = (math.inf, None, None)
            for t, sts in sorted(instants.items()):
                for st in sts:
                    lat, lon, _ = ecef_to_geodetic(np.asarray(st.x[:3]))
                    en = enu_basis(lat, lon)[:2]
                    held = held_deg(an, lat, lon, en @ np.asarray(st.P)[:3, :3] @ en.T)
                    if held < least[0]:
                        least = (held, t, st.system_track_id)
            print(f"     {key}: least held {least[0]:+.2f} deg ({least[2]} at {least[1]} s)")
        for t, key, sts in drops:
            print(f"     dropped {key} at {t:.1f} s")
            an = notices.get(key)
            for st in sts if an is not None else ():
                x, P = np.asarray(st.x), np.asarray(st.P)
                lat, lon, alt = ecef_to_geodetic(x[:3])
                en = enu_basis(lat, lon)[:2]
                cov = en @ P[:3, :3] @ en.T
                if an.off_sector(lat, lon, cov):
                    print(
                        f"       {st.system_track_id} off the sector: sub-point "
                        f"{math.degrees(lat):.2f}, {math.degrees(lon):.2f} deg, "
                        f"{alt / 1e3:.0f} km up, sigma {math.sqrt(np.trace(cov)) / 1e3:.1f} km"
                    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("truth", "replay"))
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    for p in args.paths:
        try:
            (truth if args.mode == "truth" else replay)(p)
        except user_error_types() as e:  # a bad scenario or log: one line naming it
            sys.exit(f"notice_hold: {p}: {' '.join(str(e).split())}")


if __name__ == "__main__":
    main()
