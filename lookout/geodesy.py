"""WGS84 geodesy for the whole package, delegated to pyproj (PROJ).

Angles in radians unless a name says ``_deg``; lengths in metres. Every function broadcasts
over arrays of points.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pyproj

#: Earth's rotation rate (IERS), rad/s.
OMEGA_EARTH = 7.2921150e-5
#: WGS84 gravitational parameter (m^3/s^2), equatorial radius (m), J2.
GM_EARTH = 3.986004418e14
R_EQUATOR = 6378137.0
J2 = 1.08262668e-3
#: WGS84 semi-minor (polar) axis (m), from the flattening 1/298.257223563 (pyproj's value).
R_POLAR = 6356752.314245179
#: Mean Earth radius (m, IUGG R1), for the spherical Keplerian range and energy formulas.
R_MEAN = 6371008.8
#: Standard gravity (m/s^2): specific impulse to exhaust speed, load factors in g.
G0 = 9.80665

_TO_GEODETIC = pyproj.Transformer.from_crs("EPSG:4978", "EPSG:4979")
_TO_ECEF = pyproj.Transformer.from_crs("EPSG:4979", "EPSG:4978")
_GEOD = pyproj.Geod(ellps="WGS84")


def _proj_call():
    """The call ``Transformer.transform`` makes into PROJ for arrays (pyproj's Cython method
    ``_transform``, filling the three coordinate buffers in place), if this pyproj has it and
    it gives ``transform``'s figures to the bit; else None. ``transform`` first tries the point
    form and catches its ``TypeError``, then checks and copies each input: 2.5 of the 6 CPU µs
    of a call on the few rows of a flight's step (``benchmarks/small_calls.py``)."""
    try:
        from pyproj.enums import TransformDirection

        call = partial(
            _TO_GEODETIC._transformer._transform,
            intime=None,
            direction=TransformDirection.FORWARD,
            radians=False,
            errcheck=False,
        )
        probe = np.array([[R_EQUATOR + 1.5, 0.25, -3.0], [-3.1e6, 4.2e6, 3.3e6]])
        x, y, z = (probe[:, i].copy() for i in range(3))
        call(inx=x, iny=y, inz=z)
        want = _TO_GEODETIC.transform(probe[:, 0], probe[:, 1], probe[:, 2])
    except Exception:  # another pyproj: its public call
        return None
    same = all(np.array_equal(a, b) for a, b in zip((x, y, z), want, strict=True))
    return call if same else None


_PROJ_CALL = _proj_call()


def _to_geodetic_deg(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat_deg, lon_deg, alt_m) of ECEF positions ``pos`` (float, (..., 3)): PROJ's figures,
    through ``_PROJ_CALL`` for (N, 3) arrays."""
    if _PROJ_CALL is None or pos.ndim != 2 or pos.shape[0] == 0:
        lat, lon, alt = _TO_GEODETIC.transform(pos[..., 0], pos[..., 1], pos[..., 2])
        return lat, lon, np.asarray(alt, dtype=float)
    x, y, z = (np.array(pos[:, i], dtype=float, order="C") for i in range(3))
    _PROJ_CALL(inx=x, iny=y, inz=z)
    return x, y, z


def ecef_to_geodetic(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ECEF positions (..., 3) in metres -> (lat_rad, lon_rad, alt_m) on WGS84."""
    lat, lon, alt = _to_geodetic_deg(np.asarray(pos, dtype=float))
    return np.radians(lat), np.radians(lon), alt


def geodetic_altitude(pos: np.ndarray) -> np.ndarray:
    """Geodetic altitude (m) of ECEF positions (..., 3): ``ecef_to_geodetic``'s third figure."""
    return _to_geodetic_deg(np.asarray(pos, dtype=float))[2]


def altitude_below(pos: np.ndarray, ceiling_m: float) -> np.ndarray:
    """Geodetic altitude (m) of ECEF positions (N, 3) that may lie below ``ceiling_m``; for the
    others, ``|r| - R_EQUATOR``, a lower bound of their altitude that is above the ceiling.

    For loops that only compare altitudes with thresholds under the ceiling (impact, reentry,
    the atmosphere's top): the exact conversion is done only where it can matter.
    """
    pos = np.asarray(pos, dtype=float)
    alt = np.linalg.norm(pos, axis=-1) - R_EQUATOR
    low = alt < ceiling_m
    if low.any():
        alt[low] = geodetic_altitude(pos[low])
    return alt


def geodetic_to_ecef(lat: np.ndarray, lon: np.ndarray, alt: np.ndarray | float = 0.0) -> np.ndarray:
    """Geodetic (lat_rad, lon_rad, alt_m) -> ECEF positions (..., 3) in metres."""
    lat, lon, alt = np.broadcast_arrays(
        np.asarray(lat, dtype=float), np.asarray(lon, dtype=float), np.asarray(alt, dtype=float)
    )
    x, y, z = _TO_ECEF.transform(np.degrees(lat), np.degrees(lon), alt)
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def enu_basis(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Unit East, North, Up vectors in ECEF at geodetic (lat, lon): shape (..., 3, 3), rows E, N, U.

    This is the rotation matrix ECEF -> ENU, so ``enu = basis @ d_ecef``.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    # Filled in place (the values of four ``np.stack`` calls, without their checks).
    out = np.empty((*sl.shape, 3, 3))
    out[..., 0, 0], out[..., 0, 1], out[..., 0, 2] = -so, co, 0.0
    out[..., 1, 0], out[..., 1, 1], out[..., 1, 2] = -sl * co, -sl * so, cl
    out[..., 2, 0], out[..., 2, 1], out[..., 2, 2] = cl * co, cl * so, sl
    return out


def geodesic_inverse(lat1, lon1, lat2, lon2) -> tuple[np.ndarray, np.ndarray]:
    """Ellipsoidal distance (m) and forward azimuth (rad, from north, clockwise) from 1 to 2."""
    az12, _az21, dist = _GEOD.inv(
        np.degrees(lon1), np.degrees(lat1), np.degrees(lon2), np.degrees(lat2)
    )
    return np.asarray(dist, dtype=float), np.radians(az12)


def geodesic_direct(lat, lon, azimuth, distance) -> tuple[np.ndarray, np.ndarray]:
    """Point (lat_rad, lon_rad) from (lat, lon) along ``azimuth`` (rad) after ``distance`` m."""
    lon2, lat2, _ = _GEOD.fwd(np.degrees(lon), np.degrees(lat), np.degrees(azimuth), distance)
    return np.radians(lat2), np.radians(lon2)


def ground_range(pos_a: np.ndarray, pos_b: np.ndarray) -> np.ndarray:
    """Geodesic distance (m) along the WGS84 surface between the nadirs of two ECEF points."""
    lat_a, lon_a, _ = ecef_to_geodetic(pos_a)
    lat_b, lon_b, _ = ecef_to_geodetic(pos_b)
    return geodesic_inverse(lat_a, lon_a, lat_b, lon_b)[0]


def unwrap_lon_deg(lon_deg) -> np.ndarray:
    """The longitudes (deg) of a ring's corners made continuous: each step from one corner to
    the next taken the short way round (less than 180 deg), so a ring across the antimeridian
    (170 E to 170 W) runs on past 180 (to 190) instead of the long way round the world."""
    lon = np.asarray(lon_deg, dtype=float)
    if lon.size == 0:
        return lon
    step = (np.diff(lon) + 180.0) % 360.0 - 180.0
    return np.concatenate([lon[:1], lon[0] + np.cumsum(step)])


def ring_round_pole(lon_deg) -> bool:
    """Whether a closed ring's corners, each step taken the short way, go once round the
    Earth's axis (the ring holds a pole and is no lon/lat polygon)."""
    lon = unwrap_lon_deg(lon_deg)
    if lon.size == 0:
        return False
    closing = (lon[0] - lon[-1] + 180.0) % 360.0 - 180.0
    return abs(lon[-1] + closing - lon[0]) > 180.0


def wrap_lonlat(geom):
    """A lon/lat (degrees, shapely) geometry whose longitudes pass +-180 (drawn continuously
    across the antimeridian) cut there and brought into [-180, 180], as GeoJSON wants it
    (RFC 7946, 3.1.9); unchanged when already inside."""
    import shapely
    import shapely.affinity
    from shapely.geometry import box

    minx, _, maxx, _ = geom.bounds
    if minx >= -180 and maxx <= 180:
        return geom
    pieces = []
    for k in range(int(np.floor((minx + 180) / 360)), int(np.floor((maxx + 180) / 360)) + 1):
        shift = -360.0 * k
        part = geom.intersection(box(-180 - shift, -90, 180 - shift, 90))
        if not part.is_empty:
            pieces.append(shapely.affinity.translate(part, xoff=shift))
    return shapely.union_all(pieces)
