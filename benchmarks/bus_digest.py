"""Everything an embedded run puts on the bus, as digests: a check that a change meant to leave
behaviour alone (a speed-up) does, on any scenario and window, wider than the golden figures.

    .venv/bin/python benchmarks/bus_digest.py mass-raid 300     # in a scratch directory

Runs ``lookout demo`` embedded (nodes, exchange, fusion, assessment, warnings) at ``--speed 0``
and prints, as JSON, the SHA-256 of every message published on the memory bus in order (subject
and bytes: detection batches, local tracks, system tracks with their assessments, statuses,
alerts, every relay), the count and a digest per type, and the CPU-seconds taken. Two commits
that behave alike print the same ``all``; compare it between them (e.g. ``PYTHONPATH`` set to
an exported tree of the other commit).

    .venv/bin/python benchmarks/bus_digest.py mass-raid 300 --payloads

compares what is said rather than how it is enveloped (a change of envelopes, issue 16's
``LocalTrackBatch``): per type, recipient and direction, the digest of every payload in order
(the envelopes' headers and signatures left out), a node's batch of local tracks taken apart
into its ``LocalTrack``s (counted as ``local_track``); and, whole, the exchange's own
envelopes (``system_track`` and ``status``: their numbers and signatures too).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict

import lookout
from lookout.app.demo import run_demo_async
from lookout.exchange.envelope import decode, decode_payload
from lookout.exchange.memory import MemoryBus
from lookout.messages import encode_msgpack
from lookout.scenario import ScenarioError, load


def main(scenario: str, duration_s: float, payloads: bool = False) -> dict:
    everything = hashlib.sha256()
    by_type: defaultdict = defaultdict(hashlib.sha256)
    count: Counter[str] = Counter()
    publish = MemoryBus.publish

    def said(subject: str, b: bytes) -> None:
        _, way, who, kind = subject.split(".")
        env = decode(b)
        message = decode_payload(env)
        batch = kind == "local_track_batch"
        key = f"{'local_track' if batch else kind}:{way}:{who}"
        for item in message.tracks if batch else [message]:
            by_type[key].update(encode_msgpack(item))
            count[key] += 1
        if env.sender == "EXCHANGE":
            by_type[key + ":envelopes"].update(b)
            count[key + ":envelopes"] += 1

    async def digested(self, subject: str, data: bytes) -> None:
        b = bytes(data)
        everything.update(subject.encode() + b"\0" + len(b).to_bytes(8, "little") + b)
        if payloads:
            said(subject, b)
        else:
            way = ":out" if subject.startswith("lookout.out") else ":in"
            kind = subject.rsplit(".", 1)[-1] + way
            by_type[kind].update(b)
            count[kind] += 1
        await publish(self, subject, data)

    MemoryBus.publish = digested
    with tempfile.TemporaryDirectory(prefix="lookout-digest-") as tmp:
        cpu0 = time.process_time()
        asyncio.run(run_demo_async(load(scenario), speed=0, duration_s=duration_s,
                                   audit_path=os.path.join(tmp, "audit.sqlite")))  # fmt: skip
        cpu = time.process_time() - cpu0
    return {
        "lookout": os.path.dirname(lookout.__file__),
        "scenario": scenario,
        "duration_s": duration_s,
        "cpu_s": round(cpu, 1),
        "all": everything.hexdigest(),
        "types": {k: [count[k], by_type[k].hexdigest()[:16]] for k in sorted(by_type)},
    }


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--payloads"]
    if len(args) != 2:
        print(__doc__)
        sys.exit(2)
    try:
        duration = float(args[1])
    except ValueError:
        sys.exit(f"bus_digest: duration_s = {args[1]!r}, expected seconds")
    try:
        load(args[0])  # a bad name or file: its one line, not a traceback
    except ScenarioError as e:
        sys.exit(f"bus_digest: {e}")
    print(json.dumps(main(args[0], duration, "--payloads" in sys.argv), indent=1))
