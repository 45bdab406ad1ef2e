"""The exchange's, the fusion's and the assessment's small calls, before and after perf-central
(issue 16).

    .venv/bin/python benchmarks/central_calls.py [REPEAT]

Each pair in one process, alternating, the best of REPEAT rounds, CPU µs per call:

- a report's system-track messages (``CommonPicture._messages`` of 50 tracks) against the same
  tracks one by one through ``_message`` with the numpy state check
  (``messages._check_state_reference``), the checks every report and interim update makes;
- a partner's local track checked (``LocalTrack.check``, at the exchange for every one
  received) with the numpy check and the plain-float one;
- the signature memo remembering 3,000 envelopes past its 2,048 (``SignatureMemo._bound``) in
  plain dicts (the FIFO's first entry found past the deleted ones) and in ordered dicts;
- the nearest coast points of an impact area's fine grid (1,681 points around a point in the
  Sea of Japan, ``Territories._nearest_coast_point``): eight neighbours each
  (``_nearest_of_eight``) against two, and eight only where the two tie.

Checks that each pair gives the same result and prints the figures as JSON.
"""

from __future__ import annotations

import json
import sys
from collections import OrderedDict

import msgspec
import numpy as np
from small_calls import best_us  # this directory's: run as a script

from lookout import messages as m
from lookout.assess.territory import _AREA_FINE, _points_around, _unit, territories
from lookout.exchange.verify import MEMO_NS, SignatureMemo
from lookout.picture.common import CommonPicture
from lookout.picture.fusion import FusedTrack


def _pair(name, old, new, calls, repeat, out) -> None:
    t_old = t_new = np.inf
    for _ in range(2):  # alternating
        t_old = min(t_old, best_us(old, repeat, calls))
        t_new = min(t_new, best_us(new, repeat, calls))
    out[name] = {"before_us": round(t_old, 2), "after_us": round(t_new, 2),
                 "ratio": round(t_old / t_new, 2)}  # fmt: skip


def _tracks(rng: np.random.Generator, n: int) -> list[FusedTrack]:
    out = []
    for k in range(n):
        u = rng.normal(size=3)
        x = np.concatenate([6.6e6 * u / np.linalg.norm(u), rng.normal(0.0, 3e3, 3)])
        a = rng.normal(size=(6, 6)) * np.array([30.0] * 3 + [3.0] * 3)
        out.append(FusedTrack(f"S{k + 1}", 100.0, x, a @ a.T + np.eye(6), 0.1, ("KR", "US")))
    return out


class _PlainMemo(SignatureMemo):
    """The memo as before: plain dicts, the first entry deleted by ``next(iter(...))``."""

    def __init__(self, size: int = 2048) -> None:
        super().__init__(size)
        self._ok, self._opened = {}, {}

    def _bound(self, memo, sent_ns, sent_of) -> None:
        if len(memo) > self.size:
            del memo[next(iter(memo))]
        if self._newest_ns is None or sent_ns > self._newest_ns:
            self._newest_ns = sent_ns
        horizon = self._newest_ns - MEMO_NS
        while memo:
            first = next(iter(memo))
            if sent_of(memo[first]) >= horizon:
                break
            del memo[first]


class _Env:
    def __init__(self, sent_ns: int) -> None:
        self.sent_ns = sent_ns


class _Key:
    def public_bytes_raw(self) -> bytes:
        return b"k" * 32


def _remember_all(memo_type, envelopes) -> int:
    memo, key = memo_type(), _Key()
    for data, env in envelopes:
        memo.remember(data, env, None, key, True, times=None)
    return len(memo._opened)


def main(repeat: int = 3) -> dict:
    rng = np.random.default_rng(16)
    out: dict = {}

    tracks = _tracks(rng, 50)
    picture = CommonPicture()
    ref_check = m._check_state_reference

    def one_by_one():
        saved, m._check_state = m._check_state, ref_check
        try:
            return [picture._message(f, f.t) for f in tracks]
        finally:
            m._check_state = saved

    def batched():
        return picture._messages(tracks, [f.t for f in tracks])

    enc = msgspec.msgpack.encode
    if [enc(s) for s in one_by_one()] != [enc(s) for s in batched()]:
        raise SystemExit("report messages: not the same bytes")
    _pair("report of 50 system tracks", one_by_one, batched, 20, repeat, out)

    f = tracks[0]
    lt = m.LocalTrack(partner="KR", track_id="T1", t_ns=1, x=f.x.tolist(),
                      P=(0.5 * (f.P + f.P.T)).tolist(), boost_prob=0.1, sensors=["r"])  # fmt: skip

    def check_ref():
        m.check_generic(lt)
        ref_check("LocalTrack", lt.x, lt.P)

    _pair("local track check", check_ref, lt.check, 2000, repeat, out)

    envelopes = [(bytes(rng.integers(0, 256, 64, dtype=np.uint8)), _Env(10**9 + k * 10**6))
                 for k in range(5000)]  # fmt: skip
    if _remember_all(_PlainMemo, envelopes) != _remember_all(SignatureMemo, envelopes):
        raise SystemExit("memo: not the same entries")
    _pair("memo of 5,000 envelopes", lambda: _remember_all(_PlainMemo, envelopes),
          lambda: _remember_all(SignatureMemo, envelopes), 2, repeat, out)  # fmt: skip
    out["memo of 5,000 envelopes"]["kept"] = type(SignatureMemo()._opened) is OrderedDict

    t = territories()
    unit, _, _ = _AREA_FINE
    lats, lons = _points_around(np.radians(40.0), np.radians(135.0), np.diag([4e8, 9e8]), unit)
    p = _unit(lats, lons)
    t._nearest_coast_point(p[:1])
    a, b = t._nearest_of_eight(p), t._nearest_coast_point(p)
    if not np.array_equal(a[0], b[0]):
        raise SystemExit("nearest coast points: not the same")
    _pair("nearest coast of 1,681 points", lambda: t._nearest_of_eight(p),
          lambda: t._nearest_coast_point(p), 20, repeat, out)  # fmt: skip
    return out


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=1))
