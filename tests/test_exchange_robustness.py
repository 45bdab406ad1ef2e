"""No partner, fault or message can stall, blind, poison or rob the coalition (issue 15).

Deterministic: derived keys, a simulated clock, seeded fuzzing (hypothesis, derandomized). The
broker-side cases (accounts, quotas, TLS, reply-subject tricks) are in ``test_nats.py``; the
kill -9 runs in ``test_distributed.py`` and ``benchmarks/chaos.py``.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import sqlite3
import subprocess
import sys

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookout.exchange import (
    EXCHANGE,
    AuditLog,
    Exchange,
    Keyring,
    MemoryBus,
    Policy,
    Reason,
    Sealer,
    SimClock,
    Verifier,
    collect,
    derive_key,
    envelope_bytes,
    in_subject,
    read_audit,
    replay,
    seal,
)
from lookout.exchange import envelope as envelope_mod
from lookout.exchange.audit import export, verify
from lookout.exchange.envelope import SequenceFile
from lookout.exchange.exchange import resume_point
from lookout.messages import (
    SCHEMA_VERSION,
    Detection,
    DetectionBatch,
    Envelope,
    Heartbeat,
    LocalTrack,
    Status,
    SystemTrack,
    check_generic,
    signing_bytes,
)
from lookout.picture.common import CommonPicture

SEED = "lookout-robustness"
PARTNERS = ("KR", "JP", "US")
SENSORS = {p: [f"{p.lower()}-radar"] for p in PARTNERS}
POLICY = {
    "partners": SENSORS,
    "release": {s: {r: "all" for r in PARTNERS if r != s} for s in PARTNERS},
}
T0 = 1_000_000_000_000  # 1000 s, ns
KEYS = {p: derive_key(SEED, p) for p in (*PARTNERS, EXCHANGE)}
RING = Keyring.derived(SEED, [*PARTNERS, EXCHANGE])
ENCODE = msgspec.msgpack.Encoder().encode


def run(coro):
    return asyncio.run(coro)


def radar(t_ns: int, r: float = 8.0e5, partner: str = "KR") -> Detection:
    return Detection(
        t_ns=t_ns, sensor_id=SENSORS[partner][0], partner=partner, kind="radar",
        z=[r, 0.5, 0.2], R=[[100.0, 0.0, 0.0], [0.0, 1e-6, 0.0], [0.0, 0.0, 1e-6]],
        snr_db=18.0, sensor_pos_ecef_m=[-3.05e6, 4.04e6, 3.86e6],
    )  # fmt: skip


def flight_state(t_s: float) -> tuple[list[float], list[list[float]]]:
    """A ballistic object about 300 km up, moving 3 km/s (straight line: enough for fusion)."""
    x0 = np.array([-3.2e6, 4.2e6, 4.0e6])
    x0 *= 6.68e6 / np.linalg.norm(x0)
    v = np.array([2000.0, 1500.0, -1600.0])
    pos = x0 + v * (t_s - 1000.0)
    P = np.diag([400.0, 400.0, 400.0, 25.0, 25.0, 25.0])
    return [*map(float, pos), *map(float, v)], P.tolist()


def local_track(t_ns: int, partner: str = "JP", track_id: str = "7", x=None) -> LocalTrack:
    xs, P = flight_state(t_ns * 1e-9)
    return LocalTrack(
        partner=partner, track_id=track_id, t_ns=t_ns, x=x or xs, P=P, boost_prob=0.1,
        sensors=SENSORS[partner],
    )  # fmt: skip


class Coalition:
    """An exchange with the real common picture on a memory bus, and signing partners."""

    def __init__(self, audit_path=":memory:", fusion=None, **exchange_options):
        self.clock = SimClock(T0)
        self.bus = MemoryBus()
        self.policy = Policy.from_dict(POLICY)
        self.audit = AuditLog(audit_path, sign=KEYS[EXCHANGE].sign)
        if fusion is None:
            fusion = CommonPicture(report_period_s=1.0, latency_s=0.0)
        self.fusion = fusion
        self.exchange = Exchange(
            RING, self.policy, self.audit, self.bus, self.clock, KEYS[EXCHANGE], self.fusion,
            **exchange_options,
        )  # fmt: skip
        self.sealers = {p: Sealer(p, KEYS[p], self.clock) for p in PARTNERS}

    async def start(self):
        await self.exchange.start()
        self.delivered = await collect(self.bus)

    async def send(self, message, partner=None, data=None):
        partner = partner or message.partner
        if data is None:
            subject, data = self.sealers[partner].seal_for_bus(message)
        else:
            subject = in_subject(partner, envelope_mod.decode(data).payload_type)
        await self.bus.publish(subject, data)
        await self.bus.flush()
        return data

    def system_tracks(self, recipient="KR") -> list[SystemTrack]:
        out = []
        for subject, data in self.delivered.get(recipient, []):
            if subject.endswith(".system_track"):
                out.append(envelope_mod.decode_payload(envelope_mod.decode(data)))
        return out


def signed(message, partner="KR", seq=1, sent_ns=T0) -> bytes:
    return envelope_bytes(seal(message, partner, seq, sent_ns, KEYS[partner]))


# --- far times and absurd values: refused, the picture unaffected -----------------------------


def _play(inject: bool) -> tuple[Coalition, list]:
    async def main():
        c = Coalition()
        await c.start()
        verdicts = []
        for k in range(30):
            t = T0 + k * 1_000_000_000
            c.clock.set(t)
            await c.send(local_track(t))
            if inject and k == 10:
                hour, eon = 3600 * 10**9, 10**9 * 10**9
                for dt in (hour, -hour, eon, -eon):
                    await c.send(DetectionBatch(partner="KR", sensor_id="kr-radar",
                                                detections=[radar(t + dt)]))  # fmt: skip
                    verdicts.append(c.exchange.last_verdict.reason)
                x, _ = flight_state(t * 1e-9)
                for bad_x in ([1e300, *x[1:]], [*x[:3], 1e9, 0.0, 0.0]):
                    await c.send(local_track(t, partner="KR", track_id="bad", x=bad_x))
                    verdicts.append(c.exchange.last_verdict.reason)
                # The first message after a restart dated far in the past: refused too.
                await c.send(local_track(t - 3600 * 10**9, partner="US"))
                verdicts.append(c.exchange.last_verdict.reason)
        return c, verdicts

    return run(main())


def test_signed_far_times_and_absurd_values_are_refused_and_change_nothing():
    control, _ = _play(inject=False)
    attacked, verdicts = _play(inject=True)
    assert verdicts == [Reason.TIME] * 4 + [Reason.IMPLAUSIBLE] * 2 + [Reason.TIME]
    assert attacked.exchange.refused["KR"] == {Reason.TIME: 4, Reason.IMPLAUSIBLE: 2}
    # The picture is exactly what it is without the attack: same tracks, same states, as often.
    a, b = attacked.system_tracks(), control.system_tracks()
    assert len(a) == len(b) >= 25
    assert [(s.system_track_id, s.t_ns, s.x) for s in a] == [
        (s.system_track_id, s.t_ns, s.x) for s in b
    ]
    assert attacked.fusion.fusion.counters.reports == control.fusion.fusion.counters.reports
    assert attacked.exchange.fusion_errors == 0


# --- fuzzing: every decoding failure refused and audited, nothing unsigned accepted -----------

_VALID = signed(radar(T0))


def _deep(levels: int) -> bytes:
    """An envelope whose payload map carries an unknown field nested ``levels`` deep."""
    env = envelope_mod.decode(_VALID)
    payload = ENCODE(envelope_mod.decode_payload(env))
    nested = b"\x91" * levels + b"\x90"
    body = payload[1:] if payload[0] & 0xF0 == 0x80 else None
    assert body is not None  # a fixmap
    count = payload[0] & 0x0F
    payload = bytes([0x80 | (count + 1)]) + body + ENCODE("zz") + nested
    sig = KEYS["KR"].sign(signing_bytes(SCHEMA_VERSION, "KR", 2, T0, "detection", payload))
    return ENCODE(Envelope(version=SCHEMA_VERSION, sender="KR", seq=2, sent_ns=T0,
                           payload_type="detection", payload=payload, signature=sig))  # fmt: skip


@st.composite
def mutated(draw) -> bytes:
    base = draw(st.sampled_from([_VALID, _deep(10), signed(local_track(T0), "JP")]))
    kind = draw(st.sampled_from(["flip", "cut", "insert", "random", "deep"]))
    data = bytearray(base)
    if kind == "flip":
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= draw(st.integers(1, 255))
    elif kind == "cut":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif kind == "insert":
        i = draw(st.integers(0, len(data)))
        data[i:i] = draw(st.binary(min_size=1, max_size=16))
    elif kind == "random":
        data = bytearray(draw(st.binary(max_size=2048)))
    else:
        data = bytearray(_deep(draw(st.integers(500, 5000))))
    return bytes(data)


@settings(max_examples=400, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(data=mutated())
def test_fuzzed_bytes_never_raise_and_nothing_unsigned_is_accepted(data):
    verifier = Verifier(RING, SimClock(T0))
    verdict = verifier.check(data, subject_sender="KR", subject_type="detection")
    assert verdict.reason is not None or data == _VALID  # only the genuine bytes pass
    if verdict.accepted:
        assert ENCODE(verdict.envelope) == data


def test_deep_nesting_is_refused_audited_and_counted(tmp_path):
    async def main():
        c = Coalition(tmp_path / "audit.db")
        await c.start()
        for levels in (100, 1000, 3000, 50_000):
            await c.bus.publish(in_subject("KR", "detection"), _deep(levels))
        await c.bus.flush()
        c.audit.flush()
        return c

    c = run(main())
    assert c.exchange.refused["KR"] == {Reason.MALFORMED: 4}
    rows = list(read_audit(tmp_path / "audit.db"))
    assert [r.verdict for r in rows] == ["refused"] * 4


_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-2e4, max_value=2e4),
    st.sampled_from([0.0, -1.0, 1e300, 6.4e6, 4.2e7]),
)


def _plausible_state(x, P) -> bool:
    """The test's own oracle (numpy, independent of lookout.messages)."""
    x, P = np.asarray(x), np.asarray(P)
    with np.errstate(all="ignore"):
        return _plausible(x, P)


def _plausible(x, P) -> bool:
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(P))):
        return False
    r, v = np.linalg.norm(x[:3]), np.linalg.norm(x[3:])
    if not (6.25e6 <= r <= 1e8 and v <= 2e4):
        return False
    if not np.allclose(P, P.T, rtol=0, atol=1e-9 * np.abs(P).max()):
        return False
    if np.any(np.diag(P) > np.array([1e7] * 3 + [1e5] * 3) ** 2):
        return False
    return bool(np.linalg.eigvalsh(0.5 * (P + P.T)).min() > 0)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    pos=st.lists(_floats, min_size=3, max_size=3),
    vel=st.lists(st.floats(min_value=-3e4, max_value=3e4), min_size=3, max_size=3),
    scale=st.sampled_from([6.5e6, 1.0, 1e9]),
    shape=st.sampled_from(["spd", "asym", "neg", "huge", "singular"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_fuzzed_signed_tracks_accepted_only_when_physical(pos, vel, scale, shape, seed):
    rng = np.random.default_rng(seed)
    x = [float(v) for v in pos]
    if all(map(math.isfinite, x)) and scale != 1.0:
        with np.errstate(all="ignore"):
            n = float(np.linalg.norm(x)) or 1.0
        x = [float(v * scale / n) if math.isfinite(n) else v for v in x]
    x += [float(v) for v in vel]
    A = rng.normal(size=(6, 6))
    P = A @ A.T + np.eye(6)
    if shape == "asym":
        P[0, 1] += 5.0
    elif shape == "neg":
        P = P - 50 * np.eye(6)
    elif shape == "huge":
        P = P * 1e16
    elif shape == "singular":
        v = rng.normal(size=6)
        P = np.outer(v, v)
    try:
        track = LocalTrack(partner="KR", track_id="1", t_ns=T0, x=x, P=P.tolist(),
                           boost_prob=0.5, sensors=[])  # fmt: skip
    except ValueError:
        return  # the constructor already refuses it (the shape rules); nothing to send
    verdict = Verifier(RING, SimClock(T0)).check(signed(track))
    assert verdict.accepted == _plausible_state(x, P), (verdict.reason, verdict.detail)


def test_plausibility_of_every_payload_type():
    ok = [radar(T0), local_track(T0), Heartbeat(partner="KR", t_ns=T0, seq=3),
          Status(t_ns=T0, degraded=False, lag_ns=0)]  # fmt: skip
    for m in ok:
        m.check()
    bad = {
        "sensor_pos_ecef_m": msgspec.structs.replace(radar(T0), sensor_pos_ecef_m=[0.0, 0.0, 1e5]),
        "range_m": msgspec.structs.replace(radar(T0), z=[-5.0, 0.5, 0.2]),
        "azimuth_rad": msgspec.structs.replace(radar(T0), z=[8e5, 7.0, 0.2]),
        "not positive definite": msgspec.structs.replace(
            radar(T0), R=[[100.0, 50.0, 0.0], [50.0, 1e-6, 0.0], [0.0, 0.0, 1e-6]]
        ),
        "Heartbeat.seq": Heartbeat(partner="KR", t_ns=T0, seq=-1),
        "geocentric distance": local_track(T0, x=[1e4, 0.0, 0.0, 0.0, 0.0, 0.0]),
        "speed": local_track(T0, x=[6.5e6, 0.0, 0.0, 1e5, 0.0, 0.0]),
        "not in time order": DetectionBatch(
            partner="KR", sensor_id="kr-radar", detections=[radar(T0 + 5), radar(T0)]
        ),
    }
    for field, message in bad.items():
        with pytest.raises(ValueError, match=field):
            message.check()


def test_the_generic_rules_name_the_element_that_breaks_them():
    """A number too large anywhere in a nested list is named by its place, an int in a float
    list is checked as an int, whatever the fast path for plain floats."""
    track = local_track(T0)
    P = [list(row) for row in track.P]
    P[2][4] = P[4][2] = 3e15
    with pytest.raises(ValueError, match=r"LocalTrack\.P\[2\]\[4\]: 3000000000000000\.0 is not"):
        msgspec.structs.replace(track, P=P).check()
    x = list(track.x)
    x[5] = 2**63
    with pytest.raises(ValueError, match=r"LocalTrack\.x\[5\]: 9223372036854775808 is out"):
        check_generic(msgspec.structs.replace(track, x=x))
    x[5] = -2e15
    with pytest.raises(ValueError, match=r"LocalTrack\.x\[5\]: -2000000000000000\.0 is not"):
        check_generic(msgspec.structs.replace(track, x=x))
    check_generic(track)


def test_unknown_fields_and_duplicate_keys_are_refused():
    env = envelope_mod.decode(_VALID)
    payload = env.payload
    count = payload[0] & 0x0F
    extra = bytes([0x80 | (count + 1)]) + payload[1:] + ENCODE("note") + ENCODE("unsigned?")
    dup = bytes([0x80 | (count + 1)]) + payload[1:] + ENCODE("snr_db") + ENCODE(99.0)
    for i, body in enumerate((extra, dup)):
        sig = KEYS["KR"].sign(signing_bytes(SCHEMA_VERSION, "KR", 5 + i, T0, "detection", body))
        data = ENCODE(Envelope(version=SCHEMA_VERSION, sender="KR", seq=5 + i, sent_ns=T0,
                               payload_type="detection", payload=body, signature=sig))  # fmt: skip
        verdict = Verifier(RING, SimClock(T0)).check(data)
        assert verdict.reason == Reason.MALFORMED and "canonical" in verdict.detail
    # An unknown field in the envelope itself, outside the signature: refused too.
    raw = msgspec.msgpack.decode(_VALID)
    raw["note"] = "rides along"
    verdict = Verifier(RING, SimClock(T0)).check(ENCODE(raw))
    assert verdict.reason == Reason.MALFORMED


# --- late envelopes, restarts -------------------------------------------------------------------


def test_late_envelopes_are_audited_kept_and_replayed(tmp_path):
    async def main():
        c = Coalition(tmp_path / "audit.db")
        await c.start()
        await c.send(local_track(T0))
        # Acked by the broker while the exchange was down: 25 s old when it arrives.
        old = signed(local_track(T0 - 25 * 10**9, partner="US"), "US", 1, T0 - 25 * 10**9)
        await c.send(None, "US", old)
        await c.send(None, "US", old)  # and once more: a duplicate, not a second late one
        c.clock.advance(10**9)
        await c.send(local_track(T0 + 10**9))
        await c.bus.close()
        c.audit.close()
        return c, old

    c, old = run(main())
    rows = list(read_audit(tmp_path / "audit.db"))
    assert [(r.verdict, r.reason) for r in rows] == [
        ("accepted", None), ("late", "late"), ("refused", "duplicate"), ("accepted", None),
    ]  # fmt: skip
    assert rows[1].data == old
    assert c.exchange.late == {"US": 1}
    assert old not in {d for items in c.delivered.values() for _, d in items}
    assert all(s.partners == ["JP"] for s in c.system_tracks())
    again = replay(tmp_path / "audit.db", RING, Policy.from_dict(POLICY), KEYS[EXCHANGE],
                   CommonPicture(report_period_s=1.0, latency_s=0.0))  # fmt: skip
    assert again == c.delivered


def test_restarted_exchange_resumes_numbers_windows_and_ids(tmp_path):
    path = tmp_path / "audit.db"
    # A partner's verifier, which lives on across the exchange's restarts.
    node_side = Verifier(RING, SimClock(T0), max_age_ns=None, max_ahead_ns=None)

    async def session(first_k: int) -> Coalition:
        start = resume_point(AuditLog(path))["system_track_id"]
        picture = CommonPicture(report_period_s=1.0, latency_s=0.0, first_system_track_id=start)
        c = Coalition(path, fusion=picture)
        await c.start()
        c.sealers["JP"].seq = 1000 * first_k  # the node goes on with its own numbers
        for k in range(first_k, first_k + 12):
            c.clock.set(T0 + k * 10**9)
            await c.send(local_track(T0 + k * 10**9))
        c.audit.flush()  # committed; then killed: no close, no checkpoint
        return c

    c1 = run(session(0))
    c2 = run(session(20))
    own = [d for c in (c1, c2) for s_, d in c.delivered["KR"] if ".system_track" in s_]
    assert len(own) > 15
    refused = [node_side.check(d, subject_type="system_track").reason for d in own]
    assert refused == [None] * len(own)  # no envelope of the restarted exchange is "replayed"
    ids1 = {s.system_track_id for s in c1.system_tracks()}
    ids2 = {s.system_track_id for s in c2.system_tracks()}
    assert ids1 and ids2 and not ids1 & ids2  # no id given twice
    # The restarted exchange still knows what it took: an old envelope is a duplicate.
    first_jp = next(r.data for r in read_audit(path) if r.sender == "JP" and r.accepted)

    async def again():
        c3 = Coalition(path)
        await c3.start()
        await c3.send(None, "JP", first_jp)
        return c3

    assert run(again()).exchange.last_verdict.reason == Reason.DUPLICATE


def test_node_sequence_file_survives_restarts(tmp_path):
    clock = SimClock(T0)
    state = SequenceFile(tmp_path / "KR-node.json")
    sealer = Sealer("KR", KEYS["KR"], clock, state.state["reserved"], reserve=state, block=5)
    used = [sealer.seal(Heartbeat(partner="KR", t_ns=T0, seq=i)).seq for i in range(12)]
    again = SequenceFile(tmp_path / "KR-node.json")  # after a kill
    sealer2 = Sealer("KR", KEYS["KR"], clock, again.state["reserved"], reserve=again, block=5)
    assert sealer2.seal(Heartbeat(partner="KR", t_ns=T0, seq=0)).seq > max(used)


# --- overload -----------------------------------------------------------------------------------


class CountingFusion:
    def __init__(self):
        self.fused: list[str] = []

    def ingest(self, sender, message):
        self.fused.append(type(message).__name__)
        return []


def test_overload_sheds_detections_then_tracks_tells_partners_and_recovers():
    fusion = CountingFusion()

    async def main():
        c = Coalition(fusion=fusion)
        await c.start()
        s = 10**9
        for lag in (0, 4 * s, 7 * s, 0):  # fresh, behind, far behind, caught up
            for _ in range(3):
                c.clock.advance(s // 2)
                now = c.clock.now_ns()
                sent = now - lag
                for m, p in ((DetectionBatch(partner="KR", sensor_id="kr-radar",
                                             detections=[radar(sent)]), "KR"),
                             (local_track(sent), "JP")):  # fmt: skip
                    sealer = c.sealers[p]
                    sealer.seq += 1
                    data = envelope_bytes(seal(m, p, sealer.seq, sent, KEYS[p]))
                    await c.send(None, p, data)
            fusion.fused.append("|")  # end of the phase
        for _ in range(4):  # a quiet second or two after the load: partners hear it is over
            c.clock.advance(s // 2)
            await c.send(Heartbeat(partner="US", t_ns=c.clock.now_ns(), seq=1))
        return c

    c = run(main())
    phases = " ".join(fusion.fused).split("|")
    assert phases[0].split() == ["DetectionBatch", "LocalTrack"] * 3  # fresh: all fused
    assert phases[1].split() == ["LocalTrack"] * 3  # 4 s behind: raw detections shed
    assert phases[2].split() == []  # 7 s behind: local tracks shed too
    assert phases[3].split() == ["DetectionBatch", "LocalTrack"] * 3  # caught up
    assert c.exchange.shed == {"detection_batch": 6, "local_track": 3}
    assert c.exchange.counters()["refused"] == {}  # shed, not refused: all audited, relayed
    statuses = [envelope_mod.decode_payload(envelope_mod.decode(d))
                for s_, d in c.delivered["US"] if s_.endswith(".status")]  # fmt: skip
    assert statuses and any(s.degraded for s in statuses) and not statuses[-1].degraded
    assert max(s.lag_ns for s in statuses) >= 7 * 10**9


# --- the audit log is tamper-evident ------------------------------------------------------------


def _log(tmp_path):
    path = tmp_path / "audit.db"

    async def main():
        c = Coalition(path)
        await c.start()
        for k in range(12):
            c.clock.set(T0 + k * 10**9)
            await c.send(local_track(T0 + k * 10**9))
            await c.send(Heartbeat(partner="KR", t_ns=T0 + k * 10**9, seq=k))
        await c.bus.publish(in_subject("US", "detection"), b"junk")
        await c.bus.flush()
        c.audit.close()

    run(main())
    return path


def _tampered(path, tmp_path, name, *sql):
    copy = tmp_path / f"{name}.db"
    shutil.copy(path, copy)
    db = sqlite3.connect(copy)
    for t in ("envelopes_no_update", "envelopes_no_delete", "checkpoints_no_update"):
        db.execute(f"DROP TRIGGER IF EXISTS {t}")
    for statement in sql:
        db.execute(statement)
    db.commit()
    db.close()
    return copy


def test_audit_verify_detects_any_changed_removed_or_inserted_row(tmp_path):
    path = _log(tmp_path)
    exchange_key = KEYS[EXCHANGE].public_key()
    good = verify(path, RING, exchange_key)
    assert good.ok and good.rows == 25 and good.signatures == 24 and good.checkpoints == 1
    cols = "received_ns, subject, sender, seq, type, verdict, reason, detail, data, hash"
    cases = {
        "changed-verdict": ["UPDATE envelopes SET verdict='refused' WHERE id=5"],
        "changed-data": ["UPDATE envelopes SET data=x'00' WHERE id=25"],
        "changed-time": ["UPDATE envelopes SET received_ns=received_ns+1 WHERE id=1"],
        "removed": ["DELETE FROM envelopes WHERE id=7"],
        "removed-last": ["DELETE FROM envelopes WHERE id=25"],
        "inserted": [
            f"INSERT INTO envelopes (id, {cols}) SELECT 100, {cols} FROM envelopes WHERE id=3"
        ],  # fmt: skip
        "moved": ["UPDATE envelopes SET id=1000 WHERE id=9"],
    }
    for name, sql in cases.items():
        result = verify(_tampered(path, tmp_path, name, *sql), RING, exchange_key)
        assert not result.ok, name
    # Rewriting the whole chain after a change, checkpoint included, needs the exchange's key.
    from lookout.exchange.audit import GENESIS, row_hash

    forged = _tampered(path, tmp_path, "rechained", "UPDATE envelopes SET detail='x' WHERE id=2")
    db = sqlite3.connect(forged)
    previous = GENESIS
    rows = db.execute(f"SELECT id, {cols} FROM envelopes ORDER BY id").fetchall()
    for row in rows:
        previous = row_hash(previous, row[:-1])
        db.execute("UPDATE envelopes SET hash=? WHERE id=?", (previous, row[0]))
    db.execute("UPDATE checkpoints SET hash=?", (previous,))
    db.commit()
    db.close()
    result = verify(forged, RING, exchange_key)
    assert not result.ok and "signature" in " ".join(result.problems)
    # The command: exit 0 on the intact log, 1 on a changed one.
    cli = [sys.executable, "-m", "lookout.cli", "audit", "verify"]
    meta_path = tmp_path / "with-meta.db"
    shutil.copy(path, meta_path)
    AuditLogMeta(meta_path)
    assert subprocess.run([*cli, str(meta_path)], capture_output=True).returncode == 0
    bad = _tampered(meta_path, tmp_path, "bad-meta", "DELETE FROM envelopes WHERE id=3")
    out = subprocess.run([*cli, str(bad)], capture_output=True, text=True)
    assert out.returncode == 1 and "row 4: expected id 3" in out.stdout


def AuditLogMeta(path):  # noqa: N802 - records the seed and policy, as lookout serve does
    import yaml

    db = sqlite3.connect(path)
    db.execute("INSERT INTO meta (key, value) VALUES ('key_seed', ?)", (SEED,))
    db.execute("INSERT INTO meta (key, value) VALUES ('policy', ?)", (yaml.safe_dump(POLICY),))
    db.commit()
    db.close()


def test_export_includes_what_only_the_wal_holds(tmp_path):
    path = tmp_path / "killed.db"
    code = (
        "import os, sys\n"
        "from lookout.exchange.audit import AuditLog\n"
        f"log = AuditLog({str(path)!r})\n"
        "for i in range(500):\n"
        "    log.append(i, 'lookout.in.KR.heartbeat', 'KR', i, 'heartbeat', 'refused', 'x', '',"
        " b'y' * 200)\n"
        "log.flush()\n"
        "os._exit(0)  # killed: no checkpoint, the rows are in the -wal file\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert (tmp_path / "killed.db-wal").stat().st_size > 0
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(path, alone / "killed.db")
    try:
        short = sqlite3.connect(alone / "killed.db").execute("SELECT count(*) FROM envelopes")
        n = short.fetchone()[0]
    except sqlite3.OperationalError:  # not even the table: all of it is in the -wal file
        n = 0
    assert n < 500  # a copy of the .sqlite alone is short
    assert export(path, tmp_path / "export.db") == 500
    assert verify(tmp_path / "export.db").ok
