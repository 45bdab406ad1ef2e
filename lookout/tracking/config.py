"""Tracker configuration: one frozen dataclass, every parameter with its unit and its reason.

The process noise levels come from the physics of what the motion model leaves out:

- **Coast** (``coast_accel_sigma_mps2``, 0.01 mm/s² over 10 s: q = 1e-9 m²/s³): the tracker's
  gravity is the flight's (J2, centrifugal, Coriolis) and its drag, below 200 km, the flight's
  atmosphere with ``kappa`` a state, so above the atmosphere what is left out is lunisolar
  gravity (the Moon's tide ~1e-6 m/s², the Sun's half that), radiation pressure (~1e-7) and
  the truth's own integration (RK4 at 30 s: 0.15 mm/s over 120 s at an ICBM's 500 km, 0.04
  over 390 s of an IRBM's fall from 780 km; the tracker steps a second at a time,
  ``tracker.REBASE_AGE_S``). Those are near constant over a coast: a constant ``b`` for ``T``
  puts the velocity ``b T`` off, white noise ``sqrt(q T)``, so q = b² T; 1e-6 m/s² over a
  1,000 s coast is q = 1e-9. It was 1e-4 m/s² (q = 1e-7, a velocity walk of 6.7 mm/s over
  450 s against a coasting track's sigma of 5-15 mm/s): a coast unseen for minutes came out
  twice too uncertain (gen-2-03, NEES 1.3-1.6 over 450 s unseen), which the truth's
  velocity, interpolated by a cubic between its 30 s samples (``Trajectory.flown_state_at``),
  had hidden. Measured against that interpolation, 1 mm/s² gave "NEES 3 instead of 6".
- **Air drag** (``kappa`` = Cd A / m, a state): drag ``½ ρ(h) |v| v kappa`` is in the motion
  model with the flight's atmosphere. Its prior (``init_kappa_m2_kg``, ``init_kappa_sigma_m2_kg``)
  spans the catalogue's bodies: a slender reentry vehicle 1e-4 to 3e-4 m²/kg (ballistic
  coefficient 3,000-10,000 kg/m²), a tumbling spent stage ~1e-3, a light payload ~4e-3. In
  the coast and manoeuvre modes the drag noise is what that model leaves out
  (``lookout.tracking.drag``): the drag coefficient following the Mach number along whichever
  of the catalogue's drag tables the body may fly (none above Mach 10-30, a few %/s
  transonic), and the filter's second-order drag terms. In the boost mode, where thrust and
  drag share the velocity's direction and only their sum is seen, ``kappa`` walks at
  ``kappa_walk_per_sqrt_s`` and ``drag_accel_fraction`` of the drag is white acceleration.
  ``drag_beta_kg_m2`` is used only by the PCRLB, whose state has no drag coefficient: there drag
  of the lightest expected body is white acceleration noise.
- **Boost** (``boost_jerk_sigma_mps3``, 10 m/s³): in boost the state carries the thrust
  acceleration (3 more components), modelled as a random walk (white jerk). A booster's thrust
  acceleration grows as its mass falls, ``da/dt = a ṁ / m``, up to ~13 m/s³ at the end of an
  IRBM's burn (196 m/s² at burnout, 7 %/s mass flow): that is the jerk along the thrust. In
  the air its direction turns with the gravity turn, the velocity's ``g cos γ / v``, or with
  a pitch programme: across the thrust the jerk is at most ``thrust (g / v + 2π v thrust /
  v_c²)`` (0.8 m/s³ for a space launcher at 21 m/s² and 250 m/s); above 50 km, where the air
  no longer holds the thrust along the velocity, it is the jerk along it
  (``mixing.thrust_jerk_q``); past a second since the track's last fix the turn is a rate
  held, its velocity spread growing as the time squared (``mixing.held_turn_q``). Burnout and
  staging, where the acceleration jumps, are what
  the coast mode of the IMM and the staging hypothesis are for.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

from scipy.stats import chi2

from lookout.tracking.manoeuvre import ManoeuvreConfig
from lookout.tracking.reach import (
    booster_kappa_m2_kg,
    booster_kappa_sigma_m2_kg,
    unknown_thrust_sigma_mps2,
)


@functools.cache
def chi2_gate(probability: float, m: int) -> float:
    """The chi-square quantile ``probability`` on ``m`` degrees of freedom, worked out once
    per pair: scipy's ``chi2.ppf`` costs some 40 µs a call, and the tracker asks for a gate
    at every radar scan (``initiation.born_together``, ``Formations``)."""
    return float(chi2.ppf(probability, m))


@dataclass(frozen=True)
class TrackerConfig:
    """Parameters of ``lookout.tracking.Tracker`` (SI units)."""

    #: White acceleration noise floor in coast (m/s²) and its correlation time (s): q = σ² τ
    #: (what the motion model leaves out above the air, module doc).
    coast_accel_sigma_mps2: float = 1e-5
    accel_noise_tau_s: float = 10.0
    #: Add gravity's second order over the error since the last update to every prediction
    #: (``motion.gravity_second_order_q``): what the linearised prediction of a track unseen
    #: for minutes leaves out (module doc).
    gravity_second_order: bool = True
    #: Lowest ballistic coefficient m / (Cd A) expected (kg/m²), for the PCRLB's drag noise.
    drag_beta_kg_m2: float = 500.0
    #: Prior of the inverse ballistic coefficient Cd A / m (m²/kg), its relative random walk
    #: (1/sqrt(s)) in the boost mode, its floor in the drag noise (m²/kg), and the fraction of
    #: the estimated drag added as white acceleration noise in the boost mode (the coast and
    #: manoeuvre modes' drag noise: ``lookout.tracking.drag``).
    init_kappa_m2_kg: float = 1e-3
    init_kappa_sigma_m2_kg: float = 1.5e-3
    kappa_walk_per_sqrt_s: float = 0.05
    kappa_floor_m2_kg: float = 5e-5
    drag_accel_fraction: float = 0.05
    #: In the coast and manoeuvre modes ``kappa`` follows the Mach number along the catalogue's
    #: drag tables the body may fly, their weighed mean shape at every RK4 stage
    #: (``drag.cd_shape``), and walks by the tables' departure from that shape
    #: (``drag.departure_walk``); False: ``kappa`` held, walking by the tables' whole change
    #: (the tracker before issue 13's stage tracks that outlived their stages by 15-30 s).
    cd_mach_mean: bool = True
    #: Below 100 km the coast and manoeuvre modes fly ``kappa``'s spread, one sigma either
    #: way, instead of linearising the drag at the mean (``drag.kappa_spread``); False: the
    #: extended Kalman filter's transition alone. Off by default: on held-out seed 72 it made
    #: consistent reentries overconfident (world72 #07 NEES mean 8.3 -> 17.0, reentry in bounds
    #: 0.907 -> 0.881 over the set) and its flown points crash a partner's tracker on
    #: gen-middle-east-72-01 (an SRBM at a 47 km apogee: a NaN gating cost), though it mends
    #: me71 #00's late unseen falls (docs/held-out.md "Seed 72"). Both mended since (branch
    #: kappa-nan, docs/tracking.md: the points flown where their flights are resolved, their
    #: ``kappa`` unbiased above zero); still off until the lead judges it on.
    kappa_spread: bool = False
    #: Prior of a new track's boost mode's drag coefficient (m²/kg), mean and sigma: a burning
    #: stack's, the catalogue's first stages' from none to their largest
    #: (``reach.booster_kappa_m2_kg``), not any body's (``init_kappa_m2_kg``): in the air
    #: thrust and drag share the direction of flight, and a depressed SRBM burning at 500 kPa
    #: held 500 ± 750 m/s² of drag in its boost mode (``initiation.new_states``).
    boost_kappa_m2_kg: float = field(default_factory=booster_kappa_m2_kg)
    boost_kappa_sigma_m2_kg: float = field(default_factory=booster_kappa_sigma_m2_kg)
    #: Ceiling of the boost mode's white jerk (m/s³), q = σ² × 1 s, along the thrust (its
    #: stage's growth, ``mixing.mass_flow_jerk``) and across it (its turn): an SRBM's last
    #: seconds grow by 20-30 m/s³ (``mixing.thrust_jerk_q``).
    boost_jerk_sigma_mps3: float = 10.0
    #: Mean dwell times (s) of the IMM modes (Markov switching rates 1/dwell). A stage burns
    #: 30-180 s (100 s); a ballistic object does not reignite once coasting (1e5 s): the boost
    #: mode is kept (and reseeded) only to catch a track started in the wrong mode. Short dwells
    #: leak the wide boost mode into the coast estimate through the mixing and cost it ~40 % RMSE.
    boost_dwell_s: float = 100.0
    coast_dwell_s: float = 1e5
    #: While the boost mode is less probable than this it is no track of its own but a fresh
    #: hypothesis "thrust began since the last update": restarted from the coast mode at each
    #: update and left out of the coast mode's mixing. Left to run, a 1e-3-probable boost mode
    #: drifts (its acceleration follows the noise) and the mixing feeds the drift back into a
    #: coast estimate whose velocity is known to centimetres per second (measured: +50 % RMSE).
    boost_reseed_prob: float = 0.01
    #: A boosting track may stage within a step: its stage burns out and the next lights at
    #: once, a step down of the thrust its random walk cannot take (``mixing.staged_prior``,
    #: at the catalogue's rate of stagings). False: no such hypothesis (the tracker before it).
    staging: bool = True
    #: ... except in a track born on its own less than this long ago (s) and not yet seen
    #: thrusting, whose boost mode keeps its own evidence (``mixing.young_boost``): the
    #: catalogue's shortest burn (28 s), within which a rocket first seen in its burn is
    #: still burning or has been seen to.
    young_boost_s: float = 28.0
    #: Modes less probable than this are left out of the reported (moment-matched) estimate:
    #: a boost mode at 1e-4 probability with a covariance 10^4 times the coast mode's would
    #: otherwise dominate the reported covariance of a plainly coasting object.
    output_mode_floor: float = 0.01
    #: Likelihood ratio of an infrared detection in coast vs boost: IR sees only burning plumes.
    ir_coast_likelihood: float = 1e-3
    #: Gate: probability that the true detection falls inside it (chi-square on the innovation).
    gate_probability: float = 0.9999
    #: A mode of the IMM gates detections when its predicted probability is at least this
    #: (``Associator.associate``): the coast mode of a boosting track is 1-2 % probable a second
    #: or two before it takes over at burnout. (A coasting track's boost mode gates only above
    #: ``boost_reseed_prob``: below it, it is a hypothesis restarted at each update.)
    gate_mode_floor: float = 1e-3
    #: Track initiation prior: velocity (m/s) per axis, and the thrust acceleration (m/s²) per
    #: axis of a boost mode restarted from the coast mode (``mixing.reseed_boost``: thrust
    #: began since the last update, a stage just lit, 9.7-42 m/s² in the catalogue).
    init_vel_sigma_mps: float = 3000.0
    init_acc_sigma_mps2: float = 30.0
    #: ... of a new track's boost mode, born from two infrared lines of sight or from a radar
    #: detection (``initiation.new_states``; radar-born tracks took ``init_acc_sigma_mps2``
    #: until branch manoeuvre-lag): a rocket first seen burning, at a
    #: point of its burn nothing tells, so its thrust is any the catalogue allows, of any
    #: direction: a magnitude uniform from none to the catalogue's largest (284 m/s²) with the
    #: 10 % margin of ``tracking.reach``, ``A``, whose per-axis sigma is ``A / 3``, 104 m/s²
    #: (``reach.unknown_thrust_sigma_mps2``; held to the catalogue by
    #: ``tests/test_tracking_models.py``). A sigma from the catalogue's spread instead (its rms
    #: is 33 m/s² per axis, the median 35 and the 95th percentile 115 m/s² in magnitude) does not
    #: hold a rocket late in its burn: with 30 kn23-pullup's infrared track of KN23-1 (110-170
    #: m/s² in its last five seconds of burn) was 550 m/s off with a 210 m/s sigma (NEES
    #: 25-94), lost its object to the first radar detection after burnout and flew on as a false
    #: track (353) with a false impact claim; with 60 it was lost the same way.
    ir_init_acc_sigma_mps2: float = field(default_factory=unknown_thrust_sigma_mps2)
    #: Initial boost-mode probability of a radar-initiated track (infrared-initiated: burning).
    init_boost_prob_radar: float = 0.2
    #: A tentative track whose velocity sigma along some axis is still above this fraction of
    #: ``init_vel_sigma_mps`` does not know which detection in its gate is its object's: each
    #: other one it gates continues a copy of it (``Associator.associate``, two-point
    #: initiation over every pairing).
    branch_vel_fraction: float = 0.5
    #: Prior of a track born next to a confirmed track updated in the same scan
    #: (``initiation.radar_priors``): the parent's estimate grown by these sigmas per axis.
    #: Stages and payloads separate at 1-10 m/s (springs, retro motors), a stage dropped in boost
    #: falls behind at tens of m/s within seconds (velocity, m/s); the offset built up before the
    #: two objects were seen apart is metres to a hundred metres (position, m). Next to a parent
    #: that has stopped thrusting above the air, its coasting modes take the springs' push
    #: instead, as far as the parent is believed coasting (``initiation.parting_push``).
    spawn_vel_sigma_mps: float = 30.0
    spawn_pos_sigma_m: float = 100.0
    #: Two tracks sharing a scan's two detections are told apart by along-track order
    #: (``Formations.order_siblings``) when their velocities differ by less than this (m/s): objects
    #: separated from one missile (a stage in boost falls behind at tens of m/s); crossing
    #: missiles differ by hundreds.
    cso_max_dv_mps: float = 100.0
    #: Such a pair coasting above the air is updated as a formation
    #: (``formations.update_formation``) while its separation speed is more likely below this
    #: (m/s) than above: springs and retro motors push at 1-10 m/s; faster, a stage is
    #: thrusting away (an upper stage ignited next to its spent one).
    formation_max_speed_mps: float = 10.0
    #: ... and while it is expected within this distance (m) of its partner: the formation's
    #: relative motion is linear in the separation, and the first neglected term, the
    #: gravity gradient's second order 3 μ Δr² / r⁴, is 2e-6 m/s² at 2 km (0.4 m in ten
    #: minutes) but grows with the square of the distance (600 m in an hour at 12 km).
    formation_max_separation_m: float = 2000.0
    #: ... and a track takes its partner's detection only while the white noise that detection
    #: carries besides the pair's relative state (which each track carries as a state of its
    #: own, ``formations.update_formation``: drag met on the way down) is at most this
    #: fraction of the track's own predicted uncertainty there, ``H P Hᵀ`` (Mahalanobis):
    #: that noise is common to consecutive shifted detections, yet each takes it as its own; a
    #: common error biases the estimate by at most itself, so the bias stays within
    #: sqrt(0.1) = 0.3 of the track's sigma. Tenths of a metre above 100 km: it holds. (It
    #: was applied to the separation's whole error, which left irbm-overflight's partner
    #: detections out: coast RMSE/PCRLB 1.42.)
    formation_offset_variance_ratio: float = 0.1
    #: A track born next to one that was thrusting at most this long (s) before came apart
    #: from it at that burnout (``Tracker._initiate_radar``): objects released at burnout or
    #: staging are resolved by the radars within a minute or two.
    separation_lookback_s: float = 120.0
    #: A detection two siblings both gate updates each with the chance it is the other's
    #: (``Associator.contested``, ``update.update_modes``; two confirmed strangers are always
    #: so updated, this adds the siblings). Off: on, mrbm-iran-israel's coast
    #: NEES in bounds 0.013 -> 0.33, but tests/test_tracking_separation.py seed 1 splits its
    #: MRBM's detections 96 / 31 between the twins (issue 13, branch ellipse-across).
    contested_updates: bool = False
    #: Two confirmed tracks that are no kin (strangers: no twin, no parent) each gating the
    #: other's detection are updated with both pairings, weighed (``Associator.contested``),
    #: and a lone detection they both gate goes by the radar's looks (``_lone_by_pd``). On in
    #: the fusion's radar-only tracker (``PictureFusion``), which sees no boost and so no
    #: parting: every pair there is strangers (me74 #05's views coast NEES in bounds 0.53 ->
    #: 0.92). Off in a tracker that sees the boosts (its pairs' kin known from the partings): on,
    #: held-out world76 #00's salvo of three MRBMs (central) id switches 3 -> 5, MRBM-3's
    #: payload judged wrong (branch views51).
    stranger_updates: bool = False
    #: Track confirmation by a sequential probability ratio test on the track score, the log
    #: likelihood ratio of "target" over "false alarms" of its detections (Blackman & Popoli
    #: 6.2): each update adds ``ln(Pd N(nu; 0, S) / lambda)``, lambda the sensor's false-alarm
    #: density in measurement space (learned per sensor: unassociated detections per scan over
    #: the measurement volume seen). A track is confirmed when its score passes ln(1 /
    #: ``false_confirm_prob``) (Wald: clutter passes it with at most that probability per
    #: started track; mass-raid starts ~6e4) and it has ``confirm_hits`` detections.
    false_confirm_prob: float = 1e-6
    detection_prob: float = 0.9
    confirm_hits: int = 3
    #: Initial score of a track started from two crossing infrared lines of sight.
    ir_pair_llr: float = 7.0
    #: A tentative track dies after max(this, 2.5 sensor revisits) s without an update.
    tentative_timeout_s: float = 3.0
    #: A confirmed track not updated for ``confirmed_timeout_s`` is dormant: no longer reported,
    #: but kept, predicted and gated, so that the object seen again (a lofted missile's
    #: reentry vehicle, out of every radar's view for most of an hour) continues its track,
    #: with its identity and its history, rather than starting a new one from nothing. It dies
    #: ``dormant_max_s`` after its last update (the longest ballistic flight, a lofted ICBM's,
    #: lasts about 75 min), when its position sigma exceeds ``delete_pos_sigma_m``, or when it
    #: is predicted below ``delete_alt_m`` (``delete_fallen_alt_m`` falling).
    confirmed_timeout_s: float = 600.0
    #: A confirmed track whose score falls this far below the highest it reached is deleted
    #: (``existence.RadarLooks.note``): each scan of a radar whose coverage holds the track's
    #: prediction and that does not see it adds ``ln(1 - Pd)``, ``Pd`` learned per track and
    #: radar. ln 10^6, the evidence that confirms a new track: 31 looks missed in a row by a
    #: radar that saw the track at 0.9 of its looks (the learned Pd falls as it misses).
    delete_score_drop: float = math.log(1e6)
    #: Looks (a count) and time (s) over which a track's detection probability with a radar is
    #: learned (``RadarLooks.note``): an object flying away fades over hundreds of looks, a
    #: reentry vehicle parting from its booster falls from 10 m² to 0.05 m² at once (Pd 0.9 to
    #: 0.2 at a far radar: with 10 looks it misses the 31 running that delete its track 0.1 %
    #: of the time; with 20, 12 looks, 7 %); what was learned an hour ago, of another body at
    #: another range, is forgotten.
    pd_memory_looks: float = 10.0
    pd_memory_s: float = 60.0
    #: A radar that sees a track at less than this fraction of its looks tells nothing by
    #: missing it (``existence.RadarLooks.note``), and one that has not seen it since its last
    #: run of detections costs it at most ``ln(1 / miss_pd_floor)`` by its misses together.
    miss_pd_floor: float = 0.1
    dormant_max_s: float = 7200.0
    delete_pos_sigma_m: float = 100e3
    delete_alt_m: float = -2e3
    #: ... and a falling track (descending, boost under one half) predicted below this
    #: height above the ellipsoid (m): its object is likelier down than up. The ellipsoid
    #: itself, a choice between it and ``delete_alt_m`` (-2 km: 15-20 s of a stage's track
    #: after its impact) made for the sea and low ground; a track over high ground flies on
    #: below the surface until it reaches it.
    delete_fallen_alt_m: float = 0.0
    #: Two infrared lines of sight are triangulated when at most this far apart in time (s).
    ir_pair_max_dt_s: float = 1.0
    #: Fastest plume expected (m/s), for the triangulation gate across that time difference.
    ir_max_speed_mps: float = 5000.0
    #: Start tracks from one infrared satellite's lines of sight alone, fitted by a launch
    #: from the ground (``lookout.tracking.mono``).
    mono_initiation: bool = True
    #: Largest integration step of the motion model in vacuum (s).
    max_step_s: float = 60.0
    #: Most RK4 steps of one prediction (``motion.propagate``; past them, drag too stiff for
    #: the step is flown at the largest drag coefficient it integrates stably), for a tentative
    #: and a confirmed track. Clutter-born tentative tracks with impossible states (8 km/s at
    #: 8 km) would need 40-100 steps, and a tentative track's drag coefficient is its prior
    #: anyway (σ 1.5e-3 m²/kg: hundreds of metres in 2 s at 30 km); a confirmed track is
    #: rebased every second and needs 1-3 steps but deep in the atmosphere.
    tentative_max_steps: int = 1
    confirmed_max_steps: int = 8
    #: Coarse gate, in standard deviations of the cheaply extrapolated position: only tracks
    #: that near a detection get the full IMM prediction and chi-square gate.
    coarse_gate_sigmas: float = 6.0
    #: The IMM's manoeuvre mode (aerodynamic lift as a state): ``lookout.tracking.manoeuvre``.
    manoeuvre: ManoeuvreConfig = field(default_factory=ManoeuvreConfig)

    def __post_init__(self) -> None:
        for name in (
            "coast_accel_sigma_mps2",
            "accel_noise_tau_s",
            "drag_beta_kg_m2",
            "boost_jerk_sigma_mps3",
            "boost_dwell_s",
            "coast_dwell_s",
            "ir_coast_likelihood",
            "init_vel_sigma_mps",
            "init_acc_sigma_mps2",
            "ir_init_acc_sigma_mps2",
            "spawn_vel_sigma_mps",
            "spawn_pos_sigma_m",
            "cso_max_dv_mps",
            "formation_max_speed_mps",
            "formation_max_separation_m",
            "formation_offset_variance_ratio",
            "separation_lookback_s",
            "tentative_timeout_s",
            "confirmed_timeout_s",
            "delete_score_drop",
            "pd_memory_looks",
            "pd_memory_s",
            "dormant_max_s",
            "delete_pos_sigma_m",
            "ir_pair_max_dt_s",
            "ir_max_speed_mps",
            "max_step_s",
            "init_kappa_sigma_m2_kg",
            "boost_kappa_sigma_m2_kg",
            "kappa_walk_per_sqrt_s",
            "kappa_floor_m2_kg",
            "coarse_gate_sigmas",
        ):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"TrackerConfig.{name} = {value!r}: expected a positive number")
        if not 0.0 < self.gate_probability < 1.0:
            raise ValueError(
                f"TrackerConfig.gate_probability = {self.gate_probability!r}: expected (0, 1)"
            )
        if not 0.0 < self.init_boost_prob_radar < 1.0:
            raise ValueError(
                f"TrackerConfig.init_boost_prob_radar = {self.init_boost_prob_radar!r}: "
                "expected (0, 1)"
            )
        for name in ("false_confirm_prob", "detection_prob"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ValueError(f"TrackerConfig.{name} = {value!r}: expected (0, 1)")
        for name in ("tentative_max_steps", "confirmed_max_steps", "confirm_hits"):
            value = getattr(self, name)
            if value < 1:
                raise ValueError(f"TrackerConfig.{name} = {value!r}: expected >= 1")

    def gate(self, m: int) -> float:
        """Chi-square gate threshold for an innovation of size ``m``."""
        return chi2_gate(self.gate_probability, int(m))

    @property
    def confirm_llr(self) -> float:
        """Track score (log likelihood ratio) at which a track is confirmed."""
        return math.log(1.0 / self.false_confirm_prob)
