"""The NATS bus's parts that need no broker (``lookout.exchange.nats``): reading the broker's
error text, the JetStream API's JSON, which stream captures a subject, the coalition's routing.
The bus against a real nats-server is ``test_nats.py`` and ``test_bus_contract.py``."""

from __future__ import annotations

import json

import nats.errors
import pytest
from nats.aio.msg import Msg

from lookout.exchange.nats import CoalitionBus, NatsBus, api, streams_for
from lookout.exchange.nats.errors import (
    error_text,
    is_login_refused,
    is_permission_violation,
    refusal_of,
    refused_publish,
)
from lookout.exchange.nats.streams import capturing

# What nats-py hands the error callback for a refused publish: the server's -ERR, lower-cased.
REFUSED = nats.errors.Error('nats: Permissions Violation for Publish to "lookout.in.JP.track"')


def _msg(data: bytes = b"", headers: dict[str, str] | None = None) -> Msg:
    return Msg(_client=None, subject="_INBOX.KR.pull.x", data=data, headers=headers)


def test_the_broker_refusing_a_publish_is_read_from_its_text():
    text = error_text(REFUSED)
    assert is_permission_violation(text) and not is_login_refused(text)
    assert refused_publish(text) == "lookout.in.jp.track"
    assert refusal_of(["something else", text], "lookout.in.JP.track") == text
    assert refusal_of([text], "lookout.in.JP") is None  # a prefix is another subject
    sub = error_text(nats.errors.Error('nats: permissions violation for subscription to "x.y"'))
    assert is_permission_violation(sub) and refused_publish(sub) is None
    assert is_login_refused(error_text(nats.errors.Error("nats: 'Authorization Violation'")))


def test_jetstream_replies_are_read():
    assert api.pub_ack_error(b'{"stream":"LOOKOUT_IN_KR","seq":7}') is None
    refused = b'{"error":{"code":503,"err_code":10077,"description":"maximum bytes exceeded"}}'
    assert api.pub_ack_error(refused) == "503 maximum bytes exceeded"
    assert api.pub_ack_error(b'"error" but not JSON') == '"error" but not JSON'
    assert api.no_responders(_msg(headers={"Status": "503"}))
    assert not api.no_responders(_msg(b"{}"))


def test_pull_status_messages_are_told_from_stream_messages():
    assert api.pull_status(_msg(b"payload")) is None
    assert api.pull_status(_msg(b"payload", {"Nats-Msg-Id": "x"})) is None
    ended = _msg(headers={"Status": "408", "Description": "Request Timeout",
                          "Nats-Pending-Messages": "12"})  # fmt: skip
    assert api.pull_status(ended) == ("408", 12, "Request Timeout")
    assert api.pull_status(_msg(headers={"Status": "100"})) == ("100", 0, "")
    assert api.pull_status(_msg(headers={"Status": "409", "Nats-Pending-Messages": "?"}))[1] == 0


def test_consumer_requests_and_their_replies():
    subject, body = api.create_consumer(
        "LOOKOUT_OUT_KR", "KR", "lookout.out.KR.>",
        deliver="all", ack_wait_s=5.0, max_deliver=-1, max_ack_pending=100,
    )  # fmt: skip
    assert subject == "$JS.API.CONSUMER.CREATE.LOOKOUT_OUT_KR.KR.lookout.out.KR.>"
    config = json.loads(body)["config"]
    assert config["ack_policy"] == "explicit" and config["ack_wait"] == 5_000_000_000
    assert config["filter_subject"] == "lookout.out.KR.>" and config["durable_name"] == "KR"
    assert json.loads(api.pull_request(256, 5.0, 2.0)) == {
        "batch": 256, "expires": 5_000_000_000, "idle_heartbeat": 2_000_000_000
    }  # fmt: skip
    assert api.consumer_subject("next", "S", "D") == "$JS.API.CONSUMER.MSG.NEXT.S.D"
    assert api.consumer_subject("info", "S", "D") == "$JS.API.CONSUMER.INFO.S.D"

    api.check_created({"config": {}}, "S", "KR", "f")
    api.check_created({"error": {"err_code": api.CONSUMER_NAME_IN_USE}}, "S", "KR", "f")
    with pytest.raises(ConnectionError, match="does not exist yet"):
        api.check_created({"error": {"err_code": api.STREAM_NOT_FOUND}}, "S", "KR", "f")
    with pytest.raises(ValueError, match="JetStream refused: 400 bad"):
        api.check_created({"error": {"code": 400, "description": "bad"}}, "S", "KR", "f")
    assert api.bound_filter({"config": {"filter_subject": "a.>"}}, "S", "KR") == "a.>"
    with pytest.raises(ConnectionError, match="start it first"):
        api.bound_filter({"error": {"description": "consumer not found"}}, "S", "KR")


def test_which_streams_capture_a_subject():
    streams = streams_for(["KR", "JP"])
    assert capturing(streams, "lookout.in.KR.track") == [("LOOKOUT_IN_KR", "lookout.in.KR.track")]
    assert capturing(streams, "lookout.in.>") == [
        ("LOOKOUT_IN_KR", "lookout.in.KR.>"), ("LOOKOUT_IN_JP", "lookout.in.JP.>")
    ]  # fmt: skip
    assert capturing(streams, "lookout.*.JP.track") == [
        ("LOOKOUT_IN_JP", "lookout.in.JP.track"), ("LOOKOUT_OUT_JP", "lookout.out.JP.track")
    ]  # fmt: skip
    with pytest.raises(ValueError, match="no stream captures it"):
        capturing(streams, "lookout.in.US.track")


def test_the_coalition_routes_each_subject_to_the_user_allowed_it():
    buses = {u: NatsBus(user=u) for u in ("EXCHANGE", "KR", "JP")}
    bus = CoalitionBus(buses)
    assert bus._route("lookout.in.KR.track") is buses["KR"]
    assert bus._route("lookout.in.*.track") is buses["EXCHANGE"]
    assert bus._route("lookout.out.JP.>") is buses["JP"]
    for subject in ("lookout.in.EXCHANGE.x", "lookout.out.US.x", "other.in.KR.x", "lookout.in"):
        with pytest.raises(ValueError, match="no user of this coalition"):
            bus._route(subject)


def test_a_flush_waits_for_what_was_published_before_it_not_after():
    """``Publisher.flush`` returns once every message published before it is acked. It waited
    until nothing at all was pending: a node recording what was stored while it steps on (its
    next steps publishing meanwhile), or the exchange's ack while more envelopes go out, waited
    on messages published after the call, and at a steady rate might never see the stream
    drained (then failed them all after its limit)."""
    import asyncio

    from lookout.exchange.nats.publisher import Publisher, PublishOptions
    from lookout.exchange.nats.stats import BusStats

    class Conn:
        def __init__(self):
            self.replies: list[str] = []

        async def publish(self, subject, data, reply="", headers=None):
            self.replies.append(reply)

        async def flush(self, timeout=None):
            pass

    async def main():
        conn = Conn()

        async def connected():
            return conn

        pub = Publisher(connected, PublishOptions(dedupe=False), BusStats(), "KR")
        pub._ack_prefix = "_INBOX.KR.ack.x."

        async def ack(k):
            await pub._on_ack(Msg(_client=None, subject=conn.replies[k], data=b'{"seq":1}'))

        await pub.publish("lookout.in.KR.detection_batch", b"a")
        flushing = asyncio.create_task(pub.flush(timeout_s=5.0))
        await asyncio.sleep(0)
        await pub.publish("lookout.in.KR.detection_batch", b"b")  # after the flush began
        await ack(0)
        await asyncio.wait_for(flushing, 1.0)  # returned with b still pending
        assert pub.unsent
        late = asyncio.create_task(pub.flush(timeout_s=5.0))
        await asyncio.sleep(0.01)
        assert not late.done()  # b is before this one
        await ack(1)
        await asyncio.wait_for(late, 1.0)
        assert not pub.unsent and pub.stats.acked == 2

    asyncio.run(main())
