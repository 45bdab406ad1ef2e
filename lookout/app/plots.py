"""Pictures of a run for people: the scenario map (ground tracks and sensor coverage).

Plain matplotlib in longitude/latitude (equirectangular, aspect corrected at the map's mean
latitude); no map server, no download. Coverage is drawn as each radar's instrumented footprint:
its azimuth sector out to ``max_range_km`` along geodesics (what it could see of an object high
enough to clear its horizon); a ship's at its starting position, with its track.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from lookout.geodesy import geodesic_direct

_PARTNER_COLOURS = ("tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange", "tab:brown")


def radar_footprint(params, n: int = 90) -> tuple[np.ndarray, np.ndarray]:
    """Outline (lat_deg, lon_deg) of a radar's azimuth sector out to its maximum range."""
    if params.track is not None:
        lat0, lon0 = params.track[0][1], params.track[0][2]
    else:
        lat0, lon0 = params.lat_deg, params.lon_deg
    half = params.span_deg / 2.0
    az = np.radians(np.linspace(params.azimuth_deg - half, params.azimuth_deg + half, n))
    dist = np.full(n, params.max_range_km * 1e3)
    lat, lon = geodesic_direct(np.full(n, np.radians(lat0)), np.full(n, np.radians(lon0)), az, dist)
    lat, lon = np.degrees(lat), np.degrees(lon)
    if params.span_deg < 360.0:
        lat = np.concatenate([[lat0], lat, [lat0]])
        lon = np.concatenate([[lon0], lon, [lon0]])
    return lat, lon


def coastlines() -> list[tuple[np.ndarray, np.ndarray]]:
    """Land outlines (lat_deg, lon_deg) shipped for territory checks (Natural Earth 1:110m)."""
    from lookout.assess.territory import territories

    out = []
    for ring in territories().rings:
        v = ring.path.vertices
        out.append((v[:, 1], v[:, 0]))
    return out


def scenario_map(sim, path: Path | str, outlines=None) -> Path:
    """Write a PNG map of ``sim`` (a ``lookout.simulate.Simulation``): every object's ground
    track (launch sites, impacts), radar coverage and ship tracks by partner, infrared
    satellites listed. ``outlines``: iterable of (lat_deg, lon_deg) coastline arrays; by default
    the shipped land outlines (``coastlines``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sc = sim.scenario
    colour = {p.id: _PARTNER_COLOURS[i % len(_PARTNER_COLOURS)] for i, p in enumerate(sc.partners)}
    fig, ax = plt.subplots(figsize=(11, 8), dpi=110)
    lats, lons = [], []
    for line in coastlines() if outlines is None else outlines:
        ax.plot(line[1], line[0], color="0.6", lw=0.6, zorder=1)
    for sensor in sim.sensors:
        p = getattr(sensor, "params", None)
        c = colour.get(sensor.partner, "k")
        if sensor.kind == "radar":
            lat, lon = radar_footprint(p)
            ax.fill(lon, lat, color=c, alpha=0.06, zorder=2)
            ax.plot(lon, lat, color=c, lw=0.7, alpha=0.6, zorder=2)
            if p.track is not None:
                track = np.array(p.track)
                ax.plot(track[:, 2], track[:, 1], color=c, lw=2, zorder=4)
                site = track[0, 1], track[0, 2]
            else:
                site = p.lat_deg, p.lon_deg
            ax.plot(site[1], site[0], marker="^", color=c, ms=7, zorder=5)
            ax.annotate(
                sensor.id,
                (site[1], site[0]),
                fontsize=7,
                color=c,
                xytext=(4, 4),
                textcoords="offset points",
            )
            lats.append(site[0])
            lons.append(site[1])
    for tr in sim.trajectories:
        end = min(tr.t_end, sc.duration_s)
        keep = tr.t <= end
        lat, lon = np.degrees(tr.lat[keep]), np.degrees(tr.lon[keep])
        if lat.size == 0:
            continue
        main = tr.parent_id is None
        ax.plot(
            lon,
            lat,
            color="k" if main else "0.45",
            lw=1.4 if main else 0.7,
            ls="-" if main else ":",
            zorder=6,
        )
        lats += [lat.min(), lat.max()]
        lons += [lon.min(), lon.max()]
        if main:
            ax.plot(lon[0], lat[0], marker="*", color="k", ms=10, zorder=7)
        if tr.event("impact") is not None:
            ax.plot(lon[-1], lat[-1], marker="x", color="k" if main else "0.45", ms=6, zorder=7)
    ir = [s for s in sim.sensors if s.kind == "infrared"]
    if ir:
        text = "infrared: " + ", ".join(f"{s.id} ({s.partner})" for s in ir)
        ax.text(0.01, 0.01, text, transform=ax.transAxes, fontsize=8, va="bottom")
    if lats:
        pad = 2.0
        ax.set_xlim(min(lons) - pad, max(lons) + pad)
        ax.set_ylim(max(min(lats) - pad, -90), min(max(lats) + pad, 90))
        ax.set_aspect(1.0 / math.cos(math.radians(0.5 * (min(lats) + max(lats)))))
    handles = [
        plt.Line2D([], [], color=colour[p.id], marker="^", lw=0, label=f"{p.id} sensors")
        for p in sc.partners
    ]
    handles += [
        plt.Line2D([], [], color="k", marker="*", lw=1.4, label="launch, main object"),
        plt.Line2D([], [], color="0.45", ls=":", label="spent stages"),
        plt.Line2D([], [], color="k", marker="x", lw=0, label="impact"),
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8)
    ax.set_xlabel("longitude (deg E)")
    ax.set_ylabel("latitude (deg N)")
    ax.grid(True, lw=0.3, alpha=0.5)
    ax.set_title(f"{sc.name}: {sc.description}", fontsize=10)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def tracking_plot(evaluation, path: Path | str) -> Path:
    """Write a PNG of a ``scoring.evaluation.Evaluation``: each truth's track position error over
    time against its PCRLB (top), and each flight's predicted impact-point error over time
    (bottom)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = evaluation.scores
    m = scores.matches
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 9), dpi=110, sharex=False)
    main = {launch.object_id for launch in evaluation.sim.launches}
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    shown = [i for i, tid in enumerate(scores.truth_ids) if tid in main][:12]
    for n, i in enumerate(shown):
        sel = m.truth == i
        if not sel.any():
            continue
        c = colours[n % len(colours)]
        err = np.linalg.norm(m.pos_err[sel], axis=1)
        ax1.semilogy(m.t[sel], err, color=c, lw=0.9, label=scores.truth_ids[i])
        bound = m.pcrlb_pos_m[sel]
        if np.isfinite(bound).any():
            ax1.semilogy(m.t[sel], bound, color=c, lw=0.9, ls="--")
    ax1.set_xlabel("time from epoch (s)")
    ax1.set_ylabel("position error (m); dashed: PCRLB")
    ax1.grid(True, which="both", lw=0.3, alpha=0.5)
    if shown:
        ax1.legend(fontsize=7, ncol=4)
    for n, (fid, f) in enumerate(evaluation.flights.items()):
        series = np.array(f.get("impact_error_km_over_time") or [])
        if series.size:
            c = colours[n % len(colours)]
            ax2.semilogy(series[:, 0], np.maximum(series[:, 1], 1e-3), color=c, lw=1, label=fid)
    ax2.set_xlabel("time after launch (s)")
    ax2.set_ylabel("predicted impact point error (km)")
    ax2.grid(True, which="both", lw=0.3, alpha=0.5)
    if evaluation.flights:
        ax2.legend(fontsize=7, ncol=4)
    sc = evaluation.sim.scenario
    fig.suptitle(f"{sc.name}: tracking error against the bound, and impact prediction error")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path
