"""Input read from a file, checked by its type: ``convert`` turns a mapping (as read from YAML
or JSON) into a msgspec struct, and a value that does not fit becomes one line that names the
field (as a path such as ``launches[2].aim.loft``), the value found and what was expected.

The expectation is read from the struct's own field types, so a schema says once what a field
may hold: ``Annotated[float, Meta(ge=0)]`` is "a number >= 0", a ``Literal`` is "one of ...",
and a field whose ``Meta(description=...)`` is set is explained by that description. ``Finite``
is a float that must be finite; msgspec refuses ``bool`` where a number is expected, as a user
would.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import sys
import typing
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import inspect as mi

T = TypeVar("T")

FLOAT_MAX = sys.float_info.max
Finite = Annotated[float, msgspec.Meta(ge=-FLOAT_MAX, le=FLOAT_MAX)]
"""A finite number (NaN and infinities refused); a bound of ``FLOAT_MAX`` makes any float
field finite."""

Positive = Annotated[float, msgspec.Meta(gt=0.0, le=FLOAT_MAX)]
"""A finite number > 0."""
NonNegative = Annotated[float, msgspec.Meta(ge=0.0, le=FLOAT_MAX)]
"""A finite number >= 0."""
NonEmpty = Annotated[str, msgspec.Meta(pattern=r"\S")]
"""A string with something other than blanks in it."""
Lat = Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)]
"""A latitude in degrees."""
Lon = Annotated[float, msgspec.Meta(ge=-180.0, le=360.0)]
"""A longitude in degrees (east of Greenwich, up to 360)."""

_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_KEY = re.compile(r" - at `key` in `\$(?P<path>[^`]*)`$")
_STEP = re.compile(r"\.(?P<key>[^.\[]+)|\[(?P<index>\d+)\]")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<field>[^`]+)`")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`")


def convert(data: Any, type_: type[T], fail: Callable[[str, Any, str], Any], root: str = "") -> T:
    """``data`` as ``type_``; on a problem, ``fail(where, value, expected)`` is called (and must
    raise) with the field path under ``root``, the value found and the expectation."""
    try:
        return msgspec.convert(data, type_)
    except msgspec.ValidationError as exc:
        where, value, expected = explain(exc, data, type_)
        if isinstance(value, bool) and "string" in expected:
            # YAML 1.1 reads an unquoted NO (Norway's ISO code), yes, on or off as a boolean.
            expected += " (YAML reads an unquoted NO, no, yes, on or off as a boolean: quote it)"
        path = ".".join(p for p in (root, where) if p).replace(".[", "[")
        fail(path, value, expected)
        raise  # ``fail`` raises; this is reached only if it did not


def check(obj: Any, fail: Callable[[str, Any, str], Any]) -> None:
    """Every field of the dataclass ``obj`` against its annotated type (for an object built in
    code rather than converted from a file); ``fail(where, value, expected)`` on the first that
    does not fit. What relates fields to each other is the caller's to check."""
    hints = _hints(type(obj))
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        try:
            msgspec.convert(value, hints[f.name])
        except msgspec.ValidationError as exc:
            where, found, expected = explain(exc, value, hints[f.name])
            fail(
                f"{f.name}{where}" if where.startswith("[") else _join([f.name, where]),
                found,
                expected,
            )


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def explain(exc: msgspec.ValidationError, data: Any, type_: type) -> tuple[str, Any, str]:
    """The field path, the value found there and what the schema expects, for msgspec's error."""
    text = str(exc)
    key = _KEY.search(text)
    if key:  # a mapping with a key that is no field name (YAML reads ``1:`` as a number)
        steps = _steps(key["path"])
        value = data
        for step in steps:
            value = _child(value, step)
        bad = next((k for k in value if not isinstance(k, str)), None)
        where = _join(steps + ["key"]) if steps else "key"
        return where, bad, "a field name (a string)"
    match = _PATH.search(text)
    steps = _steps(match["path"]) if match else []
    what = text[: match.start()] if match else text
    value, kind = data, mi.type_info(type_)
    for step in steps:
        value = _child(value, step)
        kind = _child_type(kind, step)
    for pattern, missing in ((_UNKNOWN, False), (_MISSING, True)):
        found = pattern.match(what)
        if found:
            name = found["field"]
            known = sorted(f.encode_name for f in _struct(kind).fields) if _struct(kind) else []
            where = _join(steps + [name])
            if missing:
                return where, None, "a value (the field is required)"
            return where, _child(value, name), f"one of the fields {known}"
    return _join(steps), value, expectation(kind)


def expectation(kind: mi.Type) -> str:
    """What a value of this type is, in a user's words."""
    if isinstance(kind, mi.Metadata):
        described = (kind.extra_json_schema or {}).get("description")
        return described or expectation(kind.type)
    if isinstance(kind, mi.BoolType):
        return "true or false"
    if isinstance(kind, mi.IntType | mi.FloatType):
        limits = ((">=", kind.ge), (">", kind.gt), ("<=", kind.le), ("<", kind.lt))
        finite = any(b is not None and abs(b) >= FLOAT_MAX for _, b in limits)
        noun = "an integer" if isinstance(kind, mi.IntType) else "a number"
        noun = "a finite number" if finite else noun
        bounds = [f"{op} {b:g}" for op, b in limits if b is not None and abs(b) < FLOAT_MAX]
        return f"{noun} {' and '.join(bounds)}".strip()
    if isinstance(kind, mi.StrType):
        return "a non-empty string" if kind.min_length or kind.pattern else "a string"
    if isinstance(kind, mi.LiteralType):
        return "one of " + ", ".join(repr(v) for v in kind.values)
    if isinstance(kind, mi.StructType | mi.DataclassType):
        return "a mapping of fields"
    if isinstance(kind, mi.DictType):
        return "a mapping"
    if isinstance(kind, mi.ListType | mi.VarTupleType):
        return f"a list of at least {kind.min_length} item(s)" if kind.min_length else "a list"
    if isinstance(kind, mi.TupleType):
        return "[" + ", ".join(expectation(t) for t in kind.item_types) + "]"
    if isinstance(kind, mi.DateTimeType):
        return "an ISO 8601 UTC time such as 2023-12-18T00:24:00Z"
    if isinstance(kind, mi.UnionType):
        parts = [expectation(t) for t in kind.types if not isinstance(t, mi.NoneType)]
        return " or ".join(parts)
    return type(kind).__name__.removesuffix("Type").lower()


def _steps(path: str) -> list[str | int]:
    return [m["key"] if m["key"] is not None else int(m["index"]) for m in _STEP.finditer(path)]


def _join(steps: list[str | int]) -> str:
    out = ""
    for step in steps:
        if step == "":
            continue
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def _child(value: Any, step: str | int) -> Any:
    try:
        return value[step]
    except (KeyError, IndexError, TypeError):
        return None


def _struct(kind: mi.Type) -> mi.StructType | None:
    while isinstance(kind, mi.Metadata | mi.UnionType):
        if isinstance(kind, mi.Metadata):
            kind = kind.type
        else:
            kind = next((t for t in kind.types if _struct(t) is not None), None)
            if kind is None:
                return None
    return kind if isinstance(kind, mi.StructType | mi.DataclassType) else None


def _child_type(kind: mi.Type, step: str | int) -> mi.Type:
    while True:
        if isinstance(kind, mi.Metadata):
            kind = kind.type
        elif isinstance(kind, mi.UnionType):
            inner = [t for t in kind.types if not isinstance(t, mi.NoneType)]
            if len(inner) != 1:
                return mi.AnyType()
            kind = inner[0]
        else:
            break
    if isinstance(step, str):
        struct = _struct(kind)
        if struct is not None:
            for f in struct.fields:
                if f.encode_name == step:
                    return f.type
        if isinstance(kind, mi.DictType):
            return kind.value_type
        return mi.AnyType()
    if isinstance(kind, mi.ListType | mi.VarTupleType):
        return kind.item_type
    if isinstance(kind, mi.TupleType) and step < len(kind.item_types):
        return kind.item_types[step]
    return mi.AnyType()
