"""Multi-sensor ballistic tracking: detections of all partners' sensors into tracks.

``track`` runs a whole detection list; ``Tracker`` is the incremental form (``process`` a chunk,
``report`` the confirmed tracks at an instant); ``pcrlb`` is the posterior Cramér-Rao bound of
one truth object under the tracker's own models. See ``tracker`` for the algorithm, ``motion``
and ``config`` for the models and the physics behind their noise levels.
"""

from lookout.tracking.config import TrackerConfig
from lookout.tracking.log import TrackerOutput, TrackLog
from lookout.tracking.pcrlb import PcrlbResult, pcrlb
from lookout.tracking.tracker import Tracker, track

__all__ = ["PcrlbResult", "TrackLog", "Tracker", "TrackerConfig", "TrackerOutput", "pcrlb", "track"]
