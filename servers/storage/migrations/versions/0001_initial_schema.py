"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 16:08:02.225945
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servers.storage.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hotels',
    sa.Column('id', sa.String(length=63), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('city_key', sa.String(length=100), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('channel_manager_id', sa.String(length=63), nullable=True),
    sa.Column('channel_manager_url', sa.String(length=500), nullable=True),
    sa.Column('channel_manager_hotel_code', sa.String(length=100), nullable=True),
    sa.Column('overbooking_allowance', sa.Integer(), server_default='0', nullable=False),
    sa.Column('version', sa.BigInteger(), server_default='1', nullable=False),
    sa.Column('created_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('latitude BETWEEN -90 AND 90', name=op.f('ck_hotels_latitude_range')),
    sa.CheckConstraint('longitude BETWEEN -180 AND 180', name=op.f('ck_hotels_longitude_range')),
    sa.CheckConstraint('overbooking_allowance >= 0', name=op.f('ck_hotels_overbooking_allowance_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotels')),
    sa.UniqueConstraint('channel_manager_id', 'channel_manager_hotel_code', name=op.f('uq_hotels_channel_manager_id_channel_manager_hotel_code'))
    )
    with op.batch_alter_table('hotels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hotels_city_key'), ['city_key'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('response', sa.LargeBinary(), nullable=True),
    sa.Column('locked_until', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_idempotency_keys'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_expires_at'), ['expires_at'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=False),
    sa.Column('message_key', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('available_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('published_at', servers.storage.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_status_available_at', ['status', 'available_at'], unique=False)

    op.create_table('partners',
    sa.Column('id', sa.String(length=63), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('protocol', sa.String(length=16), nullable=False),
    sa.Column('endpoint_url', sa.String(length=500), nullable=False),
    sa.Column('api_key_hash', sa.String(length=64), nullable=False),
    sa.Column('api_key_prefix', sa.String(length=16), nullable=False),
    sa.Column('requests_per_minute', sa.Integer(), nullable=False),
    sa.Column('inbound_requests_per_minute', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), server_default='1', nullable=False),
    sa.Column('created_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('requests_per_minute > 0 AND inbound_requests_per_minute > 0', name=op.f('ck_partners_rate_limits_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
    sa.UniqueConstraint('api_key_hash', name=op.f('uq_partners_api_key_hash'))
    )
    op.create_table('users',
    sa.Column('id', sa.String(length=63), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('created_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('webhook_events',
    sa.Column('source', sa.String(length=63), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('hotel_id', sa.String(length=63), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=True),
    sa.Column('received_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', 'event_id', name=op.f('pk_webhook_events'))
    )
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_events_received_at'), ['received_at'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('partner_id', sa.String(length=63), nullable=False),
    sa.Column('hotel_id', sa.String(length=63), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempt_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('change_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', servers.storage.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', servers.storage.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='1', nullable=False),
    sa.Column('created_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('attempt_count >= 0 AND change_count >= 0', name=op.f('ck_deliveries_counts_non_negative')),
    sa.ForeignKeyConstraint(['hotel_id'], ['hotels.id'], name=op.f('fk_deliveries_hotel_id_hotels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_deliveries_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_deliveries_idempotency_key'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_partner_status', ['partner_id', 'status'], unique=False)

    op.create_table('room_types',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('hotel_id', sa.String(length=63), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('max_occupancy', sa.Integer(), nullable=False),
    sa.Column('total_rooms', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), server_default='1', nullable=False),
    sa.Column('created_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('max_occupancy > 0', name=op.f('ck_room_types_max_occupancy_positive')),
    sa.CheckConstraint('total_rooms >= 0', name=op.f('ck_room_types_total_rooms_non_negative')),
    sa.ForeignKeyConstraint(['hotel_id'], ['hotels.id'], name=op.f('fk_room_types_hotel_id_hotels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_types')),
    sa.UniqueConstraint('hotel_id', 'code', name=op.f('uq_room_types_hotel_id_code'))
    )
    op.create_table('sync_cursors',
    sa.Column('channel_manager_id', sa.String(length=63), nullable=False),
    sa.Column('hotel_id', sa.String(length=63), nullable=False),
    sa.Column('last_sequence', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('feed_cursor', sa.String(length=200), nullable=True),
    sa.Column('last_polled_at', servers.storage.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hotel_id'], ['hotels.id'], name=op.f('fk_sync_cursors_hotel_id_hotels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('channel_manager_id', 'hotel_id', name=op.f('pk_sync_cursors'))
    )
    op.create_table('holds',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('hotel_id', sa.String(length=63), nullable=False),
    sa.Column('room_type_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('check_in', sa.Date(), nullable=False),
    sa.Column('check_out', sa.Date(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('expires_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('channel_manager_hold_id', sa.String(length=100), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='1', nullable=False),
    sa.Column('created_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('check_out > check_in', name=op.f('ck_holds_stay_not_empty')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_holds_quantity_positive')),
    sa.ForeignKeyConstraint(['hotel_id'], ['hotels.id'], name=op.f('fk_holds_hotel_id_hotels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_type_id'], ['room_types.id'], name=op.f('fk_holds_room_type_id_room_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds'))
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index('ix_holds_room_type_check_in', ['room_type_id', 'check_in'], unique=False)
        batch_op.create_index('ix_holds_status_expires_at', ['status', 'expires_at'], unique=False)

    op.create_table('inventory',
    sa.Column('room_type_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('night', sa.Date(), nullable=False),
    sa.Column('hotel_id', sa.String(length=63), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('available', sa.Integer(), nullable=False),
    sa.Column('held', sa.Integer(), server_default='0', nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=True),
    sa.Column('min_stay', sa.Integer(), server_default='0', nullable=False),
    sa.Column('max_stay', sa.Integer(), server_default='0', nullable=False),
    sa.Column('closed_to_arrival', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('closed_to_departure', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('stop_sell', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('version', sa.BigInteger(), server_default='1', nullable=False),
    sa.Column('source_sequence', sa.BigInteger(), nullable=True),
    sa.Column('source_updated_at', servers.storage.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('available <= total', name=op.f('ck_inventory_available_within_total')),
    sa.CheckConstraint('available >= 0', name=op.f('ck_inventory_available_non_negative')),
    sa.CheckConstraint('held >= 0', name=op.f('ck_inventory_held_non_negative')),
    sa.CheckConstraint('min_stay >= 0 AND max_stay >= 0', name=op.f('ck_inventory_stay_limits_non_negative')),
    sa.CheckConstraint('price_minor IS NULL OR price_minor >= 0', name=op.f('ck_inventory_price_non_negative')),
    sa.CheckConstraint('total >= 0', name=op.f('ck_inventory_total_non_negative')),
    sa.ForeignKeyConstraint(['hotel_id'], ['hotels.id'], name=op.f('fk_inventory_hotel_id_hotels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_type_id'], ['room_types.id'], name=op.f('fk_inventory_room_type_id_room_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('room_type_id', 'night', name=op.f('pk_inventory'))
    )
    with op.batch_alter_table('inventory', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_hotel_night', ['hotel_id', 'night'], unique=False)

    op.create_table('listings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('partner_id', sa.String(length=63), nullable=False),
    sa.Column('hotel_id', sa.String(length=63), nullable=False),
    sa.Column('room_type_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('partner_property_code', sa.String(length=100), nullable=False),
    sa.Column('partner_room_code', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('version', sa.BigInteger(), server_default='1', nullable=False),
    sa.Column('created_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hotel_id'], ['hotels.id'], name=op.f('fk_listings_hotel_id_hotels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_listings_partner_id_partners'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_type_id'], ['room_types.id'], name=op.f('fk_listings_room_type_id_room_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listings')),
    sa.UniqueConstraint('partner_id', 'partner_property_code', 'partner_room_code', name=op.f('uq_listings_partner_id_partner_property_code_partner_room_code')),
    sa.UniqueConstraint('partner_id', 'room_type_id', name=op.f('uq_listings_partner_id_room_type_id'))
    )
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index('ix_listings_hotel_id', ['hotel_id'], unique=False)

    op.create_table('bookings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=63), nullable=False),
    sa.Column('hotel_id', sa.String(length=63), nullable=False),
    sa.Column('room_type_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('check_in', sa.Date(), nullable=False),
    sa.Column('check_out', sa.Date(), nullable=False),
    sa.Column('rooms', sa.Integer(), nullable=False),
    sa.Column('guests', sa.Integer(), nullable=False),
    sa.Column('lead_guest', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('expires_at', servers.storage.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('paid_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('fee_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('channel', sa.String(length=63), nullable=False),
    sa.Column('hold_id', sa.String(length=36), nullable=True),
    sa.Column('channel_manager_reservation_id', sa.String(length=100), nullable=True),
    sa.Column('payment_reference', sa.String(length=100), nullable=True),
    sa.Column('partner_reservation_id', sa.String(length=100), nullable=True),
    sa.Column('partner_revision', sa.Integer(), nullable=True),
    sa.Column('over_capacity', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('version', sa.BigInteger(), server_default='1', nullable=False),
    sa.Column('created_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', servers.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('check_out > check_in', name=op.f('ck_bookings_stay_not_empty')),
    sa.CheckConstraint('rooms > 0 AND guests > 0', name=op.f('ck_bookings_rooms_and_guests_positive')),
    sa.CheckConstraint('total_minor >= 0 AND paid_minor >= 0 AND fee_minor >= 0', name=op.f('ck_bookings_amounts_non_negative')),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_bookings_hold_id_holds')),
    sa.ForeignKeyConstraint(['hotel_id'], ['hotels.id'], name=op.f('fk_bookings_hotel_id_hotels')),
    sa.ForeignKeyConstraint(['room_type_id'], ['room_types.id'], name=op.f('fk_bookings_room_type_id_room_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('channel', 'partner_reservation_id', name=op.f('uq_bookings_channel_partner_reservation_id'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_hotel_created', ['hotel_id', 'created_at'], unique=False)
        batch_op.create_index('ix_bookings_status_expires_at', ['status', 'expires_at'], unique=False)
        batch_op.create_index('ix_bookings_user_created', ['user_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_user_created')
        batch_op.drop_index('ix_bookings_status_expires_at')
        batch_op.drop_index('ix_bookings_hotel_created')

    op.drop_table('bookings')
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index('ix_listings_hotel_id')

    op.drop_table('listings')
    with op.batch_alter_table('inventory', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_hotel_night')

    op.drop_table('inventory')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index('ix_holds_status_expires_at')
        batch_op.drop_index('ix_holds_room_type_check_in')

    op.drop_table('holds')
    op.drop_table('sync_cursors')
    op.drop_table('room_types')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_partner_status')

    op.drop_table('deliveries')
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_events_received_at'))

    op.drop_table('webhook_events')
    op.drop_table('users')
    op.drop_table('partners')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_status_available_at')

    op.drop_table('outbox')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_expires_at'))

    op.drop_table('idempotency_keys')
    with op.batch_alter_table('hotels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hotels_city_key'))

    op.drop_table('hotels')
