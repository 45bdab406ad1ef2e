"""Assessment of tracks: what partners share about each launch.

Per track (state x (6,) ECEF and covariance P (6, 6) from the tracker, with its boost-mode
probability): phase, launch point and time, instantaneous impact point while thrusting,
predicted impact point and time with a 95% ellipse after burnout, apogee, ground range,
equivalent minimum-energy range for lofted flights, class, orbit, territories overflown and the
area of the impact. Modules: ``impact`` (the unscented transform through the flight model),
``launch_point``, ``energy`` (orbit, equivalent range, class), ``territory`` (outlines and
approximate EEZs), ``assessment`` (the record, its wire form ``assessment_message`` and the
per-track memory).
"""

from lookout.assess.assessment import (
    Assessment,
    Assessor,
    TrackMemory,
    assess,
    assessment_message,
)
from lookout.assess.energy import Orbit, equivalent_range, range_class
from lookout.assess.impact import (
    CHI2_2D_95,
    BallisticPrior,
    Ellipse,
    ImpactBatch,
    ellipse_from_cov,
    mahalanobis2,
    predict_impacts,
    spent_stage_prior,
)
from lookout.assess.launch_point import LaunchEstimate, launch_from_boost, launch_from_coast
from lookout.assess.territory import Area, Overflight, territories

__all__ = [
    "CHI2_2D_95",
    "Area",
    "Assessment",
    "Assessor",
    "BallisticPrior",
    "Ellipse",
    "ImpactBatch",
    "LaunchEstimate",
    "Orbit",
    "Overflight",
    "TrackMemory",
    "assess",
    "assessment_message",
    "ellipse_from_cov",
    "equivalent_range",
    "launch_from_boost",
    "launch_from_coast",
    "mahalanobis2",
    "predict_impacts",
    "range_class",
    "spent_stage_prior",
    "territories",
]
