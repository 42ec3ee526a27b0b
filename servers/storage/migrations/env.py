"""Alembic environment: runs migrations on a synchronous connection of the configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from servers.storage.migrate import sync_url
from servers.storage.tables import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    configured = config.get_main_option("sqlalchemy.url")
    if configured is None:
        raise RuntimeError("alembic.ini names no sqlalchemy.url")
    url = sync_url(configured)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
