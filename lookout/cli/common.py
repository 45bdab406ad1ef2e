"""What every command shares: the ``app`` and ``bench_app`` they register on (each command
wrapped by ``one_line_errors``), the console, one-line errors, progress bars, the scenario
and coordinate arguments, the web options of the runs that serve a page."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def fail(message: str) -> None:
    """One-line error, exit status 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def user_error_types() -> tuple[type[BaseException], ...]:
    """Errors whose message is all the user needs: Lookout's own (``LookoutError``, the root in
    ``lookout/errors.py``: a scenario, an aim, a policy, an audit log, a broker's refusal), and a
    file that cannot be read or parsed. The message names the field and the value."""
    import sqlite3

    import yaml

    from lookout.errors import LookoutError

    return (LookoutError, OSError, sqlite3.Error, yaml.YAMLError)


def one_line_errors(command):
    """Wrap a command so that no traceback reaches the user: a user error (``user_error_types``)
    prints ``error: MESSAGE`` and exits 2; anything else is a bug, printed in one line with its
    type and exit status 1 (``LOOKOUT_DEBUG=1`` lets the traceback through)."""
    import functools
    import os

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as e:  # noqa: BLE001 - the one place errors become messages
            if os.environ.get("LOOKOUT_DEBUG"):
                raise
            message = " ".join(str(e).split()) or type(e).__name__
            if isinstance(e, user_error_types()):
                fail(message)
            typer.echo(
                f"error: internal error ({type(e).__name__}): {message} "
                "(a bug: LOOKOUT_DEBUG=1 shows where)",
                err=True,
            )
            raise typer.Exit(1) from None

    return wrapper


def run_script(main, *args) -> None:
    """Run a script's ``main(*args)`` (``benchmarks/``) as a command is run: a user error is one
    line and exit status 2, a bug one line and 1 (:func:`one_line_errors`), then exit."""
    import sys

    try:
        one_line_errors(main)(*args)
    except typer.Exit as e:
        sys.exit(e.exit_code)


class _Typer(typer.Typer):
    """A Typer whose every command is wrapped by :func:`one_line_errors` (commands added by any
    module get it by registering on ``app`` or ``bench_app`` as usual)."""

    def command(self, *args, **kwargs):
        register = super().command(*args, **kwargs)

        def decorator(f):
            register(one_line_errors(f))
            return f

        return decorator


app = _Typer(
    help="Lookout: a missile-launch early-warning exchange and its simulator.",
    no_args_is_help=True,
    add_completion=False,
)
bench_app = _Typer(
    help="Benchmarks, each against a named baseline in the same run.", no_args_is_help=True
)
app.add_typer(bench_app, name="bench")


@contextlib.contextmanager
def stage_progress(disabled: bool = False):
    """A progress bar per stage on stderr; yields the ``progress(stage, done, total)`` callback
    the long runs take."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), disable=disabled) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: float, total: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1e-9))
            bar.update(tasks[stage], completed=done, total=max(total, 1e-9))

        yield progress


def load_scenario(name_or_path: str):
    """A scenario, or a one-line error naming the field at fault (exit 2)."""
    from lookout.scenario import ScenarioError, load

    try:
        return load(name_or_path)
    except ScenarioError as e:
        fail(str(e))


def parse_lat_lon(text: str, what: str) -> tuple[float, float]:
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        fail(f"{what} {text!r} is not LAT,LON in degrees")
    if not -90.0 <= lat <= 90.0:
        fail(f"{what} latitude {lat:g} is outside -90..90 degrees")
    if not -180.0 <= lon <= 360.0:
        fail(f"{what} longitude {lon:g} is outside -180..360 degrees")
    return lat, lon


# -- web (lookout.web): shared by demo, replay, serve and node --------------------------------


def _policy_doc(path: Path | None) -> dict | None:
    """A releasability policy file as plain data (checked), or None."""
    if path is None:
        return None
    import yaml

    from lookout.exchange.policy import Policy, PolicyError

    try:
        Policy.load(path)
    except PolicyError as e:
        fail(str(e))
    return yaml.safe_load(path.read_text())


def _web_options(port, stay, cot_port, cot_cert, cot_key, cot_ca, cot_policy):
    from lookout.app.web_run import WebOptions
    from lookout.web.cot import CotPolicy, CotPolicyError

    if not 0 <= port <= 65535:
        fail(f"port = {port}, expected 0 (a free port) to 65535")
    if cot_port is not None and not 0 <= cot_port <= 65535:
        fail(f"cot-port = {cot_port}, expected 0 (free ports) to 65535")
    for name, p in (("cot-cert", cot_cert), ("cot-key", cot_key), ("cot-ca", cot_ca)):
        if p is not None and not p.is_file():
            fail(f"{name} = {str(p)!r}: no such file")
    try:
        cpol = CotPolicy.load(cot_policy) if cot_policy is not None else None
    except CotPolicyError as e:
        fail(str(e))
    if stay is None:
        stay = sys.stdin.isatty()
    return WebOptions(port=port, stay=stay, cot_port=cot_port, cot_cert=cot_cert,
                      cot_key=cot_key, cot_ca=cot_ca, cot_policy=cpol)  # fmt: skip


def _run_with_web(kind: str, *args, stderr: bool = False, **kwargs):
    """Run a job with the web server (``lookout.app.web_run``); its addresses go to the console
    (to stderr with ``stderr``, when stdout carries JSON)."""
    import asyncio

    from lookout.app import web_run as run

    out = Console(stderr=True) if stderr else console
    announce = lambda text: out.print(text, highlight=False, soft_wrap=True)  # noqa: E731
    job = {"demo": run.demo, "replay": run.replay, "serve": run.exchange_service,
           "node": run.partner_node}[kind]  # fmt: skip
    try:
        return asyncio.run(job(*args, announce=announce, **kwargs))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except OSError as e:
        fail(str(e))


def _print_result(title: str, result: dict) -> None:
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for k, v in result.items():
        table.add_row(k, f"{v:.4g}" if isinstance(v, float) else str(v))
    console.print(table)


def main() -> None:  # pragma: no cover
    sys.exit(app())
