"""SQLModel tables of the server itself (not of one domain): API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

__all__ = ["TokenRow"]


class TokenRow(SQLModel, table=True):
    """A bearer token; only the SHA-256 of its secret is kept."""

    __tablename__ = "api_tokens"

    id: str = Field(primary_key=True, max_length=32)
    secret_sha256: str = Field(max_length=64)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    tenant: str = Field(default="", max_length=63)
    create_time: datetime
    revoke_time: datetime | None = None
