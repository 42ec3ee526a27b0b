"""bookings record the outside step under way before they call it, and the card token while pending

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 01:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step_in_flight', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('payment_token', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('payment_token')
        batch_op.drop_column('step_in_flight')
