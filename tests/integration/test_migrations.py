from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, create_engine, inspect

from servers.storage.migrate import alembic_config, upgrade
from servers.storage.tables import metadata


def script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite:///unused.db"))


async def on_sync_connection(db, work):
    async with db.engine.connect() as conn:
        return await conn.run_sync(work)


def test_migrations_have_exactly_one_head():
    assert len(script().get_heads()) == 1


async def test_database_is_at_the_head_revision(db):
    current = await on_sync_connection(db, lambda c: MigrationContext.configure(c).get_current_heads())
    assert set(current) == set(script().get_heads())


async def test_migrated_schema_matches_the_table_metadata(db):
    def differences(connection):
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, metadata)

    # No filter was needed for UtcDateTime: both backends reflect it as the DateTime it wraps.
    assert await on_sync_connection(db, differences) == []


async def test_migrated_schema_has_every_named_check_constraint(db):
    # compare_metadata does not look at CHECK constraints, so they are compared by name here.
    def reflected(connection):
        inspector = inspect(connection)
        return {(t, c["name"]) for t in inspector.get_table_names() for c in inspector.get_check_constraints(t)}

    expected = {
        (table.name, constraint.name)
        for table in metadata.sorted_tables
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }
    assert len(expected) > 15
    assert await on_sync_connection(db, reflected) == expected


def test_downgrade_to_base_and_upgrade_again(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'roundtrip.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    engine = create_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == set(metadata.tables) | {"alembic_version"}
    engine.dispose()
