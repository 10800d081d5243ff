"""The one exception tree of computenet, shared by every package.

Every error a caller can cause is a ``ComputenetError``; the gRPC layer maps each class to a
status code in one table (``computenet.service``) and adds the AIP-193 details::

    ComputenetError                  reason            gRPC code
    ├── InvalidArgument              INVALID_ARGUMENT  INVALID_ARGUMENT   (+ BadRequest)
    ├── NotFound                     NOT_FOUND         NOT_FOUND
    ├── AlreadyExists                ALREADY_EXISTS    ALREADY_EXISTS
    ├── FailedPrecondition           FAILED_PRECONDITION FAILED_PRECONDITION
    ├── Aborted                      ABORTED           ABORTED
    ├── Unauthenticated              UNAUTHENTICATED   UNAUTHENTICATED
    ├── PermissionDenied             PERMISSION_DENIED PERMISSION_DENIED
    ├── ResourceExhausted            RESOURCE_EXHAUSTED RESOURCE_EXHAUSTED (+ QuotaFailure)
    └── Unavailable                  UNAVAILABLE       UNAVAILABLE

One tree rather than one per package because the packages share the codes and the mapping;
a package narrows the ``reason`` string (e.g. ``DATA_CENTER_NOT_EMPTY``) instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "Aborted",
    "AlreadyExists",
    "ComputenetError",
    "FailedPrecondition",
    "FieldViolation",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "QuotaViolation",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "Violations",
]


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One bad field of a request (AIP-193 ``BadRequest.FieldViolation``)."""

    field: str
    """Path of the field, e.g. ``data_center.design_pue``."""
    description: str
    """Why the value is wrong, in words a caller can act on."""


@dataclass(frozen=True, slots=True)
class QuotaViolation:
    """One exceeded limit (AIP-193 ``QuotaFailure.Violation``)."""

    subject: str
    """Who is limited, e.g. ``tenants/acme``."""
    description: str
    """Which limit and by how much."""


class ComputenetError(Exception):
    """Base of every error a caller can cause."""

    reason: str = "ERROR"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason


class InvalidArgument(ComputenetError):
    """The request is malformed; ``violations`` says which fields and why."""

    reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        message: str,
        violations: Iterable[FieldViolation] = (),
        *,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, reason=reason)
        self.violations = tuple(violations)


class NotFound(ComputenetError):
    """The named resource does not exist (or the caller may not know it does)."""

    reason = "NOT_FOUND"


class AlreadyExists(ComputenetError):
    """A resource with that name exists already."""

    reason = "ALREADY_EXISTS"


class FailedPrecondition(ComputenetError):
    """The system is not in a state that allows the operation."""

    reason = "FAILED_PRECONDITION"


class Aborted(ComputenetError):
    """A concurrent change won; the caller may retry."""

    reason = "ABORTED"


class Unauthenticated(ComputenetError):
    """No valid credentials came with the call."""

    reason = "UNAUTHENTICATED"


class PermissionDenied(ComputenetError):
    """The principal may not do this."""

    reason = "PERMISSION_DENIED"


class ResourceExhausted(ComputenetError):
    """A quota or rate limit is used up; ``violations`` says which."""

    reason = "RESOURCE_EXHAUSTED"

    def __init__(
        self,
        message: str,
        violations: Iterable[QuotaViolation] = (),
        *,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, reason=reason)
        self.violations = tuple(violations)


class Unavailable(ComputenetError):
    """The service cannot answer now; retry later."""

    reason = "UNAVAILABLE"


class Violations:
    """Collects field violations while validating, then raises them all at once."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[FieldViolation] = []

    def add(self, field: str, description: str) -> None:
        self._items.append(FieldViolation(field, description))

    def check(self, ok: bool, field: str, description: str) -> None:
        if not ok:
            self.add(field, description)

    def extend(self, items: Iterable[FieldViolation]) -> None:
        self._items.extend(items)

    def __bool__(self) -> bool:
        return bool(self._items)

    @property
    def items(self) -> tuple[FieldViolation, ...]:
        return tuple(self._items)

    def raise_if_any(self, message: str = "the request has invalid fields") -> None:
        if self._items:
            raise InvalidArgument(message, self._items)
