"""How the web is fed from a running coalition: small taps on the exchange and the nodes.

- :class:`TeeFusion` wraps the exchange's fusion: every system track it returns (the common
  picture, before any routing) goes to the ``all`` view. In the distributed exchange service the
  partner views are derived from it by the exchange's own routing rule
  (``Policy.may_receive``), which is what each partner is delivered.
- :class:`ObservedView` wraps a node's ``PictureView``: every system track the node accepted
  (verified, as the exchange routed it) goes to that partner's view.
"""

from __future__ import annotations

from collections.abc import Callable

from lookout import messages as m
from lookout.exchange.keys import EXCHANGE

TrackSink = Callable[[m.SystemTrack], None]


class TeeFusion:
    """A :class:`~lookout.exchange.exchange.Fusion` that hands every track it returns to
    ``sink`` too."""

    def __init__(self, fusion, sink: TrackSink) -> None:
        self.fusion = fusion
        self.sink = sink

    def ingest(self, sender: str, message: m.Message) -> list[m.SystemTrack]:
        tracks = self.fusion.ingest(sender, message)
        for st in tracks:
            self.sink(st)
        return tracks

    def __getattr__(self, name: str):
        return getattr(self.fusion, name)


class ObservedView:
    """A node's picture view that hands every track it applies to ``sink`` too."""

    def __init__(self, view, sink: TrackSink) -> None:
        self._view = view
        self._sink = sink

    def apply(self, track: m.SystemTrack) -> None:
        self._view.apply(track)
        self._sink(track)

    def __getattr__(self, name: str):
        return getattr(self._view, name)


def attach_demo(web, demo_state) -> None:
    """Feed ``web`` (a ``WebState``) from an embedded demo's exchange and nodes."""
    ex = demo_state.exchange
    ex.fusion = TeeFusion(ex.fusion, lambda st: web.add_track("all", st))
    for partner, node in demo_state.nodes.items():
        if partner in web.history.views:
            node.view = ObservedView(node.view, lambda st, p=partner: web.add_track(p, st))
        # The public warnings each node issues (lookout.warn), as CAP documents on the page.
        node.alert_listeners.append(lambda alert: web.add_alert(alert.cap))


def attach_exchange(web, exchange) -> None:
    """Feed ``web`` from the exchange service: the common picture, and each partner's view as
    the exchange's policy routes it."""
    policy = exchange.policy

    def sink(st: m.SystemTrack) -> None:
        web.add_track("all", st)
        for p in policy.recipients(EXCHANGE, st):
            if p in web.history.views:
                web.add_track(p, st)

    exchange.fusion = TeeFusion(exchange.fusion, sink)


def attach_node(web, node) -> None:
    """Feed ``web`` from one partner node: that partner's own view."""
    node.view = ObservedView(node.view, lambda st: web.add_track(node.partner, st))
