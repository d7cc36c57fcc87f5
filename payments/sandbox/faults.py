"""Fault switches: make the sandbox slow, broken or unreliable on purpose, per endpoint."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from payments.sandbox.model import Endpoint

GARBAGE_BODY = "<html>502 Bad Gateway</html>"
GARBAGE_STATUSES = frozenset({200, 502})


@dataclass(slots=True)
class Faults:
    """Mutable switches read on every request and every callback delivery.

    Endpoint-level faults act in front of the simulated Ligdicash, like a broken proxy: a request
    answered with 500, garbage or a hang is never processed (nothing is created). Latency is added
    after processing, so a client that gives up during it leaves the work done.
    """

    latency: dict[Endpoint, float] = field(default_factory=dict)
    fail: set[Endpoint] = field(default_factory=set)
    hang: set[Endpoint] = field(default_factory=set)
    garbage: dict[Endpoint, int] = field(default_factory=dict)
    drop_callbacks: bool = False
    duplicate_callbacks: bool = False
    form_first: bool = False
    stale_pending_after: bool = False
    nocompleted_spelling: bool = False

    def clear(self) -> None:
        """Switch every fault off."""
        self.latency.clear()
        self.fail.clear()
        self.hang.clear()
        self.garbage.clear()
        self.drop_callbacks = False
        self.duplicate_callbacks = False
        self.form_first = False
        self.stale_pending_after = False
        self.nocompleted_spelling = False

    def to_json(self) -> dict[str, object]:
        """The switches as JSON-ready data (the shape `update` accepts)."""
        return {
            "latency": {str(endpoint): delay for endpoint, delay in sorted(self.latency.items())},
            "fail": sorted(str(endpoint) for endpoint in self.fail),
            "hang": sorted(str(endpoint) for endpoint in self.hang),
            "garbage": {str(endpoint): status for endpoint, status in sorted(self.garbage.items())},
            "drop_callbacks": self.drop_callbacks,
            "duplicate_callbacks": self.duplicate_callbacks,
            "form_first": self.form_first,
            "stale_pending_after": self.stale_pending_after,
            "nocompleted_spelling": self.nocompleted_spelling,
        }

    def update(self, changes: Mapping[str, object]) -> None:
        """Replace the switches named in `changes` (JSON shape); ValueError leaves all unchanged."""
        staged = replace(
            self,
            latency=dict(self.latency),
            fail=set(self.fail),
            hang=set(self.hang),
            garbage=dict(self.garbage),
        )
        for key, value in changes.items():
            if key == "latency":
                staged.latency = {
                    endpoint: _seconds(delay) for endpoint, delay in _by_endpoint(value).items()
                }
            elif key == "garbage":
                staged.garbage = {
                    endpoint: _garbage_status(status)
                    for endpoint, status in _by_endpoint(value).items()
                }
            elif key in ("fail", "hang"):
                setattr(staged, key, _endpoints(value))
            elif key in _FLAGS:
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
                setattr(staged, key, value)
            else:
                raise ValueError(f"unknown fault switch {key!r}")
        for switch in fields(self):
            setattr(self, switch.name, getattr(staged, switch.name))


_FLAGS = (
    "drop_callbacks",
    "duplicate_callbacks",
    "form_first",
    "stale_pending_after",
    "nocompleted_spelling",
)


def _endpoint(name: object) -> Endpoint:
    try:
        return Endpoint(str(name))
    except ValueError:
        known = ", ".join(endpoint.value for endpoint in Endpoint)
        raise ValueError(f"unknown endpoint {name!r} (known: {known})") from None


def _endpoints(value: object) -> set[Endpoint]:
    if not isinstance(value, list):
        raise ValueError("expected a list of endpoint names")
    return {_endpoint(name) for name in value}


def _by_endpoint(value: object) -> dict[Endpoint, object]:
    if not isinstance(value, Mapping):
        raise ValueError("expected an object keyed by endpoint name")
    return {_endpoint(name): item for name, item in value.items()}


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("latency must be a number of seconds")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("latency must be a finite number >= 0")
    return seconds


def _garbage_status(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in GARBAGE_STATUSES:
        raise ValueError("garbage status must be 200 or 502")
    return value
