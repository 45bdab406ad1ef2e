"""Which piece of a flight is its payload (``lookout.assess.events``): the one the separation
left with more energy, not the one ahead along the track after a long coast (issue 13,
gen-world-47-01)."""

from __future__ import annotations

import numpy as np
import pytest

from lookout.assess.events import LaunchEvent, LaunchEvents, Member
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
    rv, stage = kura
    t = 1285.0
    xr, xs = rv.state_at(t), stage.state_at(t)
    u = xs[3:] / np.linalg.norm(xs[3:])
    assert u @ (xr[:3] - xs[:3]) < -1000.0  # the premise: the vehicle behind, above the air
    events = LaunchEvents()
    ev = LaunchEvent("E1", 0.0, members=["rv", "stage"])
    events.events["E1"] = ev
    a, b = _member("rv", t, xr), _member("stage", t, xs)
    events.members.update({"rv": a, "stage": b})
    events._identify_payload(ev, [b, a], t)
    assert ev.payload == "rv"
    assert b.decided == "spent_stage"
