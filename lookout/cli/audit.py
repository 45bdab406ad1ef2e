"""``lookout audit``: the exchange's audit log (``verify``, ``export``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from lookout.cli.common import (
    app,
    console,
    fail,
)

audit_app = typer.Typer(
    help="The exchange's audit log: check its hash chain and signatures, export it.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")


def _audit_keys(log: Path, keys: Path | None):
    """The senders' public keys and the exchange's, from a directory of <NAME>.pub files or
    (simulation) derived from the seed the log's metadata records."""
    from lookout.exchange.audit import read_meta
    from lookout.exchange.keys import EXCHANGE, Keyring

    if keys is not None:
        if not keys.is_dir():
            fail(f"keys {str(keys)!r} is not a directory of <NAME>.pub files")
        ring = Keyring.from_dir(keys)
    else:
        import yaml

        meta = read_meta(log)
        text = {k: v.decode() if isinstance(v, bytes) else v for k, v in meta.items()}
        if "key_seed" not in text or "policy" not in text:
            fail(f"{log}: no key seed in its metadata; pass --keys DIR with <NAME>.pub files")
        partners = list(yaml.safe_load(text["policy"])["partners"])
        ring = Keyring.derived(text["key_seed"], [*partners, EXCHANGE])
    return ring, ring.get(EXCHANGE)


@audit_app.command("verify")
def audit_verify(
    log: Path = typer.Argument(..., help="An audit log (lookout demo or lookout serve)."),
    keys: Path | None = typer.Option(
        None, help="Directory of <NAME>.pub public keys (default: derived from the log's seed)."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Check the hash chain over every row (any row changed, removed or inserted breaks it),
    the checkpoints and their signatures, and the signature of every envelope taken. Exit
    status 1 when anything is wrong."""
    from lookout.exchange.audit import verify

    if not log.is_file():
        fail(f"audit log {str(log)!r} does not exist")
    ring, exchange_key = _audit_keys(log, keys)
    try:
        result = verify(log, ring, exchange_key)
    except Exception as e:  # noqa: BLE001 - a file that is no audit log
        fail(f"{log}: cannot read it as an audit log: {e}")
    summary = {
        "ok": result.ok,
        "rows": result.rows,
        "signatures": result.signatures,
        "checkpoints": result.checkpoints,
        "last_checkpoint_row": result.last_checkpoint_row,
        "problems": result.problems,
    }
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        state = "[green]intact[/]" if result.ok else "[red]NOT intact[/]"
        console.print(
            f"{log}: {state}: {result.rows} rows chained, {result.signatures} envelope "
            f"signatures and {result.checkpoints} checkpoints verified (last at row "
            f"{result.last_checkpoint_row})",
            highlight=False,
        )
        for problem in result.problems:
            console.print(f"  {problem}", highlight=False)
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    log: Path = typer.Argument(..., help="An audit log, even one whose process was killed."),
    out: Path = typer.Argument(..., help="The single-file copy to write."),
) -> None:
    """Copy an audit log into one self-contained SQLite file, with what its -wal file holds
    (after a kill the last commits live only there; a copy of the .sqlite alone is short)."""
    from lookout.exchange.audit import export

    if not log.is_file():
        fail(f"audit log {str(log)!r} does not exist")
    if out.resolve() == log.resolve():
        fail("out: the copy must be another file than the log")
    try:
        rows = export(log, out)
    except Exception as e:  # noqa: BLE001 - reported in one line
        fail(f"{log}: cannot export: {e}")
    console.print(f"{out}: {rows} rows", highlight=False)
