"""Standard atmosphere: US 1976 (via ``ambiance``) to 80 km, exponential above.

The table is built once; look-ups are vectorised linear interpolation in altitude (log-linear
for density and pressure, so the extension above 80 km is piecewise exponential).
"""

from __future__ import annotations

import numpy as np
from ambiance import Atmosphere

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

_alt_low = np.linspace(0.0, _TABLE_TOP_M, 321)
_atm = Atmosphere(_alt_low)
_ALT = np.concatenate([_alt_low, _UPPER_ALT_M])
_LOG_RHO = np.log(np.concatenate([_atm.density, _UPPER_RHO]))
# Pressure above 80 km scales with density (constant scale height approximation).
_p_top, _rho_top = float(_atm.pressure[-1]), float(_atm.density[-1])
_LOG_P = np.log(np.concatenate([_atm.pressure, _UPPER_RHO * _p_top / _rho_top]))
_SOUND = np.concatenate([_atm.speed_of_sound, np.full(_UPPER_ALT_M.size, _atm.speed_of_sound[-1])])

SEA_LEVEL_PRESSURE_PA = float(_atm.pressure[0])


def density(alt_m: np.ndarray) -> np.ndarray:
    """Air density (kg/m^3) at geometric altitude (m); sea-level value below 0."""
    return np.exp(np.interp(alt_m, _ALT, _LOG_RHO))


def pressure(alt_m: np.ndarray) -> np.ndarray:
    """Static pressure (Pa) at altitude (m)."""
    return np.exp(np.interp(alt_m, _ALT, _LOG_P))


def speed_of_sound(alt_m: np.ndarray) -> np.ndarray:
    """Speed of sound (m/s) at altitude (m); constant above 80 km."""
    return np.interp(alt_m, _ALT, _SOUND)
