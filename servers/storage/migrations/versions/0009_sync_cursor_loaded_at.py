"""sync cursors say when their hotel was last loaded whole, instead of the poller inferring it from the cursor

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 02:20:00

Existing cursors get NULL: whether their hotel was ever loaded whole cannot be told from the cursor
(that was the fault), so every channel-managed hotel is loaded once more after the upgrade. A load
never takes the cursor back nor overwrites newer nights, so that costs one ARI read per hotel.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servers.storage.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sync_cursors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('loaded_at', servers.storage.types.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sync_cursors', schema=None) as batch_op:
        batch_op.drop_column('loaded_at')
