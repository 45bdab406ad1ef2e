"""The README's commands are the ones a newcomer types: each names a command that exists, with
options it has, and its `lookout fly` examples fly."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lookout.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_commands() -> list[list[str]]:
    """Each `.venv/bin/lookout ...` line of the README, as its arguments (comments dropped)."""
    out = []
    for line in README.read_text().splitlines():
        line = line.strip()
        if line.startswith(".venv/bin/lookout "):
            args = shlex.split(line, comments=True)[1:]
            out.append(args)
    return out


def resolve(args: list[str]):
    """The command the arguments name and the options they give it."""
    cmd = typer.main.get_command(app)
    i = 0
    while hasattr(cmd, "commands") and i < len(args) and not args[i].startswith("-"):
        # `bench flight|plan|...` names several: the first stands for them here.
        name = args[i].split("|")[0]
        sub = cmd.commands.get(name)
        assert sub is not None, f"README: `lookout {' '.join(args[: i + 1])}` is no command"
        cmd, i = sub, i + 1
    return cmd, [a.split("=")[0] for a in args[i:] if a.startswith("--")]


def test_every_readme_command_exists_with_its_options():
    commands = readme_commands()
    assert len(commands) >= 10
    for args in commands:
        cmd, options = resolve(args)
        known = {"--help"} | {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)}
        for opt in options:
            assert opt in known, f"README: `lookout {' '.join(args)}`: {opt} is no option"
    # The check can fail: a made-up command and option are caught.
    with pytest.raises(AssertionError, match="no command"):
        resolve(["no-such-command"])


@pytest.mark.parametrize(
    "args",
    [a for a in readme_commands() if a[0] == "fly"],
    ids=lambda a: " ".join(a)[:60],
)
def test_readme_fly_examples_fly(args):
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    assert re.search(r"apogee", out.output, re.I), out.output
