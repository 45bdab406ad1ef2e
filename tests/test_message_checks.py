"""The plausibility checks of a track's state and covariance in plain floats give the numpy
reference's verdict and message on every kind of matrix; the coast's nearest point from two
neighbours is the one of eight (issue 16, perf-central)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lookout import messages as m
from lookout.assess.territory import R_MEAN, _unit, territories

SIGMA = [m.MAX_SIGMA_POSITION_M] * 3 + [m.MAX_SIGMA_VELOCITY_MPS] * 3


def _verdict(fn, *args):
    try:
        fn(*args)
    except ValueError as e:
        return str(e)
    return None


def _covariances(rng: np.random.Generator) -> list:
    out = []
    for _ in range(300):
        a = rng.normal(size=(6, 6)) * rng.choice([1e-3, 1.0, 1e3, 1e6])
        out.append(a @ a.T + np.eye(6) * rng.choice([0.0, 1e-12, 1.0]))
    spd = out[0]
    bad = []
    for eps in (0.5e-9, 0.99e-9, 1.0e-9, 1.01e-9, 2e-9, 1e-6):  # asymmetry about the tolerance
        c = spd.copy()
        c[1, 4] += eps * np.abs(spd).max()
        bad.append(c)
    c = spd.copy()
    c[0, 0] = -1.0  # a negative variance
    bad.append(c)
    rank1 = np.outer(np.arange(1.0, 7.0), np.arange(1.0, 7.0))  # singular
    bad += [rank1, rank1 + np.eye(6) * 1e-14, np.zeros((6, 6))]
    c = np.diag([1.0] * 6)
    c[0, 1] = c[1, 0] = 1.0 + 1e-15  # just not positive definite
    bad.append(c)
    for k, v in ((0, m.MAX_SIGMA_POSITION_M**2), (4, m.MAX_SIGMA_VELOCITY_MPS**2)):
        for f in (1.0, math.nextafter(1.0, 2.0), 2.0):  # the bound, one ulp over, twice it
            c = np.eye(6)
            c[k, k] = v * f
            bad.append(c)
    for v in (math.nan, math.inf, -math.inf):
        c = spd.copy()
        c[2, 3] = v
        bad.append(c)
    return out + bad


def test_the_covariance_check_gives_the_references_verdict_and_message():
    rng = np.random.default_rng(16)
    seen = set()
    for C in _covariances(rng):
        for given in (C, C.tolist()):
            want = _verdict(m._check_covariance_reference, "T.P", given, SIGMA)
            assert _verdict(m._check_covariance, "T.P", given, SIGMA) == want
            seen.add(want is None)
    assert seen == {True, False}  # both verdicts were exercised
    # Shapes and types it does not take in plain floats: the reference's answer.
    odd = [
        [[1, 0], [0, 1]],
        np.eye(3),
        np.eye(6)[None],
        [[1.0] * 6] * 5,
        [[1] * 6 for _ in range(6)],
        [[float(i == j) for j in range(6)] for i in range(6)][:-1] + [[0.0] * 5 + [True]],
    ]
    for C in odd:
        want = _verdict(m._check_covariance_reference, "T.P", C, SIGMA)
        assert _verdict(m._check_covariance, "T.P", C, SIGMA) == want


def test_the_state_check_gives_the_references_verdict_and_message_at_its_bounds():
    P = (np.eye(6) * 100.0).tolist()
    lo, hi, vmax = m.MIN_OBJECT_RADIUS_M, m.MAX_OBJECT_RADIUS_M, m.MAX_SPEED_MPS
    radii = [lo, math.nextafter(lo, 0.0), math.nextafter(lo, 2 * lo), lo * (1 + 1e-9), 6.4e6,
             hi, math.nextafter(hi, 0.0), math.nextafter(hi, 2 * hi), 1.1 * hi, 0.0]  # fmt: skip
    speeds = [0.0, 7e3, vmax, math.nextafter(vmax, 0.0), math.nextafter(vmax, 2 * vmax), 3e4]
    rng = np.random.default_rng(3)
    cases = []
    for r in radii:
        for v in speeds:
            u, w = rng.normal(size=3), rng.normal(size=3)
            x = np.concatenate([r * u / np.linalg.norm(u), v * w / np.linalg.norm(w)])
            cases += [x.tolist(), [r, 0.0, 0.0, 0.0, v, 0.0]]
    cases += [[6.4e6, 0.0, 0.0, math.nan, 0.0, 0.0], [math.inf] + [0.0] * 5, [6.4e6, 0, 0, 0, 0, 0]]
    verdicts = set()
    for x in cases:
        for given in (x, np.array(x, dtype=float)):
            want = _verdict(m._check_state_reference, "T", given, P)
            assert _verdict(m._check_state, "T", given, P) == want, x
            verdicts.add(want)
    assert None in verdicts and len(verdicts) > 2  # passes, and failures of both bounds


def test_a_system_track_with_a_bad_covariance_is_refused_as_before():
    P = np.eye(6)
    P[0, 1] = P[1, 0] = 5.0  # symmetric, not positive definite
    st = m.SystemTrack(
        system_track_id="S1", t_ns=0, x=[6.4e6, 0.0, 0.0, 0.0, 1e3, 0.0], P=P.tolist(),
        partners=["KR"],
    )  # fmt: skip
    with pytest.raises(ValueError, match="SystemTrack.P: not positive definite"):
        st.check()


def test_the_nearest_coast_point_of_two_is_that_of_eight():
    t = territories()
    rng = np.random.default_rng(62)
    lat = np.radians(rng.uniform(-80, 80, 20000))
    lon = np.radians(rng.uniform(-180, 180, 20000))
    vertices = t.coast_xyz[rng.integers(0, len(t.coast_xyz), 5000)]  # ties: shared borders
    p = np.concatenate([_unit(lat, lon), vertices, vertices + rng.normal(0, 1e-9, (5000, 3))])
    i, dist = t._nearest_coast_point(p)
    t._nearest_coast_point(p[:1])  # the tree built
    j, chord = t._nearest_of_eight(p)
    assert np.array_equal(i, j)
    assert np.array_equal(dist, 2.0 * np.arcsin(np.clip(0.5 * chord, 0.0, 1.0)) * R_MEAN)
    two, _ = t._tree.query(p, k=2)
    assert (two[:, 1] <= two[:, 0] + 1e-12).sum() > 1000  # the tied ones asked for eight


def test_the_batch_vouches_only_for_states_the_reference_passes():
    rng = np.random.default_rng(7)
    xs, Ps = [], []
    for C in _covariances(rng):
        for r in (6.4e6, m.MIN_OBJECT_RADIUS_M, 2e8):
            u = rng.normal(size=3)
            xs.append(np.concatenate([r * u / np.linalg.norm(u), [1e3, -2e3, 5e2]]))
            Ps.append(C)
    x, P = np.array(xs), np.array(Ps)
    sure = m.states_surely_plausible(x, P)
    for k in range(len(x)):
        if sure[k]:
            assert _verdict(m._check_state_reference, "T", x[k], P[k]) is None
    # A batch of good states is vouched for whole; one bad matrix in it leaves it to each.
    good = [k for k in range(len(x)) if _verdict(m._check_state_reference, "T", x[k], P[k]) is None]
    good = [k for k in good if abs(np.linalg.norm(x[k, :3]) - 6.4e6) < 1.0]
    # (The reference passes an infinity in the upper triangle, which the factor never reads:
    # the batch leaves such a matrix to it, and ``check_generic`` refuses it first anyway.)
    good = [k for k in good if np.isfinite(P[k]).all()]
    assert len(good) > 100 and m.states_surely_plausible(x[good], P[good]).all()
    singular = np.outer(np.arange(1.0, 7.0), np.arange(1.0, 7.0))
    mixed = np.concatenate([P[good], singular[None]])
    assert not m.states_surely_plausible(np.concatenate([x[good], x[good][:1]]), mixed).any()


def test_a_reports_messages_are_those_made_one_by_one():
    import msgspec

    from lookout.picture.common import CommonPicture
    from lookout.picture.fusion import FusedTrack

    rng = np.random.default_rng(11)
    tracks = []
    for k, C in enumerate(_covariances(rng)[::3]):
        u = rng.normal(size=3)
        x = np.concatenate([6.5e6 * u / np.linalg.norm(u), rng.normal(0, 2e3, 3)])
        if k % 17 == 5:
            x[:3] *= 0.5  # inside the Earth
        tracks.append(FusedTrack(f"S{k + 1}", 100.0 + k, x, C, 0.1, ("KR",), last_seen=99.0))
    a, b = CommonPicture(), CommonPicture()
    got = a._messages(tracks, [f.t for f in tracks])
    want = [b._message(f, f.t) for f in tracks]

    def enc(sts):
        return [None if s is None else msgspec.msgpack.encode(s) for s in sts]

    assert enc(got) == enc(want)
    assert a.dropped == b.dropped > 0 and sum(s is not None for s in got) > 50


def test_a_tracks_assessment_is_checked_in_its_first_message_and_a_bad_one_never_goes_out(
    monkeypatch,
):
    """The same assessment object goes with every message of its track until the next one:
    its checks run in the first message, not again; the messages are those made one by one
    (``_message``), and an assessment that fails its checks, first or new, never goes out."""
    import msgspec

    from lookout.picture.common import CommonPicture
    from lookout.picture.fusion import FusedTrack

    x = np.array([-3.0e6, 4.0e6, 3.9e6, 1000.0, -2000.0, 3000.0])
    P = np.diag([100.0] * 3 + [1.0] * 3)
    good = m.Assessment(t_ns=10**11, phase="coast", impact_lat_rad=0.6, impact_lon_rad=2.4,
                        impact_ellipse=m.Ellipse(semi_major_m=2e4, semi_minor_m=1e4,
                                                 orientation_rad=1.3),
                        impact_areas=[m.AreaShare(code="JP", kind="eez", prob=0.7)])  # fmt: skip
    no_latitude = msgspec.structs.replace(good, impact_lat_rad=3.0)  # check_assessment's
    not_finite = msgspec.structs.replace(good, apogee_m=math.nan)  # the generic rules'
    tracks = [FusedTrack(f"S{k}", 100.0, x, P, 0.1, ("KR",), last_seen=99.0) for k in range(4)]
    a, b = CommonPicture(), CommonPicture()
    for pic in (a, b):
        pic._assessment.update({"S0": good, "S1": no_latitude, "S2": not_finite})
    walked, counting_on = [], [False]
    check = m.check_generic

    def counting(msg, name=None, **kw):
        if counting_on[0] and isinstance(msg, m.Assessment):
            walked.append(msg)
        return check(msg, name, **kw)

    monkeypatch.setattr(m, "check_generic", counting)

    def enc(sts):
        return [None if s is None else msgspec.msgpack.encode(s) for s in sts]

    for round_ in range(3):
        if round_ == 2:  # a new assessment of S0, bad: checked, left out
            for pic in (a, b):
                pic._assessment["S0"] = not_finite
        counting_on[0] = True
        got = a._messages(tracks, [100.0] * 4)
        counting_on[0] = False
        assert enc(got) == enc([b._message(f, 100.0) for f in tracks])
        assert [s.assessment is not None for s in got] == [round_ < 2, False, False, False]
    # In the batch: S0's good assessment walked once (round 2 takes round 1's word); S1's in
    # every round (its generic rules pass, its latitude does not: it never passed), and S2's
    # and S0's new one (not finite) in every round they went with (then in ``_message``).
    assert sum(w is good for w in walked) == 1
    assert sum(w is no_latitude for w in walked) >= 3
    assert sum(w is not_finite for w in walked) >= 3 + 1


def _reference_batch_check(batch) -> str | None:
    """``LocalTrackBatch.check`` as it was: each track's own ``check``, in order."""
    try:
        for i, track in enumerate(batch.tracks):
            try:
                track.check()
            except ValueError as e:
                raise ValueError(f"LocalTrackBatch.tracks[{i}]: {e}") from None
    except ValueError as e:
        return str(e)
    return None


def test_a_local_track_batch_is_checked_as_its_tracks_one_by_one():
    """The batch's states tested together (fuse56) give each batch the verdict and the message
    of its tracks checked one by one: good batches pass, and a batch with a track far from the
    Earth, too fast, with a covariance not symmetric, too wide or not positive definite fails
    on its first such track, with that track's message."""
    rng = np.random.default_rng(56)
    good_P = [
        C
        for C in _covariances(rng)
        if _verdict(m._check_covariance_reference, "P", C, SIGMA) is None and np.isfinite(C).all()
    ]
    assert len(good_P) > 50

    def track(i: int, x, P) -> m.LocalTrack:
        return m.LocalTrack(partner="KR", track_id=str(i), t_ns=10**18, x=[float(v) for v in x],
                            P=[[float(v) for v in row] for row in P], boost_prob=0.5,
                            sensors=["kr-r1"])  # fmt: skip

    def state() -> np.ndarray:
        u = rng.normal(size=3)
        return np.concatenate([6.5e6 * u / np.linalg.norm(u), rng.normal(0, 2e3, 3)])

    bad_kinds = {
        "far": lambda x, P: (np.concatenate([x[:3] * 40.0, x[3:]]), P),
        "fast": lambda x, P: (np.concatenate([x[:3], [9e4, 0.0, 0.0]]), P),
        "asymmetric": lambda x, P: (x, P + np.triu(np.full((6, 6), 1e-3 * np.abs(P).max()), 1)),
        "wide": lambda x, P: (x, P + np.diag([1e14, 0, 0, 0, 0, 0])),
        "singular": lambda x, P: (x, np.outer(np.arange(1.0, 7.0), np.arange(1.0, 7.0))),
    }
    verdicts = []
    for n in (1, 2, 5, 17, 40):
        for kind in (None, *bad_kinds):
            tracks = [(state(), good_P[rng.integers(len(good_P))]) for _ in range(n)]
            if kind is not None:
                for k in sorted(rng.choice(n, size=min(n, 2), replace=False).tolist()):
                    tracks[k] = bad_kinds[kind](*tracks[k])
            batch = m.LocalTrackBatch(
                partner="KR",
                t_ns=10**18,
                tracks=[track(i, x, P) for i, (x, P) in enumerate(tracks)],
            )
            got = _verdict(batch.check)
            assert got == _reference_batch_check(batch)
            assert (got is None) == (kind is None), (kind, got)
            verdicts.append(got)
    assert sum(v is None for v in verdicts) == 5
    said = " ".join(v for v in verdicts if v is not None)
    for why in (
        "geocentric distance",
        "speed",
        "not symmetric",
        "standard deviation",
        "not positive definite",
    ):
        assert why in said
