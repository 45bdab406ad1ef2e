"""Fuzz the exchange's verifier with a million inputs (issue 15): nothing escapes, nothing
unsigned or absurd is accepted.

    .venv/bin/python benchmarks/fuzz.py --n 1000000 --seed 1 --workers 2

Inputs, seeded (numpy), in five families:

- ``random``: random bytes, 0 to 2 kB;
- ``mutated``: a validly signed envelope with bytes flipped, cut, inserted or spliced;
- ``deep``: a validly signed envelope whose payload carries an unknown field nested 10 to 20 000
  levels deep (the RecursionError of issue 15);
- ``extra``: a validly signed envelope with an unknown field or a duplicate key in its payload or
  header (unsigned bytes riding along);
- ``physics``: validly signed messages of every payload type with drawn values (states, ranges,
  covariances symmetric or not, definite or not, NaN, 1e300, far times, huge sequence numbers),
  judged by an oracle written here with numpy, independent of ``lookout.messages``.

Figures: inputs per family, exceptions escaping ``Verifier.check`` (must be 0), inputs accepted
whose bytes are not exactly an envelope signed here (must be 0), absurd payloads accepted (must be
0), genuine plausible ones refused (the oracle and the checks disagreeing the other way), and the
rate. The CI runs a seeded slice of the same ideas with hypothesis (tests/test_exchange_robustness).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import time
from collections import Counter

import msgspec
import numpy as np

from lookout.exchange import Keyring, SimClock, Verifier, derive_key, envelope_bytes, seal
from lookout.messages import (
    SCHEMA_VERSION,
    Detection,
    DetectionBatch,
    Envelope,
    Heartbeat,
    LocalTrack,
    Status,
    SystemTrack,
    signing_bytes,
)

T0 = 10**12
SEED = "fuzz"
ENC = msgspec.msgpack.Encoder().encode
KEY = derive_key(SEED, "KR")
RING = Keyring.derived(SEED, ["KR", "EXCHANGE"])
EX_KEY = derive_key(SEED, "EXCHANGE")


def _radar(rng, t_ns, absurd: bool) -> tuple[Detection | None, bool]:
    r = float(rng.choice([8e5, -5.0, 1e300, 6e7, 3e6]) if absurd else rng.uniform(1e3, 4e6))
    az = float(rng.choice([0.5, 9.0, -1.0]) if absurd else rng.uniform(0, 2 * math.pi))
    el = float(rng.uniform(-0.1, 1.5))
    sig = np.array([rng.uniform(1, 500), rng.uniform(1e-4, 1e-2), rng.uniform(1e-4, 1e-2)])
    R = np.diag(sig**2)
    if absurd and rng.random() < 0.5:
        R[0, 1] = R[1, 0] = rng.choice([1e6, -1e6])  # not positive definite
    pos = [-3.05e6, 4.04e6, 3.86e6]
    if absurd and rng.random() < 0.3:
        pos = [float(v * rng.choice([0.0, 10.0, np.nan])) for v in pos]
    try:
        d = Detection(
            t_ns=t_ns, sensor_id="kr-a", partner="KR", kind="radar", z=[r, az, el],
            R=R.tolist(), snr_db=float(rng.uniform(5, 40)), sensor_pos_ecef_m=pos,
        )  # fmt: skip
    except ValueError:
        return None, True
    ok = (
        0 < r <= 5e7 and 0 <= az <= 2 * math.pi
        and bool(np.all(np.isfinite(pos))) and 6.33e6 <= float(np.linalg.norm(pos)) <= 6.40e6
        and bool(np.linalg.eigvalsh(R).min() > 0)
        and math.sqrt(R[0, 0]) <= 1e7
    )  # fmt: skip
    return d, ok


def _state(rng, absurd: bool):
    direction = rng.normal(size=3)
    direction /= np.linalg.norm(direction)
    radius = float(rng.choice([1e300, 1e4, 2e8, 6.5e6]) if absurd else rng.uniform(6.3e6, 4e7))
    speed = float(rng.choice([5e4, 0.0]) if absurd else rng.uniform(0, 8e3))
    with np.errstate(all="ignore"):
        x = np.concatenate([direction * radius, rng.normal(size=3) * speed / math.sqrt(3)])
    A = rng.normal(size=(6, 6)) * 10
    P = A @ A.T + np.eye(6) * 100
    kind = rng.integers(0, 4) if absurd else -1
    if kind == 0:
        P[0, 1] += 1.0  # asymmetric
    elif kind == 1:
        P -= 1e5 * np.eye(6)  # not positive definite
    elif kind == 2:
        v = rng.normal(size=6)
        P = np.outer(v, v)  # singular
    elif kind == 3:
        x[rng.integers(0, 6)] = np.nan
    return [float(v) for v in x], P


def _oracle_state(x, P) -> bool:
    x, P = np.asarray(x), np.asarray(P)
    with np.errstate(all="ignore"):
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(P))):
            return False
        r, v = np.linalg.norm(x[:3]), np.linalg.norm(x[3:])
        if not (6.25e6 <= r <= 1e8 and v <= 2e4):
            return False
        if np.any(np.abs(P - P.T) > 1e-9 * np.abs(P).max()):
            return False
        if np.any(np.diag(P) > np.array([1e7] * 3 + [1e5] * 3) ** 2):
            return False
        return bool(np.linalg.eigvalsh(P).min() > 0)


def _physics(rng, seq: int) -> tuple[bytes | None, bool, str]:
    """A validly signed message, and whether the oracle finds it plausible."""
    absurd = rng.random() < 0.5
    t_ns = T0 + int(rng.integers(-5, 2)) * 10**9
    if absurd and rng.random() < 0.2:
        t_ns = T0 + int(rng.choice([3600, -3600, 10**9, -(10**9)])) * 10**9
    time_ok = T0 - 10 * 10**9 <= t_ns <= T0 + 2 * 10**9
    kind = rng.choice(["detection", "detection_batch", "local_track", "system_track",
                       "heartbeat", "status"])  # fmt: skip
    sender, key = "KR", KEY
    if kind in ("detection", "detection_batch"):
        n = int(rng.integers(1, 5)) if kind == "detection_batch" else 1
        dets, ok = [], True
        for _ in range(n):
            d, good = _radar(rng, t_ns, absurd)
            if d is None:
                return None, False, kind
            dets.append(d)
            ok &= good
        msg = dets[0] if kind == "detection" else DetectionBatch(
            partner="KR", sensor_id="kr-a", detections=dets
        )  # fmt: skip
    elif kind in ("local_track", "system_track"):
        x, P = _state(rng, absurd)
        ok = _oracle_state(x, P)
        try:
            if kind == "local_track":
                msg = LocalTrack(partner="KR", track_id="1", t_ns=t_ns, x=x, P=P.tolist(),
                                 boost_prob=float(rng.uniform(0, 1)), sensors=[])  # fmt: skip
            else:
                sender, key = "EXCHANGE", EX_KEY
                msg = SystemTrack(system_track_id="S1", t_ns=t_ns, x=x, P=P.tolist(),
                                  partners=["KR"])  # fmt: skip
        except ValueError:
            return None, False, kind
    elif kind == "heartbeat":
        hb_seq = int(rng.choice([-1, -(2**40), 3])) if absurd else int(rng.integers(0, 10**6))
        msg = Heartbeat(partner="KR", t_ns=t_ns, seq=hb_seq)
        ok = hb_seq >= 0
    else:
        sender, key = "EXCHANGE", EX_KEY
        lag = int(rng.integers(0, 10**9))
        msg = Status(t_ns=t_ns, degraded=bool(rng.random() < 0.5), lag_ns=lag)
        ok = True
    env_seq = seq
    if absurd and rng.random() < 0.1:
        env_seq = 2**63 - 1
        ok = False
    return envelope_bytes(seal(msg, sender, env_seq, T0, key)), ok and time_ok, kind


def _signed_raw(payload: bytes, seq: int, kind: str = "detection") -> bytes:
    sig = KEY.sign(signing_bytes(SCHEMA_VERSION, "KR", seq, T0, kind, payload))
    return ENC(Envelope(version=SCHEMA_VERSION, sender="KR", seq=seq, sent_ns=T0,
                        payload_type=kind, payload=payload, signature=sig))  # fmt: skip


def _base(seq: int) -> bytes:
    d = Detection(
        t_ns=T0, sensor_id="kr-a", partner="KR", kind="radar", z=[8e5, 0.5, 0.2],
        R=[[100.0, 0.0, 0.0], [0.0, 1e-6, 0.0], [0.0, 0.0, 1e-6]], snr_db=18.0,
    )  # fmt: skip
    return envelope_bytes(seal(d, "KR", seq, T0, KEY))


def _extend(payload: bytes, key: bytes, value: bytes) -> bytes:
    n = payload[0] & 0x0F
    return bytes([0x80 | (n + 1)]) + payload[1:] + key + value


FAMILIES = ["random", "mutated", "deep", "extra", "physics"]
WEIGHTS = np.cumsum([0.25, 0.35, 0.05, 0.15, 0.20])


def worker(args: tuple[int, int, int]) -> dict:
    start, count, seed = args
    rng = np.random.default_rng([seed, start])
    out: Counter[str] = Counter()
    families: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    # Signing is the slow part: the mutations start from a pool of signed envelopes.
    pool = [_base(start + k + 1) for k in range(256)]
    signed_here = set(pool)
    t0 = time.perf_counter()
    for i in range(start, start + count):
        seq = i + 1
        family = FAMILIES[int(np.searchsorted(WEIGHTS, rng.random()))]
        families[family] += 1
        genuine: bytes | None = None
        plausible = False
        if family == "random":
            data = rng.bytes(int(rng.integers(0, 2048)))
        elif family == "mutated":
            genuine = pool[int(rng.integers(0, len(pool)))]
            data = bytearray(genuine)
            op = rng.integers(0, 4)
            if op == 0:
                for _ in range(int(rng.integers(1, 5))):
                    data[int(rng.integers(0, len(data)))] ^= int(rng.integers(1, 256))
            elif op == 1:
                data = data[: int(rng.integers(0, len(data)))]
            elif op == 2:
                j = int(rng.integers(0, len(data) + 1))
                data[j:j] = rng.bytes(int(rng.integers(1, 32)))
            else:
                other = pool[int(rng.integers(0, len(pool)))]
                j = int(rng.integers(0, len(data)))
                data = data[:j] + other[j:]
            data = bytes(data)
            if data in signed_here:  # a splice that gave back a whole signed envelope
                genuine = data
            plausible = data == genuine
        elif family == "deep":
            levels = int(rng.integers(10, 20_000))
            base = msgspec.msgpack.decode(pool[i % len(pool)], type=Envelope).payload
            payload = _extend(base, ENC("zz"), b"\x91" * levels + b"\x90")
            data = _signed_raw(payload, seq)
        elif family == "extra":
            env = msgspec.msgpack.decode(pool[i % len(pool)], type=Envelope)
            where = rng.integers(0, 3)
            if where == 0:
                data = _signed_raw(_extend(env.payload, ENC("note"), ENC("x")), seq)
            elif where == 1:
                data = _signed_raw(_extend(env.payload, ENC("snr_db"), ENC(99.0)), seq)
            else:
                raw = msgspec.msgpack.decode(envelope_bytes(env))
                raw["note"] = "rides along"
                data = ENC(raw)
        else:
            made, plausible, kind = _physics(rng, seq)
            if made is None:
                families["physics_refused_by_constructor"] += 1
                continue
            data = genuine = made
        verifier = Verifier(RING, SimClock(T0))
        try:
            verdict = verifier.check(data, subject_sender=None)
        except BaseException as e:  # noqa: BLE001 - the figure that must be 0
            out["exceptions"] += 1
            out[f"exception:{type(e).__name__}"] += 1
            continue
        reasons[str(verdict.reason)] += 1
        if verdict.accepted:
            out["accepted"] += 1
            if genuine is None or data != genuine:
                out["unsigned_accepted"] += 1
            elif not plausible:
                out["absurd_accepted"] += 1
        elif family == "physics" and plausible:
            out["plausible_refused"] += 1
    out["seconds"] = time.perf_counter() - t0
    return {"counts": dict(out), "families": dict(families), "reasons": dict(reasons)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=20_000)
    args = ap.parse_args()
    jobs = [(s, min(args.chunk, args.n - s), args.seed) for s in range(0, args.n, args.chunk)]
    t0 = time.perf_counter()
    total: dict[str, Counter] = {"counts": Counter(), "families": Counter(), "reasons": Counter()}
    with mp.Pool(args.workers) as pool:
        for res in pool.imap_unordered(worker, jobs):
            for k in total:
                total[k].update(res[k])
    wall = time.perf_counter() - t0
    counts = total["counts"]
    result = {
        "n": args.n,
        "seed": args.seed,
        "wall_s": round(wall, 1),
        "inputs_per_s": round(args.n / wall),
        "exceptions": counts["exceptions"],
        "unsigned_accepted": counts["unsigned_accepted"],
        "absurd_accepted": counts["absurd_accepted"],
        "plausible_refused": counts["plausible_refused"],
        "accepted": counts["accepted"],
        "families": dict(total["families"]),
        "verdicts": dict(total["reasons"]),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
