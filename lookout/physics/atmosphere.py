"""Standard atmosphere: US 1976 (``ambiance``'s) to 80 km, exponential above.

The US 1976 table is ``us1976.csv``, written by ``python -m lookout.physics.atmosphere`` from
``ambiance`` (and checked against it by the tests), so that importing the flight model does not
import ``ambiance`` and the SciPy it pulls in (about a second of every command's start).
Look-ups are vectorised linear interpolation in altitude (log-linear for density and pressure,
so the extension above 80 km is piecewise exponential).
"""

from __future__ import annotations

from importlib import resources

import numpy as np

#: Top of the tabulated US 1976 model as ``ambiance`` provides it (m).
_TABLE_TOP_M = 80_000.0
#: US 1976 Standard Atmosphere densities (kg/m^3) above 80 km, from its published tables;
#: between these anchors the density falls exponentially.
_UPPER_ALT_M = np.array([86e3, 100e3, 120e3, 150e3, 200e3, 300e3, 500e3, 1000e3, 3000e3])
_UPPER_RHO = np.array(
    [6.958e-6, 5.604e-7, 2.222e-8, 2.076e-9, 2.541e-10, 1.916e-11, 5.215e-13, 3.561e-15, 1e-20]
)

#: Above this altitude the flight model leaves drag out: the density is below 2e-11 kg/m^3, and
#: no body of the catalogue feels more than about 1e-5 m/s^2 of drag there, against ~1e-2 m/s^2
#: of J2.
DRAG_CEILING_M = 300e3

#: Altitudes (m) of the tabulated US 1976 model.
TABLE_ALT_M = np.linspace(0.0, _TABLE_TOP_M, 321)
_TABLE_FILE = "us1976.csv"


def us1976_table() -> np.ndarray:
    """(alt_m, density, pressure, speed_of_sound) rows of ``us1976.csv``. (Read by hand:
    ``np.loadtxt`` imports ``numpy.ma``, some 40 ms of every command's start.)"""
    with resources.files("lookout.physics").joinpath(_TABLE_FILE).open() as f:
        next(f)  # the header
        return np.array([[float(x) for x in line.split(",")] for line in f if line.strip()])


def write_us1976_table(path) -> None:
    """Write ``us1976.csv`` from ``ambiance`` (the source of the table)."""
    from ambiance import Atmosphere

    atm = Atmosphere(TABLE_ALT_M)
    rows = np.column_stack([TABLE_ALT_M, atm.density, atm.pressure, atm.speed_of_sound])
    np.savetxt(
        path,
        rows,
        delimiter=",",
        fmt="%.12e",
        header="alt_m,density_kg_m3,pressure_pa,speed_of_sound_mps",
        comments="",
    )


_table = us1976_table()
_alt_low, _rho_low, _p_low, _a_low = _table.T
_ALT = np.concatenate([_alt_low, _UPPER_ALT_M])
_LOG_RHO = np.log(np.concatenate([_rho_low, _UPPER_RHO]))
# Pressure above 80 km scales with density (constant scale height approximation).
_p_top, _rho_top = float(_p_low[-1]), float(_rho_low[-1])
_LOG_P = np.log(np.concatenate([_p_low, _UPPER_RHO * _p_top / _rho_top]))
_SOUND = np.concatenate([_a_low, np.full(_UPPER_ALT_M.size, _a_low[-1])])

SEA_LEVEL_PRESSURE_PA = float(_p_low[0])


def density(alt_m: np.ndarray) -> np.ndarray:
    """Air density (kg/m^3) at geometric altitude (m); sea-level value below 0."""
    return np.exp(np.interp(alt_m, _ALT, _LOG_RHO))


def pressure(alt_m: np.ndarray) -> np.ndarray:
    """Static pressure (Pa) at altitude (m)."""
    return np.exp(np.interp(alt_m, _ALT, _LOG_P))


def speed_of_sound(alt_m: np.ndarray) -> np.ndarray:
    """Speed of sound (m/s) at altitude (m); constant above 80 km."""
    return np.interp(alt_m, _ALT, _SOUND)


if __name__ == "__main__":  # python -m lookout.physics.atmosphere: regenerate the table
    from pathlib import Path

    write_us1976_table(Path(__file__).with_name(_TABLE_FILE))
