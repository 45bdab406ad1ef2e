"""Running the web beside a demo, a replay, the exchange service or a node (the CLI's ``--web``).

Each runner starts the web server (and the CoT feed when asked) in the running event loop,
announces the addresses, runs its job with the web attached, and then, with ``stay``, keeps
serving the finished picture until interrupted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from lookout.exchange.policy import Policy
from lookout.scenario import Scenario
from lookout.web.history import PictureHistory
from lookout.web.server import WebServer, WebState

Announce = Callable[[str], None]


@dataclass(frozen=True)
class WebOptions:
    """Where to serve: the page on ``host:port`` (0: a free port); the CoT feed, when
    ``cot_port`` is given, on consecutive ports from it, one per view (0: free ports), TLS
    with ``cot_cert``/``cot_key`` (and client certificates checked against ``cot_ca``);
    ``cot_policy`` a :class:`~lookout.web.cot.CotPolicy`."""

    host: str = "127.0.0.1"
    port: int = 0
    stay: bool = False
    cot_port: int | None = None
    cot_cert: Path | None = None
    cot_key: Path | None = None
    cot_ca: Path | None = None
    cot_policy: object | None = None


class WebRun:
    """The web server and CoT feed of one job (use as ``async with``)."""

    def __init__(self, state: WebState, options: WebOptions, announce: Announce) -> None:
        self.state = state
        self.options = options
        self.announce = announce
        self.server = WebServer(state, host=options.host, port=options.port)
        self.cot_server = None

    async def __aenter__(self) -> WebRun:
        from lookout.web import cesium

        url = await self.server.start()
        if not cesium.is_ready():
            self.announce(
                f"warning: CesiumJS is not set up in {cesium.cesium_dir()} (run `make cesium`): "
                "the page will have no globe"
            )
        views = self.state.views
        suffix = (
            ""
            if views == ["all"] or len(views) == 1
            else " (partners' pages: "
            + ", ".join(f"{url}?view={v}" for v in views if v != "all")
            + ")"
        )
        self.announce(f"the picture in a browser: {url}{suffix}")
        self.announce(f"CAP feed: {url}cap/feed.atom; JSON: {url}api/picture")
        o = self.options
        if o.cot_port is not None:
            from lookout.web.cot import CotFeed, CotServer, server_ssl_context

            ctx = None
            if o.cot_cert is not None:
                ctx = server_ssl_context(o.cot_cert, o.cot_key or o.cot_cert, o.cot_ca)
            feed = CotFeed(self.state.epoch, views, o.cot_policy, now=self.state.now_utc)
            self.state.cot = feed
            ports = {v: (o.cot_port + i if o.cot_port else 0) for i, v in enumerate(views)}
            self.cot_server = CotServer(feed, ports, host=o.host, ssl_context=ctx)
            feed.loop = self.server.loop
            await self.server.run_in_web(self.cot_server.start())
            for v, u in self.cot_server.urls().items():
                self.announce(f"CoT for TAK, view {v}: {u}")
        return self

    async def finish(self) -> None:
        """The job is over: flush the picture and, with ``stay``, serve until interrupted."""
        self.state.finish()
        if self.options.stay:
            self.announce("the run is over; the page stays up until Ctrl-C")
            await asyncio.Event().wait()

    async def __aexit__(self, *exc) -> None:
        if self.cot_server is not None:
            await self.server.run_in_web(self.cot_server.close())
        await self.server.stop()


def _views(policy: Policy, only: str | None = None) -> list[str]:
    return [only] if only else ["all", *policy.partners]


async def demo(scenario: Scenario, options: WebOptions, announce: Announce, **run_kwargs):
    """``lookout demo`` with the web: returns the ``DemoResult``."""
    from lookout.app.defaults import default_policy
    from lookout.app.demo import run_demo_async
    from lookout.web.live import attach_demo

    policy_doc = run_kwargs.get("policy") or default_policy(scenario)
    policy = Policy.from_dict(policy_doc)
    state = WebState(scenario, policy, PictureHistory(_views(policy)), mode="live",
                     speed=run_kwargs.get("speed", 1.0))  # fmt: skip
    async with WebRun(state, options, announce) as web:
        result = await run_demo_async(
            scenario, on_start=lambda ds: attach_demo(state, ds), **run_kwargs
        )
        await web.finish()
    return result


def replay_state(audit_path: str | Path) -> WebState:
    """The web state of a finished run, rebuilt from its audit log: each partner's view from
    what the exchange delivered to it on replay, the common picture from every system track it
    sealed (in the order it sealed them)."""
    from lookout.app.demo import TRACK_KINDS, envelope_tracks, replay_log
    from lookout.exchange.audit import read_audit, read_meta
    from lookout.exchange.envelope import decode, decode_payload
    from lookout.messages import encode_msgpack
    from lookout.scenario import ScenarioError, load

    meta = read_meta(audit_path)
    text = lambda k: meta[k].decode() if isinstance(meta[k], bytes) else meta[k]  # noqa: E731
    import yaml

    policy = Policy.from_dict(yaml.safe_load(text("policy")))
    try:
        scenario = load(text("scenario"))
    except ScenarioError as e:
        raise ScenarioError(
            f"the log names the scenario {text('scenario')!r}, which cannot be loaded "
            f"from here ({e}); run from the directory the demo ran in"
        ) from None
    delivered = replay_log(audit_path)
    history = PictureHistory(_views(policy))
    state = WebState(scenario, policy, history, mode="replay")
    # Each track update in the order sealed: its (first) envelope's number and its place in
    # it (a batch holds several; recipients released other tracks get it in another batch).
    by_seq: dict[tuple[int, int], tuple[object, list[str]]] = {}
    first_key: dict[bytes, tuple[int, int]] = {}
    for recipient, items in delivered.items():
        for subject, data in items:
            if subject.rsplit(".", 1)[-1] not in TRACK_KINDS:
                continue
            env = decode(data)
            for i, st in enumerate(envelope_tracks(env)):
                key = first_key.setdefault(encode_msgpack(st), (env.seq, i))
                by_seq.setdefault(key, (st, []))[1].append(recipient)
    for seq in sorted(by_seq):
        st, recipients = by_seq[seq]
        history.add("all", st)
        for recipient in sorted(recipients):
            if recipient in history.views:
                history.add(recipient, st)
    history.flush()
    # The public warnings the partners issued, as they sent them (lookout.warn).
    for record in read_audit(audit_path):
        if record.accepted and record.type == "alert":
            state.add_alert(decode_payload(decode(record.data)).cap)
    state.done = True
    return state


async def replay(audit_path: str | Path, options: WebOptions, announce: Announce) -> None:
    """``lookout replay LOG --web``: the recorded run with a time slider, until interrupted."""
    state = await asyncio.to_thread(replay_state, audit_path)
    async with WebRun(state, options, announce) as web:
        web.options = WebOptions(**{**options.__dict__, "stay": True})
        await web.finish()


async def exchange_service(
    scenario: Scenario,
    policy: Policy | None,
    options: WebOptions,
    run: Callable[[Callable], Awaitable],
    announce: Announce,
):
    """``lookout serve --web``: ``run(on_start)`` runs the service; the web is fed from its
    exchange (the common picture and every partner's routed view)."""
    from lookout.app.defaults import default_policy
    from lookout.web.live import attach_exchange

    pol = policy or Policy.from_dict(default_policy(scenario))
    state = WebState(scenario, pol, PictureHistory(_views(pol)), mode="live")
    async with WebRun(state, options, announce) as web:
        result = await run(lambda exchange: attach_exchange(state, exchange))
        await web.finish()
    return result


async def partner_node(
    scenario: Scenario,
    partner: str,
    policy: Policy | None,
    options: WebOptions,
    run: Callable[[Callable], Awaitable],
    announce: Announce,
):
    """``lookout node --partner P --web``: the partner's own view only."""
    from lookout.app.defaults import default_policy
    from lookout.web.live import attach_node

    pol = policy or Policy.from_dict(default_policy(scenario))
    state = WebState(scenario, pol, PictureHistory(_views(pol, partner)), mode="live",
                     title=f"Lookout: {partner}")  # fmt: skip
    async with WebRun(state, options, announce) as web:
        result = await run(lambda node: attach_node(state, node))
        await web.finish()
    return result


def utc(epoch: dt.datetime, t_s: float) -> dt.datetime:
    return epoch + dt.timedelta(seconds=t_s)
