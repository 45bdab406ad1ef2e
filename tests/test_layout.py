"""The package layout is the architecture (docs/architecture.md): nothing imports upward.

Every ``import`` and ``from ... import`` of the package, at the top of a module or inside a
function, is read with ``ast``; each names the unit it comes from (a top-level package such as
``physics``, or a top-level module such as ``geodesy``) and the unit it reaches. A unit may
import only the units listed for it in ``MAY_IMPORT``: the shared modules, and the stages
before it in the pipeline. A new top-level package or module must be given its row.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lookout"

#: Small modules every unit may import.
SHARED = {"errors", "timebase", "geodesy", "messages", "fields"}
_STAGES = SHARED | {"physics", "flight", "failure", "sensors", "scenario", "simulate", "exchange",
                    "tracking", "assess", "picture", "node", "warn", "web", "scoring"}  # fmt: skip

#: What each unit may import (besides itself), in the order of docs/architecture.md.
MAY_IMPORT: dict[str, set[str]] = {
    "errors": set(),
    "timebase": set(),
    "geodesy": {"errors"},
    "messages": {"errors", "timebase", "geodesy"},
    "fields": {"errors"},
    "physics": SHARED,
    "flight": SHARED | {"physics"},
    # A launch that fails in boost: a planned flight cut off or broken up (kept out of flight,
    # whose source keys the plan cache).
    "failure": SHARED | {"physics", "flight"},
    "sensors": SHARED | {"physics"},
    "scenario": SHARED | {"physics", "flight", "failure", "sensors"},
    "simulate": SHARED | {"physics", "flight", "failure", "sensors", "scenario"},
    "exchange": SHARED,
    "tracking": SHARED | {"physics"},
    "assess": SHARED | {"physics", "tracking"},
    "picture": SHARED | {"physics", "tracking", "assess"},
    "node": SHARED | {"physics", "exchange", "tracking", "assess", "picture"},
    "warn": SHARED | {"physics", "tracking", "assess", "picture"},
    "web": SHARED | {"physics", "scenario", "exchange", "assess", "picture", "warn"},
    "scoring": SHARED
    | {
        "physics",
        "flight",
        "failure",
        "sensors",
        "scenario",
        "simulate",
        "tracking",
        "assess",
        "picture",
    },  # fmt: skip
    "app": _STAGES,
    "bench": _STAGES | {"app"},
    "cli": _STAGES | {"app", "bench"},
}

#: Imports that cross the layers on purpose: (importing module, unit imported, why).
EXCEPTIONS = {
    ("lookout.scenario.generate", "assess"):
        "a generated ship is put at sea by the assessment's own coastlines "
        "(assess.territory), so that it is at sea for the scores too",
}  # fmt: skip


def unit_of(module: str) -> str:
    """``lookout.physics.gravity`` -> ``physics``; ``lookout.geodesy`` -> ``geodesy``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str) -> list[tuple[str, int]]:
    """The package's modules ``source`` imports, with their line numbers."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("lookout.")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against this module's package
                base = module.split(".")[: -node.level]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name == "lookout":  # from lookout import messages
                out += [(f"lookout.{a.name}", node.lineno) for a in node.names]
            elif name.startswith("lookout."):
                out.append((name, node.lineno))
    return out


def upward_imports(root: Path) -> list[str]:
    """Every import under ``root`` (the package directory) that ``MAY_IMPORT`` does not allow,
    as ``module:line imports target (unit -> unit)`` lines."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        src = unit_of(module)
        if not src:  # the package's own __init__
            continue
        if src not in MAY_IMPORT:
            bad.append(f"{module}: unit {src!r} has no row in MAY_IMPORT")
            continue
        for target, line in imports_of(path.read_text(), module):
            dst = unit_of(target)
            if dst == src or dst in MAY_IMPORT[src] or (module, dst) in EXCEPTIONS:
                continue
            bad.append(f"{module}:{line} imports {target} ({src} -> {dst})")
    return bad


def test_nothing_imports_upward():
    assert upward_imports(PACKAGE) == []


def test_every_exception_is_still_needed():
    used = set()
    for path in PACKAGE.rglob("*.py"):
        module = module_name(path, PACKAGE)
        used |= {(module, unit_of(t)) for t, _ in imports_of(path.read_text(), module)}
    assert set(EXCEPTIONS) <= used


def test_the_graph_has_no_cycle():
    seen: dict[str, int] = {}

    def visit(unit: str, path: tuple[str, ...]) -> None:
        assert unit not in path, f"cycle: {' -> '.join((*path, unit))}"
        for dep in MAY_IMPORT[unit]:
            visit(dep, (*path, unit))
        seen[unit] = 1

    for unit in MAY_IMPORT:
        visit(unit, ())


@pytest.mark.parametrize(
    ("module", "source", "found"),
    [
        ("physics/gravity.py", "from lookout.flight import fly\n", "physics -> flight"),
        ("tracking/motion.py", "def f():\n    import lookout.picture.fusion\n", "-> picture"),
        ("warn/decide.py", "from lookout.app.defaults import STEP_S\n", "warn -> app"),
        ("exchange/bus.py", "from lookout import node\n", "exchange -> node"),
        ("picture/common.py", "from ..cli import app\n", "picture -> cli"),
        ("oracle.py", "from lookout.geodesy import G0\n", "no row in MAY_IMPORT"),
    ],
)
def test_an_upward_import_is_found(tmp_path, module, source, found):
    root = tmp_path / "lookout"
    path = root / module
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    (root / "geodesy.py").write_text("from lookout import errors\n")
    bad = upward_imports(root)
    assert len(bad) == 1 and found in bad[0]


# ----------------------------------------------------------------------------- the tests' own


def test_the_test_files_handed_out_first_exist():
    """``tests/conftest.py`` names the longest test files, which ``make``'s workers take first: a
    file renamed or split away would fall back silently to its name's place, last perhaps."""
    from conftest import LONGEST_FIRST

    tests = Path(__file__).resolve().parent
    assert [name for name in LONGEST_FIRST if not (tests / name).is_file()] == []
