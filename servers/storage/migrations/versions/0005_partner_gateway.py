"""partner gateway: oversold rooms, delivery windows and leases, one open delivery per partner and hotel

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OPEN_DELIVERY = "status IN ('pending', 'retrying', 'parked')"


def upgrade() -> None:
    with op.batch_alter_table('inventory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oversold', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint('oversold_non_negative', 'oversold >= 0')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('window_end', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('requests_sent', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ux_deliveries_open', ['partner_id', 'hotel_id'], unique=True,
                              postgresql_where=sa.text(OPEN_DELIVERY), sqlite_where=sa.text(OPEN_DELIVERY))


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ux_deliveries_open', postgresql_where=sa.text(OPEN_DELIVERY),
                            sqlite_where=sa.text(OPEN_DELIVERY))
        batch_op.drop_column('requests_sent')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('window_end')
        batch_op.drop_column('window_start')
    with op.batch_alter_table('inventory', schema=None) as batch_op:
        batch_op.drop_constraint('oversold_non_negative', type_='check')
        batch_op.drop_column('oversold')
