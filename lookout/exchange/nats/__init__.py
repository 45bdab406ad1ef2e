"""The exchange bus on NATS JetStream, one concept a module.

- :mod:`.config`: the broker's configuration from the coalition's policy (accounts, users,
  permissions, TLS, clusters), credentials files.
- :mod:`.server`: a local ``nats-server`` (or a cluster of three) started on free ports.
- :mod:`.streams`: the streams (two per partner: inbound on file, outbound in memory), which
  capture a subject, reading back what the exchange acked.
- :mod:`.framing`: batch frames, several messages in one NATS message.
- :mod:`.errors`: the bus's exceptions; the broker's error text read.
- :mod:`.api`: the JetStream API's subjects and JSON (consumers, pull requests, acks).
- :mod:`.publisher`: pipelined, acked publishing, sent again until stored.
- :mod:`.consumer`: a durable pull consumer, handled in order and acked after.
- :mod:`.bus`: :class:`NatsBus`, one user's connection putting them together.
- :mod:`.coalition`: :class:`CoalitionBus`, every user's connection behind one bus.

The subjects are the exchange's (:mod:`lookout.exchange.bus`: one grammar, ``check_subject``,
``intersect``), for this bus and the memory bus alike.
"""

from lookout.exchange.nats.bus import NatsBus
from lookout.exchange.nats.coalition import CoalitionBus
from lookout.exchange.nats.config import EXCHANGE
from lookout.exchange.nats.errors import BusPermissionError, BusPublishError
from lookout.exchange.nats.framing import BATCH_HEADER, frame, unframe
from lookout.exchange.nats.server import NatsCluster, NatsServer, NatsServerError, find_nats_server
from lookout.exchange.nats.stats import BusStats
from lookout.exchange.nats.streams import StreamSpec, acked_inbound, streams_for

__all__ = [
    "BATCH_HEADER",
    "EXCHANGE",
    "BusPermissionError",
    "BusPublishError",
    "BusStats",
    "CoalitionBus",
    "NatsBus",
    "NatsCluster",
    "NatsServer",
    "NatsServerError",
    "StreamSpec",
    "acked_inbound",
    "find_nats_server",
    "frame",
    "streams_for",
    "unframe",
]
