"""webhook events wait for their turn

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 16:15:21.440049
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servers.storage.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('applied_at', servers.storage.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_webhook_events_pending', ['source', 'hotel_id', 'sequence'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_events_pending')
        batch_op.drop_column('applied_at')
        batch_op.drop_column('payload')

