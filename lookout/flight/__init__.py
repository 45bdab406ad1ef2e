"""Flight: launches on a rotating WGS84 Earth, from aim to truth trajectory.

The launches of a scenario, planned and flown through the shared physical model
(``lookout.physics``): ``aim`` (what a launch is meant to do), ``launch`` (a vehicle's stages
and steering as the propagator's segments), ``guidance`` and ``planner`` (solving the steering
that meets an aim, many at once), ``plancache`` (solved plans kept on disk) and
``flights`` (``plan``, ``fly``, ``summarise``).
"""

from lookout.flight.aim import LOFTS, Aim, AimError, TurnSpec, check_lat_lon
from lookout.flight.flights import FlightSummary, fly, fly_summary, plan, summarise
from lookout.flight.launch import Launch, LaunchError
from lookout.flight.planner import Request, plan_many

__all__ = [
    "LOFTS",
    "Aim",
    "AimError",
    "FlightSummary",
    "Launch",
    "LaunchError",
    "Request",
    "TurnSpec",
    "check_lat_lon",
    "fly",
    "fly_summary",
    "plan",
    "plan_many",
    "summarise",
]
