"""Alembic environment: one migration history for SQLite and PostgreSQL.

``computenet.db.migrate`` passes an open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import computenet.tables  # noqa: F401
import inventory.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
import pue.tables  # noqa: F401
import scheduler.tables  # noqa: F401

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
