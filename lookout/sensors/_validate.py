"""Checks for sensor parameters: each error names the sensor, the field, the value and what
was expected."""

from __future__ import annotations

import math

from lookout.errors import LookoutError


class ParameterError(LookoutError, ValueError):
    """A sensor parameter is out of its valid domain."""


def fail(owner: str, field: str, value, expected: str) -> None:
    raise ParameterError(f"{owner}: {field} = {value!r}, expected {expected}")


def finite(owner: str, field: str, value) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        fail(owner, field, value, "a number")
    if not math.isfinite(x):
        fail(owner, field, value, "a finite number")
    return x


def positive(owner: str, field: str, value) -> float:
    x = finite(owner, field, value)
    if x <= 0:
        fail(owner, field, value, "> 0")
    return x


def non_negative(owner: str, field: str, value) -> float:
    x = finite(owner, field, value)
    if x < 0:
        fail(owner, field, value, ">= 0")
    return x


def within(owner: str, field: str, value, lo: float, hi: float) -> float:
    x = finite(owner, field, value)
    if not lo <= x <= hi:
        fail(owner, field, value, f"between {lo:g} and {hi:g}")
    return x


def name(owner: str, field: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        fail(owner, field, value, "a non-empty string")
    return value
