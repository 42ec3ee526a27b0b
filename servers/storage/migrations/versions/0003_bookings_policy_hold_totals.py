"""bookings claim their request id; cancellation policy; hold totals

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:45:50.101416
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('request_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('failure_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_bookings_request_id'), ['request_id'])

    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('total_minor', sa.BigInteger(), nullable=True))

    with op.batch_alter_table('hotels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('free_cancellation_hours', sa.Integer(), server_default='24', nullable=False))
        batch_op.add_column(sa.Column('cancellation_fee_percent', sa.Integer(), server_default='100', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_hotels_cancellation_policy_range'),
            'free_cancellation_hours >= 0 AND cancellation_fee_percent BETWEEN 0 AND 100')


def downgrade() -> None:
    with op.batch_alter_table('hotels', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_hotels_cancellation_policy_range'), type_='check')
        batch_op.drop_column('cancellation_fee_percent')
        batch_op.drop_column('free_cancellation_hours')

    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_column('total_minor')

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_bookings_request_id'), type_='unique')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('failure_reason')
        batch_op.drop_column('request_hash')
        batch_op.drop_column('request_id')

