"""What the embedded chain holds as a run goes on (issue 16: memory must not grow with run
length): a node keeps no copy of the partners' relayed data, the detection feed lets go of
what it handed out."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc

from lookout.app.coalition import DetectionFeed
from lookout.exchange import (
    EXCHANGE,
    Keyring,
    MemoryBus,
    Policy,
    Sealer,
    SimClock,
    Verifier,
    derive_key,
    verify,
)
from lookout.exchange.bus import out_subject
from lookout.messages import Detection, LocalTrack, SystemTrack
from lookout.node import PartnerNode

SEED = "lookout-tests"
T0 = 1_000_000_000_000  # ns
POLICY = {
    "partners": {"KR": ["kr-a"], "JP": ["jp-a"]},
    "publish": {p: {"detections": "all", "local_tracks": "all"} for p in ("KR", "JP")},
    "release": {"KR": {"JP": "all"}, "JP": {"KR": "all"}},
}


def _local_track() -> LocalTrack:
    x = [-3.0e6, 4.0e6, 3.9e6, 1000.0, -2000.0, 3000.0]
    P = [[(100.0 if i < 3 else 1.0) if i == j else 0.0 for j in range(6)] for i in range(6)]
    return LocalTrack(partner="KR", track_id="1", t_ns=T0, x=x, P=P, boost_prob=0.9,
                      sensors=["kr-a"])  # fmt: skip


def test_a_node_keeps_no_copy_of_the_relayed_data_it_received(monkeypatch):
    """Another partner's relayed messages are verified, counted and handed to the warning desk,
    then let go: the node's memory does not grow with the messages it received (it kept the
    last 5,000-10,000 of them, unread, some 25 MB a node on mass-raid's first 300 s). Measured
    over 2,000 relayed local tracks (some 2.4 kB each as Python objects), after 1,000 that
    fill the verifier's bounded memories (made small here: its replay window and the
    signatures it remembers)."""
    monkeypatch.setattr(verify, "_REMEMBERED", 256)
    ring = Keyring.derived(SEED, ["KR", "JP", EXCHANGE])
    clock = SimClock(T0)
    node = PartnerNode("JP", derive_key(SEED, "JP"), ring, Policy.from_dict(POLICY), MemoryBus(),
                       clock, verifier=Verifier(ring, clock, window=256))  # fmt: skip
    sealer = Sealer("KR", derive_key(SEED, "KR"), clock)
    track = _local_track()
    subject = out_subject("JP", "local_track")
    data = [sealer.seal_for_bus(track)[1] for _ in range(3_000)]

    async def deliver(chunk):
        for d in chunk:
            await node._on_message(subject, d)

    tracemalloc.start()
    try:
        asyncio.run(deliver(data[:1_000]))
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        asyncio.run(deliver(data[1_000:]))
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert node.received["local_track"] == 3_000
    assert grown / 2_000 < 100, f"{grown / 2_000:.0f} bytes kept per relayed message"


def _detection(partner: str, t_ns: int) -> Detection:
    return Detection(t_ns=t_ns, sensor_id=f"{partner.lower()}-a", partner=partner, kind="radar",
                     z=[8e5, 0.5, 0.2], R=[[100.0, 0.0, 0.0], [0.0, 1e-6, 0.0], [0.0, 0.0, 1e-6]],
                     snr_db=18.0)  # fmt: skip


def test_the_feed_lets_go_of_the_detections_it_handed_out():
    """``DetectionFeed`` hands each partner its detections up to an instant, in order, once;
    what it handed out it no longer holds (a whole mass-raid's 165,517 detections, some
    80 MB of Python objects, were held to the run's end), and it still counts them all."""
    dets = [_detection(p, T0 + k * 10**8) for k in range(3_000) for p in ("KR", "JP")]
    feed = DetectionFeed(dets, ["KR", "JP"])
    got = {p: [] for p in ("KR", "JP")}
    for step in range(1, 31):
        for p in got:
            got[p] += feed.until(p, T0 + step * 10**10)
    assert got["KR"] == [d for d in dets if d.partner == "KR"]
    assert got["JP"] == [d for d in dets if d.partner == "JP"]
    assert feed.until("KR", T0 + 10**12) == []
    assert feed.shared() == len(dets)
    handed = {id(d) for d in dets}
    del dets, got
    gc.collect()
    held = [o for o in gc.get_referents(*feed.by_partner.values()) if id(o) in handed]
    assert len(held) <= 2 * 64, f"{len(held)} detections still held after the run"


def test_a_flown_batch_holds_its_records_once_while_gathering_them():
    """``propagate`` records every step of every row, then gathers each object's rows into
    its trajectory. The records were held twice over while gathered (the steps and the
    gathered arrays) with the trajectories' copies on top: a peak of 2.3-2.4 times what the
    trajectories hold. Each record's steps are now let go once gathered: 1.7 times (and the
    trajectories the same, bit for bit). A batch's transient, not a run's: on mass-raid the
    assessment child's own peak is within ~15 MB of its resident set either way."""
    import numpy as np

    from lookout.geodesy import R_EQUATOR
    from lookout.physics.propagate import ObjectSpec, Segment, propagate

    rng = np.random.default_rng(3)
    specs = [
        ObjectSpec(object_id=str(i), t0=0.0,
                   pos0=np.array([R_EQUATOR + 100e3 + 1e3 * rng.standard_normal(), 0.0, 0.0]),
                   vel0=np.array([-1000.0, 1000.0 + 10 * rng.standard_normal(), 0.0]),
                   segments=[Segment(np.inf, 20.0, area_m2=1.0, kind="reentry_vehicle")],
                   t_stop=3000.0)
        for i in range(120)
    ]  # fmt: skip
    propagate(specs[:2], spawn_debris=False)  # imports and caches: not the batch's
    tracemalloc.start()
    try:
        trs = propagate(specs, spawn_debris=False)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(tr.event("impact") is not None for tr in trs)
    assert sum(tr.t.size for tr in trs) > 50_000  # records that dwarf the fixed costs
    assert peak < 2.0 * held, f"peak {peak / held:.2f} times what the trajectories hold"


def test_the_assessment_childs_peak_is_its_own_not_its_parents_at_the_fork():
    """The assessment's child process reports its resident-set high-water mark with each batch
    (``CommonPicture.worker_peak_rss_bytes``, added to the main process's by ``bench
    picture``). Read from ``getrusage`` it was at least the parent's resident set when the
    child was spawned (Linux keeps ``ru_maxrss`` across the fork's ``exec``): mass-raid's
    "826-832 MB" peak counted the main process's ~350 MB at the spawn a second time. A parent
    holding 400 MB more than the child ever does: the child's own mark is far below it."""
    import numpy as np

    from lookout.geodesy import geodetic_to_ecef
    from lookout.picture.common import CommonPicture
    from lookout.picture.fusion import FusedTrack

    pos = np.asarray(geodetic_to_ecef(np.radians(39.0), np.radians(127.0), 150e3), dtype=float)
    up = pos.ravel() / np.linalg.norm(pos)
    east = np.cross([0.0, 0.0, 1.0], up)
    x0 = np.concatenate([pos.ravel(), 2.2e3 * east / np.linalg.norm(east) + 1.2e3 * up])
    P = np.diag([300.0**2] * 3 + [5.0**2] * 3)

    def tracks(t: float) -> list[FusedTrack]:
        x = x0 + np.concatenate([x0[3:] * (t - 5.0), np.zeros(3)])
        return [FusedTrack("S1", t, x, P, 0.0, ("KR",), tracker_id=1, last_seen=t)]

    ballast = np.ones(400 * 2**20 // 8)  # 400 MB, every page touched
    picture = CommonPicture(assess_in_background=True, assess_worker="process")  # spawned now
    try:
        for t in (5.0, 10.0, 11.0):  # the batch of 5 s taken in at 10 s, that of 10 s at 11 s
            picture.publish(t, tracks(t))
    finally:
        picture.close()
    del ballast
    assert 50 * 2**20 < picture.worker_rss_bytes <= picture.worker_peak_rss_bytes
    assert picture.worker_peak_rss_bytes < 400 * 2**20, picture.worker_peak_rss_bytes / 2**20


def _clutter_scans(seed: int = 1):
    """A KR radar's clutter: two false alarms a scan, every 2 s, each far from the others (each
    starts a tentative track that dies): ``scans(first, last)`` the detections of those scans."""
    import numpy as np

    from lookout.geodesy import geodetic_to_ecef

    site = geodetic_to_ecef(np.radians(36.6), np.radians(127.5), 300.0)
    site = np.asarray(site, dtype=float).ravel().tolist()
    rng = np.random.default_rng(seed)
    R = [[625.0, 0.0, 0.0], [0.0, 2.25e-6, 0.0], [0.0, 0.0, 2.25e-6]]

    def scans(first: int, last: int) -> list[list[Detection]]:
        out = []
        for k in range(first, last):
            zs = [[rng.uniform(2e5, 1.5e6), rng.uniform(0.0, 2 * np.pi), rng.uniform(0.02, 1.4)]
                  for _ in range(2)]  # fmt: skip
            out.append([Detection(t_ns=2 * k * 10**9, sensor_id="kr-a", partner="KR",
                                  kind="radar", z=[float(v) for v in z], R=R, snr_db=14.0,
                                  sensor_pos_ecef_m=site) for z in zs])  # fmt: skip
        return out

    return scans


def _started(tracker) -> int:
    """The highest id of the tracks ``tracker`` holds: about how many it ever started."""
    return int(tracker.tracks.ids[: tracker.n_tracks].max())


def _growth_while_measured(run, tracker, warm: tuple[int, int], measured: tuple[int, int]):
    """Tracks started and bytes still held (tracemalloc, traced from the start: what is freed
    while measured was traced) over ``run(*measured)``, after ``run(*warm)`` filled the
    bounded memories."""
    tracemalloc.start()
    try:
        run(*warm)
        started0 = _started(tracker)
        before = tracemalloc.get_traced_memory()[0]
        run(*measured)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return _started(tracker) - started0, grown


def _fusion_run(fusion, scans):
    """``run(first, last)``: the clutter scans ``first`` to ``last`` given to ``fusion`` from
    KR, then flushed."""

    def run(first: int, last: int) -> None:
        for chunk in scans(first, last):
            for det in chunk:
                fusion.ingest("KR", det)
        fusion.flush()
        gc.collect()

    return run


def test_a_node_forgets_the_sensors_of_the_tracks_its_tracker_deleted():
    """A node names the sensors that updated each local track it publishes. It kept them for
    every track its tracker ever started (and the sensor of every detection it ever tracked):
    on a radar's clutter alone (each false alarm a tentative track that dies) it grew with
    every track; now nothing grows once the tracker's own memories are full."""
    ring = Keyring.derived(SEED, ["KR", "JP", EXCHANGE])
    clock = SimClock(T0)
    node = PartnerNode("KR", derive_key(SEED, "KR"), ring, Policy.from_dict(POLICY), MemoryBus(),
                       clock)  # fmt: skip
    scans = _clutter_scans()

    def run(first: int, last: int) -> None:
        async def go():
            for k, chunk in zip(range(first, last), scans(first, last), strict=True):
                node._track(chunk)
                await node._publish_tracks(2.0 * k)

        asyncio.run(go())
        gc.collect()

    started, grown = _growth_while_measured(run, node.tracker, (1, 100), (100, 350))
    assert started >= 400  # tracks started (and all but a few deleted) while measured
    assert node.tracker.n_tracks < 20
    assert len(node._sensors_of_track) <= node.tracker.n_tracks
    assert grown / started < 50, f"{grown / started:.0f} bytes kept per track started"


def test_the_fusion_forgets_the_partners_of_the_tracks_its_tracker_deleted(monkeypatch):
    """The fusion notes which partners' detections updated each measurement-level track, for
    the system track's ``partners``. It kept that for every track its tracker ever started:
    on mass-raid some 6,700 by 300 s, most of them tentative tracks on clutter that died
    within seconds, and the main process grew after the raid's peak. A radar's clutter alone
    (two false alarms a scan, each starting a tentative track that dies) is a steady state:
    once the fusion's bounded memories are full (made small here: the scans of dead tracks,
    the detection times per sensor), nothing may grow with the tracks started and deleted."""
    from lookout.picture import fusion as fusion_module
    from lookout.picture.fusion import PictureFusion

    monkeypatch.setattr(fusion_module, "FORGET_SCANS_S", 60.0)
    monkeypatch.setattr(fusion_module, "DETECTION_TIMES_KEPT", 64)
    fusion = PictureFusion(latency_s=0.5)
    run = _fusion_run(fusion, _clutter_scans())
    started, grown = _growth_while_measured(run, fusion.tracker, (1, 100), (100, 350))
    assert started >= 400  # tracks started (and all but a few deleted) while measured
    assert fusion.tracker.n_tracks < 20
    assert len(fusion._partners_of_track) <= fusion.tracker.n_tracks
    assert grown / started < 50, f"{grown / started:.0f} bytes kept per track started"


def test_the_fusion_forgets_the_scans_of_the_tracks_its_tracker_deleted(monkeypatch):
    """The fusion keeps each measurement-level track's latest scans per sensor (to tell two
    objects a sensor resolved from one object's two tracks). They were forgotten only once no
    sensor had updated the track for ``FORGET_SCANS_S`` (600 s): every tentative track on
    clutter kept its scans for ten minutes, a ramp of some 400 B per track started (some 5 MB
    on mass-raid) that flattened only then. Now they go with the track, one report after the
    tracker deleted it: over 700 s of a radar's clutter, nothing grows with the tracks
    started and deleted (the default ``FORGET_SCANS_S``, unlike the test above)."""
    from lookout.picture import fusion as fusion_module
    from lookout.picture.fusion import PictureFusion

    monkeypatch.setattr(fusion_module, "DETECTION_TIMES_KEPT", 64)
    fusion = PictureFusion(latency_s=0.5)
    run = _fusion_run(fusion, _clutter_scans(2))
    started, grown = _growth_while_measured(run, fusion.tracker, (1, 50), (50, 350))
    assert started >= 400
    held = fusion.tracker.n_tracks + len(fusion._last_states)
    assert len(fusion._scans_of_track) <= held, (len(fusion._scans_of_track), held)
    assert len(fusion._first_scan_of_track) <= held
    assert grown / started < 50, f"{grown / started:.0f} bytes kept per track started"


def test_a_verifier_remembers_the_signatures_of_a_bounded_time_not_only_a_count():
    """A verifier remembers the signatures of the envelopes it took, per sender and type, to
    tell a redelivery (a duplicate, relayed again) from a replay. Bounded at 4,096 per window
    alone, a window of one envelope a second (heartbeats, statuses) filled for 4,096 s, so the
    verifiers' memory grew all through any shorter run (2.5 MB over srbm-salvo's last 150 s).
    Now only those sent within ``REMEMBER_NS`` of the newest: an hour of heartbeats keeps two
    minutes of signatures; a redelivery within them is still a duplicate, one from long before
    is refused as replayed; and a restart from the audit log restores the same."""
    from lookout.exchange import AuditLog
    from lookout.messages import Heartbeat

    ring = Keyring.derived(SEED, ["KR", "JP", EXCHANGE])
    clock = SimClock(T0)
    verifier = Verifier(ring, clock)
    sealer = Sealer("KR", derive_key(SEED, "KR"), clock)
    audit = AuditLog(":memory:", background=False)
    sent = []
    for k in range(3_600):
        clock.set(T0 + k * 10**9)
        data = sealer.seal_for_bus(Heartbeat(partner="KR", t_ns=T0 + k * 10**9, seq=k))[1]
        verdict = verifier.check(data)
        assert verdict.accepted
        audit.append(clock.now_ns(), "lookout.in.KR.heartbeat", "KR", verdict.envelope.seq,
                     "heartbeat", "accepted", None, "", data)  # fmt: skip
        sent.append(data)
    window = verifier._windows["KR", "heartbeat"]
    assert len(window.signatures) == 121  # sent within 120 s of the newest, not 3,600
    assert verifier.check(sent[-100]).reason is verify.Reason.DUPLICATE
    assert verifier.check(sent[-1000]).reason is verify.Reason.REPLAYED
    restarted = Verifier(ring, clock)
    restarted.restore(audit.taken())
    assert len(restarted._windows["KR", "heartbeat"].signatures) == len(window.signatures)
    assert restarted.check(sent[-100]).reason is verify.Reason.DUPLICATE
    assert restarted.check(sent[-1000]).reason is verify.Reason.REPLAYED


def test_the_signature_memo_keeps_the_envelopes_of_a_bounded_time_not_only_a_count():
    """The process's ``SignatureMemo`` keeps what each envelope's bytes opened to (the
    envelope and its message, decoded) for the other receivers of the process. Bounded at
    2,048 alone, it held the latest 2,048 however long ago: after a raid, as traffic falls,
    it filled for minutes (srbm-salvo's decoded envelopes grew by 1.3 MB from 500 to 650 s).
    Now only the envelopes sent within the freshness window of the newest; the verdicts are
    the same either way (a receiver opens again what is not there)."""
    from lookout.exchange.verify import SignatureMemo
    from lookout.messages import Heartbeat

    ring = Keyring.derived(SEED, ["KR", "JP", EXCHANGE])
    clock = SimClock(T0)
    memo = SignatureMemo()
    exchange_side = Verifier(ring, clock, signatures=memo)
    node_side = Verifier(ring, clock, signatures=memo)
    sealer = Sealer("KR", derive_key(SEED, "KR"), clock)
    for k in range(1_000):  # ten a second for 100 s
        clock.set(T0 + k * 10**8)
        data = sealer.seal_for_bus(Heartbeat(partner="KR", t_ns=T0 + k * 10**8, seq=k))[1]
        assert exchange_side.check(data).accepted
        assert node_side.check(data).accepted  # opened from the memo
    assert memo.hits == 1_000
    assert len(memo._opened) <= 121, len(memo._opened)  # 12 s of envelopes, not 1,000
    assert len(memo._ok) <= 121, len(memo._ok)


def test_a_partners_view_drops_what_was_not_refreshed_as_a_sweep_at_every_track_does():
    """``PictureView`` sweeps its stale tracks only when the limit moves or a track before it
    is stored (a report's tracks share one instant): what it holds after every track is what
    a sweep at every track leaves, whatever the order of the tracks (old ones included)."""
    import random

    from lookout.picture.common import PictureView

    x = [-3.0e6, 4.0e6, 3.9e6, 1000.0, -2000.0, 3000.0]
    P = [[(100.0 if i < 3 else 1.0) if i == j else 0.0 for j in range(6)] for i in range(6)]
    rng = random.Random(7)
    view, held, t_now = PictureView(stale_s=5.0), {}, -(2**63)
    t = 0
    for _ in range(3_000):
        t += rng.choice([0, 0, 0, 200_000_000, 1_000_000_000])  # reports: many at one instant
        t_ns = t - rng.choice([0, 0, 0, 3_000_000_000, 6_000_000_000])  # late or old ones too
        track = SystemTrack(system_track_id=f"S{rng.randrange(40)}", t_ns=t_ns, x=x, P=P,
                            partners=["KR"])  # fmt: skip
        view.apply(track)
        # The reference: the latest of each track, then a sweep at every track.
        old = held.get(track.system_track_id)
        if old is None or track.t_ns >= old.t_ns:
            held[track.system_track_id] = track
        t_now = max(t_now, track.t_ns)
        held = {k: v for k, v in held.items() if v.t_ns >= t_now - 5_000_000_000}
        assert view.tracks == held
    assert view.updates == 3_000
