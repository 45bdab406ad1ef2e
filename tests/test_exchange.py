"""The exchange: messages, keys, envelopes, verification, releasability, audit, replay, buses.

Deterministic: keys derived from a seed, a simulated clock, hand-made detections.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
from pathlib import Path

import msgspec
import pytest

from lookout.exchange import (
    EXCHANGE,
    AuditLog,
    Exchange,
    Keyring,
    MemoryBus,
    Policy,
    PolicyError,
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
    subject_matches,
)
from lookout.exchange import envelope as envelope_mod
from lookout.exchange.audit import read_meta
from lookout.exchange.keys import (
    load_private_key,
    load_public_key,
    public_bytes,
    save_private_key,
    save_public_key,
)
from lookout.exchange.verify import MAX_AGE_NS
from lookout.messages import (
    SCHEMA_VERSION,
    AnyMessage,
    Assessment,
    Detection,
    DetectionBatch,
    Ellipse,
    Envelope,
    Heartbeat,
    LaunchFit,
    LocalTrack,
    LocalTrackBatch,
    SystemTrack,
    decode_json,
    decode_msgpack,
    encode_json,
    encode_msgpack,
    signing_bytes,
)

SEED = "lookout-tests"
PARTNERS = ("KR", "JP", "US")
SENSORS = {p: (f"{p.lower()}-a", f"{p.lower()}-b") for p in PARTNERS}
POLICY = {
    "partners": {p: list(s) for p, s in SENSORS.items()},
    "publish": {
        "KR": {"detections": "all", "local_tracks": "all"},
        "JP": {"detections": "all", "local_tracks": ["jp-a"]},
        "US": {"detections": ["us-a"], "local_tracks": "all"},
    },
    "release": {
        "KR": {
            "JP": "all",
            "US": {"detection": ["kr-a"], "local_track": True, "heartbeat": True},
        },
        "JP": {"KR": ["detection", "local_track", "system_track"], "US": "none"},
        "US": {"KR": {"local_track": True, "system_track": True}, "JP": "all"},
    },
}
# What each recipient may receive from each sender, written out by hand from POLICY (the test
# must not compute it with the code under test). US's "us-b" detections are not published at
# all, JP's tracks from "jp-b" are not published at all.
EXPECTED = {
    ("KR", "JP"): {"kr-a", "kr-b", "local_track", "system_track", "heartbeat"},
    ("KR", "US"): {"kr-a", "local_track", "heartbeat"},
    ("JP", "KR"): {"jp-a", "jp-b", "local_track", "system_track"},
    ("JP", "US"): set(),
    ("US", "KR"): {"local_track", "system_track"},
    ("US", "JP"): {"us-a", "local_track", "system_track", "heartbeat"},
}
T0 = 1_000_000_000_000  # the simulated clock's start, ns


def det(partner="KR", sensor=None, t_ns=T0, r=800e3) -> Detection:
    return Detection(
        t_ns=t_ns, sensor_id=sensor or SENSORS[partner][0], partner=partner, kind="radar",
        z=[r, 0.5, 0.2], R=[[100.0, 0.0, 0.0], [0.0, 1e-6, 0.0], [0.0, 0.0, 1e-6]], snr_db=18.0,
    )  # fmt: skip


def state():
    x = [-3.0e6, 4.0e6, 3.9e6, 1000.0, -2000.0, 3000.0]
    P = [[(100.0 if i < 3 else 1.0) if i == j else 0.0 for j in range(6)] for i in range(6)]
    return x, P


def local_track(partner="KR", sensors=None, track_id="1") -> LocalTrack:
    x, P = state()
    return LocalTrack(
        partner=partner, track_id=track_id, t_ns=T0, x=x, P=P, boost_prob=0.9,
        sensors=list(sensors or SENSORS[partner][:1]),
    )  # fmt: skip


def system_track(partners, track_id="S1") -> SystemTrack:
    x, P = state()
    return SystemTrack(system_track_id=track_id, t_ns=T0, x=x, P=P, partners=list(partners))


class PerSenderFusion:
    """A stand-in fusion: one system track per sender from that sender's data alone, and one
    joint track of every partner heard from so far (when more than one)."""

    def __init__(self):
        self.seen: list[str] = []

    def ingest(self, sender, message):
        if isinstance(message, Heartbeat):
            return []
        if sender not in self.seen:
            self.seen.append(sender)
        out = [system_track([sender], f"S-{sender}")]
        if len(self.seen) > 1:
            out.append(system_track(sorted(self.seen), "S-joint"))
        return out


class Harness:
    """An exchange on a memory bus with a simulated clock, and the partners' keys."""

    def __init__(self, tmp_path, fusion=None, max_bytes=8192):
        self.clock = SimClock(T0)
        self.bus = MemoryBus()
        self.keys = {p: derive_key(SEED, p) for p in PARTNERS}
        self.keyring = Keyring.derived(SEED, PARTNERS)
        self.policy = Policy.from_dict(POLICY)
        self.audit_path = tmp_path / "audit.db"
        self.audit = AuditLog(self.audit_path)
        self.exchange_key = derive_key(SEED, EXCHANGE)
        self.verifier = Verifier(self.keyring, self.clock, max_bytes=max_bytes)
        self.exchange = Exchange(
            self.keyring, self.policy, self.audit, self.bus, self.clock, self.exchange_key,
            fusion, verifier=self.verifier,
        )  # fmt: skip
        self.seq = dict.fromkeys(PARTNERS, 0)
        self.sent: list[tuple[str, bytes]] = []

    async def start(self):
        await self.exchange.start()
        self.picture = await collect(self.bus)

    def envelope(self, message, partner=None, seq=None, sent_ns=None, key=None) -> bytes:
        partner = partner or message.partner
        if seq is None:
            self.seq[partner] = seq = self.seq.get(partner, 0) + 1
        sent_ns = self.clock.now_ns() if sent_ns is None else sent_ns
        key = key or self.keys.get(partner) or derive_key(SEED, partner)
        return envelope_bytes(seal(message, partner, seq, sent_ns, key))

    async def send(self, data: bytes, subject: str):
        self.sent.append((subject, data))
        await self.bus.publish(subject, data)
        await self.exchange.flush()
        self.clock.advance(1_000_000)

    async def send_message(self, message, **kw) -> bytes:
        data = self.envelope(message, **kw)
        partner = kw.get("partner") or message.partner
        await self.send(data, in_subject(partner, type(message).__struct_config__.tag))
        return data

    def received(self, recipient) -> list[bytes]:
        return [d for _, d in self.picture.get(recipient, [])]

    def everything_received(self) -> set[bytes]:
        return {d for items in self.picture.values() for _, d in items}


def run(coro):
    return asyncio.run(coro)


# --- messages ---------------------------------------------------------------------------------


def test_messages_round_trip_json_and_msgpack():
    x, P = state()
    assessment = Assessment(
        t_ns=T0, phase="coast", launch_lat_rad=0.68, launch_lon_rad=2.19,
        launch_time_ns=T0 - 10**11, impact_lat_rad=0.7, impact_lon_rad=2.5,
        impact_time_ns=T0 + 6 * 10**11, iip=False,
        impact_ellipse=Ellipse(semi_major_m=2e4, semi_minor_m=5e3, orientation_rad=1.2),
        apogee_m=9.5e5, range_m=1.0e6, vehicle_class="MRBM", overflown=["JP"],
        impact_area="JP", impact_area_kind="eez",
    )  # fmt: skip
    messages = [
        det(),
        DetectionBatch(partner="KR", sensor_id="kr-a", detections=[det(), det(t_ns=T0 + 1)]),
        local_track(),
        SystemTrack(
            system_track_id="S1", t_ns=T0, x=x, P=P, partners=["KR", "US"], assessment=assessment
        ),  # fmt: skip
        Heartbeat(partner="JP", t_ns=T0, seq=7),
        seal(det(), "KR", 1, T0, derive_key(SEED, "KR")),
    ]
    for m in messages:
        assert decode_json(encode_json(m)) == m
        assert decode_msgpack(encode_msgpack(m)) == m
    assert decode_json(encode_json(messages), type=list[AnyMessage]) == messages
    assert SCHEMA_VERSION == 6


def test_version_6_adds_system_track_notices_and_version_5_tracks_still_decode():
    # Version 6 (issue 13): SystemTrack.notices, numbered; a version-5 track (written without
    # the field) read without the verifier still decodes, with the list empty.
    st = msgspec.structs.replace(system_track(["KR", "US"]), notices=["JP/JP-2024-1"])
    v5 = msgspec.msgpack.decode(encode_msgpack(st))
    del v5["notices"]
    old = decode_msgpack(msgspec.msgpack.encode(v5))
    assert isinstance(old, SystemTrack) and old.notices == [] and old.x == st.x
    as_json = msgspec.json.decode(encode_json(st))
    del as_json["notices"]
    assert decode_json(msgspec.json.encode(as_json)).notices == []
    assert decode_msgpack(encode_msgpack(st)).notices == ["JP/JP-2024-1"]
    doc = (Path(__file__).parent.parent / "docs" / "messages.md").read_text()
    assert "Schema version: **6**" in doc


#: Float fields whose elements mix units (documented by their layout), and a probability.
NO_UNIT = {"x", "P", "z", "R", "boost_prob", "prob"}
UNIT_SUFFIXES = ("_ns", "_s", "_m", "_m2", "_rad", "_db", "_mps")


def _holds_float(t) -> bool:
    if isinstance(t, msgspec.inspect.FloatType):
        return True
    inner = [getattr(t, "item_type", None)] + list(getattr(t, "types", ()))
    return any(_holds_float(i) for i in inner if i is not None)


def test_every_float_field_of_the_wire_names_its_unit():
    import lookout.messages as wire

    structs = [
        v for v in vars(wire).values()
        if isinstance(v, type) and issubclass(v, msgspec.Struct) and v.__module__ == wire.__name__
    ]  # fmt: skip
    assert {"Detection", "Assessment", "Ellipse", "Orbit", "SystemTrack"} <= {
        c.__name__ for c in structs
    }
    missing = [
        f"{cls.__name__}.{f.name}"
        for cls in structs
        for f in msgspec.inspect.type_info(cls).fields
        if _holds_float(f.type) and f.name not in NO_UNIT and not f.name.endswith(UNIT_SUFFIXES)
    ]
    assert missing == []


def test_messages_name_the_bad_field():
    x, P = state()
    with pytest.raises(ValueError, match=r"LocalTrack\.x"):
        LocalTrack(partner="KR", track_id="1", t_ns=0, x=x[:5], P=P, boost_prob=0.5, sensors=[])
    with pytest.raises(ValueError, match=r"SystemTrack\.P"):
        SystemTrack(system_track_id="S", t_ns=0, x=x, P=P[:5], partners=["KR"])
    with pytest.raises(ValueError, match=r"boost_prob"):
        LocalTrack(partner="KR", track_id="1", t_ns=0, x=x, P=P, boost_prob=1.5, sensors=[])
    with pytest.raises(ValueError, match=r"detections\[1\]"):
        DetectionBatch(partner="KR", sensor_id="kr-a", detections=[det(), det(sensor="kr-b")])
    with pytest.raises(msgspec.ValidationError, match=r"signature"):
        env = seal(det(), "KR", 1, T0, derive_key(SEED, "KR"))
        decode_msgpack(encode_msgpack(msgspec.structs.replace(env, signature=b"x")))


def test_a_local_track_batch_round_trips_and_names_its_bad_track():
    """A node's report in one envelope (``LocalTrackBatch``): it round-trips; every track is
    the batch's partner's at the batch's instant, and an implausible one is named by its
    index."""
    a, b = local_track(track_id="1"), local_track(track_id="2")
    batch = LocalTrackBatch(partner="KR", t_ns=T0, tracks=[a, b])
    assert decode_msgpack(encode_msgpack(batch)) == batch
    assert decode_json(encode_json(batch)) == batch
    batch.check()
    with pytest.raises(ValueError, match=r"tracks\[1\]: partner/t_ns JP"):
        LocalTrackBatch(partner="KR", t_ns=T0, tracks=[a, local_track("JP")])
    with pytest.raises(ValueError, match=r"tracks\[1\]: partner/t_ns KR/1000000000001 "):
        LocalTrackBatch(partner="KR", t_ns=T0, tracks=[a, msgspec.structs.replace(b, t_ns=T0 + 1)])
    far = msgspec.structs.replace(b, x=[4e8, 0.0, 0.0, 0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"LocalTrackBatch\.tracks\[1\]: LocalTrack\.x"):
        LocalTrackBatch(partner="KR", t_ns=T0, tracks=[a, far]).check()
    with pytest.raises(ValueError, match=r"0 tracks, expected 1 to"):
        LocalTrackBatch(partner="KR", t_ns=T0, tracks=[]).check()


class Recording:
    """A stand-in fusion that keeps what it is given and returns no system track."""

    def __init__(self):
        self.got: list = []

    def ingest(self, sender, message):
        self.got.append((sender, message))
        return []


def test_a_nodes_report_in_one_envelope_is_released_as_its_tracks_would_be(tmp_path):
    """A ``LocalTrackBatch`` is checked, audited and relayed as one envelope to every partner
    granted the sender's local tracks, and the fusion takes it; a report holding a track whose
    sensors its partner does not publish tracks of is not published, as that track alone
    would not be."""

    async def main():
        h = Harness(tmp_path, fusion=Recording())
        await h.start()
        kr = LocalTrackBatch(partner="KR", t_ns=T0, tracks=[local_track("KR", track_id=str(i))
                                                            for i in range(3)])  # fmt: skip
        jp = LocalTrackBatch(partner="JP", t_ns=T0, tracks=[local_track("JP", ["jp-a"], "1")])
        jp_b = LocalTrackBatch(partner="JP", t_ns=T0, tracks=[
            local_track("JP", ["jp-a"], "1"), local_track("JP", ["jp-b"], "2")])  # fmt: skip
        sent = [await h.send_message(b) for b in (kr, jp, jp_b)]
        return h, sent, (kr, jp)

    h, (kr, jp, jp_b), messages = run(main())
    assert not h.exchange.refused
    assert h.exchange.accepted == {"KR": 1, "JP": 2}
    assert h.exchange.not_published == {"JP": 1}
    # KR releases local tracks to JP and US; JP (jp-a only) to KR, not to US.
    assert kr in h.received("JP") and kr in h.received("US")
    assert jp in h.received("KR") and jp not in h.received("US")
    assert jp_b not in h.everything_received()
    assert h.exchange.fusion.got == [("KR", messages[0]), ("JP", messages[1])]
    assert [r.type for r in read_audit(h.audit_path)] == ["local_track_batch"] * 3


def _launch(**changes) -> LaunchFit:
    fields = {"lat_rad": 0.848, "lon_rad": 0.798, "cov_en_m2": [[4e7, 1e7], [1e7, 9e7]],
              "t_ns": T0 - 60 * 10**9, "t_sigma_s": 3.5} | changes  # fmt: skip
    return LaunchFit(**fields)


def test_a_local_track_carries_its_fitted_launch_over_the_wire():
    # A track started from one infrared satellite (tracking.mono) is sent with the launch its
    # tracker fitted: the one part of it known to better than tens of km.
    track = msgspec.structs.replace(local_track(partner="US"), launch=_launch())
    for data in (encode_json(track), encode_msgpack(track)):
        back = decode_json(data) if data[:1] == b"{" else decode_msgpack(data)
        assert back == track and back.launch.cov_en_m2 == [[4e7, 1e7], [1e7, 9e7]]
    back.check()
    # A partner's track without one decodes with none, as before.
    assert decode_msgpack(encode_msgpack(local_track())).launch is None


def test_a_local_track_says_it_coasts_on_its_fitted_boost_over_the_wire():
    # A one-satellite track, its plume out, coasting on its tracker's fit: the fusion shows it
    # through its coast (``coasting_on_fit``); a track that does not say so is not coasting on
    # one, as before.
    track = msgspec.structs.replace(local_track(partner="US"), launch=_launch(),
                                    coasting_on_fit=True)  # fmt: skip
    for data in (encode_json(track), encode_msgpack(track)):
        back = decode_json(data) if data[:1] == b"{" else decode_msgpack(data)
        assert back == track and back.coasting_on_fit is True
    back.check()
    assert decode_msgpack(encode_msgpack(local_track())).coasting_on_fit is False


@pytest.mark.parametrize(
    ("value", "launch", "field"),
    [
        (True, False, r"LocalTrack\.coasting_on_fit: true, but no launch"),
        ("yes", True, r"coasting_on_fit"),
        (1, True, r"coasting_on_fit"),
    ],
)
def test_a_bad_coasting_on_fit_is_refused_naming_the_field(value, launch, field):
    good = msgspec.structs.replace(local_track(partner="US"), launch=_launch())
    fit = _launch() if launch else None
    with pytest.raises(ValueError, match=field):
        msgspec.structs.replace(good, launch=fit, coasting_on_fit=value)
    # ... and so off the wire: a clear refusal naming it, no traceback from inside.
    raw = msgspec.msgpack.decode(encode_msgpack(good))
    raw["coasting_on_fit"] = value
    raw["launch"] = raw["launch"] if launch else None
    with pytest.raises(msgspec.ValidationError, match=field):
        decode_msgpack(msgspec.msgpack.encode(raw))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lat_rad": 2.0}, r"LocalTrack\.launch\.lat_rad: expected a latitude .* got 2\.0"),
        ({"lon_rad": -4.0}, r"LocalTrack\.launch\.lon_rad: .* got -4\.0"),
        ({"cov_en_m2": [[1e6, 0.0]]}, r"LocalTrack\.launch\.cov_en_m2: expected a 2x2"),
        ({"cov_en_m2": [[1e6, 2e6], [2e6, 1e6]]}, r"cov_en_m2: not positive definite"),
        ({"cov_en_m2": [[1e6, 0.0], [1e3, 1e6]]}, r"cov_en_m2: not symmetric"),
        ({"t_sigma_s": -1.0}, r"LocalTrack\.launch\.t_sigma_s: .* got -1\.0"),
        ({"t_ns": T0 + 1}, r"LocalTrack\.launch\.t_ns: launch at .* after the state"),
    ],
)
def test_a_bad_fitted_launch_is_refused_naming_the_field(changes, field):
    good = msgspec.structs.replace(local_track(partner="US"), launch=_launch())
    with pytest.raises(ValueError, match=field):
        msgspec.structs.replace(good, launch=_launch(**changes))
    # ... and so when it comes off the wire: a clear refusal, no traceback from inside.
    raw = msgspec.msgpack.decode(encode_msgpack(good))
    raw["launch"].update(changes)
    with pytest.raises(msgspec.ValidationError, match=field):
        decode_msgpack(msgspec.msgpack.encode(raw))


def test_signing_bytes_cover_every_header_field():
    base = (2, "KR", 5, T0, "detection", b"payload")
    variants = [
        (3, "KR", 5, T0, "detection", b"payload"),
        (2, "JP", 5, T0, "detection", b"payload"),
        (2, "KR", 6, T0, "detection", b"payload"),
        (2, "KR", 5, T0 + 1, "detection", b"payload"),
        (2, "KR", 5, T0, "heartbeat", b"payload"),
        (2, "KR", 5, T0, "detection", b"payloae"),
        (2, "K", 5, T0, "Rdetection", b"payload"),  # no shifting bytes between fields
    ]
    assert len({signing_bytes(*v) for v in [base, *variants]}) == len(variants) + 1


# --- keys ---------------------------------------------------------------------------------------


def test_keys_derive_save_load(tmp_path):
    a, b = derive_key(SEED, "KR"), derive_key(SEED, "KR")
    assert public_bytes(a) == public_bytes(b) != public_bytes(derive_key(SEED, "JP"))
    for raw in (False, True):
        save_private_key(a, tmp_path / f"KR-{raw}.key", raw=raw)
        save_public_key(a, tmp_path / f"KR-{raw}.pub", raw=raw)
        assert public_bytes(load_private_key(tmp_path / f"KR-{raw}.key")) == public_bytes(a)
        assert public_bytes(load_public_key(tmp_path / f"KR-{raw}.pub")) == public_bytes(a)
    assert (tmp_path / "KR-False.key").stat().st_mode & 0o077 == 0
    (tmp_path / "ring").mkdir()
    save_public_key(a, tmp_path / "ring" / "KR.pub")
    ring = Keyring.from_dir(tmp_path / "ring")
    assert list(ring) == ["KR"] and public_bytes(ring["KR"]) == public_bytes(a)
    env = seal(det(), "KR", 1, T0, a)
    assert envelope_mod.open(envelope_bytes(env), ring["KR"]) == det()
    with pytest.raises(ValueError, match="signature"):
        envelope_mod.open(envelope_bytes(env), derive_key(SEED, "JP").public_key())


# --- refusals -----------------------------------------------------------------------------------


def _forged_wrong_key(h):
    return h.envelope(det(), key=h.keys["JP"]), "KR", Reason.FORGED


def _tampered_payload(h):
    env = envelope_mod.decode(h.envelope(det()))
    payload = encode_msgpack(det(r=900e3))  # still a valid detection, but not the signed one
    return envelope_bytes(msgspec.structs.replace(env, payload=payload)), "KR", Reason.FORGED


def _tampered_header(h):
    env = envelope_mod.decode(h.envelope(det()))
    return envelope_bytes(msgspec.structs.replace(env, seq=env.seq + 100)), "KR", Reason.FORGED


def _replayed(h):
    # Sequence number 1 again, validly signed, but not the envelope taken as number 1.
    return h.envelope(det(r=900e3), seq=1), "KR", Reason.REPLAYED


def _duplicate(h):
    # The very envelope taken before (a redelivery): relayed again, never fused twice.
    return h.sent[0][1], "KR", Reason.DUPLICATE


def _payload_an_hour_ahead(h):
    return h.envelope(det(t_ns=h.clock.now_ns() + 3600 * 10**9)), "KR", Reason.TIME


def _implausible(h):
    x, P = state()
    x[0] = 1e300
    track = LocalTrack(partner="KR", track_id="9", t_ns=h.clock.now_ns(), x=x, P=P,
                       boost_prob=0.5, sensors=["kr-a"])  # fmt: skip
    return h.envelope(track), "KR", Reason.IMPLAUSIBLE


def _stale_future(h):
    t = h.clock.now_ns() + 3 * 10**9
    return h.envelope(det(t_ns=t), sent_ns=t), "KR", Reason.STALE


def _garbage(h):
    return b"\x93\x01garbage", "KR", Reason.MALFORMED


def _wrong_version(h):
    env = envelope_mod.decode(h.envelope(det()))
    old = msgspec.structs.replace(env, version=1)
    signed = h.keys["KR"].sign(
        signing_bytes(1, "KR", env.seq, env.sent_ns, env.payload_type, env.payload)
    )
    return envelope_bytes(msgspec.structs.replace(old, signature=signed)), "KR", Reason.MALFORMED


def _wrong_payload_type(h):
    # Correctly signed, but the payload is a detection while the header says local_track.
    payload = encode_msgpack(det())
    sig = h.keys["KR"].sign(signing_bytes(SCHEMA_VERSION, "KR", 99, T0, "detection", payload))
    env = Envelope(
        version=SCHEMA_VERSION, sender="KR", seq=99, sent_ns=T0, payload_type="local_track",
        payload=payload, signature=sig,
    )  # fmt: skip
    return envelope_bytes(env), "KR", Reason.MALFORMED


def _other_partners_data(h):
    # KR signs a detection that claims to be JP's.
    return h.envelope(det(partner="JP"), partner="KR"), "KR", Reason.MALFORMED


def _on_another_partners_subject(h):
    # KR's own, valid envelope published on JP's subject: counted against the subject's JP.
    return h.envelope(det()), "JP", Reason.MALFORMED


def _unknown_sender(h):
    return h.envelope(det(partner="XX", sensor="xx-a")), "XX", Reason.UNKNOWN_SENDER


def _oversize(h):
    many = [det(t_ns=T0 + i) for i in range(200)]
    batch = DetectionBatch(partner="KR", sensor_id="kr-a", detections=many)
    return h.envelope(batch), "KR", Reason.OVERSIZE


BAD = {
    "forged-wrong-key": _forged_wrong_key,
    "tampered-payload": _tampered_payload,
    "tampered-header": _tampered_header,
    "replayed": _replayed,
    "duplicate": _duplicate,
    "time-ahead": _payload_an_hour_ahead,
    "implausible": _implausible,
    "stale-future": _stale_future,
    "malformed-garbage": _garbage,
    "malformed-version": _wrong_version,
    "malformed-payload-type": _wrong_payload_type,
    "malformed-other-partner": _other_partners_data,
    "malformed-subject": _on_another_partners_subject,
    "unknown-sender": _unknown_sender,
    "oversize": _oversize,
}


@pytest.mark.parametrize("case", BAD)
def test_bad_envelope_refused_counted_and_exchange_goes_on(tmp_path, case):
    async def main():
        h = Harness(tmp_path, fusion=PerSenderFusion())
        await h.start()
        first = await h.send_message(det())
        bad, partner, reason = BAD[case](h)
        kind = "local_track" if case in ("malformed-payload-type", "implausible") else "detection"
        if case == "oversize":
            kind = "detection_batch"
        await h.send(bad, in_subject(partner, kind))
        after = await h.send_message(det(t_ns=T0 + 5))
        return h, first, bad, partner, reason, after

    h, first, bad, partner, reason, after = run(main())
    refused = {p: dict(c) for p, c in h.exchange.refused.items() if c}
    assert refused == {partner: {reason: 1}}
    assert bad not in h.everything_received() or case == "duplicate"
    # A duplicate's bytes are the first message's: relayed again (a redelivery after a crash may
    # have lost the first relay); the broker's duplicate window or the recipient drops it.
    for recipient in ("JP", "US"):
        assert h.received(recipient).count(first) == (2 if case == "duplicate" else 1)
        assert after in h.received(recipient)
    assert "KR" not in h.picture or all(
        envelope_mod.decode(d).sender == EXCHANGE for d in h.received("KR")
    )
    records = list(read_audit(h.audit_path))
    assert [r.verdict for r in records] == ["accepted", "refused", "accepted"]
    assert records[1].reason == reason and records[1].data == bad
    assert h.exchange.system_tracks == 2  # the refused one reached no fusion


def test_sealer_numbers_and_stamps():
    clock = SimClock(T0)
    sealer = Sealer("KR", derive_key(SEED, "KR"), clock, seq_start=41)
    subject, data = sealer.seal_for_bus(det())
    clock.advance(5)
    e2 = sealer.seal(Heartbeat(partner="KR", t_ns=T0, seq=1))
    e1 = envelope_mod.decode(data)
    assert subject == "lookout.in.KR.detection"
    assert (e1.seq, e1.sent_ns, e2.seq, e2.sent_ns) == (42, T0, 43, T0 + 5)


def test_replay_window_accepts_reordering_and_refuses_repeats():
    ring = Keyring.derived(SEED, ["KR"])
    key = derive_key(SEED, "KR")
    clock = SimClock(T0)
    v = Verifier(ring, clock, window=8)

    def check(seq, r=800e3):
        return v.check(envelope_bytes(seal(det(r=r), "KR", seq, T0, key))).reason

    D, R = Reason.DUPLICATE, Reason.REPLAYED
    assert [check(s) for s in (10, 12, 11, 9, 12, 3, 19, 11, 13)] == [
        None, None, None, None, D, R, None, D, None,
    ]  # fmt: skip
    assert check(13, r=900e3) == R  # the same number, another envelope: a replay
    # A forged envelope with a huge seq does not move the mark.
    forged = envelope_bytes(seal(det(), "KR", 10**12, T0, derive_key(SEED, "JP")))
    assert v.check(forged).reason == Reason.FORGED
    assert check(20) is None
    # A validly signed jump to the end of the numbers is refused: the sender is not locked out.
    assert check(2**63 - 1) == Reason.SEQUENCE
    assert check(20 + 2**33) == Reason.SEQUENCE
    assert check(21) is None
    # Windows are per payload type: a sender's batching reorders across types, not within one.
    hb = Heartbeat(partner="KR", t_ns=T0, seq=1)
    assert v.check(envelope_bytes(seal(hb, "KR", 5, T0, key))).reason is None
    assert v.check(envelope_bytes(seal(hb, "KR", 5, T0 + 1, key))).reason == R


# --- releasability ------------------------------------------------------------------------------


def test_releasability_every_ordered_pair_and_class(tmp_path):
    async def main():
        h = Harness(tmp_path, fusion=PerSenderFusion())
        await h.start()
        sent = {}
        for sender in PARTNERS:
            for sensor in SENSORS[sender]:
                sent[sender, sensor] = await h.send_message(det(sender, sensor))
            for sensor in SENSORS[sender]:
                tr = local_track(sender, [sensor], track_id=sensor)
                sent[sender, "local_track", sensor] = await h.send_message(tr)
            sent[sender, "heartbeat"] = await h.send_message(
                Heartbeat(partner=sender, t_ns=T0, seq=1)
            )
        return h, sent

    h, sent = run(main())
    assert not h.exchange.refused
    for sender, recipient in itertools.permutations(PARTNERS, 2):
        got = set(h.received(recipient))
        allowed = EXPECTED[sender, recipient]
        for sensor in SENSORS[sender]:
            assert (sent[sender, sensor] in got) == (sensor in allowed), (sender, recipient, sensor)
            published = sensor in POLICY["publish"][sender]["local_tracks"] or (
                POLICY["publish"][sender]["local_tracks"] == "all"
            )
            track = sent[sender, "local_track", sensor]
            assert (track in got) == ("local_track" in allowed and published)
        assert (sent[sender, "heartbeat"] in got) == ("heartbeat" in allowed)
        # System tracks: the per-sender one arrives iff system_track is released.
        tracks = [envelope_mod.decode(d) for d in got]
        ids = {
            envelope_mod.decode_payload(e).system_track_id
            for e in tracks
            if e.payload_type == "system_track"
        }
        assert (f"S-{sender}" in ids) == ("system_track" in allowed), (sender, recipient)
    # Nothing partner-sent reaches its own sender, and every system track is EXCHANGE-signed.
    for p in PARTNERS:
        for d in h.received(p):
            e = envelope_mod.decode(d)
            assert e.sender != p
            assert (e.sender == EXCHANGE) == (e.payload_type == "system_track")


def test_joint_system_track_needs_every_contributor_released(tmp_path):
    async def main():
        h = Harness(tmp_path, fusion=PerSenderFusion())
        await h.start()
        for p in PARTNERS:
            await h.send_message(det(p, SENSORS[p][0]))
        return h

    h = run(main())

    def joint(recipient):
        out = []
        for d in h.received(recipient):
            e = envelope_mod.decode(d)
            if e.payload_type == "system_track":
                m = envelope_mod.decode_payload(e)
                if m.system_track_id == "S-joint":
                    out.append(tuple(m.partners))
        return out

    # After JP: joint (JP, KR). After US: joint (JP, KR, US).
    # KR and JP each have system tracks released by both others: they get every joint track.
    assert joint("KR") == joint("JP") == [("JP", "KR"), ("JP", "KR", "US")]
    # Neither KR nor JP releases system tracks to US: US gets no joint track, only its own.
    assert joint("US") == []
    own = [envelope_mod.decode_payload(envelope_mod.decode(d)) for d in h.received("US")]
    assert [m.system_track_id for m in own if isinstance(m, SystemTrack)] == ["S-US"]
    assert h.exchange.withheld["US"] == 4  # S-KR, S-JP and both joint tracks


def test_policy_example_and_errors_name_the_field(tmp_path):
    from importlib.resources import files

    example = Policy.load(files("lookout.exchange") / "policy-example.yaml")
    assert example.partners == ["KR", "JP", "US"]
    cases = [
        ({**POLICY, "release": {"CN": {}}}, r"release: unknown partner 'CN'"),
        ({**POLICY, "release": {"KR": {"JP": {"detection": ["jp-a"]}}}},
         r"release\.KR\.JP\.detection: unknown sensor 'jp-a'"),
        ({**POLICY, "release": {"KR": {"JP": ["tracks"]}}}, r"release\.KR\.JP: unknown class"),
        ({**POLICY, "release": {"KR": {"JP": {"heartbeat": "yes"}}}},
         r"release\.KR\.JP\.heartbeat: expected true or false, got 'yes'"),
        ({**POLICY, "publish": {"KR": {"detections": ["zz"]}}},
         r"publish\.KR\.detections: unknown sensor 'zz'"),
        ({**POLICY, "publish": {"KR": {"raw": True}}}, r"publish\.KR\.raw: unknown field"),
        ({"partners": {}}, r"partners: expected at least one"),
    ]  # fmt: skip
    for data, message in cases:
        with pytest.raises(PolicyError, match=message):
            Policy.from_dict(data)
    bad = tmp_path / "bad.yaml"
    bad.write_text("partners: {KR: []}\nrelease: {KR: {JP: all}}\n")
    with pytest.raises(PolicyError, match=r"bad\.yaml: release\.KR: unknown partner 'JP'"):
        Policy.load(bad)


# --- audit and replay ---------------------------------------------------------------------------


def test_audit_is_append_only_and_complete(tmp_path):
    async def main():
        h = Harness(tmp_path)
        await h.start()
        for i in range(5):
            await h.send_message(det(t_ns=T0 + i))
        await h.send(b"junk", in_subject("JP", "detection"))
        await h.send(h.sent[0][1], h.sent[0][0])
        return h

    h = run(main())
    records = list(read_audit(h.audit_path))
    assert [(r.subject, r.data) for r in records] == h.sent
    assert [r.verdict for r in records] == ["accepted"] * 5 + ["refused"] * 2
    assert [r.reason for r in records[5:]] == ["malformed", "duplicate"]
    assert [r.seq for r in records] == [1, 2, 3, 4, 5, None, 1]
    assert records[5].sender == "JP" and records[6].received_ns > records[0].received_ns
    h.audit.put_meta("policy", "partners: {KR: []}")
    assert read_meta(h.audit_path) == {"audit_format": "2", "policy": "partners: {KR: []}"}
    db = sqlite3.connect(h.audit_path)
    for sql in (
        "UPDATE envelopes SET verdict='accepted'",
        "DELETE FROM envelopes",
        "UPDATE meta SET value='x'",
        "DELETE FROM meta",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(sql)


def test_audit_flush_async_returns_once_committed_and_raises_a_failed_write(tmp_path):
    """The exchange's ``before_ack`` waits on the writer thread through ``flush_async``: it
    must not return before every row appended so far is committed (an inbound message is
    acked on it), and must raise, as ``flush`` does, when the write fails."""
    log = AuditLog(tmp_path / "a.sqlite")
    gate = threading.Event()
    write = log._write

    def held_write():  # the writer's commit held until the test lets it go
        gate.wait(5.0)
        write()

    log._write = held_write

    async def main():
        for i in range(3):
            log.append(i, "lookout.in.KR.heartbeat", "KR", i, "heartbeat", "accepted", None, "",
                       b"x")  # fmt: skip
        waiting = asyncio.ensure_future(log.flush_async())
        await asyncio.sleep(0.1)
        assert not waiting.done() and log.committed_through() == 0
        gate.set()
        await asyncio.wait_for(waiting, 5.0)
        assert log.committed_through() == 3
        await log.flush_async()  # nothing pending: returns at once

        def failing():
            raise sqlite3.OperationalError("disk I/O error")

        log._write = failing
        log.append(9, "lookout.in.KR.heartbeat", "KR", 9, "heartbeat", "accepted", None, "", b"y")
        with pytest.raises(RuntimeError, match="write failed"):
            await asyncio.wait_for(log.flush_async(), 5.0)
        log._write = write  # the row waited: committed by the next write
        await asyncio.wait_for(log.flush_async(), 5.0)
        assert log.committed_through() == 4

    asyncio.run(main())
    log.close()
    assert [r.seq for r in read_audit(tmp_path / "a.sqlite")] == [0, 1, 2, 9]


def test_replay_equals_live(tmp_path):
    async def main():
        h = Harness(tmp_path, fusion=PerSenderFusion())
        await h.start()
        for step in range(4):
            for p in PARTNERS:
                for sensor in SENSORS[p]:
                    await h.send_message(det(p, sensor, t_ns=T0 + step))
                await h.send_message(local_track(p, track_id=str(step)))
            await h.send_message(Heartbeat(partner="KR", t_ns=T0, seq=step))
            # Some bad ones in between; they must change nothing.
            await h.send(h.sent[-1][1], h.sent[-1][0])
            await h.send(b"\x00", in_subject("US", "detection"))
            await h.send(h.envelope(det("JP"), key=h.keys["US"]), in_subject("JP", "detection"))
        await h.bus.close()
        h.audit.close()
        return h

    h = run(main())
    live = h.picture
    assert sum(len(v) for v in live.values()) > 50
    replayed = replay(h.audit_path, h.keyring, h.policy, h.exchange_key, PerSenderFusion())
    assert replayed == live


def test_a_log_of_another_schema_version_is_refused_on_replay(tmp_path, monkeypatch):
    """A log written by an older Lookout (schema 4 before the unit suffixes of 5) does not replay:
    its first envelope, accepted live, is refused as malformed, and the error names both
    versions (docs/messages.md, version history)."""
    from lookout.exchange import verify as verify_mod
    from lookout.exchange.replay import ReplayError

    async def main():
        h = Harness(tmp_path, fusion=PerSenderFusion())
        await h.start()
        await h.send_message(det())
        await h.send_message(Heartbeat(partner="KR", t_ns=T0, seq=1))
        await h.bus.close()
        h.audit.close()
        return h

    for module in (envelope_mod, verify_mod):
        monkeypatch.setattr(module, "SCHEMA_VERSION", SCHEMA_VERSION - 1)
    h = run(main())
    monkeypatch.undo()
    assert [r.verdict for r in read_audit(h.audit_path)] == ["accepted"] * 2
    old = SCHEMA_VERSION - 1
    expected = rf"record 1: accepted.*malformed.*version: expected {SCHEMA_VERSION}, got {old}"
    with pytest.raises(ReplayError, match=expected):
        replay(h.audit_path, h.keyring, h.policy, h.exchange_key, PerSenderFusion())


def test_deliveries_of_another_schema_version_are_refused(tmp_path, monkeypatch):
    """A node's kept deliveries (``lookout.app.warn_run``) decode leniently, a renamed field
    as null: a file of another schema version is refused, not misread."""
    from lookout.app.warn_run import decide_again

    monkeypatch.setattr(envelope_mod, "SCHEMA_VERSION", SCHEMA_VERSION - 1)
    old = envelope_bytes(seal(det(), "KR", 1, T0, derive_key(SEED, "KR")))
    monkeypatch.undo()
    kept = tmp_path / "deliveries.msgpack"
    kept.write_bytes(msgspec.msgpack.encode({"KR": [["lookout.out.KR.detection", old]]}))
    with pytest.raises(ValueError, match=rf"schema version \[{SCHEMA_VERSION - 1}\]"):
        decide_again(None, kept, sim=object())


# --- fusion errors, buses -----------------------------------------------------------------------


def test_fusion_error_is_counted_and_exchange_goes_on(tmp_path):
    class Broken:
        def ingest(self, sender, message):
            raise RuntimeError("boom")

    async def main():
        h = Harness(tmp_path, fusion=Broken())
        await h.start()
        a = await h.send_message(det())
        b = await h.send_message(det(t_ns=T0 + 1))
        return h, a, b

    h, a, b = run(main())
    assert h.exchange.fusion_errors == 2
    assert h.received("JP") == [a, b]


def test_system_tracks_older_than_the_freshness_window_are_not_sent(tmp_path):
    """A restarted exchange's fusion catching up on a backlog makes system tracks older than the
    freshness window: every partner would refuse them as too old for their envelope, so none is
    sent, and each is counted as shed."""

    class SameTime:  # one system track per message, at the message's time, as the fusion does
        def ingest(self, sender, message):
            x, P = state()
            return [SystemTrack(system_track_id="S1", t_ns=message.t_ns, x=x, P=P,
                                partners=[sender])]  # fmt: skip

    async def main():
        h = Harness(tmp_path, fusion=SameTime())
        await h.start()
        now = h.clock.now_ns()
        # Sent 5 s ago (fused: under the 6 s at which local tracks are shed), of 14 s ago.
        old = msgspec.structs.replace(local_track("KR"), t_ns=now - 14_000_000_000)
        await h.send_message(old, sent_ns=now - 5_000_000_000)
        fresh = msgspec.structs.replace(local_track("KR"), t_ns=h.clock.now_ns() - 2_000_000_000)
        await h.send_message(fresh)
        return h, fresh

    h, fresh = run(main())
    sent = [envelope_mod.decode(d) for d in h.received("JP")]
    tracks = [(e, envelope_mod.decode_payload(e)) for e in sent if e.payload_type == "system_track"]
    assert [st.t_ns for _, st in tracks] == [fresh.t_ns]
    assert all(st.t_ns >= e.sent_ns - MAX_AGE_NS for e, st in tracks)
    assert h.exchange.shed["system_track"] == 1
    assert h.exchange.system_tracks == 2


def test_partners_cannot_publish_system_tracks(tmp_path):
    async def main():
        h = Harness(tmp_path, fusion=PerSenderFusion())
        await h.start()
        data = h.envelope(system_track(["KR"]), partner="KR")
        await h.send(data, in_subject("KR", "system_track"))
        return h

    h = run(main())
    assert h.exchange.not_published == {"KR": 1}
    assert h.exchange.system_tracks == 0 and not h.picture


def test_subject_wildcards():
    cases = [
        ("lookout.in.>", "lookout.in.KR.detection", True),
        ("lookout.in.>", "lookout.in", False),
        ("lookout.in.*.detection", "lookout.in.KR.detection", True),
        ("lookout.in.*.detection", "lookout.in.KR.heartbeat", False),
        ("lookout.*.KR.>", "lookout.out.KR.system_track", True),
        ("lookout.out.KR.*", "lookout.out.KR.system_track.extra", False),
        ("lookout.out.KR.detection", "lookout.out.KR.detection", True),
        ("lookout.out.KR", "lookout.out.KR.detection", False),
        ("*", "lookout", True),
        (">", "a.b.c", True),
    ]
    for pattern, subject, expected in cases:
        assert subject_matches(pattern, subject) == expected, (pattern, subject)


def test_memory_bus_routes_fifo_and_survives_handler_errors():
    async def main():
        bus = MemoryBus()
        got: dict[str, list] = {"all": [], "kr": [], "det": [], "bad": []}

        def rec(name):
            async def handler(subject, data):
                got[name].append((subject, data))
                if name == "kr" and data == b"1":
                    await bus.publish("lookout.out.JP.detection", b"from-handler")

            return handler

        async def broken(subject, data):
            raise RuntimeError("subscriber bug")

        await bus.subscribe("lookout.>", rec("all"))
        await bus.subscribe("lookout.in.KR.*", rec("kr"))
        await bus.subscribe("lookout.*.*.detection", rec("det"))
        await bus.subscribe("lookout.in.KR.detection", broken)
        await bus.publish("lookout.in.KR.detection", b"1")
        await bus.publish("lookout.in.JP.heartbeat", b"2")
        await bus.publish("elsewhere.x", b"3")
        await bus.flush()
        with pytest.raises(ValueError, match="wildcards"):
            await bus.publish("lookout.in.*", b"x")
        await bus.close()
        return got, bus

    got, bus = run(main())
    assert got["all"] == [
        ("lookout.in.KR.detection", b"1"),
        ("lookout.in.JP.heartbeat", b"2"),
        ("lookout.out.JP.detection", b"from-handler"),
    ]
    assert got["kr"] == [("lookout.in.KR.detection", b"1")]
    assert got["det"] == [
        ("lookout.in.KR.detection", b"1"),
        ("lookout.out.JP.detection", b"from-handler"),
    ]
    assert bus.handler_errors == 1


def test_bench_exchange_smoke():
    from lookout.bench.exchange import bench_exchange

    r = bench_exchange(rate=600, seconds=0.5, warmup_s=0.1)
    assert r["bus"] == "memory" and r["refused"] == 0
    assert r["delivered"] == r["created"] == 300
    assert 0 < r["p50_ms"] <= r["p99_ms"]


def test_docs_messages_examples_run():
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "messages.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/messages.md", "exec"), {})


def test_a_shared_signature_memo_verifies_once_and_never_passes_a_forgery():
    from lookout.exchange.verify import SignatureMemo

    keyring = Keyring.derived(SEED, ["KR", "JP"])
    memo = SignatureMemo(size=2)
    first, second = (Verifier(keyring, SimClock(T0), signatures=memo) for _ in range(2))
    env = seal(det(), "KR", 1, T0, derive_key(SEED, "KR"))
    data = envelope_bytes(env)
    assert first.check(data).message is not None
    assert second.check(data).message is not None  # the same bytes: verified once
    assert memo.hits == 1
    # The same header and payload under another signature, another's key, or with the payload
    # changed under the memoised signature: each refused as forged.
    other = seal(det(r=801e3), "KR", 2, T0, derive_key(SEED, "KR"))
    forged = [
        msgspec.structs.replace(env, signature=bytes(64)),
        msgspec.structs.replace(env, seq=3),
        msgspec.structs.replace(other, signature=env.signature, seq=1),
        seal(det(), "KR", 4, T0, derive_key(SEED, "JP")),
    ]
    for f in forged:
        assert (
            Verifier(keyring, SimClock(T0), signatures=memo).check(envelope_bytes(f)).reason
            is Reason.FORGED
        )
    assert memo.hits == 1
    for seq in (5, 6, 7):  # bounded: the oldest go
        Verifier(keyring, SimClock(T0), signatures=memo).check(
            envelope_bytes(seal(det(), "KR", seq, T0, derive_key(SEED, "KR")))
        )
    assert len(memo._ok) == 2


def test_a_shared_memo_opens_an_envelope_once_and_each_verifier_still_judges_it():
    from lookout.exchange.verify import SignatureMemo

    keyring = Keyring.derived(SEED, ["KR", "JP"])
    memo = SignatureMemo()
    data = envelope_bytes(seal(det(), "KR", 1, T0, derive_key(SEED, "KR")))
    # Without the memo and with it: the same verdicts, the same message.
    alone = Verifier(keyring, SimClock(T0)).check(data)
    first = Verifier(keyring, SimClock(T0), signatures=memo).check(data)
    second_v = Verifier(keyring, SimClock(T0), signatures=memo)
    second = second_v.check(data)
    assert memo.hits == 1
    assert alone.message == first.message == second.message
    assert second.message is first.message  # opened once
    # The receiver's own checks still run on a memo hit: replay, the subject's claims, time.
    assert second_v.check(data).reason is Reason.DUPLICATE
    assert (
        Verifier(keyring, SimClock(T0), signatures=memo).check(data, subject_sender="JP").reason
        is Reason.MALFORMED
    )
    assert (
        Verifier(keyring, SimClock(T0), signatures=memo).check(data, subject_type="heartbeat")
        .reason is Reason.MALFORMED
    )  # fmt: skip
    assert (
        Verifier(keyring, SimClock(T0 + 60 * 10**9), signatures=memo).check(data).reason
        is Reason.LATE
    )
    # A keyring with another key for the sender does not take the memo's word: forged.
    other = Keyring({"KR": derive_key(SEED, "JP").public_key(), "JP": keyring["JP"]})
    assert Verifier(other, SimClock(T0), signatures=memo).check(data).reason is Reason.FORGED
    # Opened without the physics: a verifier that checks them checks them.
    bad = envelope_bytes(seal(det(r=1e300), "KR", 2, T0, derive_key(SEED, "KR")))
    lax = Verifier(keyring, SimClock(T0), signatures=memo, plausibility=False).check(bad)
    assert lax.message is not None
    strict = Verifier(keyring, SimClock(T0), signatures=memo).check(bad)
    assert strict.reason is Reason.IMPLAUSIBLE


def test_what_a_sealer_of_this_process_sealed_is_not_opened_again_and_still_judged(monkeypatch):
    """The embedded form: what a node's ``Sealer`` seals is kept in the process's memo, so the
    exchange's verifier takes it without decoding it again or verifying the signature made
    here. The verdicts are those of a verifier that opens everything: the physics are still
    checked (an implausible message refused as implausible, with the same detail), as are the
    receiver's own checks, a keyring holding another key for the sender, and a payload that
    names another partner."""
    from lookout.exchange import verify
    from lookout.exchange.verify import SignatureMemo

    opened = []
    for name in ("decode", "signed_ok", "signature_ok"):
        real = getattr(verify, name)
        monkeypatch.setattr(verify, name, lambda *a, _f=real, _n=name: opened.append(_n) or _f(*a))
    keyring = Keyring.derived(SEED, ["KR", "JP"])
    memo = SignatureMemo()
    clock = SimClock(T0)
    sealer = Sealer("KR", derive_key(SEED, "KR"), clock, memo=memo)
    exchange_side = Verifier(keyring, clock, signatures=memo)

    def both(message):
        """The exchange's verdict on what the sealer sealed, and an opening verifier's."""
        subject, data = sealer.seal_for_bus(message)
        kind = subject.rsplit(".", 1)[-1]
        opened.clear()
        got = exchange_side.check(data, subject_sender="KR", subject_type=kind)
        by_memo = not opened
        alone = Verifier(keyring, SimClock(T0)).check(data, subject_sender="KR", subject_type=kind)
        return data, got, alone, by_memo

    data, got, alone, by_memo = both(local_track())
    assert by_memo and got.accepted and alone.accepted
    assert got.message == alone.message == local_track()
    assert exchange_side.check(data).reason is Reason.DUPLICATE  # its own replay check
    # The node's other receivers take it from the memo too, its physics now checked.
    opened.clear()
    assert Verifier(keyring, clock, signatures=memo).check(data).accepted and not opened

    x, P = state()
    x[0] = 1e300
    far = LocalTrack(partner="KR", track_id="9", t_ns=T0, x=x, P=P, boost_prob=0.5,
                     sensors=["kr-a"])  # fmt: skip
    _, got, alone, _ = both(far)
    assert got.reason is alone.reason is Reason.IMPLAUSIBLE
    assert got.detail == alone.detail

    _, got, alone, by_memo = both(local_track(partner="JP"))  # KR sealing JP's track
    assert not by_memo and got.reason is alone.reason is Reason.MALFORMED

    # A keyring with another key for KR does not take the memo's word: forged.
    _, data = sealer.seal_for_bus(det())
    other = Keyring({"KR": derive_key(SEED, "JP").public_key(), "JP": keyring["JP"]})
    assert Verifier(other, clock, signatures=memo).check(data).reason is Reason.FORGED
    # Without a memo, nothing is kept: every verifier opens what it gets.
    _, data = Sealer("KR", derive_key(SEED, "KR"), clock, seq_start=100).seal_for_bus(det())
    opened.clear()
    assert exchange_side.check(data).accepted and "signed_ok" in opened


def test_a_shared_memo_works_out_a_messages_times_once_and_each_verifier_judges_them(
    monkeypatch,
):
    """The times a message speaks of (a batch's detections', a walk of every field) depend on
    its bytes alone: worked out by the verifier that opens the envelope and kept in the memo;
    every receiver still holds them against its own clock, and refuses them as before."""
    from lookout.exchange import verify
    from lookout.exchange.verify import SignatureMemo
    from lookout.messages import payload_times

    walks = []
    monkeypatch.setattr(verify, "payload_times", lambda m: walks.append(m) or payload_times(m))
    keyring = Keyring.derived(SEED, ["KR", "JP"])
    memo = SignatureMemo()
    sent = T0 + 10**9
    # Detections up to 1.5 s after the envelope's sent_ns (inside its 2 s ahead).
    batch = DetectionBatch(partner="KR", sensor_id=SENSORS["KR"][0],
                           detections=[det(t_ns=sent), det(t_ns=sent + 1_500_000_000)])  # fmt: skip
    data = envelope_bytes(seal(batch, "KR", 1, sent, derive_key(SEED, "KR")))
    got = [Verifier(keyring, SimClock(sent), signatures=memo).check(data) for _ in range(3)]
    assert all(v.accepted for v in got) and memo.hits == 2
    assert len(walks) == 1  # once, not once per receiver
    # A receiver whose clock is 1 s behind the sender's: the envelope is not ahead of its
    # window, the last detection is (1.5 s after sent_ns, 2.5 s after its clock): refused as
    # without the memo, with the same detail.
    behind = Verifier(keyring, SimClock(T0), signatures=memo).check(data)
    alone = Verifier(keyring, SimClock(T0)).check(data)
    assert memo.hits == 3
    assert behind.reason is alone.reason is Reason.TIME
    assert behind.detail == alone.detail
    assert "ahead of the receiver's clock" in behind.detail


def test_the_memo_tells_apart_envelopes_that_end_alike():
    from lookout.exchange.verify import SignatureMemo

    keyring = Keyring.derived(SEED, ["KR"])
    memo = SignatureMemo()
    data = envelope_bytes(seal(det(), "KR", 1, T0, derive_key(SEED, "KR")))
    assert Verifier(keyring, SimClock(T0), signatures=memo).check(data).message is not None
    # Other bytes with the same last 64 (the signature) are not taken from the memo.
    other = envelope_bytes(seal(det(r=801e3), "KR", 1, T0, derive_key(SEED, "KR")))
    forged = other[:-64] + data[-64:]
    assert Verifier(keyring, SimClock(T0), signatures=memo).check(forged).reason is Reason.FORGED
    assert memo.hits == 0
    assert Verifier(keyring, SimClock(T0), signatures=memo).check(bytes(data)).accepted
    assert memo.hits == 1


def test_the_exchanges_own_system_tracks_are_opened_once_in_one_process(tmp_path):
    """With a ``SignatureMemo`` (the embedded form) the exchange keeps each system track it
    seals as opened: a node's verifier takes it from the memo (the same message, no Ed25519,
    no decoding), still judges replays, and a node whose keyring holds another key for the
    exchange does not take the memo's word."""
    from lookout.exchange.verify import SignatureMemo

    class SameTime:
        def ingest(self, sender, message):
            x, P = state()
            return [SystemTrack(system_track_id="S1", t_ns=message.t_ns, x=x, P=P,
                                partners=[sender])]  # fmt: skip

    memo = SignatureMemo()

    async def main():
        h = Harness(tmp_path, fusion=SameTime())
        h.verifier.signatures = memo
        await h.start()
        await h.send_message(local_track("KR"))
        return h

    h = run(main())
    (data,) = [d for s, d in h.picture["JP"] if s.endswith(".system_track")]
    ring = Keyring.derived(SEED, [*PARTNERS, EXCHANGE])
    alone = Verifier(ring, SimClock(T0)).check(data)
    hits = memo.hits
    node = Verifier(ring, SimClock(T0), signatures=memo)
    got = node.check(data)
    assert got.accepted and memo.hits == hits + 1
    assert got.message == alone.message and got.envelope == alone.envelope
    assert node.check(data).reason is Reason.DUPLICATE
    wrong = derive_key(SEED, "JP").public_key()
    other = Keyring({**{p: ring[p] for p in PARTNERS}, EXCHANGE: wrong})
    assert Verifier(other, SimClock(T0), signatures=memo).check(data).reason is Reason.FORGED
