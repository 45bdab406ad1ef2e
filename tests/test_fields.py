"""Input fields checked by their types (``lookout.fields``): the message names the field path,
the value found and what the type says was expected."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

import msgspec
import pytest
from msgspec import Meta

from lookout import fields
from lookout.fields import Finite, Lat, NonEmpty, Positive


class Leg(msgspec.Struct, forbid_unknown_fields=True):
    start_s: Finite
    bank_deg: Annotated[float, Meta(ge=-80.0, le=80.0)]


class Plan(msgspec.Struct, forbid_unknown_fields=True):
    id: NonEmpty
    seed: Annotated[int, Meta(ge=0)]
    mode: Literal["fast", "slow"] = "fast"
    site: Annotated[tuple[Lat, float], Meta(description="[lat_deg, lon_deg]")] = (0.0, 0.0)
    legs: list[Leg] = []


class Refused(ValueError):
    pass


def _fail(where, value, expected):
    raise Refused(f"{where} = {value!r}, expected {expected}")


def _message(data) -> str:
    with pytest.raises(Refused) as info:
        fields.convert(data, Plan, _fail, root="plans[3]")
    return str(info.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"id": " ", "seed": 1}, "plans[3].id = ' ', expected a non-empty string"),
        ({"id": "a", "seed": -1}, "plans[3].seed = -1, expected an integer >= 0"),
        ({"id": "a", "seed": True}, "plans[3].seed = True, expected an integer >= 0"),
        ({"id": "a"}, "plans[3].seed = None, expected a value (the field is required)"),
        ({"id": "a", "seed": 1, "colour": 2}, "plans[3].colour = 2, expected one of the fields"),
        ({"id": "a", "seed": 1, 5: "x"}, "plans[3].key = 5, expected a field name (a string)"),
        ({"id": "a", "seed": 1, "mode": "warp"}, "plans[3].mode = 'warp', expected one of 'fast'"),
        (
            {"id": "a", "seed": 1, "site": [91, 0]},
            "plans[3].site[0] = 91, expected a number >= -90",
        ),
        ({"id": "a", "seed": 1, "site": [1]}, "plans[3].site = [1], expected [lat_deg, lon_deg]"),
        (
            {"id": "a", "seed": 1, "legs": [{"start_s": 0, "bank_deg": 0}, {"start_s": 1}]},
            "plans[3].legs[1].bank_deg = None, expected a value (the field is required)",
        ),
        (
            {"id": "a", "seed": 1, "legs": [{"start_s": float("nan"), "bank_deg": 0}]},
            "plans[3].legs[0].start_s = nan, expected a finite number",
        ),
    ],
)
def test_a_bad_value_is_named_by_its_path_and_the_type_s_expectation(data, message):
    assert _message(data).startswith(message)


def test_a_good_mapping_converts():
    plan = fields.convert(
        {"id": "a", "seed": 2, "legs": [{"start_s": 1, "bank_deg": 5}]}, Plan, _fail
    )
    assert plan.legs[0].bank_deg == 5.0 and plan.mode == "fast"


@dataclasses.dataclass(frozen=True)
class Dish:
    id: NonEmpty
    gain_db: Positive = 1.0
    track: tuple[tuple[Finite, Lat], ...] | None = None

    def __post_init__(self):
        fields.check(self, _fail)


def test_an_object_built_in_code_is_checked_by_the_same_types():
    assert Dish("d", 3).gain_db == 3
    with pytest.raises(Refused, match=r"gain_db = inf, expected a finite number > 0"):
        Dish("d", float("inf"))
    with pytest.raises(Refused, match=r"track\[1\]\[1\] = 100, expected a number >= -90"):
        Dish("d", track=((0, 1), (1, 100)))
