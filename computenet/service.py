"""gRPC plumbing shared by every servicer: the one table from the error tree to status codes
with AIP-193 details, the per-call wrapper (request id, structured log line, metrics), page
tokens, list filters, update masks and resource names.

Only ``*/service.py`` modules use this; the logic below them never sees gRPC or pb2 types.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hashlib
import itertools
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import grpc
import structlog
from google.protobuf import field_mask_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from computenet import auth
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
    "DEFAULT_PAGE_SIZE",
    "ERROR_DOMAIN",
    "MAX_PAGE_SIZE",
    "OPEN_METHOD_PREFIXES",
    "STATUS_CODES",
    "AuthInterceptor",
    "CallObserver",
    "RateLimiter",
    "add_call_observer",
    "decode_page_token",
    "encode_page_token",
    "error_status",
    "mask_paths",
    "metadata_dict",
    "page_size",
    "parse_filter",
    "parse_name",
    "rpc",
    "rpc_stream",
]

ERROR_DOMAIN = "computenet.v1"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

# The one table from the error tree to gRPC codes.
STATUS_CODES: dict[type[ComputenetError], grpc.StatusCode] = {
    InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    Aborted: grpc.StatusCode.ABORTED,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
}

_log = structlog.get_logger("computenet.rpc")


def _code_of(exc: ComputenetError) -> grpc.StatusCode:
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]  # type: ignore[index]
    return grpc.StatusCode.INTERNAL


def error_status(exc: ComputenetError) -> Any:
    """The ``grpc.Status`` for ``exc``: code, message, ``ErrorInfo`` and, for bad input,
    ``BadRequest`` field violations (AIP-193)."""
    code = _code_of(exc)
    details = []
    info = error_details_pb2.ErrorInfo(reason=exc.reason, domain=ERROR_DOMAIN)
    details.append(info)
    if isinstance(exc, InvalidArgument) and exc.violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=v.field, description=v.description
                    )
                    for v in exc.violations
                ]
            )
        )
    if isinstance(exc, ResourceExhausted) and exc.violations:
        details.append(
            error_details_pb2.QuotaFailure(
                violations=[
                    error_details_pb2.QuotaFailure.Violation(
                        subject=v.subject, description=v.description
                    )
                    for v in exc.violations
                ]
            )
        )
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=exc.message)
    for d in details:
        status.details.add().Pack(d)
    return rpc_status.to_status(status)


CallObserver = Callable[[str, str, float], None]
"""Called after every RPC with (method, status code name, seconds)."""

_observers: list[CallObserver] = []

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def add_call_observer(observer: CallObserver) -> None:
    """Register a function told of every finished RPC (metrics)."""
    _observers.append(observer)


# Request ids for logs need only be unique: a per-process random prefix and a counter cost
# nothing per call (uuid4 reads os.urandom, a GIL round trip under load).
_ID_PREFIX = uuid.uuid4().hex[:12]
_ID_COUNTER = itertools.count(1)


def _request_id(context: grpc.aio.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == "x-request-id" and value:
            return str(value)[:128]
    return f"{_ID_PREFIX}-{next(_ID_COUNTER)}"


def _finish(method: str, code: str, started: float, log: Any, exc: BaseException | None) -> None:
    elapsed = time.perf_counter() - started
    for observer in _observers:
        observer(method, code, elapsed)
    if exc is not None and code in {"INTERNAL", "UNKNOWN"}:
        log.error("rpc", code=code, ms=round(elapsed * 1000, 2), exc_info=exc)
    else:
        log.info("rpc", code=code, ms=round(elapsed * 1000, 2))


def rpc(method: F) -> F:
    """Wrap a unary servicer method: request id and method bound to the log, one log line per
    call, errors from the tree turned into statuses with details, anything else INTERNAL."""
    name = method.__name__

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        started = time.perf_counter()
        log = _log.bind(method=name, request_id=_request_id(context), principal=auth.current().name)
        try:
            result = await method(self, request, context)
        except ComputenetError as exc:
            _finish(name, _code_of(exc).name, started, log, exc)
            await context.abort_with_status(error_status(exc))
        except grpc.aio.AbortError:
            _finish(name, "ABORTED_BY_HANDLER", started, log, None)
            raise
        except Exception as exc:
            _finish(name, "INTERNAL", started, log, exc)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")
        else:
            _finish(name, "OK", started, log, None)
            return result

    return wrapper  # type: ignore[return-value]


G = TypeVar("G", bound=Callable[..., AsyncIterator[Any]])


def rpc_stream(method: G) -> G:
    """Like ``rpc`` for server-streaming methods."""
    name = method.__name__

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        started = time.perf_counter()
        log = _log.bind(method=name, request_id=_request_id(context), principal=auth.current().name)
        try:
            async for item in method(self, request, context):
                yield item
        except ComputenetError as exc:
            _finish(name, _code_of(exc).name, started, log, exc)
            await context.abort_with_status(error_status(exc))
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            _finish(name, "INTERNAL", started, log, exc)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")
        else:
            _finish(name, "OK", started, log, None)

    return wrapper  # type: ignore[return-value]


# -- pagination (AIP-158) -----------------------------------------------------------------------


def page_size(value: int, field: str = "page_size") -> int:
    """The page size to use: the default for 0, capped at the maximum, refused when negative."""
    if value < 0:
        raise InvalidArgument(
            "page_size must not be negative", [FieldViolation(field, "must be >= 0")]
        )
    if value == 0:
        return DEFAULT_PAGE_SIZE
    return min(value, MAX_PAGE_SIZE)


def _query_hash(query: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(query).encode()).hexdigest()[:16]


def encode_page_token(key: tuple[str, ...] | None, query: Iterable[str]) -> str:
    """An opaque token resuming after ``key``, valid only for the same ``query``."""
    if key is None:
        return ""
    raw = json.dumps({"k": list(key), "q": _query_hash(query)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_page_token(token: str, query: Iterable[str]) -> tuple[str, ...] | None:
    """The key a token resumes after; INVALID_ARGUMENT for a token that is malformed or was
    made for another query."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        key = tuple(str(k) for k in data["k"])
        matches = data["q"] == _query_hash(query)
    except (ValueError, KeyError, TypeError, binascii.Error):
        matches = False
        key = ()
    if not matches or not key:
        raise InvalidArgument(
            "page_token is not valid for this request",
            [FieldViolation("page_token", "unknown page token, or it belongs to another query")],
            reason="INVALID_PAGE_TOKEN",
        )
    return key


# -- filters (a subset of AIP-160: field = "value" AND ...) -------------------------------------

_TERM = re.compile(r'\s*([a-z_][a-z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)\s*')


def parse_filter(text: str, allowed: Iterable[str]) -> dict[str, str]:
    """Parse ``a = "x" AND b = y`` into ``{"a": "x", "b": "y"}``."""
    allowed = set(allowed)
    if not text.strip():
        return {}
    result: dict[str, str] = {}
    for part in re.split(r"\s+AND\s+", text.strip()):
        m = _TERM.fullmatch(part)
        if m is None:
            raise InvalidArgument(
                "filter is malformed",
                [FieldViolation("filter", f'cannot parse {part!r}; use field = "value" AND ...')],
            )
        name, value = m.group(1), m.group(2)
        if name not in allowed:
            raise InvalidArgument(
                f"cannot filter by {name!r}",
                [FieldViolation("filter", f"filterable fields: {', '.join(sorted(allowed))}")],
            )
        if value.startswith('"'):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise InvalidArgument(
                    "filter is malformed",
                    [FieldViolation("filter", f"bad string {value}: {exc.msg}")],
                ) from None
        if "\x00" in value:
            # PostgreSQL text cannot hold NUL: refuse it here rather than fail in the database.
            raise InvalidArgument(
                "filter is malformed",
                [FieldViolation("filter", "values must not contain NUL characters")],
            )
        result[name] = value
    return result


# -- update masks (AIP-134) ---------------------------------------------------------------------


def mask_paths(mask: field_mask_pb2.FieldMask, updatable: Iterable[str], message: Any) -> list[str]:
    """The fields to update: the mask's paths checked against the message type and the
    updatable set; ``*`` or an empty mask mean every updatable field."""
    updatable = set(updatable)
    paths = list(mask.paths)
    if not paths or paths == ["*"]:
        return sorted(updatable)
    known = {f.name for f in message.DESCRIPTOR.fields}
    violations = []
    for path in paths:
        if path not in known:
            violations.append(FieldViolation("update_mask", f"{path!r} is not a field"))
        elif path not in updatable:
            violations.append(
                FieldViolation(
                    "update_mask",
                    f"{path!r} cannot be updated; updatable: {', '.join(sorted(updatable))}",
                )
            )
    if violations:
        raise InvalidArgument("update_mask is invalid", violations, reason="INVALID_UPDATE_MASK")
    return paths


# -- resource names (AIP-122) -------------------------------------------------------------------


def parse_name(name: str, pattern: str, field: str = "name") -> tuple[str, ...]:
    """Split ``name`` by ``pattern`` (``dataCenters/{}/nodes/{}``) into its ids."""
    parts = name.split("/")
    want = pattern.split("/")
    ids: list[str] = []
    ok = len(parts) == len(want)
    if ok:
        for got, expected in zip(parts, want, strict=True):
            if expected == "{}":
                if not got:
                    ok = False
                ids.append(got)
            elif got != expected:
                ok = False
    if not ok:
        shown = pattern.replace("{}", "{id}")
        raise InvalidArgument(
            f"{field} {name!r} is not of the form {shown}",
            [FieldViolation(field, f"must look like {shown}")],
        )
    return tuple(ids)


def metadata_dict(context: grpc.aio.ServicerContext) -> Mapping[str, str]:
    """The call's metadata as a dict (last value wins)."""
    return {k: str(v) for k, v in (context.invocation_metadata() or ())}


# -- authentication and rate limits -------------------------------------------------------------

OPEN_METHOD_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")
"""Methods that need no token (health checks and server reflection)."""


class RateLimiter:
    """Token buckets per principal: ``rate`` calls a second on average, ``burst`` at once."""

    def __init__(
        self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> None:
        """Spend one call of ``key``'s budget, or RESOURCE_EXHAUSTED with a QuotaFailure."""
        now = self._clock()
        tokens, last = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            wait = (1.0 - tokens) / self._rate
            raise ResourceExhausted(
                f"rate limit of {self._rate:g} calls/s exceeded; retry in {wait:.2f} s",
                [
                    QuotaViolation(
                        key, f"{self._rate:g} calls per second, bursts of {self._burst:g}"
                    )
                ],
            )
        if len(self._buckets) > 100_000:
            self._buckets.clear()
        self._buckets[key] = (tokens - 1.0, now)


class AuthInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Resolves the bearer token of every call (except health and reflection) to a principal,
    binds it for the handler, and applies the per-principal rate limit.

    ``tokens`` None turns authentication off: every call is the anonymous admin.
    """

    def __init__(self, tokens: auth.TokenStore | None, limiter: RateLimiter | None) -> None:
        self._tokens = tokens
        self._limiter = limiter

    async def intercept_service(self, continuation: Any, details: Any) -> Any:
        handler = await continuation(details)
        if handler is None or details.method.startswith(OPEN_METHOD_PREFIXES):
            return handler
        if self._tokens is None and self._limiter is None:
            return handler
        metadata = dict(details.invocation_metadata or ())
        authenticate = self._authenticate
        method_name = str(details.method).rsplit("/", 1)[-1]

        async def principal_for(context: grpc.aio.ServicerContext) -> auth.Principal | None:
            started = time.perf_counter()
            try:
                return await authenticate(metadata)
            except ComputenetError as exc:
                # Refused before the servicer's wrapper runs: log and count the call here, so
                # that bad tokens and rate-limited tenants show in the log and the metrics.
                log = _log.bind(method=method_name, request_id=_request_id(context))
                _finish(method_name, _code_of(exc).name, started, log, exc)
                await context.abort_with_status(error_status(exc))
                return None

        def answering_once(inner: Any) -> Any:
            # Unary-unary and stream-unary handlers differ only in their first argument.
            async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
                principal = await principal_for(context)
                assert principal is not None
                with auth.bound(principal):
                    return await inner(request, context)

            return call

        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                answering_once(handler.unary_unary),
                handler.request_deserializer,
                handler.response_serializer,
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                answering_once(handler.stream_unary),
                handler.request_deserializer,
                handler.response_serializer,
            )
        if handler.unary_stream is not None:
            inner_us = handler.unary_stream

            async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
                principal = await principal_for(context)
                assert principal is not None
                with auth.bound(principal):
                    async for item in inner_us(request, context):
                        yield item

            return grpc.unary_stream_rpc_method_handler(
                unary_stream, handler.request_deserializer, handler.response_serializer
            )
        return handler

    async def _authenticate(self, metadata: Mapping[str, Any]) -> auth.Principal:
        principal = auth.ANONYMOUS
        if self._tokens is not None:
            header = str(metadata.get("authorization", ""))
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated(
                    "this call needs an 'authorization: Bearer <token>' header "
                    "(create a token with: computenet admin token create)"
                )
            token = token.strip()
            hit, found = self._tokens.cached(token)
            if not hit:
                found = await asyncio.to_thread(self._tokens.verify, token)
            if found is None:
                raise Unauthenticated("the bearer token is unknown or revoked")
            principal = found
        if self._limiter is not None:
            key = (
                f"tenants/{principal.tenant}"
                if principal.tenant
                else f"principals/{principal.name}"
            )
            self._limiter.take(key)
        return principal
