"""The golden check: `lookout track S --json` gives the same figures before and after a change.

    .venv/bin/python benchmarks/golden.py check                  # every recorded scenario
    .venv/bin/python benchmarks/golden.py check lost-track       # one
    .venv/bin/python benchmarks/golden.py record lost-track srbm-salvo   # (re)record
    .venv/bin/python benchmarks/golden.py record demo:srbm-salvo   # the picture path too

For a change meant to leave behaviour alone (a move, a rename, one home for a convention). Each
scenario runs the installed command, `lookout track S --json --out DIR`, in a child process, as
a user would. What is recorded, in ``tests/data/golden/<scenario>.json``: the whole JSON result
less its wall-clock fields (``wall_s``, ``realtime_factor``, ``detections_per_s``,
``timings_s``), plus the SHA-256 of ``tracks.jsonl`` and ``assessments.jsonl`` (every reported
track state and covariance, every assessment), so a change in the last bit of any track shows.
The comparison is exact: the run is deterministic (seeded; two runs of the same commit give the
same bytes on one machine). Another machine's BLAS may differ in the last bits: re-record there
from a commit known good, then check the change. ~50 s a scenario on this project's 2-core box.
``tests/test_golden.py`` (marked slow) runs the same check.

A name ``demo:S`` checks the picture path instead (nodes, exchange, fusion, the common picture,
warnings), which `lookout track` does not take: `lookout demo S --speed 0 --json --duration-s
400` in a scratch directory, less ``wall_s``, then `lookout replay` of its audit log (``--json``),
recorded together in ``demo-S.json``. ~4 min for srbm-salvo.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "golden"
# Scenarios recorded by default: two of the shipped ones with the most happening per second
# (radar loss and re-initiation; a salvo of closely spaced objects); `record NAME` adds others.
DEFAULT = ("lost-track", "srbm-salvo")
WALL_CLOCK = ("wall_s", "realtime_factor", "detections_per_s", "timings_s")
DEMO_DURATION_S = 400.0


def lookout_command() -> list[str]:
    """The `lookout` entry point of the interpreter running this (the project's venv)."""
    exe = Path(sys.executable).parent / "lookout"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "from lookout.cli import app; app()"]


def lookout_json(args: list[str], cwd: str) -> dict:
    """The JSON a `lookout` command prints, run in ``cwd``."""
    cmd = [*lookout_command(), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def run(scenario: str) -> dict:
    """`lookout track SCENARIO --json` less its wall-clock fields, with digests of its outputs."""
    with tempfile.TemporaryDirectory(prefix="lookout-golden-") as tmp:
        result = lookout_json(["track", scenario, "--json", "--out", tmp], tmp)
        for key in WALL_CLOCK:
            result.pop(key, None)
        result["sha256"] = {
            name: hashlib.sha256((Path(tmp) / f"{name}.jsonl").read_bytes()).hexdigest()
            for name in ("tracks", "assessments")
        }
    return result


def run_demo(scenario: str) -> dict:
    """`lookout demo SCENARIO --speed 0 --json` (less ``wall_s``), `lookout replay` of its log."""
    with tempfile.TemporaryDirectory(prefix="lookout-golden-") as tmp:
        demo = lookout_json(
            ["demo", scenario, "--speed", "0", "--json", "--no-web",
             "--duration-s", f"{DEMO_DURATION_S:g}", "--audit", "audit.sqlite"], tmp,
        )  # fmt: skip
        demo.pop("wall_s", None)
        return {"demo": demo, "replay": lookout_json(["replay", "audit.sqlite", "--json"], tmp)}


def differences(want, got, path: str = "") -> list[str]:
    """Every place where two JSON values differ, as ``path: want -> got`` lines."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for key in sorted(set(want) | set(got), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in got:
                out.append(f"{where}: {want[key]!r} -> (missing)")
            elif key not in want:
                out.append(f"{where}: (missing) -> {got[key]!r}")
            else:
                out += differences(want[key], got[key], where)
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        pairs = enumerate(zip(want, got, strict=True))
        return [d for i, (a, b) in pairs for d in differences(a, b, f"{path}[{i}]")]
    return [] if want == got else [f"{path}: {want!r} -> {got!r}"]


def path_for(name: str) -> Path:
    if name.startswith("demo:"):
        return GOLDEN_DIR / f"demo-{Path(name[5:]).stem}.json"
    return GOLDEN_DIR / f"{Path(name).stem}.json"


def recorded() -> list[str]:
    stems = sorted(p.stem for p in GOLDEN_DIR.glob("*.json"))
    return [f"demo:{s[5:]}" if s.startswith("demo-") else s for s in stems]


def _run(name: str) -> dict:
    return run_demo(name[5:]) if name.startswith("demo:") else run(name)


def check(scenario: str) -> list[str]:
    """The differences between the recorded figures of ``scenario`` and a fresh run."""
    want = json.loads(path_for(scenario).read_text())
    return differences(want, _run(scenario))


def record(scenario: str) -> Path:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    path = path_for(scenario)
    path.write_text(json.dumps(_run(scenario), indent=1, sort_keys=True) + "\n")
    return path


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("check", "record"):
        print(__doc__)
        return 2
    verb, names = argv[0], argv[1:]
    if verb == "record":
        for name in names or DEFAULT:
            print(f"recorded {record(name)}")
        return 0
    bad = 0
    for name in names or recorded():
        if not path_for(name).exists():
            print(f"{name}: not recorded (benchmarks/golden.py record {name})", file=sys.stderr)
            return 2
        diffs = check(name)
        print(f"{name}: {'same' if not diffs else f'{len(diffs)} differences'}")
        for line in diffs[:40]:
            print(f"  {line}")
        bad += bool(diffs)
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RuntimeError as e:  # a lookout command failed: its own one-line error, said once
        sys.exit(f"golden: {e}")
