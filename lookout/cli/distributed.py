"""Commands of the distributed processes: ``nats-config``, ``serve`` (the exchange),
``node`` (a partner), ``fusion`` and ``assessor`` (the picture's workers)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import typer

from lookout.cli.common import (
    _run_with_web,
    _web_options,
    app,
    console,
    fail,
    load_scenario,
)


def _scenario_and_policy(scenario: str, policy: Path | None):
    from lookout.exchange.policy import Policy, PolicyError

    sc = load_scenario(scenario)
    if policy is not None and not policy.is_file():
        fail(f"policy = '{policy}': no such file")
    try:
        pol = Policy.load(policy) if policy is not None else None
    except PolicyError as e:
        fail(str(e))
    return sc, pol


def _is_policy_file(name: str) -> bool:
    """Whether ``name`` is a releasability policy file rather than a scenario (a shipped name
    or a scenario file), told by its content: a policy's sections are partners, publish and
    release, with partners a mapping of ids to sensor ids; a scenario has an epoch, a seed and
    a list of partners. Neither: a one-line error naming the file."""
    import yaml

    from lookout.scenario import yaml_problem

    path = Path(name)
    if not path.is_file():
        if name.endswith((".yaml", ".yml")):
            fail(f"{name!r} does not exist (expected a policy or scenario YAML file)")
        return False  # a shipped scenario's name
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        fail(f"{name}: not valid YAML: {yaml_problem(e)}")
    if isinstance(data, dict) and isinstance(data.get("partners"), dict):
        return True
    if isinstance(data, dict) and ({"epoch", "seed", "launches", "duration_s"} & set(data)):
        return False
    fail(
        f"{name}: neither a releasability policy (sections partners, publish, release, with "
        "partners a mapping of ids to sensor ids) nor a scenario (epoch, seed, duration_s, a "
        "list of partners)"
    )


@app.command("nats-config")
def nats_config_cmd(
    policy: str = typer.Argument(
        ..., help="A releasability policy YAML, or a scenario (its demo policy)."
    ),
    out: Path = typer.Option(Path("nats"), help="Directory for the config and credentials."),
    port: int = typer.Option(4222, help="Client port of the server."),
    host: str = typer.Option("127.0.0.1", help="Address the server listens on."),
    tls: bool = typer.Option(False, help="Make a CA and a server certificate; clients use TLS."),
) -> None:
    """Write a nats-server configuration whose per-partner accounts and permissions enforce the
    policy at the broker, and one credentials file per partner and for the exchange."""
    from lookout.app.defaults import default_policy
    from lookout.exchange.nats.config import write_setup
    from lookout.exchange.policy import Policy

    if _is_policy_file(policy):
        pol = Policy.load(policy)
    else:
        sc, _ = _scenario_and_policy(policy, None)
        pol = Policy.from_dict(default_policy(sc))
    paths = write_setup(pol, out, url=f"nats://{host}:{port}", host=host, port=port, tls=tls)
    for name, path in paths.items():
        console.print(f"{name}: {path}", highlight=False)
    console.print(f"start it with: nats-server -c {paths['config']}", highlight=False)


def _nats_bus(bus: str, credentials: Path | None, **kwargs):
    from lookout.exchange.nats import NatsBus

    if credentials is not None:
        if not credentials.is_file():
            fail(f"credentials = '{credentials}': no such file (lookout nats-config writes them)")
        return NatsBus.from_credentials(str(credentials), **kwargs)
    if not bus.startswith(("nats://", "tls://")):
        fail(f"bus = {bus!r}, expected a nats://USER:PASSWORD@HOST:PORT url")
    return NatsBus(bus.split(","), **kwargs)


def _start(text: str) -> float | str:
    """``--start``: a Unix time, or ``@FILE`` (kept as is: waited for once set up)."""
    if text.startswith("@"):
        return text
    try:
        return float(text)
    except ValueError:
        fail(f"start = {text!r}, expected a Unix time in seconds or @FILE holding one")


def _ready(name: str, as_json: bool):
    def ready() -> None:
        if as_json:
            typer.echo(json.dumps({"ready": name, "unix_s": time.time()}))
            sys.stdout.flush()

    return ready


@app.command()
def serve(
    scenario: str = typer.Option(..., help="The scenario being played (policy, keys)."),
    bus: str = typer.Option("nats://127.0.0.1:4222", help="nats://EXCHANGE:PASSWORD@HOST:PORT"),
    credentials: Path | None = typer.Option(None, help="EXCHANGE.json from nats-config."),
    policy: Path | None = typer.Option(None, help="Releasability policy (default: the demo's)."),
    start: str = typer.Option(
        ..., help="Unix time at which the scenario epoch is played, or @FILE (waited for)."
    ),
    speed: float = typer.Option(1.0, help="Times real time."),
    audit: Path = typer.Option(Path("lookout-audit.sqlite"), help="Audit log."),
    replicas: int = typer.Option(1, help="Stream replicas (3 on a cluster)."),
    until_s: float | None = typer.Option(None, help="Stop at this scenario time (s)."),
    as_json: bool = typer.Option(False, "--json", help="Status as one JSON object a line."),
    web: bool = typer.Option(
        False, "--web", help="Serve the common picture and each partner's view in a browser."
    ),
    port: int = typer.Option(0, help="With --web: port of the page (0: a free one)."),
    cot_port: int | None = typer.Option(
        None, help="With --web: CoT for TAK, one port per view from this one."
    ),
    cot_cert: Path | None = typer.Option(None, help="CoT over TLS: server certificate (PEM)."),
    cot_key: Path | None = typer.Option(None, help="CoT over TLS: its private key (PEM)."),
    cot_ca: Path | None = typer.Option(None, help="CoT over TLS: CA that signs client certs."),
    cot_policy: Path | None = typer.Option(None, help="CoT affiliation policy (YAML)."),
    workers: int = typer.Option(
        0,
        help="Assessors of the picture workers (lookout fusion, lookout assessor); 0: fusion "
        "and assessment in this process.",
    ),  # fmt: skip
) -> None:
    """The exchange service on NATS JetStream: verify, audit, release, relay; and fuse and
    assess, unless picture workers do (--workers). Restarted on the same audit log, it resumes
    where it stopped."""
    import asyncio

    from lookout.app.picture_workers import CORE_SUBJECTS, exchange_streams
    from lookout.app.service import policy_for
    from lookout.app.service import serve as run_service

    sc, pol = _scenario_and_policy(scenario, policy)
    pol = policy_for(sc, pol)
    if workers < 0:
        fail(f"workers = {workers}, expected 0 or more")

    def status(exchange, picture, t):
        c = exchange.counters()
        now = len(picture.current) if picture is not None else None
        if as_json:
            c.update(t_s=t, unix_s=time.time(), system_tracks_now=now)
            typer.echo(json.dumps(c), nl=True)
            sys.stdout.flush()
            return
        shed = sum(c["shed"].values())
        console.print(
            f"t={t:7.1f}s accepted {sum(c['accepted'].values())} late "
            f"{sum(c['late'].values())} refused "
            f"{sum(sum(v.values()) for v in c['refused'].values())} delivered "
            f"{sum(c['delivered'].values())} shed {shed} system tracks {c['system_tracks']}",
            highlight=False,
        )

    nats = _nats_bus(
        bus, credentials, partners=pol.partners, manage_streams=True, replicas=replicas,
        linger_s=0.002, mix_subjects=True,  # a step's releases to a partner: one message
        pull_batch=64, ack_wait_s=60.0,  # in flight: at most 64, unacked < 60 s
        streams=exchange_streams(list(pol.partners), workers), core=CORE_SUBJECTS,
    )  # fmt: skip
    try:
        if web:
            _run_with_web("serve", sc, pol, _web_options(port, False, cot_port, cot_cert, cot_key,
                          cot_ca, cot_policy), lambda on_start: run_service(
                sc, nats, start_unix_s=_start(start), speed=speed, audit_path=str(audit),
                policy=pol, status=status, until_s=until_s, ready=_ready("EXCHANGE", as_json),
                workers=workers, on_start=on_start))  # fmt: skip
            return
        asyncio.run(
            run_service(sc, nats, start_unix_s=_start(start), speed=speed,
                        audit_path=str(audit), policy=pol, status=status, until_s=until_s,
                        ready=_ready("EXCHANGE", as_json), workers=workers)
        )  # fmt: skip
    except (ConnectionError, OSError) as e:
        fail(f"cannot reach the bus {bus}: {e}")


@app.command()
def node(
    partner: str = typer.Option(..., help="This node's partner id (KR, JP, US)."),
    scenario: str = typer.Option(..., help="The scenario being played (sensors, keys)."),
    bus: str = typer.Option("nats://127.0.0.1:4222", help="nats://PARTNER:PASSWORD@HOST:PORT"),
    credentials: Path | None = typer.Option(None, help="PARTNER.json from nats-config."),
    policy: Path | None = typer.Option(None, help="Releasability policy (default: the demo's)."),
    start: str = typer.Option(
        ..., help="Unix time at which the scenario epoch is played, or @FILE (waited for)."
    ),
    speed: float = typer.Option(1.0, help="Times real time."),
    until_s: float | None = typer.Option(None, help="Stop at this scenario time (s)."),
    state_dir: Path = typer.Option(
        Path("lookout-node-state"), help="Where the node keeps what a restart resumes from."
    ),
    as_json: bool = typer.Option(False, "--json", help="Status as one JSON object a line."),
    web: bool = typer.Option(False, "--web", help="Serve this partner's own view in a browser."),
    port: int = typer.Option(0, help="With --web: port of the page (0: a free one)."),
    warn: bool = typer.Option(
        False, "--warn", help="The partner's desk issues its public warnings (signed CAP)."
    ),
) -> None:
    """One partner's node on NATS: its sensors' detections out (signed, as the policy allows),
    its own pre-launch notifications (the scenario's notices), the common picture in.
    Restarted with the same state directory, it resumes where it stopped."""
    import asyncio

    from lookout.app.service import run_node

    sc, pol = _scenario_and_policy(scenario, policy)

    def status(n, t):
        st = n.exchange_status
        if as_json:
            line = {
                "partner": partner, "t_s": t, "unix_s": time.time(), "sent": dict(n.sent),
                "received": dict(n.received), "refused": dict(n.refused),
                "last_refusal": n.last_refusal,
                "picture_tracks": len(n.view.tracks),
                "degraded": bool(st is not None and st.degraded),
                "alerts": len(n.alerts), "notices": len(n.notices),
            }  # fmt: skip
            typer.echo(json.dumps(line))
            sys.stdout.flush()
            return
        degraded = " DEGRADED (the exchange is behind)" if st is not None and st.degraded else ""
        console.print(
            f"{partner} t={t:7.1f}s sent {sum(n.sent.values())} received "
            f"{sum(n.received.values())} picture {len(n.view.tracks)} tracks{degraded}",
            highlight=False,
        )

    from lookout.app.defaults import NODE_LINGER_S

    nats = _nats_bus(bus, credentials, linger_s=NODE_LINGER_S, mix_subjects=True)
    try:
        if web:
            _run_with_web("node", sc, partner, pol, _web_options(port, False, *[None] * 5),
                          lambda on_start: run_node(
                sc, partner, nats, start_unix_s=_start(start), speed=speed, policy=pol,
                status=status, until_s=until_s, state_dir=state_dir,
                ready=_ready(partner, as_json), on_start=on_start, warn=warn))  # fmt: skip
            return
        asyncio.run(
            run_node(sc, partner, nats, start_unix_s=_start(start), speed=speed, policy=pol,
                     status=status, until_s=until_s, state_dir=state_dir,
                     ready=_ready(partner, as_json), warn=warn)
        )  # fmt: skip
    except ValueError as e:
        fail(str(e))
    except (ConnectionError, OSError) as e:
        fail(f"cannot reach the bus {bus}: {e}")


@app.command()
def fusion(
    scenario: str = typer.Option(..., help="The scenario being played."),
    bus: str = typer.Option("nats://127.0.0.1:4222", help="nats://EXCHANGE:PASSWORD@HOST:PORT"),
    credentials: Path | None = typer.Option(None, help="EXCHANGE.json from nats-config."),
    start: str = typer.Option(..., help="Unix time of the scenario epoch, or @FILE."),
    speed: float = typer.Option(1.0, help="Times real time."),
    assessors: int = typer.Option(1, help="How many assessors there are (serve --workers)."),
    replicas: int = typer.Option(
        1,
        help="Unused, kept for old scripts: the picture workers' "
        "inputs are on core NATS, no stream.",
    ),
    until_s: float | None = typer.Option(None, help="Stop at this scenario time (s)."),
    as_json: bool = typer.Option(False, "--json", help="Status as one JSON object a line."),
) -> None:
    """The picture's fusion, out of the exchange: every partner's shared data in (as the
    exchange released it), each report's system tracks out to the assessors."""
    import asyncio

    from lookout.app.picture_workers import run_fusion, worker_bus

    sc = load_scenario(scenario)
    if assessors < 1:
        fail(f"assessors = {assessors}, expected 1 or more")

    def status(work, t):
        line = {"fusion": True, "t_s": t, "inputs": work.inputs, "reports": work.reports,
                "bad": work.bad}  # fmt: skip
        if as_json:
            typer.echo(json.dumps(line))
            sys.stdout.flush()
        else:
            console.print(f"fusion t={t:7.1f}s inputs {work.inputs} reports {work.reports}")

    nats = worker_bus(lambda **kw: _nats_bus(bus, credentials, linger_s=0.002,
                                             pull_batch=256, ack_wait_s=60.0, **kw),
                      "fusion")  # fmt: skip
    try:
        asyncio.run(run_fusion(sc, nats, start_unix_s=_start(start), speed=speed,
                               assessors=assessors, until_s=until_s, status=status,
                               ready=_ready("FUSION", as_json)))  # fmt: skip
    except (ConnectionError, OSError) as e:
        fail(f"cannot reach the bus {bus}: {e}")


@app.command()
def assessor(
    index: int = typer.Option(..., help="This assessor's number, 0 to --of minus 1."),
    of: int = typer.Option(..., help="How many assessors there are (serve --workers)."),
    scenario: str = typer.Option(..., help="The scenario being played (keys)."),
    bus: str = typer.Option("nats://127.0.0.1:4222", help="nats://EXCHANGE:PASSWORD@HOST:PORT"),
    credentials: Path | None = typer.Option(None, help="EXCHANGE.json from nats-config."),
    start: str = typer.Option(..., help="Unix time of the scenario epoch, or @FILE."),
    speed: float = typer.Option(1.0, help="Times real time."),
    replicas: int = typer.Option(
        1,
        help="Unused, kept for old scripts: the picture workers' "
        "inputs are on core NATS, no stream.",
    ),
    until_s: float | None = typer.Option(None, help="Stop at this scenario time (s)."),
    as_json: bool = typer.Option(False, "--json", help="Status as one JSON object a line."),
) -> None:
    """One assessor of the picture, out of the exchange: the system tracks of its partition
    assessed and sent, signed, to the exchange."""
    import asyncio

    from lookout.app.picture_workers import run_assessor, worker_bus

    sc = load_scenario(scenario)
    if not 0 <= index < of:
        fail(f"index = {index}, expected 0 to {of - 1} (--of {of})")

    def status(work, t):
        if as_json:
            typer.echo(json.dumps({"assessor": index, "t_s": t, "batches": work.batches,
                                   "tracks": work.tracks}))  # fmt: skip
            sys.stdout.flush()
        else:
            console.print(f"assessor {index} t={t:7.1f}s tracks {work.tracks}")

    nats = worker_bus(lambda **kw: _nats_bus(bus, credentials, linger_s=0.002,
                                             pull_batch=64, ack_wait_s=60.0, **kw),
                      f"assessor-{index}")  # fmt: skip
    try:
        asyncio.run(run_assessor(sc, nats, index, of, start_unix_s=_start(start), speed=speed,
                                 until_s=until_s, status=status,
                                 ready=_ready(f"PICTURE-{index}", as_json)))  # fmt: skip
    except (ConnectionError, OSError) as e:
        fail(f"cannot reach the bus {bus}: {e}")
