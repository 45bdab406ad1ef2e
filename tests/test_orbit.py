"""Orbit insertion by the space launcher from Sohae (39.66N 124.7E)."""

import pytest

from lookout.flight import Aim, AimError, fly, plan, summarise


def test_southward_500_km_orbit():
    launch = plan(39.66, 124.7, Aim(azimuth_deg=180, orbit_km=500))
    s = summarise(launch, fly([launch]))
    assert s.orbital
    # Heights are above the equatorial radius: the geodetic 500 km is ~4 km less at insertion.
    assert s.orbit["perigee_km"] == pytest.approx(500, rel=0.02)
    assert s.orbit["apogee_km"] == pytest.approx(500, rel=0.02)
    # Due south: a near-polar orbit. The Earth's eastward spin alone would tilt it to ~88 deg;
    # the Coriolis drift of the rotating-frame steering turns it back to ~90 deg.
    assert s.orbit["inclination_deg"] == pytest.approx(90, abs=3)


def test_100_km_orbit_refused():
    with pytest.raises(AimError, match="100 km is too low"):
        plan(39.66, 124.7, Aim(azimuth_deg=180, orbit_km=100))
