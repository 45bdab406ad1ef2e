"""Tracker configuration: one frozen dataclass, every parameter with its unit and its reason.

The process noise levels come from the physics of what the motion model leaves out:

- **Coast** (``coast_accel_sigma_mps2``, 0.1 mm/s²): the tracker's gravity is the flight's (J2,
  centrifugal, Coriolis), so above the atmosphere what is left out is drag of the lightest bodies
  at 150-200 km (~5e-5 m/s²), lunisolar gravity and radiation pressure (~1e-6 m/s²) and numerical
  error. A coast track's velocity is known to ~0.1 m/s after minutes, so even 1 mm/s² would
  inflate its covariance several-fold (measured: NEES 3 instead of 6).
- **Air drag** (``drag_beta_kg_m2``): the motion model has no drag. Its acceleration,
  ``rho(h) v² / (2 beta)``, is added as white acceleration noise of that size, with ``beta`` the
  lowest ballistic coefficient expected (a tumbling spent stage, ~500 kg/m²). It is negligible
  above ~120 km, about 0.01 m/s² at 100 km and grows to tens of m/s² below 40 km, so it only
  matters in early ascent and in reentry (where the filter follows rather than predicts).
- **Boost** (``boost_jerk_sigma_mps3``, 10 m/s³): in boost the state carries the thrust
  acceleration (3 more components), modelled as a random walk (white jerk). A booster's thrust
  acceleration grows as its mass falls, ``da/dt = a ṁ / m``, up to ~13 m/s³ at the end of an
  IRBM's burn (196 m/s² at burnout, 7 %/s mass flow), and its direction turns with the gravity
  turn (~0.005 rad/s × 100 m/s² ≈ 1 m/s³); 10 m/s³ covers both. Burnout and staging, where the
  acceleration jumps, are what the coast mode of the IMM is for.
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy.stats import chi2


@dataclass(frozen=True)
class TrackerConfig:
    """Parameters of ``lookout.tracking.Tracker`` (SI units)."""

    #: White acceleration noise floor in coast (m/s²) and its correlation time (s): q = σ² τ.
    coast_accel_sigma_mps2: float = 1e-4
    accel_noise_tau_s: float = 10.0
    #: Lowest ballistic coefficient m / (Cd A) expected (kg/m²), for the drag noise.
    drag_beta_kg_m2: float = 500.0
    #: White jerk of the thrust acceleration in boost (m/s³), q = σ² × 1 s.
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
    #: Modes less probable than this are left out of the reported (moment-matched) estimate:
    #: a boost mode at 1e-4 probability with a covariance 10^4 times the coast mode's would
    #: otherwise dominate the reported covariance of a plainly coasting object.
    output_mode_floor: float = 0.01
    #: Likelihood ratio of an infrared detection in coast vs boost: IR sees only burning plumes.
    ir_coast_likelihood: float = 1e-3
    #: Gate: probability that the true detection falls inside it (chi-square on the innovation).
    gate_probability: float = 0.9999
    #: Track initiation prior: velocity (m/s) and thrust acceleration (m/s²) per axis, and the
    #: initial boost-mode probability of a radar-initiated track (IR-initiated: burning).
    init_vel_sigma_mps: float = 3000.0
    init_acc_sigma_mps2: float = 30.0
    init_boost_prob_radar: float = 0.2
    #: Detections needed for a tentative track to be confirmed (an IR pair counts two).
    confirm_hits: int = 3
    #: A tentative track dies after max(this, 2.5 sensor revisits) s without an update.
    tentative_timeout_s: float = 3.0
    #: A confirmed track dies after this many s without an update, when its position sigma
    #: exceeds ``delete_pos_sigma_m``, or when it is predicted below ``delete_alt_m``.
    confirmed_timeout_s: float = 600.0
    delete_pos_sigma_m: float = 100e3
    delete_alt_m: float = -2e3
    #: Two infrared lines of sight are triangulated when at most this far apart in time (s).
    ir_pair_max_dt_s: float = 1.0
    #: Fastest plume expected (m/s), for the triangulation gate across that time difference.
    ir_max_speed_mps: float = 5000.0
    #: Largest integration step of the motion model (s).
    max_step_s: float = 10.0

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
            "tentative_timeout_s",
            "confirmed_timeout_s",
            "delete_pos_sigma_m",
            "ir_pair_max_dt_s",
            "ir_max_speed_mps",
            "max_step_s",
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
        if self.confirm_hits < 1:
            raise ValueError(f"TrackerConfig.confirm_hits = {self.confirm_hits!r}: expected >= 1")

    def gate(self, m: int) -> float:
        """Chi-square gate threshold for an innovation of size ``m``."""
        return float(chi2.ppf(self.gate_probability, m))
