"""A launch whose payload nobody sees (issue 13, held-out world60 #03): one far radar tracks the
spent stage of a single-stage IRBM and never the reentry vehicle that parted from it at burnout.
The stage's track is alone in its launch event, its type unknown, and flown as the reentry
vehicle it may be; its 95 % impact ellipse is what a warning is drawn from, so it must hold
where the unseen warhead comes down as well as where the stage itself does."""

from __future__ import annotations

import numpy as np
import pytest

from lookout.assess import Assessor, mahalanobis2
from lookout.assess.events import LaunchEvents
from lookout.assess.impact import CHI2_2D_95
from lookout.flight import Aim, fly
from lookout.flight.plancache import plan_cached
from lookout.geodesy import ecef_to_geodetic

#: world60 #03's launch: an IRBM from Kapustin Yar to Sary Shagan, minimum energy.
SITE = (48.58, 45.72)
AIM = Aim(target_lat_deg=46.57, target_lon_deg=73.0, loft="minimum-energy")
#: A good radar track's sigmas (m, m/s).
SIG_POS, SIG_VEL = 60.0, 3.0


@pytest.fixture(scope="module")
def irbm():
    """(reentry vehicle, spent stage) truths of world60 #03's IRBM (irbm-liquid: the payload
    parts from the single stage at burnout, the stage pushed back)."""
    launch = plan_cached(*SITE, AIM, "irbm-liquid", object_id="M", launch_time=0.0)
    trs = {tr.object_id: tr for tr in fly([launch])}
    return trs["M"], trs["M-stage1"]


def _impact(tr) -> tuple[float, float]:
    lat, lon, _ = ecef_to_geodetic(tr.event("impact").pos)
    return float(lat), float(lon)


def _alone(trs: dict, times: np.ndarray):
    """Tracks on the truths ``trs`` (id -> trajectory), each assessed every 5 s at ``times`` as
    ``lookout track`` assesses them (``scoring.evaluation.assess_reports``: the events' typing
    and their unseen payloads at the last instant): the events, each id's assessments and the
    ids ever flown as the stage of an unseen payload."""
    events, assessor = LaunchEvents(), Assessor()
    P = np.diag([SIG_POS**2] * 3 + [SIG_VEL**2] * 3)
    out: dict[str, list] = {k: [] for k in trs}
    pushed: set[str] = set()
    for t in times:
        ids = [k for k, tr in trs.items() if tr.t[0] < t < tr.t[-1]]
        x = np.array([trs[k].state_at(t) for k in ids])
        tumbling = {k for k in ids if events.parted_stage(k)}
        odds = {k: p for k in ids if k not in tumbling and (p := events.stage_probability(k)) > 0}
        alone = {k: s for k in ids if (s := events.unseen_payload(k)) is not None}
        pushed |= set(alone)
        now = assessor.update(
            float(t), ids, x, np.repeat(P[None], len(ids), 0), np.zeros(len(ids)),
            stages=tumbling, stage_probs=odds, last_seen=np.full(len(ids), float(t)),
            unseen_payloads=alone,
        )  # fmt: skip
        events.update(float(t), now)
        for a in now:
            out[a.track_id].append(a)
    return events, out, pushed


def _held(assessments, point, floor_m: float = 100e3) -> list[bool]:
    """For each prediction made from a state above ``floor_m`` (out of the air: the track's
    drag unmeasured, as world60 #03's radar lost the stage 450 km up), whether its 95 %
    ellipse holds ``point``."""
    out = []
    for a in assessments:
        _, _, alt = ecef_to_geodetic(a.state[:3])
        if a.impact_kind == "predicted" and float(alt) >= floor_m:
            d2 = mahalanobis2(a.impact_lat, a.impact_lon, a.impact_ellipse.cov_en, *point)
            out.append(float(d2) <= CHI2_2D_95)
    return out


def test_the_spent_stage_alone_in_view_holds_its_unseen_warhead_s_impact(irbm):
    """Only the stage tracked, from a minute after it parted: every prediction's ellipse holds
    the warhead's true impact and the stage's own. Flown as a reentry vehicle from the stage's
    state, with nothing of the 3 m/s the stage was pushed back by, the ellipses missed the
    warhead (7 km beyond the stage's fall) in the last 23 of 115 predictions out of the air."""
    rv, stage = irbm
    events, got, pushed = _alone({"S": stage}, np.arange(stage.t[0] + 60.0, stage.t[-1], 5.0))
    assert events.of("S")[1] == "unknown"
    warhead = _held(got["S"], _impact(rv))
    own = _held(got["S"], _impact(stage))
    assert len(warhead) > 100
    assert all(warhead), f"{sum(warhead)} of {len(warhead)}"
    assert all(own), f"{sum(own)} of {len(own)}"
    assert pushed == {"S"}


def test_a_payload_in_view_beside_its_stage_is_flown_as_itself(irbm):
    """Both pieces tracked, in one event: neither is ever taken for the stage of an unseen
    payload (each is flown as before, by its own odds of being the stage), and the reentry
    vehicle's ellipses hold its impact."""
    rv, stage = irbm
    times = np.arange(stage.t[0] + 60.0, stage.t[0] + 400.0, 5.0)
    events, got, pushed = _alone({"R": rv, "S": stage}, times)
    assert events.of("R")[0] == events.of("S")[0] is not None
    assert not pushed
    assert all(_held(got["R"], _impact(rv)))
