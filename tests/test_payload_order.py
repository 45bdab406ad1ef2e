"""Which piece of a flight is its payload (``lookout.assess.events``): the one the separation
left with more energy, not the one ahead along the track after a long coast (issue 13,
gen-world-47-01)."""

from __future__ import annotations

import numpy as np
import pytest

from lookout.assess.events import LaunchEvent, LaunchEvents, Member, _ahead
from lookout.flight import Aim, fly
from lookout.flight.plancache import plan_cached

#: A good radar track's sigmas (m, m/s).
SIG_POS, SIG_VEL = 60.0, 0.3


@pytest.fixture(scope="module")
def kura():
    """gen-world-47-01's flight: an icbm-solid-3stage from Dombarovsky to the Kura range,
    minimum energy (reentry vehicle, last stage) truths, launched at 0."""
    aim = Aim(target_lat_deg=57.69, target_lon_deg=161.81, loft="minimum-energy")
    launch = plan_cached(51.1, 59.85, aim, "icbm-solid-3stage", object_id="M", launch_time=0.0)
    trs = {tr.object_id: tr for tr in fly([launch])}
    return trs["M"], trs["M-stage3"]


def _member(track_id: str, t: float, x: np.ndarray) -> Member:
    m = Member(track_id, "E1", t, "launch_point", t_seen=t, state=x.copy())
    m.covariance = np.diag([SIG_POS**2] * 3 + [SIG_VEL**2] * 3)
    return m


def test_the_payload_of_a_pair_seen_on_the_way_down_above_the_air_is_the_one_of_more_energy(kura):
    """The reentry vehicle, pushed 3 m/s ahead of its last stage at the separation, leads it
    along the track at first; over the 20-minute coast the pair's arcs part (the vehicle's,
    of more energy, the higher), and on the way down, above the air, the vehicle is behind the
    stage along their falling velocity (1.6 km 1,285 s after the launch, when gen-world-47-01's
    radars first saw the pair: the stage was named the payload at 11 sigmas of its lead). The
    energy the push left each, which nothing changes above the air, names the vehicle."""
    _named_behind(kura, 1285.0, behind_m=1000.0)  # above the air


def test_the_payload_of_a_pair_falling_through_the_thin_air_is_the_one_of_more_energy(kura):
    """Below 100 km on the way down the arcs still hold the pair in their coast's order: at
    81 and 76 km the vehicle is 3 km behind its stage along their velocity (held-out
    gen-world-61-05: its stage was named the payload at 12 sigmas of lead at 95 km). Drag,
    which would put the stage behind, has not acted yet; it only takes the stage's energy
    faster, so the energies name the vehicle there too."""
    _named_behind(kura, 1425.0, behind_m=2500.0)  # in the air


def _named_behind(kura, t: float, behind_m: float) -> None:
    """At ``t`` the reentry vehicle is more than ``behind_m`` behind its stage along their
    velocity (the premise), and the event names it the payload, the stage spent."""
    rv, stage = kura
    xr, xs = rv.state_at(t), stage.state_at(t)
    u = xs[3:] / np.linalg.norm(xs[3:])
    assert u @ (xr[:3] - xs[:3]) < -behind_m
    events = LaunchEvents()
    ev = LaunchEvent("E1", 0.0, members=["rv", "stage"])
    events.events["E1"] = ev
    a, b = _member("rv", t, xr), _member("stage", t, xs)
    events.members.update({"rv": a, "stage": b})
    events._identify_payload(ev, [b, a], t)
    assert ev.payload == "rv"
    assert b.decided == "spent_stage"


def _named_alone(kura, t: float, rv_sig_vel: float):
    """gen-world-61-05's event at ``t``: its last stage named the payload at 355 s, alone, and
    its reentry vehicle's track first seen at 1,380 s (the vehicle unseen over mid-course),
    coasting since, with velocity sigma ``rv_sig_vel`` (m/s)."""
    from lookout.assess.energy import specific_energy

    rv, stage = kura
    events = LaunchEvents()
    ev = LaunchEvent("E1", 0.0, members=["stage", "rv"], payload="stage")
    ev.payload_identified_t = 355.0
    events.events["E1"] = ev
    s = _member("stage", t, stage.state_at(t))
    s.t_joined, s.coast_since, s.decided = 250.0, 250.0, "payload"
    r = _member("rv", t, rv.state_at(t))
    r.t_joined, r.coast_since, r.how = 1380.0, 1380.0, "separation"
    r.covariance[3:, 3:] = np.eye(3) * rv_sig_vel**2
    for m in (s, r):
        m.energy = float(specific_energy(m.state)[0])
    events.members.update({"stage": s, "rv": r})
    return events, ev


def test_a_piece_first_seen_after_the_payload_was_named_ahead_of_it_takes_the_role(kura):
    """A payload named for being ahead of the pieces seen then is named against a piece
    first seen later too: the reentry vehicle, of 18 kJ/kg more energy at 6 sigmas, takes the
    role, and the stage named alone is typed a stage behind it (it kept the role, and the
    vehicle was typed debris for joining after it)."""
    events, ev = _named_alone(kura, 1400.0, 0.3)
    events._type(ev, 1400.0)
    assert ev.payload == "rv"
    assert events.members["rv"].object_type == "payload"
    assert events.members["stage"].object_type == "spent_stage"


def test_a_payload_named_alone_is_not_kept_against_a_later_piece_it_is_not_shown_ahead_of(kura):
    """The later piece's order against the payload not told (a young track: velocity sigma
    3 m/s, the energies' gap 18 kJ/kg at 0.6 sigma), the event has no payload: neither piece
    is typed by its place (it was the payload and the vehicle debris, each flown as such)."""
    events, ev = _named_alone(kura, 1400.0, 3.0)
    events._type(ev, 1400.0)
    assert ev.payload is None
    assert events.members["rv"].object_type == "unknown"
    assert events.members["stage"].object_type == "unknown"


def test_a_piece_last_assessed_a_while_ago_is_ordered_under_its_velocity_sigma_too():
    """Two pieces assessed at different times are ordered with the older one's state flown on
    at its velocity, whose error grows its position's over the gap: world60 #03's warhead
    track, last assessed 20 s before its stage's, its velocity known to a few hundred m/s
    after seven detections, fell 10.3 km behind the stage's at 3.1 sigmas of the two positions'
    sigmas alone, and the stage was named the payload. Flown on with its velocity's sigma
    (120 m/s along the track here), the order is not told."""
    u = np.array([0.6, 0.8, 0.0])
    stale = Member("warhead", "E1", 300.0, "separation", t_seen=300.0)
    stale.state = np.concatenate([np.zeros(3), 3000.0 * u])
    stale.covariance = np.diag([3300.0**2] * 3 + [120.0**2] * 3)
    fresh = Member("stage", "E1", 300.0, "separation", t_seen=320.0)
    fresh.state = np.concatenate([(20.0 * 3000.0 + 10300.0) * u, 3000.0 * u])
    fresh.covariance = np.diag([100.0**2] * 3 + [3.0**2] * 3)
    assert _ahead(fresh, stale) is None
    # The same gap, the older piece's velocity known to 3 m/s: the stage is ahead.
    stale.covariance[3:, 3:] = np.eye(3) * 3.0**2
    assert _ahead(fresh, stale) is True
