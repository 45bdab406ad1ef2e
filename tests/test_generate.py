"""The generated scenario sets: valid files, deterministic for a seed, varied, flyable."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from lookout.assess.territory import territories
from lookout.scenario import load, parse
from lookout.scenario.generate import KINDS, WEIGHTS, _kind_sequence, generate_one, write


@pytest.fixture(scope="module")
def srbm():
    return generate_one(5, 0, "srbm", fourth=True)


def test_a_generated_scenario_is_an_ordinary_valid_file(srbm, tmp_path):
    (path,) = write([srbm], tmp_path)
    sc = load(path)
    assert sc.name == srbm["name"] and sc.launches
    assert all(e.vehicle == "srbm-solid" for e in sc.launches)
    assert [p.id for p in sc.partners][:3] == ["KR", "JP", "US"]
    # The text round-trips: the file is the public format, nothing else.
    assert parse(yaml.safe_load(path.read_text())).raw == srbm


def test_same_seed_same_scenario_other_seed_other(srbm):
    assert generate_one(5, 0, "srbm", fourth=True) == srbm
    other = generate_one(6, 0, "srbm", fourth=True)
    assert other["launches"] != srbm["launches"]


def test_ships_are_at_sea_and_the_fourth_partner_has_one(srbm):
    ships = [s for p in srbm["partners"] for s in p["sensors"] if "track" in s]
    assert any(p["id"] == "AU" for p in srbm["partners"])
    assert ships
    outlines = territories()
    for s in ships:
        for _, lat, lon in s["track"]:
            assert outlines.land_at(math.radians(lat), math.radians(lon))[0] is None, s["id"]


def test_a_set_draws_every_kind():
    kinds = _kind_sequence(np.random.default_rng(3), sum(WEIGHTS.values()))
    assert set(kinds) == set(KINDS)
    assert kinds.count("srbm") == WEIGHTS["srbm"]


@pytest.mark.slow
def test_every_kind_flies_as_asked(tmp_path):
    """One scenario of each kind: valid, simulated, every launch seen by some sensor."""
    from lookout.simulate import simulate

    for i, kind in enumerate(KINDS):
        sc = load(write([generate_one(11, i, kind, fourth=i % 2 == 0)], tmp_path)[0])
        sim = simulate(sc)
        seen = {label for label in sim.labels if label is not None}
        for entry in sc.launches:
            assert entry.id in seen, (kind, entry.id)
