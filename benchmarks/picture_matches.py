"""Which true object each system track of a partner's picture is judged on, over time.

    .venv/bin/python benchmarks/picture_matches.py SCENARIO [PARTNER ...]

Runs the embedded demo chain once on ``SCENARIO`` (a shipped name or a YAML file), scores the
named partners' pictures (all by default) as ``lookout bench picture-integrity`` does
(``lookout.app.demo.picture_scores``) and prints, per system track, the runs of report instants
it was matched to each truth, tracks by their index in the scores (0 for S1):
``0 ICBM-1 274-408, ICBM-1-stage3 409-409, ICBM-1 410-4616``. An id switch or a fragmentation
in the scores is a change of truth or of track there (the shipped lofted-icbm's views: S1 judged
on stage 3 for the one instant 409 s; 2 min)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from lookout.app.demo import picture_scores, run_demo
from lookout.cli.common import run_script
from lookout.scenario import ScenarioError, load
from lookout.scoring.evaluation import truth_bounds
from lookout.simulate import simulate


def runs(track_id: np.ndarray, truth: np.ndarray, t: np.ndarray, names) -> dict:
    """Per track id, its matches as ``[truth name, first t, last t]`` runs, in time order."""
    out: dict = {}
    order = np.lexsort((t, track_id))
    rows = zip(track_id[order].tolist(), truth[order].tolist(), t[order].tolist(), strict=True)
    for k, j, tt in rows:
        seq = out.setdefault(k, [])
        if seq and seq[-1][0] == names[j]:
            seq[-1][2] = tt
        else:
            seq.append([names[j], tt, tt])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("partners", nargs="*")
    args = ap.parse_args()
    sc = load(args.scenario)
    unknown = sorted(set(args.partners) - {p.id for p in sc.partners})
    if unknown:
        raise ScenarioError(f"partner = {', '.join(unknown)}: not one of {args.scenario}'s")
    sim = simulate(sc)
    with tempfile.TemporaryDirectory() as tmp:
        res = run_demo(sc, speed=0, audit_path=Path(tmp) / "audit.sqlite", sim=sim)
    partners = args.partners or list(res.state.nodes)
    scores = picture_scores(
        res.live, sim, partners, until_s=res.state.t_s, pcrlb_results=truth_bounds(sim),
        provenance=res.provenance,
    )  # fmt: skip
    for p, ps in scores.items():
        s = ps.scores
        m = s.matches
        print(f"{p}: id switches {s.id_switches}")
        for k, seq in runs(m.track_id, m.truth, m.t, s.truth_ids).items():
            print(f"  {k} " + ", ".join(f"{n} {a:.0f}-{b:.0f}" for n, a, b in seq))


if __name__ == "__main__":
    run_script(main)
