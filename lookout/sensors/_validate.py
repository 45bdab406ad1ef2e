"""A sensor parameter's error: it names the sensor, the field, the value and what was expected.
The ranges themselves are the parameters' annotated types, checked by ``lookout.fields.check``."""

from __future__ import annotations

from typing import NoReturn

from lookout.errors import LookoutError


class ParameterError(LookoutError, ValueError):
    """A sensor parameter is out of its valid domain."""


def fail(owner: str, field: str, value, expected: str) -> NoReturn:
    raise ParameterError(f"{owner}: {field} = {value!r}, expected {expected}")
