"""INSERT ... ON CONFLICT, which SQLite and PostgreSQL spell alike but SQLAlchemy builds per dialect."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_on_conflict(table: Table, is_sqlite: bool):
    return (sqlite.insert if is_sqlite else postgresql.insert)(table)
