"""outbox pending per key index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 17:02:43.173698
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending_key', ['topic', 'message_key', 'id'], unique=False, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending_key', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))

