"""Scores against the truth, for the central tracker and for every partner's picture.

- ``association``: which truths count and which estimate is which truth at each instant (the
  scoring rule: Hungarian assignment with CLEAR-MOT persistence, duplicates, false estimates).
- ``functions``: GOSPA, NEES and its chi-square bounds, sums per phase, on plain arrays.
- ``scores``: ``score(output, ...)``, a tracker's ``Scores`` (RMSE and PCRLB per phase, NEES,
  continuity, one track per object, GOSPA), composed of one function per part:
  ``gospa_over_time``, ``matches_of`` (the matched samples), ``phase_figures`` (a
  ``PhaseFigures`` per phase), ``continuity`` (a ``Continuity``).
- ``claims``: what a track's assessments say (launch points, territories overflown, impact
  areas) judged against what the truth did.
- ``picture``: ``score_picture(...)``, the system tracks a partner received over time, scored
  like the tracker plus those claims.
- ``evaluation``: ``lookout track``: a scenario simulated, tracked, assessed and scored.
- ``validation``: the flight model against published flights (``published_flights.csv``).
"""

from lookout.scoring.association import Association, Truths, associate, counted_truths
from lookout.scoring.functions import NEES_CONFIDENCE, NEES_DOF, gospa, nees, nees_bounds
from lookout.scoring.scores import Matches, Scores, score

__all__ = [
    "NEES_CONFIDENCE",
    "NEES_DOF",
    "Association",
    "Matches",
    "Scores",
    "Truths",
    "associate",
    "counted_truths",
    "gospa",
    "nees",
    "nees_bounds",
    "score",
]
