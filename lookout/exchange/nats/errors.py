"""What can go wrong on the NATS bus: its exceptions, and reading the broker's error text.

The broker reports a refused publish or subscription only as an asynchronous ``-ERR`` line
(``Permissions Violation for Publish to "lookout.in.JP.track"``), which nats-py hands to the
connection's error callback lower-cased; the functions here read that text, in one place.
"""

from __future__ import annotations

from collections.abc import Iterable

from lookout.errors import LookoutError


class BusPublishError(LookoutError, RuntimeError):
    """Messages the broker refused or never acknowledged: ``failures`` is (subject, reason)."""

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = failures
        shown = "; ".join(f"{s}: {r}" for s, r in failures[:5])
        more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
        super().__init__(f"{len(failures)} message(s) not stored by JetStream: {shown}{more}")


class BusPermissionError(LookoutError, PermissionError):
    """The broker refused a subscription or a JetStream API call for this user."""


class NoReply(LookoutError, ConnectionError):
    """A JetStream API request got no reply in time."""


def error_text(e: BaseException) -> str:
    """The broker's error as compared here: lower-cased, as nats-py hands it (subject too)."""
    return str(e).lower()


def is_permission_violation(text: str) -> bool:
    """Whether ``text`` (from :func:`error_text`) is the broker refusing this user something."""
    return "permissions violation" in text


def refused_publish(text: str) -> str | None:
    """The subject (lower-cased) of the publish the broker refused in ``text``, if it is one."""
    if "for publish to" not in text or '"' not in text:
        return None
    return text.split('"')[1]


def is_login_refused(text: str) -> bool:
    """Whether ``text`` is the broker refusing the login (user or password wrong)."""
    return "authorization violation" in text


def refusal_of(texts: Iterable[str], subject: str) -> str | None:
    """The first of the permission errors ``texts`` that names ``subject``, if any."""
    quoted = f'"{subject.lower()}"'
    return next((text for text in texts if quoted in text), None)
