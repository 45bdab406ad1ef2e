"""Scores against the truth, for the central tracker and for every partner's picture.

- ``association``: which truths count and which estimate is which truth at each instant (the
  scoring rule: Hungarian assignment with CLEAR-MOT persistence, duplicates, false estimates).
- ``functions``: GOSPA, NEES and its chi-square bounds, sums per phase, on plain arrays.
- ``scores``: ``score(output, ...)``, a tracker's ``Scores`` (RMSE and PCRLB per phase, NEES,
  continuity, one track per object, GOSPA).
- ``claims``: what a track's assessments say (launch points, territories overflown, impact
  areas) judged against what the truth did.
- ``picture``: ``score_picture(...)``, the system tracks a partner received over time, scored
  like the tracker plus those claims.
"""

from lookout.metrics.association import Association, Truths, associate, counted_truths
from lookout.metrics.functions import NEES_CONFIDENCE, NEES_DOF, gospa, nees, nees_bounds
from lookout.metrics.scores import Matches, Scores, score

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
