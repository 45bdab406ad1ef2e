"""Whether a track's object exists: its score, confirmation, the radars' looks at it, dormancy,
waking and deletion.

- ``confirmable``: Wald's test on the score with ``confirm_hits`` detections, and the position
  fixed in three dimensions twice;
- ``RadarLooks``: each radar's scans looked at the confirmed tracks inside its coverage
  (declared, or learned from its detections); a miss lowers the track's score by what the
  track's own detection probability with that radar says;
- ``Wakes``: a dormant or lost track woken by a detection too weak to tell its object from a
  false alarm is put back as it was unless more detections follow;
- ``aged``: the tracks to delete, timed out, scored out or lost in the numbers.
"""

from __future__ import annotations

import math

import numpy as np

from lookout.physics.einsum import einsum
from lookout.tracking.association import refresh_coarse
from lookout.tracking.clutter import SensorClutter
from lookout.tracking.config import TrackerConfig
from lookout.tracking.coverage import RadarCoverage
from lookout.tracking.mixing import BOOST

#: A tentative track whose score (log likelihood ratio of object over clutter) falls below
#: this is dropped: its detections are a hundred times likelier clutter than an object.
TENTATIVE_DROP_LLR = math.log(0.01)
#: A tentative track waits for this many of its sensor's revisits (a missed scan, then the
#: next) before it is timed out, and a woken track for its detections as long.
TENTATIVE_REVISITS = 2.5
#: What is put back when a woken track is found woken by a false alarm (``Wakes.unwake``):
#: every per-track array (``store.TRACK_ARRAYS``) an update, a rebase or a radar's look
#: writes. The IMM's modes and the boost mode's staging hypothesis (``xs``, ``Ps``,
#: ``share``: a rebase moves them with the modes, so one without the other is an estimate
#: of two times), the exhaust speed learnt from the thrust (``mixing.EXHAUST_ARRAYS``), the
#: times seen thrusting and lifting, the last infrared detection, the fixes, the score and
#: the radars' looks (the looks at the woken estimate since are forgotten with the score
#: they cost it; a radar first seen since has no looks at the track: zeros).
WAKE_ARRAYS = (
    "xm", "Pm", "mu", "xs", "Ps", "share", "t", "t_base", "hits", "fixes", "fix_t", "llr",
    "llr_max",
    "boosted", "thrust_t0", "lifted", "ir_t", "ir_sensor",
    "ir_t2", "ir_sensor2", "ex_b", "ex_var", "ex_tb", "ex_ts", "ex_ys", "ex_yvar",
    "pd_hits", "pd_looks", "pd_t", "pd_run", "pd_range", "pd_cost", "pd_tent", "pd_seen",
)  # fmt: skip
#: ... and what is deliberately kept: the records of a track's birth, which no update
#: writes (``ids``, ``timeout``, ``parent``, ``twin``, ``born``, ``parted``, ``thrust_dir``,
#: ``unseen_parting``), its
#: confirmation (only confirmed tracks are woken, and it is never taken back), and the coarse
#: gate's extrapolation, found again from the restored estimate (``refresh_coarse``).
#: ``WAKE_ARRAYS`` and ``WAKE_KEPT`` together are ``store.TRACK_ARRAYS``.
WAKE_KEPT = (
    "ids", "timeout", "parent", "twin", "born", "parted", "thrust_dir", "unseen_parting",
    "confirmed", "cpos", "cvel", "cacc", "csig", "cdrag",
)  # fmt: skip
#: The per-(track, radar) arrays: a radar first seen after the wake adds a column.
_PER_RADAR = (
    "pd_hits", "pd_looks", "pd_t", "pd_run", "pd_range", "pd_cost", "pd_tent", "pd_seen",
)  # fmt: skip


def confirmable(tracks, idx: np.ndarray, cfg: TrackerConfig) -> np.ndarray:
    """Whether tracks ``idx`` have the evidence of an object (Wald's test on their score,
    with ``confirm_hits`` detections) *and* their position fixed in three dimensions at two
    moments (``fixes``): a radar detection fixes it, an infrared line of sight only with
    another satellite's. One satellite's lines of sight through a track's first, vague
    prediction (a velocity prior of 3 km/s per axis: a gate tens of kilometres wide, where
    the plume density is low and each line of sight scores as if it were the track's own)
    say nothing of the third dimension. Measured on srbm-salvo: a radar false alarm at
    128 km took two lines of sight of SRBM-6's plume from one satellite, 300 km away along
    them, was confirmed as a boosting track 13 km and 3 km/s uncertain (816) and claimed an
    impact in Japan's EEZ; SRBM-6's own track, confirmed the same way, needed one more
    radar detection, 0.4 s later.

    A track whose detections only thrust explains needs one detection more
    (``thrust_only``): ``confirm_hits`` is two fixes that determine a coasting body's
    position and velocity and a third that tests them; a thrusting body's thrust is three
    unknowns more, so three fixes (nine coordinates) determine its position, velocity and
    thrust whatever they are, but for its thrust prior (104 m/s² per axis, any the catalogue
    allows), and only a fourth tests them."""
    need = cfg.confirm_hits + thrust_only(tracks, idx).astype(np.int64)
    return (
        (tracks.hits[idx] >= need) & (tracks.llr[idx] >= cfg.confirm_llr) & (tracks.fixes[idx] >= 2)
    )


def thrust_only(tracks, idx: np.ndarray) -> np.ndarray:
    """Whether tracks ``idx`` hold their detections by their thrust alone: born on their own
    (no parent, whose estimate would be their prior), never seen burning by an infrared sensor
    (a plume is evidence of thrust of its own), their boost mode the likelier.

    Two objects' detections paired into one tentative track fit no coasting body, but fit a
    thrusting one: world60 #05's il-ewr-north saw SRBM-2 at 220.5 s, then SRBM-1, 18 km ahead
    on the same path, at 224.5 and 226.5 s. The track born on SRBM-2 took SRBM-1's two
    detections (chi-square 605 under its coast mode at the second, 15 under its boost mode),
    its boost probability went from 0.19 to 1.0, it was confirmed (track 792), lost SRBM-1 at
    the next scan and SRBM-1 was started again (804): two tracks on one missile, three id
    switches."""
    return (tracks.mu[idx, BOOST] >= 0.5) & (tracks.parent[idx] < 0) & (tracks.ir_sensor[idx] < 0)


def tentative_timeout(revisit_s: float, cfg: TrackerConfig) -> float:
    """How long (s) a tentative track of a sensor revisiting every ``revisit_s`` waits for its
    next detection: ``TENTATIVE_REVISITS`` revisits, at least ``tentative_timeout_s``."""
    return max(cfg.tentative_timeout_s, TENTATIVE_REVISITS * revisit_s)


def aged(tracks, t: float, cfg: TrackerConfig) -> np.ndarray:
    """The live tracks (n,) to delete at ``t``: tentative tracks past their timeout or whose
    score fell below ln 0.01, confirmed tracks unseen for ``dormant_max_s`` or whose score fell
    ``delete_score_drop`` below its highest (``RadarLooks.note``), and any lost in the
    numbers."""
    n = tracks.n
    age = t - tracks.t[:n]
    conf = tracks.confirmed[:n]
    dead = np.where(conf, age > cfg.dormant_max_s, age > tracks.timeout[:n])
    dead |= ~conf & (tracks.llr[:n] < TENTATIVE_DROP_LLR)
    # A confirmed track its radars looked at and did not see (``RadarLooks.note``).
    dead |= conf & (tracks.llr_max[:n] - tracks.llr[:n] > cfg.delete_score_drop)
    dead |= ~np.isfinite(tracks.cpos[:n]).all(axis=1)
    return dead


class RadarLooks:
    """The radars' looks at the confirmed tracks of ``tracks`` (the tracker's track store),
    ``note``. ``coverage``: the radars whose fields of view are declared
    (``coverage.RadarCoverage``, by sensor id): a track is judged against them at every scan
    their revisit says they made, with a detection or not (``empty``); other radars' coverage
    is learned from their detections (``clutter.SensorClutter.covers``)."""

    def __init__(self, config: TrackerConfig, tracks, coverage: dict[str, RadarCoverage]) -> None:
        self.config = config
        self.tracks = tracks
        self.coverage = coverage
        # Per declared radar: the time (s) up to which its scans were counted as looks.
        self.looked_until: dict[str, float] = {}
        self._radar_codes: dict[str, int] = {}

    def empty(self, t: float) -> None:
        """Count as looks the scans each declared radar made before ``t`` (s) that brought no
        detection (detections come in time order: a scan of a radar before ``t`` not seen yet
        was empty), from the first scan the tracker saw on; none inside a declared outage."""
        tracks = self.tracks
        for sensor, cov in self.coverage.items():
            after = self.looked_until.get(sensor)
            if after is None:
                after = self.looked_until[sensor] = t
                continue
            times = cov.scan_times(after, t)
            if times.size == 0:
                continue
            self.looked_until[sensor] = float(times[-1])
            if not tracks.confirmed[: tracks.n].any():
                continue
            none = np.zeros(0, dtype=np.int64)
            pos, basis = cov.antenna(times)
            for k, tk in enumerate(times.tolist()):
                self.note(sensor, tk, pos[k], basis[k], none, cov)

    def code(self, sensor: str) -> int:
        """The column of radar ``sensor`` in the per-(track, radar) arrays (added at its
        first scan)."""
        code = self._radar_codes.get(sensor)
        if code is None:
            tracks = self.tracks
            code = self._radar_codes[sensor] = len(self._radar_codes)
            for name in _PER_RADAR:
                arr = getattr(tracks, name)
                setattr(tracks, name, np.concatenate([arr, np.zeros((arr.shape[0], 1))], axis=1))
        return code

    def pd(self, sensor: str, idx: np.ndarray, t: float, with_looks: bool = False):
        """The detection probability (k,) of the tracks ``idx`` with radar ``sensor`` at ``t``
        (s) as ``note`` learns it from the radar's looks at them: ``(hits + 1) / (looks + 2)``
        forgotten as there, at most ``detection_prob``; 0.5 for a track that radar has not
        looked at (a tentative one, or a radar not seen yet). ``with_looks``: also the
        looks it rests on (k,), forgotten as the hits."""
        code = self._radar_codes.get(sensor)
        if code is None:
            half = np.full(idx.size, 0.5)
            return (half, np.zeros(idx.size)) if with_looks else half
        tracks = self.tracks
        cfg = self.config
        gap = t - tracks.pd_t[idx, code]
        keep = (1.0 - 1.0 / cfg.pd_memory_looks) * np.exp(-np.maximum(gap, 0.0) / cfg.pd_memory_s)
        hits, looks = keep * tracks.pd_hits[idx, code], keep * tracks.pd_looks[idx, code]
        pd = np.minimum((hits + 1.0) / (looks + 2.0), cfg.detection_prob)
        return (pd, looks) if with_looks else pd

    def note(
        self,
        sensor: str,
        t: float,
        s: np.ndarray,
        B: np.ndarray,
        updated: np.ndarray,
        declared: RadarCoverage | None = None,
        learned: SensorClutter | None = None,
        gone: np.ndarray | None = None,
        credit: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        held: np.ndarray | None = None,
    ) -> None:
        """A radar (``sensor``, antenna at ECEF ``s``, ENU basis ``B``) scanned at ``t``: it
        looked at every confirmed track predicted inside its coverage; those it updated
        (``updated``) were seen, the others missed. The coverage is the radar's declared field
        of view (``declared``, ``coverage.RadarCoverage.inside_prob``: the probability that
        the track's object is inside it, a track looked at when over one half) where its node
        knows it, else the one learned from its detections (``learned``,
        ``SensorClutter.covers``, by a margin of twice the position uncertainty).

        A miss is evidence against the track's object being there: it adds
        ``ln(1 - Pd P_in)`` to the track score, ``P_in`` the probability of being inside (1 for
        learned coverage), ``Pd`` the track's own detection probability with that radar,
        learned from its looks (``(hits + 1) / (looks + 2)``, both discounted by
        ``1 - 1 / pd_memory_looks`` per look and by ``exp(-gap / pd_memory_s)`` over the time
        since the last, at most ``detection_prob``), so a track seen at every scan and missed
        many times running loses its score in a few tens of looks, and a faint object, seen
        one scan in five, slowly. A radar that sees the track less than ``miss_pd_floor`` of
        its looks tells nothing by missing it (a reentry vehicle coming back into a radar's
        coverage at 2,000 km, a twentieth of a square metre, is seen at a few per cent of the
        looks: its dormant track must wait for it), unless it saw the track at least that
        often at its last detection and has looked at it since without a gap of
        ``pd_memory_s``: then each miss of that run costs at least ``ln(1 - miss_pd_floor)``.
        The learned ``Pd`` falls with every miss, so without that a young track (three
        detections, then lost: kn23-pullup's infrared-born 353) stopped losing score 7.6 below
        its highest and was reported for minutes following nothing; an object that really
        stays in the field at ``Pd`` of at least the floor survives ``delete_score_drop`` of
        such misses running with a probability of 10⁻⁴ or less. Outside such a run, the misses
        of a radar since it last saw the track cost together at most ``ln(1 / miss_pd_floor)``
        (``pd_cost``): the learned ``Pd`` of a radar that never sees the track, its looks
        forgotten, rests at 0.10-0.19, never under the floor.

        A run's floor holds where the radar saw the track last, not farther: an object flown
        away from the radar is seen less, the radar equation's SNR falling as the fourth power
        of the range, and a Swerling-1 target's ``Pd = Pfa ** (1 / (1 + SNR))``, with the SNR
        well above one, is ``Pd0 ** ((R / R0) ** 4)`` at ``R`` of ``Pd0`` at ``R0``
        (``pd_range``, the range at the last detection). Its misses are charged at most that,
        and the run ends where that falls under the floor. world47 #7: SLBM-1's reentry
        vehicle (0.05 m²), last seen by no-ewr-north at 1,398 km, flew out to 2,000 km in 130
        s, charged at the floor at each scan (11.7 with no-ewr-west), and its track was scored
        out at the far radar's first scans, 100 s before that radar could see it.

        A track whose object's detection went to another track at this scan (``gone``,
        ``duplicates.Duplicates.note``: in its gate, or to a track born where it was) is missed
        at no less than the ``Pd`` the radar saw it with at its last detection: the radar still
        sees its object, at that rate, in the other track.

        A lone detection two siblings gated (``credit``, ``Associator.lone_credit``: the track
        given it, its sibling, the chance by position alone that it is the first's) is a hit of
        each by that chance. Counted as a hit of the track given it, the ``Pd`` that gave it
        (``Associator._lone_by_pd``) confirmed itself: world47 #7's reentry vehicle (0.05 m²)
        and its spent stage (5 m²), parted at 3 m/s, the radars seeing the stage at nearly
        every scan and the vehicle at few; the vehicle's track took the stage's detections on
        the stack's ``Pd`` (0.84-0.88), which they then held up, while the stage's track,
        missed, learned a low one (coast NEES in bounds 0.34, the vehicle's NEES 900).
        A held detection (``held``: the store rows of the two tracks that both gate it,
        ``Associator._hold_unresolved``) is a look at each, credited so, and a miss of
        neither: the radar saw one of them.

        A confirmed track whose score falls ``delete_score_drop`` below the highest it reached
        is deleted (``aged``; Blackman & Popoli 6.2, track deletion by score drop). A
        track outside every radar's coverage gets no miss: unseen, not disproven, it coasts.
        A declared radar's scans without any detection count as looks (``empty``); a
        learned one's never reach the tracker and count as no look (conservative)."""
        tracks = self.tracks
        cfg = self.config
        n = tracks.n
        seen = np.zeros(n, dtype=bool)
        seen[updated] = True
        confirmed = tracks.confirmed[:n]
        # The tentative tracks it detected: when and at what range (``pd_tent``), for the run
        # of misses that may follow their confirmation.
        tent = np.flatnonzero(seen & ~confirmed)
        sel = np.flatnonzero(confirmed)
        if sel.size == 0 and tent.size == 0:
            return
        code = self.code(sensor)
        tracks.pd_seen[seen[:n].nonzero()[0], code] = t
        if tent.size:
            tracks.pd_tent[tent, code] = t
            tracks.pd_range[tent, code] = self._range(tent, t, s, B)[1]
        if sel.size == 0:
            return
        p, rng, dt = self._range(sel, t, s, B)
        sig = tracks.csig[sel]
        spread = sig[:, 0] + sig[:, 1] * np.abs(dt)
        enu = B @ (p - s).T
        if declared is not None:
            # Per axis (``csig`` is the root of the position covariance's trace), and the
            # 1 km the extrapolation may be off.
            p_in = declared.inside_prob(enu, spread / math.sqrt(3.0) + 1000.0, s, p)
        else:
            p_in = learned.covers(enu, 2.0 * spread + 1000.0).astype(float)
        looked = seen[sel] | (p_in >= 0.5)
        # A held detection (``Associator._hold_unresolved``): the radar saw one of the pair.
        on_hold = np.zeros(sel.size, dtype=bool)
        if held is not None and held.size:
            on_hold = np.isin(sel, held)
            looked |= on_hold
        sel, seen_s, p_in, rng = sel[looked], seen[sel][looked], p_in[looked], rng[looked]
        on_hold = on_hold[looked]
        if sel.size == 0:
            return
        gap = t - tracks.pd_t[sel, code]
        keep = (1.0 - 1.0 / cfg.pd_memory_looks) * np.exp(-gap / cfg.pd_memory_s)
        hits, looks = keep * tracks.pd_hits[sel, code], keep * tracks.pd_looks[sel, code]
        pd = np.minimum((hits + 1.0) / (looks + 2.0), cfg.detection_prob)
        floor = cfg.miss_pd_floor
        last = np.where(gap <= cfg.pd_memory_s, tracks.pd_run[sel, code], 0.0)
        # A radar that detected the track while it was tentative and has not seen it since
        # its confirmation saw it at its last detection all the same: its run starts there,
        # at the prior Pd of a track it has not looked at (``pd``, 0.5). Without it a track
        # confirmed by another radar was outside any run of this one, its misses together
        # capped at ``ln(1 / miss_pd_floor)``: me60 #03's fusion, a coasting track of a
        # thrusting third stage (four detections, two of a radar scanning every second that
        # then missed it at every scan) reported 370 s unseen, 12-86 km of sigma.
        tent_t = tracks.pd_tent[sel, code]
        young = (last <= 0.0) & (tent_t > 0.0) & (t - tent_t <= cfg.pd_memory_s)
        last = np.where(young, min(0.5, cfg.detection_prob), last)
        # The Pd of the last detection where the track is now (``fade``): a run of misses of
        # an object flown away from the radar is charged no more than that.
        r0 = tracks.pd_range[sel, code]
        fade = np.where((r0 > 0.0) & (rng > r0), (rng / np.maximum(r0, 1.0)) ** 4, 1.0)
        now = last**fade
        run = now >= floor
        in_run = np.where(fade > 1.0, np.minimum(np.maximum(pd, floor), now), np.maximum(pd, floor))
        pd_miss = np.where(run, in_run, np.where(pd >= floor, pd, 0.0))
        if gone is not None and gone.size:
            lost = np.isin(sel, gone)
            pd_miss = np.where(lost, np.maximum(pd_miss, last), pd_miss)
            run |= lost
        missed = ~seen_s & ~on_hold & (pd_miss > 0.0)
        cost = -np.log1p(-(pd_miss * np.minimum(p_in, 1.0)))
        # Outside a run, what the radar's misses since it last saw the track cost together is
        # at most ``ln(1 / miss_pd_floor)``: the object may be one the radar does not see
        # (the likelihood ratio of any number of misses is at least the prior probability,
        # ``miss_pd_floor``, of a Pd below it). Without the bound the floor was never reached:
        # the looks are forgotten (``pd_memory_looks``, ``pd_memory_s``), so a radar that
        # never sees the track learns a Pd of 1 / (keep / (1 - keep) + 2), 0.10 at one scan a
        # second, 0.19 at one in ten, and charged it at every look.
        spent = tracks.pd_cost[sel, code]
        cost = np.where(run, cost, np.minimum(cost, np.maximum(-math.log(floor) - spent, 0.0)))
        cost = np.where(missed, cost, 0.0)
        tracks.llr[sel] -= cost
        tracks.pd_cost[sel, code] = np.where(seen_s, 0.0, spent + cost)
        hit = seen_s.astype(float)
        if credit is not None:
            # A lone detection two siblings gated: each is credited with it by the chance
            # its position gives (``Associator.lone_credit``), not by who took it.
            own, other, p_own = credit
            pos = np.searchsorted(sel, np.concatenate([own, other]))
            pos = np.minimum(pos, sel.size - 1)
            share = np.concatenate([p_own, 1.0 - p_own])
            at = sel[pos] == np.concatenate([own, other])
            hit[pos[at]] = share[at]
        hits, looks = hits + hit, looks + 1.0
        tracks.pd_hits[sel, code] = hits
        tracks.pd_looks[sel, code] = looks
        tracks.pd_t[sel, code] = t
        # The Pd the radar saw the track with at its last detection (kept through a run of
        # misses; forgotten after a gap in the looks).
        tracks.pd_run[sel, code] = np.where(
            seen_s,
            np.minimum((hits + 1.0) / (looks + 2.0), cfg.detection_prob),
            last,
        )
        tracks.pd_range[sel, code] = np.where(seen_s, rng, tracks.pd_range[sel, code])

    def _range(self, rows: np.ndarray, t: float, s: np.ndarray, B: np.ndarray):
        """The tracks ``rows``' positions extrapolated to ``t`` (k, 3), their ranges from the
        antenna at ``s`` (ENU basis ``B``) (k,), and the extrapolation times (k,)."""
        tracks = self.tracks
        dt = t - tracks.t_base[rows]
        p = (
            tracks.cpos[rows]
            + tracks.cvel[rows] * dt[:, None]
            + 0.5 * tracks.cacc[rows] * (dt * dt)[:, None]
        )
        enu = B @ (p - s).T
        return p, np.sqrt(einsum("ij,ij->j", enu, enu)), dt


class Wakes:
    """Lost or dormant tracks of ``tracks`` (the tracker's track store) woken by a detection:
    ``woken``, by id, the time, the updates since and the estimate they had before it
    (``note``); put back as they were if nothing follows (``unwake``)."""

    def __init__(self, config: TrackerConfig, tracks) -> None:
        self.config = config
        self.tracks = tracks
        self._confirm_llr = config.confirm_llr
        self.woken: dict[int, tuple[float, int, float, tuple]] = {}

    def note(
        self,
        idx: np.ndarray,
        t: float,
        lost_s: float,
        boost: np.ndarray,
        dll: np.ndarray,
        evidence: np.ndarray | None = None,
    ) -> None:
        """Before tracks ``idx`` are updated at ``t`` (before any of their arrays is written:
        their new boost probabilities ``boost``, their detections' score increments ``dll``,
        passed in): remember the state (``WAKE_ARRAYS``) of each confirmed
        one woken by this detection, and count the updates of those woken earlier and their
        ``evidence`` (``dll`` less what other tracks gating the detection take of it,
        ``Associator._rivals``; default ``dll``), forgetting the estimate once they are as
        many as a new track needs (``confirm_hits``) or their evidence since the wake confirms
        one (``confirm_llr``): unlike a new track's first detections, which only fix its state,
        a woken track's prediction is a state already, and each detection since tests it. Not
        by evidence while the track came apart at its burnout and the other piece has no track
        (``_parting``): either piece may have given either detection. Measured on generated
        world74 #07: its reentry vehicle's lost track, seen by one radar 7 times in 120 s
        (the stage's track holding the stage's detections), took two 4 s apart scoring 9.4 and
        19.4 and was put back for want of a third; it flew on its boost-exit prediction to its
        deletion (coast NEES in bounds 0.46; kept, 1.00). On that file's sensor seed 1 the
        stage's detection woke it first, the stage's track born a scan later: kept by evidence
        without ``_parting``, both tracks took a blend (0.81 -> 0.10).

        A track is woken when it was dormant, or when it was lost (unseen for more than
        ``lost_s``, a tentative track's timeout at the scan's sensor) and the detection alone
        does not tell its object from a false alarm: its likelihood ratio of object over
        clutter, ``dll`` (``Associator.associate``), is below what confirms a new track
        (``confirm_llr``), as its gate, grown over the gap, holds false alarms as well as its
        object; or the detection says it thrusts again. A lost track taken up again is thus
        judged as a new track would be. Measured on srbm-salvo: two tracks lost 40-60 s took a
        single false alarm through their boost mode and flew off as phantoms to 600-3,000 km
        altitude; on slbm (472972e) the picture's tracker, its track stale since burnout (27 km
        sigma), took one false alarm through its coast mode and split off as a phantom. The
        false alarms lost tracks took on the shipped scenarios scored -11 to 0.2; objects seen
        again 16-36 (lost-track's ICBM at the edge of a radar's range, seen one scan in three:
        24-36, it keeps every detection), but for three of srbm-salvo's seen again by one
        radar after 50-66 s (4-12), now held back until two more detections confirm them (put
        back without: the partners' pictures of srbm-salvo lost 75 duplicate track-s by it)."""
        tracks = self.tracks
        evidence = dll if evidence is None else evidence
        gap = t - tracks.t[idx]
        cfg = self.config
        lost = gap > lost_s
        relit = lost & (boost >= 0.5) & (tracks.mu[idx, BOOST] < 0.5)
        doubtful = lost & (dll < self._confirm_llr)
        wake = tracks.confirmed[idx] & ((gap > cfg.confirmed_timeout_s) | relit | doubtful)
        if not self.woken and not wake.any():
            return
        for k, i in enumerate(idx.tolist()):
            key = int(tracks.ids[i])
            if key in self.woken:
                t_wake, hits, score, saved = self.woken[key]
                hits, score = hits + 1, score + float(evidence[k])
                if hits >= cfg.confirm_hits or (
                    score >= self._confirm_llr and not self._parting(i, t)
                ):
                    del self.woken[key]
                else:
                    self.woken[key] = (t_wake, hits, score, saved)
            elif wake[k]:
                saved = tuple(getattr(tracks, a)[i].copy() for a in WAKE_ARRAYS)
                self.woken[key] = (t, 1, float(evidence[k]), saved)

    def _parting(self, i: int, t: float) -> bool:
        """Whether track row ``i`` came apart at its burnout (last seen thrusting at most
        ``separation_lookback_s`` before ``t``) and no track of the other piece is in the store
        (a track born next to it, or the one it was born next to, or its twin): its gate,
        grown since, holds both pieces, and a detection in it may be either's."""
        tracks = self.tracks
        if not t - tracks.boosted[i] <= self.config.separation_lookback_s:
            return False
        n = tracks.n
        me = tracks.ids[i]
        kin = (tracks.parent[:n] == me) | (tracks.twin[:n] == me)
        kin |= (tracks.ids[:n] == tracks.parent[i]) | (tracks.ids[:n] == tracks.twin[i])
        return not kin.any()

    def unwake(self, t: float, wait: float) -> None:
        """Put back to sleep, with the estimate they had, the woken tracks not updated again
        within ``wait`` s (a tentative track's timeout): what woke them was a false alarm.

        The detection probabilities its radars' looks taught (``pd_*`` in ``WAKE_ARRAYS``) are
        put back too: a detection taken for a false alarm is no hit of the track's object.
        Kept, it raised the learned ``Pd`` of a radar that sees the object at a few per cent of
        its looks above ``miss_pd_floor``, so that each of its later misses cost score, while
        the score the detection had brought was put back: measured on generated gen-11-01 (a
        lofted ICBM, its reentry vehicle seen again at 2,000 km by one radar once in 8-14
        scans), the dormant track woken and put back four times, then scored out 150 s before
        the reentry vehicle came into the other radars' view, where a new track was started on
        it and flown back to a phantom launch 320 km from the site (and a false overflight of
        Korea)."""
        tracks = self.tracks
        for key, (t_wake, _, _, saved) in list(self.woken.items()):
            i = int(np.searchsorted(tracks.ids[: tracks.n], key))
            if i >= tracks.n or tracks.ids[i] != key:
                del self.woken[key]
            elif t - t_wake > wait and t - tracks.t[i] > 0.0:
                for name, value in zip(WAKE_ARRAYS, saved, strict=True):
                    arr = getattr(tracks, name)
                    if name in _PER_RADAR:
                        # A radar met since (a column added, ``RadarLooks.note``) had not
                        # looked at the track before.
                        arr[i] = 0.0
                        arr[i, : value.size] = value
                    else:
                        arr[i] = value
                refresh_coarse(tracks, np.array([i]), self.config, estimates=False)
                del self.woken[key]
