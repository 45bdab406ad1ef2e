"""What a launch is meant to do: the aim, as a scenario file or the command line gives it."""

from __future__ import annotations

from dataclasses import dataclass

from lookout.errors import LookoutError


class AimError(LookoutError, ValueError):
    """An aim the vehicle cannot fly; the message names the value."""


#: Loft choices for a target aim besides an apogee in km.
LOFTS = ("minimum-energy", "depressed")


def km(x_km: float) -> str:
    """A length (km) worked out by the planner, as every aim message writes it: whole km from
    10 km up, one decimal below (``"642 km"``, ``"8.4 km"``). A value the user gave is quoted as
    given instead (``loft=8.4``)."""
    return f"{x_km:.0f} km" if abs(x_km) >= 10.0 else f"{x_km:.1f} km"


@dataclass(frozen=True)
class TurnSpec:
    """A bank manoeuvre of a glide: ``bank_deg`` (positive to the right of the flight path) from
    ``start_s`` to ``end_s`` after liftoff."""

    start_s: float
    end_s: float
    bank_deg: float


@dataclass(frozen=True)
class Aim:
    """What a launch is meant to do. Angles in degrees, lengths in km (file and CLI units).

    Exactly one of: ``azimuth_deg`` with ``apogee_km`` and ``range_km``; ``target_lat_deg`` and
    ``target_lon_deg`` with ``loft`` ("minimum-energy", "depressed" or an apogee in km);
    ``azimuth_deg`` with ``orbit_km``.

    A manoeuvre after apogee, for a lifting vehicle: ``pull_up_km`` (a depressed SRBM's
    airframe pulls up to that altitude and holds it until it dives), or ``glide_km`` (a glide
    vehicle, with an optional ``lift_to_drag`` and bank ``turns``).
    """

    azimuth_deg: float | None = None
    apogee_km: float | None = None
    range_km: float | None = None
    target_lat_deg: float | None = None
    target_lon_deg: float | None = None
    loft: str | float = "minimum-energy"
    orbit_km: float | None = None
    pull_up_km: float | None = None
    glide_km: float | None = None
    lift_to_drag: float | None = None
    turns: tuple[TurnSpec, ...] = ()

    def named(self, field: str) -> str:
        """One field of the aim as a message names it, with the value as given:
        ``target=(42, 150)``, ``loft=8.4``, ``loft=depressed``, ``range_km=3700``."""
        if field == "target":
            return f"target=({self.target_lat_deg:g}, {self.target_lon_deg:g})"
        value = getattr(self, field)
        return f"{field}={value:g}" if isinstance(value, int | float) else f"{field}={value}"

    def kind(self) -> str:
        if self.orbit_km is not None:
            if self.azimuth_deg is None:
                raise AimError("orbit aim needs azimuth_deg")
            if self.manoeuvre() is not None:
                raise AimError("an orbit aim cannot have a pull-up or a glide")
            return "orbit"
        self.manoeuvre()
        if self.target_lat_deg is not None or self.target_lon_deg is not None:
            if self.target_lat_deg is None or self.target_lon_deg is None:
                raise AimError("target aim needs both target_lat_deg and target_lon_deg")
            check_lat_lon("target", self.target_lat_deg, self.target_lon_deg)
            return "target"
        if self.azimuth_deg is None or self.apogee_km is None or self.range_km is None:
            raise AimError(
                "aim needs azimuth_deg with apogee_km and range_km, a target, or an orbit"
            )
        if not self.range_km > 0:
            raise AimError(f"{self.named('range_km')} must be positive")
        if not self.apogee_km > 0:
            raise AimError(f"{self.named('apogee_km')} must be positive")
        return "shape"

    def manoeuvre(self) -> str | None:
        """None (a ballistic flight), "pull_up" or "glide"."""
        if self.pull_up_km is not None and self.glide_km is not None:
            raise AimError("an aim has a pull-up or a glide, not both")
        if self.pull_up_km is not None:
            if not 5.0 <= self.pull_up_km <= 120.0:
                raise AimError(f"pull_up_km={self.pull_up_km:g} is outside 5..120 km")
            if self.turns or self.lift_to_drag is not None:
                raise AimError("turns and lift_to_drag belong to a glide aim")
            return "pull_up"
        if self.glide_km is not None:
            if not 5.0 <= self.glide_km <= 120.0:
                raise AimError(f"glide_km={self.glide_km:g} is outside 5..120 km")
            if self.lift_to_drag is not None and not 0.5 <= self.lift_to_drag <= 6.0:
                raise AimError(f"lift_to_drag={self.lift_to_drag:g} is outside 0.5..6")
            for i, turn in enumerate(self.turns):
                if not turn.end_s > turn.start_s >= 0:
                    raise AimError(
                        f"turns[{i}]: start_s={turn.start_s:g}, end_s={turn.end_s:g}: "
                        "expected 0 <= start_s < end_s"
                    )
                if not -80.0 <= turn.bank_deg <= 80.0:
                    raise AimError(f"turns[{i}]: bank_deg={turn.bank_deg:g} is outside -80..80")
            ordered = sorted(self.turns, key=lambda x: x.start_s)
            for a, b in zip(ordered, ordered[1:], strict=False):
                if b.start_s < a.end_s:
                    raise AimError(
                        f"turns overlap: one ends at {a.end_s:g} s, the next starts "
                        f"at {b.start_s:g} s"
                    )
            return "glide"
        if self.turns or self.lift_to_drag is not None:
            raise AimError("turns and lift_to_drag need a glide (glide_km)")
        return None


def check_lat_lon(what: str, lat: float, lon: float) -> None:
    if not -90.0 <= lat <= 90.0:
        raise AimError(f"{what} latitude {lat:g} is outside -90..90 degrees")
    if not -180.0 <= lon <= 360.0:
        raise AimError(f"{what} longitude {lon:g} is outside -180..360 degrees")
