"""The live common picture in the terminal (rich): what ``lookout demo`` shows as it runs."""

from __future__ import annotations

import math

from rich.console import Group
from rich.table import Table
from rich.text import Text

from lookout.messages import SystemTrack
from lookout.timebase import ns_to_s


def _deg(lat: float | None, lon: float | None) -> str:
    if lat is None or lon is None:
        return "-"
    return f"{math.degrees(lat):6.2f}, {math.degrees(lon):7.2f}"


def track_row(st: SystemTrack, now_s: float) -> list[str]:
    """The columns of one system track: launch event (with its class), object type, id, class,
    phase, launch point, impact (with its 95% ellipse's semi-major axis), time to impact,
    overflown, contributing partners."""
    event = "-" if st.event_id is None else f"{st.event_id} {st.event_class or ''}".strip()
    obj = st.object_type or "-"
    a = st.assessment
    if a is None:
        return [event, obj, st.system_track_id, "-", "-", "-", "-", "-", "-",
                " ".join(st.partners)]  # fmt: skip
    cls = a.vehicle_class or ("orbital" if a.orbital else "-")
    impact = "-"
    to_go = "-"
    if a.orbital and a.orbit is not None:
        o = a.orbit
        impact = f"orbit {o.perigee_m / 1e3:.0f} x {o.apogee_m / 1e3:.0f} km"
    elif a.impact_lat_rad is not None:
        label = "IIP " if a.iip else ""
        axis = f" ±{a.impact_ellipse.semi_major_m / 1e3:.0f} km" if a.impact_ellipse else ""
        where = ""
        if a.impact_area:
            where = f" {a.impact_area}"
        elif a.impact_areas and not a.iip:
            where = " " + " or ".join(s.code or "high seas" for s in a.impact_areas)
        impact = f"{label}{_deg(a.impact_lat_rad, a.impact_lon_rad)}{axis}{where}"
        if a.impact_time_ns is not None and not a.iip:
            to_go = f"{ns_to_s(a.impact_time_ns) - now_s:5.0f} s"
    return [
        event,
        obj,
        st.system_track_id,
        cls,
        a.phase,
        _deg(a.launch_lat_rad, a.launch_lon_rad),
        impact,
        to_go,
        " ".join(a.overflown) or "-",
        " ".join(st.partners),
    ]


def render_picture(state) -> Group:
    """A renderable of a ``lookout.app.demo.DemoState``."""
    picture = state.picture
    table = Table(
        title=f"{state.scenario.name}: common picture at t = {state.t_s:6.1f} s "
        f"(wall {state.wall_s:5.1f} s)",
        expand=False,
    )
    for col in (
        "event", "object", "track", "class", "phase", "launch point", "impact (95% ellipse)",
        "to impact", "overflies", "partners",
    ):  # fmt: skip
        table.add_column(col)
    tracks = sorted(picture.current.values(), key=_event_then_track)
    shown = [st for st in tracks if st.assessment is not None][:25]
    for st in shown:
        table.add_row(*track_row(st, state.t_s))
    ex = state.exchange.counters()
    lines = [
        f"system tracks {len(tracks)} (assessed {len(shown)} shown); "
        f"messages accepted {sum(ex['accepted'].values())}, "
        f"refused {sum(sum(c.values()) for c in ex['refused'].values())}, "
        f"delivered {sum(ex['delivered'].values())}"
    ]
    for p, node in state.nodes.items():
        lines.append(
            f"  {p}: sent {sum(node.sent.values())}, received {sum(node.received.values())}, "
            f"its picture holds {len(node.view.tracks)} tracks"
        )
    events = {st.event_id for st in tracks if st.event_id is not None}
    lines[0] += f"; launch events {len(events)}"
    return Group(table, Text("\n".join(lines)), warnings_table(state))


def _event_then_track(st: SystemTrack):
    def num(k):
        return int("".join(c for c in (k or "") if c.isdigit()) or 0)

    return (st.event_id is None, num(st.event_id), num(st.system_track_id))


#: Warnings shown at once (the latest).
WARNINGS_SHOWN = 12


def warnings_table(state) -> Table:
    """The latest public warnings of every partner: time (s), partner, message type, areas,
    languages, and the lead time to the predicted passage or fall for a shelter call."""
    table = Table(title="public warnings (latest)", expand=False)
    for col in ("t (s)", "partner", "message", "areas", "languages", "lead (s)"):
        table.add_column(col)
    rows = []
    for p, node in state.nodes.items():
        warner = getattr(node, "warner", None)
        if warner is None:
            continue
        for d in warner.decisions:
            n = d.notice
            names = [a.name(n.languages[0]) for a in n.areas] or [
                n.sea_area.name(n.languages[0], n.country) if n.sea_area else "-"
            ]
            entry = [g.get("entry_s") for g in d.geometry.values() if g.get("entry_s") is not None]
            lead = f"{min(entry) - d.t:.0f}" if n.shelter and entry else "-"
            where = ", ".join(names[:4]) + (f" +{len(names) - 4}" if len(names) > 4 else "")
            rows.append((d.t, p, f"{n.kind} ({n.msg_type})", where, "+".join(n.languages), lead))
    for r in sorted(rows)[-WARNINGS_SHOWN:]:
        table.add_row(f"{r[0]:.0f}", *r[1:])
    return table
