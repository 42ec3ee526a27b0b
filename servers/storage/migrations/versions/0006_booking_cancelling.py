"""bookings: a cancellation is a state (cancelling) finished by retries; the booking jobs back off per booking

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servers.storage.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('retry_at', servers.storage.types.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('retry_at')
        batch_op.drop_column('failed_attempts')
