"""Latency of the exchange under load: detections from three partner nodes, signed at the node,
verified, audited and released by the exchange, delivered to every entitled partner.

Each node makes ``rate / 3`` detections per second, evenly spaced, for ``seconds``; every
``batch_ms`` it seals what its sensors made since the last tick, one :class:`DetectionBatch`
envelope per sensor (Ed25519 costs ~0.1 ms to sign and ~0.15-0.3 ms to verify here, too much
for one envelope per detection at 10^4/s on one core). Latency runs from a detection's creation
(its scheduled time, so a late node counts against it) to its delivery to the last partner
entitled to it; the policy releases everything to everyone, so that is both other partners.
The first ``warmup_s`` are not counted. The bus is a parameter: :func:`run_bench` takes any
:class:`~lookout.exchange.bus.Bus`; :func:`bench_exchange` runs it on the memory bus.
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
from pathlib import Path

import msgspec
import numpy as np

from lookout.exchange import (
    EXCHANGE,
    AuditLog,
    Bus,
    Exchange,
    Keyring,
    MemoryBus,
    Policy,
    Verifier,
    decode,
    derive_key,
    envelope_bytes,
    in_subject,
    out_all,
    seal,
)
from lookout.exchange.envelope import signature_ok
from lookout.messages import Detection, DetectionBatch
from lookout.timebase import NS_PER_S, ns_to_s, s_to_ns

PARTNERS = ("KR", "JP", "US")
_R = [[100.0, 0.0, 0.0], [0.0, 1e-6, 0.0], [0.0, 0.0, 1e-6]]


class _ProbeDetection(msgspec.Struct):
    t_ns: int
    partner: str


class _ProbeBatch(msgspec.Struct):
    detections: list[_ProbeDetection]


_probe_decoder = msgspec.msgpack.Decoder(_ProbeBatch)


class DeliveryProbe:
    """Counts each detection's deliveries and records, when the last of its ``entitled``
    recipients got it, its latency from creation (``t_ns`` on ``clock``) if it was made at or
    after ``count_from_ns``. The probe reads only what it measures: full decoding is the
    partner's own cost, not the exchange's, and here it would share the exchange's core."""

    def __init__(self, clock, entitled: int, count_from_ns: int) -> None:
        self.clock = clock
        self.entitled = entitled
        self.count_from_ns = count_from_ns
        self.remaining: dict[tuple[str, int], int] = {}
        self.latencies: list[int] = []
        self.delivered = 0

    async def handler(self, subject: str, data: bytes) -> None:
        now = self.clock.now_ns()
        for d in _probe_decoder.decode(decode(data).payload).detections:
            key = (d.partner, d.t_ns)
            left = self.remaining.get(key, self.entitled) - 1
            if left:
                self.remaining[key] = left
                continue
            self.remaining.pop(key, None)
            self.delivered += 1
            if d.t_ns >= self.count_from_ns:
                self.latencies.append(now - d.t_ns)


class _PerfClock:
    """Monotonic ns since the bench started; the exchange's clock and the nodes'."""

    def __init__(self) -> None:
        self.start = time.perf_counter_ns()

    def now_ns(self) -> int:
        return time.perf_counter_ns() - self.start


async def run_bench(
    bus: Bus,
    *,
    bus_name: str = "memory",
    rate: float = 10_000,
    seconds: float = 5.0,
    batch_ms: float = 2.0,
    sensors_per_partner: int = 1,
    max_batch: int = 128,
    warmup_s: float = 0.5,
    audit_path: str | Path | None = None,
    drain_s: float = 5.0,
) -> dict:
    """Run the load through an exchange on ``bus`` (connected, nothing subscribed yet)."""
    clock = _PerfClock()
    seed = "bench"
    keys = {p: derive_key(seed, p) for p in PARTNERS}
    keyring = Keyring.derived(seed, PARTNERS)
    sensors = {p: [f"{p.lower()}-{i}" for i in range(sensors_per_partner)] for p in PARTNERS}
    policy = Policy.from_dict(
        {"partners": sensors, "release": {s: {r: "all" for r in PARTNERS} for s in PARTNERS}}
    )
    tmp = None
    if audit_path is None:
        tmp = tempfile.TemporaryDirectory(prefix="lookout-bench-")
        audit_path = Path(tmp.name) / "audit.db"
    audit = AuditLog(audit_path, batch=256)
    exchange = Exchange(
        keyring, policy, audit, bus, clock, derive_key(seed, EXCHANGE),
        verifier=Verifier(keyring, clock),
    )  # fmt: skip
    await exchange.start()

    probe = DeliveryProbe(clock, len(PARTNERS) - 1, s_to_ns(warmup_s))
    for p in PARTNERS:
        await bus.subscribe(out_all(p), probe.handler)

    interval_ns = len(PARTNERS) * NS_PER_S / rate
    total = int(seconds * rate / len(PARTNERS))
    tick_ns = int(batch_ms * 1e6)

    # The detections are made beforehand, as a sensor model would make them: the node's cost
    # here is batching and signing.
    planned = {
        p: [
            Detection(
                t_ns=int(i * interval_ns / len(PARTNERS) + k * interval_ns),
                sensor_id=sensors[p][k % sensors_per_partner],
                partner=p,
                kind="radar",
                z=[1.0e6 + k, 0.5, 0.2],
                R=_R,
                snr_db=15.0,
            )  # fmt: skip
            for k in range(total)
        ]
        for i, p in enumerate(PARTNERS)
    }

    async def node(index: int, partner: str) -> int:
        key, made, seq = keys[partner], 0, 0
        offset = index * interval_ns / len(PARTNERS)
        mine = planned[partner]
        next_tick = 0
        while made < total:
            now = clock.now_ns()
            due = min(total, int((now - offset) // interval_ns) + 1) if now >= offset else 0
            by_sensor: dict[str, list[Detection]] = {}
            for d in mine[made:due]:
                by_sensor.setdefault(d.sensor_id, []).append(d)
            made = max(made, due)
            for sensor, dets in by_sensor.items():
                for i in range(0, len(dets), max_batch):
                    batch = DetectionBatch(
                        partner=partner, sensor_id=sensor, detections=dets[i : i + max_batch]
                    )
                    seq += 1
                    env = seal(batch, partner, seq, clock.now_ns(), key)
                    await bus.publish(in_subject(partner, "detection_batch"), envelope_bytes(env))
            next_tick += tick_ns
            await asyncio.sleep(max(0.0, ns_to_s(next_tick - clock.now_ns())))
        return seq

    # Keep the collector from walking the planned detections again and again.
    gc.collect()
    gc.freeze()
    clock.start = time.perf_counter_ns()
    cpu0 = time.process_time()
    envelopes = sum(await asyncio.gather(*(node(i, p) for i, p in enumerate(PARTNERS))))
    await bus.flush()
    deadline = time.perf_counter() + drain_s
    while probe.delivered < total * len(PARTNERS) and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    elapsed = ns_to_s(clock.now_ns())
    cpu = time.process_time() - cpu0
    gc.unfreeze()
    await exchange.flush()
    audit.close()
    if tmp is not None:
        tmp.cleanup()
    lat = np.array(probe.latencies, dtype=float) / 1e6
    refused = sum(sum(c.values()) for c in exchange.refused.values())
    return {
        "bus": bus_name,
        "rate": rate,
        "seconds": seconds,
        "batch_ms": batch_ms,
        "p50_ms": float(np.percentile(lat, 50)) if lat.size else None,
        "p99_ms": float(np.percentile(lat, 99)) if lat.size else None,
        "max_ms": float(lat.max()) if lat.size else None,
        "delivered": probe.delivered,
        "created": total * len(PARTNERS),
        "refused": refused,
        "envelopes": envelopes,
        "cpu_fraction": cpu / elapsed if elapsed > 0 else None,
        "cpu_us_per_detection": cpu / max(1, total * len(PARTNERS)) * 1e6,
    }


def bench_exchange(rate: float = 10_000, seconds: float = 5.0, **options) -> dict:
    """:func:`run_bench` on a fresh :class:`MemoryBus`."""

    async def main() -> dict:
        bus = MemoryBus()
        try:
            return await run_bench(bus, bus_name="memory", rate=rate, seconds=seconds, **options)
        finally:
            await bus.close()

    return asyncio.run(main())


def bench_crypto(n: int = 2000) -> dict:
    """Microseconds per envelope to seal and to check (decode, signature, sequence, freshness)
    for one detection and for a batch of 10, and Ed25519 alone."""
    from lookout.exchange import SimClock

    key = derive_key("bench", "KR")
    keyring = Keyring.derived("bench", ["KR"])
    d = Detection(
        t_ns=0, sensor_id="kr-0", partner="KR", kind="radar", z=[1e6, 0.5, 0.2], R=_R, snr_db=15.0
    )
    out: dict[str, float] = {}
    for label, msg in (
        ("detection", d),
        ("batch10", DetectionBatch(partner="KR", sensor_id="kr-0", detections=[d] * 10)),
    ):
        t0 = time.perf_counter()
        blobs = [envelope_bytes(seal(msg, "KR", i, 0, key)) for i in range(n)]
        out[f"seal_{label}_us"] = (time.perf_counter() - t0) / n * 1e6
        verifier = Verifier(keyring, SimClock(0))
        t0 = time.perf_counter()
        for b in blobs:
            verifier.check(b)
        out[f"check_{label}_us"] = (time.perf_counter() - t0) / n * 1e6
        out[f"bytes_{label}"] = len(blobs[0])
    env = decode(blobs[0])
    t0 = time.perf_counter()
    for _ in range(n):
        signature_ok(env, keyring["KR"])
    out["ed25519_verify_us"] = (time.perf_counter() - t0) / n * 1e6
    t0 = time.perf_counter()
    for _ in range(n):
        key.sign(b"x" * 300)
    out["ed25519_sign_us"] = (time.perf_counter() - t0) / n * 1e6
    return out
