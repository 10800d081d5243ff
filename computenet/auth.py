"""Who is calling: bearer tokens mapped to principals, and the checks servicers make.

A token reads ``cn_<id>_<secret>``; the database keeps the id in the clear (to list and revoke
it) and only the SHA-256 of the secret. A principal is a tenant (may touch only its own jobs),
an operator (inventory, telemetry, every tenant's jobs) or an admin (an operator that may also
manage tokens through the admin CLI). The principal of the current call lives in a context
variable set by the server's auth interceptor; with authentication off every call is an admin,
which suits a single-user development server only.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from computenet.errors import (
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Violations,
)
from computenet.tables import TokenRow

__all__ = [
    "ANONYMOUS",
    "Principal",
    "Role",
    "TokenInfo",
    "TokenStore",
    "bind",
    "bound",
    "current",
    "is_operator",
    "owns",
    "parse_role",
    "require_operator",
    "reset",
    "visible_tenant",
]


class Role(enum.Enum):
    """What a principal may do."""

    TENANT = 1
    OPERATOR = 2
    ADMIN = 3


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller."""

    name: str
    """Who, for logs (the token's name)."""
    role: Role
    """What it may do."""
    tenant: str = ""
    """Its tenant id (tenants only)."""


ANONYMOUS = Principal("anonymous", Role.ADMIN)
"""The principal of every call when authentication is off."""

_current: contextvars.ContextVar[Principal] = contextvars.ContextVar(
    "computenet_principal", default=ANONYMOUS
)


def current() -> Principal:
    """The principal of the call being served."""
    return _current.get()


def bind(principal: Principal) -> contextvars.Token[Principal]:
    """Make ``principal`` the current one (the auth interceptor calls this)."""
    return _current.set(principal)


def reset(token: contextvars.Token[Principal]) -> None:
    """Undo ``bind``."""
    # A generator finished in another context cannot reset; the value dies with the call.
    with contextlib.suppress(ValueError):
        _current.reset(token)


@contextlib.contextmanager
def bound(principal: Principal) -> Iterator[None]:
    """``principal`` is the current one inside the block."""
    token = bind(principal)
    try:
        yield
    finally:
        reset(token)


def is_operator() -> bool:
    return current().role in (Role.OPERATOR, Role.ADMIN)


def require_operator() -> None:
    """PERMISSION_DENIED unless the caller is an operator or admin."""
    p = current()
    if p.role not in (Role.OPERATOR, Role.ADMIN):
        raise PermissionDenied(f"{p.name!r} is a tenant; this call needs the operator role")


def visible_tenant(tenant: str | None, *, what: str = "parent") -> str | None:
    """The tenant a call may act on: a tenant principal only on its own (``None``, meaning
    every tenant, is operator-only); PERMISSION_DENIED otherwise."""
    p = current()
    if p.role is not Role.TENANT:
        return tenant
    if tenant is None or tenant != p.tenant:
        raise PermissionDenied(f"{what}: tenant {p.tenant!r} may only use tenants/{p.tenant}")
    return tenant


def owns(tenant: str) -> bool:
    """Whether the caller may see a resource of ``tenant`` (say NOT_FOUND when not, so that
    another tenant's resources do not even show they exist)."""
    p = current()
    return p.role is not Role.TENANT or p.tenant == tenant


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as listed (never its secret)."""

    id: str
    """Public id."""
    name: str
    """Label given at creation."""
    role: Role
    """Role."""
    tenant: str
    """Tenant (tenant tokens)."""
    create_time: datetime
    """Created at."""
    revoke_time: datetime | None
    """Revoked at, if revoked."""


_TENANT_ID = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?\Z")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """Tokens in the database, with a short in-memory cache of verified ones."""

    def __init__(self, engine: Engine, *, cache_seconds: float = 5.0) -> None:
        self._engine = engine
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[Principal | None, float]] = {}
        self._lock = threading.Lock()

    def create(self, *, name: str, role: Role, tenant: str = "") -> tuple[TokenInfo, str]:
        """A new token; the second value is the token itself, shown once and never stored."""
        v = Violations()
        v.check(0 < len(name) <= 200 and "\x00" not in name, "name", "must be 1-200 characters")
        if role is Role.TENANT:
            v.check(bool(_TENANT_ID.match(tenant)), "tenant", "must be an AIP-122 id like 'acme'")
        elif tenant:
            v.add("tenant", "only tenant tokens name a tenant")
        v.raise_if_any()
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        row = TokenRow(
            id=token_id,
            secret_sha256=_digest(secret),
            name=name,
            role=role.name,
            tenant=tenant,
            create_time=datetime.now(UTC),
        )
        with Session(self._engine) as session:
            session.add(row)
            session.commit()
            info = _info(row)
        return info, f"cn_{token_id}_{secret}"

    def list(self) -> list[TokenInfo]:
        with Session(self._engine) as session:
            return [
                _info(r) for r in session.exec(select(TokenRow).order_by(col(TokenRow.create_time)))
            ]

    def revoke(self, token_id: str) -> TokenInfo:
        with Session(self._engine) as session:
            row = session.get(TokenRow, token_id)
            if row is None:
                raise NotFound(f"no token with id {token_id!r}")
            if row.revoke_time is None:
                row.revoke_time = datetime.now(UTC)
                session.add(row)
                session.commit()
                session.refresh(row)
            info = _info(row)
        with self._lock:
            self._cache.clear()
        return info

    def cached(self, token: str) -> tuple[bool, Principal | None]:
        """(True, principal) when the cache knows the token's answer, else (False, None)."""
        with self._lock:
            hit = self._cache.get(token)
        if hit is not None and hit[1] > time.monotonic():
            return True, hit[0]
        return False, None

    def verify(self, token: str) -> Principal | None:
        """The principal of a token, or None when it is unknown, malformed or revoked."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(token)
        if hit is not None and hit[1] > now:
            return hit[0]
        principal = self._lookup(token)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[token] = (principal, now + self._cache_seconds)
        return principal

    def _lookup(self, token: str) -> Principal | None:
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != "cn" or not parts[1] or not parts[2]:
            return None
        with Session(self._engine) as session:
            row = session.get(TokenRow, parts[1])
        if row is None or row.revoke_time is not None:
            return None
        if not hmac.compare_digest(row.secret_sha256, _digest(parts[2])):
            return None
        return Principal(name=row.name, role=Role[row.role], tenant=row.tenant)


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        name=row.name,
        role=Role[row.role],
        tenant=row.tenant,
        create_time=row.create_time,
        revoke_time=row.revoke_time,
    )


def parse_role(value: str) -> Role:
    """A role from its name (tenant, operator, admin)."""
    try:
        return Role[value.upper()]
    except KeyError:
        raise InvalidArgument(
            f"unknown role {value!r}",
            [FieldViolation("role", "must be tenant, operator or admin")],
        ) from None
