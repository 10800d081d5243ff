"""The errors the client raises: every failed call becomes an ``ApiError`` subclass chosen by
its gRPC code in ONE table, carrying the AIP-193 details the server sent.

Each subclass also derives from the matching class of the shared tree in
``computenet.errors``, so ``except computenet.errors.NotFound`` catches a ``NotFoundError``
whether the code runs in the server or talks to it::

    ComputenetError (computenet.errors)
    └── ApiError                       code, message, reason, field_violations, ...
        ├── InvalidArgumentError       INVALID_ARGUMENT     (+ InvalidArgument)
        ├── NotFoundError              NOT_FOUND            (+ NotFound)
        ├── AlreadyExistsError         ALREADY_EXISTS       (+ AlreadyExists)
        ├── FailedPreconditionError    FAILED_PRECONDITION  (+ FailedPrecondition)
        ├── AbortedError               ABORTED              (+ Aborted)
        ├── UnauthenticatedError       UNAUTHENTICATED      (+ Unauthenticated)
        ├── PermissionDeniedError      PERMISSION_DENIED    (+ PermissionDenied)
        ├── ResourceExhaustedError     RESOURCE_EXHAUSTED   (+ ResourceExhausted)
        ├── UnavailableError           UNAVAILABLE          (+ Unavailable)
        ├── DeadlineExceededError      DEADLINE_EXCEEDED
        ├── CallCancelledError         CANCELLED
        ├── UnimplementedError         UNIMPLEMENTED
        ├── OutOfRangeError            OUT_OF_RANGE
        ├── InternalError              INTERNAL, DATA_LOSS
        └── UnknownError               UNKNOWN (and anything unexpected)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from computenet.errors import (
    Aborted,
    AlreadyExists,
    ComputenetError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    QuotaViolation,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)

__all__ = [
    "ERROR_TYPES",
    "AbortedError",
    "AlreadyExistsError",
    "ApiError",
    "CallCancelledError",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "FieldViolation",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "OutOfRangeError",
    "PermissionDeniedError",
    "QuotaViolation",
    "ResourceExhaustedError",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "UnknownError",
    "error_from_rpc",
]


class ApiError(ComputenetError):
    """A call failed; ``code`` says how, the rest is what the server explained."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        *,
        reason: str = "",
        domain: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: Iterable[FieldViolation] = (),
        quota_violations: Iterable[QuotaViolation] = (),
    ) -> None:
        # ComputenetError.__init__ directly: the shared subclasses' own __init__ take other
        # arguments, and their attributes are set below instead.
        ComputenetError.__init__(self, message, reason=reason or code.name)
        self.code = code
        self.domain = domain
        """ErrorInfo domain (``computenet.v1``); empty when the server sent no ErrorInfo."""
        self.metadata: Mapping[str, str] = dict(metadata or {})
        """ErrorInfo metadata."""
        self.field_violations: tuple[FieldViolation, ...] = tuple(field_violations)
        """BadRequest field violations: which fields of the request are wrong and why."""
        self.quota_violations: tuple[QuotaViolation, ...] = tuple(quota_violations)
        """QuotaFailure violations: which limits are used up."""

    @property
    def has_details(self) -> bool:
        """True when the server attached an ErrorInfo (the call reached computenet)."""
        return bool(self.domain)

    def __str__(self) -> str:
        # The violations too, so a traceback says which fields were wrong, not only that some were.
        problems = [f"{v.field}: {v.description}" for v in self.field_violations]
        problems += [f"{v.subject}: {v.description}" for v in self.quota_violations]
        text = f"{self.code.name}: {self.message}"
        return f"{text} ({'; '.join(problems)})" if problems else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.name}, {self.message!r}, reason={self.reason!r})"


class InvalidArgumentError(ApiError, InvalidArgument):
    """The request is malformed; ``field_violations`` says which fields and why."""

    @property
    def violations(self) -> tuple[FieldViolation, ...]:  # type: ignore[override]
        return self.field_violations


class NotFoundError(ApiError, NotFound):
    """The named resource does not exist."""


class AlreadyExistsError(ApiError, AlreadyExists):
    """A resource with that name exists already."""


class FailedPreconditionError(ApiError, FailedPrecondition):
    """The system is not in a state that allows the operation (``reason`` says which)."""


class AbortedError(ApiError, Aborted):
    """A concurrent change won; the call may be retried."""


class UnauthenticatedError(ApiError, Unauthenticated):
    """No valid bearer token came with the call."""


class PermissionDeniedError(ApiError, PermissionDenied):
    """The principal may not do this."""


class ResourceExhaustedError(ApiError, ResourceExhausted):
    """A quota or rate limit is used up; ``quota_violations`` says which."""

    @property
    def violations(self) -> tuple[QuotaViolation, ...]:  # type: ignore[override]
        return self.quota_violations


class UnavailableError(ApiError, Unavailable):
    """The server cannot be reached or cannot answer now."""


class DeadlineExceededError(ApiError):
    """The call's deadline passed before it finished."""


class CallCancelledError(ApiError):
    """The call was cancelled (by the client, or the server going away)."""


class UnimplementedError(ApiError):
    """The server does not implement this method (yet)."""


class OutOfRangeError(ApiError):
    """A value is past the valid range."""


class InternalError(ApiError):
    """The server failed; its log says why."""


class UnknownError(ApiError):
    """The call failed in a way gRPC does not classify."""


# The one table from gRPC codes to the error classes.
ERROR_TYPES: dict[grpc.StatusCode, type[ApiError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.ABORTED: AbortedError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.CANCELLED: CallCancelledError,
    grpc.StatusCode.UNIMPLEMENTED: UnimplementedError,
    grpc.StatusCode.OUT_OF_RANGE: OutOfRangeError,
    grpc.StatusCode.INTERNAL: InternalError,
    grpc.StatusCode.DATA_LOSS: InternalError,
    grpc.StatusCode.UNKNOWN: UnknownError,
}


def error_from_rpc(exc: grpc.RpcError) -> ApiError:
    """The typed error for a failed call (sync ``grpc.RpcError`` or ``grpc.aio.AioRpcError``),
    with the ErrorInfo, BadRequest and QuotaFailure details the server attached."""
    call: Any = exc
    code = call.code() if hasattr(call, "code") else grpc.StatusCode.UNKNOWN
    message = (call.details() if hasattr(call, "details") else None) or str(exc)
    reason, domain = "", ""
    metadata: dict[str, str] = {}
    fields: list[FieldViolation] = []
    quotas: list[QuotaViolation] = []
    try:
        status = rpc_status.from_call(call) if hasattr(call, "trailing_metadata") else None
    except ValueError:  # code or message disagree with the details: trust the call, drop them
        status = None
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields.extend(FieldViolation(v.field, v.description) for v in bad.field_violations)
        elif detail.Is(error_details_pb2.QuotaFailure.DESCRIPTOR):
            quota = error_details_pb2.QuotaFailure()
            detail.Unpack(quota)
            quotas.extend(QuotaViolation(v.subject, v.description) for v in quota.violations)
    cls = ERROR_TYPES.get(code, UnknownError)
    return cls(
        code,
        message,
        reason=reason,
        domain=domain,
        metadata=metadata,
        field_violations=fields,
        quota_violations=quotas,
    )
